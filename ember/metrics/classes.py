"""torchmetrics-style stateful metrics.

A ``Metric`` keeps running state (counts and sums, or lists of batches) across ``update``
calls; ``compute`` gives the result over everything seen since ``reset``; ``forward`` (calling
the metric) updates the state and returns the value on that batch alone. Results are ember
Tensors (float in the default dtype; a confusion matrix of counts is int64) on the metric's
device (``to(device)``); the state itself lives on the host.

Every Metric also follows the Learner metric protocol (see ``ember.metrics.functional``):
``reset()``, ``accumulate(pred, targ)`` (= ``update``), ``value`` (the computed result as a
float, a NumPy array for non-scalar results, None before any update) and ``name``.
"""
import copy
import functools
import re
import warnings

import numpy as np

from .._creation import tensor
from .._device import device as _device
from .._dtype import get_default_dtype, int64
from .._tensor import Tensor
from . import _core

__all__ = ["Metric", "Accuracy", "Precision", "Recall", "F1Score", "FBetaScore", "ConfusionMatrix", "AUROC",
           "MeanSquaredError", "MeanAbsoluteError", "R2Score"]

_REDUCTIONS = ("sum", "mean", "cat", "min", "max", None)


def _snake(name):
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", name).lower()


class Metric:
    """Base class: subclasses declare their state with ``add_state`` in ``__init__`` and write
    ``update(*args)`` and ``compute()``.

    ``add_state(name, default, dist_reduce_fx)``: `default` is an array, a Tensor, a number or
    an empty list (for 'cat' states that collect batches); `dist_reduce_fx` ('sum', 'mean',
    'cat', 'min', 'max' or None) says how a batch's state merges into the running state in
    ``forward``.
    """

    is_differentiable = False
    higher_is_better = None
    full_state_update = False

    def __init__(self, **kwargs):
        self._defaults, self._reductions = {}, {}
        self._device = _device("cpu")
        self._update_count = 0
        self._name = None
        self._wrap_methods()

    def _wrap_methods(self):
        # count updates and warn on compute-before-update, also for user subclasses that only
        # write update/compute (torchmetrics does the same)
        update, compute = type(self).update.__get__(self), type(self).compute.__get__(self)

        @functools.wraps(update)
        def wrapped_update(*args, **kwargs):
            self._update_count += 1
            return update(*args, **kwargs)

        @functools.wraps(compute)
        def wrapped_compute():
            if self._update_count == 0:
                warnings.warn(f"The ``compute`` method of metric {type(self).__name__} was called before "
                              "the ``update`` method which may lead to errors, as metric states have not yet "
                              "been updated.", UserWarning, stacklevel=2)
            return compute()

        self.update, self.compute = wrapped_update, wrapped_compute

    def __getstate__(self):
        state = self.__dict__.copy()
        state.pop("update", None)
        state.pop("compute", None)
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        self._wrap_methods()

    def add_state(self, name, default, dist_reduce_fx="sum", persistent=False):
        if not isinstance(default, (list, np.ndarray, Tensor, int, float)) or \
                (isinstance(default, list) and default):
            raise ValueError("state variable must be a tensor or any empty list (where you can append "
                             "tensors)")
        if dist_reduce_fx not in _REDUCTIONS and not callable(dist_reduce_fx):
            raise ValueError("`dist_reduce_fx` must be callable or one of ['mean', 'sum', 'cat', 'min', "
                             "'max', None]")
        self._defaults[name] = default
        self._reductions[name] = dist_reduce_fx
        setattr(self, name, self._fresh(default))

    @staticmethod
    def _fresh(default):
        if isinstance(default, list):
            return []
        if isinstance(default, Tensor):
            return default.clone()
        if isinstance(default, np.ndarray):
            return default.copy()
        return default

    def update(self, *args, **kwargs):
        raise NotImplementedError

    def compute(self):
        raise NotImplementedError

    def reset(self):
        self._update_count = 0
        self._forward_cache = None
        for name, default in self._defaults.items():
            fresh = self._fresh(default)
            setattr(self, name, fresh.to(self._device) if isinstance(fresh, Tensor) else fresh)

    def _merge(self, name, old, new, count):
        fx = self._reductions[name]
        if fx == "cat":
            return list(old) + list(new) if isinstance(old, list) else _cat(old, new)
        if fx == "sum":
            return old + new
        if fx == "mean":
            return (old * (count - 1) + new) / count
        if fx in ("min", "max"):
            if isinstance(old, Tensor):
                from .. import maximum, minimum
                return (maximum if fx == "max" else minimum)(old, new)
            return (np.maximum if fx == "max" else np.minimum)(old, new)
        if callable(fx):
            return fx([old, new])
        return new

    def forward(self, *args, **kwargs):
        """Add the batch to the running state and return the metric on this batch alone."""
        saved = {n: getattr(self, n) for n in self._defaults}
        count = self._update_count
        self.reset()
        self.update(*args, **kwargs)
        batch_value = self.compute()
        for name in self._defaults:
            setattr(self, name, self._merge(name, saved[name], getattr(self, name), count + 1))
        self._update_count = count + 1
        self._forward_cache = batch_value   # what self.log(name, metric) reports per step, as torchmetrics
        return batch_value

    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)

    # ---------------------------------------------------------------- device
    def to(self, device=None, *args, **kwargs):
        if device is not None and not isinstance(device, (str, _device)):   # e.g. a dtype
            return self
        if device is not None:
            self._device = _device(device)
            for name in self._defaults:
                v = getattr(self, name)
                if isinstance(v, Tensor):
                    setattr(self, name, v.to(self._device))
                elif isinstance(v, list):
                    setattr(self, name, [x.to(self._device) if isinstance(x, Tensor) else x for x in v])
        return self

    def cpu(self):
        return self.to("cpu")

    def cuda(self, device=None):
        return self.to("cuda" if device is None else f"cuda:{device}" if isinstance(device, int) else device)

    @property
    def device(self):
        return self._device

    @property
    def update_called(self):
        return self._update_count > 0

    @property
    def update_count(self):
        return self._update_count

    def clone(self):
        return copy.deepcopy(self)

    def _out(self, value, dtype=None):
        return tensor(np.asarray(value), dtype=dtype or get_default_dtype(), device=self._device)

    # ---------------------------------------------------------------- Learner protocol
    def accumulate(self, pred, targ):
        self.update(pred, targ)

    @property
    def value(self):
        if self._update_count == 0:
            return None
        v = self.compute()
        if isinstance(v, Tensor):       # a float, or a host array for per-class results
            return v.item() if v.dim() == 0 else np.array(v)
        return v

    @property
    def name(self):
        return self._name or _snake(type(self).__name__)

    @name.setter
    def name(self, value):
        self._name = value

    def extra_repr(self):
        return ""

    def __repr__(self):
        return f"{type(self).__name__}({self.extra_repr()})"


