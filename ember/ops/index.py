"""Indexing: ``t[idx]``, ``t[idx] = v`` and masked_fill. Basic indices give views.

PyTorch's indexing differs from NumPy's in a few ways that ``to_index`` irons out: integers are
applied first (as ``select``), so they never make the advanced indices non-adjacent; a list
holding sequences, slices, None, Ellipsis or tensors is read as a tuple; a uint8 tensor is a
mask; a slice step must be positive."""
import re

import numpy as np

from .. import _dtype as D
from .. import _tensor
from ..autograd.function import Function
from ..autograd.grad_mode import STATE
from ._util import zero_where

__all__ = ["masked_fill", "IndexMethods", "to_index"]
_CTX_AUDITED = True   # every array a Function here keeps on ctx is in its _ctx_arrays

INT64_MAX = np.iinfo(np.int64).max   # "to the end" in ONNX Slice


class _Raw:
    """An index already in NumPy form (passed through ``to_index`` unchanged)."""

    __slots__ = ("idx",)

    def __init__(self, idx):
        self.idx = idx


class _Staged:
    """An index NumPy applies in two steps: the basic part (a view), then the advanced rest."""

    __slots__ = ("first", "rest")

    def __init__(self, first, rest):
        self.first, self.rest = first, rest


def _get(arr, np_idx):
    if np_idx.__class__ is _Staged:
        return arr[np_idx.first][np_idx.rest]
    return arr[np_idx]


def _put(arr, np_idx, val):
    if np_idx.__class__ is _Staged:
        arr, np_idx = arr[np_idx.first], np_idx.rest   # a view: writes reach ``arr``
    arr[np_idx] = val


def _add_at(xp, arr, np_idx, val):
    if np_idx.__class__ is _Staged:
        arr, np_idx = arr[np_idx.first], np_idx.rest
    (np.add.at if xp is np else xp.add.at)(arr, np_idx, val)


_BAD_INDEX = ("only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables "
              "are valid indices (got {})")


def _conv(i):
    cls = i.__class__
    if cls is int or cls is slice and i.step is None or i is None:
        return i
    if isinstance(i, _tensor.Tensor):
        dt = i.dtype
        if dt is D.bool or dt is D.uint8:   # PyTorch still reads a uint8 tensor as a mask
            return i._data if dt is D.bool else i._data.astype(np.bool_)
        if dt.category == D._INT:
            return i._data if i._data.ndim else int(i._data)
        raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
    if i.__class__ is bool:
        return np.bool_(i)   # advanced, as in NumPy: a new dim of size 1 (or 0)
    if isinstance(i, (int, np.integer)):
        return int(i)
    if isinstance(i, slice):
        if i.step is not None:
            step = int(i.step)
            if step == 0:
                raise ValueError("slice step cannot be zero")
            if step < 0:
                raise ValueError("step must be greater than zero")
        return i
    if i is None or i is Ellipsis:
        return i
    if isinstance(i, range):   # PyTorch reads a range as the list of its values
        return np.arange(i.start, i.stop, i.step, dtype=np.intp)
    if isinstance(i, (list, np.ndarray)):
        a = np.asarray([_conv(x) if isinstance(x, _tensor.Tensor) else x for x in i]
                       if isinstance(i, list) else i)
        if a.dtype.kind not in "iub":
            raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
        return a.astype(np.intp) if a.dtype.kind == "u" else a
    raise IndexError(_BAD_INDEX.format(type(i).__name__))


def _seq_as_tuple(idx):
    """PyTorch (and old NumPy) read ``t[[0, slice(None)]]`` as ``t[0, :]``: a short list holding
    a sequence, slice, Ellipsis, None or tensor is a tuple."""
    return len(idx) < 32 and any(isinstance(x, (list, tuple, slice, _tensor.Tensor)) or x is None
                                 or x is Ellipsis for x in idx)


def _is_basic(i):
    return i is None or i is Ellipsis or i.__class__ is int or i.__class__ is slice


