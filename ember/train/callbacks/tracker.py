"""Callbacks that watch a monitored value each epoch (a column of the Recorder: ``valid_loss``,
``accuracy`` …) and act on it: EarlyStoppingCallback, SaveModelCallback (keep the best model),
ReduceLROnPlateau; and TerminateOnNaN, which stops as soon as the loss is not finite."""
import math

import numpy as np

from .._hypers import get_hyper, set_hyper
from ..engine import Callback, CancelFitException

__all__ = ["TrackerCallback", "EarlyStoppingCallback", "SaveModelCallback", "ReduceLROnPlateau",
           "TerminateOnNaN", "TerminateOnNaNCallback"]


class TrackerCallback(Callback):
    """Tracks ``monitor`` after each epoch; ``self.best`` is its best value so far and
    ``self.new_best`` whether this epoch improved it by more than ``min_delta``. ``comp``
    (``np.less`` or ``np.greater``) defaults to less for names containing "loss" or "error".
    Switched off during ``lr_find``."""

    order = 60

    def __init__(self, monitor="valid_loss", comp=None, min_delta=0.0, reset_on_fit=True):
        if comp is None:
            comp = np.less if ("loss" in monitor or "error" in monitor) else np.greater
        if comp is np.less:
            min_delta = -abs(min_delta)
        self.monitor, self.comp, self.min_delta, self.reset_on_fit = monitor, comp, min_delta, reset_on_fit
        self.best, self.new_best = None, False

    def before_fit(self):
        if hasattr(self.learn, "lr_finder"):
            self.run = False
            return
        if self.reset_on_fit or self.best is None:
            self.best = math.inf if self.comp is np.less else -math.inf
        names = [n for n in self.recorder.metric_names if n not in ("epoch", "time")]
        if self.monitor not in names:
            raise ValueError(f"{type(self).__name__}: monitored value {self.monitor!r} is not "
                             f"recorded; choose one of {names}")
        self.idx = names.index(self.monitor)

    def after_epoch(self):
        val = self.recorder.values[-1][self.idx]
        self.new_best = bool(self.comp(val - self.min_delta, self.best))
        if self.new_best:
            self.best = val


class EarlyStoppingCallback(TrackerCallback):
    """Stop training when ``monitor`` has not improved for ``patience`` epochs."""

    order = TrackerCallback.order + 3

    def __init__(self, monitor="valid_loss", comp=None, min_delta=0.0, patience=1, reset_on_fit=True):
        super().__init__(monitor, comp, min_delta, reset_on_fit)
        self.patience = patience

    def before_fit(self):
        self.wait = 0
        super().before_fit()

    def after_epoch(self):
        super().after_epoch()
        self.wait = 0 if self.new_best else self.wait + 1
        if self.wait >= self.patience:
            print(f"No improvement since epoch {self.epoch - self.wait}: early stopping")
            raise CancelFitException()


class SaveModelCallback(TrackerCallback):
    """Save the model (``learn.save(fname)``: atomic, under ``path/model_dir``) whenever
    ``monitor`` improves, and load the best one back after training. ``every_epoch=True`` (or
    an int n) saves ``fname_{epoch}`` every (n-th) epoch instead; ``at_end=True`` saves the final
    model and loads nothing."""

    order = TrackerCallback.order + 1

    def __init__(self, monitor="valid_loss", comp=None, min_delta=0.0, fname="model", every_epoch=False,
                 at_end=False, with_opt=False, reset_on_fit=True):
        super().__init__(monitor, comp, min_delta, reset_on_fit)
        self.fname, self.every_epoch, self.at_end, self.with_opt = fname, every_epoch, at_end, with_opt
        self.best_epoch, self.saved = None, False

    def _save(self, name):
        self.learn.save(name, with_opt=self.with_opt)
        self.saved = True

    def before_fit(self):
        self.saved = False
        super().before_fit()

    def after_epoch(self):
        if self.every_epoch:
            if (self.epoch % int(self.every_epoch)) == 0:
                self._save(f"{self.fname}_{self.epoch}")
            return
        super().after_epoch()
        if self.new_best:
            self.best_epoch = self.epoch
            print(f"Better model found at epoch {self.epoch} with {self.monitor} value: {self.best}.")
            self._save(self.fname)

    def after_fit(self):
        if self.at_end:
            self._save(self.fname)
        elif not self.every_epoch and self.saved:
            self.learn.load(self.fname, with_opt=self.with_opt)


class ReduceLROnPlateau(TrackerCallback):
    """Divide the learning rate by ``factor`` (fastai's convention: 10 means ÷10) when
    ``monitor`` has not improved for ``patience`` epochs, never below ``min_lr``."""

    order = TrackerCallback.order + 2

    def __init__(self, monitor="valid_loss", comp=None, min_delta=0.0, patience=1, factor=10.0,
                 min_lr=0, reset_on_fit=True):
        super().__init__(monitor, comp, min_delta, reset_on_fit)
        self.patience, self.factor, self.min_lr = patience, factor, min_lr

    def before_fit(self):
        self.wait = 0
        super().before_fit()

    def after_epoch(self):
        super().after_epoch()
        self.wait = 0 if self.new_best else self.wait + 1
        if self.wait >= self.patience:
            self.wait = 0
            old = get_hyper(self.opt, "lr")
            new = [max(lr / self.factor, self.min_lr) for lr in old]
            set_hyper(self.opt, "lr", new)
            if new != old:
                print(f"Epoch {self.epoch}: reducing lr to {new[-1]}")


class TerminateOnNaN(Callback):
    """Stop training (CancelFitException) as soon as a batch's loss is NaN or infinite —
    in training, right after the loss is computed, so the backward pass and the optimizer
    step that would apply its gradients never run and the weights stay finite."""

    order = -9
    name = "terminate_on_nan"

    def after_loss(self):
        if self.learn.training:
            self._check()

    def after_batch(self):
        if not self.learn.training:  # (a training batch was checked after its loss)
            self._check()

    def _check(self):
        loss = self.learn.loss
        if loss is None:
            return
        value = float(loss.float().mean().item())
        if not math.isfinite(value):
            print(f"Loss is {value} at epoch {self.epoch}, batch {self.iter}: terminating")
            raise CancelFitException()


TerminateOnNaNCallback = TerminateOnNaN
