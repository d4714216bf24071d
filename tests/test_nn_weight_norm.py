"""nn.utils.weight_norm / spectral_norm against torch's, from the same starting state."""
import numpy as np
import pytest
import torch
from helpers import check_error
from test_programs import LIBS, close, twin

import ember

pytestmark = pytest.mark.filterwarnings("ignore:.*weight_norm` is deprecated:FutureWarning")


def _pair(ctor_e, ctor_t):
    t = ctor_t()
    e = ctor_e()
    e.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in t.state_dict().items()})
    return e, t


def _step(lib, m, x, opt):
    y = m(x)
    loss = (y * y).sum()
    opt.zero_grad()
    loss.backward()
    opt.step()
    return y


def _compare(e, t, x, steps=3):
    xe, xt = ember.tensor(x), torch.tensor(x)
    oe, ot = ember.optim.SGD(e.parameters(), lr=0.01), torch.optim.SGD(t.parameters(), lr=0.01)
    for _ in range(steps):
        ye, yt = _step(ember, e, xe, oe), _step(torch, t, xt, ot)
        np.testing.assert_allclose(ye.detach().numpy(), yt.detach().numpy(), rtol=1e-5, atol=1e-6)
        for (n, p), (_, q) in zip(e.named_parameters(), t.named_parameters()):
            np.testing.assert_allclose(p.detach().numpy(), q.detach().numpy(), rtol=1e-5,
                                       atol=1e-6, err_msg=n)
    assert list(e.state_dict()) == list(t.state_dict())


@pytest.mark.parametrize("dim", [0, 1, None])
def test_weight_norm_trains_like_torch(dim):
    e, t = ember.nn.Linear(5, 4), torch.nn.Linear(5, 4)
    e.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in t.state_dict().items()})
    e, t = ember.nn.utils.weight_norm(e, dim=dim), torch.nn.utils.weight_norm(t, dim=dim)
    assert [n for n, _ in e.named_parameters()] == [n for n, _ in t.named_parameters()]
    np.testing.assert_allclose(e.weight_g.detach().numpy(), t.weight_g.detach().numpy(), rtol=1e-6)
    _compare(e, t, np.random.default_rng(0).standard_normal((3, 5)).astype(np.float32))
    ember.nn.utils.remove_weight_norm(e)
    torch.nn.utils.remove_weight_norm(t)
    assert list(e.state_dict()) == list(t.state_dict())
    np.testing.assert_allclose(e.weight.detach().numpy(), t.weight.detach().numpy(), rtol=1e-5, atol=1e-7)


def test_weight_norm_conv_and_errors():
    e, t = ember.nn.Conv2d(2, 3, 3), torch.nn.Conv2d(2, 3, 3)
    e.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in t.state_dict().items()})
    e, t = ember.nn.utils.weight_norm(e), torch.nn.utils.weight_norm(t)
    _compare(e, t, np.random.default_rng(1).standard_normal((2, 2, 5, 5)).astype(np.float32))
    check_error(lambda: ember.nn.utils.weight_norm(e), RuntimeError,
                "Cannot register two weight_norm hooks on the same parameter weight")
    check_error(lambda: ember.nn.utils.remove_weight_norm(ember.nn.Linear(2, 2)), ValueError,
                "weight_norm of 'weight' not found in")


@pytest.mark.parametrize("make", [lambda lib: lib.nn.Linear(6, 4),
                                  lambda lib: lib.nn.Conv2d(3, 4, 3),
                                  lambda lib: lib.nn.ConvTranspose2d(3, 4, 3)])
def test_spectral_norm_trains_like_torch(make):
    t = torch.nn.utils.spectral_norm(make(torch), n_power_iterations=2)
    e = ember.nn.utils.spectral_norm(make(ember), n_power_iterations=2)
    assert list(e.state_dict()) == list(t.state_dict())
    # same weights and the same random u, v: copy torch's state over
    e.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in t.state_dict().items()})
    shape = (2, 6) if isinstance(t, torch.nn.Linear) else (2, 3, 6, 6)
    x = np.random.default_rng(2).standard_normal(shape).astype(np.float32)
    _compare(e, t, x)
    for name in ("weight_u", "weight_v"):
        np.testing.assert_allclose(getattr(e, name).numpy(), getattr(t, name).numpy(), rtol=1e-5,
                                   atol=1e-6)
    e.eval()
    t.eval()       # eval: no power iteration, u and v stay
    ye, yt = e(ember.tensor(x)), t(torch.tensor(x))
    np.testing.assert_allclose(ye.detach().numpy(), yt.detach().numpy(), rtol=1e-5, atol=1e-6)
    ember.nn.utils.remove_spectral_norm(e)
    torch.nn.utils.remove_spectral_norm(t)
    np.testing.assert_allclose(e.weight.detach().numpy(), t.weight.detach().numpy(), rtol=1e-5,
                               atol=1e-6)


