"""Products and scans: prod, cumsum, cumprod, cummax / cummin, logcumsumexp and diff, each with its
gradient (cumprod's exact even through zeros)."""
import numpy as np

from .. import _dtype as D
from ..autograd.function import Function
from ._number import index
from ._util import canon_dim, check_tensor
from ._util import conj as _conj
from ._vjp import vjp_of
from .reduce import _acc, _acc_array, _as, _const
from .sort import return_types

_CTX_AUDITED = True   # every array a Function here keeps on ctx is in its _ctx_arrays


# -- prod, cumsum, cumprod -----------------------------------------------------------------
def _scan(fn, x, d, reverse):
    """``x.fn`` ("cumsum" / "cumprod") along ``d``, from the end when ``reverse``."""
    if x.ndim == 0:
        return x.copy()
    if not reverse:
        return _acc(fn, x, axis=d)
    flip = (slice(None),) * d + (slice(None, None, -1),)
    return np.ascontiguousarray(_acc(fn, x[flip], axis=d)[flip])


class Cumsum(Function):
    _builtin = True

    # d cumsum = the gradient summed from the end (a reversed cumsum), and the other way round
    @staticmethod
    def forward(ctx, a, dim, dtype=None, reverse=False):
        x = _acc_array(a, dtype)
        d = canon_dim(dim, x.ndim)
        ctx.meta = (d, reverse)
        return _scan("cumsum", x, d, reverse)

    @staticmethod
    def backward(ctx, g):
        d, reverse = ctx.meta
        return Cumsum.apply(g, d, None, not reverse), None, None, None

    @staticmethod
    def onnx(graph, ctx, a, dim, dtype=None, reverse=False):
        d, rev = ctx.meta
        x = graph.cast(a, graph.out[0].dtype)
        if not a.shape:
            return graph.op("Identity", x)
        return graph.op("CumSum", x, graph.const(np.asarray(d, np.int64)), reverse=int(rev))


class Cumprod(Function):
    _builtin = True

    # d out_k / d x_i = prod_{j<=k, j!=i} x_j (k >= i): with no zeros in x that is a reversed
    # cumsum of g*out divided by x; zeros need the products written out
    @staticmethod
    def forward(ctx, a, dim, dtype=None, reverse=False):
        x = _acc_array(a, dtype)
        d = canon_dim(dim, x.ndim)
        ctx.meta = (d, reverse)
        out = a._wrap(_scan("cumprod", x, d, reverse))
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx, g):
        a, out = ctx.saved_tensors
        d, reverse = ctx.meta
        if a._data.ndim == 0 or a._data.shape[d] <= 1:
            return g, None, None, None
        zero = a._data == 0
        if not zero.any():
            return Cumsum.apply(g * _conj(out), d, None, not reverse) / _conj(a), None, None, None
        return CumprodGrad.apply(g, a, out._data, zero, d, reverse), None, None, None


class CumprodGrad(Function):
    """Cumprod's gradient where x has zeros: the O(n) form (``_cumprod_grad_zeros``), right to
    first order. Its own gradient is that of the O(n^2) form written out with differentiable
    ops (``_cumprod_grad_exact``, the same values), so double backward is exact at zeros too."""
    _builtin = True

    @staticmethod
    def forward(ctx, g, a, out, zero, d, reverse):
        ctx.meta = (d, reverse)
        ctx.save_for_backward(g, a)
        return _cumprod_grad_zeros(g, a, a._wrap(out), zero, d, reverse)

    @staticmethod
    def backward(ctx, u):
        d, reverse = ctx.meta
        return tuple(vjp_of(lambda g, a: (_cumprod_grad_exact(g, a, d, reverse),),
                            ctx.saved_tensors, ctx.needs_input_grad[:2], (u,))) + (None,) * 4


def _cumprod_grad_zeros(g, a, out, zero, d, reverse):
    """O(n) gradient of cumprod where x has zeros (right to first order only). In scan order:
    before the first zero z the no-zero formula holds (out is 0 from z on), at z the gradient
    is sum_{k>=z} g_k prod_{j<=k, j!=z} x_j (a cumprod with x_z set to 1), after z it is 0."""
    nz = _scan("cumsum", zero, d, reverse)
    not_before = _const(nz != 0)
    first = zero & (nz == 1)
    ga = Cumsum.apply(g * _conj(out), d, None, not reverse) / _conj(a.masked_fill(not_before, 1))
    rest = Cumprod.apply(a.masked_fill(_const(first), 1), d, None, reverse)
    gz = Cumsum.apply(g * _conj(rest), d, None, not reverse)
    return ga.masked_fill(not_before, 0) + gz.masked_fill(_const(~first), 0)