def to_index(idx):
    """A NumPy index from a PyTorch one, and whether it is basic (gives a view)."""
    cls = idx.__class__
    if cls is _Raw:
        return idx.idx, False
    if cls is not tuple:
        idx = tuple(idx) if cls is list and _seq_as_tuple(idx) else (idx,)
    out = []
    basic, has_int = True, False
    for i in idx:   # one pass: this is a hot path
        i = _conv(i)
        c = i.__class__
        if c is int:
            has_int = True
        elif not (c is slice or i is None or i is Ellipsis):
            basic = False
        out.append(i)
    if basic or not has_int:
        return (out[0] if len(out) == 1 else tuple(out)), basic
    # integers first (a view), then the rest: NumPy would count them as advanced indices
    first, rest = [], []
    for i in out:
        if _is_basic(i):
            first.append(i)
            if i.__class__ is not int:
                rest.append(Ellipsis if i is Ellipsis else slice(None))
        else:
            first.extend([slice(None)] * (i.ndim if i.dtype == np.bool_ else 1))
            rest.append(i)
    return _Staged(tuple(first), tuple(rest)), False


def _check_bounds(shape, idx):
    # NumPy's message names no dim; PyTorch's does.
    items = idx if isinstance(idx, tuple) else (idx,)
    d = 0
    for i in items:
        if i is None:
            continue
        if i is Ellipsis:
            d = len(shape) - sum(1 for j in items if j is not None and j is not Ellipsis) + d
            continue
        if d >= len(shape):
            raise IndexError(f"too many indices for tensor of dimension {len(shape)}")
        if isinstance(i, int) and not -shape[d] <= i < shape[d]:
            raise IndexError(f"index {i} is out of bounds for dimension {d} with size {shape[d]}")
        d += i.ndim if isinstance(i, np.ndarray) and i.dtype == np.bool_ else 1


def _check_masks(shape, idx):
    """PyTorch's message for a mask whose shape does not match the dims it covers."""
    items = idx if isinstance(idx, tuple) else (idx,)
    n_ell = sum(1 for i in items if i is Ellipsis)
    if n_ell > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    used = sum(0 if i is None or i is Ellipsis else
               (i.ndim if isinstance(i, np.ndarray) and i.dtype == np.bool_ else 1) for i in items)
    if used > len(shape):
        raise IndexError(f"too many indices for tensor of dimension {len(shape)}")
    d = 0
    for i in items:
        if i is None:
            continue
        if i is Ellipsis:
            d += len(shape) - used
            continue
        if isinstance(i, np.ndarray) and i.dtype == np.bool_:
            for j, n in enumerate(i.shape):
                if n != shape[d + j]:
                    raise IndexError(f"The shape of the mask {list(i.shape)} at index {j} does not "
                                     f"match the shape of the indexed tensor {list(shape)} at "
                                     f"index {d + j}")
            d += i.ndim
        else:
            d += 1


def _locate(shape, np_idx, basic):
    """Check the integers of ``np_idx`` against ``shape`` (NumPy's message names no dim)."""
    if basic:
        _check_bounds(shape, np_idx)
    elif np_idx.__class__ is _Staged:
        _check_bounds(shape, np_idx.first)


def _get_shape(shape, basic_idx):
    """The shape of ``x[basic_idx]`` for ``x`` of ``shape``, without touching memory."""
    return np.broadcast_to(np.empty((), np.bool_), shape)[basic_idx].shape


def _index_error(e, shape, np_idx):
    """NumPy's advanced-indexing messages in PyTorch's words (``np_idx`` indexes ``shape``)."""
    msg = str(e)
    if msg.startswith("boolean index did not match"):
        if np_idx.__class__ is _Staged:
            shape, np_idx = _get_shape(shape, np_idx.first), np_idx.rest
        _check_masks(shape, np_idx)   # raises PyTorch's message
    m = re.match(r"index (-?\d+) is out of bounds for axis (\d+) with size (\d+)", msg)
    if m:
        return IndexError(f"index {m[1]} is out of bounds for dimension {m[2]} with size {m[3]}")
    m = re.match(r"too many indices for array: array is (\d+)-dimensional", msg)
    if m:
        return IndexError(f"too many indices for tensor of dimension {m[1]}")
    if msg.startswith("shape mismatch: indexing arrays"):
        shapes = re.findall(r"\(([\d, ]*)\)", msg)
        listed = ", ".join("[" + ", ".join(x.strip() for x in s.split(",") if x.strip()) + "]"
                           for s in shapes)
        return IndexError(f"shape mismatch: indexing tensors could not be broadcast together with "
                          f"shapes {listed}")
    return IndexError(msg.replace("array", "tensor"))


