"""The NumPy work shared by ``ember.metrics``: turning model outputs into labels, counting
true/false positives/negatives, averaging them, and ROC AUC.

Everything here takes and returns host NumPy arrays; the public modules convert Tensors on the
way in and back to Tensors on the way out. Counts are int64, scores float64.
"""
import warnings

import numpy as np

from .._tensor import Tensor

TASKS = ("binary", "multiclass", "multilabel")
AVERAGES = ("micro", "macro", "weighted", "none", None)


def to_numpy(x):
    """A host NumPy array from an ember Tensor (any device, grad or not), an array or a list."""
    if isinstance(x, np.ndarray):
        return x
    if isinstance(x, Tensor):
        return x.detach().numpy(force=True)
    if hasattr(x, "detach"):           # a torch tensor, say
        x = x.detach()
        if hasattr(x, "cpu"):
            x = x.cpu()
    return np.asarray(x)


def is_float(a):
    return a.dtype.kind in "fc"


def sigmoid(x):
    # tanh form: no overflow for large |x|
    return 0.5 + 0.5 * np.tanh(0.5 * np.asarray(x, np.float64))


def softmax(x, axis):
    x = np.asarray(x, np.float64)
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _outside_unit(p):
    return p.size > 0 and bool(((p < 0) | (p > 1)).any())


def maybe_sigmoid(p):
    """Float scores outside [0, 1] are taken as logits (torchmetrics' rule)."""
    return sigmoid(p) if _outside_unit(p) else p


def maybe_softmax(p, axis):
    return softmax(p, axis) if _outside_unit(p) else p


