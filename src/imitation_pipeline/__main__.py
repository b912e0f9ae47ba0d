"""Entry point: ``python -m imitation_pipeline stage=<name> [overrides]``.

A thin Hydra app: compose and validate the config, then hand it to ``stages.<name>.run(cfg)``.
Heavy libraries (torch, lightning, SB3) are imported inside the stages, so ``--help`` stays fast.
"""

from __future__ import annotations

import logging
import os
import sys

import hydra
from omegaconf import DictConfig

from imitation_pipeline.configs import register
from imitation_pipeline.errors import user_error_types

register()
log = logging.getLogger("imitation_pipeline")


@hydra.main(version_base="1.3", config_path="../../conf", config_name="config")
def main(cfg: DictConfig) -> object:
    from imitation_pipeline.configs.validate import validate
    from imitation_pipeline.stages import run_stage

    try:
        validate(cfg)  # ranges and choices of every option, before any work
        return run_stage(cfg)
    except user_error_types() as err:  # one clear line, non-zero exit, no traceback
        print(f"error: {err}", file=sys.stderr)
        sys.exit(2)


def cli() -> None:
    """Run the app; a config that fails to compose or validate is reported in one line (exit 2)."""
    from hydra.errors import HydraException
    from omegaconf.errors import OmegaConfBaseException

    from imitation_pipeline.cli_errors import one_line

    os.environ.setdefault("HYDRA_FULL_ERROR", "1")  # let composition errors reach us
    try:
        args = sys.argv[1:]
        if "--help" in args or "-h" in args:
            from imitation_pipeline.app_help import render_help

            print(render_help([a for a in args if "=" in a and not a.startswith("-")]))
            return
        main()
    except (HydraException, OmegaConfBaseException) as err:
        print(f"error: {one_line(err)}", file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    cli()
