"""The rest of torch.nn.functional: dropout family, embedding, one_hot, pad, interpolate,
normalize, cosine_similarity, pairwise_distance, unfold/fold, pixel_shuffle/unshuffle and
channel_shuffle, with PyTorch's argument checks and messages.

Constant padding is ops.pad's ConstantPadNd; unfold/fold are ops.conv's Im2Col/Col2Im, the
window mechanism convolution runs on. The other ops are compositions of ember ops
(index_select, mul, …)."""
import math
import warnings

import numpy as np

from ... import _dtype as D
from ..._tensor import Tensor
from ...ops import conv as _conv_ops
from ...ops._number import index
from ...ops.embedding import Embedding as _Embedding
from ...ops.embedding import renorm_ as _renorm_
from ...ops.pad import ConstantPadNd, pad_pairs

__all__ = ["dropout", "dropout1d", "dropout2d", "dropout3d", "alpha_dropout",
           "feature_alpha_dropout", "embedding", "embedding_bag", "one_hot", "pad", "interpolate", "upsample",
           "upsample_nearest", "upsample_bilinear", "normalize", "cosine_similarity",
           "pairwise_distance", "unfold", "fold", "pixel_shuffle", "pixel_unshuffle",
           "channel_shuffle", "native_channel_shuffle"]


def _lst(shape):
    return "[" + ", ".join(str(s) for s in shape) + "]"


def _const(arr, like):
    """A constant NumPy array (indices, weights, masks) as a tensor on ``like``'s device."""
    xp = like._xp
    return Tensor._wrap(arr if xp is np else xp.asarray(arr))


def _host(a):
    """A device array as a NumPy array (host-side index bookkeeping)."""
    return a if isinstance(a, np.ndarray) else a.get()


# -- dropout -----------------------------------------------------------------------------------

_SELU_ALPHA = 1.7580993408473766   # -scale * alpha of SELU: the value dropped units take


def _check_p(p):
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def _empty_like_layout(input):
    """An empty tensor laid out in memory as ``input`` is (empty_like's preserve format), so
    that the mask is drawn in PyTorch's order for transposed inputs too."""
    strides = input._data.strides
    axes = sorted(range(input.dim()), key=lambda d: -abs(strides[d]) if input.shape[d] > 1 else 0)
    if axes == list(range(input.dim())):
        return input.new_empty(tuple(input.shape))
    inverse = sorted(range(len(axes)), key=axes.__getitem__)
    return input.new_empty(tuple(input.shape[a] for a in axes)).permute(*inverse)


def _dropout_impl(input, p, training, inplace, feature=False, alpha=False):
    """PyTorch's _dropout_impl: multiply by a Bernoulli(1 - p) mask (per element, or per
    channel with ``feature``) scaled to keep the mean; alpha dropout keeps mean and variance of
    SELU activations instead."""
    _check_p(p)
    if p == 0 or not training or input.numel() == 0:
        return input
    if p == 1:
        zero = input.new_zeros(())
        return input.mul_(zero) if inplace else input * zero
    if feature:
        if input.dim() < 2:
            raise RuntimeError("Feature dropout requires at least 2 dimensions in the input")
        shape = tuple(input.shape[:2]) + (1,) * (input.dim() - 2)
        noise = input.new_empty(shape)
    else:
        noise = _empty_like_layout(input)
    noise.bernoulli_(1 - p)
    if alpha:
        a = 1.0 / math.sqrt((_SELU_ALPHA ** 2 * p + 1) * (1 - p))
        b = noise.add(-1).mul_(_SELU_ALPHA * a).add_(_SELU_ALPHA * a * p)
        noise.mul_(a)
        out = input.mul_(noise) if inplace else input * noise
        return out.add_(b)
    noise.div_(1 - p)
    return input.mul_(noise) if inplace else input * noise


def dropout(input, p=0.5, training=True, inplace=False):
    return _dropout_impl(input, p, training, inplace)


def alpha_dropout(input, p=0.5, training=False, inplace=False):
    return _dropout_impl(input, p, training, inplace, alpha=True)


def feature_alpha_dropout(input, p=0.5, training=False, inplace=False):
    return _dropout_impl(input, p, training, inplace, feature=True, alpha=True)


def _feature_dropout_unbatched(input, p, training, inplace, batched):
    if not batched:
        input = input.unsqueeze_(0) if inplace else input.unsqueeze(0)
    out = _dropout_impl(input, p, training, inplace, feature=True)
    if not batched:
        out = out.squeeze_(0) if inplace else out.squeeze(0)
    return out


