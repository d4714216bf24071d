"""torch.linalg's differentiable cores: inverse, determinant (and its cofactor gradient),
slogdet, solve, singular values, eigh, qr, cholesky and svd as Functions, with the input checks
and the singular / not-positive-definite errors they raise. ember.linalg is the public
facade over them."""
from collections import namedtuple

import numpy as np

from .. import _dtype as D
from .. import _tensor
from ..autograd.function import Function
from .linalg import _broadcast_batch, matmul

_CTX_AUDITED = True   # every array a Function here keeps on ctx is in its _ctx_arrays


class LinAlgError(RuntimeError):
    """Raised for singular input (torch.linalg.LinAlgError)."""


_SlogdetResult = namedtuple("linalg_slogdet", ["sign", "logabsdet"])
_EighResult = namedtuple("linalg_eigh", ["eigenvalues", "eigenvectors"])
_QRResult = namedtuple("linalg_qr", ["Q", "R"])
_SVDResult = namedtuple("linalg_svd", ["U", "S", "Vh"])
_LstsqResult = namedtuple("linalg_lstsq", ["solution", "residuals", "rank", "singular_values"])


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


class _SvdVals(Function):
    """Singular values; the gradient is U diag(g) V^H (first order only)."""
    _ctx_arrays = ('uv',)   # freed with the saved tensors

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


def _check_matrix(a, op, name="A"):
    if not isinstance(a, _tensor.Tensor):
        raise TypeError(f"{op.split('.')[-1]}(): argument '{name}' (position 1) must be Tensor, "
                        f"not {type(a).__name__}")
    if a._data.ndim < 2:
        raise RuntimeError(f"{op}: The input tensor {name} must have at least 2 dimensions.")
    _check_float(a, op)


def _eye(n, like):
    return _tensor.Tensor._wrap(np.eye(n, dtype=like._data.dtype))


def _diag_embed(v):
    return v.unsqueeze(-1) * _eye(v._data.shape[-1], v)


class LinalgEigh(Function):
    _builtin = True

    # A = V diag(L) V^H: dA = V (diag(gL) + skew(V^H gV) / E) V^H with E_ij = L_j - L_i
    # (torch's formula; the result is Hermitian whichever triangle was read)
    @staticmethod
    def forward(ctx, a, uplo):
        w, v = np.linalg.eigh(a._data, UPLO=uplo)
        w, v = _tensor.Tensor._wrap(w), _tensor.Tensor._wrap(v)
        ctx.save_for_backward(w, v)
        return w, v

    @staticmethod
    def backward(ctx, gw, gv):
        w, v = ctx.saved_tensors
        n = w._data.shape[-1]
        eye = _eye(n, w)
        vhgv = matmul(v.mH, gv)
        e = w.unsqueeze(-2) - w.unsqueeze(-1) + eye      # 1 on the diagonal: no 0 / 0
        inner = (vhgv - vhgv.mH) * 0.5 / e * (1 - eye) + _diag_embed(gw)
        return matmul(matmul(v, inner), v.mH), None


def _check_eigh(A, UPLO, op):
    _check_square(A, op, half_kernel="linalg_eigh_cpu")
    if UPLO not in ("L", "U", "l", "u"):
        raise RuntimeError(f"Expected UPLO argument to be 'L' or 'U', but got {UPLO}")
    return UPLO.upper()


class LinalgQr(Function):
    _builtin = True

    # A = QR (m >= n, reduced): dA = (gQ + Q copyltu(M)) R^-H with M = R gR^H - gQ^H Q and
    # copyltu(M) = tril(M) + tril(M, -1)^H
    @staticmethod
    def forward(ctx, a, mode):
        m, n = a._data.shape[-2:]
        q, r = np.linalg.qr(a._data, mode="complete" if mode == "complete" else "reduced")
        q, r = _tensor.Tensor._wrap(q), _tensor.Tensor._wrap(r)
        ctx.mode, ctx.wide = mode, m < n
        ctx.save_for_backward(q, r)
        return q, r

    @staticmethod
    def backward(ctx, gq, gr):
        q, r = ctx.saved_tensors
        m, n = q._data.shape[-2], r._data.shape[-1]
        if ctx.mode == "r":
            raise RuntimeError("The derivative of linalg.qr depends on Q, which is not computed "
                               "when mode='r'. Please use linalg.qr(A, mode='reduced') if you "
                               "are going to differentiate through linalg.qr.")
        if ctx.mode == "complete" and m > n:
            raise RuntimeError("The QR decomposition is not differentiable when "
                               "mode='complete' and nrows > ncols.")
        if ctx.wide:
            raise NotImplementedError("ember: the gradient of linalg.qr for wide matrices "
                                      "(nrows < ncols) is not implemented")
        mm = matmul(r, gr.mH) - matmul(gq.mH, q)
        low = mm.tril(-1)
        b = gq + matmul(q, low + low.mH + _diag_embed(mm.diagonal(0, -2, -1)))
        return Solve.apply(r, b.mH).mH, None


