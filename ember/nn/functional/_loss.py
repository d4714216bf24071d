"""Loss functions: torch.nn.functional's names, signatures, defaults, reductions (with the
legacy size_average / reduce flags) and messages. The common losses are the fused Functions
of ember.ops.loss; the rest are compositions of ember ops."""
import warnings

import numpy as np

from ..._tensor import Tensor
from ...ops import loss as L
from ...ops._number import number
from ...ops._util import broadcast_error
from ...ops.activation import _kernel_error
from ...ops.gather import where
from ._distance import pairwise_distance

__all__ = ["cross_entropy", "nll_loss", "binary_cross_entropy",
           "binary_cross_entropy_with_logits", "kl_div", "mse_loss", "l1_loss", "smooth_l1_loss",
           "huber_loss", "cosine_embedding_loss", "margin_ranking_loss", "triplet_margin_loss",
           "soft_margin_loss", "hinge_embedding_loss", "poisson_nll_loss", "gaussian_nll_loss"]


# -- reductions ---------------------------------------------------------------------------

def legacy_get_string(size_average, reduce, emit_warning=True):
    """The reduction the deprecated ``size_average`` / ``reduce`` flags stand for."""
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    ret = ("mean" if size_average else "sum") if reduce else "none"
    if emit_warning:
        warnings.warn(f"size_average and reduce args will be deprecated, please use "
                      f"reduction='{ret}' instead.", stacklevel=3)
    return ret


def _check_reduction(reduction):
    if reduction == "elementwise_mean":
        warnings.warn("reduction='elementwise_mean' is deprecated. Please use reduction='mean' "
                      "instead.", stacklevel=3)
        return "mean"
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    return reduction


def _reduction(reduction, size_average=None, reduce=None):
    if size_average is not None or reduce is not None:
        return legacy_get_string(size_average, reduce)
    return _check_reduction(reduction)


def _reduce(loss, reduction):
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def _sizes(shape):
    return "[" + ", ".join(str(s) for s in shape) + "]"


def _check_broadcast(*shapes):
    try:
        np.broadcast_shapes(*shapes)
    except ValueError:
        raise broadcast_error(*shapes) from None


def _warn_size(input, target):
    if tuple(target.shape) != tuple(input.shape):
        warnings.warn(f"Using a target size ({target.size()}) that is different to the input size "
                      f"({input.size()}). This will likely lead to incorrect results due to "
                      "broadcasting. Please ensure they have the same size.", stacklevel=3)


def _check_tensors(name, **tensors):
    for arg, t in tensors.items():
        if not isinstance(t, Tensor):
            raise TypeError(f"{name}(): argument '{arg}' must be Tensor, not {type(t).__name__}")


# -- cross-entropy and NLL ----------------------------------------------------------------

def _class_weight(weight, n_classes, nd, prefix=""):
    """The class weights shaped C x 1 x ... so they broadcast over N x C x d..."""
    if weight is None:
        return None
    if weight.dim() != 1 or weight.numel() != n_classes:
        raise RuntimeError(f"{prefix}weight tensor should be defined either for all {n_classes} "
                           f"classes or no classes but got weight tensor of shape: "
                           f"{_sizes(weight.shape)}")
    return weight if nd <= 2 else weight.reshape((n_classes,) + (1,) * (nd - 2))


def _index_targets(input, target, weight, name):
    """PyTorch's checks of class-index targets (nll_loss_nd); returns the input and target
    with a batch dim (unbatched ones get one) and the class weights."""
    nd, td = input.dim(), target.dim()
    if nd < 1:
        raise ValueError(f"Expected 1 or more dimensions (got {nd})")
    if nd != 1 and input.shape[0] != (target.shape[0] if td else 0):
        raise ValueError(f"Expected input batch_size ({input.shape[0]}) to match target "
                         f"batch_size ({target.shape[0] if td else 0}).")
    if target.dtype.name not in ("int64", "uint8"):
        raise RuntimeError(f"expected target dtype to be Long or Byte, but got "
                           f"{target.dtype._short}")
    if nd <= 2:
        if td > 1:
            raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
        if nd == 1:
            if td == 1 and target.shape[0] != 1:
                raise ValueError(f"For 1D input, 1D target must have size 1, but got target size: "
                                 f"{target.shape[0]}")
            input, target = input.unsqueeze(0), target.reshape(1)
    elif nd == 4:
        if td != 3:
            raise RuntimeError(f"only batches of spatial targets supported (3D tensors) but got "
                               f"targets of dimension: {td}")
        if tuple(target.shape[1:]) != tuple(input.shape[2:]):
            raise RuntimeError(f"size mismatch (got input: {_sizes(input.shape)} , target: "
                               f"{_sizes(target.shape)}")
    else:
        want = (input.shape[0],) + tuple(input.shape[2:])
        if tuple(target.shape) != want:
            raise RuntimeError(f"Expected target size {_sizes(want)}, got {_sizes(target.shape)}")
    return input, target, _class_weight(weight, input.shape[1], input.dim())