def dropout1d(input, p=0.5, training=True, inplace=False):
    _check_p(p)
    d = input.dim()
    if d not in (2, 3):
        raise RuntimeError(f"dropout1d: Expected 2D or 3D input, but received a {d}D input. Note "
                           "that dropout1d exists to provide channel-wise dropout on inputs with 1 "
                           "spatial dimension, a channel dimension, and an optional batch "
                           "dimension (i.e. 2D or 3D inputs).")
    return _feature_dropout_unbatched(input, p, training, inplace, d == 3)


def dropout2d(input, p=0.5, training=True, inplace=False):
    _check_p(p)
    d = input.dim()
    if d not in (3, 4):
        warnings.warn(f"dropout2d: Received a {d}-D input to dropout2d, which is deprecated and "
                      "will result in an error in a future release. To retain the behavior and "
                      "silence this warning, please use dropout instead. Note that dropout2d "
                      "exists to provide channel-wise dropout on inputs with 2 spatial dimensions, "
                      "a channel dimension, and an optional batch dimension (i.e. 3D or 4D "
                      "inputs).", stacklevel=2)
    if d == 3:
        warnings.warn("dropout2d: Received a 3D input to dropout2d and assuming that channel-wise "
                      "1D dropout behavior is desired - input is interpreted as shape (N, C, L), "
                      "where C is the channel dim. This behavior will change in a future release "
                      "to interpret the input as one without a batch dimension, i.e. shape "
                      "(C, H, W). To maintain the 1D channel-wise dropout behavior, please switch "
                      "to using dropout1d instead.", stacklevel=2)
    return _dropout_impl(input, p, training, inplace, feature=True)


def dropout3d(input, p=0.5, training=True, inplace=False):
    _check_p(p)
    d = input.dim()
    if d not in (4, 5):
        warnings.warn(f"dropout3d: Received a {d}-D input to dropout3d, which is deprecated and "
                      "will result in an error in a future release. To retain the behavior and "
                      "silence this warning, please use dropout instead. Note that dropout3d "
                      "exists to provide channel-wise dropout on inputs with 3 spatial dimensions, "
                      "a channel dimension, and an optional batch dimension (i.e. 4D or 5D "
                      "inputs).", stacklevel=2)
    return _feature_dropout_unbatched(input, p, training, inplace, d == 5)


# -- embedding and one_hot ------------------------------------------------------------------------

def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0,
              scale_grad_by_freq=False, sparse=False):
    """Rows of ``weight`` at ``input``. ``sparse=True`` is accepted but the gradient is dense."""
    if padding_idx is not None:
        if padding_idx > 0:
            if padding_idx >= weight.size(0):
                raise AssertionError("Padding_idx must be within num_embeddings")
        elif padding_idx < 0:
            if padding_idx < -weight.size(0):
                raise AssertionError("Padding_idx must be within num_embeddings")
            padding_idx = weight.size(0) + padding_idx
    else:
        padding_idx = -1
    if input.dtype not in (D.int64, D.int32):
        raise RuntimeError(f"Expected tensor for argument #1 'indices' to have one of the "
                           f"following scalar types: Long, Int; but got "
                           f"torch.{input.dtype._short}Tensor instead (while checking arguments "
                           f"for embedding)")
    if weight.dim() != 2:
        raise RuntimeError("'weight' must be 2-D")
    if max_norm is not None:
        _renorm_(weight, input, max_norm, norm_type)
    return _Embedding.apply(weight, input, padding_idx, bool(scale_grad_by_freq))


