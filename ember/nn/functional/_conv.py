"""conv1d/2d/3d and conv_transpose1d/2d/3d: PyTorch's argument checks and messages, then one
N-d implementation (ember.ops.conv). Unbatched inputs get a batch dim of one and lose it again."""
import numpy as np

from ..._tensor import Tensor
from ...ops.conv import Conv, ConvTranspose, Geom, conv_out_size

__all__ = ["conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
           "conv_transpose3d"]

# the element type names c10 prints in "Input type (float) and bias type (double) ..."
_C10_NAMES = {"Float": "float", "Double": "double", "Half": "c10::Half", "BFloat16": "c10::BFloat16",
              "Long": "long int", "Int": "int", "Short": "short int", "Char": "signed char",
              "Byte": "unsigned char", "Bool": "bool"}


def _sizes(shape):
    return "[" + ", ".join(str(s) for s in shape) + "]"


def _tuple(v, n):
    """An int, or a sequence (one element is broadcast to all ``n`` dims, as PyTorch's parser)."""
    if isinstance(v, (int, np.integer)):
        return (int(v),) * n
    v = tuple(int(i) for i in v)
    return v * n if len(v) == 1 else v


def _check_len(name, v, k):
    if len(v) != k:
        raise RuntimeError(f"expected {name} to be a single integer value or a list of {k} values "
                           f"to match the convolution dimensions, but got {name}={list(v)}")


def _check_input(input, n, op):
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(input).__name__}")
    if input.dim() not in (n + 1, n + 2):
        raise RuntimeError(f"Expected {n + 1}D (unbatched) or {n + 2}D (batched) input to {op}, but "
                           f"got input of size: {_sizes(input.shape)}")
    return input.dim() == n + 1


def _check_types(x, w, b):
    if x.dtype != w.dtype:
        if x.dtype.name == "float32":
            raise RuntimeError(f"Input type (torch.{x.dtype._short}Tensor) and weight type "
                               f"(torch.{w.dtype._short}Tensor) should be the same or input should "
                               "be a MKLDNN tensor and weight is a dense tensor")
        raise RuntimeError(f"expected scalar type {x.dtype._short} but found {w.dtype._short}")
    if b is not None and b.dtype != x.dtype:
        raise RuntimeError(f"Input type ({_C10_NAMES.get(x.dtype._short, x.dtype.name)}) and bias "
                           f"type ({_C10_NAMES.get(b.dtype._short, b.dtype.name)}) should be the "
                           "same")


def _check_common(x, w, b, stride, padding, dilation, groups, transposed):
    """The checks PyTorch's convolution does on (batched) input, weight and bias."""
    k = w.dim() - 2
    if any(p < 0 for p in padding):
        raise RuntimeError("negative padding is not supported")
    if any(s <= 0 for s in stride):
        raise RuntimeError("non-positive stride is not supported")
    if any(d < 0 for d in dilation):
        raise RuntimeError("dilation should be greater than zero")
    if any(d == 0 for d in dilation):
        raise RuntimeError("non-positive dilation is not supported")
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")
    if w.dim() != x.dim():
        raise RuntimeError(f"Expected {w.dim()}-dimensional input for {w.dim()}-dimensional weight "
                           f"{_sizes(w.shape)}, but got {x.dim()}-dimensional input of size "
                           f"{_sizes(x.shape)} instead")
    _check_types(x, w, b)
    ws = tuple(w.shape)
    if ws[0] < groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be at least {groups} at "
                           f"dimension 0, but got weight of size {_sizes(ws)} instead")
    if ws[0] % groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by {groups} at "
                           f"dimension 0, but got weight of size [{_sizes(ws)}] instead")
    cin = ws[0] if transposed else ws[1] * groups
    if x.shape[1] != cin:
        what = f"transposed={int(transposed)}" if transposed else f"groups={groups}"
        raise RuntimeError(f"Given {what}, weight of size {_sizes(ws)}, expected input"
                           f"{_sizes(x.shape)} to have {cin} channels, but got {x.shape[1]} "
                           "channels instead")
    cout = ws[1] * groups if transposed else ws[0]
    if b is not None and (b.dim() != 1 or b.shape[0] != cout):
        what = f"Given transposed=1, weight of size {_sizes(ws)}" if transposed else \
            f"Given weight of size {_sizes(ws)}"
        raise RuntimeError(f"{what}, expected bias to be 1-dimensional with {cout} elements, but "
                           f"got bias of size {_sizes(b.shape)} instead")
    return k


