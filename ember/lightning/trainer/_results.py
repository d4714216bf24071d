"""What ``self.log`` records: one entry per (hook, name), holding the last step value and the
running epoch reduction, and the three views the Trainer exposes (``callback_metrics``,
``logged_metrics``, ``progress_bar_metrics``), with Lightning's naming (``name_step`` /
``name_epoch`` when a value is logged both per step and per epoch)."""

import numbers

import numpy as np

from ..._tensor import Tensor
from ...metrics.classes import Metric
from ..utilities.exceptions import MisconfigurationException

# Lightning's _FxValidator table, in short: where self.log may be called and its defaults.
_STEP_FX = frozenset(
    {
        "training_step",
        "on_train_batch_start",
        "on_train_batch_end",
        "on_before_backward",
        "on_after_backward",
        "on_before_optimizer_step",
        "on_before_zero_grad",
        "optimizer_step",
        "optimizer_zero_grad",
        "backward",
        "lr_scheduler_step",
        "configure_gradient_clipping",
        "clip_gradients",
        "manual_backward",
    }
)
_EVAL_STEP_FX = frozenset(
    {
        "validation_step",
        "test_step",
        "on_validation_batch_start",
        "on_validation_batch_end",
        "on_test_batch_start",
        "on_test_batch_end",
    }
)
_EPOCH_FX = frozenset(
    {
        "on_train_start",
        "on_train_epoch_start",
        "on_train_epoch_end",
        "on_validation_start",
        "on_validation_epoch_start",
        "on_validation_epoch_end",
        "on_test_start",
        "on_test_epoch_start",
        "on_test_epoch_end",
        "on_validation_end",
        "on_test_end",
    }
)
_REDUCE = {"mean": "mean", "avg": "mean", "sum": "sum", "max": "max", "min": "min"}


def _scalar(value, name):
    """A logged value as a 0-d float tensor (detached)."""
    if isinstance(value, Tensor):
        if value.numel() != 1:
            raise ValueError(
                f"`self.log({name}, {value})` was called, but the tensor must have a single "
                f"element. You can try doing `self.log({name}, {value}.mean())`"
            )
        v = value.detach()
        if v.dim():
            v = v.reshape(())
        return v if v.is_floating_point() else v.float()
    if isinstance(value, (numbers.Number, np.number, np.ndarray)):
        from ..._creation import tensor

        return tensor(float(value))
    raise ValueError(
        f"`self.log({name}, {value})` was called, but `{type(value).__name__}` values cannot be logged"
    )


class _Entry:
    """One logged name in one hook."""

    __slots__ = (
        "name",
        "fx",
        "prog_bar",
        "logger",
        "on_step",
        "on_epoch",
        "reduce",
        "metric",
        "last",
        "total",
        "count",
        "computed",
        "updated",
        "sync",
    )

    def __init__(self, name, fx, prog_bar, logger, on_step, on_epoch, reduce, metric, sync=None):
        self.name, self.fx, self.prog_bar, self.logger = name, fx, prog_bar, logger
        self.on_step, self.on_epoch, self.reduce, self.metric = on_step, on_epoch, reduce, metric
        self.sync = sync   # sync_dist: (value, reduce) -> the value reduced over the ranks
        self.last, self.total, self.count, self.computed, self.updated = None, None, 0, None, False

    def update(self, value, batch_size):
        self.updated = True
        self.computed = None
        if self.metric is not None:  # a Metric object: its last forward is the step value
            cache = getattr(self.metric, "_forward_cache", None)
            self.last = None if cache is None else _scalar(cache, self.name)
            return
        # sync_dist: the step value is reduced when logged, as Lightning's; the epoch value
        # accumulates locally and is reduced once, in epoch_value
        self.last = self.sync(value, self.reduce) if self.sync is not None and self.on_step else value
        if not self.on_epoch:
            return
        if self.reduce == "mean":
            v = value * batch_size
            self.total = v if self.total is None else self.total + v
            self.count += batch_size
        elif self.total is None:
            self.total = value
        elif self.reduce == "sum":
            self.total = self.total + value
        elif self.reduce == "max":
            self.total = self.total if float(self.total) >= float(value) else value
        else:
            self.total = self.total if float(self.total) <= float(value) else value

    def epoch_value(self):
        if self.computed is None:
            if self.metric is not None:
                self.computed = _scalar(self.metric.compute(), self.name)
            elif self.total is not None and self.sync is not None and self.reduce == "mean":
                # the weighted mean over every rank's samples: sum(values * sizes) / sum(sizes)
                from ... import stack

                both = self.sync(stack([self.total, self.total * 0 + float(self.count)]), "sum")
                self.computed = both[0] / both[1]
            elif self.total is not None:
                total = self.total if self.sync is None else self.sync(self.total, self.reduce)
                self.computed = total / self.count if self.reduce == "mean" else total
        return self.computed


