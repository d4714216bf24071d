"""ember.linalg decompositions (eigh, eigvalsh, qr, cholesky, svd, pinv, lstsq, matrix_rank)
against torch.linalg. Eigen- and singular vectors have an arbitrary sign, so gradients are
compared through functions that do not depend on it."""
import numpy as np
import pytest
import torch
from helpers import check_error, check_op, randn
from test_programs import both as run_both
from test_programs import close

import ember


def sym(a):
    return a + a.mT


def spd(*shape, dtype=np.float64):
    x = randn(*shape, dtype=np.float64)
    return (x @ np.swapaxes(x, -1, -2) + shape[-1] * np.eye(shape[-1])).astype(dtype)


# -- eigh / eigvalsh ------------------------------------------------------------------------

@pytest.mark.parametrize("shape", [(3, 3), (2, 4, 4), (2, 1, 3, 3)])
@pytest.mark.parametrize("uplo", ["L", "U"])
def test_eigh_gradients(shape, uplo):
    a = randn(*shape)
    check_op(lambda x: ember.linalg.eigh(sym(x), uplo).eigenvalues,
             lambda x: torch.linalg.eigh(sym(x), uplo).eigenvalues, a, gradgradcheck=True)
    check_op(lambda x: ember.linalg.eigh(sym(x), UPLO=uplo).eigenvectors ** 2,
             lambda x: torch.linalg.eigh(sym(x), UPLO=uplo).eigenvectors ** 2, a,
             gradgradcheck=shape == (3, 3))
    check_op(lambda x: ember.linalg.eigvalsh(sym(x), uplo), lambda x: torch.linalg.eigvalsh(sym(x), uplo),
             a, gradgradcheck=True)


def test_eigh_forward_one_triangle_and_float32():
    a = randn(2, 4, 4, dtype=np.float32)   # not symmetric: only one triangle is read
    for uplo in ("L", "U"):
        check_op(lambda x: ember.linalg.eigvalsh(x, uplo), lambda x: torch.linalg.eigvalsh(x, uplo),
                 a, grad=False, rtol=1e-4, atol=1e-5)
    e, t = ember.linalg.eigh(ember.tensor(a)), torch.linalg.eigh(torch.from_numpy(a))
    assert type(e).__name__ == "linalg_eigh" and e._fields == ("eigenvalues", "eigenvectors")
    assert e.eigenvectors.dtype == ember.float32
    np.testing.assert_allclose(np.abs(e.eigenvectors.numpy()), np.abs(t.eigenvectors.numpy()),
                               atol=1e-4)
    # a symmetric gradient, as torch's, whichever triangle was read
    x = ember.tensor(randn(3, 3), requires_grad=True)
    ember.linalg.eigvalsh(x, "U").sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.eye(3), atol=1e-12)


def test_eigh_errors():
    check_error(lambda: ember.linalg.eigh(ember.ones(2, 3)), RuntimeError,
                "linalg.eigh: A must be batches of square matrices, but they are 2 by 3 matrices")
    check_error(lambda: ember.linalg.eigvalsh(ember.ones(3)), RuntimeError,
                "linalg.eigh: The input tensor A must have at least 2 dimensions.")
    check_error(lambda: ember.linalg.eigh(ember.eye(2), UPLO="X"), RuntimeError,
                "Expected UPLO argument to be 'L' or 'U', but got X")
    check_error(lambda: ember.linalg.eigh(ember.ones(2, 2, dtype=ember.int64)), RuntimeError,
                "linalg.eigh: Expected a floating point or complex tensor as input. Got Long")


# -- qr -------------------------------------------------------------------------------------

@pytest.mark.parametrize("shape", [(3, 3), (5, 3), (2, 4, 2), (2, 1, 3, 3)])
def test_qr_reduced(shape):
    a = randn(*shape)
    check_op(lambda x: tuple(ember.linalg.qr(x)), lambda x: tuple(torch.linalg.qr(x)), a,
             gradgradcheck=shape == (5, 3))
    check_op(lambda x: ember.linalg.qr(x.to(ember.float32))[1],
             lambda x: torch.linalg.qr(x.to(torch.float32))[1], a, grad=False, rtol=1e-4,
             atol=1e-5)


@pytest.mark.parametrize("shape", [(4, 2), (2, 4), (3, 3), (2, 2, 4)])
def test_qr_modes_forward(shape):
    a = randn(*shape)
    for mode in ("reduced", "complete", "r"):
        check_op(lambda x: tuple(ember.linalg.qr(x, mode)), lambda x: tuple(torch.linalg.qr(x, mode)),
                 a, grad=False)
    check_op(lambda x: tuple(ember.linalg.qr(x, mode="complete")),
             lambda x: tuple(torch.linalg.qr(x, mode="complete")), randn(3, 3))
    out = ember.linalg.qr(ember.tensor(a))
    assert type(out).__name__ == "linalg_qr" and out._fields == ("Q", "R")


