"""ember.fft against torch.fft: values, dtypes, gradients (real and complex inputs, complex
upstream gradients), gradcheck of real-valued compositions, errors."""
import numpy as np
import pytest
import torch
from helpers import assert_close, check_error, check_op, randn
from test_programs import LIBS, close, twin

import ember
import ember.fft as F

NORMS = [None, "ortho", "forward"]


def crandn(*shape, dtype=np.complex128):
    return (randn(*shape) + 1j * randn(*shape)).astype(dtype)


def check_grad(name, a, *args, **kw):
    """``torch.fft.<name>`` vs ``ember.fft.<name>`` on ``a`` (real or complex): values, dtype,
    and the input's gradient for a complex (or real) random upstream gradient."""
    e = ember.tensor(a.copy(), requires_grad=True)
    t = torch.tensor(a.copy(), requires_grad=True)
    eo, to = getattr(F, name)(e, *args, **kw), getattr(torch.fft, name)(t, *args, **kw)
    tol = 1e-4 if a.dtype in (np.float32, np.complex64) else 1e-9
    assert_close(eo, to.resolve_conj(), tol, tol, msg=f"{name} forward")
    up = randn(*to.shape)
    if to.is_complex():
        up = up + 1j * randn(*to.shape)
    up = np.asarray(up).astype(to.detach().resolve_conj().numpy().dtype)
    to.backward(torch.from_numpy(up))
    ember.autograd.backward([eo], [ember.tensor(up)])
    assert_close(e.grad, t.grad.resolve_conj(), tol * 10, tol * 10, msg=f"{name} grad")


@pytest.mark.parametrize("norm", NORMS)
@pytest.mark.parametrize("n", [None, 3, 4, 7, 8])
def test_1d(norm, n):
    x, c = randn(3, 5), crandn(3, 5)
    for a in (x, c):
        check_grad("fft", a, n, norm=norm)
        check_grad("ifft", a, n, 0, norm=norm)
        check_grad("irfft", a, n, norm=norm)
        check_grad("hfft", a, n, -2, norm=norm)
    check_grad("rfft", x, n, norm=norm)
    check_grad("ihfft", x, n, 0, norm=norm)


@pytest.mark.parametrize("norm", NORMS)
@pytest.mark.parametrize("s,dim", [(None, None), ((4, 6), None), ((2, -1), (1, 0)), ((7,), None),
                                   (None, (0,)), (None, (-1, 0)), ((3, 3, 2), None)])
def test_nd(norm, s, dim):
    x, c = randn(2, 3, 5), crandn(2, 3, 5)
    for a in (x, c):
        check_grad("fftn", a, s, dim, norm=norm)
        check_grad("ifftn", a, s, dim, norm=norm)
        check_grad("irfftn", a, s, dim, norm=norm)
        check_grad("hfftn", a, s, dim, norm=norm)
    check_grad("rfftn", x, s, dim, norm=norm)
    check_grad("ihfftn", x, s, dim, norm=norm)


@pytest.mark.parametrize("name", ["fft2", "ifft2", "rfft2", "irfft2", "hfft2", "ihfft2"])
def test_2d(name):
    x = randn(2, 4, 6)
    a = crandn(2, 4, 6) if name in ("irfft2", "hfft2") else x
    check_grad(name, a)
    check_grad(name, a, (3, 8), norm="ortho")
    check_grad(name, a, dim=(0, 2))


@pytest.mark.parametrize("dt", [np.float32, np.complex64])
def test_float32(dt):
    a = randn(4, 6).astype(dt) if dt == np.float32 else crandn(4, 6, dtype=dt)
    for name in ("fft", "ifft", "irfft", "hfft", "fftn", "irfftn"):
        check_grad(name, a)
    if dt == np.float32:
        check_grad("rfft", a, 9)
        check_grad("rfftn", a)
        check_grad("ihfft", a)


