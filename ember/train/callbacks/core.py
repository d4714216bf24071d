"""The callbacks every Learner has: TrainEvalCallback (train/eval mode and training progress)
and Recorder (losses, learning rates and metrics per batch and per epoch); and the metric
adapters that let plain functions and metric objects serve as Learner metrics."""
import inspect
import math
import time

import numpy as np

from ..._tensor import Tensor
from ..engine import Callback, _snake, find_bs

__all__ = ["TrainEvalCallback", "Recorder", "Metric", "AvgMetric", "AvgLoss", "AvgSmoothLoss",
           "as_metric", "format_time"]


def _item(v):
    """A metric or loss value as a float (None → nan); per-class results stay NumPy arrays."""
    if v is None:
        return math.nan
    if isinstance(v, Tensor):
        return float(v.item()) if v.numel() == 1 else v.detach().cpu().numpy()
    if isinstance(v, np.ndarray) and v.size != 1:
        return v
    return float(v)


class TrainEvalCallback(Callback):
    """Puts the model in train / eval mode for each phase and tracks ``train_iter`` (training
    batches so far) and ``pct_train`` (the fraction of the fit done, in [0, 1))."""

    order = -10

    def before_fit(self):
        self.learn.epoch, self.learn.train_iter, self.learn.pct_train = 0, 0, 0.0
        self.learn.training = self.model.training

    def before_train(self):
        self.learn.pct_train = self.epoch / self.n_epoch
        self.model.train()
        self.learn.training = True

    def after_batch(self):
        if not self.training:
            return
        if self.n_iter:
            self.learn.pct_train += 1.0 / (self.n_iter * self.n_epoch)
        self.learn.train_iter += 1

    def before_validate(self):
        self.model.eval()
        self.learn.training = False


class Metric:
    """fastai's metric protocol: ``reset()`` before a phase, ``accumulate(learn)`` after each
    batch, ``value`` at the end; ``name`` heads its column."""

    def reset(self):
        pass

    def accumulate(self, learn):
        pass

    @property
    def value(self):
        return None

    @property
    def name(self):
        return _snake(type(self).__name__)


class AvgMetric(Metric):
    """A function ``f(preds, *targets)`` averaged over a phase, each batch weighted by its size."""

    def __init__(self, func):
        self.func = func
        self.reset()

    def reset(self):
        self.total, self.count = 0.0, 0

    def accumulate(self, learn):
        bs = find_bs(learn.yb) or 1
        self.total += _item(self.func(learn.pred.detach(), *learn.yb)) * bs
        self.count += bs

    @property
    def value(self):
        return self.total / self.count if self.count else math.nan

    @property
    def name(self):
        f = getattr(self.func, "func", self.func)   # functools.partial
        return getattr(f, "__name__", _snake(type(f).__name__))


def _metric_name(m):
    n = getattr(m, "name", None)
    return n if isinstance(n, str) else _snake(type(m).__name__)


class _Accumulating(Metric):
    """An object with ``reset()``, ``accumulate(pred, targ)`` and ``value`` (the protocol of
    ``ember.metrics``: F1Score, RocAuc, the torchmetrics-style classes …)."""

    def __init__(self, metric):
        self.metric = metric

    def reset(self):
        self.metric.reset()

    def accumulate(self, learn):
        self.metric.accumulate(learn.pred.detach(), *learn.yb)

    @property
    def value(self):
        return self.metric.value

    @property
    def name(self):
        return _metric_name(self.metric)


def _takes_learner(method):
    # fastai's Metric.accumulate(learn) has one parameter; ember.metrics' has (pred, targ).
    try:
        params = [p for p in inspect.signature(method).parameters.values()
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.VAR_POSITIONAL)]
    except (TypeError, ValueError):
        return False
    return len(params) == 1 and params[0].kind != params[0].VAR_POSITIONAL


class _UpdateCompute(Metric):
    """A torchmetrics-style object (``update(preds, target)``, ``compute()``, ``reset()``)."""

    def __init__(self, metric):
        self.metric = metric

    def reset(self):
        self.metric.reset()

    def accumulate(self, learn):
        self.metric.update(learn.pred.detach(), *learn.yb)

    @property
    def value(self):
        return _item(self.metric.compute())

    @property
    def name(self):
        return _metric_name(self.metric)


class AvgLoss(Metric):
    """The mean loss over a phase, each batch weighted by its size."""

    def __init__(self):
        self.reset()

    def reset(self):
        self.total, self.count = 0.0, 0

    def accumulate(self, learn):
        if learn.loss is not None:
            self.add(_item(learn.loss), find_bs(learn.yb) or 1)

    def add(self, value, bs):
        self.total += value * bs
        self.count += bs

    @property
    def value(self):
        return self.total / self.count if self.count else math.nan

    @property
    def name(self):
        return "loss"


class AvgSmoothLoss(Metric):
    """An exponential moving average of the batch losses, debiased (as Adam's moments)."""

    def __init__(self, beta=0.98):
        self.beta = beta
        self.reset()

    def reset(self):
        self.count, self.val = 0, 0.0

    def accumulate(self, learn):
        self.add(_item(learn.loss))

    def add(self, value):
        self.count += 1
        self.val = self.beta * self.val + (1 - self.beta) * value

    @property
    def value(self):
        return self.val / (1 - self.beta ** self.count) if self.count else math.nan