# -- ONNX: a NumPy-form index as Slice / Gather / Squeeze / Unsqueeze -------------------------

def _onnx_items(idx, ndim):
    """The index as a tuple with the Ellipsis spelled out and every dim covered."""
    items = idx if isinstance(idx, tuple) else (idx,)
    used = sum(0 if i is None or i is Ellipsis else
               (i.ndim if getattr(i, "dtype", None) == np.bool_ else 1) for i in items)
    out = []
    for i in items:
        if i is Ellipsis:
            out.extend([slice(None)] * (ndim - used))
            used = ndim
        else:
            out.append(i)
    out.extend([slice(None)] * (ndim - used))
    return out


def _onnx_index(graph, x, shape, idx):
    """``x[idx]`` for a NumPy-form index whose arrays are constants or int64 V's (one
    advanced index, or several on adjacent dims)."""
    items = _onnx_items(idx, len(shape))
    starts, ends, axes, steps = [], [], [], []
    drop, adv, none_at = [], [], []
    d = o = 0            # input dim, output dim
    adv_out = None
    for it in items:
        if it is None:
            none_at.append(o)
            o += 1
            continue
        if isinstance(it, slice):
            if not (it.start in (None, 0) and it.stop is None and it.step in (None, 1)):
                step = 1 if it.step is None else it.step
                starts.append(0 if it.start is None else it.start)
                ends.append(INT64_MAX if it.stop is None else it.stop)
                axes.append(d)
                steps.append(step)
            d += 1
            o += 1
        elif isinstance(it, (int, np.integer)):
            i = int(it)
            starts.append(i)
            ends.append(INT64_MAX if i == -1 else i + 1)
            axes.append(d)
            steps.append(1)
            drop.append(d)
            d += 1
        else:
            if isinstance(it, np.ndarray) and it.dtype == np.bool_:
                arrays = list(np.nonzero(it))
            else:
                arrays = [it]
            if adv and adv[-1][0] + len(adv) != d:
                raise graph.unsupported("advanced indices on dims that are not adjacent")
            if adv_out is None:
                adv_out = o
            for a in arrays:
                adv.append((d, a))
                d += 1
    y = graph.slice(x, starts, ends, axes, steps)
    if adv:
        first = adv[0][0]
        if len(adv) == 1:
            a = adv[0][1]
            ind = a if isinstance(a, str) else graph.const(np.asarray(a, np.int64))
            y = graph.op("Gather", y, ind, axis=first)
            nd = len(a.shape)
        else:
            # several adjacent advanced indices: one Gather over those dims flattened
            dims = [k for k, _ in adv]
            if any(isinstance(a, str) for _, a in adv):
                raise graph.unsupported("several tensor indices")
            sizes = [shape[k] for k in dims]
            arrays = np.broadcast_arrays(*[np.asarray(a, np.int64) % n for (_, a), n
                                           in zip(adv, sizes)])
            flat = np.ravel_multi_index(tuple(arrays), sizes)
            graph.require_static(x)
            sliced = list(shape)
            for ax, st, en, sp in zip(axes, starts, ends, steps):
                stop = None if en == INT64_MAX else en
                sliced[ax] = len(range(*slice(st, stop, sp).indices(shape[ax])))
            merged = sliced[:first] + [int(np.prod(sizes))] + sliced[first + len(dims):]
            y = graph.op("Gather", graph.op("Reshape", y, graph.ints(merged)), graph.const(flat), axis=first)
            nd = flat.ndim
        shift = nd - len(adv)
        drop = [k if k < first else k + shift for k in drop]
    if drop:
        y = graph.squeeze(y, drop)
    if none_at:
        if adv:
            # a new axis after the advanced index comes after all of its output dims
            none_at = [k if k < adv_out else k + nd for k in none_at]
        y = graph.unsqueeze(y, none_at)
    return y


