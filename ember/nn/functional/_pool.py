"""Max, average and adaptive pooling (1-, 2- and 3-d): PyTorch's arguments, output sizes
(ceil_mode), divisors (count_include_pad, divisor_override) and messages, over the N-d Functions
of ember.ops.pool. Adaptive average pooling is composed of ember ops (a reshape and a mean when
the sizes divide, else a product with an averaging matrix per dim), so it needs no Function."""
import math

import numpy as np

from ..._tensor import Tensor
from ...ops.pool import AdaptiveMaxPool, AvgPool, MaxPool, PoolGeom

__all__ = ["max_pool1d", "max_pool2d", "max_pool3d", "max_pool1d_with_indices",
           "max_pool2d_with_indices", "max_pool3d_with_indices", "avg_pool1d", "avg_pool2d",
           "avg_pool3d", "adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_avg_pool3d",
           "adaptive_max_pool1d", "adaptive_max_pool2d", "adaptive_max_pool3d",
           "adaptive_max_pool1d_with_indices", "adaptive_max_pool2d_with_indices",
           "adaptive_max_pool3d_with_indices"]

_WORDS = {2: "two", 3: "three"}
_AXES = {1: ("W",), 2: ("H", "W"), 3: ("T", "H", "W")}


def _sizes(shape):
    return "[" + ", ".join(str(s) for s in shape) + "]"


def _arg_message(op, name, n, got):
    """PyTorch's words for a kernel_size / stride / padding / dilation of the wrong length."""
    if op == "max_pool1d":
        what = {"kernel_size": "an int, list of ints or tuple of ints",
                "stride": "None, an int, list of ints, or tuple of ints",
                "padding": "an int, list of ints, or tuple of ints",
                "dilation": "an int, list of ints or tuple of ints"}[name]
        return f"max_pool1d() {name} must be {what} of size 1 but got size {got}"
    if op == "avg_pool1d":
        return f"avg_pool1d() argument '{name}' should contain one int (got {got})"
    either = "" if op == "avg_pool3d" else "either "
    if name == "dilation":
        return f"{op}: dilation must be either a single int, or a tuple of {_WORDS[n]} ints"
    omitted = "omitted, " if name == "stride" else ""
    return f"{op}: {name} must {either}be {omitted}a single int, or a tuple of {_WORDS[n]} ints"


def _arg(v, n, op, name):
    if isinstance(v, (int, np.integer)):
        return (int(v),) * n
    v = tuple(int(i) for i in v)
    if len(v) == 1:
        return v * n
    if len(v) != n:
        raise RuntimeError(_arg_message(op, name, n, len(v)))
    return v


def _check_dims(input, n, op):
    """The input's rank and non-empty non-batch dims, in each op's own words."""
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(input).__name__}")
    nd, shape = input.dim(), tuple(input.shape)
    batched_ok = nd in (n + 1, n + 2)
    empty = batched_ok and 0 in shape[nd - n - 1:]
    if op == "max_pool1d" and (not batched_ok or empty):
        raise RuntimeError(f"max_pool1d: Expected 2D or 3D (batch mode) tensor with optional 0 dim "
                           f"batch size for input, but got:{_sizes(shape)}")
    if op == "avg_pool1d":
        if not batched_ok:
            raise RuntimeError(f"Expected 2 to 3 dimensions, but got {nd}-dimensional tensor for "
                               "argument #1 'self' (while checking arguments for avg_pool1d)")
        if empty:   # runs as avg_pool2d of height 1
            raise RuntimeError(f"Expected 3D or 4D (batch mode) tensor with optional 0 dim batch "
                               f"size for input, but got:{_sizes(shape[:-1] + (1,) + shape[-1:])}")
    if n == 2:
        if op == "avg_pool2d" and nd < 3:
            m = max(nd, 1)
            raise IndexError(f"Dimension out of range (expected to be in range of [{-m}, {m - 1}], "
                             "but got -3)")
        if not batched_ok and op == "max_pool2d":
            raise RuntimeError("non-empty 3D or 4D (batch mode) tensor expected for input")
        if not batched_ok or empty:
            raise RuntimeError(f"Expected 3D or 4D (batch mode) tensor with optional 0 dim batch "
                               f"size for input, but got:{_sizes(shape)}")
    if n == 3:
        if not batched_ok:
            raise RuntimeError("non-empty 4D or 5D (batch mode) tensor expected for input")
        if empty:   # (PyTorch prints the length, 0, where it means to print the dim)
            where = ("max_pool3d_with_indices_out_cpu_template()" if op == "max_pool3d"
                     else f"{op}()")
            raise RuntimeError(f"{where}: Expected input's non-batch dimensions to have positive "
                               f"length, but input has a shape of {_sizes(shape)} and non-batch "
                               "dimension 0 has length zero!")
    if input.dtype.name == "bool" or (op == "max_pool1d" and not input.is_floating_point()):
        impl = "max_pool1d_impl" if op == "max_pool1d" else op
        raise NotImplementedError(f"\"{impl}\" not implemented for '{input.dtype._short}'")
    return nd == n + 1