def embedding_bag(input, weight, offsets=None, max_norm=None, norm_type=2, scale_grad_by_freq=False,
                  mode="mean", sparse=False, per_sample_weights=None, include_last_offset=False,
                  padding_idx=None):
    """Sums, means or maxima of bags of embedding rows. Bags are contiguous runs of ``input``
    (rows of a 2-d input, or runs starting at ``offsets``); the rows go into their bags with one
    index_add (sum, mean) or through a dense (bags, longest bag) gather (max)."""
    if weight.dtype == D.int64 and input.is_floating_point():
        warnings.warn("Argument order of nn.functional.embedding_bag was changed. Usage "
                      "`embedding_bag(weight, input, ...)` is deprecated, and should now be "
                      "`embedding_bag(input, weight, ...)`.", stacklevel=2)
        weight, input = input, weight
    if per_sample_weights is not None and tuple(input.shape) != tuple(per_sample_weights.shape):
        raise ValueError(f"embedding_bag: If per_sample_weights ({per_sample_weights.shape}) is "
                         f"not None, then it must have the same shape as the input "
                         f"({input.shape})")
    if weight.dim() != 2:
        raise ValueError(f"weight has to be a 2D Tensor, but got Tensor of dimension "
                         f"{weight.dim()}")
    if input.dim() == 2:
        if offsets is not None:
            raise ValueError(f"if input is 2D, then offsets has to be None, as input is treated is "
                             f"a mini-batch of fixed length sequences. However, found offsets of "
                             f"type {type(offsets)}")
        starts = np.arange(0, input.numel(), max(input.shape[1], 1), dtype=np.int64)
        if input.shape[1] == 0:
            starts = np.zeros(input.shape[0], np.int64)
        include_last_offset = False
        input = input.reshape(-1)
        if per_sample_weights is not None:
            per_sample_weights = per_sample_weights.reshape(-1)
    elif input.dim() == 1:
        if offsets is None:
            raise ValueError("offsets has to be a 1D Tensor but got None")
        if offsets.dim() != 1:
            raise ValueError("offsets has to be a 1D Tensor")
        starts = _host(offsets._data).astype(np.int64)
    else:
        raise ValueError(f"input has to be 1D or 2D Tensor, but got Tensor of dimension "
                         f"{input.dim()}")
    if mode not in ("sum", "mean", "max"):
        raise ValueError("mode has to be one of sum, mean or max")
    if mode == "max" and scale_grad_by_freq:
        raise ValueError("max mode does not support scaling the gradient by the frequency")
    if per_sample_weights is not None and mode != "sum":
        raise NotImplementedError(f"embedding_bag: per_sample_weights was not None. "
                                  f"per_sample_weights is only supported for mode='sum' (got "
                                  f"mode='{mode}'). Please open a feature request on GitHub.")
    n = input.numel()
    if starts.size and starts[0] != 0:
        raise RuntimeError(f"offsets[0] has to be 0, i.e., the first sequence in the mini-batch "
                           f"has to start from position 0. However, got {int(starts[0])}")
    if starts.size and starts[-1] > n:
        raise RuntimeError(f"offsets[-1] can not be greater than input's length {n} but got "
                           f"offsets[-1] of {int(starts[-1])}")
    if include_last_offset:
        ends, starts = starts[1:], starts[:-1]
    else:
        ends = np.append(starts[1:], n)
    B, Dm = starts.size, weight.shape[1]
    if padding_idx is not None and padding_idx < 0:
        padding_idx += weight.shape[0]
    rows = embedding(input, weight, padding_idx, max_norm, norm_type, scale_grad_by_freq, sparse)
    counts = ends - starts
    bag = np.repeat(np.arange(B, dtype=np.int64), counts)
    keep = np.ones(bag.size, bool) if padding_idx is None else \
        _host(input._data)[:bag.size] != padding_idx
    if mode == "max":
        pos = np.arange(bag.size) - np.repeat(starts, counts)
        longest = int(counts.max()) if B else 0
        dense = np.full((B, max(longest, 1)), bag.size, np.int64)   # bag.size: a -inf row
        dense[bag[keep], pos[keep]] = np.arange(bag.size)[keep]
        from ... import cat
        fill = rows.new_full((1, Dm), -np.inf)
        table = cat([rows[:bag.size], fill])
        out = table.index_select(0, _const(dense.reshape(-1), rows)).reshape(B, -1, Dm).amax(1)
        empty = np.bincount(bag[keep], minlength=B) == 0
        return out.masked_fill(_const(empty[:, None], out), 0) if empty.any() else out
    rows = rows[:bag.size]
    if not keep.all():   # padding entries take no part in a bag
        rows = rows.masked_fill(_const(~keep[:, None], rows), 0)
    if per_sample_weights is not None:
        rows = rows * per_sample_weights[:bag.size].unsqueeze(1)
    out = rows.new_zeros((B, Dm)).index_add(0, _const(bag, rows), rows)
    if mode == "mean":
        sizes = np.maximum(np.bincount(bag[keep], minlength=B), 1).astype(rows._data.dtype)
        out = out / _const(sizes[:, None], out)
    return out


def one_hot(tensor, num_classes=-1):
    if not isinstance(tensor, Tensor):
        raise TypeError(f"one_hot(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(tensor).__name__}")
    if tensor.dtype != D.int64:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    idx = tensor._data
    xp = tensor._xp
    if idx.size == 0:
        if num_classes == -1:
            raise RuntimeError("Can not infer total number of classes from empty tensor.")
    else:
        if int(idx.min()) < 0:
            raise RuntimeError("Class values must be non-negative.")
        if num_classes == -1:
            num_classes = int(idx.max()) + 1
        elif int(idx.max()) >= num_classes:
            raise RuntimeError("Class values must be smaller than num_classes.")
    out = (idx[..., None] == xp.arange(num_classes)).astype(np.int64)
    return Tensor._wrap(out)