class GetItem(Function):
    _ctx_arrays = ('meta',)   # freed with the saved tensors
    _builtin = True

    # d a[idx] = scatter-add of the gradient into zeros at idx
    @staticmethod
    def forward(ctx, a, idx):
        if idx.__class__ is int:   # t[i] (a dataset's item): already NumPy's index, in range?
            shape = a._data.shape
            if shape and -shape[0] <= idx < shape[0]:
                ctx.meta = (shape, idx, True)
                return a._view_of(a._data[idx])
        np_idx, basic = to_index(idx)
        if idx.__class__ is not _Raw:
            _locate(a._data.shape, np_idx, basic)
        ctx.meta = (a._data.shape, np_idx, basic)
        try:
            out = _get(a._data, np_idx)
        except IndexError as e:
            raise _index_error(e, a._data.shape, np_idx) from None
        return a._view_of(out) if basic else out

    @staticmethod
    def backward(ctx, g):
        shape, np_idx, basic = ctx.meta
        return IndexScatter.apply(g, shape, np_idx, basic), None

    @staticmethod
    def onnx(graph, ctx, a, idx):
        shape, np_idx, basic = ctx.meta
        traced = [i for i in (idx if isinstance(idx, tuple) else (idx,))
                  if isinstance(i, str) and i.const is None]
        if traced:
            # a tensor index computed in the graph: read it in place of its traced array
            if np_idx.__class__ is _Staged or any(t.dtype == np.bool_ for t in traced):
                raise graph.unsupported("indexing with a computed mask, or with a computed index "
                                    "next to integers")
            items = idx if isinstance(idx, tuple) else (idx,)
            np_items = np_idx if isinstance(np_idx, tuple) else (np_idx,)
            np_idx = tuple(i if isinstance(i, str) and i.const is None else n
                           for i, n in zip(items, np_items))
            return _onnx_index(graph, a, shape, np_idx)
        if np_idx.__class__ is _Staged:
            mid = _get_shape(shape, np_idx.first)
            return _onnx_index(graph, _onnx_index(graph, a, shape, np_idx.first), mid, np_idx.rest)
        return _onnx_index(graph, a, shape, np_idx)


class IndexScatter(Function):
    _ctx_arrays = ('meta',)   # freed with the saved tensors
    _builtin = True

    # adjoint of a[idx]: d = g[idx]
    @staticmethod
    def forward(ctx, g, shape, np_idx, basic):
        ctx.meta = (np_idx,)
        out = g._xp.zeros(shape, g._data.dtype)
        if basic:
            out[np_idx] = g._data
        else:
            _add_at(g._xp, out, np_idx, g._data)
        return out

    @staticmethod
    def backward(ctx, gg):
        (np_idx,) = ctx.meta
        return GetItem.apply(gg, _Raw(np_idx)), None, None, None


def _value(dst, value, np_idx, basic):
    """The array (or number) to write at ``dst[np_idx]``, with PyTorch's dtype and shape rules:
    a basic index copies (casting), an advanced one puts (same dtype required)."""
    if not isinstance(value, _tensor.Tensor):
        if isinstance(value, (list, tuple, np.ndarray)):
            raise TypeError(f"can't assign a {type(value).__name__} to a "
                            f"torch.{dst.dtype._short}Tensor")
        return value
    val = value._data
    if val.dtype != dst._data.dtype:
        # a lone mask with a one-element value is a masked_fill in PyTorch, which casts
        fill = np_idx.__class__ is np.ndarray and np_idx.dtype == np.bool_ and val.size == 1
        if not basic and not fill:
            raise RuntimeError(f"Index put requires the source and destination dtypes match, got "
                               f"{dst.dtype._short} for the destination and {value.dtype._short} "
                               f"for the source.")
        val = val.astype(dst._data.dtype)
    if basic:
        region = dst._data[np_idx].shape
        shape = val.shape
        while len(shape) > len(region) and shape[0] == 1:   # copy_ drops leading 1s
            shape = shape[1:]
        if shape != region:
            from .broadcast import _expanded_shape
            _expanded_shape(shape, region)   # raises expand's message
    return val


