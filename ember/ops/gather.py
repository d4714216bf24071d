"""Gather/scatter family: gather, scatter, scatter_add, index_select, index_add, index_fill,
masked_select, masked_scatter, where, nonzero, take_along_dim.

Each gather-like op has a scatter-like op as its adjoint and the other way round, so every
backward here is written with another op of this file (and double backward works)."""
import numpy as np

from .. import _tensor
from ..autograd.function import Function
from ._util import canon_dim, operands

__all__ = ["gather", "scatter", "scatter_add", "index_select", "index_add", "index_fill",
           "masked_select", "masked_scatter", "where", "nonzero", "argwhere", "take_along_dim",
           "take", "index_copy", "GatherMethods"]
_CTX_AUDITED = True   # every array a Function here keeps on ctx is in its _ctx_arrays

_INDEX_NP = (np.dtype(np.int64), np.dtype(np.int32))


# -- helpers -------------------------------------------------------------------------------------
def _lst(shape):
    return f"[{', '.join(map(str, shape))}]"


def _zeros(g, shape):
    """A constant zero tensor like ``g`` (same dtype and device) of ``shape``."""
    return g._wrap(g._xp.zeros(shape, g._data.dtype))


def _first_bad(idx, size):
    """The first index outside ``[0, size)`` (PyTorch does not wrap negative indices here), or
    None. When all are fine: two comparisons and one any()."""
    if idx.size == 0:
        return None
    flat = idx.reshape(-1)
    bad = (flat < 0) | (flat >= size)
    if not bad.any():       # one yes/no read of the data (ember.compile guards on it)
        return None
    return int(flat[int(bad.argmax())])


def _check_bounds(idx, size, dim):
    bad = _first_bad(idx, size)
    if bad is not None:
        raise RuntimeError(f"index {bad} is out of bounds for dimension {dim} with size {size}")


def _mesh(xp, idx, dim):
    """The advanced index that reads ``x[..., idx[i, j, k], ...]`` at each position of ``idx``:
    ``idx`` itself along ``dim``, an open-grid arange along every other dim."""
    nd = idx.ndim
    return tuple(idx if d == dim else xp.arange(n).reshape((n,) + (1,) * (nd - d - 1))
                 for d, n in enumerate(idx.shape))


def _add_at(xp, out, idx, vals):
    (np.add.at if xp is np else xp.add.at)(out, idx, vals)


def _head(arr, shape):
    """The leading ``shape`` block of ``arr`` (a view)."""
    return arr if arr.shape == tuple(shape) else arr[tuple(slice(0, n) for n in shape)]


def _pad_to(t, shape):
    """``t`` placed at the start of zeros of ``shape`` (a differentiable op from index.py)."""
    if t._data.shape == tuple(shape):
        return t
    from .index import IndexScatter
    return IndexScatter.apply(t, tuple(shape), tuple(slice(0, n) for n in t._data.shape), True)


def _broadcast(*shapes):
    """The broadcast shape, with PyTorch's message naming the first mismatch."""
    try:
        return np.broadcast_shapes(*shapes)
    except ValueError:
        pass
    nd = max(len(s) for s in shapes)
    for i in range(1, nd + 1):
        cur = 1
        for s in shapes:
            n = s[-i] if i <= len(s) else 1
            if n != 1 and cur != 1 and n != cur:
                raise RuntimeError(f"The size of tensor a ({cur}) must match the size of tensor b "
                                   f"({n}) at non-singleton dimension {nd - i}")
            cur = n if n != 1 else cur
    raise AssertionError("unreachable")


def _check_index(index, op):
    if not isinstance(index, _tensor.Tensor):
        raise TypeError(f"{op}(): argument 'index' must be Tensor, not {type(index).__name__}")
    if index._data.dtype not in _INDEX_NP:
        raise RuntimeError(f"{op}(): Expected dtype int32/int64 for index")


