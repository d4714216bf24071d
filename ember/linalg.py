"""``ember.linalg``: norms, inv, det, slogdet, solve (PyTorch's torch.linalg namespace).

Gradients are written in ember ops (matmul, inv, solve themselves), so they are differentiable
again; the exceptions, which go through the SVD, say so when asked for a second derivative."""
import math
from collections import namedtuple

import numpy as np

from . import _dtype as D
from . import _tensor
from .autograd.function import Function
from .ops._util import canon_dim, canon_dims
from .ops.linalg import _broadcast_batch, matmul
from .ops.reduce import LinalgVectorNorm

__all__ = ["norm", "vector_norm", "matrix_norm", "inv", "det", "slogdet", "solve", "svdvals",
           "matmul", "LinAlgError"]


class LinAlgError(RuntimeError):
    """Raised for singular input (torch.linalg.LinAlgError)."""


_SlogdetResult = namedtuple("linalg_slogdet", ["sign", "logabsdet"])


# -- checks ---------------------------------------------------------------------------------

def _check_float(a, op):
    if a.dtype.category < D._FLOAT:
        raise RuntimeError(f"{op}: Expected a floating point or complex tensor as input. Got "
                           f"{a.dtype._short}")


def _check_square(a, op, name="A", half_kernel=None):
    if not isinstance(a, _tensor.Tensor):
        raise TypeError(f"{op.split('.')[-1]}(): argument '{name}' (position 1) must be Tensor, "
                        f"not {type(a).__name__}")
    if a._data.ndim < 2:
        raise RuntimeError(f"{op}: The input tensor {name} must have at least 2 dimensions.")
    r, c = a._data.shape[-2:]
    if r != c:
        raise RuntimeError(f"{op}: A must be batches of square matrices, but they are {r} by {c} "
                           "matrices")
    _check_float(a, op)
    if a.dtype is D.float16:
        if half_kernel:   # the ops that go straight to LU fail in the kernel dispatch
            raise NotImplementedError(f"\"{half_kernel}\" not implemented for 'Half'")
        raise RuntimeError(f"{op}: Low precision dtypes not supported. Got Half")


def _zero_pivots(x):
    """LAPACK getrf's ``info`` per matrix of the batch: the 1-based index of the first exactly
    zero pivot of LU with partial pivoting, 0 where there is none. Only run on the error path."""
    n = x.shape[-1]
    a = np.array(x, copy=True).reshape(-1, n, n)
    info = np.zeros(a.shape[0], dtype=np.int64)
    rows = np.arange(a.shape[0])
    for k in range(n):   # a loop over one matrix dimension; the batch is vectorised
        p = k + np.abs(a[:, k:, k]).argmax(axis=1)
        top = a[rows, k].copy()
        a[rows, k] = a[rows, p]
        a[rows, p] = top
        piv = a[:, k, k]
        zero = piv == 0
        info[(info == 0) & zero] = k + 1
        col = a[:, k + 1:, k] / np.where(zero, 1, piv)[:, None]
        col[zero] = 0
        a[:, k + 1:, k] = col
        a[:, k + 1:, k + 1:] -= col[:, :, None] * a[:, k, None, k + 1:]
    return info


def _singular(x, op, message):
    info = _zero_pivots(x)
    bad = np.flatnonzero(info)
    b = int(bad[0]) if bad.size else 0
    where = f"(Batch element {b}): " if x.ndim > 2 else ""
    return LinAlgError(f"{op}: {where}" + message.format(int(info[b]) if bad.size else
                                                         x.shape[-1]))


# -- inv, det, slogdet, solve ----------------------------------------------------------------

class Inv(Function):
    _builtin = True

    # d A^-1 = -A^-H G A^-H
    @staticmethod
    def forward(ctx, a):
        _check_square(a, "linalg.inv")
        try:
            out = np.linalg.inv(a._data)
        except np.linalg.LinAlgError:
            raise _singular(a._data, "linalg.inv", "The diagonal element {} is zero, the "
                            "inversion could not be completed because the input matrix is "
                            "singular.") from None
        out = _tensor.Tensor._wrap(out)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (ai,) = ctx.saved_tensors
        t = ai.mH
        return -matmul(matmul(t, g), t)