def _cat(old, new):
    from .. import cat
    return cat([old, new])


# ---------------------------------------------------------------- classification
class _StatScores(Metric):
    """Counts tp, fp, tn, fn per class (per label; one cell for binary) and scores from them."""

    _kind = None

    def __init__(self, task, threshold=0.5, num_classes=None, num_labels=None, average="micro", top_k=1,
                 multidim_average="global", ignore_index=None, validate_args=True, zero_division=0.0,
                 beta=1.0):
        super().__init__()
        _core.check_task(task, num_classes, num_labels)
        _core.check_threshold(threshold)
        _core.check_average(average)
        if multidim_average != "global":
            raise NotImplementedError("only multidim_average='global' is supported")
        if task == "multiclass" and (not isinstance(top_k, int) or not 1 <= top_k <= num_classes):
            raise ValueError(f"Expected argument `top_k` to be an integer in [1, {num_classes}], "
                             f"but got {top_k}")
        if ignore_index is not None and not isinstance(ignore_index, int):
            raise ValueError(f"Expected argument `ignore_index` to either be `None` or an integer, but got "
                             f"{ignore_index}")
        self.task, self.threshold = task, threshold
        self.num_classes, self.num_labels = num_classes, num_labels
        self.average, self.ignore_index = average, ignore_index
        self.top_k = top_k if task == "multiclass" else 1
        self.zero_division, self.beta = zero_division, beta
        n = {"binary": 1, "multiclass": num_classes, "multilabel": num_labels}[task]
        for s in ("tp", "fp", "tn", "fn"):
            self.add_state(s, np.zeros(n, np.int64), "sum")

    def update(self, preds, target):
        counts = _core.stat_scores(self.task, preds, target, num_classes=self.num_classes,
                                   num_labels=self.num_labels, threshold=self.threshold, top_k=self.top_k,
                                   ignore_index=self.ignore_index)
        self.tp, self.fp, self.tn, self.fn = (a + b for a, b in
                                              zip((self.tp, self.fp, self.tn, self.fn), counts))

    def compute(self):
        return self._out(_core.reduce_scores(self._kind, self.tp, self.fp, self.tn, self.fn, self.task,
                                             self.average, top_k=self.top_k, zero_division=self.zero_division,
                                             beta=self.beta))

    def extra_repr(self):
        n = {"multiclass": f", num_classes={self.num_classes}",
             "multilabel": f", num_labels={self.num_labels}"}
        avg = "" if self.task == "binary" else f", average={self.average!r}"
        return f"task={self.task!r}{n.get(self.task, '')}{avg}"