def test_qr_errors():
    x = ember.tensor(randn(3, 2), requires_grad=True)
    check_error(lambda: ember.linalg.qr(x, mode="r")[1].sum().backward(), RuntimeError,
                "The derivative of linalg.qr depends on Q, which is not computed when mode='r'.")
    check_error(lambda: ember.linalg.qr(x, mode="complete")[0].sum().backward(), RuntimeError,
                "The QR decomposition is not differentiable when mode='complete' and nrows > ncols.")
    check_error(lambda: ember.linalg.qr(x, mode="x"), RuntimeError,
                "qr received unrecognized mode 'x' but expected one of 'reduced' (default), 'r', or "
                "'complete'")
    check_error(lambda: ember.linalg.qr(ember.ones(3)), RuntimeError,
                "linalg.qr: The input tensor A must have at least 2 dimensions.")
    check_error(lambda: ember.linalg.qr(ember.ones(2, 2, dtype=ember.int64)), RuntimeError,
                "linalg.qr: Expected a floating point or complex tensor as input. Got Long")


# -- cholesky -------------------------------------------------------------------------------

@pytest.mark.parametrize("shape", [(3, 3), (2, 4, 4), (2, 1, 2, 2)])
@pytest.mark.parametrize("upper", [False, True])
def test_cholesky(shape, upper):
    x = randn(*shape)
    n = shape[-1]
    check_op(lambda a: ember.linalg.cholesky(a @ a.mT + n * ember.eye(n, dtype=a.dtype), upper=upper),
             lambda a: torch.linalg.cholesky(a @ a.mT + n * torch.eye(n, dtype=a.dtype), upper=upper),
             x, gradgradcheck=shape == (3, 3))
    # the gradient with respect to a symmetric input directly
    check_op(lambda a: ember.linalg.cholesky(a, upper=upper), lambda a: torch.linalg.cholesky(a, upper=upper),
             spd(*shape), gradcheck=False)
    check_op(lambda a: ember.linalg.cholesky(a, upper=upper), lambda a: torch.linalg.cholesky(a, upper=upper),
             spd(*shape, dtype=np.float32), grad=False, rtol=1e-5, atol=1e-5)


def test_cholesky_errors():
    msg = ("The factorization could not be completed because the input is not positive-definite "
           "(the leading minor of order {} is not positive-definite).")
    check_error(lambda: ember.linalg.cholesky(-ember.eye(3)), ember.linalg.LinAlgError,
                "linalg.cholesky: " + msg.format(1))
    bad = np.stack([np.eye(3), np.diag([1.0, -1.0, 1.0])])
    check_error(lambda: ember.linalg.cholesky(ember.tensor(bad)), ember.linalg.LinAlgError,
                "linalg.cholesky: (Batch element 1): " + msg.format(2))
    with pytest.raises(torch.linalg.LinAlgError, match=r"order 2 is not"):
        torch.linalg.cholesky(torch.from_numpy(bad))
    check_error(lambda: ember.linalg.cholesky(ember.ones(2, 3)), RuntimeError,
                "linalg.cholesky: A must be batches of square matrices, but they are 2 by 3 matrices")
    check_error(lambda: ember.linalg.cholesky(ember.ones(3)), RuntimeError,
                "linalg.cholesky: The input tensor A must have at least 2 dimensions.")
    check_error(lambda: ember.linalg.cholesky(ember.ones(2, 2, dtype=ember.int64)), RuntimeError,
                "linalg.cholesky: Expected a floating point or complex tensor as input. Got Long")


# -- svd, pinv, lstsq, matrix_rank ----------------------------------------------------------

def usv(lib):
    def f(a):
        u, s, vh = lib.linalg.svd(a, full_matrices=False)
        return (u * s.unsqueeze(-2)) @ vh, s, (u * u), (vh * vh)
    return f


@pytest.mark.parametrize("shape", [(3, 3), (5, 3), (3, 5), (2, 4, 2), (2, 1, 2, 3)])
def test_svd_gradients(shape):
    check_op(usv(ember), usv(torch), randn(*shape), gradgradcheck=shape == (5, 3))