class Det(Function):
    _builtin = True

    # d det A = det(A) A^-H, the cofactor matrix (taken from the SVD where A is singular)
    @staticmethod
    def forward(ctx, a):
        _check_square(a, "linalg.det", half_kernel="lu_cpu")
        out = _tensor.Tensor._wrap(np.asarray(np.linalg.det(a._data)))
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx, g):
        a, d = ctx.saved_tensors
        if a._data.shape[-1] == 0:
            return None
        gd = (g * d.conj() if d.is_complex() else g * d).unsqueeze(-1).unsqueeze(-1)
        if np.all(d._data != 0):
            return gd * Inv.apply(a).mH
        return g.unsqueeze(-1).unsqueeze(-1) * _Cofactor.apply(a)


class _Cofactor(Function):
    """The cofactor matrix of A (the gradient of det) for possibly singular A, from the SVD:
    A = U S V^H gives cof(A) = det(U V^H) U diag(prod_{j != i} s_j) V^H."""

    @staticmethod
    def forward(ctx, a):
        u, s, vh = np.linalg.svd(a._data)
        n = s.shape[-1]
        ones = np.ones(s.shape[:-1] + (1,), s.dtype)
        before = np.cumprod(np.concatenate([ones, s[..., :-1]], -1), -1)
        after = np.cumprod(np.concatenate([ones, s[..., :0:-1]], -1), -1)[..., ::-1]
        scale = np.linalg.det(u) * np.linalg.det(vh)
        cof = (u * (before * after)[..., None, :]) @ vh
        return (cof * scale[..., None, None]).conj() if n else cof

    @staticmethod
    def backward(ctx, g):
        raise RuntimeError("ember: double backward of det at a singular matrix is not "
                           "supported")


class Slogdet(Function):
    _builtin = True

    # d log|det A| = A^-H; the sign is piecewise constant (zero gradient, but it requires grad
    # as in PyTorch)
    @staticmethod
    def forward(ctx, a):
        _check_square(a, "linalg.slogdet")
        sign, logabs = np.linalg.slogdet(a._data)
        ctx.save_for_backward(a)
        return np.asarray(sign), np.asarray(logabs)

    @staticmethod
    def backward(ctx, g_sign, g_logabs):
        (a,) = ctx.saved_tensors
        return g_logabs.unsqueeze(-1).unsqueeze(-1) * Inv.apply(a).mH


class Solve(Function):
    _builtin = True

    # X = A^-1 B: dB = A^-H G, dA = -dB X^H (the engine sums broadcast batch dims)
    @staticmethod
    def forward(ctx, a, b):
        try:
            out = np.linalg.solve(a._data, b._data)
        except np.linalg.LinAlgError:
            shape = _broadcast_batch(a._data.shape[:-2], b._data.shape[:-2]) + a._data.shape[-2:]
            raise _singular(np.broadcast_to(a._data, shape), "torch.linalg.solve",
                            "The solver failed because the input matrix is singular.") from None
        out = _tensor.Tensor._wrap(out)
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx, g):
        a, x = ctx.saved_tensors
        gb = Solve.apply(a.mH, g)
        ga = -matmul(gb, x.mH) if ctx.needs_input_grad[0] else None
        return ga, (gb if ctx.needs_input_grad[1] else None)


def inv(A, *, out=None):
    return _out(Inv.apply(A), out)


def det(A, *, out=None):
    return _out(Det.apply(A), out)


def slogdet(A, *, out=None):
    return _SlogdetResult(*Slogdet.apply(A))