# -- pad -------------------------------------------------------------------------------------------

_NON_CONSTANT_HELP = ("Supported combinations for non-constant padding:\n"
                      "  - 2D or 3D input: padding size = 2 (pads last dimension)\n"
                      "  - 3D or 4D input: padding size = 4 (pads last 2 dimensions)\n"
                      "  - 4D or 5D input: padding size = 6 (pads last 3 dimensions)")
_DIM_NAMES = ("D", "H", "W")


def _source_index(mode, n, lo, hi):
    """For each output position along a dim, the input position it copies."""
    pos = np.arange(-lo, n + hi, dtype=np.int64)
    if mode == "reflect":
        pos = np.abs(pos)
        return np.where(pos >= n, 2 * (n - 1) - pos, pos)
    if mode == "replicate":
        return np.clip(pos, 0, n - 1)
    # circular: negative pads crop first, and the wrap is over what is left (as PyTorch)
    start, m = max(-lo, 0), n - max(-lo, 0) - max(-hi, 0)
    return np.arange(-max(lo, 0), m + max(hi, 0), dtype=np.int64) % m + start


def _mode_pad(input, pads, mode):
    shape = tuple(input.shape)
    k = len(pads) // 2
    nd = len(shape)
    if nd not in (k + 1, k + 2):
        raise NotImplementedError(f"Padding size {len(pads)} is not supported for {nd}D input "
                                  f"tensor.\n{_NON_CONSTANT_HELP}")
    pairs = pad_pairs(pads, nd)
    if mode in ("reflect", "replicate"):
        first = 1 if nd == k + 2 else 0
        if any(s == 0 for s in shape[first:]):
            raise RuntimeError(f"Expected {k + 1}D or {k + 2}D (batch mode) tensor with possibly 0 "
                               f"batch size and other non-zero dimensions for input, but got: "
                               f"{_lst(shape)}")
        if mode == "reflect":
            for d in sorted(pairs):
                lo, hi = pairs[d]
                if lo >= shape[d] or hi >= shape[d]:
                    raise RuntimeError(f"Argument #4: Padding size should be less than the "
                                       f"corresponding input dimension, but got: padding ({lo}, "
                                       f"{hi}) at dimension {d} of input {_lst(shape)}")
        outs = {d: shape[d] + lo + hi for d, (lo, hi) in pairs.items()}
        if any(o < 1 for o in outs.values()):
            names = _DIM_NAMES[3 - k:]
            dims = sorted(pairs)
            ins = ", ".join(f"{nm}: {shape[d]}" for nm, d in zip(names, dims))
            res = " ".join(f"{nm}: {outs[d]}" for nm, d in zip(names, dims))
            raise RuntimeError(f"input ({ins}) is too small. Calculated output {res}")
    else:
        for d, (lo, hi) in pairs.items():
            if lo > shape[d] or hi > shape[d]:
                raise RuntimeError("Padding value causes wrapping around more than once.")
            if shape[d] + lo + hi < 0 or (shape[d] + min(lo, 0) + min(hi, 0) <= 0 < lo + hi):
                raise RuntimeError("Negative padding value is resulting in an empty dimension")
    x = input
    for d in sorted(pairs):
        lo, hi = pairs[d]
        if lo or hi:
            x = x.index_select(d, _const(_source_index(mode, shape[d], lo, hi), x))
    return x


def pad(input, pad, mode="constant", value=None):
    pads = [int(p) for p in pad]
    if len(pads) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    if len(pads) // 2 > input.dim():
        raise RuntimeError(f"Padding length should be less than or equal to two times the input "
                           f"dimension but got padding length {len(pads)} and input of dimension "
                           f"{input.dim()}")
    if mode == "constant":
        return ConstantPadNd.apply(input, tuple(pads), 0 if value is None else value)
    if mode not in ("reflect", "replicate", "circular"):
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    if value is not None and value != 0:
        raise RuntimeError(f"Padding mode \"{mode}\" doesn't take in value argument")
    return _mode_pad(input, pads, mode)


# -- interpolate -------------------------------------------------------------------------------------

def _opmath(dt):
    return np.float64 if dt == np.float64 else np.float32