class Accuracy(_StatScores):
    """Accuracy. binary: share of correct thresholded predictions; multiclass: micro = share of
    samples whose label is predicted (within the ``top_k`` best scores), macro = mean per-class
    recall; multilabel: share of correct (sample, label) cells (micro) or per label (macro)."""

    _kind = "accuracy"
    higher_is_better = True


class Precision(_StatScores):
    """Precision tp / (tp + fp), averaged as ``average`` says."""

    _kind = "precision"
    higher_is_better = True


class Recall(_StatScores):
    """Recall tp / (tp + fn), averaged as ``average`` says."""

    _kind = "recall"
    higher_is_better = True


class F1Score(_StatScores):
    """F1 = 2 tp / (2 tp + fp + fn), averaged as ``average`` says."""

    _kind = "f1"
    higher_is_better = True


class FBetaScore(_StatScores):
    """F-beta = (1 + β²) tp / ((1 + β²) tp + β² fn + fp), averaged as ``average`` says."""

    _kind = "fbeta"
    higher_is_better = True

    def __init__(self, task, beta=1.0, threshold=0.5, num_classes=None, num_labels=None, average="micro",
                 top_k=1, multidim_average="global", ignore_index=None, validate_args=True,
                 zero_division=0.0):
        if not (isinstance(beta, (int, float)) and beta > 0):
            raise ValueError(f"Expected argument `beta` to be a float larger than 0, but got {beta}.")
        super().__init__(task, threshold, num_classes, num_labels, average, top_k, multidim_average,
                         ignore_index, validate_args, zero_division, beta)


class ConfusionMatrix(Metric):
    """Confusion matrix: rows are targets, columns predictions. binary: 2×2, multiclass: C×C,
    multilabel: (L, 2, 2). ``normalize``: None, 'true' (rows sum to 1), 'pred' (columns), 'all'."""

    def __init__(self, task, num_classes=None, num_labels=None, threshold=0.5, normalize=None,
                 ignore_index=None, validate_args=True):
        super().__init__()
        _core.check_task(task, num_classes, num_labels)
        _core.check_threshold(threshold)
        if normalize not in ("true", "pred", "all", "none", None):
            raise ValueError("Argument `normalize` needs to one of the following: ('true', 'pred', 'all', "
                             f"'none', None), got {normalize}")
        self.task, self.num_classes, self.num_labels = task, num_classes, num_labels
        self.threshold, self.normalize, self.ignore_index = threshold, normalize, ignore_index
        shape = {"binary": (2, 2), "multiclass": (num_classes, num_classes),
                 "multilabel": (num_labels or 0, 2, 2)}[task]
        self.add_state("confmat", np.zeros(shape, np.int64), "sum")

    def update(self, preds, target):
        if self.task == "binary":
            p, t = _core.binary_format(preds, target, self.threshold, self.ignore_index)
            cm = _core.confusion_matrix(p.astype(np.int64), t.astype(np.int64), 2)
        elif self.task == "multiclass":
            p, t = _core.multiclass_format(preds, target, self.num_classes, self.ignore_index)
            cm = _core.confusion_matrix(p, t, self.num_classes)
        else:
            p, t, valid = _core.multilabel_format(preds, target, self.num_labels, self.threshold,
                                                  self.ignore_index)
            v = np.ones_like(p) if valid is None else valid
            cells = [(~t & ~p), (~t & p), (t & ~p), (t & p)]        # tn, fp, fn, tp
            cm = np.stack([(c & v).sum(0) for c in cells], -1).reshape(-1, 2, 2)
        self.confmat = self.confmat + cm

    def compute(self):
        cm = _core.normalize_confmat(self.confmat, self.normalize)
        return self._out(cm, None if self.normalize not in (None, "none") else int64)

    def plot(self, ax=None, labels=None, cmap="Blues"):
        """Draw the matrix with matplotlib (counts or fractions in the cells); returns (fig, ax)."""
        import matplotlib.pyplot as plt
        cm = self.compute().numpy()
        if cm.ndim == 3:
            raise ValueError("plot() draws one matrix; index a multilabel matrix first")
        fig, ax = (ax.figure, ax) if ax is not None else plt.subplots(figsize=(1 + 0.5 * len(cm),) * 2)
        ax.imshow(cm, cmap=cmap)
        ticks = np.arange(len(cm))
        names = labels if labels is not None else [str(i) for i in ticks]
        ax.set_xticks(ticks, names)
        ax.set_yticks(ticks, names)
        ax.set_xlabel("Predicted")
        ax.set_ylabel("Actual")
        hi = cm.max() if cm.size else 0
        for (i, j), v in np.ndenumerate(cm):
            ax.text(j, i, f"{v:.2f}" if cm.dtype.kind == "f" else str(v), ha="center", va="center",
                    color="white" if v > hi / 2 else "black", fontsize=8)
        return fig, ax


