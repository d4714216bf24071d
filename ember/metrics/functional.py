"""fastai-style metrics for a Learner: per-batch functions and accumulating metrics.

The Learner metric protocol
---------------------------
``Learner(..., metrics=[...])`` takes two kinds of metric; tell them apart with
``hasattr(m, "accumulate")`` (test that first: an accumulating metric may be callable too).

* A plain function ``f(pred, targ)``: called on every validation batch with the model's output
  and the targets; it returns a number or a 0-d Tensor. The Learner averages the batch values
  weighted by batch size (``len(targ)``). Its name is ``f.__name__``.
  Here: ``accuracy``, ``error_rate``, ``top_k_accuracy``, ``accuracy_multi``, ``mse``, ``mae``,
  ``msle`` (and ``functools.partial`` of them; name those by ``func.__name__``).
* An accumulating metric: an object with
    - ``reset()``: forget everything; called before each validation pass,
    - ``accumulate(pred, targ)``: take one batch (outputs and targets: Tensors, detached or
      not, on any device, or arrays); called for every validation batch,
    - ``value``: the result over everything accumulated since ``reset``: a float (a NumPy array
      for per-class results such as ``average=None``), or ``None`` when nothing was accumulated,
    - ``name``: the column name for the results table (a str).
  Here: ``AccumMetric`` and its subclasses ``F1Score``, ``FBeta``, ``Precision``, ``Recall``,
  ``RocAuc``, ``RocAucBinary``, ``R2Score`` (alias ``R2``), and ``rmse`` (an instance: calling it
  on one batch also works). Every torchmetrics-style ``ember.metrics.Metric`` (``Accuracy``,
  ``F1Score``, ``ConfusionMatrix`` …) follows the same protocol.

Inputs: ``pred`` is what the model returns: class scores (logits or probabilities) with the
class axis ``axis`` (default last), or labels shaped like ``targ``. A float ``pred`` shaped like
``targ`` (or with one trailing size-1 axis: a single-logit binary head) is a binary score: it is
thresholded at 0.5 after a sigmoid when its values leave [0, 1] (they are then logits).
Values equal scikit-learn's for the same labels (scikit-learn is not needed at run time).
"""
import numpy as np

from .._creation import tensor
from .._dtype import get_default_dtype
from . import _core
from ._core import to_numpy

__all__ = ["accuracy", "error_rate", "top_k_accuracy", "accuracy_multi", "mse", "mae", "msle", "rmse",
           "r2_score", "AccumMetric", "F1Score", "FBeta", "Precision", "Recall", "RocAuc", "RocAucBinary",
           "R2Score", "R2"]


def _scalar(v):
    return tensor(float(v), dtype=get_default_dtype())


def _flatten_check(inp, targ):
    inp, targ = inp.reshape(-1), targ.reshape(-1)
    if inp.size != targ.size:
        raise ValueError(f"inp and targ do not have the same number of elements: {inp.size} vs {targ.size}.")
    return inp, targ


def _labels(inp, targ, axis=-1, thresh=0.5):
    """Predicted labels from scores (argmax over `axis`), binary scores (threshold) or labels."""
    p, t = to_numpy(inp), to_numpy(targ)
    if p.ndim == t.ndim + 1 and p.shape[axis] == 1:
        p = np.squeeze(p, axis)                   # a single-logit binary head
    if p.shape != t.shape:
        p = p.argmax(axis=axis)                   # class scores
    elif _core.is_float(p) and not np.array_equal(p, np.round(p)):
        p = _core.maybe_sigmoid(p) > thresh       # binary scores (labels stored as floats stay labels)
    return _flatten_check(p, t)


# ---------------------------------------------------------------- per-batch functions
def accuracy(inp, targ, axis=-1):
    """Share of predictions equal to the targets (argmax of `inp` over `axis`)."""
    p, t = _labels(inp, targ, axis)
    with np.errstate(invalid="ignore"):
        return _scalar(np.mean(p == t) if t.size else np.nan)


def error_rate(inp, targ, axis=-1):
    """1 - accuracy."""
    return _scalar(1.0 - float(accuracy(inp, targ, axis)))