def _scale(in_size, out_size, align_corners, scale, ft):
    """PyTorch's area_pixel_compute_scale in the kernel's float type ``ft``."""
    if align_corners:
        return ft(in_size - 1) / ft(out_size - 1) if out_size > 1 else ft(0)
    if scale is not None and scale > 0:
        return ft(1.0 / scale)
    return ft(in_size) / ft(out_size)


def _taps(mode, in_size, out_size, align_corners, scale, ft, spatial_dims):
    """Input indices and weights (each a list over the taps) that make output positions along
    one dim, as PyTorch's CPU kernels compute them."""
    s = _scale(in_size, out_size, align_corners, scale, ft)
    i = np.arange(out_size, dtype=ft)
    last = in_size - 1
    if mode == "nearest":
        if in_size == out_size and spatial_dims == 2:
            # PyTorch's 2-d nearest kernel copies a dim whose size does not change, whatever the
            # scale factor says; its 1-d and 3-d kernels do not
            return [np.arange(out_size)], None
        idx = np.floor((s * i).astype(np.float32)).astype(np.int64)
        return [np.minimum(idx, last)], None
    if mode == "nearest-exact":
        real = np.maximum(s * (i + ft(0.5)) - ft(0.5), ft(0))
        idx = np.floor((real + ft(0.5)).astype(np.float32)).astype(np.int64)
        return [np.minimum(idx, last)], None
    cubic = mode == "bicubic"
    if not cubic and in_size == out_size:   # PyTorch's linear kernels copy such a dim as is
        return [np.arange(out_size)], None
    if align_corners:
        real = s * i
    else:
        real = s * (i + ft(0.5)) - ft(0.5)
        if not cubic:
            real = np.maximum(real, ft(0))
    idx = np.minimum(np.floor(real.astype(np.float32)).astype(np.int64), last)
    lam = np.clip(real - idx.astype(ft), ft(0), ft(1)).astype(ft)
    if not cubic:
        return [idx, idx + (idx < last)], [ft(1) - lam, lam]
    A = ft(-0.75)

    def near(t):    # |t| <= 1
        return ((A + 2) * t - (A + 3)) * t * t + 1

    def far(t):     # 1 < |t| < 2
        return ((A * t - 5 * A) * t + 8 * A) * t - 4 * A
    weights = [far(lam + 1), near(lam), near(1 - lam), far(2 - lam)]
    return [np.clip(idx - 1 + j, 0, last) for j in range(4)], weights


def _resample(x, axis, idx, weights):
    """Output positions along ``axis`` as weighted sums of input positions."""
    if weights is None:
        if idx[0].size == x.shape[axis] and np.array_equal(idx[0], np.arange(idx[0].size)):
            return x
        return x.index_select(axis, _const(idx[0], x))
    view = (-1,) + (1,) * (x.dim() - axis - 1)
    out = None
    for i, w in zip(idx, weights):
        term = x.index_select(axis, _const(i, x)) * _const(w.astype(x._data.dtype).reshape(view),
                                                          x)
        out = term if out is None else out + term
    return out


_MODES = "nearest | linear | bilinear | bicubic | trilinear | lanczos | area | nearest-exact"
_LINEAR_DIMS = {"linear": 3, "bilinear": 4, "bicubic": 4, "trilinear": 5}