class AUROC(Metric):
    """Area under the ROC curve (exact: every distinct score is a threshold). binary: scores
    or logits shaped like the targets; multiclass: (N, C) scores, one-vs-rest on softmax
    probabilities (softmax applied when the scores leave [0, 1]); multilabel: per label.
    ``average``: 'macro' (default), 'weighted' (by positives), 'none', and 'micro' for multilabel."""

    higher_is_better = True

    def __init__(self, task, num_classes=None, num_labels=None, average="macro", max_fpr=None,
                 thresholds=None, ignore_index=None, validate_args=True):
        super().__init__()
        _core.check_task(task, num_classes, num_labels)
        allowed = ("micro", "macro", "weighted", "none", None) if task == "multilabel" else \
            ("macro", "weighted", "none", None)
        _core.check_average(average, allowed)
        if max_fpr is not None or thresholds is not None:
            raise NotImplementedError("AUROC supports max_fpr=None and thresholds=None (exact) only")
        self.task, self.num_classes, self.num_labels = task, num_classes, num_labels
        self.average, self.ignore_index = average, ignore_index
        self.add_state("preds", [], "cat")
        self.add_state("target", [], "cat")

    def update(self, preds, target):
        p, t = _core.to_numpy(preds), _core.to_numpy(target)
        if self.task == "binary":
            p = _core._same_shape(p, t)
            _core._check_binary_values(t, "target", self.ignore_index)
            p, t = p.reshape(-1), t.reshape(-1)
        elif self.task == "multiclass":
            if p.ndim != t.ndim + 1 or p.shape[1] != self.num_classes:
                raise ValueError(f"Expected `preds` of shape (N, {self.num_classes}, ...) and `target` of "
                                 f"shape (N, ...), got {tuple(p.shape)} and {tuple(t.shape)}")
            p = _core.maybe_softmax(p.astype(np.float64), 1)
            p, t = np.moveaxis(p, 1, -1).reshape(-1, self.num_classes), t.reshape(-1)
            _core._check_range(t, self.num_classes, "target", self.ignore_index)
        else:
            if p.shape != t.shape or p.ndim < 2 or p.shape[1] != self.num_labels:
                raise ValueError(f"Expected `preds` and `target` of shape (N, {self.num_labels}, ...), got "
                                 f"{tuple(p.shape)} and {tuple(t.shape)}")
            _core._check_binary_values(t, "target", self.ignore_index)
            p = np.moveaxis(p, 1, -1).reshape(-1, self.num_labels)
            t = np.moveaxis(t, 1, -1).reshape(-1, self.num_labels)
        if self.ignore_index is not None and self.task != "multilabel":
            keep = t != self.ignore_index
            p, t = p[keep], t[keep]
        self.preds.append(np.array(p))
        self.target.append(np.array(t))

    def compute(self):
        if not self.preds:
            return self._out(np.nan)
        p, t = np.concatenate(self.preds), np.concatenate(self.target)
        if self.task == "binary":
            return self._out(_core.binary_auc(p, t))
        if self.task == "multiclass":
            return self._out(_core.multi_auc(p, t[:, None] == np.arange(self.num_classes), self.average))
        if self.ignore_index is not None:
            # per label, only the cells whose target is not ignored
            keep = t != self.ignore_index
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                per = np.array([_core.binary_auc(p[keep[:, k], k], t[keep[:, k], k])
                                for k in range(t.shape[1])])
            if self.average in (None, "none"):
                return self._out(per)
            if self.average == "micro":
                return self._out(_core.binary_auc(p[keep], t[keep]))
            ok = ~np.isnan(per)
            w = np.ones(per.size) if self.average == "macro" else ((t == 1) & keep).sum(0)
            return self._out((per[ok] * w[ok]).sum() / w[ok].sum() if ok.any() else np.nan)
        return self._out(_core.multi_auc(p, t == 1, self.average))


