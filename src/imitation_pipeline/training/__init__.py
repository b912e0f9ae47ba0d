"""Training machinery shared by the stages: the BC LightningModule, callbacks, logger and trainer builders."""


def _route_lightning_logs() -> None:
    """Lightning adds its own console handler to the ``lightning`` logger on import; under Hydra (whose
    root handlers print and write the run's log file) every Lightning INFO line then appears twice.
    Where the root logger has handlers, drop Lightning's console handler: its lines go through Hydra's."""
    import logging

    import lightning  # noqa: F401  (the import adds the handler)

    if not logging.getLogger().handlers:
        return
    for name in ("lightning", "lightning.pytorch", "lightning.fabric"):
        lg = logging.getLogger(name)
        for h in list(lg.handlers):
            if type(h) is logging.StreamHandler:
                lg.removeHandler(h)
        lg.propagate = True


_route_lightning_logs()