def _scatter_args(op, x, dim, index, src):
    """Validate a gather/scatter call; return the canonical dim and 1-d-at-least arrays of self,
    index (and src), as PyTorch treats a 0-d tensor as having one dim of size 1."""
    _check_index(index, op)
    nd = max(x.ndim, 1)
    dim = canon_dim(dim, x.ndim)
    idx = index._data
    if max(idx.ndim, 1) != nd:
        who = "input" if op == "gather" else "self"
        raise RuntimeError(f"Index tensor must have the same number of dimensions as {who} tensor")
    if src is not None and max(src.ndim, 1) != nd:
        raise RuntimeError("Index tensor must have the same number of dimensions as src tensor")
    x1 = x.reshape(1) if x.ndim == 0 else x
    i1 = idx.reshape(1) if idx.ndim == 0 else idx
    s1 = src.reshape(1) if src is not None and src.ndim == 0 else src
    if i1.size:
        for d in range(nd):
            small = d == dim or i1.shape[d] <= x1.shape[d]
            if op == "gather" and not small:
                raise RuntimeError(f"Size does not match at dimension {d} expected index "
                                   f"{_lst(idx.shape)} to be no larger than self "
                                   f"{_lst(x.shape)} apart from dimension {dim}")
            if not small or (s1 is not None and i1.shape[d] > s1.shape[d]):
                tail = "" if s1 is None else f" and to be no larger size than src {_lst(src.shape)}"
                raise RuntimeError(f"Expected index {_lst(idx.shape)} to be no larger than self "
                                   f"{_lst(x.shape)} apart from dimension {dim}{tail}")
        _check_bounds(i1, x1.shape[dim], dim)
    return dim, x1, i1, s1


# -- gather / scatter ----------------------------------------------------------------------------
class Gather(Function):
    _builtin = True

    # out = a[..., index, ...] along dim:  d/da = scatter_add of g into zeros at index
    @staticmethod
    def forward(ctx, a, dim, index):
        dim, x1, i1, _ = _scatter_args("gather", a._data, dim, index, None)
        ctx.meta = (dim, a._data.shape)
        ctx.save_for_backward(index)
        return x1[_mesh(a._xp, i1, dim)].reshape(index._data.shape)

    @staticmethod
    def backward(ctx, g):
        dim, shape = ctx.meta
        (index,) = ctx.saved_tensors
        return ScatterAdd.apply(_zeros(g, shape), dim, index, g), None, None

    @staticmethod
    def onnx(graph, ctx, a, dim, index):
        dim = ctx.meta[0]
        if not a.shape:
            return graph.op("Reshape", graph.op("GatherElements", graph.op("Reshape", a, graph.ints([1])),
                                        graph.op("Reshape", index, graph.ints([1])), axis=0), graph.ints([]))
        return graph.op("GatherElements", a, index, axis=dim)


def _scatter_onnx(graph, a, dim, index, src, reduction):
    """ScatterElements, with ``src`` cut (or a number spread) to the index's shape."""
    dim = dim % max(len(a.shape), 1)
    if not a.shape:
        raise graph.unsupported("scatter into a 0-d tensor")
    if isinstance(src, str):
        if src.shape != index.shape:
            n = len(index.shape)
            src = graph.slice(src, [0] * n, list(index.shape), list(range(n)))
        src = graph.cast(src, a.dtype)
    else:
        src = graph.op("Expand", graph.scalar(src, a.dtype), graph.op("Shape", index))
    return graph.op("ScatterElements", a, index, src, axis=dim, reduction=reduction)


class Scatter(Function):
    _builtin = True

    # out = a with out[index] = src along dim:  d/da = g with zeros at index,  d/dsrc = g[index]
    @staticmethod
    def forward(ctx, a, dim, index, src, reduce=None):
        is_t = isinstance(src, _tensor.Tensor)
        if reduce is not None and reduce not in ("add", "multiply"):
            raise RuntimeError("reduce argument must be either add or multiply.")
        dim, _, i1, s1 = _scatter_args("scatter", a._data, dim, index, src._data if is_t else None)
        if is_t and src._data.dtype != a._data.dtype:
            raise RuntimeError("scatter(): Expected self.dtype to be equal to src.dtype")
        out = a._data.copy()
        o1 = out.reshape(1) if out.ndim == 0 else out
        # a number is cast to self's dtype first (2.5 scattered into a Long tensor is 2)
        vals = _head(s1, i1.shape) if is_t else a._xp.asarray(src).astype(out.dtype)
        mesh = _mesh(a._xp, i1, dim)
        if reduce is None:
            o1[mesh] = vals
        elif reduce == "add":
            _add_at(a._xp, o1, mesh, vals)
        else:
            np.multiply.at(o1, mesh, vals) if a._xp is np else a._xp.multiply.at(o1, mesh, vals)
        ctx.meta = (dim, src._data.shape if is_t else None, reduce)
        ctx.save_for_backward(index)
        return out

    @staticmethod
    def backward(ctx, g):
        dim, src_shape, reduce = ctx.meta
        if reduce is not None:
            raise RuntimeError("derivative for aten::scatter is not implemented")
        (index,) = ctx.saved_tensors
        ga = gs = None
        if ctx.needs_input_grad[0]:
            ga = Scatter.apply(g, dim, index, 0)
        if ctx.needs_input_grad[3]:
            gs = _pad_to(Gather.apply(g, dim, index), src_shape)
        return ga, None, None, gs, None

    @staticmethod
    def onnx(graph, ctx, a, dim, index, src, reduce=None):
        return _scatter_onnx(graph, a, dim, index, src, {None: None, "add": "add",
                                                      "multiply": "mul"}[reduce])


