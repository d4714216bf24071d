"""ember.distributions against torch.distributions: values, gradients, shapes, sampling, KL."""
import numpy as np
import pytest
import torch
import torch.distributions as TD
from helpers import check_error, check_op, randn
from test_programs import LIBS, close, twin
from test_programs import both as run_both

import ember
import ember.distributions as D
from ember import distributions


def _tril_pd(a):
    """A lower-triangular factor with a positive diagonal (whatever the random draw)."""
    d = np.abs(np.diagonal(a, axis1=-2, axis2=-1))[..., None] + 0.5
    return np.tril(a, -1) + np.eye(a.shape[-1]) * d

def pos(*shape):
    return randn(*shape, low=0.5, high=2.0)


def seeded(dist_fn, shape, fn):
    """An ember function of the parameters that samples with a fixed seed (so gradcheck sees a
    deterministic function)."""
    def run(*params):
        ember.manual_seed(0)
        return fn(dist_fn(*params).rsample(shape))
    return run


def noise(kind, shape):
    ember.manual_seed(0)
    return torch.from_numpy((ember.randn if kind == "n" else ember.rand)(shape, dtype=ember.float64).numpy())


def check_dist(e_cls, t_cls, params, value, props=("mean", "variance", "stddev", "mode"),
               methods=("log_prob",), entropy=True, **kw):
    """Compare properties, entropy and methods(value) for params given as numpy arrays."""
    n = len(params)
    for prop in props:
        check_op(lambda *a, p=prop: getattr(e_cls(*a), p), lambda *a, p=prop: getattr(t_cls(*a), p),
                 *params, **kw)
    if entropy:
        check_op(lambda *a: e_cls(*a).entropy(), lambda *a: t_cls(*a).entropy(), *params, **kw)
    for m in methods:
        check_op(lambda *a, m=m: getattr(e_cls(*a[:n]), m)(a[n]),
                 lambda *a, m=m: getattr(t_cls(*a[:n]), m)(a[n]), *params, value, nondiff=(n,), **kw)


def test_import_forms():
    assert distributions is D and ember.distributions is D
    assert D.Normal(0.0, 1.0).batch_shape == ember.Size(())


def test_normal():
    loc, scale = randn(3, 1), pos(4)
    check_dist(D.Normal, TD.Normal, [loc, scale], randn(2, 3, 4), methods=("log_prob", "cdf"))
    check_dist(D.Normal, TD.Normal, [loc, scale], randn(3, 4, low=0.05, high=0.95), props=(),
               methods=("icdf",), entropy=False)
    d = D.Normal(ember.zeros(3, 1), ember.ones(4))
    assert d.batch_shape == (3, 4) and d.event_shape == ()
    assert d.sample((5, 2)).shape == (5, 2, 3, 4) and not d.sample().requires_grad
    assert d.expand((2, 3, 4)).sample().shape == (2, 3, 4)
    # float32 parameters give float32 results; numbers give the default dtype
    check_op(lambda a, b: D.Normal(a, b).log_prob(a), lambda a, b: TD.Normal(a, b).log_prob(a),
             randn(3, dtype=np.float32), pos(3).astype(np.float32), gradcheck=False, rtol=1e-5, atol=1e-5)
    assert D.Normal(0.0, 1.0).sample((3,)).dtype == ember.float32