class _Results:
    """The entries of one loop (fit, validate, test)."""

    def __init__(self, training, sync_fn=None):
        self.training = training
        self.sync_fn = sync_fn   # the Trainer's reduction over the ranks (sync_dist=True)
        self.entries = {}
        self.batch = None
        self.batch_size = None

    def log(
        self,
        fx,
        name,
        value,
        prog_bar=False,
        logger=None,
        on_step=None,
        on_epoch=None,
        reduce_fx="mean",
        batch_size=None,
        sync_dist=False,
    ):
        if fx in _STEP_FX:
            on_step = True if on_step is None else on_step
            on_epoch = False if on_epoch is None else on_epoch
        elif fx in _EVAL_STEP_FX:
            on_step = False if on_step is None else on_step
            on_epoch = True if on_epoch is None else on_epoch
        elif fx in _EPOCH_FX:
            if on_step:
                raise MisconfigurationException(
                    f"You can't `self.log({name}, ..., on_step=True)` in `{fx}`. Possible values: [False]"
                )
            on_step, on_epoch = False, True if on_epoch is None else on_epoch
        else:
            raise MisconfigurationException(f"You can't `self.log()` inside `{fx}`.")
        reduce = _REDUCE.get(reduce_fx if isinstance(reduce_fx, str) else getattr(reduce_fx, "__name__", ""))
        if reduce is None:
            raise MisconfigurationException(
                f"Only `self.log(..., reduce_fx={{min,max,mean,sum}})` are supported. Found {reduce_fx}"
            )
        metric = value if isinstance(value, Metric) else None
        key = (fx, name)
        entry = self.entries.get(key)
        if entry is None:
            entry = self.entries[key] = _Entry(
                name,
                fx,
                bool(prog_bar),
                True if logger is None else bool(logger),
                bool(on_step),
                bool(on_epoch),
                reduce,
                metric,
                self.sync_fn if sync_dist and metric is None else None,
            )
        if metric is None:
            value = _scalar(value, name)
            if on_epoch and reduce == "mean" and batch_size is None:
                batch_size = self._batch_size()
        entry.update(value, batch_size or 1)

    def _batch_size(self):
        if self.batch_size is None:
            from ...train.engine import find_bs

            self.batch_size = find_bs(self.batch) or 1
        return self.batch_size

    def metrics(self, on_step):
        """{"callback", "log", "pbar"} for the step (during batches) or the epoch (after)."""
        out = {"callback": {}, "log": {}, "pbar": {}}
        for e in self.entries.values():
            if not e.updated:
                continue
            if on_step:
                value = e.last if e.on_step else None
            else:
                value = e.epoch_value() if e.on_epoch else None
            if value is None:
                continue
            forked = (
                e.name if not (e.on_step and e.on_epoch) else f"{e.name}_{'step' if on_step else 'epoch'}"
            )
            if e.logger:
                out["log"][forked] = value
            if self.training or (e.on_epoch and not on_step):
                out["callback"][e.name] = value
                out["callback"][forked] = value
            if e.prog_bar:
                out["pbar"][forked] = value
        return out

    def reset(self):
        """Start a new epoch: Metric objects logged per epoch are reset, as Lightning does."""
        for e in self.entries.values():
            if e.metric is not None and e.on_epoch and e.updated:
                e.metric.reset()
        self.entries = {}
