"""Import layering: the env packages and recorders never import the app, and have no import cycles.

Every import counts, also those inside functions (a function-level import only hides a cycle or a
dependency, it does not remove it). ``envs/`` (npp_sim, pokemon_env, atomic_files) and
``recorders/`` sit below ``imitation_pipeline``; the app registers their error types itself
(``imitation_pipeline.errors.user_error_types``).
"""

from __future__ import annotations

from pathlib import Path

from imitation_pipeline.data.generation import imported_modules

ROOT = Path(__file__).resolve().parents[2]
LOWER_LAYER = [ROOT / "envs", ROOT / "recorders"]


def _module_name(path: Path) -> str:
    base = next((ROOT / d for d in ("envs", "src") if path.is_relative_to(ROOT / d)), ROOT)
    parts = list(path.relative_to(base).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> set[str]:
    """Absolute names of every module ``path`` imports, at any level of nesting."""
    return imported_modules(path, _module_name(path))


def _modules(dirs: list[Path]) -> dict[str, Path]:
    files = [p for d in dirs for p in d.rglob("*.py") if "__pycache__" not in p.parts]
    return {_module_name(p): p for p in files}


def _lower_layer_modules() -> dict[str, Path]:
    return _modules(LOWER_LAYER)


def test_envs_and_recorders_never_import_the_app() -> None:
    offenders = sorted(
        f"{path.relative_to(ROOT)} imports {mod}"
        for path in _lower_layer_modules().values()
        for mod in _imports(path)
        if mod == "imitation_pipeline" or mod.startswith("imitation_pipeline.")
    )
    assert not offenders, "\n".join(offenders)


def test_atomic_files_needs_only_the_standard_library() -> None:
    ours = ("imitation_pipeline", "npp_sim", "pokemon_env", "recorders")
    mods = _imports(ROOT / "envs" / "atomic_files" / "__init__.py")
    assert not [m for m in mods if m.split(".")[0] in ours]


def test_map_data_and_world_do_not_import_each_other() -> None:
    env = ROOT / "envs" / "npp_sim"
    assert "npp_sim.map_data" not in _imports(env / "world.py")
    assert "npp_sim.map_data" not in _imports(env / "map_layout.py")
    assert "npp_sim.world" not in _imports(env / "map_layout.py")


def test_no_import_cycles_anywhere() -> None:
    """Not in envs/ and recorders/, and not between the app's modules (evaluation.runner -> rl.envs ->
    env_factory once led back to dagger.envs, and rl.levels <-> rl.folder_suite through LevelSet)."""
    modules = _modules([*LOWER_LAYER, ROOT / "src" / "imitation_pipeline"])
    assert "imitation_pipeline.env_factory" in modules and "npp_sim.world" in modules
    graph = {m: sorted(i for i in _imports(p) if i in modules and i != m) for m, p in modules.items()}
    state: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[str] = []

    def visit(m: str) -> None:
        state[m] = 1
        stack.append(m)
        for dep in graph[m]:
            if state.get(dep) == 1:
                cycles.append(" -> ".join(stack[stack.index(dep):] + [dep]))
            elif dep not in state:
                visit(dep)
        stack.pop()
        state[m] = 2

    for m in sorted(graph):
        if m not in state:
            visit(m)
    assert not cycles, "\n".join(cycles)


def test_dagger_report_does_not_import_the_stages() -> None:
    mods = _imports(ROOT / "src" / "imitation_pipeline" / "dagger" / "report.py")
    assert not [m for m in mods if m.startswith("imitation_pipeline.stages")]


def test_the_app_reports_the_env_packages_errors_as_one_line() -> None:
    from npp_sim.errors import MapFormatError
    from npp_sim.formats import DemoFormatError
    from pokemon_env.errors import MgbaUnavailableError, PokemonEnvError, RomError

    from imitation_pipeline.errors import UserFacingError, user_error_types

    types = user_error_types()
    for err in (MapFormatError("m.map", "too short"), DemoFormatError("d.replay", "bad"), RomError("no ROM"),
                MgbaUnavailableError("no mGBA")):
        assert isinstance(err, types), type(err)
    assert UserFacingError in types and PokemonEnvError in types