@pytest.mark.parametrize("shape", [(4, 2), (2, 4), (3, 3), (2, 3, 2)])
def test_svd_forward(shape):
    a = randn(*shape)
    for full in (True, False):
        e = ember.linalg.svd(ember.tensor(a), full_matrices=full)
        t = torch.linalg.svd(torch.from_numpy(a), full_matrices=full)
        assert type(e).__name__ == "linalg_svd" and e._fields == ("U", "S", "Vh")
        for x, y in zip(e, t):
            assert tuple(x.shape) == tuple(y.shape)
        np.testing.assert_allclose(e.S.numpy(), t.S.numpy(), atol=1e-10)
        np.testing.assert_allclose(np.abs(e.U.numpy()), np.abs(t.U.numpy()), atol=1e-10)
    e = ember.linalg.svd(ember.tensor(a.astype(np.float32)))
    assert e.S.dtype == ember.float32 and e.U.dtype == ember.float32
    # full_matrices=True: the extra singular vectors get no gradient, as in torch
    check_op(lambda x: ember.linalg.svd(x)[1], lambda x: torch.linalg.svd(x)[1], a)


def test_svd_errors():
    check_error(lambda: ember.linalg.svd(ember.ones(3)), RuntimeError,
                "linalg.svd: The input tensor A must have at least 2 dimensions.")
    check_error(lambda: ember.linalg.svd(ember.ones(2, 2, dtype=ember.int64)), RuntimeError,
                "linalg.svd: Expected a floating point or complex tensor as input. Got Long")


@pytest.mark.parametrize("shape", [(3, 3), (4, 3), (3, 4), (2, 4, 3)])
def test_pinv(shape):
    check_op(ember.linalg.pinv, torch.linalg.pinv, randn(*shape), gradgradcheck=shape == (4, 3))
    check_op(ember.linalg.pinv, torch.linalg.pinv, randn(*shape, dtype=np.float32), grad=False,
             rtol=1e-4, atol=1e-5)
    # rank deficient: the small singular value is cut
    a = randn(4, 2) @ randn(2, 3)
    check_op(ember.linalg.pinv, torch.linalg.pinv, a, grad=False, rtol=1e-6, atol=1e-8)
    check_op(lambda x: ember.linalg.pinv(x, atol=0.5), lambda x: torch.linalg.pinv(x, atol=0.5),
             randn(3, 3), grad=False)
    check_error(lambda: ember.linalg.pinv(ember.ones(3)), RuntimeError,
                "expected a tensor with 2 or more dimensions of float, double, cfloat or cdouble types")


@pytest.mark.parametrize("sa,sb", [((4, 3), (4, 2)), ((3, 3), (3,)), ((2, 5, 3), (2, 5, 2)),
                                   ((2, 5, 3), (2, 5)), ((2, 5, 3), (1, 5, 2))])
def test_lstsq(sa, sb):
    def pick(lib):
        return lambda a, b: lib.linalg.lstsq(a, b).solution
    check_op(pick(ember), pick(torch), randn(*sa), randn(*sb), gradgradcheck=sa == (4, 3))
    e = ember.linalg.lstsq(ember.tensor(randn(*sa)), ember.tensor(randn(*sb)))
    t = torch.linalg.lstsq(torch.from_numpy(randn(*sa)), torch.from_numpy(randn(*sb)))
    assert type(e).__name__ == "linalg_lstsq"
    for x, y in zip(e[1:], t[1:]):
        assert tuple(x.shape) == tuple(y.shape) and x.dtype.name == str(y.dtype).split(".")[1]
        np.testing.assert_array_equal(x.numpy(), y.numpy())
    check_error(lambda: ember.linalg.lstsq(ember.ones(3, 2), ember.ones(2, 2)), RuntimeError,
                "torch.linalg.lstsq: input.size(-2) should match other.size(-2)")
    check_error(lambda: ember.linalg.lstsq(ember.ones(3, 2), ember.ones(2, 3, 1)), RuntimeError,
                "torch.linalg.lstsq: input.dim() must be greater or equal to other.dim() and "
                "(input.dim() - other.dim()) <= 1")


def test_matrix_rank():
    a = np.stack([randn(4, 2) @ randn(2, 3), randn(4, 3), np.zeros((4, 3))])
    for kw in ({}, {"atol": 1.0}, {"rtol": 0.5}, {"atol": 0.1, "rtol": 0.2}):
        check_op(lambda x: ember.linalg.matrix_rank(x, **kw),
                 lambda x: torch.linalg.matrix_rank(x, **kw), a, grad=False)
    check_op(ember.linalg.matrix_rank, torch.linalg.matrix_rank, randn(3, 5, dtype=np.float32),
             grad=False)
    check_error(lambda: ember.linalg.matrix_rank(ember.ones(3)), RuntimeError,
                "torch.linalg.matrix_rank: The input tensor input must have at least 2 dimensions.")


