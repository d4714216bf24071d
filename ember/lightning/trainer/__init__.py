"""``pytorch_lightning.trainer``: Trainer."""

from .trainer import Trainer

__all__ = ["Trainer"]