def _assign(out, np_idx, val):
    try:
        _put(out, np_idx, val)
    except ValueError as e:
        raise RuntimeError(f"shape mismatch: value tensor of shape {list(np.shape(val))} cannot "
                           f"be broadcast to indexing result of shape "
                           f"{list(_get(out, np_idx).shape)}") from e
    except IndexError as e:
        raise _index_error(e, out.shape, np_idx) from None


class IndexPut(Function):
    _ctx_arrays = ('meta',)   # freed with the saved tensors
    _builtin = True

    # out = a with out[idx] = v:  d/da = g with zeros at idx,  d/dv = g[idx]
    @staticmethod
    def forward(ctx, a, v, idx):
        np_idx, basic = to_index(idx)
        _locate(a._data.shape, np_idx, basic)
        val = _value(a, v, np_idx, basic)
        out = a._data.copy()
        _assign(out, np_idx, val)
        ctx.meta = (np_idx, a._data.shape, np.ndim(val))
        return out

    @staticmethod
    def backward(ctx, g):
        np_idx, shape, v_ndim = ctx.meta
        ga = gv = None
        if ctx.needs_input_grad[0]:
            mask = g._xp.ones(shape, g._data.dtype)
            _put(mask, np_idx, 0)
            ga = g * _tensor.Tensor._wrap(mask)
        if ctx.needs_input_grad[1]:
            gv = GetItem.apply(g, _Raw(np_idx))
            extra = v_ndim - gv._data.ndim
            if extra > 0:   # v had leading 1s beyond the region's dims
                gv = gv.reshape((1,) * extra + gv._data.shape)
        return ga, gv, None

    # static shapes: a flat ScatterElements at the region's positions; a basic index into a
    # tensor with dynamic dims: Where over a constant mask of the region (the value padded out)
    @staticmethod
    def onnx(graph, ctx, a, v, idx):
        np_idx, shape, _ = ctx.meta
        if any(isinstance(i, str) and i.const is None
               for i in (idx if isinstance(idx, tuple) else (idx,))):
            raise graph.unsupported("an index assignment at positions computed in the graph")
        if any(a.dyn):
            return _onnx_put_basic(graph, a, v, shape, np_idx)
        pos = np.asarray(_get(np.arange(int(np.prod(shape)), dtype=np.int64).reshape(shape),
                              np_idx))
        if isinstance(v, str):
            val = graph.cast(v, a.dtype)
            if v.shape != pos.shape and int(np.prod(v.shape)) != pos.size:
                val = graph.op("Expand", val, graph.ints(pos.shape))
        else:
            val = graph.op("Expand", graph.scalar(v, a.dtype), graph.ints(pos.shape))
        flat = graph.op("ScatterElements", graph.op("Reshape", a, graph.ints([-1])),
                    graph.const(pos.reshape(-1)), graph.op("Reshape", val, graph.ints([-1])), axis=0)
        return graph.op("Reshape", flat, graph.ints(shape))