def top_k_accuracy(inp, targ, k=5, axis=-1):
    """Share of samples whose target is among the `k` highest scores along `axis`."""
    p, t = to_numpy(inp), to_numpy(targ)
    p = np.moveaxis(p, axis, -1)
    k = min(k, p.shape[-1])
    top = np.argpartition(-p, k - 1, axis=-1)[..., :k]
    hit = (top == t[..., None]).any(-1)
    return _scalar(hit.mean() if hit.size else np.nan)


def accuracy_multi(inp, targ, thresh=0.5, sigmoid=True):
    """Multi-label accuracy: every (sample, label) cell compared after `sigmoid` and `thresh`."""
    p, t = to_numpy(inp), to_numpy(targ)
    if sigmoid:
        p = _core.sigmoid(p)
    p, t = _flatten_check(p > thresh, t)
    return _scalar((p == t.astype(bool)).mean() if t.size else np.nan)


def mse(inp, targ):
    """Mean squared error."""
    p, t = _flatten_check(*_core.regression_pair(inp, targ))
    return _scalar(np.mean((p - t) ** 2) if t.size else np.nan)


def mae(inp, targ):
    """Mean absolute error."""
    p, t = _flatten_check(*_core.regression_pair(inp, targ))
    return _scalar(np.mean(np.abs(p - t)) if t.size else np.nan)


def msle(inp, targ):
    """Mean squared logarithmic error, on log(1 + x)."""
    p, t = _flatten_check(*_core.regression_pair(inp, targ))
    with np.errstate(invalid="ignore"):
        return _scalar(np.mean((np.log1p(p) - np.log1p(t)) ** 2) if t.size else np.nan)


def r2_score(inp, targ, multioutput="uniform_average"):
    """Coefficient of determination (scikit-learn's r2_score, arguments in ember's order: pred
    first). `inp` is (N,) or (N, outputs)."""
    p, t = _core.regression_pair(inp, targ)
    p, t = p.reshape(p.shape[0], -1), t.reshape(t.shape[0], -1)
    out = _core.r2_from_sums(t.shape[0], t.sum(0), (t * t).sum(0), ((t - p) ** 2).sum(0), multioutput)
    return tensor(np.asarray(out), dtype=get_default_dtype()) if np.ndim(out) else _scalar(out)


# ---------------------------------------------------------------- accumulating metrics
class AccumMetric:
    """Keeps every batch's predictions and targets and calls ``func(preds, targs, **kwargs)`` on
    all of them at the end (for metrics that are not averages over batches: F1, AUC, R² …).

    Before `func`, on the concatenated NumPy arrays: ``dim_argmax`` takes the argmax over that
    axis; ``activation`` ('softmax' over ``dim_argmax`` or the last axis, or 'sigmoid') runs
    instead when given; ``thresh`` then turns scores into booleans (``>= thresh``); ``flatten``
    flattens both. Calling the metric on one batch computes it on that batch alone.
    """

    def __init__(self, func, name=None, dim_argmax=None, activation=None, thresh=None, flatten=True,
                 **kwargs):
        self.func, self.dim_argmax, self.activation = func, dim_argmax, activation
        self.thresh, self.flatten, self.kwargs = thresh, flatten, kwargs
        self._name = name
        self.reset()

    def reset(self):
        self._preds, self._targs = [], []

    def accumulate(self, pred, targ):
        # copies: the caller may reuse or modify its buffers
        self._preds.append(np.array(to_numpy(pred)))
        self._targs.append(np.array(to_numpy(targ)))

    def _prepare(self, p, t):
        if self.activation == "softmax":
            p = _core.softmax(p, -1 if self.dim_argmax is None else self.dim_argmax)
        elif self.activation == "sigmoid":
            p = _core.sigmoid(p)
        elif self.dim_argmax is not None:
            p = p.argmax(axis=self.dim_argmax)
        if self.thresh is not None:
            p = p >= self.thresh
        if self.flatten:
            p, t = p.reshape(-1), t.reshape(-1)
        return p, t

    def _compute(self, p, t):
        p, t = self._prepare(p, t)
        return self.func(p, t, **self.kwargs)

    @property
    def value(self):
        if not self._preds:
            return None
        p = np.concatenate([np.atleast_1d(a) for a in self._preds])
        t = np.concatenate([np.atleast_1d(a) for a in self._targs])
        v = self._compute(p, t)
        return float(v) if np.ndim(v) == 0 else v

    def __call__(self, pred, targ):
        v = self._compute(to_numpy(pred), to_numpy(targ))
        return float(v) if np.ndim(v) == 0 else v

    @property
    def name(self):
        if self._name is not None:
            return self._name
        f = getattr(self.func, "func", self.func)       # functools.partial
        return getattr(f, "__name__", type(self).__name__)

    @name.setter
    def name(self, value):
        self._name = value

    def __repr__(self):
        return f"{type(self).__name__}({self.name})"


