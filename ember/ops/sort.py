"""Sorting and selection: sort, argsort, topk, median, kthvalue, msort.

Also home of what every "pick elements along a dim" op shares (max/min with a dim live in
reduce.py and use it too): the ``_TakeAlong``/``_PutAlong`` pair of Functions, each the other's
backward, the ``_Selection`` base Function (values picked at indices; the gradient goes back to
those places), the even split of a gradient among ties (``_EvenSelect``), and the
``return_types`` (values, indices) named tuples.
"""
import collections
import types

import numpy as np

from .. import _tensor
from .._device import get_array_module
from ..autograd.function import Function
from ._util import canon_dim

__all__ = ["sort", "argsort", "msort", "topk", "median", "nanmedian", "kthvalue", "return_types",
           "unique", "bincount", "searchsorted", "bucketize", "histc", "SortMethods"]
_CTX_AUDITED = True   # every array a Function here keeps on ctx is in its _ctx_arrays


# -- (values, indices) results -------------------------------------------------------------
def _structseq(name, fields=("values", "indices")):
    base = collections.namedtuple(name, fields)

    def __repr__(self):
        body = ",\n".join(f"{f}={getattr(self, f)!r}" for f in fields)
        return f"ember.return_types.{name}(\n{body})"

    cls = type(name, (base,), {"__slots__": (), "__repr__": __repr__, "n_fields": len(fields),
                               "n_sequence_fields": len(fields), "n_unnamed_fields": 0})
    # pickle finds the class as ember.return_types.<name>
    cls.__module__, cls.__qualname__ = "ember", f"return_types.{name}"
    return cls


return_types = types.SimpleNamespace(**{n: _structseq(n) for n in (
    "max", "min", "sort", "topk", "median", "nanmedian", "kthvalue", "mode", "cummax", "cummin")},
    aminmax=_structseq("aminmax", ("min", "max")))


# -- picking along a dim -------------------------------------------------------------------
def _along(idx, d):
    """The fancy index that picks ``idx`` along dim ``d``, as NumPy's take_along_axis (works
    for CuPy arrays too)."""
    xp = get_array_module(idx)
    nd = idx.ndim
    return tuple(idx if i == d else xp.arange(s).reshape((1,) * i + (s,) + (1,) * (nd - i - 1))
                 for i, s in enumerate(idx.shape))


def _idx_array(idx):
    return idx._data if isinstance(idx, _tensor.Tensor) else idx


class _TakeAlong(Function):
    _builtin = True

    # take_along(a, idx) is linear in a: its adjoint puts the gradient back at idx
    @staticmethod
    def forward(ctx, a, idx, dim):
        idx = _idx_array(idx)
        ctx.save_for_backward(_tensor.Tensor._wrap(idx))
        ctx.meta = (dim, a._data.shape)
        if a._data.ndim == 0:
            return a._data.copy()
        return a._data[_along(idx, dim)]

    @staticmethod
    def backward(ctx, g):
        dim, shape = ctx.meta
        (idx,) = ctx.saved_tensors
        return _PutAlong.apply(g, idx, dim, shape), None, None


class _PutAlong(Function):
    _builtin = True

    # zeros of ``shape`` with g written at idx along dim; idx holds no repeats along dim (a sort
    # order or a subset of one), so a plain assignment is the adjoint of _TakeAlong
    @staticmethod
    def forward(ctx, g, idx, dim, shape):
        idx = _idx_array(idx)
        ctx.save_for_backward(_tensor.Tensor._wrap(idx))
        ctx.dim = dim
        if len(shape) == 0:
            return g._data.reshape(()).copy()
        out = g._xp.zeros(shape, g._data.dtype)
        out[_along(idx, dim)] = g._data
        return out

    @staticmethod
    def backward(ctx, gg):
        (idx,) = ctx.saved_tensors
        return _TakeAlong.apply(gg, idx, ctx.dim), None, None, None