def test_int_bool_promote():
    for a in (np.arange(6), np.array([True, False, True])):
        for name in ("fft", "rfft", "ifftn", "irfft", "ihfft"):
            e, t = getattr(F, name)(ember.tensor(a)), getattr(torch.fft, name)(torch.tensor(a))
            assert_close(e, t.resolve_conj(), 1e-5, 1e-5)
    assert F.fft(ember.tensor(np.arange(4))).dtype is ember.complex64


def test_check_op_and_gradcheck():
    # real-valued compositions: check_op compares with random real upstream gradients, then
    # gradcheck and gradgradcheck in float64
    w = randn(3, 4)
    check_op(lambda a, w: F.irfft(F.rfft(a) * w, 6), lambda a, w: torch.fft.irfft(torch.fft.rfft(a) * w, 6),
             randn(3, 6), w, nondiff=(1,), gradgradcheck=True)
    check_op(lambda a: F.irfft(F.rfft(a, 5) * 2, 7, norm="ortho"),
             lambda a: torch.fft.irfft(torch.fft.rfft(a, 5) * 2, 7, norm="ortho"), randn(2, 6),
             gradgradcheck=True)
    check_op(lambda a: F.ifft(F.fft(a, 7), 4).to(ember.float64),
             lambda a: torch.fft.ifft(torch.fft.fft(a, 7), 4).real, randn(3, 5), gradgradcheck=True)
    check_op(lambda a: F.irfftn(F.rfftn(a, (3, 4)), (4, 5)),
             lambda a: torch.fft.irfftn(torch.fft.rfftn(a, (3, 4)), (4, 5)), randn(2, 4, 5),
             gradgradcheck=True)
    check_op(lambda a: F.hfft(F.ihfft(a), 7, norm="forward"),
             lambda a: torch.fft.hfft(torch.fft.ihfft(a), 7, norm="forward"), randn(6),
             gradgradcheck=True)
    # complex outputs of real inputs (real upstream gradients)
    check_op(lambda a: F.fft(a, 4, dim=0), lambda a: torch.fft.fft(a, 4, dim=0), randn(3, 2),
             gradcheck=False)
    check_op(lambda a: F.rfft2(a.t()), lambda a: torch.fft.rfft2(a.t()), randn(5, 4), gradcheck=False)


def test_abs_loss_grad():
    # torch's convention: d|z| / dz* flows back through the transform's adjoint
    a = randn(4, 6)
    e, t = ember.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    torch.fft.rfft(t).abs().sum().backward()
    z = F.rfft(e)
    up = torch.fft.rfft(torch.tensor(a)).sgn().numpy()   # d sum|z| = sgn(z)
    ember.autograd.backward([z], [ember.tensor(up)])
    assert_close(e.grad, t.grad, 1e-9, 1e-9)
    assert z.grad_fn.name() == "FftR2CBackward0"


def test_freq_shift():
    for n, d in [(5, 0.1), (4, 1.0), (1, 2.0), (0, 1.0)]:
        assert_close(F.fftfreq(n, d), torch.fft.fftfreq(n, d))
        if n:   # torch gives [nan] for rfftfreq(0); ember an empty tensor
            assert_close(F.rfftfreq(n, d), torch.fft.rfftfreq(n, d))
    assert_close(F.fftfreq(4, dtype=ember.float64), torch.fft.fftfreq(4, dtype=torch.float64))
    assert F.rfftfreq(4, requires_grad=True).requires_grad
    for dim in (None, 0, (1,), (0, -1)):
        check_op(lambda a: F.fftshift(a, dim), lambda a: torch.fft.fftshift(a, dim), randn(3, 5))
        check_op(lambda a: F.ifftshift(a, dim), lambda a: torch.fft.ifftshift(a, dim), randn(4, 5))
    x = crandn(5)
    assert_close(F.ifftshift(F.fftshift(ember.tensor(x))), torch.tensor(x))


def test_misc_shapes():
    check_grad("fftn", randn(3, 4), dim=())
    check_grad("fftn", np.array(2.0))
    check_grad("fftn", randn(3, 4), 3)
    check_grad("fft", randn(1))
    check_grad("irfftn", crandn(3, 4), (-1, 5))