def _rmse(p, t):
    return float(np.sqrt(np.mean((p.astype(np.float64) - t) ** 2))) if t.size else float("nan")


rmse = AccumMetric(_rmse, name="rmse")
rmse.__doc__ = "Root mean squared error over the whole validation set (an AccumMetric instance)."


def _prf(p, t, kind, beta=1.0, labels=None, pos_label=1, average="binary", sample_weight=None,
         zero_division=0.0):
    """precision / recall / F-beta on label arrays, with scikit-learn's `labels`, `pos_label`,
    `average` ('binary', 'micro', 'macro', 'weighted', None) and `sample_weight`."""
    present = np.union1d(t, p)
    if average == "binary":
        if present.size > 2:
            raise ValueError("Target is multiclass but average='binary'. Please choose another average "
                             "setting, one of [None, 'micro', 'macro', 'weighted'].")
        if pos_label not in present and present.size >= 2:
            raise ValueError(f"pos_label={pos_label} is not a valid label. It should be one of "
                             f"{present.tolist()}")
        labels = np.array([pos_label])
    elif average not in ("micro", "macro", "weighted", None):
        raise ValueError("average has to be one of (None, 'micro', 'macro', 'weighted', 'binary')")
    labels = present if labels is None else np.asarray(labels)
    every = np.union1d(present, labels)
    ti, pi = np.searchsorted(every, t), np.searchsorted(every, p)
    w = np.ones(t.size) if sample_weight is None else np.asarray(sample_weight, np.float64).reshape(-1)
    n = every.size
    tp = np.bincount(ti[ti == pi], w[ti == pi], minlength=n)
    pred_sum = np.bincount(pi, w, minlength=n)
    true_sum = np.bincount(ti, w, minlength=n)
    sel = np.searchsorted(every, labels)
    tp, fp, fn = tp[sel], pred_sum[sel] - tp[sel], true_sum[sel] - tp[sel]
    if average == "micro":
        tp, fp, fn = tp.sum(), fp.sum(), fn.sum()
    if kind == "precision":
        score = _core.safe_divide(tp, tp + fp, zero_division)
    elif kind == "recall":
        score = _core.safe_divide(tp, tp + fn, zero_division)
    else:
        b2 = beta * beta
        score = _core.safe_divide((1 + b2) * tp, (1 + b2) * tp + b2 * fn + fp, zero_division)
    if average in ("micro", "binary"):
        return float(np.asarray(score).reshape(-1)[0])
    if average is None:
        return score
    if average == "weighted":
        support = tp + fn
        return float(_core.safe_divide((score * support).sum(), support.sum(), zero_division))
    return float(score.mean()) if score.size else float(zero_division)


class _LabelMetric(AccumMetric):
    """Accumulates, turns scores into labels (argmax over `axis` or binary threshold), then scores."""

    def __init__(self, kind, name, axis=-1, labels=None, pos_label=1, average="binary", sample_weight=None,
                 beta=1.0, zero_division=0.0, thresh=0.5):
        super().__init__(_prf, name=name, flatten=False, kind=kind, beta=beta, labels=labels,
                         pos_label=pos_label, average=average, sample_weight=sample_weight,
                         zero_division=zero_division)
        self.axis, self._thresh = axis, thresh

    def _compute(self, p, t):
        p, t = _labels(p, t, self.axis, self._thresh)
        return self.func(p, t, **self.kwargs)


