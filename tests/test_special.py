"""Special functions (gamma family, logit, sinc, xlogy, heaviside, nan_to_num, ...) and the
ember.special namespace, against PyTorch."""
import numpy as np
import pytest
import torch
from helpers import check_error, check_op, randn
from test_programs import LIBS, close, twin

import ember
import ember.special as S

INF, NAN = np.inf, np.nan
SPECIAL = np.array([0., -0., 1., 2., -1., -2., -7., INF, -INF, NAN, 1e-300, 1e10, 1e300, 171.5])


def _grid(dtype=np.float64):
    return np.concatenate([np.linspace(-30.3, 30.3, 2001), SPECIAL]).astype(dtype)


def _values(e_fn, t_fn, x, rtol, atol):
    e, t = e_fn(ember.tensor(x)).numpy(), t_fn(torch.tensor(x)).numpy()
    assert e.dtype == t.dtype
    # poles / inf / nan exactly as PyTorch (same class of non-finite value, same sign)
    np.testing.assert_array_equal(np.isnan(e), np.isnan(t))
    np.testing.assert_array_equal(e[np.isinf(t)], t[np.isinf(t)])
    fin = np.isfinite(t)
    np.testing.assert_allclose(e[fin], t[fin], rtol=rtol, atol=atol)


@pytest.mark.parametrize("name", ["lgamma", "digamma"])
def test_gamma_values_float64(name):
    # absolute slack only next to the zeros (lgamma at 1, 2 and between the negative poles;
    # digamma at 1.4616...), where a relative comparison says nothing
    _values(getattr(ember, name), getattr(torch, name), _grid(), 1e-12, 1e-14)


@pytest.mark.parametrize("n,rtol", [(1, 1e-8), (2, 1e-11), (3, 1e-11)])
def test_polygamma_values_float64(n, rtol):
    # PyTorch's trigamma is good to ~5e-10 only (ours to ~1e-15), hence n = 1's tolerance
    x = _grid()
    x = x[np.abs(x) < 1e5]   # PyTorch's zeta loops |x| times for large negative x
    _values(lambda t: ember.polygamma(n, t), lambda t: torch.polygamma(n, t), x, rtol, 1e-12)


def test_gamma_precise_points():
    x = np.array([1.0001, 2.0003, 0.7, 2.3, 1.3, 5.5, 100.25, -0.3, -2.3, 0.5, 1e-8])
    _values(ember.lgamma, torch.lgamma, x, 2e-14, 0)
    _values(ember.digamma, torch.digamma, x, 2e-14, 0)


@pytest.mark.parametrize("name", ["lgamma", "digamma", "p1", "p2", "p3"])
def test_gamma_float32(name):
    x = np.concatenate([np.linspace(-9.7, 30.3, 401), [0., -0., INF, -INF, NAN, -3.]])
    if name[0] == "p":
        n = int(name[1])
        e_fn, t_fn = (lambda t: ember.polygamma(n, t)), (lambda t: torch.polygamma(n, t))
        if n == 1:
            # PyTorch's float32 sin(pi x) at (and next to) the poles gives other huge values
            with np.errstate(invalid="ignore"):
                x = x[(x > 0) | ~np.isfinite(x) | (np.abs(x - np.round(x)) > 0.01)]
    else:
        e_fn, t_fn = getattr(ember, name), getattr(torch, name)
    _values(e_fn, t_fn, x.astype(np.float32), 2e-5, 2e-5)


def test_gamma_int_inputs_and_polygamma_zero():
    i = np.arange(1, 6)
    check_op(ember.lgamma, torch.lgamma, i, grad=False)
    check_op(ember.digamma, torch.digamma, i, grad=False)
    check_op(lambda t: ember.polygamma(2, t), lambda t: torch.polygamma(2, t), i, grad=False)
    x = randn(4, low=0.2, high=5)
    check_op(lambda t: ember.polygamma(0, t), lambda t: torch.polygamma(0, t), x, rtol=1e-12)