class ScatterAdd(Function):
    _builtin = True

    # out = a with src added at index along dim:  d/da = g,  d/dsrc = gather(g, index)
    @staticmethod
    def forward(ctx, a, dim, index, src):
        dim, _, i1, s1 = _scatter_args("scatter", a._data, dim, index, src._data)
        if src._data.dtype != a._data.dtype:
            raise RuntimeError("scatter(): Expected self.dtype to be equal to src.dtype")
        out = a._data.copy()
        _add_at(a._xp, out.reshape(1) if out.ndim == 0 else out, _mesh(a._xp, i1, dim),
                _head(s1, i1.shape))
        ctx.meta = (dim, src._data.shape)
        ctx.save_for_backward(index)
        return out

    @staticmethod
    def backward(ctx, g):
        dim, src_shape = ctx.meta
        (index,) = ctx.saved_tensors
        gs = _pad_to(Gather.apply(g, dim, index), src_shape) if ctx.needs_input_grad[3] else None
        return g, None, None, gs

    @staticmethod
    def onnx(graph, ctx, a, dim, index, src):
        return _scatter_onnx(graph, a, dim, index, src, "add")


# -- index_select / index_add / index_fill -------------------------------------------------------
def _vector_index(op, x, dim, index, int64_only=False):
    """Canonical dim, index as a 1-d array, and whether ``x`` is 0-d."""
    if not isinstance(index, _tensor.Tensor):
        raise TypeError(f"{op}(): argument 'index' must be Tensor, not {type(index).__name__}")
    idx = index._data
    dim = canon_dim(dim, x.ndim)
    if idx.ndim > 1:
        if op == "index_select":
            raise IndexError("index_select(): Index is supposed to be a vector")
        raise IndexError(f"{op}_(): Index is supposed to be a vector, but got dim: {idx.ndim} "
                         f"with type: {index.dtype._short} and size: {_lst(idx.shape)}")
    if int64_only and idx.dtype != np.int64:
        raise IndexError(f"{op}_(): Expected dtype int64 for index.")
    if idx.dtype not in _INDEX_NP:
        if op == "index_select":
            raise RuntimeError("index_select(): Expected dtype int32 or int64 for index")
        raise RuntimeError(f"{op}_(): Expected dtype int32/int64 for index but got: "
                           f"{index.dtype._short}")
    return dim, idx.reshape(-1)


class IndexSelect(Function):
    _builtin = True

    # out = a.take(index, dim):  d/da = index_add of g into zeros
    @staticmethod
    def forward(ctx, a, dim, index):
        x = a._data
        dim, idx = _vector_index("index_select", x, dim, index)
        if x.ndim == 0 and idx.size != 1:
            raise RuntimeError(f"index_select(): Index to scalar can have only 1 value, got "
                               f"{idx.size} value(s)")
        if _first_bad(idx, x.shape[dim] if x.ndim else 1) is not None:
            raise IndexError("index out of range in self")
        ctx.meta = (dim, x.shape)
        ctx.save_for_backward(index)
        return x.copy() if x.ndim == 0 else a._xp.take(x, idx, axis=dim)

    @staticmethod
    def backward(ctx, g):
        dim, shape = ctx.meta
        (index,) = ctx.saved_tensors
        return IndexAdd.apply(_zeros(g, shape), dim, index, g), None, None

    @staticmethod
    def onnx(graph, ctx, a, dim, index):
        dim = ctx.meta[0]
        if not a.shape:
            return graph.op("Identity", a)
        return graph.op("Gather", a, graph.op("Reshape", index, graph.ints([-1])), axis=dim)