class _Selection(Function):
    """``values`` = the input picked at ``indices`` along one dim (sort, topk, median/kthvalue
    and max/min with a dim). Subclasses say which indices (``_pick``); the gradient goes back to
    the picked places."""

    _builtin = True

    @staticmethod
    def _pick(x, d, *args):
        """int64 indices along dim ``d`` of ``x`` (``x.ndim`` >= 1), same ndim as ``x``."""
        raise NotImplementedError

    @classmethod
    def forward(cls, ctx, a, dim, keepdim, *args):
        x = a._data
        d = canon_dim(dim, x.ndim)
        ctx.meta = (x.shape, d, keepdim)
        ctx.set_materialize_grads(False)
        if x.ndim == 0:
            idx = a._xp.zeros((), np.int64)
            return x.copy(), idx
        idx = cls._pick(x, d, *args)
        vals = x[_along(idx, d)]
        ctx.save_for_backward(_tensor.Tensor._wrap(idx))
        if not keepdim:
            return vals.squeeze(d), idx.squeeze(d)
        return vals, idx

    @staticmethod
    def backward(ctx, g, _g_idx=None):
        shape, d, keepdim = ctx.meta
        nones = (None,) * (len(ctx.needs_input_grad) - 1)
        if g is None or len(shape) == 0:
            return (g,) + nones
        if not keepdim:
            g = g.unsqueeze(d)
        (idx,) = ctx.saved_tensors
        return (_PutAlong.apply(g, idx, d, shape),) + nones


def _order(x, d, descending=False):
    """Stable sort order along ``d``; NaN sorts above everything (last ascending, first
    descending), as PyTorch."""
    kind = "stable" if x.__class__ is np.ndarray else None   # CuPy's sorts are always stable
    if not descending:
        return np.argsort(x, axis=d, kind=kind)
    # descending and stable: sort the reversed array ascending, then reverse the result back
    rev = (slice(None),) * d + (slice(None, None, -1),)
    o = np.argsort(x[rev], axis=d, kind=kind)[rev]
    return np.ascontiguousarray(x.shape[d] - 1 - o)


class _EvenSelect(Function):
    """A reduction whose value is one of the elements (max(), min(), median(), amax, amin): the
    gradient is split evenly among the elements equal to the result, as PyTorch does."""

    _builtin = True

    @staticmethod
    def _reduce(x, dims, keepdim):
        raise NotImplementedError

    @classmethod
    def forward(cls, ctx, a, dims, keepdim):
        ctx.meta = (dims, keepdim)
        out = a._wrap(cls._reduce(a._data, dims, keepdim))
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx, g):
        a, out = ctx.saved_tensors
        dims, keepdim = ctx.meta
        return _even_grad(g, a._data, out._data, dims, keepdim), None, None


def _even_grad(g, x, out, dims, keepdim):
    """``g`` shared evenly among the places where ``x`` equals the reduced value ``out``."""
    Tensor = _tensor.Tensor
    if not keepdim and out.ndim != x.ndim:
        kept = tuple(1 if i in dims else s for i, s in enumerate(x.shape))
        out = out.reshape(kept)
        if g._data.ndim:
            g = g.reshape(kept)
    mask = (x == out) | (np.isnan(x) & np.isnan(out)) if x.dtype.kind in "fc" else x == out
    count = mask.sum(axis=dims, keepdims=True).astype(g._data.dtype)
    return (g / Tensor._wrap(count)).masked_fill(Tensor._wrap(~mask), 0)


# -- the ops -------------------------------------------------------------------------------
class Sort(_Selection):
    # the gradient goes back to where each sorted value came from
    @staticmethod
    def _pick(x, d, descending):
        return _order(x, d, descending)


class Topk(_Selection):
    @staticmethod
    def _pick(x, d, k, largest):
        o = _order(x, d, largest)
        return o if k == x.shape[d] else np.ascontiguousarray(o[(slice(None),) * d + (slice(0, k),)])


class Kthvalue(_Selection):
    @staticmethod
    def _pick(x, d, k):
        return _order(x, d)[(slice(None),) * d + (slice(k - 1, k),)]