def solve(A, B, *, left=True, out=None):
    """Solve A X = B (or X A = B with ``left=False``). B is a (batch of) vector(s) when it is
    1-d, or when its shape is A's without the last dim; otherwise a (batch of) matrices."""
    _check_square(A, "linalg.solve", half_kernel="lu_cpu")
    if not isinstance(B, _tensor.Tensor):
        raise TypeError(f"solve(): argument 'B' (position 2) must be Tensor, not "
                        f"{type(B).__name__}")
    if B._data.ndim == 0:
        raise RuntimeError("linalg.solve: The input tensor B must have at least 2 dimensions.")
    if A._data.dtype != B._data.dtype:
        raise RuntimeError(f"linalg.solve: Expected A and B to have the same dtype, but found A "
                           f"of type {A.dtype._short} and B of type {B.dtype._short} instead")
    vector = B._data.ndim == 1 or (B._data.ndim == A._data.ndim - 1 and
                                   B._data.shape == A._data.shape[:-1])
    bm = B.unsqueeze(-1) if vector else B
    n = A._data.shape[-1]
    r, c = bm._data.shape[-2:]
    if (r if left else c) != n:
        raise RuntimeError(f"linalg.solve: Incompatible shapes of A and B for the equation "
                           f"{'AX = B' if left else 'XA = B'} ({n}x{n} and {r}x{c})")
    _broadcast_batch(bm._data.shape[:-2], A._data.shape[:-2])
    x = Solve.apply(A, bm) if left else Solve.apply(A.mT, bm.mT).mT
    return _out(x.squeeze(-1) if vector else x, out)


# -- norms ----------------------------------------------------------------------------------

def _ord_str(o):
    if isinstance(o, float) and o.is_integer():
        return str(int(o))
    return str(o)


class _SvdVals(Function):
    """Singular values; the gradient is U diag(g) V^H (first order only)."""

    @staticmethod
    def forward(ctx, a):
        x = a._data.astype(np.float32) if a._data.dtype == np.float16 else a._data
        u, s, vh = np.linalg.svd(x, full_matrices=False)
        ctx.uv = (u, vh)
        ctx.save_for_backward(a)
        return s.astype(a.dtype.to_real().np, copy=False)

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        u, vh = ctx.uv
        return _SvdValsGrad.apply(g, a, u, vh)


class _SvdValsGrad(Function):
    """U diag(g) V^H, recorded as a function of A too so that asking for its derivative fails
    loudly instead of silently treating U and V as constants."""

    @staticmethod
    def forward(ctx, g, a, u, vh):
        return (u * g._data[..., None, :]) @ vh

    @staticmethod
    def backward(ctx, gg):
        raise RuntimeError("ember: double backward through singular values (svdvals, "
                           "matrix_norm with ord 2, -2 or 'nuc') is not supported")


def svdvals(A, *, driver=None, out=None):
    if A._data.ndim < 2:
        raise RuntimeError("linalg.svd: The input tensor A must have at least 2 dimensions.")
    _check_float(A, "linalg.svd")
    return _out(_SvdVals.apply(A), out)


def _cast(x, dtype, op):
    if dtype is None:
        return x
    dt = D.to_dtype(dtype)
    if dt.category < x.dtype.category or (dt.category == x.dtype.category and
                                          dt.itemsize < x.dtype.itemsize):
        raise RuntimeError(f"{op}: the dtype of the input ({x.dtype._short}) should be "
                           f"convertible without narrowing to the specified dtype ({dt._short})")
    return x.to(dt)


def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None, out=None):
    if isinstance(ord, str):
        raise TypeError("linalg_vector_norm(): argument 'ord' must be Number, not str")
    _check_float(x, "linalg.vector_norm")
    x = _cast(x, dtype, "linalg.vector_norm")
    nd = x._data.ndim
    dims = canon_dims(dim, nd) if nd else ()
    if ord == math.inf or ord < 0:
        if x._data.size == 0 and (x._data.ndim == 0 or any(x._data.shape[d] == 0 for d in
                                                            (dims or range(nd)))):
            raise RuntimeError(f"linalg.vector_norm cannot compute the {_ord_str(ord)} norm on "
                               "an empty tensor because the operation does not have an identity")
    return _out(LinalgVectorNorm.apply(x, float(ord), dims, keepdim), out)


_MATRIX_ORDS = ("fro", "nuc", 2, -2, 1, -1, math.inf, -math.inf)