def test_spectral_norm_sigma_is_the_top_singular_value():
    ember.manual_seed(0)
    m = ember.nn.utils.spectral_norm(ember.nn.Linear(8, 6), n_power_iterations=30)
    m(ember.randn(1, 8))
    s = np.linalg.svd(m.weight.detach().numpy(), compute_uv=False)
    assert abs(s[0] - 1) < 1e-4
    check_error(lambda: ember.nn.utils.spectral_norm(ember.nn.Linear(2, 2), n_power_iterations=0),
                ValueError, "Expected n_power_iterations to be positive")


@pytest.mark.filterwarnings("error")
def test_weight_norm_deprecation_warning():
    with pytest.warns(FutureWarning, match="torch.nn.utils.parametrizations.weight_norm"):
        ember.nn.utils.weight_norm(ember.nn.Linear(2, 2))


# -- programs: spectral / weight norm in use ---------------------------------------------------------
def _np(shape, seed=0, scale=1.0):
    return (np.random.default_rng(seed).standard_normal(shape) * scale).astype(np.float32)


X8 = _np((32, 8), seed=10)


Y4 = np.random.default_rng(11).integers(0, 4, 32)


def test_gan_discriminator_spectral_norm():
    def build(torch, nn, F):
        SN = nn.utils.spectral_norm
        return nn.Sequential(SN(nn.Conv2d(1, 4, 3, 2, 1)), nn.LeakyReLU(0.2),
                             SN(nn.Conv2d(4, 8, 3, 2, 1)), nn.LeakyReLU(0.2), nn.Flatten(),
                             SN(nn.Linear(8 * 2 * 2, 1)))

    def prog(torch, nn, F, D):
        keys = sorted(D.state_dict().keys())
        real = torch.from_numpy(_np((4, 1, 8, 8), seed=40))
        fake = torch.from_numpy(_np((4, 1, 8, 8), seed=41))
        opt = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))
        losses = []
        for _ in range(3):  # hinge loss, as in SN-GAN
            loss = F.relu(1 - D(real)).mean() + F.relu(1 + D(fake)).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(loss.item())
        sigma = torch.linalg.matrix_norm(D[0].weight.detach().flatten(1), ord=2)
        D.eval()
        with torch.no_grad():
            out = D(real)
        return keys, losses, D[0].weight_u.detach(), D[5].weight.detach(), out, sigma

    e_m, t_m = twin(build)
    close(prog(*LIBS["ember"], e_m), prog(*LIBS["torch"], t_m), rtol=1e-3, atol=1e-5)


def test_weight_norm_layers():
    def build(torch, nn, F):
        return nn.Sequential(nn.utils.weight_norm(nn.Linear(8, 16)), nn.Tanh(),
                             nn.utils.parametrizations.weight_norm(nn.Linear(16, 4)))

    def prog(torch, nn, F, model):
        keys = sorted(model.state_dict().keys())
        x, y = torch.from_numpy(X8), torch.from_numpy(Y4)
        opt = torch.optim.SGD(model.parameters(), lr=0.5)
        losses = []
        for _ in range(5):
            loss = F.cross_entropy(model(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(loss.item())
        g0 = model[0].weight_g.detach()
        g2 = model[2].parametrizations.weight.original0.detach()
        norms = model[2].weight.detach().norm(dim=1, keepdim=True)
        return keys, losses, g0, g2, norms

    e_m, t_m = twin(build)
    e, t = prog(*LIBS["ember"], e_m), prog(*LIBS["torch"], t_m)
    close(e, t, rtol=1e-4, atol=1e-5)