def test_rsample_gradients():
    loc, scale, shape = randn(3, 1), pos(4), (5,)
    eps, u = noise("n", (5, 3, 4)), noise("u", (5, 3, 4))
    check_op(seeded(D.Normal, shape, lambda x: x ** 2), lambda a, b: (a + b * eps) ** 2, loc, scale)
    check_op(seeded(D.Uniform, shape, lambda x: x.exp()), lambda a, b: (a + u * (b - a)).exp(),
             loc, loc + scale)
    check_op(seeded(D.Exponential, shape, lambda x: x.sin()), lambda r: (-torch.log1p(-u) / r).sin(),
             pos(3, 4))
    e = np.finfo(np.float64).eps
    uu = u * (2 - e) + (e - 1)
    check_op(seeded(D.Laplace, shape, lambda x: x ** 2),
             lambda a, b: (a - b * uu.sign() * torch.log1p(-uu.abs())) ** 2, loc, scale)
    loc3, A = randn(2, 3), _tril_pd(randn(3, 3))
    eps3 = noise("n", (5, 2, 3))
    check_op(seeded(lambda m, s: D.MultivariateNormal(m, scale_tril=s.tril()), shape, lambda x: x ** 2),
             lambda m, s: (m + (s.tril() @ eps3.unsqueeze(-1)).squeeze(-1)) ** 2, loc3, A)


def test_uniform():
    low = randn(3, 1)
    high = low + pos(4)
    value = low + randn(3, 4, low=0.01, high=0.99) * (high - low)
    check_dist(D.Uniform, TD.Uniform, [low, high], value, props=("mean", "variance", "stddev"),
               methods=("log_prob", "cdf"))
    check_dist(D.Uniform, TD.Uniform, [low, high], randn(3, 4, low=0.0, high=1.0), props=(),
               methods=("icdf",), entropy=False)
    # outside the support (validation off) log_prob is -inf, as torch
    check_op(lambda a, b, v: D.Uniform(a, b, validate_args=False).log_prob(v),
             lambda a, b, v: TD.Uniform(a, b, validate_args=False).log_prob(v),
             np.zeros(2), np.ones(2), np.array([-1.0, 0.5]), grad=False)
    assert np.isnan(D.Uniform(0.0, 1.0).mode.item())


def test_exponential_laplace():
    rate = pos(3, 4)
    check_dist(D.Exponential, TD.Exponential, [rate], pos(2, 3, 4), methods=("log_prob", "cdf"))
    check_dist(D.Exponential, TD.Exponential, [rate], randn(3, 4, low=0.05, high=0.95), props=(),
               methods=("icdf",), entropy=False)
    loc, scale = randn(4), pos(3, 1)
    check_dist(D.Laplace, TD.Laplace, [loc, scale], randn(2, 3, 4), methods=("log_prob", "cdf"))
    check_dist(D.Laplace, TD.Laplace, [loc, scale], randn(3, 4, low=0.05, high=0.95), props=(),
               methods=("icdf",), entropy=False)


def test_bernoulli():
    probs = randn(3, 4, low=0.1, high=0.9)
    value = (randn(2, 1, 4) > 0).astype(np.float64)
    check_dist(D.Bernoulli, TD.Bernoulli, [probs], value, props=("mean", "variance", "stddev", "logits"))
    logits = randn(3, 4)
    check_dist(lambda lg: D.Bernoulli(logits=lg), lambda lg: TD.Bernoulli(logits=lg), [logits], value,
               props=("mean", "variance", "probs", "mode"))
    assert D.Bernoulli(0.3).sample((5,)).shape == (5,)
    assert D.Bernoulli(ember.tensor([0.5, 0.7])).expand((3, 2)).sample().shape == (3, 2)


def test_categorical():
    probs, logits = pos(3, 5), randn(2, 1, 5)
    value = np.random.default_rng(0).integers(0, 5, size=(4, 3))
    check_dist(D.Categorical, TD.Categorical, [probs], value, props=("probs", "logits", "mode"))
    check_dist(lambda lg: D.Categorical(logits=lg), lambda lg: TD.Categorical(logits=lg), [logits],
               value[:, :1, None], props=("probs", "logits", "mean", "variance"))
    d = D.Categorical(ember.tensor(probs))
    assert d.batch_shape == (3,) and d.sample((7, 2)).shape == (7, 2, 3) and d.sample().dtype == ember.int64
    assert d.expand((2, 3)).sample().shape == (2, 3)
    # zero probabilities: entropy stays finite like torch's
    check_op(lambda p: D.Categorical(p).entropy(), lambda p: TD.Categorical(p).entropy(),
             np.array([0.0, 0.3, 0.7]), gradcheck=False)