def safe_divide(num, den, zero_division=0.0):
    num = np.asarray(num, np.float64)
    den = np.asarray(den, np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = num / np.where(den == 0, 1.0, den)
    return np.where(den == 0, float(zero_division), out)


# ---------------------------------------------------------------- validation of arguments
def check_task(task, num_classes, num_labels):
    if task not in TASKS:
        raise ValueError(f"Invalid Classification: expected one of {TASKS} but got {task!r}")
    if task == "multiclass" and (not isinstance(num_classes, int) or num_classes < 2):
        raise ValueError("Expected argument `num_classes` to be an integer larger than 1, "
                         f"but got {num_classes}")
    if task == "multilabel" and (not isinstance(num_labels, int) or num_labels < 2):
        raise ValueError("Expected argument `num_labels` to be an integer larger than 1, "
                         f"but got {num_labels}")


def check_average(average, allowed=AVERAGES):
    if average not in allowed:
        raise ValueError(f"Expected argument `average` to be one of {allowed}, but got {average}")


def check_threshold(threshold):
    if not (isinstance(threshold, (float, int)) and 0 <= threshold <= 1):
        raise ValueError("Expected argument `threshold` to be a float in the [0,1] range, "
                         f"but got {threshold}.")


# ---------------------------------------------------------------- inputs → labels
def _same_shape(p, t):
    # a trailing size-1 output axis (an (N, 1) single-logit head) is dropped
    if p.shape != t.shape and p.ndim == t.ndim + 1 and p.shape[-1] == 1:
        p = p.reshape(p.shape[:-1])
    if p.shape != t.shape:
        raise ValueError(f"Predictions and targets are expected to have the same shape, but got "
                         f"{tuple(p.shape)} and {tuple(t.shape)}.")
    return p


def _check_binary_values(a, what, ignore_index=None):
    bad = (a != 0) & (a != 1)
    if ignore_index is not None:
        bad &= a != ignore_index
    if bad.any():
        raise RuntimeError(f"Detected the following values in `{what}`: {np.unique(a).tolist()} but "
                           f"expected only the following values {[0, 1]}"
                           + ("" if ignore_index is None else f" and {ignore_index} (ignore_index)") + ".")


def binary_format(preds, target, threshold=0.5, ignore_index=None):
    """Flat boolean predictions and targets of a binary task, ignored positions removed."""
    p, t = to_numpy(preds), to_numpy(target)
    p = _same_shape(p, t)
    _check_binary_values(t, "target", ignore_index)
    if is_float(p):
        p = maybe_sigmoid(p) > threshold
    else:
        _check_binary_values(p, "preds")
    p, t = p.reshape(-1), t.reshape(-1)
    if ignore_index is not None:
        keep = t != ignore_index
        p, t = p[keep], t[keep]
    return p.astype(bool, copy=False), t.astype(bool, copy=False)


def _check_range(a, n, what, ignore_index=None):
    if a.size == 0:
        return
    if a.dtype.kind == "f" and not np.array_equal(a, np.floor(a)):
        raise ValueError(f"Expected `{what}` to hold integer class labels, got floating point values.")
    bad = (a < 0) | (a >= n)
    if ignore_index is not None:
        bad &= a != ignore_index
    if bad.any():
        raise RuntimeError(f"Detected values in `{what}` outside the range [0, {n - 1}] of "
                           f"`num_classes`={n}: {np.unique(a[bad])[:10].tolist()}")


def multiclass_format(preds, target, num_classes, ignore_index=None, top_k=1):
    """Flat labels (top_k=1) or an (M, C) score matrix (top_k>1), and flat targets.

    preds are labels shaped like target, or scores shaped (N, C, ...) with the class axis second
    (argmax picks the label; no softmax needed for that).
    """
    p, t = to_numpy(preds), to_numpy(target)
    if p.ndim == t.ndim + 1:
        if p.shape[1] != num_classes:
            raise ValueError(f"If `preds` have one dimension more than `target`, `preds.shape[1]` should be "
                             f"equal to number of classes ({num_classes}), got shape {tuple(p.shape)}.")
        if p.shape[2:] != t.shape[1:] or p.shape[0] != t.shape[0]:
            raise ValueError("If `preds` have one dimension more than `target`, the shape of `preds` should "
                             "be (N, C, ...), and the shape of `target` should be (N, ...); got "
                             f"{tuple(p.shape)} and {tuple(t.shape)}.")
        if top_k == 1:
            p = p.argmax(axis=1)
        else:
            p = np.moveaxis(p, 1, -1).reshape(-1, num_classes)
    elif p.ndim == t.ndim:
        if p.shape != t.shape:
            raise ValueError(f"The `preds` and `target` should have the same shape, got `preds` with shape="
                             f"{tuple(p.shape)} and `target` with shape={tuple(t.shape)}.")
        if top_k != 1:
            raise ValueError("`top_k` > 1 needs `preds` of scores shaped (N, C, ...), not labels.")
        _check_range(p, num_classes, "preds")
    else:
        raise ValueError("Either `preds` and `target` both should have the (same) shape (N, ...), or "
                         "`target` should be (N, ...) and `preds` should be (N, C, ...).")
    t = t.reshape(-1)
    _check_range(t, num_classes, "target", ignore_index)
    if top_k == 1:
        p = p.reshape(-1)
    if ignore_index is not None:
        keep = t != ignore_index
        p, t = p[keep], t[keep]
    return p.astype(np.int64, copy=False) if top_k == 1 else p, t.astype(np.int64, copy=False)


def multilabel_format(preds, target, num_labels, threshold=0.5, ignore_index=None):
    """(M, L) boolean predictions and targets (label axis second in the input) and a validity mask."""
    p, t = to_numpy(preds), to_numpy(target)
    if p.shape != t.shape:
        raise ValueError(f"The `preds` and `target` should have the same shape, got `preds` with shape="
                         f"{tuple(p.shape)} and `target` with shape={tuple(t.shape)}.")
    if p.ndim < 2 or p.shape[1] != num_labels:
        raise ValueError(f"Expected both `target.shape[1]` and `preds.shape[1]` to be equal to the number "
                         f"of labels but got {p.shape[1] if p.ndim > 1 else None} and expected {num_labels}")
    _check_binary_values(t, "target", ignore_index)
    if is_float(p):
        p = maybe_sigmoid(p) > threshold
    else:
        _check_binary_values(p, "preds")
    p = np.moveaxis(p, 1, -1).reshape(-1, num_labels).astype(bool, copy=False)
    t = np.moveaxis(t, 1, -1).reshape(-1, num_labels)
    valid = None if ignore_index is None else t != ignore_index
    return p, t == 1, valid


# ---------------------------------------------------------------- counts
def confusion_matrix(p, t, n):
    """Rows are targets, columns predictions (scikit-learn's layout)."""
    return np.bincount(t * n + p, minlength=n * n).reshape(n, n)


def stat_scores(task, preds, target, *, num_classes=None, num_labels=None, threshold=0.5, top_k=1,
                ignore_index=None):
    """tp, fp, tn, fn: int64 arrays of shape (1,) (binary), (C,) or (L,)."""
    if task == "binary":
        p, t = binary_format(preds, target, threshold, ignore_index)
        tp = np.count_nonzero(p & t)
        fp = np.count_nonzero(p) - tp
        fn = np.count_nonzero(t) - tp
        out = [tp, fp, t.size - tp - fp - fn, fn]
        return [np.array([v], np.int64) for v in out]
    if task == "multiclass":
        p, t = multiclass_format(preds, target, num_classes, ignore_index, top_k)
        n = num_classes
        if top_k == 1:
            cm = confusion_matrix(p, t, n)
            tp = np.diag(cm).copy()
            fp = cm.sum(0) - tp
            fn = cm.sum(1) - tp
        else:
            top = np.argpartition(-p, top_k - 1, axis=1)[:, :top_k]
            chosen = np.zeros(p.shape, bool)
            np.put_along_axis(chosen, top, True, axis=1)
            hit = chosen[np.arange(t.size), t]
            tp = np.bincount(t[hit], minlength=n)
            fn = np.bincount(t[~hit], minlength=n)
            fp = chosen.sum(0) - tp
        tn = t.size - tp - fp - fn
        return [a.astype(np.int64) for a in (tp, fp, tn, fn)]
    p, t, valid = multilabel_format(preds, target, num_labels, threshold, ignore_index)
    v = np.ones_like(p) if valid is None else valid
    tp = (p & t & v).sum(0)
    fp = (p & ~t & v).sum(0)
    fn = (~p & t & v).sum(0)
    tn = (~p & ~t & v).sum(0)
    return [a.astype(np.int64) for a in (tp, fp, tn, fn)]


# ---------------------------------------------------------------- scores from counts
def _score(kind, tp, fp, tn, fn, multilabel, zero_division, beta):
    if kind == "accuracy":
        if multilabel:
            return safe_divide(tp + tn, tp + tn + fp + fn, zero_division)
        return safe_divide(tp, tp + fn, zero_division)
    if kind == "precision":
        return safe_divide(tp, tp + fp, zero_division)
    if kind == "recall":
        return safe_divide(tp, tp + fn, zero_division)
    b2 = beta * beta
    return safe_divide((1 + b2) * tp, (1 + b2) * tp + b2 * fn + fp, zero_division)


def reduce_scores(kind, tp, fp, tn, fn, task, average, *, top_k=1, zero_division=0.0, beta=1.0):
    """accuracy / precision / recall / fbeta from counts, averaged as torchmetrics does.

    macro leaves out classes that appear neither in targets nor predictions (multiclass), as
    scikit-learn does when it takes the labels from the data; weighted weights by support.
    """
    tp, fp, tn, fn = (np.asarray(a, np.float64) for a in (tp, fp, tn, fn))
    if task == "binary":
        tp, fp, tn, fn = tp.sum(), fp.sum(), tn.sum(), fn.sum()
        if kind == "accuracy":
            return safe_divide(tp + tn, tp + tn + fp + fn, zero_division)
        return _score(kind, tp, fp, tn, fn, False, zero_division, beta)
    multilabel = task == "multilabel"
    if average == "micro":
        return _score(kind, tp.sum(), fp.sum(), tn.sum(), fn.sum(), multilabel, zero_division, beta)
    score = _score(kind, tp, fp, tn, fn, multilabel, zero_division, beta)
    if average in (None, "none"):
        return score
    if average == "weighted":
        w = tp + fn
    else:
        w = np.ones_like(score)
        if not multilabel:
            w[(tp + fp + fn == 0) if top_k == 1 else (tp + fn == 0)] = 0.0
    return safe_divide((w * score).sum(), w.sum())


def normalize_confmat(cm, normalize):
    if normalize in (None, "none"):
        return cm
    cm = cm.astype(np.float64)
    axes = {"true": -1, "pred": -2, "all": (-2, -1)}[normalize]
    return safe_divide(cm, cm.sum(axis=axes, keepdims=True))   # empty rows/columns give 0


# ---------------------------------------------------------------- ROC AUC
def binary_auc(scores, target, weights=None):
    """Area under the ROC curve: the probability that a positive scores above a negative, ties
    counting one half (equal to the trapezoidal area scikit-learn computes). NaN with a warning
    when one class is missing."""
    s = np.asarray(scores, np.float64).reshape(-1)
    t = np.asarray(target).reshape(-1).astype(bool)
    w = np.ones(s.size) if weights is None else np.asarray(weights, np.float64).reshape(-1)
    pos_w, neg_w = w[t].sum(), w[~t].sum()
    if pos_w == 0 or neg_w == 0:
        warnings.warn("Only one class present in the targets: ROC AUC is not defined; returning nan.",
                      UserWarning, stacklevel=3)
        return float("nan")
    _, group = np.unique(s, return_inverse=True)            # tie groups, ascending score
    g = group.max() + 1
    pos = np.bincount(group, w * t, minlength=g)
    neg = np.bincount(group, w * ~t, minlength=g)
    below = np.cumsum(neg) - neg                             # negative weight strictly below
    return float((pos * (below + 0.5 * neg)).sum() / (pos_w * neg_w))


def multi_auc(scores, target, average="macro", weights=None):
    """One-vs-rest AUC per column of (N, K) scores against (N, K) 0/1 targets, then averaged
    (macro: plain mean over defined columns; weighted: by positives; micro: all cells pooled)."""
    if average == "micro":
        return binary_auc(scores.reshape(-1), target.reshape(-1),
                          None if weights is None else np.repeat(weights, scores.shape[1]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        per = np.array([binary_auc(scores[:, k], target[:, k], weights) for k in range(scores.shape[1])])
    if np.isnan(per).any():
        warnings.warn(f"ROC AUC is not defined for {int(np.isnan(per).sum())} class(es) without positive "
                      "or negative samples; they are left out of the average.", UserWarning, stacklevel=3)
    if average in (None, "none"):
        return per
    ok = ~np.isnan(per)
    if not ok.any():
        return float("nan")
    if average == "macro":
        w = np.ones(per.size)
    else:                                                   # positives (weighted) per column
        w = (target if weights is None else target * np.reshape(weights, (-1, 1))).sum(0).astype(np.float64)
    return float((per[ok] * w[ok]).sum() / w[ok].sum())


# ---------------------------------------------------------------- regression
def r2_from_sums(n, sum_t, sum_t2, sse, multioutput="uniform_average", adjusted=0):
    """R² per output from running sums (n, Σy, Σy², Σ(y-ŷ)²), scikit-learn's conventions for
    constant targets (1 when also predicted exactly, else 0)."""
    n = np.asarray(n, np.float64)
    if np.any(n < 2):
        raise ValueError("Needs at least two samples to calculate r2 score.")
    ss_tot = np.maximum(sum_t2 - sum_t * sum_t / n, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        raw = np.where(ss_tot > 0, 1.0 - sse / np.where(ss_tot > 0, ss_tot, 1.0),
                       np.where(sse == 0, 1.0, 0.0))
    if multioutput == "raw_values":
        out = raw
    elif multioutput == "uniform_average":
        out = raw.mean()
    elif multioutput == "variance_weighted":
        out = raw.mean() if ss_tot.sum() == 0 else (raw * ss_tot).sum() / ss_tot.sum()
    else:
        raise ValueError("Invalid input to argument `multioutput`. Choose one of the following: "
                         f"('raw_values', 'uniform_average', 'variance_weighted'), got {multioutput!r}")
    if adjusted:
        m = float(n.reshape(-1)[0])
        if adjusted > m - 1:
            warnings.warn("More independent regressions than data points in adjusted r2 score. Falls back "
                          "to standard r2 score.", UserWarning, stacklevel=3)
        elif adjusted == m - 1:
            warnings.warn("Division by zero in adjusted r2 score. Falls back to standard r2 score.",
                          UserWarning, stacklevel=3)
        else:
            out = 1 - (1 - out) * (m - 1) / (m - adjusted - 1)
    return out


def regression_pair(preds, target):
    p, t = to_numpy(preds), to_numpy(target)
    if p.shape != t.shape:
        raise RuntimeError(f"Predictions and targets are expected to have the same shape, but got "
                           f"{tuple(p.shape)} and {tuple(t.shape)}.")
    return p.astype(np.float64, copy=False), t.astype(np.float64, copy=False)
