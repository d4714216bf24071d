"""EarlyStopping: stop fitting when a monitored metric stops improving."""

import math

from ..utilities.exceptions import MisconfigurationException
from .callback import Callback


def _f(v):
    return float(v.item()) if hasattr(v, "item") else float(v)


class EarlyStopping(Callback):
    """Stop when ``monitor`` has not improved by more than ``min_delta`` for ``patience``
    checks (validation ends, or training epoch ends when there is no validation)."""

    mode_dict = {"min": "lt", "max": "gt"}
    order_dict = {"min": "<", "max": ">"}

    def __init__(
        self,
        monitor,
        min_delta=0.0,
        patience=3,
        verbose=False,
        mode="min",
        strict=True,
        check_finite=True,
        stopping_threshold=None,
        divergence_threshold=None,
        check_on_train_epoch_end=None,
        log_rank_zero_only=False,
    ):
        if mode not in self.mode_dict:
            raise MisconfigurationException(f"`mode` can be {', '.join(self.mode_dict.keys())}, got {mode}")
        self.monitor, self.patience, self.verbose, self.mode, self.strict = (
            monitor,
            patience,
            verbose,
            mode,
            strict,
        )
        self.check_finite, self.stopping_threshold, self.divergence_threshold = (
            check_finite,
            stopping_threshold,
            divergence_threshold,
        )
        self.min_delta = abs(min_delta) * (1 if mode == "max" else -1)
        self.wait_count, self.stopped_epoch = 0, 0
        self.best_score = math.inf if mode == "min" else -math.inf
        self._check_on_train_epoch_end = check_on_train_epoch_end
        self.stopping_reason_message = None

    @property
    def state_key(self):
        return self._generate_state_key(monitor=self.monitor, mode=self.mode)

    def _better(self, a, b):
        return a < b if self.mode == "min" else a > b

    def setup(self, trainer, pl_module, stage):
        if self._check_on_train_epoch_end is None:
            self._check_on_train_epoch_end = (
                trainer.val_check_interval == 1.0
                and trainer.check_val_every_n_epoch == 1
                and not trainer._has_val_loop()
            )

    def _validate_condition_metric(self, logs):
        if logs.get(self.monitor) is not None:
            return True
        msg = (
            f"Early stopping conditioned on metric `{self.monitor}` which is not available. Pass in "
            "or modify "
            f"your `EarlyStopping` callback to use any of the following: `{'`, `'.join(list(logs.keys()))}`"
        )
        if self.strict:
            raise RuntimeError(msg)
        return False

    def on_train_epoch_end(self, trainer, pl_module):
        if self._check_on_train_epoch_end and not trainer.fast_dev_run:
            self._run_early_stopping_check(trainer)

    def on_validation_end(self, trainer, pl_module):
        if not self._check_on_train_epoch_end and not trainer.fast_dev_run and not trainer.sanity_checking:
            self._run_early_stopping_check(trainer)

    def _run_early_stopping_check(self, trainer):
        logs = trainer.callback_metrics
        if not self._validate_condition_metric(logs):
            return
        current = _f(logs[self.monitor])
        should_stop, reason = self._evaluate_stopping_criteria(current)
        if should_stop:
            trainer.should_stop = True
            self.stopped_epoch = trainer.current_epoch
            self.stopping_reason_message = reason
            if reason and self.verbose:
                print(reason)

    def _evaluate_stopping_criteria(self, current):
        if self.check_finite and not math.isfinite(current):
            return True, (
                f"Monitored metric {self.monitor} = {current} is not finite. Previous best value was "
                f"{self.best_score:.3f}. Signaling Trainer to stop."
            )
        if self.stopping_threshold is not None and self._better(current, self.stopping_threshold):
            return True, (
                f"Stopping threshold reached: {self.monitor} = {current} "
                f"{self.order_dict[self.mode]} {self.stopping_threshold}. Signaling Trainer to stop."
            )
        if self.divergence_threshold is not None and self._better(-current, -self.divergence_threshold):
            return True, (
                f"Divergence threshold reached: {self.monitor} = {current} "
                f"{self.order_dict['max' if self.mode == 'min' else 'min']} {self.divergence_threshold}. "
                "Signaling Trainer to stop."
            )
        if self._better(current - self.min_delta, self.best_score):
            self.best_score, self.wait_count = current, 0
            return False, None
        self.wait_count += 1
        if self.wait_count >= self.patience:
            return True, (
                f"Monitored metric {self.monitor} did not improve in the last {self.wait_count} records. "
                f"Best score: {self.best_score:.3f}. Signaling Trainer to stop."
            )
        return False, None

    def state_dict(self):
        return {
            "wait_count": self.wait_count,
            "stopped_epoch": self.stopped_epoch,
            "best_score": self.best_score,
            "patience": self.patience,
        }

    def load_state_dict(self, state_dict):
        self.wait_count, self.stopped_epoch = state_dict["wait_count"], state_dict["stopped_epoch"]
        self.best_score, self.patience = _f(state_dict["best_score"]), state_dict["patience"]