def test_gamma_grads():
    x = randn(3, 4, low=0.3, high=6)
    xn = np.array([-2.3, -0.7, 0.4, 3.1])
    for a in (x, xn):
        check_op(ember.lgamma, torch.lgamma, a, gradgradcheck=True)
        check_op(ember.digamma, torch.digamma, a, gradgradcheck=True)
        check_op(lambda t: ember.polygamma(2, t), lambda t: torch.polygamma(2, t), a,
                 gradgradcheck=True)
    check_op(lambda t: t.lgamma(), lambda t: t.lgamma(), randn(2, 3, low=0.5, high=3).T)
    check_op(lambda t: t.polygamma(1), lambda t: t.polygamma(1), np.array(1.7))
    check_op(ember.lgamma, torch.lgamma, randn(0, 3))


def test_logit():
    x = randn(5, low=0.02, high=0.98)
    check_op(ember.logit, torch.logit, x, gradgradcheck=True)
    check_op(lambda t: ember.logit(t, 0.1), lambda t: torch.logit(t, 0.1), x)
    check_op(lambda t: t.logit(eps=0.2), lambda t: t.logit(eps=0.2), x.astype(np.float32))
    edge = np.array([0., 1., -0.5, 1.5, 0.5, NAN])
    check_op(ember.logit, torch.logit, edge, gradcheck=False)
    check_op(lambda t: ember.logit(t, 1e-6), lambda t: torch.logit(t, 1e-6), edge, gradcheck=False)
    check_op(ember.logit, torch.logit, np.array([0, 1, 2]), grad=False)


def test_sinc_angles():
    check_op(ember.sinc, torch.sinc, np.concatenate([randn(6) * 3, [1., -2., 0.5]]),
             gradgradcheck=True)
    check_op(ember.sinc, torch.sinc, np.array([0., 0.25, -3.]))     # derivative 0 at 0
    check_op(ember.sinc, torch.sinc, np.array([INF, -INF, NAN, 1e-20]), grad=False)
    check_op(ember.sinc, torch.sinc, np.array([0, 1, 3]), grad=False)
    for name in ("deg2rad", "rad2deg"):
        check_op(getattr(ember, name), getattr(torch, name), randn(3, 2) * 100, gradgradcheck=True)
        check_op(getattr(ember, name), getattr(torch, name), np.array([1, -180, 360]), grad=False)
        check_op(getattr(ember, name), getattr(torch, name), np.array([True, False]), grad=False)


def test_signbit():
    for a in (np.array([-1., 0., -0., INF, -INF, NAN, 2.]), np.array([-3, 0, 4]),
              np.array([True, False]), np.array([-1.5, 2.], dtype=np.float32)):
        check_op(ember.signbit, torch.signbit, a, grad=False)
    t = ember.tensor([-1.0, 2.0], requires_grad=True)
    assert not ember.signbit(t).requires_grad and t.signbit().dtype is ember.bool
    check_error(lambda: ember.signbit(ember.tensor([1j])), NotImplementedError,
                "signbit is not implemented for complex tensors.")


def test_nan_to_num():
    x = np.array([1., NAN, INF, -INF, -2.5])
    check_op(ember.nan_to_num, torch.nan_to_num, x, gradcheck=False)
    check_op(lambda t: ember.nan_to_num(t, 1.5, 100., -100.),
             lambda t: torch.nan_to_num(t, 1.5, 100., -100.), x, gradcheck=False)
    check_op(lambda t: t.nan_to_num(neginf=0.0), lambda t: t.nan_to_num(neginf=0.0),
             x.astype(np.float32), gradcheck=False)
    check_op(ember.nan_to_num, torch.nan_to_num, randn(3, 2), gradgradcheck=True)
    check_op(ember.nan_to_num, torch.nan_to_num, np.array([1, 2]), grad=False)