def _cumprod_grad_exact(g, a, d, reverse):
    """O(n^2) gradient of cumprod built from differentiable ops: row i of a new dim holds x
    with x_i set to 1, whose cumprod at k is prod_{j<=k, j!=i} x_j."""
    shape = a._data.shape
    n, nd = shape[d], len(shape)
    xp = a._xp
    lay = (1,) * d + (n, n) + (1,) * (nd - d - 1)
    rows = a.unsqueeze(d).expand(shape[:d] + (n,) + shape[d:])
    rows = rows.masked_fill(_const(xp.eye(n, dtype=bool).reshape(lay)), 1)
    prods = Cumprod.apply(rows, d + 1, None, reverse)
    skip = xp.tri(n, k=-1, dtype=bool)       # k < i: not reached by x_i
    if reverse:
        skip = skip.T
    return (_conj(prods) * g.unsqueeze(d)).masked_fill(_const(skip.reshape(lay)), 0).sum(d + 1)


class _Shift(Function):
    _builtin = True

    # out[k] = a[k - step] along dim (``fill`` where that falls outside); linear in a, the
    # adjoint shifts back with a zero fill
    @staticmethod
    def forward(ctx, a, dim, step, fill):
        x = a._data
        ctx.meta = (dim, step)
        out = a._xp.full(x.shape, fill, x.dtype)
        n = x.shape[dim]
        lead = (slice(None),) * dim
        if step > 0:
            out[lead + (slice(1, None),)] = x[lead + (slice(0, n - 1),)]
        else:
            out[lead + (slice(0, n - 1),)] = x[lead + (slice(1, None),)]
        return out

    @staticmethod
    def backward(ctx, g):
        dim, step = ctx.meta
        return _Shift.apply(g, dim, -step, 0), None, None, None


def _others_prod(a, d):
    """prod over dim d of every element but the i-th: exclusive cumprods from both ends (no
    division, so right where a has zeros, and differentiable again)."""
    before = Cumprod.apply(_Shift.apply(a, d, 1, 1), d)
    after = Cumprod.apply(_Shift.apply(a, d, -1, 1), d, None, True)
    return before * after


class Prod(Function):
    _builtin = True

    # d prod / d x_i = prod of the other elements (= out / x_i when x has no zero)
    @staticmethod
    def forward(ctx, a, dim=None, keepdim=False, dtype=None):
        x = _acc_array(a, dtype)
        if dim is None:
            ctx.meta = None
            out = _acc("prod", x)
        else:
            d = canon_dim(dim, x.ndim)
            ctx.meta = (d, keepdim)
            out = _acc("prod", x, axis=d, keepdims=keepdim) if x.ndim else x.copy()
        out = a._wrap(_as(out, x))
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx, g):
        a, out = ctx.saved_tensors
        shape = a._data.shape
        if not shape:
            return g, None, None, None
        if a._data.size == 0:
            return g.expand(shape) if ctx.meta is None or ctx.meta[1] else \
                g.unsqueeze(ctx.meta[0]).expand(shape), None, None, None
        if not (a._data == 0).any():
            if ctx.meta is not None and not ctx.meta[1]:
                g, out = g.unsqueeze(ctx.meta[0]), out.unsqueeze(ctx.meta[0])
            return g * _conj(out / a), None, None, None
        if ctx.meta is None:
            flat = a.reshape(-1)
            return (g * _conj(_others_prod(flat, 0))).reshape(shape), None, None, None
        d, keepdim = ctx.meta
        if not keepdim:
            g = g.unsqueeze(d)
        return g * _conj(_others_prod(a, d)), None, None, None

    def name(self):
        return "ProdBackward0" if self.__dict__.get("meta") is None else "ProdBackward1"

    @staticmethod
    def onnx(graph, ctx, a, dim=None, keepdim=False, dtype=None):
        x = graph.cast(a, graph.out[0].dtype)
        if not a.shape:
            return graph.op("Identity", x)
        if ctx.meta is None:
            return graph.reduce("ReduceProd", x, None, False)
        d, keep = ctx.meta
        return graph.reduce("ReduceProd", x, [d], keep)