def _unbatch(out, unbatched, reduction):
    return out.squeeze(0) if unbatched and reduction == "none" else out


def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
                  reduction="mean", label_smoothing=0.0):
    """log_softmax over the class dim (1, or 0 unbatched) and the negative log-likelihood, in
    one fused node. ``target`` holds class indices (N x d...) or class probabilities (the
    input's shape)."""
    _check_tensors("cross_entropy", input=input, target=target)
    reduction = _reduction(reduction, size_average, reduce)
    nd = input.dim()
    unbatched = nd == 1
    eps = float(label_smoothing) if label_smoothing > 0 else 0.0
    if tuple(input.shape) == tuple(target.shape):
        if not target.is_floating_point():
            raise RuntimeError(f"Expected floating point type for target with class "
                               f"probabilities, got {target.dtype._short}")
        if ignore_index >= 0:
            raise RuntimeError("ignore_index is not supported for floating point target")
        if nd < 1:
            raise ValueError(f"Expected 1 or more dimensions (got {nd})")
        if unbatched:
            input, target = input.unsqueeze(0), target.unsqueeze(0)
        wb = _class_weight(weight, input.shape[1], input.dim(), "cross_entropy: ")
    else:
        if eps > 1:
            raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: "
                               f"{label_smoothing:g}")
        input, target, wb = _index_targets(input, target, weight, "cross_entropy")
    if not input.is_floating_point():
        _kernel_error(input, 1 if nd > 1 else 0, "log_softmax")
    out = L.CrossEntropyLoss.apply(input, target, wb, ignore_index, eps, reduction)
    return _unbatch(out, unbatched, reduction)


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
             reduction="mean"):
    """-input[i, target_i] (times the class weight), over N x C x d... inputs."""
    _check_tensors("nll_loss", input=input, target=target)
    reduction = _reduction(reduction, size_average, reduce)
    unbatched = input.dim() == 1
    input, target, wb = _index_targets(input, target, weight, "nll_loss")
    if not input.is_floating_point():
        raise NotImplementedError(f"\"nll_loss_out_frame\" not implemented for "
                                  f"'{input.dtype._short}'")
    out = L.NllLoss.apply(input, target, wb, ignore_index, reduction)
    return _unbatch(out, unbatched, reduction)


# -- binary cross-entropy -----------------------------------------------------------------

def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None,
                         reduction="mean"):
    _check_tensors("binary_cross_entropy", input=input, target=target)
    reduction = _reduction(reduction, size_average, reduce)
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(f"Using a target size ({target.size()}) that is different to the input "
                         f"size ({input.size()}) is deprecated. Please ensure they have the same "
                         "size.")
    if target.dtype is not input.dtype:
        raise RuntimeError(f"Found dtype {target.dtype._short} but expected {input.dtype._short}")
    if weight is not None and tuple(weight.shape) != tuple(input.shape):
        shape, ws = tuple(input.shape), tuple(weight.shape)
        for i in range(1, len(ws) + 1):
            if len(ws) > len(shape) or ws[-i] not in (1, shape[-i]):
                raise RuntimeError(f"Attempting to broadcast a dimension of length {ws[-i]} at "
                                   f"-{i}! Mismatching argument at index 1 had {weight.size()}; "
                                   f"but expected shape should be broadcastable to "
                                   f"{_sizes(shape)}")
    return L.BinaryCrossEntropy.apply(input, target, weight, reduction)


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None,
                                     reduction="mean", pos_weight=None):
    """Sigmoid and binary cross-entropy in one stable node (no overflow for any logit)."""
    _check_tensors("binary_cross_entropy_with_logits", input=input, target=target)
    reduction = _reduction(reduction, size_average, reduce)
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(f"Target size ({target.size()}) must be the same as input size "
                         f"({input.size()})")
    if not target.is_floating_point():
        raise RuntimeError(f"result type {input.dtype._short} can't be cast to the desired "
                           f"output type {target.dtype._short}")
    if pos_weight is not None:
        _check_broadcast(tuple(pos_weight.shape), tuple(target.shape))
    if weight is not None:
        _check_broadcast(tuple(input.shape), tuple(weight.shape))
    return L.BinaryCrossEntropyWithLogits.apply(input, target, weight, pos_weight, reduction)


# -- divergences and regression losses ----------------------------------------------------

