"""Memory formats: ``ember.contiguous_format``, ``channels_last`` (4-d), ``channels_last_3d``
(5-d) and ``preserve_format``, as PyTorch's. A channels-last tensor keeps its logical
(N, C, H, W) shape while its array is laid out (N, H, W, C) in memory: strides
(H*W*C, 1, W*C, C). Convolutions, pooling, BatchNorm and elementwise ops hand back the layout
they were given (PyTorch's rule), so a model and its input converted once stay channels-last;
ember's convolutions run channels-last inside either way (``ops/conv.py``), and a channels-last
model saves the layout copies at their boundary."""
from ..autograd.function import Function

__all__ = ["memory_format", "contiguous_format", "channels_last", "channels_last_3d",
           "preserve_format"]


class memory_format:
    """The type of ``ember.channels_last`` and its siblings (``torch.memory_format``)."""
    __slots__ = ("_name",)

    def __init__(self, name):
        self._name = name

    def __repr__(self):
        return f"torch.{self._name}"

    def __reduce__(self):
        return self._name


contiguous_format = memory_format("contiguous_format")
channels_last = memory_format("channels_last")
channels_last_3d = memory_format("channels_last_3d")
preserve_format = memory_format("preserve_format")
_RANK = {channels_last: 4, channels_last_3d: 5}


def _check(fmt):
    if not isinstance(fmt, memory_format):
        raise TypeError(f"memory_format must be ember.memory_format, not {type(fmt).__name__}")


def _cl_order(ndim):
    """Dims from outermost to innermost in memory for channels-last: N, spatial..., C."""
    return (0, *range(2, ndim), 1)


def is_contiguous_as(a, fmt):
    """Whether array ``a`` is dense in ``fmt``'s layout (size-1 dims may have any stride)."""
    _check(fmt)
    if fmt not in _RANK:
        return bool(a.flags.c_contiguous)
    if a.ndim != _RANK[fmt]:
        return False
    expect = a.itemsize
    for d in reversed(_cl_order(a.ndim)):
        if a.shape[d] != 1 and a.strides[d] != expect:
            return False
        expect *= a.shape[d]
    return True


def _suggests(a, fmt):
    """Whether ``a`` already is in ``fmt`` as PyTorch's ``to`` judges it (by its strides)."""
    from .conv import is_channels_last
    if fmt is preserve_format:
        return True
    if fmt in _RANK:
        return a.ndim == _RANK[fmt] and is_channels_last(a)
    return bool(a.flags.c_contiguous) and not is_channels_last(a)


def as_format(xp, a, fmt):
    """``a`` laid out in ``fmt`` (a copy unless it already is)."""
    if _suggests(a, fmt):
        return a
    if fmt not in _RANK:
        return a.copy(order="C")
    order = _cl_order(a.ndim)
    back = tuple(order.index(d) for d in range(a.ndim))
    # a fresh allocation (not ascontiguousarray, which keeps an array that is contiguous but
    # for the stride of a size-1 dim): PyTorch restrides every dim
    # through the layout copy's fast paths (few channels, 4 KiB planes)
    from .conv import _copy_cl
    out = xp.empty(tuple(a.shape[d] for d in order), a.dtype)
    _copy_cl(xp, out, a.transpose(order))
    return out.transpose(back)


def check_rank(t, fmt):
    _check(fmt)
    if fmt in _RANK and t.dim() != _RANK[fmt]:
        raise RuntimeError(f"required rank {_RANK[fmt]} tensor to use {fmt._name} format")


class ToMemoryFormat(Function):
    """The same values laid out in another memory format; the gradient passes through."""
    _builtin = True

    def name(self):
        return self.fn_name

    # d/dx = identity
    @staticmethod
    def forward(ctx, x, fmt, fn_name):
        ctx.fn_name = fn_name
        return as_format(x._xp, x._data, fmt)

    @staticmethod
    def backward(ctx, g):
        return g, None, None

    @staticmethod
    def onnx(g, ctx, x, fmt, fn_name):
        return g.op("Identity", x)


def to_format(t, fmt, fn_name="ToCopyBackward0"):
    """Tensor ``t`` in memory format ``fmt``: itself when it already is, else a copy."""
    check_rank(t, fmt)
    if _suggests(t._data, fmt):
        return t
    return ToMemoryFormat.apply(t, fmt, fn_name)