def _conv(input, weight, bias, stride, padding, dilation, groups, n, op):
    unbatched = _check_input(input, n, op)
    x = input.unsqueeze(0) if unbatched else input
    k = weight.dim() - 2
    stride, dilation = _tuple(stride, n), _tuple(dilation, n)
    _check_len("stride", stride, k)
    ksize = tuple(weight.shape[2:])
    if isinstance(padding, str):
        if padding not in ("same", "valid"):
            raise RuntimeError(f"Invalid padding string: '{padding}'")
        if padding == "same" and any(s != 1 for s in stride):
            raise RuntimeError("padding='same' is not supported for strided convolutions")
        _check_len("dilation", dilation, k)
        if padding == "valid":
            lo = hi = (0,) * k
        else:   # the odd unit of an even kernel's total padding goes after, as in PyTorch
            total = tuple(d * (kk - 1) for d, kk in zip(dilation, ksize))
            lo = tuple(t // 2 for t in total)
            hi = tuple(t - p for t, p in zip(total, lo))
    else:
        lo = hi = _tuple(padding, n)
        _check_len("padding", lo, k)
    _check_len("dilation", dilation, k)
    _check_common(x, weight, bias, stride, lo, dilation, groups, False)
    padded = tuple(s + p + q for s, p, q in zip(x.shape[2:], lo, hi))
    eff = tuple(d * (kk - 1) + 1 for d, kk in zip(dilation, ksize))
    if any(p < e for p, e in zip(padded, eff)):
        raise RuntimeError(f"Calculated padded input size per channel: "
                           f"({' x '.join(map(str, padded))}). Kernel size: "
                           f"({' x '.join(map(str, eff))}). Kernel size can't be greater than "
                           "actual input size")
    geom = Geom(stride, lo, hi, dilation, groups)
    out = Conv.apply(x, weight, bias, geom, conv_out_size(tuple(x.shape[2:]), ksize, geom))
    return out.squeeze(0) if unbatched else out


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    return _conv(input, weight, bias, stride, padding, dilation, groups, 1, "conv1d")


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    return _conv(input, weight, bias, stride, padding, dilation, groups, 2, "conv2d")


def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    return _conv(input, weight, bias, stride, padding, dilation, groups, 3, "conv3d")


_AXES = {1: ("height", "width"), 2: ("height", "width"), 3: ("depth", "height", "width")}


def _conv_transpose(input, weight, bias, stride, padding, output_padding, groups, dilation, n,
                    op):
    unbatched = _check_input(input, n, op)
    if isinstance(padding, str):
        raise TypeError(f"{op}(): argument 'padding' must be tuple of ints, not str")
    x = input.unsqueeze(0) if unbatched else input
    k = weight.dim() - 2
    stride, padding, dilation = _tuple(stride, n), _tuple(padding, n), _tuple(dilation, n)
    output_padding = _tuple(output_padding, n)
    for name, v in (("stride", stride), ("padding", padding), ("dilation", dilation),
                    ("output_padding", output_padding)):
        _check_len(name, v, k)
    if any(p < 0 for p in output_padding):
        raise RuntimeError("negative output_padding is not supported")
    _check_common(x, weight, bias, stride, padding, dilation, groups, True)
    ksize, isize = tuple(weight.shape[2:]), tuple(x.shape[2:])
    # PyTorch runs 1-d transposed convolutions as 2-d ones of height 1: its messages say so
    lead = ((0,), (1,), (1,), (1,)) if n == 1 else ((),) * 4
    if any(o >= s and o >= d for o, s, d in zip(output_padding, stride, dilation)):
        names = _AXES[n]
        parts = [f"output_padding_{a}: {v}" for a, v in zip(names, lead[0] + output_padding)]
        parts += [f"stride_{a}: {v}" for a, v in zip(names, lead[1] + stride)]
        parts += [f"dilation_{a}: {v}" for a, v in zip(names, lead[2] + dilation)]
        raise RuntimeError("output padding must be smaller than either stride or dilation, but "
                           "got " + " ".join(parts))
    xsize = tuple((i - 1) * s - 2 * p + d * (kk - 1) + o + 1 for i, s, p, d, kk, o in
                  zip(isize, stride, padding, dilation, ksize, output_padding))
    if any(s < 1 for s in xsize):
        raise RuntimeError(f"Given input size per channel: ({' x '.join(map(str, lead[3] + isize))})"
                           f". Calculated output size per channel: "
                           f"({' x '.join(map(str, lead[3] + xsize))}). Output size is too small")
    geom = Geom(stride, padding, padding, dilation, groups)
    out = ConvTranspose.apply(x, weight, bias, geom, xsize)
    return out.squeeze(0) if unbatched else out


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    return _conv_transpose(input, weight, bias, stride, padding, output_padding, groups, dilation,
                           1, "conv_transpose1d")


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    return _conv_transpose(input, weight, bias, stride, padding, output_padding, groups, dilation,
                           2, "conv_transpose2d")


def conv_transpose3d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    return _conv_transpose(input, weight, bias, stride, padding, output_padding, groups, dilation,
                           3, "conv_transpose3d")


_NP_PAD_MODES = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}


def _mode_pad(input, pads, mode):
    """Pad the trailing dims by ``pads`` (F.pad's order: last dim first, (before, after) pairs)
    with a non-zero ``mode``, as an index_select per dim (differentiable, no new op)."""
    x = input
    for i in range(len(pads) // 2):
        lo, hi = pads[2 * i], pads[2 * i + 1]
        if not lo and not hi:
            continue
        dim = x.dim() - 1 - i
        size = x.shape[dim]
        if mode == "reflect" and (lo >= size or hi >= size):
            raise RuntimeError(f"Argument #4: Padding size should be less than the corresponding "
                               f"input dimension, but got: padding ({lo}, {hi}) at dimension {dim} "
                               f"of input {_sizes(x.shape)}")
        idx = np.pad(np.arange(size, dtype=np.int64), (lo, hi), mode=_NP_PAD_MODES[mode])
        x = x.index_select(dim, Tensor._wrap(idx))
    return x