def _is_int(v):
    return isinstance(v, (int, np.integer)) and not isinstance(v, bool)


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None,
                recompute_scale_factor=None, antialias=False):
    """Resize the spatial dims: per dim one gather (nearest) or a few weighted gathers (linear:
    two taps, cubic: four); the multi-dim modes are separable, so dims are done one by one."""
    if mode in ("nearest", "area", "nearest-exact"):
        if align_corners is not None:
            raise ValueError("align_corners option can only be set with the interpolating modes: "
                             "linear | bilinear | bicubic | trilinear")
    elif align_corners is None:
        align_corners = False
    dim = input.dim() - 2
    spatial = list(input.shape[2:])
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    if size is not None:
        scales = None
        if isinstance(size, (list, tuple)):
            given, size = size, type(size)(index(s) for s in size)   # 0-d integer tensors count as ints
            if len(size) != dim:
                raise ValueError(f"Input and output must have the same number of spatial "
                                 f"dimensions, but got input with spatial dimensions of {spatial} "
                                 f"and output size of {given}. Please provide input tensor in (N, C, "
                                 f"d1, d2, ...,dK) format and output size in (o1, o2, ...,oK) "
                                 f"format.")
            if not all(_is_int(s) for s in size):
                raise TypeError(f"expected size to be one of int or Tuple[int] or Tuple[int, int] "
                                f"or Tuple[int, int, int], but got size with types "
                                f"{[type(s) for s in size]}")
            out_size = [int(s) for s in size]
        else:
            out_size = [int(size)] * dim
    elif scale_factor is not None:
        out_size = None
        if isinstance(scale_factor, (list, tuple)):
            if len(scale_factor) != dim:
                raise ValueError(f"Input and scale_factor must have the same number of spatial "
                                 f"dimensions, but got input with spatial dimensions of {spatial} "
                                 f"and scale_factor of shape {scale_factor}. Please provide input "
                                 f"tensor in (N, C, d1, d2, ...,dK) format and scale_factor in (s1, "
                                 f"s2, ...,sK) format.")
            scales = [float(s) for s in scale_factor]
        else:
            scales = [float(scale_factor)] * dim
    else:
        raise ValueError("either size or scale_factor should be defined")
    if recompute_scale_factor and size is not None:
        raise ValueError("recompute_scale_factor is not meaningful with an explicit size.")
    if mode == "area" and out_size is None:
        recompute_scale_factor = True
    if recompute_scale_factor:
        out_size = [int(math.floor(n * s)) for n, s in zip(spatial, scales)]
        scales = None
    if antialias and not (mode in ("bilinear", "bicubic", "lanczos") and input.dim() == 4):
        raise ValueError("Anti-alias option is restricted to bilinear, bicubic, and lanczos modes "
                         "and requires a 4-D tensor as input")
    nd = input.dim()
    if mode in _LINEAR_DIMS and mode != "bicubic" and nd in (3, 4, 5) and \
            nd != _LINEAR_DIMS[mode]:
        raise NotImplementedError(f"Got {nd}D input, but {mode} mode needs {_LINEAR_DIMS[mode]}D "
                                  f"input")
    known = mode in ("nearest", "nearest-exact", "area") or mode in _LINEAR_DIMS
    if not known or nd not in (3, 4, 5) or (mode == "bicubic" and nd != 4):
        raise NotImplementedError(f"Input Error: Only 3D, 4D and 5D input Tensors supported (got "
                                  f"{nd}D) for the modes: {_MODES} (got {mode})")
    if antialias:
        raise NotImplementedError("ember: interpolate with antialias=True is not supported")
    if out_size is None:
        out_size = [int(math.floor(n * s)) for n, s in zip(spatial, scales)]
    if mode == "area":
        from . import _pool
        return getattr(_pool, f"adaptive_avg_pool{dim}d")(input, out_size)
    if any(n <= 0 for n in spatial) or any(o <= 0 for o in out_size):
        names = _DIM_NAMES[3 - dim:]
        ins = ", ".join(f"{nm}: {n}" for nm, n in zip(names, spatial))
        outs = ", ".join(f"{nm}: {n}" for nm, n in zip(names, out_size))
        raise RuntimeError(f"Input and output sizes should be greater than 0, but got input "
                           f"({ins}) output ({outs})")
    if input.dtype.category != D._FLOAT:
        kind = {"nearest": "nearest", "nearest-exact": "nearest", "bicubic": "cubic"}.get(
            mode, "linear")
        raise NotImplementedError(f'"compute_indices_weights_{kind}" not implemented for '
                                  f"'{input.dtype._short}'")
    ft = _opmath(input._data.dtype)
    x = input
    for d in range(dim):
        idx, w = _taps(mode, spatial[d], out_size[d], align_corners,
                       scales[d] if scales is not None else None, ft, dim)
        x = _resample(x, 2 + d, idx, w)
    return x if x is not input else input.clone()


def upsample(input, size=None, scale_factor=None, mode="nearest", align_corners=None):
    warnings.warn("`nn.functional.upsample` is deprecated. Use `nn.functional.interpolate` "
                  "instead.", stacklevel=2)
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input, size=None, scale_factor=None):
    warnings.warn("`nn.functional.upsample_nearest` is deprecated. Use "
                  "`nn.functional.interpolate` instead.", stacklevel=2)
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input, size=None, scale_factor=None):
    warnings.warn("`nn.functional.upsample_bilinear` is deprecated. Use "
                  "`nn.functional.interpolate` instead.", stacklevel=2)
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)


# -- distances ----------------------------------------------------------------------------------------

def normalize(input, p=2.0, dim=1, eps=1e-12, out=None):
    denom = input.norm(p, dim, keepdim=True).clamp_min(eps).expand_as(input)
    result = input / denom
    if out is not None:
        out.copy_(result)
        return out
    return result