class LinalgCholeskyEx(Function):
    _builtin = True

    # A = L L^H: dA = sym(L^-H Phi(L^H gL) L^-1), Phi = tril with the diagonal halved,
    # sym(X) = (X + X^H) / 2
    @staticmethod
    def forward(ctx, a):
        try:
            low = np.linalg.cholesky(a._data)
        except np.linalg.LinAlgError:
            raise _not_pd(a._data) from None
        low = _tensor.Tensor._wrap(low)
        ctx.save_for_backward(low)
        return low

    @staticmethod
    def backward(ctx, g):
        (low,) = ctx.saved_tensors
        x = matmul(low.mH, g)
        phi = x.tril(-1) + _diag_embed(x.diagonal(0, -2, -1) * 0.5)
        y = Solve.apply(low.mH, phi)              # L^-H Phi
        ga = Solve.apply(low.mH, y.mH).mH         # (L^-H (L^-H Phi)^H)^H = L^-H Phi L^-1
        return (ga + ga.mH) * 0.5


def _not_pd(x):
    """LAPACK potrf's ``info``: the order of the first leading minor that is not positive
    definite, from the leading minors' eigenvalues (only run on the error path)."""
    n = x.shape[-1]
    flat = x.reshape(-1, n, n)
    order = np.zeros(flat.shape[0], dtype=np.int64)
    for k in range(1, n + 1):    # a loop over the matrix order; the batch is vectorised
        ok = _is_pd(flat[:, :k, :k])
        order[(order == 0) & ~ok] = k
    bad = np.flatnonzero(order)
    b = int(bad[0]) if bad.size else 0
    where = f"(Batch element {b}): " if x.ndim > 2 else ""
    return LinAlgError(f"linalg.cholesky: {where}The factorization could not be completed because "
                       f"the input is not positive-definite (the leading minor of order "
                       f"{int(order[b]) if bad.size else n} is not positive-definite).")


def _is_pd(x):
    # eigvalsh of the lower triangle (what potrf reads), all eigenvalues > 0
    return np.linalg.eigvalsh(x, UPLO="L").min(axis=-1) > 0


class LinalgSvd(Function):
    _builtin = True

    # A = U S V^H, reduced (torch's formula; the extra columns of full U / V get no gradient):
    # dA = U [skew(U^H gU) S + S skew(V^H gV)) / E + diag(gS)] V^H, E_jk = S_k^2 - S_j^2,
    # plus (I - U U^H) gU S^-1 V^H for tall A, U S^-1 gV^H (I - V V^H) for wide A
    @staticmethod
    def forward(ctx, a, full_matrices):
        u, s, vh = np.linalg.svd(a._data, full_matrices=full_matrices)
        u, s, vh = (_tensor.Tensor._wrap(x) for x in (u, s, vh))
        ctx.save_for_backward(u, s, vh)
        return u, s, vh

    @staticmethod
    def backward(ctx, gu, gs, gvh):
        u, s, vh = ctx.saved_tensors
        m, n = u._data.shape[-2], vh._data.shape[-1]
        k = s._data.shape[-1]
        u, vh, gu, gvh = u[..., :k], vh[..., :k, :], gu[..., :k], gvh[..., :k, :]
        eye = _eye(k, s)
        uhgu = matmul(u.mH, gu)
        uhgu = uhgu - uhgu.mH
        vhgv = matmul(vh, gvh.mH)
        vhgv = vhgv - vhgv.mH
        s2 = s * s
        e = s2.unsqueeze(-2) - s2.unsqueeze(-1) + eye
        inner = (uhgu * s.unsqueeze(-2) + s.unsqueeze(-1) * vhgv) / e + _diag_embed(gs)
        if m > n:
            gusinv = gu / s.unsqueeze(-2)
            ga = matmul(u, inner) + gusinv - matmul(u, matmul(u.mH, gusinv))
            return matmul(ga, vh), None
        if m < n:
            sinvgvh = gvh / s.unsqueeze(-1)
            ga = matmul(inner, vh) + sinvgvh - matmul(matmul(sinvgvh, vh.mH), vh)
            return matmul(u, ga), None
        return matmul(matmul(u, inner), vh), None
