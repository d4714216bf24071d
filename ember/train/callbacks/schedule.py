"""Hyperparameter schedules (functions of the training position ``pos`` in [0, 1]), the
ParamScheduler that applies them every batch, one-cycle, and the learning-rate finder with its
suggestion functions (valley, steepest, minimum)."""
import bisect
import collections
import copy
import functools
import math

import numpy as np

from .._hypers import get_hyper, set_hyper
from ..engine import Callback, CancelFitException, CancelValidException

__all__ = ["SchedLin", "SchedCos", "SchedNo", "SchedExp", "SchedPoly", "combine_scheds",
           "combined_cos", "ParamScheduler", "OneCycleScheduler", "one_cycle_scheds",
           "LRFinder", "valley", "steepest", "steep", "minimum", "SuggestedLRs"]


def _arr(v):
    # Per-group values (lists) become arrays so the formulas apply to all groups at once.
    return np.asarray(v, dtype=np.float64) if isinstance(v, (list, tuple, np.ndarray)) else float(v)


class _Sched:
    """A schedule from ``start`` to ``end``: call it with ``pos`` in [0, 1]."""

    def __init__(self, start, end):
        self.start, self.end = _arr(start), _arr(end)

    def __repr__(self):
        return f"{type(self).__name__}({self.start}, {self.end})"


class SchedLin(_Sched):
    """Linear from start to end."""

    def __call__(self, pos):
        return self.start + pos * (self.end - self.start)


class SchedCos(_Sched):
    """Half a cosine from start to end (flat at both ends)."""

    def __call__(self, pos):
        return self.start + (1 + math.cos(math.pi * (1 - pos))) * (self.end - self.start) / 2


class SchedNo(_Sched):
    """Constant ``start``."""

    def __call__(self, pos):
        return self.start


class SchedExp(_Sched):
    """Exponential (linear on a log scale) from start to end."""

    def __call__(self, pos):
        return self.start * (self.end / self.start) ** pos


class SchedPoly(_Sched):
    """``start + (end - start) * pos ** power``."""

    def __init__(self, start, end, power):
        super().__init__(start, end)
        self.power = power

    def __call__(self, pos):
        return self.start + (self.end - self.start) * pos ** self.power


def combine_scheds(pcts, scheds):
    """Run ``scheds[i]`` over the fraction ``pcts[i]`` of training (the pcts sum to 1)."""
    if len(pcts) != len(scheds):
        raise ValueError("combine_scheds: need one pct per schedule")
    if any(p < 0 for p in pcts) or not math.isclose(sum(pcts), 1.0, abs_tol=1e-6):
        raise ValueError(f"combine_scheds: pcts must be >= 0 and sum to 1, got {pcts}")
    bounds = np.cumsum([0.0] + list(pcts)).tolist()

    def _combined(pos):
        # The last phase whose start is <= pos; zero-width phases are skipped by construction.
        i = min(bisect.bisect_right(bounds, pos) - 1, len(scheds) - 1)
        i = max(i, 0)
        while pcts[i] == 0 and i > 0:
            i -= 1
        return scheds[i]((pos - bounds[i]) / pcts[i] if pcts[i] else 0.0)

    return _combined


def combined_cos(pct, start, middle, end):
    """Cosine from start to middle over the first ``pct`` of training, then to end."""
    return combine_scheds([pct, 1 - pct], [SchedCos(start, middle), SchedCos(middle, end)])


def one_cycle_scheds(lr_max, div=25.0, div_final=1e5, pct_start=0.25, moms=(0.95, 0.85, 0.95)):
    """The ``{'lr': …, 'mom': …}`` schedules of one-cycle training."""
    lr_max = _arr(lr_max)
    scheds = {"lr": combined_cos(pct_start, lr_max / div, lr_max, lr_max / div_final)}
    if moms is not None:
        scheds["mom"] = combined_cos(pct_start, *moms)
    return scheds


class ParamScheduler(Callback):
    """Sets optimizer hyperparameters before every training batch from schedules
    ``{name: sched}`` (names: ``lr``, ``mom``, ``sqr_mom``, ``wd``, ``eps``) evaluated at
    ``pct_train``; records what it set in ``hps`` (the last group's value per batch)."""

    order = 60
    run_valid = False

    def __init__(self, scheds):
        self.scheds = dict(scheds)
        self.hps = {p: [] for p in self.scheds}

    def before_fit(self):
        self.hps = {p: [] for p in self.scheds}

    def before_batch(self):
        self._update(self.pct_train)

    def _update(self, pos):
        for name, f in self.scheds.items():
            set_hyper(self.opt, name, f(pos))

    def after_batch(self):
        for name in self.scheds:
            self.hps[name].append(get_hyper(self.opt, name)[-1])

    def after_fit(self):
        rec = getattr(self.learn, "recorder", None)
        if rec is not None:
            rec.hps = self.hps


