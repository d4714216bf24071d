"""ember.lightning: PyTorch Lightning 2.6's API on ember (``import ember.lightning as pl``).

``LightningModule``, ``LightningDataModule``, ``Trainer``, ``Callback``, ``seed_everything``, and
the submodules ``callbacks``, ``loggers``, ``utilities`` with Lightning's names and paths. The
Trainer is an adapter over ember's one training engine (ember/train/engine.py), the same loop the
fastai-style Learner runs: the step, the loss and the hooks come from the LightningModule."""

from . import callbacks, loggers, utilities
from .callbacks import Callback
from .core import LightningDataModule, LightningModule
from .trainer import Trainer
from .utilities.seed import seed_everything

__version__ = "2.6.6"

__all__ = [
    "LightningModule",
    "LightningDataModule",
    "Trainer",
    "Callback",
    "seed_everything",
    "callbacks",
    "loggers",
    "utilities",
    "__version__",
]