class Median(_Selection):
    # lower median of each slice; a slice holding NaN gives its first NaN, as PyTorch
    @staticmethod
    def _pick(x, d, ignore_nan=False):
        o = _order(x, d)
        n = x.shape[d]
        if x.dtype.kind in "fc":
            nans = np.isnan(x).sum(axis=d, keepdims=True)
            if ignore_nan:
                pos = np.maximum(n - nans - 1, 0) // 2
            else:
                pos = np.where(nans > 0, n - nans, (n - 1) // 2)
        else:
            pos = get_array_module(x).full(o.shape[:d] + (1,) + o.shape[d + 1:], (n - 1) // 2)
        return np.take_along_axis(o, pos, axis=d)

    def name(self):
        return "MedianBackward1"


class MedianAll(_EvenSelect):
    # median() of all elements: lower median, NaN if any
    @staticmethod
    def _reduce(x, dims, keepdim, ignore_nan=False):
        flat = x.reshape(-1)
        if flat.size == 0:
            return get_array_module(x).full((), np.nan, x.dtype)
        i = Median._pick(flat, 0, ignore_nan)
        return flat[i].reshape(())

    def name(self):
        return "MedianBackward0"


class NanmedianAll(MedianAll):
    @staticmethod
    def _reduce(x, dims, keepdim):
        return MedianAll._reduce(x, dims, keepdim, True)

    def name(self):
        return "NanmedianBackward0"


class Nanmedian(Median):
    @staticmethod
    def _pick(x, d):
        return Median._pick(x, d, True)

    def name(self):
        return "NanmedianBackward1"


def _check_sortable(t, op):
    if not isinstance(t, _tensor.Tensor):
        raise TypeError(f"{op}(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(t).__name__}")


def sort(input, dim=-1, descending=False, stable=False):
    _check_sortable(input, "sort")
    v, i = Sort.apply(input, dim, True, descending)
    return return_types.sort(v, i)


def argsort(input, dim=-1, descending=False, stable=False):
    _check_sortable(input, "argsort")
    x = input._data
    d = canon_dim(dim, x.ndim)
    if x.ndim == 0:
        return input._wrap(input._xp.zeros((), np.int64))
    return input._wrap(_order(x, d, descending))


def msort(input):
    return sort(input, dim=0).values


def topk(input, k, dim=-1, largest=True, sorted=True):  # noqa: A002 - PyTorch's argument name
    _check_sortable(input, "topk")
    if input.dtype.category == 0:
        raise RuntimeError("topk does not support bool dtypes on CPU")
    x = input._data
    d = canon_dim(dim, x.ndim)
    n = x.shape[d] if x.ndim else 1
    if not 0 <= k <= n:
        raise RuntimeError("selected index k out of range")
    # values come out sorted whatever ``sorted`` says (PyTorch leaves the order unspecified)
    v, i = Topk.apply(input, d, True, k, largest)
    return return_types.topk(v, i)


def kthvalue(input, k, dim=-1, keepdim=False):
    _check_sortable(input, "kthvalue")
    x = input._data
    d = canon_dim(dim, x.ndim)
    n = x.shape[d] if x.ndim else 1
    if not 1 <= k <= n:
        raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {d}")
    v, i = Kthvalue.apply(input, d, keepdim, k)
    return return_types.kthvalue(v, i)


def _median(input, dim, keepdim, nan, name):
    _check_sortable(input, name)
    if input.dtype.category == 0:
        raise NotImplementedError(f"\"{name}_cpu\" not implemented for 'Bool'")
    if dim is None:
        return (NanmedianAll if nan else MedianAll).apply(input, tuple(range(input.ndim)), False)
    x = input._data
    d = canon_dim(dim, x.ndim)
    if x.ndim and x.shape[d] == 0:
        raise IndexError(f"{name}(): Expected reduction dim {d} to have non-zero size.")
    v, i = (Nanmedian if nan else Median).apply(input, d, keepdim)
    return getattr(return_types, name)(v, i)


def median(input, dim=None, keepdim=False):
    return _median(input, dim, keepdim, False, "median")


def nanmedian(input, dim=None, keepdim=False):
    return _median(input, dim, keepdim, True, "nanmedian")


# -- unique, bincount, searchsorted, bucketize, histc (no gradients) ------------------------

def _const(arr):
    return _tensor.Tensor._wrap(np.asarray(arr))


def unique(input, sorted=True, return_inverse=False, return_counts=False,  # noqa: A002
           dim=None):
    """The distinct values (or slices along ``dim``), always in ascending order (PyTorch's CPU
    kernel sorts whatever ``sorted`` says); NaNs are never equal to each other."""
    _check_sortable(input, "unique")
    x = input._data
    if dim is None:
        out, inv, counts = np.unique(x.reshape(-1), return_inverse=True, return_counts=True,
                                     equal_nan=False)
        inv = inv.reshape(x.shape)
    else:
        if x.ndim == 0:
            raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
        d = canon_dim(dim, x.ndim)
        if x.size == 0 and x.shape[d] != 0:
            raise RuntimeError("There are 0 sized dimensions, and they aren't selected, so "
                               "unique cannot be applied")
        if x.shape[d] == 0:
            out, inv, counts = x, np.zeros(0, np.int64), np.zeros(0, np.int64)
        else:
            out, inv, counts = np.unique(x, return_inverse=True, return_counts=True, axis=d)
            inv = inv.reshape(-1)
    out = input._wrap(np.ascontiguousarray(out))
    extra = [_const(inv.astype(np.int64))] if return_inverse else []
    if return_counts:
        extra.append(_const(counts.astype(np.int64)))
    return (out, *extra) if extra else out


def bincount(input, weights=None, minlength=0):
    _check_sortable(input, "bincount")
    x = input._data
    if x.dtype.kind not in "iu":
        raise NotImplementedError(f"\"bincount_cpu\" not implemented for '{input.dtype._short}'")
    if minlength < 0:
        raise RuntimeError("minlength should be >= 0")
    if x.ndim != 1 or (x.size and x.min() < 0):
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    if weights is None:
        return _const(np.bincount(x, minlength=minlength).astype(np.int64))
    w = weights._data
    if w.ndim != 1 or w.shape[0] != x.shape[0]:
        raise RuntimeError("weights should be 1-d and have the same length as input")
    # float weights keep float32; everything else counts in float64, as PyTorch
    dt = np.float32 if w.dtype == np.float32 else np.float64
    return _const(np.bincount(x, weights=w.astype(np.float64), minlength=minlength).astype(dt))


def _search(seq, v, right):
    """Vectorised binary search along seq's last dim with PyTorch's comparisons (a NaN in seq
    compares as smaller than everything): log2(n) whole-array steps."""
    n = seq.shape[-1]
    lo = np.zeros(v.shape, np.int64)
    hi = np.full(v.shape, n, np.int64)
    batched = seq.ndim > 1
    while True:
        active = lo < hi
        if not active.any():
            return lo
        mid = (lo + hi) >> 1
        m = np.minimum(mid, n - 1)
        mv = np.take_along_axis(seq, m, -1) if batched else seq[m]
        with np.errstate(invalid="ignore"):
            go_right = ~(mv > v) if right else ~(mv >= v)
        lo = np.where(active & go_right, mid + 1, lo)
        hi = np.where(active & ~go_right, mid, hi)


def _shape_str(shape):
    return "[" + ", ".join(map(str, shape)) + "]"


def searchsorted(sorted_sequence, values, *, out_int32=False, right=False, side=None,
                 sorter=None):
    _check_sortable(sorted_sequence, "searchsorted")
    if side is not None and side not in ("left", "right"):
        raise RuntimeError(f"torch.searchsorted(): side can only be 'left' or 'right' but got "
                           f"{side}")
    if side == "left" and right:
        raise RuntimeError("torch.searchsorted(): side and right can't be set to opposites, got "
                           "side of left while right was True")
    right = right or side == "right"
    seq = sorted_sequence._data
    scalar = not isinstance(values, _tensor.Tensor)
    v = np.asarray(values) if scalar else values._data
    if seq.ndim == 0:
        raise RuntimeError("torch.searchsorted(): boundaries tensor should have positive "
                           "dimension, but got 0 dimension")
    if seq.ndim > 1:
        if scalar:
            raise RuntimeError("torch.searchsorted(): input value can be a scalar only when "
                               f"boundaries tensor dimension is 1, but we got boundaries tensor "
                               f"dim({seq.ndim}) and input value's dim(0) numel(1)")
        if v.ndim != seq.ndim or v.shape[:-1] != seq.shape[:-1]:
            raise RuntimeError("torch.searchsorted(): boundaries tensor should be 1 dimension or "
                               "the first N-1 dimensions of boundaries tensor and input value "
                               f"tensor must match, but we got boundaries tensor "
                               f"{_shape_str(seq.shape)} and input value tensor "
                               f"{_shape_str(v.shape)}")
    if seq.dtype == np.bool_ or v.dtype == np.bool_:
        raise NotImplementedError("\"searchsorted_out_cpu\" not implemented for 'Bool'")
    if sorter is not None:
        if sorter.dtype.name != "int64":
            raise RuntimeError(f"torch.searchsorted(): sorter must be a tensor of long dtype but "
                               f"got dtype {sorter.dtype._short}")
        order = sorter._data
        if order.shape != seq.shape:
            raise RuntimeError(f"torch.searchsorted(): boundary and sorter must have the same size, "
                               f"but got boundary tensor {_shape_str(seq.shape)}and got sorter "
                               f"tensor {_shape_str(order.shape)}")
        if order.size and (order.min() < 0 or order.max() >= seq.shape[-1]):
            raise RuntimeError("torch.searchsorted(): sorter index out of range")
        seq = np.take_along_axis(seq, order, -1)
    out = _search(seq, v, right)
    return _const(out.astype(np.int32 if out_int32 else np.int64, copy=False))


def bucketize(input, boundaries, *, out_int32=False, right=False):
    if boundaries._data.ndim != 1:
        raise RuntimeError(f"boundaries tensor must be 1 dimension, but got dim("
                           f"{boundaries._data.ndim})")
    return searchsorted(boundaries, input, out_int32=out_int32, right=right)


def _num(v):
    return f"{v:g}".replace("nan", "-nan") if np.isnan(v) else f"{v:g}"


def histc(input, bins=100, min=0, max=0):  # noqa: A002 - PyTorch's argument names
    """Counts in ``bins`` equal-width bins over [min, max]; min == max means the data's range
    (widened by 1 each way if that is one point too); values outside are ignored."""
    _check_sortable(input, "histc")
    x = input._data
    if x.dtype.kind != "f":
        raise NotImplementedError(f"\"histogram_cpu\" not implemented for '{input.dtype._short}'")
    if bins <= 0:
        raise RuntimeError(f"torch.histogram(): bins must be > 0, but got {bins} for dimension 0")
    if min > max:
        raise RuntimeError("torch.histc: max must be larger than min")
    lo, hi = x.dtype.type(min), x.dtype.type(max)
    if lo == hi and x.size:
        lo, hi = x.min(), x.max()
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    if not (np.isfinite(lo) and np.isfinite(hi)):
        raise RuntimeError(f"torch.histc: range of [{_num(lo)}, {_num(hi)}] is not finite")
    x = x.reshape(-1)
    x = x[(x >= lo) & (x <= hi)]     # NaN drops out here too
    pos = ((x - lo) / (hi - lo) * bins).astype(np.int64)
    np.minimum(pos, bins - 1, out=pos)   # max itself falls in the last bin
    counts = np.bincount(pos, minlength=bins)
    return input._wrap(counts.astype(x.dtype))


class SortMethods:
    """Tensor methods of this family."""

    __slots__ = ()

    def sort(self, dim=-1, descending=False, stable=False):
        return sort(self, dim, descending, stable)

    def argsort(self, dim=-1, descending=False, stable=False):
        return argsort(self, dim, descending, stable)

    def msort(self):
        return msort(self)

    def topk(self, k, dim=-1, largest=True, sorted=True):  # noqa: A002
        return topk(self, k, dim, largest, sorted)

    def kthvalue(self, k, dim=-1, keepdim=False):
        return kthvalue(self, k, dim, keepdim)

    def median(self, dim=None, keepdim=False):
        return median(self, dim, keepdim)

    def nanmedian(self, dim=None, keepdim=False):
        return nanmedian(self, dim, keepdim)

    def unique(self, sorted=True, return_inverse=False, return_counts=False, dim=None):  # noqa: A002
        return unique(self, sorted, return_inverse, return_counts, dim)

    def bincount(self, weights=None, minlength=0):
        return bincount(self, weights, minlength)

    def histc(self, bins=100, min=0, max=0):  # noqa: A002
        return histc(self, bins, min, max)