def test_one_hot_categorical():
    probs = pos(3, 5)
    value = np.eye(5)[np.random.default_rng(1).integers(0, 5, size=(2, 3))]
    check_dist(D.OneHotCategorical, TD.OneHotCategorical, [probs], value,
               props=("mean", "variance", "mode", "probs"))
    d = D.OneHotCategorical(ember.tensor(probs))
    s = d.sample((4,))
    assert s.shape == (4, 3, 5) and d.event_shape == (5,)
    np.testing.assert_array_equal(s.numpy().sum(-1), 1)


def _spd(A):
    return A @ A.mT + ember.eye(A.shape[-1], dtype=A.dtype) if isinstance(A, ember.Tensor) else \
        A @ A.mT + torch.eye(A.shape[-1], dtype=A.dtype)


def test_multivariate_normal():
    loc, A, value = randn(2, 3), randn(3, 3), randn(4, 1, 1, 3)
    props = ("mean", "variance", "stddev", "mode", "covariance_matrix", "precision_matrix", "scale_tril")
    for kw in ("covariance_matrix", "precision_matrix"):
        check_dist(lambda m, a, k=kw: D.MultivariateNormal(m, **{k: _spd(a)}),
                   lambda m, a, k=kw: TD.MultivariateNormal(m, **{k: _spd(a)}),
                   [loc, A], value, props=props, rtol=1e-5, atol=1e-6)
    L = _tril_pd(randn(2, 1, 3, 3))
    check_dist(lambda m, s: D.MultivariateNormal(m, scale_tril=s.tril()),
               lambda m, s: TD.MultivariateNormal(m, scale_tril=s.tril()), [loc, L], value, props=props)
    d = D.MultivariateNormal(ember.tensor(loc), scale_tril=ember.tensor(L))
    assert d.batch_shape == (2, 2) and d.event_shape == (3,)
    assert d.sample((5,)).shape == (5, 2, 2, 3) and d.expand((3, 2, 2)).sample().shape == (3, 2, 2, 3)


def test_independent():
    loc, scale = randn(2, 3, 4), pos(4)
    e = lambda m, s: D.Independent(D.Normal(m, s), 2)  # noqa: E731
    t = lambda m, s: TD.Independent(TD.Normal(m, s), 2)  # noqa: E731
    check_dist(e, t, [loc, scale], randn(5, 2, 3, 4))
    d = e(ember.tensor(loc), ember.tensor(scale))
    assert d.batch_shape == (2,) and d.event_shape == (3, 4) and d.has_rsample
    assert d.rsample((6,)).shape == (6, 2, 3, 4)
    check_error(lambda: D.Independent(D.Normal(ember.zeros(3), 1.0), 2), ValueError,
                "Expected reinterpreted_batch_ndims <= len(base_distribution.batch_shape), actual 2 vs 1")


def test_sampling_statistics():
    ember.manual_seed(0)
    n = 40000

    def stats(d, mean, var, tol=0.05):
        s = d.sample((n,)).numpy().astype(np.float64)
        np.testing.assert_allclose(s.mean(0), mean, atol=tol)
        np.testing.assert_allclose(s.var(0), var, rtol=tol * 2, atol=tol)

    stats(D.Normal(ember.tensor([0.0, 3.0]), ember.tensor([1.0, 0.5])), [0, 3], [1, 0.25])
    stats(D.Uniform(ember.tensor([0.0, -1.0]), ember.tensor([1.0, 3.0])), [0.5, 1], [1 / 12, 16 / 12])
    stats(D.Exponential(ember.tensor([1.0, 4.0])), [1, 0.25], [1, 1 / 16])
    stats(D.Laplace(ember.tensor([1.0]), ember.tensor([0.5])), [1], [0.5])
    stats(D.Bernoulli(ember.tensor([0.2, 0.9])), [0.2, 0.9], [0.16, 0.09])
    p = np.array([0.1, 0.2, 0.7])
    s = D.Categorical(ember.tensor(p)).sample((n,)).numpy()
    np.testing.assert_allclose(np.bincount(s, minlength=3) / n, p, atol=0.01)
    cov = np.array([[2.0, 0.6], [0.6, 1.0]])
    s = D.MultivariateNormal(ember.tensor([1.0, -1.0], dtype=ember.float64), ember.tensor(cov))
    s = s.sample((n,)).numpy()
    np.testing.assert_allclose(s.mean(0), [1, -1], atol=0.05)
    np.testing.assert_allclose(np.cov(s.T), cov, atol=0.06)


