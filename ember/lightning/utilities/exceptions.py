"""Lightning's exception types."""


class MisconfigurationException(Exception):
    """A Trainer, LightningModule or callback was configured in a way that cannot run."""