class IndexAdd(Function):
    _builtin = True

    # out = a + alpha * source placed at index along dim:  d/da = g,  d/dsource = alpha * g[index]
    @staticmethod
    def forward(ctx, a, dim, index, source, alpha=1):
        x, s = a._data, source._data
        dim, idx = _vector_index("index_add", x, dim, index)
        if s.dtype != x.dtype:
            raise RuntimeError(f"index_add_(): self ({a.dtype._short}) and source "
                               f"({source.dtype._short}) must have the same scalar type")
        s1 = s.reshape(1) if s.ndim == 0 else s
        if dim >= s1.ndim:
            raise RuntimeError(f"index_add_(): Indexing dim {dim} is out of bounds of the source "
                               f"tensor with dim {s1.ndim}")
        if idx.size != s1.shape[dim]:
            raise RuntimeError(f"index_add_(): Number of indices ({idx.size}) should be equal to "
                               f"source.size(dim): ({s1.shape[dim]}), for dim: {dim}")
        x1 = x.reshape(1) if x.ndim == 0 else x
        if (x.ndim and not s.ndim) or x1.ndim != s1.ndim or \
                x1.shape[:dim] + x1.shape[dim + 1:] != s1.shape[:dim] + s1.shape[dim + 1:]:
            raise RuntimeError(f"source tensor shape must match self tensor shape, excluding the "
                               f"specified dimension. Got self.shape = {_lst(x.shape)} "
                               f"source.shape = {_lst(s.shape)}")
        _check_bounds(idx, x.shape[dim] if x.ndim else 1, dim)
        out = x.copy()
        o1 = out.reshape(1) if out.ndim == 0 else out
        _add_at(a._xp, o1, (slice(None),) * dim + (idx,), s1 if alpha == 1 else s1 * alpha)
        ctx.meta = (dim, alpha, s.shape)
        ctx.save_for_backward(index)
        return out

    @staticmethod
    def backward(ctx, g):
        dim, alpha, src_shape = ctx.meta
        (index,) = ctx.saved_tensors
        gs = None
        if ctx.needs_input_grad[3]:
            gs = IndexSelect.apply(g, dim, index)
            if gs._data.shape != src_shape:   # a 0-d self with a 1-element source
                gs = gs.reshape(src_shape)
            if alpha != 1:
                gs = gs * alpha
        return g, None, None, gs, None


class IndexFill(Function):
    _ctx_arrays = ('meta',)   # freed with the saved tensors
    _builtin = True

    # out = a with value at index along dim:  d/da = g with zeros there,  d/dvalue = sum of g there
    @staticmethod
    def forward(ctx, a, dim, index, value):
        x = a._data
        dim, idx = _vector_index("index_fill", x, dim, index, int64_only=True)
        if isinstance(value, _tensor.Tensor):
            if value._data.ndim:
                raise RuntimeError(f"index_fill_ only supports a 0-dimensional value tensor, but "
                                   f"got tensor with {value._data.ndim} dimension(s).")
            value = value._data
        size = x.shape[dim] if x.ndim else 1
        bad = _first_bad(idx + (idx < 0) * size, size)   # negative indices count from the end
        if bad is not None:
            bad = int(idx.reshape(-1)[int(((idx < -size) | (idx >= size)).argmax())])
            raise IndexError(f"index {bad} is out of bounds for dimension {dim} with size {size}")
        wrapped = idx % size if size else idx
        out = x.copy()
        o1 = out.reshape(1) if out.ndim == 0 else out
        o1[(slice(None),) * dim + (wrapped,)] = value
        # each filled slice counts once towards value's gradient, however often it is named
        ctx.meta = (dim, a._wrap(a._xp.unique(wrapped)))
        return out

    @staticmethod
    def backward(ctx, g):
        dim, uniq = ctx.meta
        gv = None
        if ctx.needs_input_grad[3]:
            gv = IndexSelect.apply(g, dim, uniq).sum()
        ga = IndexFill.apply(g, dim, uniq, 0) if ctx.needs_input_grad[0] else None
        return ga, None, None, gv