def test_kl():
    def kl(e_cls, t_cls, n_p, *params, **kw):
        check_op(lambda *a: D.kl_divergence(e_cls(*a[:n_p]), e_cls(*a[n_p:])),
                 lambda *a: TD.kl_divergence(t_cls(*a[:n_p]), t_cls(*a[n_p:])), *params, **kw)

    kl(D.Normal, TD.Normal, 2, randn(3, 1), pos(4), randn(4), pos(3, 1))
    kl(D.Bernoulli, TD.Bernoulli, 1, randn(3, 4, low=0.1, high=0.9), randn(3, 4, low=0.1, high=0.9))
    kl(D.Categorical, TD.Categorical, 1, pos(3, 5), pos(5))
    low = randn(3)
    kl(D.Uniform, TD.Uniform, 2, low, low + 1, low - pos(3), low + 2)
    kl(D.Uniform, TD.Uniform, 2, low, low + 1, low + 0.5, low + 2, grad=False)  # q misses: inf
    kl(lambda m, s: D.MultivariateNormal(m, scale_tril=s.tril()),
       lambda m, s: TD.MultivariateNormal(m, scale_tril=s.tril()), 2,
       randn(2, 3), _tril_pd(randn(3, 3)), randn(3), _tril_pd(randn(2, 3, 3)))
    kl(lambda m, s: D.Independent(D.Normal(m, s), 1), lambda m, s: TD.Independent(TD.Normal(m, s), 1), 2,
       randn(2, 3), pos(3), randn(3), pos(2, 3))
    check_error(lambda: D.kl_divergence(D.Normal(0.0, 1.0), D.Exponential(1.0)), NotImplementedError,
                "No KL(p || q) is implemented for p type Normal and q type Exponential")

    class MyNormal(D.Normal):
        pass

    @D.register_kl(MyNormal, D.Normal)
    def _kl(p, q):
        return ember.tensor(42.0)

    assert D.kl_divergence(MyNormal(0.0, 1.0), D.Normal(0.0, 1.0)).item() == 42.0
    assert D.kl_divergence(D.Normal(0.0, 1.0), MyNormal(0.0, 1.0)).item() == 0.0
    check_error(lambda: D.register_kl(int, D.Normal), TypeError, "Expected type_p to be a Distribution")


def _same_error(e_fn, t_fn, exc=ValueError):
    with pytest.raises(exc) as t_info:
        t_fn()
    check_error(e_fn, exc, str(t_info.value))