def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim=False, *, dtype=None, out=None):
    nd = A._data.ndim
    if nd < 2:
        raise RuntimeError("linalg.matrix_norm: The input tensor A must have at least 2 "
                           "dimensions.")
    _check_float(A, "linalg.matrix_norm")
    dim = tuple(dim) if not isinstance(dim, int) else (dim,)
    if len(dim) != 2:
        raise RuntimeError(f"linalg.matrix_norm: dim must be a 2-tuple. Got "
                           f"{' '.join(map(str, dim))}")
    d0, d1 = canon_dim(dim[0], nd), canon_dim(dim[1], nd)
    if d0 == d1:
        raise RuntimeError(f"linalg.matrix_norm: dims must be different. Got ({dim[0]}, "
                           f"{dim[1]})")
    if not any(ord == o and isinstance(ord, str) == isinstance(o, str) for o in _MATRIX_ORDS):
        raise RuntimeError(f"linalg.matrix_norm: Order {_ord_str(ord)} not supported.")
    A = _cast(A, dtype, "linalg.matrix_norm")
    kept = tuple(1 if i in (d0, d1) else s for i, s in enumerate(A._data.shape))
    if ord == "fro":
        return _out(vector_norm(A, 2, (d0, d1), keepdim), out)
    if ord in ("nuc", 2, -2):
        if A.dtype is D.float16:
            raise RuntimeError("linalg.matrix_norm: Low precision dtypes not supported. Got Half")
        rest = [i for i in range(nd) if i not in (d0, d1)]
        s = _SvdVals.apply(A.permute(*rest, d0, d1))
        if s._data.shape[-1] == 0:
            r = s.sum(-1)
        elif ord == "nuc":
            r = s.sum(-1)
        else:
            r = LinalgVectorNorm.apply(s, math.inf if ord == 2 else -math.inf, (s.ndim - 1,), False)
        return _out(r.reshape(kept) if keepdim else r, out)
    # 1 / -1: max / min over columns of the column sums; inf / -inf: the same over rows
    sum_dim, red_dim = (d1, d0) if ord in (math.inf, -math.inf) else (d0, d1)
    s = A.abs().sum(sum_dim, keepdim=True)
    if s._data.shape[red_dim] == 0:
        if ord < 0:
            raise IndexError(f"amin(): Expected reduction dim {red_dim - (sum_dim < red_dim)} to "
                             "have non-zero size.")
        r = s.sum(red_dim, keepdim=True)
    else:
        r = LinalgVectorNorm.apply(s, math.inf if ord > 0 else -math.inf, (red_dim,), True)
    return _out(r if keepdim else r.reshape(tuple(s for i, s in enumerate(A._data.shape)
                                                  if i not in (d0, d1))), out)


def norm(A, ord=None, dim=None, keepdim=False, *, dtype=None, out=None):
    """torch.linalg.norm: a vector norm over one dim (or all of a flattened input when ``ord``
    is None), a matrix norm over two dims (or of a 2-d input)."""
    if dim is not None:
        dim = (dim,) if isinstance(dim, int) else tuple(dim)
        if len(dim) == 1 and not isinstance(ord, str):
            return vector_norm(A, 2 if ord is None else ord, dim, keepdim, dtype=dtype, out=out)
        if len(dim) == 2 or isinstance(ord, str):
            return matrix_norm(A, "fro" if ord is None else ord, dim, keepdim, dtype=dtype,
                               out=out)
        raise RuntimeError(f"linalg.norm: If dim is specified, it must be of length 1 or 2. Got "
                           f"{list(dim)}")
    if ord is None:
        return vector_norm(A, 2, None, keepdim, dtype=dtype, out=out)
    if A._data.ndim not in (1, 2):
        raise RuntimeError(f"linalg.norm: If dim is not specified but ord is, the input must be "
                           f"1D or 2D. Got {A._data.ndim}D.")
    if isinstance(ord, str) or A._data.ndim == 2:
        return matrix_norm(A, ord, (-2, -1), keepdim, dtype=dtype, out=out)
    return vector_norm(A, ord, None, keepdim, dtype=dtype, out=out)


def _out(result, out):
    if out is None:
        return result
    out.copy_(result)
    return out