class OneCycleScheduler(ParamScheduler):
    """One-cycle training (Smith 2018) as fastai does it: the learning rate goes from
    ``lr_max / div`` up to ``lr_max`` over ``pct_start`` of training and down to
    ``lr_max / div_final``, both on half cosines; momentum goes the opposite way through
    ``moms``."""

    def __init__(self, lr_max, div=25.0, div_final=1e5, pct_start=0.25, moms=(0.95, 0.85, 0.95)):
        super().__init__(one_cycle_scheds(lr_max, div, div_final, pct_start, moms))


class LRFinder(ParamScheduler):
    """Leslie Smith's learning-rate range test: raise the learning rate exponentially from
    ``start_lr`` to ``end_lr`` over ``num_it`` training batches, recording the loss (``lrs``,
    ``losses``: the smoothed loss), and stop early once the loss exceeds 4× its best
    (``stop_div``). The model's weights and the optimizer's state are put back afterwards."""

    order = 60

    def __init__(self, start_lr=1e-7, end_lr=10, num_it=100, stop_div=True):
        if isinstance(start_lr, (list, tuple)) != isinstance(end_lr, (list, tuple)):
            raise ValueError("LRFinder: start_lr and end_lr must both be numbers or both lists")
        super().__init__({"lr": SchedExp(start_lr, end_lr)})
        self.num_it, self.stop_div = num_it, stop_div
        self.lrs, self.losses = [], []

    def before_fit(self):
        super().before_fit()
        self.lrs, self.losses, self.best_loss = [], [], math.inf
        self._saved = (_clone_state(self.model.state_dict()), copy.deepcopy(self.opt.state_dict()))

    def before_batch(self):
        self._update(self.train_iter / self.num_it)

    def after_batch(self):
        super().after_batch()
        rec = getattr(self.learn, "recorder", None)
        loss = rec.losses[-1] if rec is not None and rec.losses else float(self.learn.loss)
        self.lrs.append(self.opt.param_groups[-1]["lr"])
        self.losses.append(loss)
        self.best_loss = min(self.best_loss, loss)
        if self.stop_div and (loss > 4 * self.best_loss or math.isnan(loss)):
            raise CancelFitException()
        if self.train_iter >= self.num_it:
            raise CancelFitException()

    def before_validate(self):
        raise CancelValidException()

    def after_fit(self):
        super().after_fit()
        self.opt.zero_grad()
        model_sd, opt_sd = self._saved
        self.model.load_state_dict(model_sd)
        self.opt.load_state_dict(opt_sd)
        self._saved = None

    def plot_lr_find(self, suggestions=None, **kwargs):
        from ..plots import plot_lr_find
        return plot_lr_find(self.lrs, self.losses, suggestions, **kwargs)


def _clone_state(sd):
    return type(sd)((k, v.detach().clone()) for k, v in sd.items())


# ---- suggestions from an LR-finder curve: f(lrs, losses, num_it) -> (lr, (x, y) to mark) ----

def valley(lrs, losses, num_it=None):
    """The middle of the longest descent: take the longest run of ever-lower losses (the
    longest decreasing subsequence) and suggest a learning rate halfway into it."""
    lrs, losses = np.asarray(lrs, dtype=np.float64), np.asarray(losses, dtype=np.float64)
    n = len(losses)
    run = np.ones(n, dtype=np.int64)   # length of the longest decreasing subsequence ending at i
    start = np.arange(n)               # … and where it starts
    for i in range(1, n):
        higher = np.nonzero(losses[:i] > losses[i])[0]
        if len(higher):
            j = higher[np.argmax(run[higher])]
            run[i], start[i] = run[j] + 1, start[j]
    end = int(np.argmax(run))
    begin = int(start[end])
    third = (end - begin) / 3
    idx = begin + int(third) + int(third / 2)
    return float(lrs[idx]), (float(lrs[idx]), float(losses[idx]))


def steepest(lrs, losses, num_it=None):
    """Where the loss falls fastest against log(lr)."""
    lrs, losses = np.asarray(lrs, dtype=np.float64), np.asarray(losses, dtype=np.float64)
    slope = np.diff(losses) / np.diff(np.log(lrs))
    idx = int(np.nanargmin(slope))
    return float(lrs[idx]), (float(lrs[idx]), float(losses[idx]))


steep = steepest


def minimum(lrs, losses, num_it=None):
    """A tenth of the learning rate with the lowest loss."""
    lrs, losses = np.asarray(lrs, dtype=np.float64), np.asarray(losses, dtype=np.float64)
    idx = int(np.nanargmin(losses))
    return float(lrs[idx]) / 10, (float(lrs[idx]), float(losses[idx]))


@functools.lru_cache(maxsize=None)
def SuggestedLRs(names):
    """The named-tuple type of ``lr_find``'s result, one field per suggestion function
    (``names``: a tuple of the functions' names)."""
    return collections.namedtuple("SuggestedLRs", names)
