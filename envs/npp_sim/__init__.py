"""npp_sim: a deterministic N++ simulator of our own, its file formats, gymnasium env and level suites.

Importing the package registers the gymnasium id ``NPP-v0`` (entry point ``npp_sim.env:NppEnv``);
the env module itself, and numba, are only imported when an env is made.
"""

ENV_ID = "NPP-v0"


def _register_env() -> None:
    try:
        from gymnasium.envs.registration import register, registry
    except ImportError:  # gymnasium is a dependency; tolerate partial installs of the sim alone
        return
    if ENV_ID not in registry:
        register(id=ENV_ID, entry_point="npp_sim.env:NppEnv")


_register_env()