def test_xlogy():
    a, b = randn(3, 1, low=0.1, high=3), randn(1, 4, low=0.1, high=3)
    check_op(ember.xlogy, torch.xlogy, a, b, gradgradcheck=True)
    edge_x = np.array([0., 0., 1., 0., 2., NAN, 0.])
    edge_y = np.array([0., INF, 0., NAN, INF, 1., -1.])
    check_op(ember.xlogy, torch.xlogy, edge_x, edge_y, gradcheck=False)
    check_op(lambda t: ember.xlogy(t, 3), lambda t: torch.xlogy(t, 3), a)
    check_op(lambda t: ember.xlogy(2.5, t), lambda t: torch.xlogy(2.5, t), b)
    check_op(ember.xlogy, torch.xlogy, np.array([0, 2, 3]), np.array([0, 5, 1]), grad=False)
    check_op(ember.xlogy, torch.xlogy, np.array([1, 2], dtype=np.int32),
             np.array([2., 3.], dtype=np.float32), grad=False)
    check_op(lambda t: ember.xlogy(t, 3), lambda t: torch.xlogy(t, 3), np.array([0, 2]), grad=False)
    check_op(lambda s, t: s.xlogy(t), lambda s, t: s.xlogy(t), a.T, b.T)
    check_error(lambda: ember.xlogy(2, 3), TypeError, "xlogy() received an invalid combination")


def test_heaviside():
    x = np.array([-1.5, 0., 2., NAN, -0.])
    v = np.array([0.5])
    check_op(ember.heaviside, torch.heaviside, x, v, grad=False)
    check_op(ember.heaviside, torch.heaviside, np.array([1, 0, -1]), np.array([5]), grad=False)
    check_op(ember.heaviside, torch.heaviside, x.reshape(5, 1), np.arange(3.), grad=False)
    e = ember.tensor([0., 1.], requires_grad=True)
    out = e.heaviside(ember.tensor([0.5]))
    check_error(lambda: out.sum().backward(), RuntimeError,
                "derivative for aten::heaviside is not implemented")
    check_error(lambda: ember.heaviside(ember.tensor([1.]), ember.tensor([1])), RuntimeError,
                "heaviside is not yet implemented for tensors with different dtypes.")
    check_error(lambda: ember.heaviside(ember.tensor([1.]), 2.), TypeError,
                "heaviside(): argument 'values' (position 2) must be Tensor, not float")


def test_inplace():
    x = randn(2, 3, low=0.2, high=0.8)
    for name, args in [("lgamma_", ()), ("digamma_", ()), ("polygamma_", (2,)), ("logit_", ()),
                       ("logit_", (0.3,)), ("sinc_", ()), ("deg2rad_", ()), ("rad2deg_", ()),
                       ("nan_to_num_", ()), ("xlogy_", (2.0,))]:
        e, t = ember.tensor(x.copy()), torch.tensor(x.copy())
        r = getattr(e, name)(*args)
        getattr(t, name)(*args)
        assert r is e
        np.testing.assert_allclose(e.numpy(), t.numpy(), rtol=1e-12, err_msg=name)
    e, t = ember.tensor([-1., 0., 3.]), torch.tensor([-1., 0., 3.])
    e.heaviside_(ember.tensor([0.5]))
    t.heaviside_(torch.tensor([0.5]))
    np.testing.assert_array_equal(e.numpy(), t.numpy())
    # in-place on a leaf's clone keeps autograd right
    a = ember.tensor(x, requires_grad=True)
    ta = torch.tensor(x, requires_grad=True)
    a.clone().lgamma_().sum().backward()
    ta.clone().lgamma_().sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), ta.grad.numpy(), rtol=1e-12)


def test_errors():
    t = ember.tensor([1.0])
    check_error(lambda: ember.polygamma(-1, t), RuntimeError,
                "polygamma(n, x) does not support negative n.")
    check_error(lambda: ember.polygamma(1.5, t), TypeError,
                "polygamma(): argument 'n' (position 1) must be int, not float")
    check_error(lambda: ember.lgamma(ember.tensor([1j])), NotImplementedError,
                "\"lgamma_vml_cpu\" not implemented for 'ComplexFloat'")
    check_error(lambda: ember.lgamma([1.0]), TypeError, "must be Tensor, not list")