class F1Score(_LabelMetric):
    """F1 score over the validation set (scikit-learn's f1_score arguments)."""

    def __init__(self, axis=-1, labels=None, pos_label=1, average="binary", sample_weight=None):
        super().__init__("f1", "f1_score", axis, labels, pos_label, average, sample_weight)


class FBeta(_LabelMetric):
    """F-beta score over the validation set (scikit-learn's fbeta_score arguments)."""

    def __init__(self, beta, axis=-1, labels=None, pos_label=1, average="binary", sample_weight=None):
        super().__init__("fbeta", "fbeta_score", axis, labels, pos_label, average, sample_weight, beta=beta)


class Precision(_LabelMetric):
    """Precision over the validation set (scikit-learn's precision_score arguments)."""

    def __init__(self, axis=-1, labels=None, pos_label=1, average="binary", sample_weight=None):
        super().__init__("precision", "precision_score", axis, labels, pos_label, average, sample_weight)


class Recall(_LabelMetric):
    """Recall over the validation set (scikit-learn's recall_score arguments)."""

    def __init__(self, axis=-1, labels=None, pos_label=1, average="binary", sample_weight=None):
        super().__init__("recall", "recall_score", axis, labels, pos_label, average, sample_weight)


def _roc_auc(p, t, axis=-1, average="macro", sample_weight=None):
    t = t.reshape(-1) if p.ndim == t.ndim + 1 else t
    if p.ndim == t.ndim + 1 and p.shape[axis] == 1:
        p = np.squeeze(p, axis)
    if p.shape == t.shape:                                   # binary scores (any monotone scale)
        return _core.binary_auc(p, t, sample_weight)
    p = np.moveaxis(p, axis, -1).reshape(-1, p.shape[axis])
    c = p.shape[1]
    if c == 2:                                               # two-way softmax: rank by the logit gap
        gap = p[:, 1] - p[:, 0] if _core._outside_unit(p) else p[:, 1]
        return _core.binary_auc(gap, t, sample_weight)
    onehot = t.reshape(-1, 1) == np.arange(c)
    return _core.multi_auc(_core.maybe_softmax(p, 1), onehot, average, sample_weight)


class RocAuc(AccumMetric):
    """Area under the ROC curve over the validation set. Binary: scores shaped like the targets
    (or two class columns); multi-class: one-vs-rest on softmax probabilities, averaged ('macro',
    'weighted' or None for per class), as scikit-learn's roc_auc_score(multi_class='ovr')."""

    def __init__(self, axis=-1, average="macro", sample_weight=None, max_fpr=None, multi_class="ovr"):
        if max_fpr is not None or multi_class != "ovr":
            raise NotImplementedError("RocAuc supports max_fpr=None and multi_class='ovr' only")
        _core.check_average(average, ("macro", "weighted", "micro", None))
        super().__init__(_roc_auc, name="roc_auc_score", flatten=False, axis=axis, average=average,
                         sample_weight=sample_weight)


class RocAucBinary(RocAuc):
    """ROC AUC for a binary task (scores or logits shaped like the targets)."""

    def __init__(self, axis=-1, average="macro", sample_weight=None, max_fpr=None):
        super().__init__(axis, average, sample_weight, max_fpr)


def _r2(p, t, multioutput="uniform_average"):
    p = p.reshape(p.shape[0], -1).astype(np.float64)
    t = t.reshape(t.shape[0], -1).astype(np.float64)
    if p.shape != t.shape:
        raise ValueError(f"Predictions and targets are expected to have the same shape, got {p.shape} and "
                         f"{t.shape}")
    return _core.r2_from_sums(t.shape[0], t.sum(0), (t * t).sum(0), ((t - p) ** 2).sum(0), multioutput)


class R2Score(AccumMetric):
    """R² over the validation set (scikit-learn's r2_score)."""

    def __init__(self, multioutput="uniform_average"):
        super().__init__(_r2, name="r2_score", flatten=False, multioutput=multioutput)


R2 = R2Score
