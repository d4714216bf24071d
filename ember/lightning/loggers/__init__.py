"""``pytorch_lightning.loggers``: Logger, TensorBoardLogger, CSVLogger."""

from .csv_logs import CSVLogger
from .logger import Logger
from .tensorboard import TensorBoardLogger

__all__ = ["Logger", "TensorBoardLogger", "CSVLogger"]