def prod(input, dim=None, keepdim=False, *, dtype=None):
    dim = index(dim)
    if dim is not None and not isinstance(dim, (int, np.integer)):
        raise TypeError(f"prod(): argument 'dim' must be int, not {type(dim).__name__}")
    return Prod.apply(input, dim, keepdim, dtype)


def cumsum(input, dim, *, dtype=None):
    return Cumsum.apply(input, dim, dtype)


def cumprod(input, dim, *, dtype=None):
    return Cumprod.apply(input, dim, dtype)


# -- cummax / cummin, logcumsumexp, diff, aminmax ------------------------------------------------
def _cumext(op, input, dim):
    """Running max/min and where it was last reached (ties and NaN take the later index, as
    PyTorch); the values are ``input`` gathered there, so the gradient goes to those places."""
    from .gather import gather
    check_tensor(input, op)
    x = input._data
    d = canon_dim(dim, x.ndim)
    x1 = x.reshape(1) if x.ndim == 0 else x
    vals = (np.maximum if op == "cummax" else np.minimum).accumulate(x1, axis=d)
    mark = x1 == vals
    if x1.dtype.kind in "fc":
        mark |= np.isnan(x1)
    pos = np.arange(x1.shape[d]).reshape((-1,) + (1,) * (x1.ndim - d - 1))
    idx = np.maximum.accumulate(np.where(mark, pos, 0), axis=d).astype(np.int64, copy=False)
    it = input._wrap(idx)
    v = gather(input if x.ndim else input.reshape(1), d, it)
    if x.ndim == 0:
        v, it = v.reshape(()), it.reshape(())
    return getattr(return_types, op)(v, it)


def cummax(input, dim):
    return _cumext("cummax", input, dim)


def cummin(input, dim):
    return _cumext("cummin", input, dim)


class Logcumsumexp(Function):
    _builtin = True

    # d out_i / d x_j = exp(x_j - out_i) for i >= j; the sum over i is done in log space, the
    # positive and negative parts of g apart (a reversed logcumsumexp each), so nothing overflows
    @staticmethod
    def forward(ctx, a, dim, reverse=False):
        x = a._data
        if x.dtype.kind not in "f":
            raise NotImplementedError(f'"logcumsumexp_out_cpu" not implemented for '
                                      f"'{a.dtype._short}'")
        d = canon_dim(dim, x.ndim)
        ctx.meta = (d, reverse)
        if x.ndim == 0:
            out = x.copy()
        elif reverse:
            flip = (slice(None),) * d + (slice(None, None, -1),)
            out = np.ascontiguousarray(np.logaddexp.accumulate(x[flip], axis=d)[flip])
        else:
            out = np.logaddexp.accumulate(x, axis=d)
        out = a._wrap(out)
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx, g):
        from .gather import where
        a, out = ctx.saved_tensors
        d, reverse = ctx.meta
        if a._data.ndim == 0:
            return g, None, None
        mag = g.abs()
        lg = where(mag > 0, mag, 1.0).log() - out
        parts = []
        for sel in (g > 0, g < 0):
            part = Logcumsumexp.apply(where(sel, lg, float("-inf")), d, not reverse)
            parts.append((part + a).exp())
        return parts[0] - parts[1], None, None


def logcumsumexp(input, dim):
    check_tensor(input, "logcumsumexp")
    return Logcumsumexp.apply(input, dim)


def diff(input, n=1, dim=-1, prepend=None, append=None):
    """``n``-th forward difference along ``dim`` (xor for bool), after joining ``prepend`` and
    ``append``: slices and a subtraction, so gradients come for free."""
    from .join import cat
    check_tensor(input, "diff")
    x = input._data
    if x.ndim == 0:
        raise RuntimeError("diff expects input to be at least one-dimensional")
    if n < 0:
        raise RuntimeError(f"order must be non-negative but got {n}")
    d = canon_dim(dim, x.ndim)
    parts = [input]
    for t, front in ((prepend, True), (append, False)):
        if t is None:
            continue
        if t._data.ndim != x.ndim:
            raise RuntimeError("diff expects prepend or append to be the same dimension as input")
        parts.insert(0, t) if front else parts.append(t)
    out = cat(parts, d) if len(parts) > 1 else input
    if n == 0:
        return out.clone() if out is input else out
    for _ in range(n):
        size = out._data.shape[d]
        if size == 0:
            break
        hi, lo = out.narrow(d, 1, size - 1), out.narrow(d, 0, size - 1)
        out = hi != lo if out.dtype is D.bool else hi - lo
    return out