def _geometry(input, n, op, kernel_size, stride, padding, dilation, ceil_mode):
    """Checks, then the window geometry and the output size."""
    kernel = _arg(kernel_size, n, op, "kernel_size")
    stride = kernel if stride is None or (isinstance(stride, (tuple, list)) and not stride) \
        else _arg(stride, n, op, "stride")
    padding = _arg(padding, n, op, "padding")
    dilation = _arg(dilation, n, op, "dilation")
    size = tuple(input.shape[-n:]) if input.dim() >= n else ()
    one_d = op == "max_pool1d"
    if one_d:
        for name, v, bad in (("kernel_size", kernel, kernel[0] <= 0), ("stride", stride,
                             stride[0] <= 0), ("dilation", dilation, dilation[0] <= 0)):
            if bad:
                raise RuntimeError(f"max_pool1d() {name} must be greater than zero, but got {v[0]}")
        if padding[0] < 0:
            raise RuntimeError(f"max_pool1d() padding must be non-negative, but got {padding[0]}")
        if padding[0] > kernel[0] // 2:
            raise RuntimeError(f"max_pool1d() padding should be at most half of kernel size, but "
                               f"got padding={padding[0]} and kernel_size={kernel[0]}")
    else:
        if any(s == 0 for s in stride):
            raise RuntimeError("stride should not be zero")
        if any(p < 0 for p in padding):
            raise RuntimeError(f"pad must be non-negative, but got pad: "
                               f"{next(p for p in padding if p < 0)}")
        axes = _AXES[max(n, 2)]
        lead = (1,) if n == 1 else ()     # 1-d ops run as 2-d ones of height 1
        if any(k <= 0 for k in kernel):
            raise RuntimeError("kernel size should be greater than zero, but got " + " ".join(
                f"k{a}: {k}" for a, k in zip(axes, lead + kernel)))
        if any(s < 0 for s in stride):
            raise RuntimeError("stride should be greater than zero, but got " + " ".join(
                f"d{a}: {s}" for a, s in zip(axes, lead + stride)))
        if any(d <= 0 for d in dilation):
            raise RuntimeError("dilation should be greater than zero, but got " + " ".join(
                f"dilation{a}: {d}" for a, d in zip(axes, lead + dilation)))
    unbatched = _check_dims(input, n, op)
    if not one_d:
        for p, k, d in zip(padding, kernel, dilation):
            if p > (d * (k - 1) + 1) // 2:
                raise RuntimeError(f"pad should be at most half of effective kernel size, but got "
                                   f"pad={p}, kernel_size={k} and dilation={d}")
    if op == "avg_pool3d" and any(s < k for s, k in zip(size, kernel)):
        raise RuntimeError(f"input image (T: {size[0]} H: {size[1]} W: {size[2]}) smaller than "
                           f"kernel size (kT: {kernel[0]} kH: {kernel[1]} kW: {kernel[2]})")
    osize = []
    for s_in, k, s, p, d in zip(size, kernel, stride, padding, dilation):
        o = (s_in + 2 * p - d * (k - 1) - 1 + (s - 1 if ceil_mode else 0)) // s + 1
        if ceil_mode and (o - 1) * s >= s_in + p:
            o -= 1      # the last window must start inside the input or its left padding
        osize.append(o)
    osize = tuple(osize)
    if any(o < 1 for o in osize):
        if one_d:
            raise RuntimeError(f"max_pool1d() Invalid computed output size: {osize[0]}")
        c = input.shape[-n - 1]
        lead = (1,) if n == 1 else ()
        raise RuntimeError(f"Given input size: ({'x'.join(map(str, (c,) + lead + size))}). "
                           f"Calculated output size: ({'x'.join(map(str, (c,) + lead + osize))}). "
                           "Output size is too small")
    geom = PoolGeom(kernel, stride, padding, dilation)
    return geom, osize, unbatched


def _max_pool(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices, n, op):
    geom, osize, unbatched = _geometry(input, n, op, kernel_size, stride, padding, dilation,
                                       ceil_mode)
    x = input.unsqueeze(0) if unbatched else input
    out, idx = MaxPool.apply(x, geom, osize, return_indices)
    if unbatched:
        out, idx = out.squeeze(0), (idx.squeeze(0) if idx is not None else None)
    return (out, idx) if return_indices else out


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    return _max_pool(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices, 1,
                     "max_pool1d")


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    return _max_pool(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices, 2,
                     "max_pool2d")