def test_errors():
    x, c = ember.tensor(randn(4, 5)), ember.tensor(crandn(4, 5))
    check_error(lambda: F.fft(x, n=0), RuntimeError, "Invalid number of data points (0) specified")
    check_error(lambda: F.fft(x, n=-1), RuntimeError, "Invalid number of data points (-1) specified")
    check_error(lambda: F.fft(x, dim=2), IndexError,
                "Dimension out of range (expected to be in range of [-2, 1], but got 2)")
    check_error(lambda: F.fft(ember.tensor(1.0)), IndexError,
                "Dimension specified as -1 but tensor has no dimensions")
    check_error(lambda: F.rfft(c), RuntimeError, "rfft expects a real input tensor, but got ComplexDouble")
    check_error(lambda: F.ihfft(c.to(ember.complex64)), RuntimeError,
                "ihfft expects a real input tensor, but got ComplexFloat")
    check_error(lambda: F.irfft(ember.tensor(crandn(4, 1))), RuntimeError,
                "Invalid number of data points (0) specified")
    check_error(lambda: F.fft(x, norm="bad"), RuntimeError, 'Invalid normalization mode: "bad"')
    check_error(lambda: F.fftn(x, s=(2, 3), dim=(0,)), RuntimeError,
                "When given, dim and shape arguments must have the same length")
    check_error(lambda: F.fftn(x, dim=(1, -1)), RuntimeError, "FFT dims must be unique")
    check_error(lambda: F.fftn(x, s=(0, 3)), RuntimeError, "Invalid number of data points (0) specified")
    check_error(lambda: F.fftn(x, s=(2, 3, 4)), RuntimeError,
                "Got shape with 3 values but input tensor only has 2 dimensions.")
    check_error(lambda: F.rfftn(x, dim=()), RuntimeError, "rfftn must transform at least one axis")
    check_error(lambda: F.irfftn(x, dim=()), RuntimeError, "irfftn must transform at least one axis")
    check_error(lambda: F.fft2(ember.tensor(randn(3))), IndexError,
                "Dimension out of range (expected to be in range of [-1, 0], but got -2)")
    check_error(lambda: F.fft(x.to(ember.float16)), RuntimeError, "Unsupported dtype Half")
    check_error(lambda: F.fft(x, n=2.0), TypeError, "fft_fft(): argument 'n' must be int, not float")
    check_error(lambda: F.fft([1.0, 2.0]), TypeError,
                "fft_fft(): argument 'input' (position 1) must be Tensor, not list")


# -- programs: FFT features --------------------------------------------------------------------------
def test_fft_features_classifier():
    t_ax = np.arange(64) / 64
    rng = np.random.default_rng(60)
    freq = rng.integers(0, 2, 24)
    sig = (np.sin(2 * np.pi * (3 + 5 * freq)[:, None] * t_ax + rng.uniform(0, 6, (24, 1)))
           + 0.1 * rng.standard_normal((24, 64))).astype(np.float32)

    def build(torch, nn, F):
        return nn.Sequential(nn.Linear(33, 8), nn.ReLU(), nn.Linear(8, 2))

    def prog(torch, nn, F, model):
        x, y = torch.from_numpy(sig), torch.from_numpy(freq)
        spec = torch.fft.rfft(x, dim=-1)
        feats = spec.abs() / 64
        opt = torch.optim.Adam(model.parameters(), lr=0.05)
        losses = []
        for _ in range(20):
            loss = F.cross_entropy(model(feats), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(loss.item())
        power = torch.fft.rfft(x, norm="ortho").abs().pow(2)
        freqs = torch.fft.rfftfreq(64, d=1 / 64)
        back = torch.fft.irfft(spec, n=64)
        return spec.dtype, feats, losses, freqs[power.argmax(-1)], back, torch.fft.fft(x[:2]).angle()

    e_m, t_m = twin(build)
    e, t = prog(*LIBS["ember"], e_m), prog(*LIBS["torch"], t_m)
    close(e[:5], t[:5], rtol=1e-3, atol=1e-4)
    close(e[5], t[5], rtol=1e-3, atol=2e-3)
    assert e[2][-1] < 0.2
