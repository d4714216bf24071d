"""``ember.linalg``: norms, inv, det, slogdet, solve, and the decompositions eigh, qr, cholesky,
svd (with pinv, lstsq, matrix_rank built on them) (PyTorch's torch.linalg namespace).

Gradients are written in ember ops (matmul, inv, solve themselves), so they are differentiable
again; the exceptions, which go through the SVD (svdvals), say so when asked for a second derivative."""

import numpy as np

from . import _dtype as D
from . import _tensor
from .ops.decomp import (
    Det,
    Inv,
    LinalgCholeskyEx,
    LinalgEigh,
    LinAlgError,
    LinalgQr,
    LinalgSvd,
    Slogdet,
    Solve,
    _check_eigh,
    _check_float,
    _check_matrix,
    _check_square,
    _EighResult,
    _LstsqResult,
    _QRResult,
    _SlogdetResult,
    _SVDResult,
)
from .ops.linalg import _broadcast_batch, matmul, matrix_power
from .ops.linalg import cross as _cross
from .ops.matrix_norm import _out, matrix_norm, norm, svdvals, vector_norm

__all__ = ["norm", "vector_norm", "matrix_norm", "inv", "det", "slogdet", "solve", "svdvals",
           "matmul", "LinAlgError", "eigh", "eigvalsh", "qr", "cholesky", "svd", "pinv", "lstsq",
           "matrix_rank", "cross", "matrix_power", "cholesky_solve"]


def inv(A, *, out=None):
    return _out(Inv.apply(A), out)


def det(A, *, out=None):
    return _out(Det.apply(A), out)


def slogdet(A, *, out=None):
    return _out(_SlogdetResult(*Slogdet.apply(A)), out)


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


# -- decompositions: eigh, qr, cholesky, svd --------------------------------------------------

def eigh(A, UPLO="L", *, out=None):
    uplo = _check_eigh(A, UPLO, "linalg.eigh")
    return _out(_EighResult(*LinalgEigh.apply(A, uplo)), out)


def eigvalsh(A, UPLO="L", *, out=None):
    uplo = _check_eigh(A, UPLO, "linalg.eigh")
    # through the full eigh, as torch does when a gradient may be asked for
    return _out(LinalgEigh.apply(A, uplo)[0], out)


def qr(A, mode="reduced", *, out=None):
    if mode not in ("reduced", "complete", "r"):
        raise RuntimeError(f"qr received unrecognized mode '{mode}' but expected one of "
                           "'reduced' (default), 'r', or 'complete'")
    _check_matrix(A, "linalg.qr")
    q, r = LinalgQr.apply(A, mode)
    if mode == "r":
        q = _tensor.Tensor._wrap(np.empty((0,), dtype=A._data.dtype))
    return _out(_QRResult(q, r), out)


def cholesky(A, *, upper=False, out=None):
    _check_square(A, "linalg.cholesky")
    low = LinalgCholeskyEx.apply(A)
    return _out(low.mH if upper else low, out)


def svd(A, full_matrices=True, *, driver=None, out=None):
    _check_matrix(A, "linalg.svd")
    return _out(_SVDResult(*LinalgSvd.apply(A, full_matrices)), out)


def _tolerance(s, m, n, atol, rtol):
    """The cutoff below which singular values count as zero (torch's atol / rtol rule)."""
    smax = s.max(axis=-1, keepdims=True) if s.shape[-1] else np.zeros(s.shape[:-1] + (1,))
    if rtol is None:
        rtol = np.finfo(s.dtype).eps * max(m, n) if atol is None or atol <= 0 else 0.0
    return np.maximum(0.0 if atol is None else atol, rtol * smax)


def pinv(A, *, atol=None, rtol=None, hermitian=False, out=None):
    if not isinstance(A, _tensor.Tensor) or A._data.ndim < 2 or A.dtype.category < D._FLOAT:
        shape = list(A.shape) if isinstance(A, _tensor.Tensor) else []
        kind = A.dtype._short if isinstance(A, _tensor.Tensor) else "?"
        raise RuntimeError(f"linalg.pinv({kind}{{{shape}}}): expected a tensor with 2 or more "
                           "dimensions of float, double, cfloat or cdouble types")
    m, n = A._data.shape[-2:]
    u, s, vh = LinalgSvd.apply(A, False)
    keep = s._data > _tolerance(s._data, m, n, atol, rtol)
    sinv = _tensor.Tensor._wrap(np.where(keep, 1.0, 0.0).astype(s._data.dtype)) / \
        (s + _tensor.Tensor._wrap((~keep).astype(s._data.dtype)))   # 1 / s, 0 where cut
    return _out(matmul(vh.mH * sinv.unsqueeze(-2), u.mH), out)


def matrix_rank(A, *, atol=None, rtol=None, hermitian=False, out=None):
    if not isinstance(A, _tensor.Tensor) or A._data.ndim < 2:
        raise RuntimeError("torch.linalg.matrix_rank: The input tensor input must have at least "
                           "2 dimensions.")
    _check_float(A, "torch.linalg.matrix_rank")
    m, n = A._data.shape[-2:]
    s = np.linalg.svd(A._data, compute_uv=False)
    rank = (s > _tolerance(s, m, n, atol, rtol)).sum(axis=-1).astype(np.int64)
    return _out(_tensor.Tensor._wrap(np.asarray(rank)), out)


def lstsq(A, B, rcond=None, *, driver=None):
    """Least squares by the pseudo-inverse; returns what torch's CPU default driver 'gelsy'
    does: the solution and the rank, with residuals and singular_values empty."""
    _check_matrix(A, "torch.linalg.lstsq")
    if driver not in (None, "gelsy"):
        raise NotImplementedError(f"ember: linalg.lstsq driver {driver!r} is not supported "
                                  "(only the CPU default 'gelsy')")
    if not isinstance(B, _tensor.Tensor):
        raise TypeError(f"linalg_lstsq(): argument 'b' (position 2) must be Tensor, not "
                        f"{type(B).__name__}")
    if not 0 <= A._data.ndim - B._data.ndim <= 1:
        raise RuntimeError("torch.linalg.lstsq: input.dim() must be greater or equal to "
                           "other.dim() and (input.dim() - other.dim()) <= 1")
    vector = B._data.ndim == A._data.ndim - 1
    bm = B.unsqueeze(-1) if vector else B
    if bm._data.shape[-2] != A._data.shape[-2]:
        raise RuntimeError("torch.linalg.lstsq: input.size(-2) should match other.size(-2)")
    m, n = A._data.shape[-2:]
    rtol = np.finfo(A._data.dtype).eps * max(m, n) if rcond is None else rcond
    x = matmul(pinv(A, rtol=rtol), bm)
    empty = _tensor.Tensor._wrap(np.empty((0,), dtype=A._data.dtype))
    rank = matrix_rank(A.detach(), rtol=rtol)
    return _LstsqResult(x.squeeze(-1) if vector else x, empty, rank, empty)


def cross(input, other, *, dim=-1, out=None):
    """torch.linalg.cross: like torch.cross, but ``dim`` defaults to the last."""
    return _out(_cross(input, other, dim=dim), out)


def cholesky_solve(B, L, upper=False, *, out=None):
    """X with A X = B, given A's Cholesky factor L (lower, or upper with ``upper=True``)."""
    lower = L.mH if upper else L
    return _out(solve(lower.mH, solve(lower, B)), out)
