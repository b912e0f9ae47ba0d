"""atomic_files: every writer gives new files open()'s permissions and leaves no temporary file."""

from __future__ import annotations

import os
import stat

import pytest
from atomic_files import (
    atomic_open,
    copy_file_atomic,
    write_bytes_atomic,
    write_json_atomic,
    write_text_atomic,
)


@pytest.mark.parametrize("umask, expected", [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_writers_use_the_umask_and_clean_up(tmp_path, umask: int, expected: int) -> None:
    src = tmp_path / "src.bin"
    src.write_bytes(b"\x00\x01")
    mask = os.umask(umask)
    try:
        paths = [
            write_bytes_atomic(tmp_path / "sub" / "a.bin", b"abc"),
            write_text_atomic(tmp_path / "b.txt", "x\n"),
            write_json_atomic(tmp_path / "c.json", {"a": 1}),
            copy_file_atomic(src, tmp_path / "d.bin"),
        ]
    finally:
        os.umask(mask)
    assert [stat.S_IMODE(p.stat().st_mode) for p in paths] == [expected] * 4
    assert paths[3].read_bytes() == b"\x00\x01" and paths[2].read_text() == '{\n  "a": 1\n}\n'
    assert not list(tmp_path.rglob("*.tmp"))


def test_a_failed_write_keeps_the_old_file(tmp_path) -> None:
    path = write_text_atomic(tmp_path / "r.txt", "old")
    with pytest.raises(RuntimeError), atomic_open(path, "w") as fh:
        fh.write("new, half")
        raise RuntimeError("killed midway")
    assert path.read_text() == "old" and not list(tmp_path.glob("*.tmp"))
    with pytest.raises(ValueError, match="supports"), atomic_open(path, "a"):
        pass