def max_pool3d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    return _max_pool(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices, 3,
                     "max_pool3d")


def max_pool1d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1,
                            ceil_mode=False, return_indices=False):
    return max_pool1d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool2d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1,
                            ceil_mode=False, return_indices=False):
    return max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool3d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1,
                            ceil_mode=False, return_indices=False):
    return max_pool3d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def _divisor(geom, osize, size, ceil_mode, count_include_pad, divisor_override, integer):
    """What each window's sum is divided by: a number when all windows agree, else an array
    over the output positions (the product of per-dim counts, as PyTorch counts them)."""
    if divisor_override is not None:
        if divisor_override == 0:
            raise RuntimeError("divisor must be not zero")
        return divisor_override
    n = len(osize)
    div = 1
    for j, (o, k, s, p, n_in) in enumerate(zip(osize, geom.kernel, geom.stride, geom.padding,
                                                size)):
        start = np.arange(o) * s - p
        end = np.minimum(start + k, n_in + p)
        count = end - start if count_include_pad else \
            np.minimum(end, n_in) - np.maximum(start, 0)
        div = div * count.reshape((1,) * j + (o,) + (1,) * (n - j - 1))
    if np.all(div == math.prod(geom.kernel)):
        return math.prod(geom.kernel)
    return div if integer else div.astype(np.float64)


def _avg_pool(input, kernel_size, stride, padding, ceil_mode, count_include_pad,
              divisor_override, n, op):
    geom, osize, unbatched = _geometry(input, n, op, kernel_size, stride, padding, 1, ceil_mode)
    x = input.unsqueeze(0) if unbatched else input
    div = _divisor(geom, osize, tuple(x.shape[2:]), ceil_mode, count_include_pad,
                   divisor_override, not input.is_floating_point())
    out = AvgPool.apply(x, geom, osize, div)
    return out.squeeze(0) if unbatched else out


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True):
    return _avg_pool(input, kernel_size, stride, padding, ceil_mode, count_include_pad, None, 1,
                     "avg_pool1d")


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    return _avg_pool(input, kernel_size, stride, padding, ceil_mode, count_include_pad,
                     divisor_override, 2, "avg_pool2d")


def avg_pool3d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    return _avg_pool(input, kernel_size, stride, padding, ceil_mode, count_include_pad,
                     divisor_override, 3, "avg_pool3d")


# -- adaptive pooling ------------------------------------------------------------------------

def _adaptive_args(input, output_size, n, op):
    """Checks; the output size (None keeps the input's size) and whether the input is
    unbatched."""
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(input).__name__}")
    nd, shape = input.dim(), tuple(input.shape)
    if n == 1:
        if isinstance(output_size, (tuple, list)) and len(output_size) != 1:
            raise RuntimeError(f"{op}() argument 'output_size' should contain one int (got "
                               f"{len(output_size)})")
        if nd not in (2, 3):
            raise RuntimeError(f"Expected 2 to 3 dimensions, but got {nd}-dimensional tensor for "
                               f"argument #1 'self' (while checking arguments for {op})")
    elif nd not in (n + 1, n + 2):
        colon = ":" if "max" in op else ""
        raise RuntimeError(f"{op}(): Expected {n + 1}D or {n + 2}D tensor, but got{colon} "
                           f"{_sizes(shape)}")
    if isinstance(output_size, (int, np.integer)):
        out = (int(output_size),) * n
    else:
        out = tuple(output_size)
        if nd <= len(out):
            raise ValueError(f"Input dimension should be at least {len(out) + 1}")
        out = tuple(s if o is None else int(o) for o, s in zip(out, shape[nd - len(out):]))
        if len(out) != n:
            raise RuntimeError(f"{op}(): internal error: output_size.size() must be {n}"
                               if "max" in op else f"{op}: output_size must be {n}")
    # 1-d average pooling runs as 2-d of height 1 (its messages say so); 1-d max pooling does not
    as_2d = op == "adaptive_avg_pool1d"
    view = shape[:-1] + (1,) + shape[-1:] if as_2d else shape
    first = 0 if len(view) == (2 if as_2d else n) + 1 else 1
    for i in range(first, len(view)):
        if view[i] == 0:
            name = "adaptive_avg_pool2d" if op == "adaptive_avg_pool1d" else op
            raise RuntimeError(f"{name}(): Expected input to have non-zero size for non-batch "
                               f"dimensions, but input has sizes {_sizes(view)} with dimension {i} "
                               "being empty")
    if any(o < 0 for o in out):
        if "max" in op:
            lead = shape[:-1] + (1,) if n == 1 else shape[:-n]    # 1-d runs as 2-d here
            raise RuntimeError(f"Trying to create tensor with negative dimension "
                               f"{next(o for o in out if o < 0)}: {_sizes(lead + out)}")
        name = "adaptive_avg_pool2d" if op == "adaptive_avg_pool1d" else op
        shown = (1,) + out if op == "adaptive_avg_pool1d" else out
        raise RuntimeError(f"{name}: elements of output_size must be greater than or equal to 0 but "
                           f"received {{{', '.join(map(str, shown))}}}")
    if not input.is_floating_point():
        name = "adaptive_avg_pool2d" if op == "adaptive_avg_pool1d" else op
        raise NotImplementedError(f"\"{name}\" not implemented for '{input.dtype._short}'")
    return out, nd == n + 1