def _broadcast_shape(a, b):
    """Broadcast two shapes, with PyTorch's infer_size message."""
    n = max(len(a), len(b))
    a, b = (1,) * (n - len(a)) + a, (1,) * (n - len(b)) + b
    for i, (p, q) in enumerate(zip(a, b)):
        if p != q and p != 1 and q != 1:
            raise RuntimeError(f"The size of tensor a ({p}) must match the size of tensor b ({q}) "
                               f"at non-singleton dimension {i}")
    return tuple(q if p == 1 else p for p, q in zip(a, b))


def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    """<x1, x2> / (max(||x1||, eps) max(||x2||, eps)), each input divided by its norm first (as
    PyTorch, for range and stability); the clamp does not change the gradient's path."""
    from ... import broadcast_tensors, result_type
    from ...linalg import vector_norm
    common = result_type(x1, x2)
    if common.category != D._FLOAT:
        raise RuntimeError(f"expected common dtype to be floating point, yet common dtype is "
                           f"{common._short}")
    shape = _broadcast_shape(tuple(x1.shape), tuple(x2.shape))
    x1, x2 = x1.to(common), x2.to(common)
    if tuple(x1.shape) != shape or tuple(x2.shape) != shape:
        x1, x2 = broadcast_tensors(x1, x2)
    n1 = vector_norm(x1, 2, dim, keepdim=True)
    n2 = vector_norm(x2, 2, dim, keepdim=True)
    n1 = n1 + (n1.clamp_min(eps) - n1).detach()
    n2 = n2 + (n2.clamp_min(eps) - n2).detach()
    return ((x1 / n1) * (x2 / n2)).sum(dim)


def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    nd = max(x1.dim(), x2.dim())
    return (x1 - x2 + eps).norm(p, nd - 1 if nd else None, keepdim)


# -- unfold / fold -------------------------------------------------------------------------------------

def _pair(v, name):
    if isinstance(v, (int, np.integer)):
        return (int(v), int(v))
    v = tuple(int(i) for i in v)
    if len(v) != 2:
        raise RuntimeError(f"It is expected {name} equals to 2, but got size {len(v)}")
    return v


def _blocks(size, k, d, p, s):
    return tuple((n + 2 * pp - dd * (kk - 1) - 1) // ss + 1
                 for n, kk, dd, pp, ss in zip(size, k, d, p, s))


def _check_block_args(k, d, p, s):
    if k[0] <= 0 or k[1] <= 0:
        raise RuntimeError(f"kernel size should be greater than zero, but got kernel_height: "
                           f"{k[0]} kernel_width: {k[1]}")
    if s[0] <= 0 or s[1] <= 0:
        raise RuntimeError(f"stride should be greater than zero, but got stride_height: {s[0]} "
                           f"stride_width: {s[1]}")
    if d[0] <= 0 or d[1] <= 0:
        raise RuntimeError(f"dilation should be greater than zero, but got dilation_height: "
                           f"{d[0]} dilation_width: {d[1]}")
    if p[0] < 0 or p[1] < 0:
        raise RuntimeError(f"padding should be non-negative, but got pad_height: {p[0]} "
                           f"pad_width: {p[1]}")


