"""pokemon_env: Pokemon-style environments, a scripted expert and demonstration tools.

Importing the package registers two gymnasium ids (the env modules are imported only when an env is
made, so ``import pokemon_env`` stays cheap):

* ``PokemonStandIn-v0`` (:class:`pokemon_env.standin.PokemonStandInEnv`): a procedurally generated,
  seeded top-down tile world drawn with numpy, with the same spaces as the real game.
* ``PokemonEmerald-v0`` (:class:`pokemon_env.emerald.PokemonEmeraldEnv`): Pokemon Emerald through
  mGBA's Python bindings; the user supplies the ROM (``rom_path=``).

Both share the spaces in :mod:`pokemon_env.spaces`: observations are RGB frames ``(160, 240, 3)``
uint8 (height x width x channel, i.e. the GBA's 240x160 screen in row-major image order) and
actions are ``Discrete(10)`` GBA buttons (:data:`pokemon_env.spaces.BUTTONS`).
"""

from pokemon_env.spaces import BUTTONS, FRAME_SHAPE, NUM_ACTIONS, Button

STANDIN_ENV_ID = "PokemonStandIn-v0"
EMERALD_ENV_ID = "PokemonEmerald-v0"

__all__ = ["BUTTONS", "Button", "EMERALD_ENV_ID", "FRAME_SHAPE", "NUM_ACTIONS", "STANDIN_ENV_ID"]


def _register_envs() -> None:
    try:
        from gymnasium.envs.registration import register, registry
    except ImportError:  # gymnasium is a dependency; tolerate partial installs
        return
    if STANDIN_ENV_ID not in registry:
        register(id=STANDIN_ENV_ID, entry_point="pokemon_env.standin:PokemonStandInEnv")
    if EMERALD_ENV_ID not in registry:
        register(id=EMERALD_ENV_ID, entry_point="pokemon_env.emerald:PokemonEmeraldEnv")


_register_envs()
