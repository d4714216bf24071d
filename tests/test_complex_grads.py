"""Complex gradients follow PyTorch's convention: for a real loss L of z = x + iy the gradient
is dL/dx + i dL/dy, so a holomorphic op sends g back as g * conj(f'(z)). Each op is compared
with PyTorch on complex64 and complex128 (first order), and in complex128 to second order
(ember's gradcheck works on real Jacobians only, so torch is the reference here)."""
import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import ember
import ember.nn.functional as EF

RNG = np.random.default_rng(7)
DTYPES = [np.complex64, np.complex128]


def cz(*shape, center=0.5 + 0.5j, scale=0.2):
    """Complex inputs near ``center``: away from the real and imaginary axes, where the branch
    cuts of log, sqrt, asin, acosh, atanh, ... lie."""
    return np.asarray(center + scale * (RNG.standard_normal(shape) + 1j * RNG.standard_normal(shape)))


def _loss(out, c, lib):
    return (out * lib.tensor(c)).real.sum()


def compare(ef, tf, *inputs, dtype=np.complex128, second=False):
    """Gradients of ``(f(z) * c).real.sum()`` (and, with ``second``, of a real loss of those
    gradients built with create_graph) agree with PyTorch's."""
    tol = 1e-4 if dtype == np.complex64 else 1e-9
    ins = [np.asarray(x, dtype=dtype) for x in inputs]
    e_in = [ember.tensor(x.copy()).requires_grad_() for x in ins]
    t_in = [torch.from_numpy(x.copy()).requires_grad_() for x in ins]
    t_out = tf(*t_in)
    c = cz(*t_out.shape, center=0.3 - 0.7j, scale=1.0).astype(dtype)
    e_out = ef(*e_in)
    np.testing.assert_allclose(e_out.detach().numpy(), t_out.detach().resolve_conj().numpy(),
                               rtol=tol, atol=tol)
    e_g = ember.autograd.grad(_loss(e_out, c, ember), e_in, create_graph=second)
    t_g = torch.autograd.grad(_loss(t_out, c, torch), t_in, create_graph=second)
    for i, (e, t) in enumerate(zip(e_g, t_g)):
        assert e.dtype.name == str(t.dtype).split(".")[1], f"grad {i} dtype"
        np.testing.assert_allclose(e.detach().numpy(), t.detach().resolve_conj().numpy(),
                                   rtol=tol, atol=tol, err_msg=f"grad of input {i}")
    if not second:
        return
    cs = [cz(*x.shape, center=-0.4 + 0.2j, scale=1.0) for x in ins]
    live = [i for i, t in enumerate(t_g) if t.requires_grad]   # neg's gradient is constant
    if not live:
        return
    sum(_loss(e_g[i], cs[i], ember) for i in live).backward()
    sum(_loss(t_g[i], cs[i], torch) for i in live).backward()
    for i, (e, t) in enumerate(zip(e_in, t_in)):
        if t.grad is None:
            assert e.grad is None or not np.any(e.grad.numpy()), f"second-order grad {i}"
            continue
        np.testing.assert_allclose(e.grad.numpy(), t.grad.resolve_conj().numpy(), rtol=1e-8,
                                   atol=1e-8, err_msg=f"second-order grad of input {i}")


UNARY = ["exp", "exp2", "expm1", "log", "log2", "log10", "log1p", "sqrt", "rsqrt", "reciprocal",
         "sin", "cos", "tan", "sinh", "cosh", "tanh", "asin", "acos", "atan", "asinh", "acosh",
         "atanh", "sigmoid", "sinc", "sgn", "square", "neg", "abs"]


@pytest.mark.parametrize("name", UNARY)
def test_unary(name):
    x = cz(3, 4)
    for dt in DTYPES:
        compare(getattr(ember, name), getattr(torch, name), x, dtype=dt)
    compare(getattr(ember, name), getattr(torch, name), x, second=True)


@pytest.mark.parametrize("center", [-0.6 + 0.4j, 0.7 - 0.5j, -0.8 - 0.6j])
def test_unary_other_quadrants(center):
    # acosh's derivative needs the two-root form left of the imaginary axis
    x = cz(5, center=center)
    for name in ["acosh", "asinh", "atanh", "sqrt", "rsqrt", "asin", "acos", "atan", "tanh",
                 "sigmoid"]:
        compare(getattr(ember, name), getattr(torch, name), x)


def test_unary_0d_and_empty():
    for shape in [(), (0, 3)]:
        x = cz(*shape)
        for name in ["exp", "tanh", "sigmoid", "sgn"]:
            compare(getattr(ember, name), getattr(torch, name), x, second=True)


def test_sgn_at_zero():
    x = cz(4)
    x[1] = 0
    compare(ember.sgn, torch.sgn, x)


def test_tanhshrink():
    compare(EF.tanhshrink, TF.tanhshrink, cz(6), second=True)


def test_real_dtypes_unchanged():
    # the fused real kernels (tanh, sigmoid) still give the real-valued gradient
    x = RNG.standard_normal((3, 4))
    e = ember.tensor(x).requires_grad_()
    ember.sgn(e).sum().backward()
    assert e.grad.dtype.name == "float64" and not np.any(e.grad.numpy())
    for name in ["tanh", "sigmoid", "exp", "acosh", "abs"]:
        e = ember.tensor(x + 2 if name == "acosh" else x).requires_grad_()
        t = torch.tensor(x + 2 if name == "acosh" else x).requires_grad_()
        getattr(ember, name)(e).sum().backward()
        getattr(torch, name)(t).sum().backward()
        assert e.grad.dtype.name == "float64"
        np.testing.assert_allclose(e.grad.numpy(), t.grad.numpy(), rtol=1e-10, atol=1e-12)