def test_validate_args():
    z, o = ember.zeros(2), ember.ones(2)
    tz, to = torch.zeros(2, dtype=torch.float32), torch.ones(2)
    _same_error(lambda: D.Normal(0.0, -1.0), lambda: TD.Normal(0.0, -1.0))
    _same_error(lambda: D.Normal(z, -o), lambda: TD.Normal(tz, -to))
    _same_error(lambda: D.Uniform(z, -o), lambda: TD.Uniform(tz, -to))
    _same_error(lambda: D.Exponential(-o), lambda: TD.Exponential(-to))
    _same_error(lambda: D.Bernoulli(o * 1.5), lambda: TD.Bernoulli(to * 1.5))
    _same_error(lambda: D.Bernoulli(o, o), lambda: TD.Bernoulli(to, to))
    _same_error(lambda: D.Categorical(), lambda: TD.Categorical())
    _same_error(lambda: D.Categorical(ember.tensor(0.5)), lambda: TD.Categorical(torch.tensor(0.5)))
    _same_error(lambda: D.MultivariateNormal(z), lambda: TD.MultivariateNormal(tz))
    _same_error(lambda: D.MultivariateNormal(ember.tensor(0.0), ember.eye(1)),
                lambda: TD.MultivariateNormal(torch.tensor(0.0), torch.eye(1)))
    _same_error(lambda: D.MultivariateNormal(z, scale_tril=o),
                lambda: TD.MultivariateNormal(tz, scale_tril=to))
    _same_error(lambda: D.MultivariateNormal(z, -ember.eye(2)),
                lambda: TD.MultivariateNormal(tz, -torch.eye(2)))
    # sample validation in log_prob
    _same_error(lambda: D.Exponential(o).log_prob(-o), lambda: TD.Exponential(to).log_prob(-to))
    _same_error(lambda: D.Normal(z, o).log_prob(ember.zeros(3)),
                lambda: TD.Normal(tz, to).log_prob(torch.zeros(3)))
    _same_error(lambda: D.Normal(z, o).log_prob(1.0), lambda: TD.Normal(tz, to).log_prob(1.0))
    _same_error(lambda: D.Categorical(o).log_prob(ember.tensor([3])),
                lambda: TD.Categorical(to).log_prob(torch.tensor([3])))
    _same_error(lambda: D.MultivariateNormal(z, ember.eye(2)).log_prob(ember.zeros(3)),
                lambda: TD.MultivariateNormal(tz, torch.eye(2)).log_prob(torch.zeros(3)))
    # switching validation off
    assert D.Normal(0.0, -1.0, validate_args=False).scale.item() == -1.0
    D.Distribution.set_default_validate_args(False)
    try:
        assert D.Normal(0.0, -1.0).scale.item() == -1.0
    finally:
        D.Distribution.set_default_validate_args(True)
    check_error(lambda: D.Normal(0.0, -1.0), ValueError, "Expected parameter scale")
    check_error(lambda: D.Distribution.set_default_validate_args(3), ValueError, "")


# -- Poisson -----------------------------------------------------------------------------------------
RNG = np.random.default_rng(3)


def test_poisson_matches_torch():
    rate, k = RNG.random(5) * 4 + 0.1, RNG.integers(1, 6, 5).astype(np.float64)
    check_op(lambda r, v: ember.distributions.Poisson(r).log_prob(v),
             lambda r, v: torch.distributions.Poisson(r).log_prob(v), rate, k)
    d = ember.distributions.Poisson(ember.tensor([3.0, 0.5]))
    s = d.sample((20000,))
    assert tuple(s.shape) == (20000, 2)
    np.testing.assert_allclose(s.mean(0).numpy(), [3.0, 0.5], rtol=0.05)
    assert (d.mean == d.variance).all() and d.mode.tolist() == [3.0, 0.0]


# -- programs: a VAE, REINFORCE ----------------------------------------------------------------------
def _np(shape, seed=0, scale=1.0):
    return (np.random.default_rng(seed).standard_normal(shape) * scale).astype(np.float32)


X8 = _np((32, 8), seed=10)