# -- masks -------------------------------------------------------------------------------------
class MaskedSelect(Function):
    _builtin = True

    # out = a[mask] (both broadcast):  d/da = masked_scatter of g into zeros
    @staticmethod
    def forward(ctx, a, mask):
        if mask._data.dtype != np.bool_:
            raise RuntimeError("masked_select: expected BoolTensor for mask")
        shape = _broadcast(a._data.shape, mask._data.shape)
        xp = a._xp
        ctx.shape = shape
        ctx.save_for_backward(mask)
        return xp.broadcast_to(a._data, shape)[xp.broadcast_to(mask._data, shape)]

    @staticmethod
    def backward(ctx, g):
        (mask,) = ctx.saved_tensors
        return MaskedScatter.apply(_zeros(g, ctx.shape), mask, g), None


class MaskedScatter(Function):
    _builtin = True

    # out[mask] = source's first elements:  d/da = g with zeros at mask,  d/dsource = g[mask]
    @staticmethod
    def forward(ctx, a, mask, source):
        if mask._data.dtype != np.bool_:
            raise RuntimeError(f"masked_scatter_ only supports boolean masks, but got mask with "
                               f"dtype {mask.dtype._short}")
        if source._data.dtype != a._data.dtype:
            raise RuntimeError(f"masked_scatter: expected self and source to have same dtypes but "
                               f"got{a.dtype._short} and {source.dtype._short}")
        xp = a._xp
        shape = _broadcast(a._data.shape, mask._data.shape)
        m = xp.broadcast_to(mask._data, shape)
        n = int(m.sum())
        if n > source._data.size:
            raise RuntimeError("Number of elements of source < number of ones in mask")
        out = xp.broadcast_to(a._data, shape).copy()
        out[m] = source._data.reshape(-1)[:n]
        ctx.src_shape = source._data.shape
        ctx.save_for_backward(mask)
        return out

    @staticmethod
    def backward(ctx, g):
        (mask,) = ctx.saved_tensors
        ga = gs = None
        if ctx.needs_input_grad[0]:
            ga = g.masked_fill(mask, 0)
        if ctx.needs_input_grad[2]:
            n = 1
            for s in ctx.src_shape:
                n *= s
            gs = _pad_to(MaskedSelect.apply(g, mask), (n,)).reshape(ctx.src_shape)
        return ga, None, gs


class Where(Function):
    _builtin = True

    # out = x where cond else y:  d/dx = g where cond else 0,  d/dy = 0 where cond else g
    @staticmethod
    def forward(ctx, cond, x, y):
        c = cond._data
        if c.dtype != np.bool_:
            if c.dtype != np.uint8:
                raise RuntimeError(f"where expected condition to be a boolean tensor, but got a "
                                   f"tensor with dtype {cond.dtype._short}")
            c = c.astype(np.bool_)
        xa, ya, dt = operands(x, y)
        _broadcast(c.shape, np.shape(xa), np.shape(ya))
        ctx.save_for_backward(cond)
        out = cond._xp.where(c, xa, ya)
        return out if out.dtype == dt.np else out.astype(dt.np)

    @staticmethod
    def backward(ctx, g):
        (cond,) = ctx.saved_tensors
        need = ctx.needs_input_grad
        gx = Where.apply(cond, g, 0.0) if need[1] else None
        gy = Where.apply(cond, 0.0, g) if need[2] else None
        return None, gx, gy

    @staticmethod
    def onnx(graph, ctx, cond, x, y):
        dt = graph.out[0].dtype
        return graph.op("Where", graph.cast(cond, np.bool_), graph.operand(x, dt), graph.operand(y, dt))


# -- public functions ----------------------------------------------------------------------------
def gather(input, dim, index, *, sparse_grad=False):
    return Gather.apply(input, dim, index)


def scatter(input, dim, index, src=None, value=None, *, reduce=None):
    """``scatter(input, dim, index, src)`` or ``scatter(input, dim, index, value)``; ``src`` may
    be a Python number, which then acts as ``value``."""
    if src is None:
        if value is None:
            raise TypeError("scatter() missing required argument 'src' or 'value'")
        src = value
    return Scatter.apply(input, dim, index, src, reduce)


def scatter_add(input, dim, index, src):
    return ScatterAdd.apply(input, dim, index, src)


def index_select(input, dim, index):
    return IndexSelect.apply(input, dim, index)


def index_add(input, dim, index, source, *, alpha=1):
    return IndexAdd.apply(input, dim, index, source, alpha)