# ---------------------------------------------------------------- regression
class _Regression(Metric):
    is_differentiable = True
    higher_is_better = False

    def __init__(self, num_outputs=1):
        super().__init__()
        if not isinstance(num_outputs, int) or num_outputs < 1:
            raise ValueError(f"Expected num_outputs to be a positive integer but got {num_outputs}")
        self.num_outputs = num_outputs
        self.add_state("total", np.zeros((), np.int64), "sum")

    def _pairs(self, preds, target):
        p, t = _core.regression_pair(preds, target)
        if self.num_outputs == 1:
            return p.reshape(-1, 1), t.reshape(-1, 1)
        return p.reshape(-1, self.num_outputs), t.reshape(-1, self.num_outputs)

    def _value(self, per_output):
        return self._out(per_output[0] if self.num_outputs == 1 else per_output)


class MeanSquaredError(_Regression):
    """Mean squared error; ``squared=False`` gives the root mean squared error."""

    def __init__(self, squared=True, num_outputs=1):
        super().__init__(num_outputs)
        if not isinstance(squared, bool):
            raise ValueError(f"Expected argument `squared` to be a boolean but got {squared}")
        self.squared = squared
        self.add_state("sum_squared_error", np.zeros(num_outputs), "sum")

    def update(self, preds, target):
        p, t = self._pairs(preds, target)
        self.sum_squared_error = self.sum_squared_error + ((p - t) ** 2).sum(0)
        self.total = self.total + t.shape[0]

    def compute(self):
        v = _core.safe_divide(self.sum_squared_error, self.total, np.nan)
        return self._value(v if self.squared else np.sqrt(v))


class MeanAbsoluteError(_Regression):
    """Mean absolute error."""

    def __init__(self, num_outputs=1):
        super().__init__(num_outputs)
        self.add_state("sum_abs_error", np.zeros(num_outputs), "sum")

    def update(self, preds, target):
        p, t = self._pairs(preds, target)
        self.sum_abs_error = self.sum_abs_error + np.abs(p - t).sum(0)
        self.total = self.total + t.shape[0]

    def compute(self):
        return self._value(_core.safe_divide(self.sum_abs_error, self.total, np.nan))


class R2Score(_Regression):
    """Coefficient of determination R² (scikit-learn's r2_score); ``adjusted`` = number of
    regressors for the adjusted score; ``multioutput``: 'uniform_average', 'raw_values',
    'variance_weighted'."""

    higher_is_better = True

    def __init__(self, num_outputs=1, adjusted=0, multioutput="uniform_average"):
        super().__init__(num_outputs)
        if not isinstance(adjusted, int) or adjusted < 0:
            raise ValueError("`adjusted` parameter should be an integer larger or equal to 0.")
        if multioutput not in ("raw_values", "uniform_average", "variance_weighted"):
            raise ValueError("Invalid input to argument `multioutput`. Choose one of the following: "
                             f"('raw_values', 'uniform_average', 'variance_weighted'), got {multioutput}.")
        self.adjusted, self.multioutput = adjusted, multioutput
        for s in ("sum_target", "sum_squared_target", "sum_squared_error"):
            self.add_state(s, np.zeros(num_outputs), "sum")

    def update(self, preds, target):
        p, t = self._pairs(preds, target)
        self.sum_target = self.sum_target + t.sum(0)
        self.sum_squared_target = self.sum_squared_target + (t * t).sum(0)
        self.sum_squared_error = self.sum_squared_error + ((t - p) ** 2).sum(0)
        self.total = self.total + t.shape[0]

    def compute(self):
        return self._out(_core.r2_from_sums(self.total, self.sum_target, self.sum_squared_target,
                                            self.sum_squared_error, self.multioutput, self.adjusted))