def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):
    """target (log target - input), the pointwise KL divergence with ``input`` in log space
    (``target`` too with ``log_target``); 'batchmean' divides the sum by the batch size."""
    _check_tensors("kl_div", input=input, target=target)
    if size_average is not None or reduce is not None:
        reduction = legacy_get_string(size_average, reduce)
    else:
        if reduction == "mean":
            warnings.warn("reduction: 'mean' divides the total loss by both the batch size and "
                          "the support size.'batchmean' divides only by the batch size, and "
                          "aligns with the KL div math definition.'mean' will be changed to "
                          "behave the same as 'batchmean' in the next major release.",
                          stacklevel=2)
        if reduction != "batchmean":
            reduction = _check_reduction(reduction)
    if not (input.is_floating_point() and target.is_floating_point()):
        raise RuntimeError("kl_div: Integral inputs not supported.")
    if log_target:
        loss = target.exp() * (target - input)
    else:
        # xlogy(t, t): 0 where t == 0 (log of 1 there keeps NaN out of the gradient)
        loss = target * (where(target == 0, 1.0, target).log() - input)
    if reduction == "batchmean":
        total = loss.sum()
        return total / input.shape[0] if input.dim() != 0 else total
    return _reduce(loss, reduction)


def _pair_loss(op, name, input, target, reduction, param=None):
    _check_tensors(name, input=input, target=target)
    _warn_size(input, target)
    _check_broadcast(tuple(input.shape), tuple(target.shape))
    return op.apply(input, target, reduction, param)


def _weighted(loss, weight, input, reduction):
    if tuple(weight.shape) != tuple(input.shape):
        raise ValueError("Weights and input must have the same size.")
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"Invalid reduction mode: {reduction}. Expected one of 'none', 'mean', "
                         "'sum'.")
    loss = loss * weight
    if reduction == "mean":
        return loss.sum() / weight.sum()
    return _reduce(loss, reduction)


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    if size_average is not None or reduce is not None:
        reduction = legacy_get_string(size_average, reduce)
    if weight is not None:
        _check_tensors("mse_loss", input=input, target=target)
        _warn_size(input, target)
        d = input - target
        return _weighted(d * d, weight, input, reduction)
    return _pair_loss(L.MseLoss, "mse_loss", input, target, _check_reduction(reduction))


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    if size_average is not None or reduce is not None:
        reduction = legacy_get_string(size_average, reduce)
    if weight is not None or not (input.is_floating_point() or target.is_floating_point()):
        _check_tensors("l1_loss", input=input, target=target)
        _warn_size(input, target)
        loss = (input - target).abs()
        if weight is not None:
            return _weighted(loss, weight, input, reduction)
        return _reduce(loss, _check_reduction(reduction))
    return _pair_loss(L.L1Loss, "l1_loss", input, target, _check_reduction(reduction))


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    if size_average is not None or reduce is not None:
        reduction = legacy_get_string(size_average, reduce)
    reduction = _check_reduction(reduction)
    beta = number(beta, "smooth_l1_loss", "beta", "float")
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    if beta == 0.0:
        return _pair_loss(L.L1Loss, "smooth_l1_loss", input, target, reduction)
    return _pair_loss(L.SmoothL1Loss, "smooth_l1_loss", input, target, reduction, beta)


def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):
    delta = number(delta, "huber_loss", "delta", "float")
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    if weight is None:
        return _pair_loss(L.HuberLoss, "huber_loss", input, target, _check_reduction(reduction),
                          delta)
    loss = _pair_loss(L.HuberLoss, "huber_loss", input, target, "none", delta)
    if tuple(weight.shape) != tuple(input.shape):
        raise ValueError("Weights and input must have the same size.")
    loss = loss * weight
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"Invalid reduction mode: {reduction}. Expected one of 'none', 'mean', "
                         "'sum'.")
    return _reduce(loss, reduction)


# -- embedding and ranking losses ---------------------------------------------------------

_EPSILON = 1e-12


def cosine_embedding_loss(input1, input2, target, margin=0, size_average=None, reduce=None,
                          reduction="mean"):
    """1 - cos(x1, x2) where target is 1, max(0, cos - margin) where it is -1."""
    reduction = _reduction(reduction, size_average, reduce)
    td = target.dim()
    if td not in (0, 1):
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    if (input1.dim(), input2.dim()) != ((2, 2) if td == 1 else (1, 1)):
        raise RuntimeError(f"{td}D target tensor expects {td + 1}D input tensors, but found "
                           f"inputs with sizes {_sizes(input1.shape)} and "
                           f"{_sizes(input2.shape)}.")
    prod = (input1 * input2).sum(td)
    mag1 = (input1 * input1).sum(td) + _EPSILON
    mag2 = (input2 * input2).sum(td) + _EPSILON
    cos = prod / (mag1 * mag2).sqrt()
    _check_broadcast(tuple(target.shape), tuple(cos.shape))
    loss = where(target == 1, 1 - cos, 0.0) + where(target == -1, (cos - margin).clamp_min(0), 0.0)
    return _reduce(loss, reduction)