def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    k, d = _pair(kernel_size, "kernel_size"), _pair(dilation, "dilation")
    p, s = _pair(padding, "padding"), _pair(stride, "stride")
    _check_block_args(k, d, p, s)
    nd = input.dim()
    if nd not in (3, 4) or any(n == 0 for n in input.shape[1:]):
        raise RuntimeError(f"Expected 3D or 4D (batch mode) tensor with possibly 0 batch size and "
                           f"non-zero dimensions for input, but got: {_lst(input.shape)}")
    size = tuple(input.shape[-2:])
    blocks = _blocks(size, k, d, p, s)
    if blocks[0] < 1 or blocks[1] < 1:
        raise RuntimeError(f"Given input with spatial size {size}, kernel_size={k}, dilation={d}, "
                           f"padding={p}, calculated shape of the array of sliding blocks as "
                           f"{blocks}, but its components must be at least one.")
    geom = _conv_ops.Geom(s, p, p, d, 1)
    if nd == 3:
        return _conv_ops.Im2Col.apply(input.unsqueeze(0), k, blocks, geom).squeeze(0)
    return _conv_ops.Im2Col.apply(input, k, blocks, geom)


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    size = _pair(output_size, "output_size")
    k, d = _pair(kernel_size, "kernel_size"), _pair(dilation, "dilation")
    p, s = _pair(padding, "padding"), _pair(stride, "stride")
    _check_block_args(k, d, p, s)
    nd = input.dim()
    if nd not in (2, 3) or any(n == 0 for n in input.shape[1:]):
        raise RuntimeError(f"Expected 2D or 3D (batch mode) tensor for input with possibly 0 batch "
                           f"size and non-zero dimensions for input, but got: {_lst(input.shape)}")
    ck, L = input.shape[-2:]
    if ck % (k[0] * k[1]):
        raise RuntimeError(f"Expected size of input's dimension 1 to be divisible by the product "
                           f"of kernel_size, but got input.size(1)={ck} and kernel_size={k}.")
    blocks = _blocks(size, k, d, p, s)
    if blocks[0] * blocks[1] != L or blocks[0] < 1 or blocks[1] < 1:
        raise RuntimeError(f"Given output_size={size}, kernel_size={k}, dilation={d}, "
                           f"padding={p}, stride={s}, expected size of input's dimension 2 to "
                           f"match the calculated number of sliding blocks {max(blocks[0], 0)} * "
                           f"{max(blocks[1], 0)} = {max(blocks[0], 0) * max(blocks[1], 0)}, but "
                           f"got input.size(2)={L}.")
    geom = _conv_ops.Geom(s, p, p, d, 1)
    if nd == 2:
        return _conv_ops.Col2Im.apply(input.unsqueeze(0), size, k, blocks, geom).squeeze(0)
    return _conv_ops.Col2Im.apply(input, size, k, blocks, geom)


# -- pixel and channel shuffles -----------------------------------------------------------------------

def pixel_shuffle(input, upscale_factor):
    """(*, C r^2, H, W) -> (*, C, H r, W r): a reshape, a permute and a reshape."""
    r = int(upscale_factor)
    if input.dim() < 3:
        raise RuntimeError(f"pixel_shuffle expects input to have at least 3 dimensions, but got "
                           f"input with {input.dim()} dimension(s)")
    if r <= 0:
        raise RuntimeError(f"pixel_shuffle expects a positive upscale_factor, but got {r}")
    *lead, C, H, W = input.shape
    if C % (r * r):
        raise RuntimeError(f"pixel_shuffle expects its input's 'channel' dimension to be divisible "
                           f"by the square of upscale_factor, but input.size(-3)={C} is not "
                           f"divisible by {r * r}")
    n = len(lead)
    x = input.reshape(*lead, C // (r * r), r, r, H, W)
    order = list(range(n)) + [n, n + 3, n + 1, n + 4, n + 2]
    return x.permute(order).reshape(*lead, C // (r * r), H * r, W * r)


def pixel_unshuffle(input, downscale_factor):
    """(*, C, H r, W r) -> (*, C r^2, H, W), the inverse of pixel_shuffle."""
    r = int(downscale_factor)
    if input.dim() < 3:
        raise RuntimeError(f"pixel_unshuffle expects input to have at least 3 dimensions, but got "
                           f"input with {input.dim()} dimension(s)")
    if r <= 0:
        raise RuntimeError(f"pixel_unshuffle expects a positive downscale_factor, but got {r}")
    *lead, C, H, W = input.shape
    if H % r:
        raise RuntimeError(f"pixel_unshuffle expects height to be divisible by downscale_factor, "
                           f"but input.size(-2)={H} is not divisible by {r}")
    if W % r:
        raise RuntimeError(f"pixel_unshuffle expects width to be divisible by downscale_factor, "
                           f"but input.size(-1)={W} is not divisible by {r}")
    n = len(lead)
    x = input.reshape(*lead, C, H // r, r, W // r, r)
    order = list(range(n)) + [n, n + 2, n + 4, n + 1, n + 3]
    return x.permute(order).reshape(*lead, C * r * r, H // r, W // r)


def channel_shuffle(input, groups):
    """(N, C, *) with channels (g, C/g) reordered to (C/g, g)."""
    if input.dim() <= 2:
        raise RuntimeError(f"channel_shuffle expects input to have at least 3 dimensions, but got "
                           f"input with {input.dim()} dimension(s)")
    if groups <= 0:
        raise RuntimeError(f"Number of groups to divide channels in must be positive. Value of "
                           f"groups:{groups}")
    N, C, *rest = input.shape
    if C % groups:
        raise RuntimeError(f"Number of channels must be divisible by groups. Got {C} channels and "
                           f"{groups} groups.")
    x = input.reshape(N, groups, C // groups, *rest).transpose(1, 2)
    return x.reshape(N, C, *rest)


native_channel_shuffle = channel_shuffle