def test_special_namespace():
    x = randn(3, 4, low=0.1, high=0.9)
    pairs = [("expit", None), ("logit", None), ("erf", None), ("erfc", None), ("erfinv", None),
             ("gammaln", None), ("digamma", None), ("psi", None), ("sinc", None),
             ("expm1", None), ("exp2", None), ("log1p", None), ("round", None),
             ("softmax", (1,)), ("log_softmax", (0,)), ("logsumexp", (1,))]
    for name, args in pairs:
        e = getattr(S, name)(ember.tensor(x), *(args or ()))
        t = getattr(torch.special, name)(torch.tensor(x), *(args or ()))
        np.testing.assert_allclose(e.numpy(), t.numpy(), rtol=1e-12, atol=1e-14, err_msg=name)
    np.testing.assert_allclose(S.polygamma(2, ember.tensor(x)).numpy(),
                               torch.special.polygamma(2, torch.tensor(x)).numpy(), rtol=1e-11)
    np.testing.assert_allclose(S.xlogy(ember.tensor(x), ember.tensor(x)).numpy(),
                               torch.special.xlogy(torch.tensor(x), torch.tensor(x)).numpy())
    np.testing.assert_allclose(S.round(ember.tensor(x), decimals=1).numpy(),
                               torch.special.round(torch.tensor(x), decimals=1).numpy())
    assert set(S.__all__) <= set(dir(torch.special))


# -- ndtr, log_ndtr, entr ----------------------------------------------------------------------------
def test_special_ndtr_log_ndtr_entr():
    x = np.array([-60.0, -30.0, -21.0, -19.0, -5.0, -0.3, 0.0, 0.7, 2.0, 10.0])
    check_op(ember.special.log_ndtr, torch.special.log_ndtr, x, rtol=1e-10, atol=1e-300)
    # torch's ndtr flushes the far left tail (x <= -19) to 0; ember keeps erfc's tiny values
    check_op(ember.special.ndtr, torch.special.ndtr, x[4:], rtol=1e-10, atol=1e-300)
    check_op(ember.special.entr, torch.special.entr, np.array([0.3, 1.0, 2.5]))
    # at 0 and below only the values are compared (torch's gradient there is inf / nan)
    x = np.array([-1.0, 0.0, 0.3])
    np.testing.assert_array_equal(ember.special.entr(ember.tensor(x)).numpy(),
                                  torch.special.entr(torch.tensor(x)).numpy())


# -- programs: Poisson regression --------------------------------------------------------------------
def test_poisson_regression_lgamma_special():
    rng = np.random.default_rng(80)
    xs = rng.standard_normal((40, 3)).astype(np.float32)
    counts = rng.poisson(np.exp(xs @ np.array([0.5, -0.3, 0.2]) + 1.0)).astype(np.float32)

    def prog(torch, nn, F, model):
        x, k = torch.from_numpy(xs), torch.from_numpy(counts)
        opt = torch.optim.SGD(model.parameters(), lr=0.02)
        losses = []
        for _ in range(30):
            log_rate = model(x).squeeze(1)
            nll = (log_rate.exp() - k * log_rate + torch.lgamma(k + 1)).mean()
            opt.zero_grad()
            nll.backward()
            opt.step()
            losses.append(nll.item())
        log_rate = model(x).squeeze(1).detach()
        rate = log_rate.exp()
        manual = rate - torch.special.xlogy(k, rate) + torch.special.gammaln(k + 1)
        return (losses, F.poisson_nll_loss(log_rate, k, log_input=True, full=False),
                F.poisson_nll_loss(rate, k, log_input=False, full=True),
                nn.PoissonNLLLoss(full=True)(log_rate, k), manual.mean(),
                torch.distributions.Poisson(rate).log_prob(k).neg().mean(),
                torch.special.digamma(k + 1), torch.special.erfinv(torch.tensor([0.1, -0.5])),
                torch.special.logit(torch.tensor([0.2, 0.9])),
                torch.special.log_ndtr(torch.tensor([-3.0, 0.0, 2.0])),
                torch.special.entr(torch.tensor([0.0, 0.3, 1.0])))

    e_m, t_m = twin(lambda torch, nn, F: nn.Linear(3, 1))
    e, t = prog(*LIBS["ember"], e_m), prog(*LIBS["torch"], t_m)
    close(e, t, rtol=1e-4, atol=1e-5)
    assert e[0][-1] < e[0][0]
    close(e[4], e[5], rtol=1e-4)  # manual full NLL == -Poisson.log_prob