def margin_ranking_loss(input1, input2, target, margin=0, size_average=None, reduce=None,
                        reduction="mean"):
    """max(0, -target (x1 - x2) + margin)."""
    reduction = _reduction(reduction, size_average, reduce)
    if input1.dim() != input2.dim() or input1.dim() != target.dim():
        raise RuntimeError(f"margin_ranking_loss : All input tensors should have same dimension "
                           f"but got sizes: input1: {input1.size()}, input2: {input2.size()}, "
                           f"target: {target.size()} ")
    _check_broadcast(tuple(input1.shape), tuple(input2.shape), tuple(target.shape))
    return _reduce((-target * (input1 - input2) + margin).clamp_min(0), reduction)


def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2, eps=1e-6, swap=False,
                        size_average=None, reduce=None, reduction="mean"):
    """max(0, margin + d(a, p) - d(a, n)), d the p-norm distance over the last dim (with
    ``swap``, d(a, n) is min(d(a, n), d(p, n)))."""
    reduction = _reduction(reduction, size_average, reduce)
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    dims = (anchor.dim(), positive.dim(), negative.dim())
    if len(set(dims)) != 1:
        raise RuntimeError(f"The anchor, positive, and negative tensors are expected to have the "
                           f"same number of dimensions, but got: anchor {dims[0]}D, positive "
                           f"{dims[1]}D, and negative {dims[2]}D inputs")
    for a, b in ((anchor, positive), (anchor, negative)):
        _check_broadcast(tuple(a.shape), tuple(b.shape))
    d_ap = pairwise_distance(anchor, positive, p, eps)
    d_an = pairwise_distance(anchor, negative, p, eps)
    if swap:
        d_an = d_an.minimum(pairwise_distance(positive, negative, p, eps))
    return _reduce((d_ap - d_an + margin).clamp_min(0), reduction)


def soft_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """log(1 + exp(-target input)), stable for any product."""
    from ._activation import softplus
    reduction = _reduction(reduction, size_average, reduce)
    return _reduce(softplus(-target * input, 1.0, float("inf")), reduction)


def hinge_embedding_loss(input, target, margin=1.0, size_average=None, reduce=None,
                         reduction="mean"):
    """input where target is 1, max(0, margin - input) where it is -1."""
    reduction = _reduction(reduction, size_average, reduce)
    zeros = input * 0
    margin_clamp = (margin - input).clamp_min(0)
    out_margin = where(target != 1, margin_clamp, zeros)
    out_self = where(target != -1, input, zeros)
    return _reduce(out_margin + out_self, reduction)


def poisson_nll_loss(input, target, log_input=True, full=False, size_average=None, eps=1e-8,
                     reduce=None, reduction="mean"):
    """exp(input) - target input (log_input), or input - target log(input + eps); ``full``
    adds Stirling's term target log target - target + log(2 pi target)/2 where target > 1."""
    reduction = _reduction(reduction, size_average, reduce)
    if log_input:
        loss = input.exp() - target * input
    else:
        loss = input - target * (input + eps).log()
    if full:
        t = target
        safe = where(t > 1, t, 1.0)     # the term only counts where t > 1: no log of 0 there
        stirling = t * safe.log() - t + 0.5 * (safe * (2 * np.pi)).log()
        loss = loss + where(t > 1, stirling, 0.0)
    return _reduce(loss, reduction)


def gaussian_nll_loss(input, target, var, full=False, eps=1e-6, reduction="mean"):
    """(log var + (input - target)^2 / var) / 2 (+ log(2 pi)/2 with ``full``), var clamped at
    ``eps`` without stopping its gradient; ``var`` may lack the last dim or be a number."""
    if isinstance(var, float):
        if var < 0:
            raise ValueError("var has negative entry/entries")
        var = input * 0 + var
    elif bool((var < 0).any()):
        raise ValueError("var has negative entry/entries")
    if tuple(var.shape) != tuple(input.shape):
        if tuple(input.shape[:-1]) == tuple(var.shape):
            var = var.unsqueeze(-1)
        elif not (input.dim() == var.dim() and
                  sum(y for x, y in zip(input.shape, var.shape) if x != y) == 1):
            raise ValueError("var is of incorrect size")
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(reduction + " is not valid")
    var = var + (var.clamp_min(eps) - var).detach()   # clamped value, identity gradient
    d = input - target
    loss = 0.5 * (var.log() + d * d / var)
    if full:
        loss = loss + 0.5 * float(np.log(2 * np.pi))
    return _reduce(loss, reduction)
