"""Broadcasting as ops: expand (a view) and its adjoint sum_to_size, which the engine uses to
bring a broadcast gradient back to an input's shape."""
import numpy as np

from .. import _tensor
from ..autograd.function import Function
from ._util import shape_arg

__all__ = ["broadcast_to", "broadcast_tensors", "broadcast_shapes", "sum_to_size",
           "BroadcastMethods"]
_CTX_AUDITED = True   # every array a Function here keeps on ctx is in its _ctx_arrays


def _expanded_shape(src, sizes):
    if not src and min(sizes, default=0) >= 0:   # a 0-d tensor (a sum's gradient): any sizes
        return tuple(sizes)
    if len(sizes) < len(src):
        raise RuntimeError(f"expand(torch.FloatTensor{{[{', '.join(map(str, src))}]}}, "
                           f"size=[{', '.join(map(str, sizes))}]): the number of sizes provided "
                           f"({len(sizes)}) must be greater or equal to the number of dimensions "
                           f"in the tensor ({len(src)})")
    lead = len(sizes) - len(src)
    out = []
    for i, s in enumerate(sizes):
        if i < lead:
            if s < 0:
                raise RuntimeError(f"The expanded size of the tensor ({s}) isn't allowed in a "
                                   "leading, non-existing dimension 0")
            out.append(s)
            continue
        cur = src[i - lead]
        if s == -1:
            s = cur
        elif cur != s and cur != 1:
            raise RuntimeError(f"The expanded size of the tensor ({s}) must match the existing "
                               f"size ({cur}) at non-singleton dimension {i}.  Target sizes: "
                               f"[{', '.join(map(str, sizes))}].  Tensor sizes: "
                               f"[{', '.join(map(str, src))}]")
        out.append(s)
    return tuple(out)


def broadcast_view(x, shape):
    """A read-only view of array ``x`` broadcast to ``shape`` (valid for it). Built directly
    for a contiguous NumPy array (strides 0 on the broadcast dims): ``np.broadcast_to``'s
    Python wrapper costs more than the small ops that call it."""
    if x.__class__ is not np.ndarray or not x.flags.c_contiguous:
        return np.broadcast_to(x, shape) if x.__class__ is np.ndarray else \
            _tensor.Tensor._wrap(x)._xp.broadcast_to(x, shape)
    if x.ndim:
        lead = len(shape) - x.ndim
        strides = (0,) * lead + tuple(0 if n == 1 and m != 1 else st for n, m, st in
                                      zip(x.shape, shape[lead:], x.strides))
    else:           # a 0-d array (the gradient of a full reduction): strides 0 everywhere
        strides = (0,) * len(shape)
    v = _ndarray(shape, x.dtype, x, 0, strides)
    v.setflags(write=False)
    return v


_ndarray = np.ndarray


class Expand(Function):
    _builtin = True

    # d expand = sum back over the broadcast dims (done by sum_to_size)
    @staticmethod
    def forward(ctx, a, shape):
        shape = _expanded_shape(a._data.shape, shape)
        ctx.in_shape = a._data.shape
        return a._view_of(broadcast_view(a._data, shape))

    @staticmethod
    def backward(ctx, g):
        return SumToSize.apply(g, ctx.in_shape), None

    @staticmethod
    def onnx(graph, ctx, a, shape):
        out = graph.out[0]
        lead = len(out.shape) - len(a.shape)
        # dims the input already has at full size stay 1 in Expand's (broadcasting) shape
        kept = {lead + i for i, s in enumerate(a.shape) if s == out.shape[lead + i]}
        return graph.op("Expand", a, graph.shape_of(out, infer=False, ones=kept))


class SumToSize(Function):
    _builtin = True

    # adjoint of expand: d sum_to_size = expand
    @staticmethod
    def forward(ctx, a, shape):
        src = a._data.shape
        shape = tuple(shape)
        ctx.in_shape = src
        if src == shape:
            return a._data
        lead = len(src) - len(shape)
        if lead < 0:
            raise RuntimeError(f"size {{{list(shape)}}} is not expandable to size {{{list(src)}}}.")
        dims = list(range(lead))
        for i, s in enumerate(shape):
            if s == 1 and src[lead + i] != 1:
                dims.append(lead + i)
            elif s != src[lead + i]:
                raise RuntimeError(f"size {{{list(shape)}}} is not expandable to size "
                                   f"{{{list(src)}}}.")
        out = a._data.sum(axis=tuple(dims), keepdims=True) if dims else a._data
        return out.reshape(shape)

    @staticmethod
    def backward(ctx, g):
        return Expand.apply(g, ctx.in_shape), None

    @staticmethod
    def onnx(graph, ctx, a, shape):
        src, shape = ctx.in_shape, tuple(shape)
        lead = len(src) - len(shape)
        dims = list(range(lead)) + [lead + i for i, s in enumerate(shape)
                                    if s == 1 and src[lead + i] != 1]
        if not dims:
            return graph.op("Identity", a)
        return graph.reshape(graph.reduce("ReduceSum", a, dims, True), graph.out[0])


def broadcast_shapes(*shapes):
    try:
        return _tensor.Size(np.broadcast_shapes(*[tuple(s) if not isinstance(s, int) else (s,)
                                                  for s in shapes]))
    except ValueError:
        raise RuntimeError(f"Shape mismatch: objects cannot be broadcast to a single shape. "
                           f"Got shapes {', '.join(str(list(s)) for s in shapes)}") from None


def broadcast_to(input, size):
    return Expand.apply(input, tuple(size))


def broadcast_tensors(*tensors):
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tensors[0]
    shape = broadcast_shapes(*[t.shape for t in tensors])
    return tuple(t if t.shape == shape else Expand.apply(t, tuple(shape)) for t in tensors)


def sum_to_size(input, *size):
    return SumToSize.apply(input, shape_arg(size))


class BroadcastMethods:
    __slots__ = ()

    def expand(self, *sizes):
        return Expand.apply(self, shape_arg(sizes))

    def expand_as(self, other):
        return Expand.apply(self, other._data.shape)

    def broadcast_to(self, size):
        return Expand.apply(self, tuple(size))

    def sum_to_size(self, *size):
        return SumToSize.apply(self, shape_arg(size))
