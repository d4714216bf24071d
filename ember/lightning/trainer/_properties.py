"""What a Trainer exposes for reading: counters, metric dicts, loggers, callbacks by kind, the
stage flags (the ranks are in _distributed.py)."""
import math
import types

from ..callbacks.early_stopping import EarlyStopping
from ..callbacks.model_checkpoint import ModelCheckpoint
from ..callbacks.progress import ProgressBar
from ..loggers.tensorboard import TensorBoardLogger
from .states import TrainerStatus


class _Properties:
    """Mixed into Trainer."""

    # ---- what users read -----------------------------------------------------------------------
    @property
    def current_epoch(self):
        return self._epochs_completed

    @property
    def callback_metrics(self):
        return self._callback_metrics

    @property
    def logged_metrics(self):
        return self._logged_metrics

    @property
    def progress_bar_metrics(self):
        return {k: (v.item() if hasattr(v, "item") else v) for k, v in self._progress_bar_metrics.items()}

    @property
    def logger(self):
        return self.loggers[0] if self.loggers else None

    @logger.setter
    def logger(self, logger):
        self.loggers = [] if not logger else [logger]

    @property
    def log_dir(self):
        if self.loggers:
            lg = self.loggers[0]
            d = lg.log_dir if isinstance(lg, TensorBoardLogger) or lg.log_dir else lg.save_dir
            return d
        return self.default_root_dir

    @property
    def model(self):
        return self.lightning_module

    @property
    def checkpoint_callbacks(self):
        return [c for c in self.callbacks if isinstance(c, ModelCheckpoint)]

    @property
    def checkpoint_callback(self):
        cbs = self.checkpoint_callbacks
        return cbs[0] if cbs else None

    @property
    def early_stopping_callbacks(self):
        return [c for c in self.callbacks if isinstance(c, EarlyStopping)]

    @property
    def early_stopping_callback(self):
        cbs = self.early_stopping_callbacks
        return cbs[0] if cbs else None

    @property
    def progress_bar_callback(self):
        return next((c for c in self.callbacks if isinstance(c, ProgressBar)), None)

    @property
    def enable_validation(self):
        return self._has_val_loop()

    @property
    def validating(self):
        return self._stage == "validate"

    @property
    def testing(self):
        return self._stage == "test"

    @property
    def predicting(self):
        return self._stage == "predict"

    @property
    def precision(self):
        return self._precision

    @property
    def device_ids(self):
        return [self._device.index or 0]

    @property
    def strategy(self):
        return types.SimpleNamespace(root_device=self._device, name=self._strategy_name,
                                     global_rank=self.global_rank, local_rank=self.local_rank,
                                     world_size=self.world_size, is_global_zero=self.is_global_zero,
                                     barrier=self._barrier, broadcast=self._broadcast)

    @property
    def estimated_stepping_batches(self):
        n = self.num_training_batches
        per_epoch = math.ceil(n / self.accumulate_grad_batches) if n != math.inf else math.inf
        total = per_epoch * self.max_epochs if self.max_epochs not in (None, -1) else math.inf
        return min(total, self.max_steps) if self.max_steps != -1 else total

    @property
    def interrupted(self):
        return self.state.status == TrainerStatus.INTERRUPTED