BINARY = [
    ("mul", lambda a, b: a * b),
    ("div", lambda a, b: a / b),
    ("pow", lambda a, b: a ** b),
    ("pow scalar", lambda a, b: a ** 2.5 + b),
    ("pow complex scalar", lambda a, b: a ** (1.5 - 0.5j) + b),
    ("rpow", lambda a, b: (1.2 + 0.3j) ** a * b),
    ("rdiv", lambda a, b: (2 - 1j) / a + b),
]


@pytest.mark.parametrize("name,f", BINARY, ids=[n for n, _ in BINARY])
def test_arith(name, f):
    a, b = cz(3, 4), cz(4, center=0.8 + 0.2j)
    for dt in DTYPES:
        compare(f, f, a, b, dtype=dt)
    compare(f, f, a, b, second=True)


def _with_zero(x):
    x = x.copy()
    x.flat[2] = 0
    return x


REDUCE = [
    ("prod", lambda m: lambda a: m.prod(a), cz(3, 4)),
    ("prod dim", lambda m: lambda a: m.prod(a, 1), cz(3, 4)),
    ("prod dim keepdim", lambda m: lambda a: m.prod(a, 0, keepdim=True), cz(3, 4)),
    ("prod zero", lambda m: lambda a: m.prod(a), _with_zero(cz(3, 4))),
    ("prod dim zero", lambda m: lambda a: m.prod(a, 1), _with_zero(cz(3, 4))),
    ("cumprod", lambda m: lambda a: m.cumprod(a, 1), cz(3, 4)),
    ("cumprod neg dim", lambda m: lambda a: m.cumprod(a, -2), cz(3, 4)),
    ("cumprod zero", lambda m: lambda a: m.cumprod(a, 1), _with_zero(cz(3, 4))),
    ("cumsum", lambda m: lambda a: m.cumsum(a, 0), cz(3, 4)),
    ("sum", lambda m: lambda a: m.sum(a, 1), cz(3, 4)),
    ("mean", lambda m: lambda a: m.mean(a), cz(3, 4)),
    ("logsumexp", lambda m: lambda a: m.logsumexp(a, 1), cz(3, 4)),
    ("logsumexp dims", lambda m: lambda a: m.logsumexp(a, (0, 1), keepdim=True), cz(3, 4)),
]


@pytest.mark.parametrize("name,f,x", REDUCE, ids=[n for n, _, _ in REDUCE])
def test_reduce(name, f, x):
    for dt in DTYPES:
        compare(f(ember), f(torch), x, dtype=dt)
    compare(f(ember), f(torch), x, second=True)


LINALG = [
    ("matmul", lambda m: m.matmul, (cz(2, 3, 4), cz(4, 5))),
    ("matmul vec", lambda m: m.matmul, (cz(4), cz(2, 4, 3))),
    ("mm", lambda m: m.mm, (cz(3, 4), cz(4, 5))),
    ("mm transposed", lambda m: lambda a, b: m.mm(a.t(), b), (cz(4, 3), cz(4, 5))),
    ("bmm", lambda m: m.bmm, (cz(2, 3, 4), cz(2, 4, 5))),
    ("mv", lambda m: m.mv, (cz(3, 4), cz(4))),
    ("dot", lambda m: m.dot, (cz(4), cz(4))),
    ("vdot", lambda m: m.vdot, (cz(4), cz(4))),
    ("outer", lambda m: m.outer, (cz(3), cz(4))),
    ("inner", lambda m: m.inner, (cz(2, 4), cz(3, 4))),
    ("einsum", lambda m: lambda a, b: m.einsum("ij,jk->ik", a, b), (cz(3, 4), cz(4, 5))),
    ("einsum three", lambda m: lambda a, b, c: m.einsum("ij,jk,k->i", a, b, c),
     (cz(3, 4), cz(4, 5), cz(5))),
    ("einsum diagonal", lambda m: lambda a, b: m.einsum("ii,i->i", a, b), (cz(3, 3), cz(3))),
    ("einsum broadcast", lambda m: lambda a, b: m.einsum("i,j->ij", a, b), (cz(3), cz(4))),
    ("tensordot", lambda m: lambda a, b: m.tensordot(a, b, dims=([1], [0])),
     (cz(3, 4), cz(4, 5))),
    ("tensordot 2", lambda m: lambda a, b: m.tensordot(a, b), (cz(2, 3, 4), cz(3, 4, 2))),
    ("addmm", lambda m: lambda c, a, b: m.addmm(c, a, b, beta=0.5, alpha=2.0),
     (cz(3, 5), cz(3, 4), cz(4, 5))),
    ("trace", lambda m: m.trace, (cz(3, 3),)),
]


@pytest.mark.parametrize("name,f,xs", LINALG, ids=[n for n, _, _ in LINALG])
def test_linalg(name, f, xs):
    for dt in DTYPES:
        compare(f(ember), f(torch), *xs, dtype=dt)
    compare(f(ember), f(torch), *xs, second=True)