def test_out_arguments_are_written():
    a = ember.tensor(np.array([[2.0, 1.0], [1.0, 3.0]]))
    w, v = ember.empty(2, dtype=ember.float64), ember.empty(2, 2, dtype=ember.float64)
    res = ember.linalg.eigh(a, out=(w, v))
    assert res.eigenvalues is w and res.eigenvectors is v
    np.testing.assert_allclose(w.numpy(), np.linalg.eigvalsh(a.numpy()))
    q, r = ember.empty(2, 2, dtype=ember.float64), ember.empty(2, 2, dtype=ember.float64)
    ember.linalg.qr(a, out=(q, r))
    np.testing.assert_allclose((q @ r).numpy(), a.numpy(), atol=1e-12)
    c = ember.empty(2, 2, dtype=ember.float64)
    ember.linalg.cholesky(a, out=c)
    np.testing.assert_allclose((c @ c.T).numpy(), a.numpy(), atol=1e-12)
    u, s, vh = (ember.empty(2, 2, dtype=ember.float64), ember.empty(2, dtype=ember.float64),
                ember.empty(2, 2, dtype=ember.float64))
    ember.linalg.svd(a, out=(u, s, vh))
    np.testing.assert_allclose(((u * s) @ vh).numpy(), a.numpy(), atol=1e-12)
    try:
        ember.linalg.svd(a, out=w)
    except TypeError as e:
        assert "out must be a tuple of 3 tensors" in str(e)
    else:
        raise AssertionError("a single out tensor for svd was accepted")


def test_documented_gaps_raise_clear_errors():
    a = ember.randn(2, 3, dtype=ember.float64, requires_grad=True)
    q, r = ember.linalg.qr(a)
    try:
        (q.sum() + r.sum()).backward()
    except NotImplementedError as e:
        assert "gradient of linalg.qr for wide matrices" in str(e)
    else:
        raise AssertionError("the wide qr gradient did not raise")
    try:
        ember.linalg.lstsq(ember.randn(3, 2), ember.randn(3, 1), driver="gelsd")
    except NotImplementedError as e:
        assert "driver 'gelsd' is not supported" in str(e)
    else:
        raise AssertionError("an unsupported lstsq driver was accepted")


# -- cholesky_solve ----------------------------------------------------------------------------------
RNG = np.random.default_rng(3)


@pytest.mark.parametrize("upper", [False, True])
def test_cholesky_solve_matches_torch(upper):
    a = RNG.standard_normal((2, 4, 4))
    spd = a @ a.transpose(0, 2, 1) + 4 * np.eye(4)
    b = RNG.standard_normal((2, 4, 3))

    def f(lib):
        def run(bb, m):
            L = lib.linalg.cholesky(m)
            return lib.cholesky_solve(bb, L.mT if upper else L, upper=upper)
        return run
    check_op(f(ember), f(torch), b, spd, gradcheck=False)


# -- programs: PCA whitening, lowrank, lstsq ---------------------------------------------------------
def test_linalg_pca_whitening_lowrank_lstsq():
    data = np.random.default_rng(70).standard_normal((50, 4)) @ np.array(
        [[2.0, 0, 0, 0], [0.5, 1, 0, 0], [0, 0.3, 0.5, 0], [0.1, 0, 0, 0.2]])

    def prog(torch, nn, F):
        X = torch.from_numpy(data)
        Xc = X - X.mean(0, keepdim=True)
        cov = Xc.T @ Xc / (X.shape[0] - 1)
        evals, evecs = torch.linalg.eigh(cov)
        W = evecs @ torch.diag(evals.rsqrt()) @ evecs.T  # ZCA whitening: independent of eigenvector signs
        white = Xc @ W
        white_cov = torch.cov(white.T)
        U, S, Vh = torch.linalg.svd(Xc, full_matrices=False)
        rank2 = U[:, :2] @ torch.diag(S[:2]) @ Vh[:2]
        L = torch.linalg.cholesky(cov)
        y = X @ torch.tensor([1.0, -2.0, 0.5, 3.0], dtype=torch.float64) + 0.25
        A = torch.cat([X, torch.ones(50, 1, dtype=torch.float64)], dim=1)
        sol = torch.linalg.lstsq(A, y.unsqueeze(1)).solution
        pinv_sol = torch.linalg.pinv(A) @ y
        return (evals, W, white_cov, S, rank2, torch.dist(rank2, Xc), L, L @ L.T - cov, sol,
                pinv_sol, torch.linalg.matrix_rank(rank2), torch.linalg.slogdet(cov),
                torch.cholesky_solve(y[:4, None], L), torch.linalg.solve(cov, y[:4]))

    close(*run_both(prog), rtol=1e-6, atol=1e-9)