def _onnx_put_basic(graph, a, v, shape, np_idx):
    items = _onnx_items(np_idx, len(shape)) if np_idx.__class__ is not _Staged else None
    if items is None or any(not isinstance(i, (int, slice)) for i in items):
        raise graph.unsupported("an index assignment other than ints and slices into a tensor with "
                            "dynamic dims")
    mshape = [1 if d else s for s, d in zip(shape, a.dyn)]
    region, lo, hi, rshape = [], [], [], []
    for d, it in enumerate(items):
        full = isinstance(it, slice) and it.start in (None, 0) and it.stop is None and \
            it.step in (None, 1)
        if a.dyn[d]:
            if not full:
                raise graph.unsupported("an index assignment that slices a dynamic dim")
            region.append(slice(None))
            lo.append(0)
            hi.append(0)
            rshape.append(1)
            continue
        if isinstance(it, int):
            i = it % shape[d]
            region.append(slice(i, i + 1))
            lo.append(i)
            hi.append(shape[d] - i - 1)
            rshape.append(1)
            continue
        start, stop, step = it.indices(shape[d])
        if step != 1 and isinstance(v, str):
            raise graph.unsupported("a strided index assignment of a tensor into a tensor with "
                                "dynamic dims")
        region.append(slice(start, stop, step))
        lo.append(start)
        hi.append(shape[d] - max(stop, start))
        rshape.append(max(stop - start, 0))
    mask = np.zeros(mshape, np.bool_)
    mask[tuple(region)] = True
    if not isinstance(v, str):
        return graph.op("Where", graph.const(mask), graph.scalar(v, a.dtype), a)
    val = graph.cast(v, a.dtype)
    kept = [d for d, it in enumerate(items) if not isinstance(it, int)]
    vshape = list(v.shape)
    while len(vshape) > len(kept) and vshape[0] == 1:    # leading 1s copy_ would drop
        vshape = vshape[1:]
    if len(vshape) != len(v.shape):
        val = graph.op("Reshape", val, graph.ints(vshape))
    full = [1] * (len(kept) - len(vshape)) + vshape       # broadcast over the region's dims
    ints = [d for d, it in enumerate(items) if isinstance(it, int)]
    if len(full) != len(vshape):
        val = graph.unsqueeze(val, list(range(len(kept) - len(vshape))))
    if ints:
        val = graph.unsqueeze(val, ints)
    val = graph.op("Expand", val, graph.ints(rshape))
    val = graph.op("Pad", val, graph.ints(lo + hi), mode="constant")
    return graph.op("Where", graph.const(mask), val, a)


class MaskedFill(Function):
    _builtin = True

    # d masked_fill(a, m, v) = (g where not m, sum of g where m)
    @staticmethod
    def forward(ctx, a, mask, value):
        if mask.dtype is not D.bool:
            raise RuntimeError(f"masked_fill_ only supports boolean masks, but got mask with "
                               f"dtype {mask.dtype._short.lower()}")
        if isinstance(value, _tensor.Tensor) and value._data.ndim:
            raise RuntimeError("masked_fill_ only supports a 0-dimensional value tensor, but got "
                               f"tensor with {value._data.ndim} dimension(s).")
        ctx.save_for_backward(mask)
        v = value._data if isinstance(value, _tensor.Tensor) else value
        x = a._data
        try:
            bshape = np.broadcast_shapes(x.shape, mask._data.shape)
        except ValueError:
            raise RuntimeError(f"The size of tensor a ({x.shape[-1]}) must match the size of "
                               f"tensor b ({mask._data.shape[-1]}) at non-singleton dimension "
                               f"{x.ndim - 1}") from None
        if a._xp is not np:
            return a._xp.where(mask._data, v, x)
        if v == 0 and x.dtype.kind == "f" and x.shape == bshape:
            return zero_where(x, mask._data)
        return np.where(mask._data, np.asarray(v).astype(x.dtype), x).reshape(bshape)

    @staticmethod
    def backward(ctx, g):
        (mask,) = ctx.saved_tensors
        gv = None
        if ctx.needs_input_grad[2]:
            gv = (g * mask).sum()
        return g.masked_fill(mask, 0.0), None, gv

    @staticmethod
    def onnx(graph, ctx, a, mask, value):
        return graph.op("Where", mask, graph.operand(value, a.dtype), a)


def masked_fill(input, mask, value):
    return MaskedFill.apply(input, mask, value)


class IndexMethods:
    __slots__ = ()

    def __getitem__(self, idx):
        return GetItem.apply(self, idx)

    def __setitem__(self, idx, value):
        self._check_inplace()
        if STATE.enabled and (self._rg or (isinstance(value, _tensor.Tensor) and value._rg)):
            self._inplace(IndexPut, value, idx)
            return
        np_idx, basic = to_index(idx)
        _locate(self._data.shape, np_idx, basic)
        _assign(self._data, np_idx, _value(self, value, np_idx, basic))
        self._vc.value += 1

    def masked_fill(self, mask, value):
        return MaskedFill.apply(self, mask, value)

    def masked_fill_(self, mask, value):
        return self._inplace(MaskedFill, mask, value)
