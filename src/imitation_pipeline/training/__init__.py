"""Training machinery shared by the stages: the BC LightningModule, callbacks, logger and trainer builders."""