def index_fill(input, dim, index, value):
    return IndexFill.apply(input, dim, index, value)


def masked_select(input, mask):
    return MaskedSelect.apply(input, mask)


def masked_scatter(input, mask, source):
    return MaskedScatter.apply(input, mask, source)


def where(condition, input=None, other=None):
    """``where(cond, x, y)`` picks from ``x`` where ``cond`` holds, else from ``y`` (either may
    be a Python number); ``where(cond)`` is ``nonzero(cond, as_tuple=True)``."""
    if input is None and other is None:
        return nonzero(condition, as_tuple=True)
    if input is None or other is None:
        raise TypeError("where() received an invalid combination of arguments: expected "
                        "(condition) or (condition, input, other)")
    return Where.apply(condition, input, other)


def nonzero(input, *, as_tuple=False):
    """Indices of the non-zero elements: an ``(n, ndim)`` int64 tensor, or one 1-d tensor per
    dim with ``as_tuple=True`` (a 0-d input counts as 1-d there). Not differentiable."""
    x = input._data
    wrap = _tensor.Tensor._wrap
    if as_tuple:
        return tuple(wrap(i.astype(np.int64, copy=False))
                     for i in input._xp.nonzero(x.reshape(1) if x.ndim == 0 else x))
    if x.ndim == 0:
        return wrap(input._xp.zeros((int(x != 0), 0), np.int64))
    return wrap(input._xp.argwhere(x).astype(np.int64, copy=False))


def argwhere(input):
    return nonzero(input)


def take_along_dim(input, indices, dim=None):
    """``input`` and ``indices`` broadcast against each other except along ``dim``, then
    gathered; with ``dim=None`` both are flattened first."""
    if indices._data.dtype != np.int64:
        raise RuntimeError(f"torch.take_along_dim(): dtype of indices should be Long but got "
                           f"{indices.dtype._short}")
    if dim is None:
        return Gather.apply(input.reshape(-1), 0, indices.reshape(-1))
    if input._data.ndim != indices._data.ndim:
        raise RuntimeError(f"torch.take_along_dim(): input and indices should have the same "
                           f"number of dimensions, but got {input._data.ndim} dimensions for "
                           f"input, and {indices._data.ndim} dimensions for indices")
    xs, ids = list(input._data.shape), indices._data.shape
    dim = canon_dim(dim, len(xs))
    xs[dim] = ids[dim]
    shape = list(_broadcast(tuple(xs), ids))
    if tuple(shape) != ids:
        indices = indices.expand(*shape)
    shape[dim] = input._data.shape[dim]
    if tuple(shape) != input._data.shape:
        input = input.expand(*shape)
    return Gather.apply(input, dim, indices)


class IndexCopy(Function):
    _builtin = True

    # out = a with source's slices written at index along dim:
    #   d/da = g with zeros there,  d/dsource = g[index]
    @staticmethod
    def forward(ctx, a, dim, index, source):
        x, s, idx = a._data, source._data, index._data
        if idx.ndim > 1:
            raise IndexError(f"index_copy_(): Index should have dimension 1 or 0 (got {idx.ndim})")
        if idx.dtype != np.int64:
            raise RuntimeError(f"index_copy_(): Expected a long tensor for index, but got "
                               f"{index.dtype._short}")
        if s.dtype != x.dtype:
            raise RuntimeError(f"index_copy_(): self and source expected to have the same dtype, "
                               f"but got (self) {a.dtype._short} and (source) {source.dtype._short}")
        dim = canon_dim(dim, x.ndim)
        idx = idx.reshape(-1)
        x1 = x.reshape(1) if x.ndim == 0 else x
        s1 = s.reshape(1) if s.ndim == 0 else s
        if x.ndim and s.ndim and x.ndim != s.ndim:
            raise IndexError(f"index_copy_(): When source and destination are not scalars, their "
                             f"dimensionality must match. Source dimensionality ({s.ndim}), "
                             f"destination dimensionality ({x.ndim})")
        if idx.size != s1.shape[dim]:
            raise IndexError(f"index_copy_(): Number of indices ({idx.size}) should be equal to "
                             f"source.size(dim) ({s1.shape[dim]})")
        ds, ss = x1.shape[:dim] + x1.shape[dim + 1:], s1.shape[:dim] + s1.shape[dim + 1:]
        if ds != ss:
            raise RuntimeError(f"index_copy_(): Source/destination tensor must have same slice "
                               f"shapes. Destination slice shape: {' '.join(map(str, ds))} at "
                               f"dimension {dim} and source slice shape: {' '.join(map(str, ss))} "
                               f"at dimension {dim}.")
        bad = _first_bad(idx, x1.shape[dim])
        if bad is not None:
            raise IndexError(f"index_copy_(): index {bad} is out of bounds for dimension {dim} "
                             f"with size {x1.shape[dim]}")
        out = x.copy()
        o1 = out.reshape(1) if out.ndim == 0 else out
        o1[(slice(None),) * dim + (idx,)] = s1
        ctx.meta = (dim, s.shape)
        ctx.save_for_backward(index)
        return out

    @staticmethod
    def backward(ctx, g):
        dim, src_shape = ctx.meta
        (index,) = ctx.saved_tensors
        ga = gs = None
        if ctx.needs_input_grad[0]:
            ga = IndexFill.apply(g, dim, index.reshape(-1), 0)
        if ctx.needs_input_grad[3]:
            gs = IndexSelect.apply(g, dim, index.reshape(-1)).reshape(src_shape)
        return ga, None, None, gs


