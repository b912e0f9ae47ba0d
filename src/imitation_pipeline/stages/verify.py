"""``stage=verify``: play every replay file in a directory through our simulator.

Formats are detected by content (compact v0/v1, N++ attract, our v2). For each file the JSON
report holds ``file, format, frames, outcome (won|died|neither), outcome_frame, final_x, final_y,
error``. Bad files are reported and skipped; the stage keeps going and prints a summary table.
"""

from __future__ import annotations

import logging
from pathlib import Path

from atomic_files import write_json_atomic
from omegaconf import DictConfig

from imitation_pipeline.errors import DatasetError

log = logging.getLogger(__name__)


def _record(name: str) -> dict:
    return {
        "file": name,
        "format": None,
        "frames": None,
        "outcome": None,
        "outcome_frame": None,
        "final_x": None,
        "final_y": None,
        "error": None,
    }


def skipped_record(path: Path) -> dict:
    """The report row of a directory entry that is not a regular file (never played)."""
    from imitation_pipeline.data.generation import skipped_reason

    return {**_record(path.name), "error": skipped_reason(path)}


def verify_file(path: Path, *, lr_rule: str, play_inconsistent: bool, max_frames: int = 0) -> dict:
    """Play one file; never raises for bad input (the problem goes into ``error``).

    ``max_frames`` > 0: longer replays are refused before they are simulated."""
    from npp_sim.errors import MapFormatError
    from npp_sim.formats import DemoFormatError, read_demo
    from npp_sim.simulator import run_inputs

    record = _record(path.name)
    try:
        demo = read_demo(path, strict=False)
    except DemoFormatError as err:
        record["error"] = str(err)
        return record
    except OSError as err:
        record["error"] = f"{path.name}: unreadable ({err.strerror or err})"
        return record
    record["format"] = demo.format
    record["frames"] = int(len(demo.inputs))
    if demo.problems:
        record["error"] = f"{path.name}: " + "; ".join(demo.problems)
        if not play_inconsistent:
            return record
    if max_frames > 0 and len(demo.inputs) > max_frames:
        record["error"] = (f"{path.name}: {len(demo.inputs)} frames, more than the limit of {max_frames} "
                           "(env.max_frames); not simulated")
        return record
    try:
        trace = run_inputs(demo.map_data, demo.inputs, lr_rule=lr_rule, source=path.name)
    except MapFormatError as err:
        record["error"] = str(err)
        return record
    except Exception as err:  # noqa: BLE001 - one replay's failure is that replay's row, never the stage's
        log.debug("simulating %s failed", path, exc_info=True)
        record["error"] = f"{path.name}: simulation failed ({type(err).__name__}: {err})"
        return record
    record["outcome"] = trace.outcome
    record["outcome_frame"] = None if trace.outcome_frame is None else int(trace.outcome_frame)
    record["final_x"] = float(trace.x[-1])
    record["final_y"] = float(trace.y[-1])
    return record


def run(cfg: DictConfig) -> dict:
    from rich.console import Console
    from rich.progress import track
    from rich.table import Table

    vcfg = cfg.verify
    replay_dir = Path(vcfg.replay_dir)
    if not replay_dir.is_dir():
        raise DatasetError(f"{replay_dir}: replay directory not found (set verify.replay_dir=DIR)")
    from imitation_pipeline.data.generation import replay_entries

    files, skipped = replay_entries(replay_dir)

    max_frames = int(vcfg.get("max_frames") or 0)
    records = [
        verify_file(p, lr_rule=vcfg.lr_rule, play_inconsistent=vcfg.play_inconsistent, max_frames=max_frames)
        for p in track(files, description=f"verifying {len(files)} files", transient=True)
    ]
    records += [skipped_record(p) for p in skipped]
    records.sort(key=lambda r: r["file"])
    report = Path(vcfg.report)
    if not report.is_absolute():  # a relative report path lives in the run directory, not the cwd
        report = Path(cfg.run_dir) / report
    write_json_atomic(report, records)

    counts: dict[str, int] = {}
    for rec in records:
        key = "error" if rec["error"] and rec["outcome"] is None else rec["outcome"]
        counts[key] = counts.get(key, 0) + 1
    won_last = sum(1 for r in records if r["outcome"] == "won" and r["outcome_frame"] == r["frames"])

    table = Table(title=f"verify: {replay_dir}")
    for col in ("file", "format", "frames", "outcome", "frame", "final x", "final y"):
        table.add_column(col, justify="right" if col not in ("file", "format", "outcome") else "left")
    for r in records:
        outcome = r["outcome"] or "[red]error[/red]"
        table.add_row(
            r["file"],
            r["format"] or "-",
            "-" if r["frames"] is None else str(r["frames"]),
            outcome,
            "-" if r["outcome_frame"] is None else str(r["outcome_frame"]),
            "-" if r["final_x"] is None else f"{r['final_x']:.3f}",
            "-" if r["final_y"] is None else f"{r['final_y']:.3f}",
        )
    console = Console()
    console.print(table)
    for r in records:
        if r["error"]:
            log.info(f"problem {r['error']}")
    summary = {"files": len(records), **counts, "won_on_last_frame": won_last, "report": str(report)}
    log.info(
        f"{len(records)} files: "
        + ", ".join(f"{k} {v}" for k, v in counts.items())
        + f"; won on the last frame: {won_last}. Report: {report}"
    )
    return summary