def test_vae_normal_rsample_and_closed_form_kl():
    def build(torch, nn, F):
        class VAE(nn.Module):  # the pytorch/examples VAE, shrunk to 8 inputs and a 2-d latent
            def __init__(self):
                super().__init__()
                self.fc1 = nn.Linear(8, 16)
                self.fc21 = nn.Linear(16, 2)
                self.fc22 = nn.Linear(16, 2)
                self.fc3 = nn.Linear(2, 16)
                self.fc4 = nn.Linear(16, 8)

            def encode(self, x):
                h1 = F.relu(self.fc1(x))
                return self.fc21(h1), self.fc22(h1)

            def decode(self, z):
                return self.fc4(F.relu(self.fc3(z)))
        return VAE()

    def stats(torch, nn, F, model):  # deterministic parts: compare with PyTorch
        x = torch.from_numpy(X8)
        mu, logvar = model.encode(x)
        std = torch.exp(0.5 * logvar)
        q, p = torch.distributions.Normal(mu, std), torch.distributions.Normal(torch.zeros_like(mu),
                                                                               torch.ones_like(std))
        kl = torch.distributions.kl_divergence(q, p).sum(-1)
        kl_closed = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp(), dim=-1)
        z = mu + std * torch.from_numpy(_np((32, 2), seed=12))
        return kl, kl_closed, q.log_prob(z), q.entropy(), q.mean, q.stddev, model.decode(z)

    def train(torch, nn, F, model):
        torch.manual_seed(0)
        opt = torch.optim.Adam(model.parameters(), lr=1e-2)
        x = torch.from_numpy(X8)
        losses = []
        for step in range(60):
            mu, logvar = model.encode(x)
            q = torch.distributions.Normal(mu, torch.exp(0.5 * logvar))
            z = q.rsample()
            recon = model.decode(z)
            prior = torch.distributions.Normal(torch.zeros_like(mu), torch.ones_like(mu))
            loss = F.mse_loss(recon, x, reduction='sum') + torch.distributions.kl_divergence(q, prior).sum()
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(loss.item())
        return losses, z.requires_grad

    e_m, t_m = twin(build)
    close(stats(*LIBS["ember"], e_m), stats(*LIBS["torch"], t_m), rtol=1e-4, atol=1e-5)
    close(stats(*LIBS["ember"], e_m)[0], stats(*LIBS["ember"], e_m)[1], rtol=1e-4, atol=1e-5)
    losses, rg = train(*LIBS["ember"], e_m)
    assert rg and np.mean(losses[-10:]) < 0.8 * np.mean(losses[:5])


def test_reinforce_categorical_bandit():
    def fixed(torch, nn, F):  # Categorical's deterministic methods against PyTorch
        logits = torch.from_numpy(_np((5, 4), seed=20))
        d = torch.distributions.Categorical(logits=logits)
        a = torch.tensor([0, 3, 1, 2, 2])
        dp = torch.distributions.Categorical(probs=torch.softmax(logits, -1))
        return d.log_prob(a), d.entropy(), d.probs, dp.log_prob(a), dp.logits, d.sample().shape, \
            d.sample((7,)).shape, d.sample().dtype

    close(*run_both(fixed), rtol=1e-4, atol=1e-6)

    def prog(torch, nn, F):  # REINFORCE on a 4-armed bandit whose arm 2 pays best
        torch.manual_seed(0)
        policy = nn.Linear(1, 4)
        opt = torch.optim.Adam(policy.parameters(), lr=0.05)
        means = torch.tensor([0.1, 0.2, 1.0, 0.3])
        state = torch.ones(64, 1)
        first = None
        for episode in range(60):
            dist = torch.distributions.Categorical(logits=policy(state))
            action = dist.sample()
            reward = means[action]
            loss = -(dist.log_prob(action) * (reward - reward.mean())).mean() - 0.01 * dist.entropy().mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            if first is None:
                first = dist.probs[0, 2].item()
        with torch.no_grad():
            probs = torch.distributions.Categorical(logits=policy(state[:1])).probs[0]
            counts = torch.bincount(torch.distributions.Categorical(probs=probs).sample((4000,)), minlength=4)
        return first, probs, counts.float() / 4000

    e, t = run_both(prog)
    assert e[1][2].item() > 0.8 and e[1][2].item() > e[0]
    np.testing.assert_allclose(e[2].numpy(), e[1].numpy(), atol=0.03)  # sample frequencies follow probs