def index_copy(input, dim, index, source):
    return IndexCopy.apply(input, dim, index, source)


def take(input, index):
    """``input`` read as 1-d at ``index`` (negative counts from the end), shaped like index."""
    idx = index._data
    if idx.dtype != np.int64:
        raise RuntimeError(f"take(): Expected a long tensor for index, but got {index.dtype._short}")
    n = input._data.size
    if idx.size and (int(idx.min()) < -n or int(idx.max()) >= n):
        flat = idx.reshape(-1)
        bad = int(flat[int(((flat < -n) | (flat >= n)).argmax())])
        raise IndexError(f"out of range: tried to access index {bad} on a tensor of {n} elements.")
    wrapped = index._wrap((idx % n if n else idx).reshape(-1))
    return IndexSelect.apply(input.reshape(-1), 0, wrapped).reshape(idx.shape)


class GatherMethods:
    """Tensor methods of this family."""

    __slots__ = ()

    def gather(self, dim, index, *, sparse_grad=False):
        return Gather.apply(self, dim, index)

    def scatter(self, dim, index, src=None, value=None, *, reduce=None):
        return scatter(self, dim, index, src, value, reduce=reduce)

    def scatter_(self, dim, index, src=None, value=None, *, reduce=None):
        return self._inplace(Scatter, dim, index, value if src is None else src, reduce)

    def scatter_add(self, dim, index, src):
        return ScatterAdd.apply(self, dim, index, src)

    def scatter_add_(self, dim, index, src):
        return self._inplace(ScatterAdd, dim, index, src)

    def index_select(self, dim, index):
        return IndexSelect.apply(self, dim, index)

    def index_add(self, dim, index, source, *, alpha=1):
        return IndexAdd.apply(self, dim, index, source, alpha)

    def index_add_(self, dim, index, source, *, alpha=1):
        return self._inplace(IndexAdd, dim, index, source, alpha)

    def index_fill(self, dim, index, value):
        return IndexFill.apply(self, dim, index, value)

    def index_fill_(self, dim, index, value):
        return self._inplace(IndexFill, dim, index, value)

    def masked_select(self, mask):
        return MaskedSelect.apply(self, mask)

    def masked_scatter(self, mask, source):
        return MaskedScatter.apply(self, mask, source)

    def masked_scatter_(self, mask, source):
        if np.broadcast_shapes(self._data.shape, mask._data.shape) != self._data.shape:
            mask.expand(*self._data.shape)   # raises PyTorch's expand error
        return self._inplace(MaskedScatter, mask, source)

    def where(self, condition, other):
        return Where.apply(condition, self, other)

    def nonzero(self, *, as_tuple=False):
        return nonzero(self, as_tuple=as_tuple)

    def argwhere(self):
        return nonzero(self)

    def take_along_dim(self, indices, dim=None):
        return take_along_dim(self, indices, dim)

    def take(self, index):
        return take(self, index)

    def index_copy(self, dim, index, source):
        return index_copy(self, dim, index, source)

    def index_copy_(self, dim, index, source):
        return self._inplace(IndexCopy, dim, index, source)