def _averaging_matrix(size, osize, dtype):
    """A (size, osize) matrix whose column i averages PyTorch's adaptive window i."""
    i = np.arange(osize)
    start, end = i * size // osize, -(-(i + 1) * size // osize)
    j = np.arange(size)[:, None]
    inside = (j >= start) & (j < end)
    return Tensor._wrap((inside / np.maximum(end - start, 1)).astype(dtype))


def _adaptive_avg(input, output_size, n, op):
    out, unbatched = _adaptive_args(input, output_size, n, op)
    x = input.unsqueeze(0) if unbatched else input
    size = tuple(x.shape[2:])
    if all(o > 0 and s % o == 0 for s, o in zip(size, out)):
        if all(o == 1 for o in out):
            y = x.mean(tuple(range(2, n + 2)), keepdim=True)
        else:   # equal windows: a reshape and one mean
            split = tuple(v for s, o in zip(size, out) for v in (o, s // o))
            y = x.reshape(tuple(x.shape[:2]) + split).mean(tuple(range(3, 3 + 2 * n, 2)))
    else:       # windows of different lengths: one small matrix product per dim
        y = x
        for j, (s, o) in enumerate(zip(size, out)):
            if s == o:
                continue
            if o > 0 and s % o == 0:
                y = y.unflatten(2 + j, (o, s // o)).mean(3 + j)
            else:
                a = _averaging_matrix(s, o, x._data.dtype)
                y = y.movedim(2 + j, -1).matmul(a).movedim(-1, 2 + j)
    return y.squeeze(0) if unbatched else y


def adaptive_avg_pool1d(input, output_size):
    return _adaptive_avg(input, output_size, 1, "adaptive_avg_pool1d")


def adaptive_avg_pool2d(input, output_size):
    return _adaptive_avg(input, output_size, 2, "adaptive_avg_pool2d")


def adaptive_avg_pool3d(input, output_size):
    return _adaptive_avg(input, output_size, 3, "adaptive_avg_pool3d")


def _adaptive_max(input, output_size, return_indices, n, op):
    out, unbatched = _adaptive_args(input, output_size, n, op)
    x = input.unsqueeze(0) if unbatched else input
    size = tuple(x.shape[2:])
    if all(o > 0 and s % o == 0 for s, o in zip(size, out)):   # equal windows: plain max pooling
        k = tuple(s // o for s, o in zip(size, out))
        y, idx = MaxPool.apply(x, PoolGeom(k, k, (0,) * n, (1,) * n), out, True)
    else:
        y, idx = AdaptiveMaxPool.apply(x, out)
    if unbatched:
        y, idx = y.squeeze(0), idx.squeeze(0)
    return (y, idx) if return_indices else y


def adaptive_max_pool1d(input, output_size, return_indices=False):
    return _adaptive_max(input, output_size, return_indices, 1, "adaptive_max_pool1d")


def adaptive_max_pool2d(input, output_size, return_indices=False):
    return _adaptive_max(input, output_size, return_indices, 2, "adaptive_max_pool2d")


def adaptive_max_pool3d(input, output_size, return_indices=False):
    return _adaptive_max(input, output_size, return_indices, 3, "adaptive_max_pool3d")


def adaptive_max_pool1d_with_indices(input, output_size, return_indices=False):
    return adaptive_max_pool1d(input, output_size, True)


def adaptive_max_pool2d_with_indices(input, output_size, return_indices=False):
    return adaptive_max_pool2d(input, output_size, True)


def adaptive_max_pool3d_with_indices(input, output_size, return_indices=False):
    return adaptive_max_pool3d(input, output_size, True)