def as_metric(m):
    """A Learner metric from: a Metric (``accumulate(learn)``, fastai's protocol); an
    accumulating object (``reset``, ``accumulate(pred, targ)``, ``value``, ``name``: ember.metrics'
    protocol); a torchmetrics-style object (``update`` / ``compute`` / ``reset``); or a plain
    function ``f(preds, targets)`` averaged over batches."""
    if isinstance(m, Metric):
        return m
    acc = getattr(m, "accumulate", None)
    if acc is not None and hasattr(m, "reset") and hasattr(m, "value"):
        return m if _takes_learner(acc) else _Accumulating(m)
    if hasattr(m, "update") and hasattr(m, "compute") and hasattr(m, "reset"):
        return _UpdateCompute(m)
    if callable(m):
        return AvgMetric(m)
    raise TypeError(f"cannot use {m!r} as a metric: expected a function f(preds, targets), a "
                    "Metric, or an object with update/compute/reset")


def format_time(t):
    """Seconds as ``mm:ss`` (``h:mm:ss`` past an hour)."""
    t = int(t)
    h, m, s = t // 3600, (t // 60) % 60, t % 60
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m:02d}:{s:02d}"


class Recorder(Callback):
    """Records, per training batch: ``batch_losses`` (raw), ``losses`` (smoothed), ``lrs``
    (the last parameter group's), ``iters``; per epoch: ``values`` (rows of ``[train_loss,
    valid_loss, *metrics]``) and ``log`` (the last row with epoch and time), headed by
    ``metric_names``. ``train_loss`` is the epoch's mean training loss. Metrics are computed on
    the validation set (``valid_metrics``) and optionally on the training set
    (``train_metrics``, columns prefixed ``train_`` / ``valid_``)."""

    order = 50

    def __init__(self, add_time=True, train_metrics=False, valid_metrics=True, beta=0.98):
        self.add_time, self.train_metrics, self.valid_metrics = add_time, train_metrics, valid_metrics
        self._loss_avg, self.smooth_loss = AvgLoss(), AvgSmoothLoss(beta)
        self.lrs, self.iters, self.losses, self.batch_losses, self.values = [], [], [], [], []
        self.log, self.metric_names, self.epoch_times, self.epoch_iters = [], [], [], []
        self.hps = {}
        self.train_loss = self.valid_loss = math.nan
        self.valid_values, self._train_vals = [], []

    # The metrics live on the learner (``learn.metrics``) so they can be changed between fits.
    @property
    def _metrics(self):
        return list(getattr(self.learn, "metrics", None) or [])

    def before_fit(self):
        self.lrs, self.iters, self.losses, self.batch_losses, self.values = [], [], [], [], []
        self.epoch_times, self.epoch_iters, self.log, self.hps = [], [], [], {}
        self.smooth_loss.reset()
        names = [m.name for m in self._metrics]
        if self.train_metrics and self.valid_metrics:
            names = [f"train_{n}" for n in names] + [f"valid_{n}" for n in names]
        elif not (self.train_metrics or self.valid_metrics):
            names = []
        tail = ["time"] if self.add_time else []
        self.metric_names = ["epoch", "train_loss", "valid_loss"] + names + tail

    def before_epoch(self):
        self.start_epoch = time.perf_counter()
        self.train_loss = self.valid_loss = math.nan
        self._train_vals, self.valid_values = [], []

    def _phase_metrics(self):
        return self._metrics if (self.train_metrics if self.training else self.valid_metrics) else []

    def before_train(self):
        self._reset()

    def before_validate(self):
        self._reset()

    def _reset(self):
        self._loss_avg.reset()
        for m in self._phase_metrics():
            m.reset()

    def after_batch(self):
        if self.learn.loss is None:   # a batch without targets
            return
        loss = _item(self.learn.loss)   # one device sync per batch
        self._loss_avg.add(loss, find_bs(self.learn.yb) or 1)
        for m in self._phase_metrics():
            m.accumulate(self.learn)
        if self.training:
            self.smooth_loss.add(loss)
            self.batch_losses.append(loss)
            self.losses.append(self.smooth_loss.value)
            if self.opt is not None:
                self.lrs.append(self.opt.param_groups[-1]["lr"])
            self.iters.append(len(self.iters))

    def after_train(self):
        self.train_loss = self._loss_avg.value
        self._train_vals = [m.value for m in self._phase_metrics()]

    def after_validate(self):
        self.valid_loss = self._loss_avg.value
        self.valid_values = [self.valid_loss] + [_item(m.value) for m in self._phase_metrics()]
        self.learn.final_record = list(self.valid_values)

    def after_epoch(self):
        n = len(self._metrics)
        train = [_item(v) for v in self._train_vals] if self.train_metrics else []
        if self.train_metrics and len(train) < n:
            train += [math.nan] * (n - len(train))
        valid = list(self.valid_values[1:]) if self.valid_metrics else []
        if self.valid_metrics and len(valid) < n:
            valid += [math.nan] * (n - len(valid))
        row = [self.train_loss, self.valid_loss] + train + valid
        self.values.append(row)
        elapsed = time.perf_counter() - self.start_epoch
        self.epoch_times.append(elapsed)
        self.epoch_iters.append(len(self.losses))
        self.log = [self.epoch] + row + ([format_time(elapsed)] if self.add_time else [])

    @property
    def history(self):
        """``{column: [value per epoch]}`` for the loss and metric columns."""
        names = [n for n in self.metric_names if n not in ("epoch", "time")]
        return {n: [row[i] for row in self.values] for i, n in enumerate(names)}

    # Plots (matplotlib is imported only when one is drawn).
    def plot_loss(self, skip_start=5, with_valid=True, **kwargs):
        from ..plots import plot_loss
        return plot_loss(self, skip_start=skip_start, with_valid=with_valid, **kwargs)

    def plot_metrics(self, **kwargs):
        from ..plots import plot_metrics
        return plot_metrics(self, **kwargs)

    def plot_lr(self, **kwargs):
        from ..plots import plot_lr
        return plot_lr(self, **kwargs)
