"""Complex parts and conversions against torch: values, views and gradients (PyTorch's
convention: the gradient at z = x + iy is dL/dx + i dL/dy)."""
import numpy as np
import pytest
import torch
from helpers import check_error
from test_programs import both as run_both
from test_programs import close

import ember

RNG = np.random.default_rng(7)


def _z(*shape, dt=np.complex128):
    return (RNG.standard_normal(shape) + 1j * RNG.standard_normal(shape)).astype(dt)


def _grads(lib, fn, *arrays):
    ts = [lib.tensor(a, requires_grad=True) for a in arrays]
    out = fn(lib, *ts)
    out.backward()
    return [out.detach().numpy()] + [t.grad.resolve_conj().numpy() for t in ts]


@pytest.mark.parametrize("name,fn", [
    ("real", lambda lib, z: (z.real ** 2).sum()),
    ("imag", lambda lib, z: (z.imag * 3).sum()),
    ("conj", lambda lib, z: (z.conj() * lib.tensor(1 + 2j)).real.sum()),
    ("angle", lambda lib, z: lib.angle(z).sin().sum()),
    ("view_as_real", lambda lib, z: lib.view_as_real(z).pow(3).sum()),
    ("abs", lambda lib, z: z.abs().sum()),
    ("mul", lambda lib, z: (z * z.conj() * (2 - 1j)).imag.sum()),
    ("div", lambda lib, z: (lib.tensor(1 + 1j) / z).real.sum()),
    ("pow", lambda lib, z: (z ** 3 + z ** 2 + 2 ** z).real.sum()),
    ("conj_physical", lambda lib, z: lib.conj_physical(z).imag.sum()),
])
@pytest.mark.parametrize("dt", [np.complex64, np.complex128])
def test_complex_ops_match_torch(name, fn, dt):
    z = _z(3, 4, dt=dt)
    tol = 1e-5 if dt == np.complex64 else 1e-12
    for a, b in zip(_grads(ember, fn, z), _grads(torch, fn, z)):
        np.testing.assert_allclose(a, b, rtol=tol, atol=tol)


def test_real_input_paths_and_polar_complex():
    x, th = np.abs(RNG.standard_normal(4)) + 0.1, RNG.standard_normal(4)

    def fn(lib, r, a):
        p = lib.polar(r, a)
        return (p.real * 3 + p.imag * p.imag).sum() + lib.angle(r).sum()
    for a, b in zip(_grads(ember, fn, x, th), _grads(torch, fn, x, th)):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)
    re, im = RNG.standard_normal(3), RNG.standard_normal(3)
    fn2 = lambda lib, a, b: (lib.complex(a, b) ** 2).real.sum()   # noqa: E731
    for a, b in zip(_grads(ember, fn2, re, im), _grads(torch, fn2, re, im)):
        np.testing.assert_allclose(a, b, rtol=1e-12)
    r = ember.tensor([1.0, -2.0])
    assert r.real is r and r.conj() is r and not r.is_conj() and r.resolve_conj() is r
    assert ember.angle(r).tolist() == torch.angle(torch.tensor([1.0, -2.0])).tolist()


def test_views_share_memory():
    z = ember.tensor(_z(2, 3))
    z.real[0, 0] = 5.0
    z.imag.mul_(0)
    assert z[0, 0].item() == 5 + 0j and (z.imag == 0).all()
    r = ember.view_as_real(z)
    r[1, 2, 1] = 7.0
    assert z[1, 2].imag.item() == 7.0
    c = ember.view_as_complex(ember.arange(8.0).reshape(2, 2, 2))
    want = torch.view_as_complex(torch.arange(8.0).reshape(2, 2, 2))
    np.testing.assert_array_equal(c.numpy(), want.numpy())
    z.real = ember.zeros(2, 3, dtype=ember.float64)
    assert (z.real == 0).all()


def test_errors_match_torch():
    x = ember.ones(3)
    check_error(lambda: x.imag, RuntimeError,
                "imag is not implemented for tensors with non-complex dtypes.")
    check_error(lambda: ember.view_as_real(x), RuntimeError,
                "view_as_real is only supported for complex tensors")
    check_error(lambda: ember.view_as_complex(ember.ones(3, 3)), RuntimeError,
                "Tensor must have a last dimension of size 2")
    check_error(lambda: ember.view_as_complex(ember.ones(2, dtype=ember.int64)), RuntimeError,
                "view_as_complex is only supported for float and double tensors")
    check_error(lambda: ember.complex(ember.ones(2), ember.ones(2, dtype=ember.float64)),
                RuntimeError, "Expected object of scalar type Float but got scalar type Double")


def test_lerp_addcmul_addcdiv_complex_grads():
    arrays = [_z(3), _z(3), _z(3), _z(3)]

    def fn(lib, a, b, c, w):
        return ((lib.lerp(a, b, w) * (1 + 2j)).real.sum()
                + (lib.addcmul(a, b, c, value=0.5) * (2 - 1j)).imag.sum()
                + (lib.addcdiv(a, b, c) * 1j).real.sum())
    for x, y in zip(_grads(ember, fn, *arrays), _grads(torch, fn, *arrays)):
        np.testing.assert_allclose(x, y, rtol=1e-12, atol=1e-12)


# -- programs: complex numbers -----------------------------------------------------------------------
def test_complex_number_program():
    def prog(torch, nn, F):
        mag = torch.from_numpy(np.linspace(0.5, 2.0, 6, dtype=np.float32))
        ph = torch.from_numpy(np.linspace(-3.0, 3.0, 6, dtype=np.float32))
        z = torch.polar(mag, ph)
        w = torch.complex(torch.ones(6), torch.arange(6.0))
        prod = z * w.conj()
        r = torch.view_as_real(prod)
        back = torch.view_as_complex(r.contiguous())
        m = torch.complex(torch.eye(2), torch.tensor([[0.0, 1.0], [-1.0, 0.0]]))
        a = torch.zeros(2, 3, dtype=torch.complex64)
        a.real = torch.ones(2, 3)
        # a differentiable complex computation: |z w|^2 with respect to the real magnitude
        mag_g = mag.clone().requires_grad_()
        loss = (torch.polar(mag_g, ph) * w).abs().pow(2).sum()
        loss.backward()
        return (z.dtype, z, prod.real, prod.imag, r, back, z.abs(), z.angle(), m @ m.mH, a,
                torch.exp(1j * ph), (z * 2 + 1j).sum(), loss, mag_g.grad, torch.is_complex(z),
                torch.real(w), z.conj().imag * 1)

    close(*run_both(prog), rtol=1e-5, atol=1e-5)
