"""torch.nn.utils.parametrize and torch.nn.utils.parametrizations, side by side with torch."""
import copy

import numpy as np
import pytest
import torch
from helpers import check_error, randn

import ember
from ember.nn.utils import parametrizations as EP
from ember.nn.utils import parametrize as E

TP = torch.nn.utils.parametrize
TPS = torch.nn.utils.parametrizations


def _sym(nn):
    class Symmetric(nn.Module):
        def forward(self, X):
            return X.triu() + X.triu(1).transpose(0, 1)

        def right_inverse(self, A):
            return A.triu()
    return Symmetric()


def _sym_no_inverse(nn):
    class Symmetric(nn.Module):
        def forward(self, X):
            return X.triu() + X.triu(1).transpose(0, 1)
    return Symmetric()


def _copy_state(src, dst):
    """torch module ``src``'s state into ember module ``dst`` (through NumPy)."""
    dst.load_state_dict({k: ember.tensor(v.detach().numpy().copy()) for k, v in src.state_dict().items()})


def _close(e, t, tol=1e-10):
    np.testing.assert_allclose(e.detach().numpy(), t.detach().numpy(), rtol=tol, atol=tol)


def _linears(n_in=4, n_out=4):
    tl = torch.nn.Linear(n_in, n_out).double()
    el = ember.nn.Linear(n_in, n_out).double()
    _copy_state(tl, el)
    return tl, el


def test_register_custom_forward_backward_state_dict():
    tl, el = _linears()
    TP.register_parametrization(tl, "weight", _sym(torch.nn))
    E.register_parametrization(el, "weight", _sym(ember.nn))
    assert type(el).__name__ == type(tl).__name__ == "ParametrizedLinear"
    assert isinstance(el, ember.nn.Linear)
    assert E.type_before_parametrizations(el) is ember.nn.Linear
    assert list(el.state_dict()) == list(tl.state_dict())
    assert [n for n, _ in el.named_parameters()] == [n for n, _ in tl.named_parameters()]
    assert repr(el) == repr(tl)
    assert isinstance(el.parametrizations.weight, E.ParametrizationList)
    assert E.is_parametrized(el) and E.is_parametrized(el, "weight")
    assert not E.is_parametrized(el, "bias") and not E.is_parametrized(ember.nn.Linear(2, 2))
    _close(el.weight, tl.weight)
    np.testing.assert_allclose(el.weight.detach().numpy(), el.weight.detach().numpy().T)
    x = randn(3, 4)
    te, tt = el(ember.tensor(x)), tl(torch.from_numpy(x))
    _close(te, tt)
    g = randn(3, 4)
    te.backward(ember.tensor(g))
    tt.backward(torch.from_numpy(g))
    _close(el.parametrizations.weight.original.grad, tl.parametrizations.weight.original.grad)
    _close(el.bias.grad, tl.bias.grad)
    c = copy.deepcopy(el)
    assert type(c) is type(el)
    assert c.parametrizations.weight.original is not el.parametrizations.weight.original
    _close(c.weight, tl.weight)


def test_right_inverse_on_assignment_and_chaining():
    tl, el = _linears()
    TP.register_parametrization(tl, "weight", _sym(torch.nn))
    E.register_parametrization(el, "weight", _sym(ember.nn))
    a = randn(4, 4)
    a = a + a.T
    orig = el.parametrizations.weight.original
    el.weight = ember.tensor(a)
    tl.weight = torch.from_numpy(a.copy())
    assert el.parametrizations.weight.original is orig      # same Parameter, new value
    _close(el.parametrizations.weight.original, tl.parametrizations.weight.original)
    _close(el.weight, tl.weight)
    # a second parametrization chains after the first
    class Double(ember.nn.Module):
        def forward(self, X):
            return 2 * X
    E.register_parametrization(el, "weight", Double())
    assert len(el.parametrizations.weight) == 2
    np.testing.assert_allclose(el.weight.detach().numpy(), 2 * a)
    # no right_inverse: assigning raises as torch does
    _, el2 = _linears()
    E.register_parametrization(el2, "weight", _sym_no_inverse(ember.nn))
    tl2 = torch.nn.Linear(4, 4)
    TP.register_parametrization(tl2, "weight", _sym_no_inverse(torch.nn))
    with pytest.raises(RuntimeError) as info:
        tl2.weight = torch.eye(4)
    check_error(lambda: setattr(el2, "weight", ember.eye(4)), RuntimeError, str(info.value))


@pytest.mark.parametrize("leave", [True, False])
def test_remove_parametrizations(leave):
    tl, el = _linears()
    TP.register_parametrization(tl, "weight", _sym_no_inverse(torch.nn))
    E.register_parametrization(el, "weight", _sym_no_inverse(ember.nn))
    orig = el.parametrizations.weight.original
    TP.remove_parametrizations(tl, "weight", leave_parametrized=leave)
    E.remove_parametrizations(el, "weight", leave_parametrized=leave)
    assert type(el) is ember.nn.Linear and not hasattr(el, "parametrizations")
    assert el.weight is orig and isinstance(el.weight, ember.nn.Parameter)
    assert list(el.state_dict()) == list(tl.state_dict()) == ["bias", "weight"]
    _close(el.weight, tl.weight)


def test_remove_one_of_two_and_weight_norm_leave():
    el = ember.nn.Linear(3, 3)
    E.register_parametrization(el, "weight", _sym_no_inverse(ember.nn))
    E.register_parametrization(el, "bias", ember.nn.Identity())
    E.remove_parametrizations(el, "weight")
    assert type(el).__name__ == "ParametrizedLinear" and E.is_parametrized(el, "bias")
    E.remove_parametrizations(el, "bias")
    assert type(el) is ember.nn.Linear
    # a tensor parametrized by several originals can only be left parametrized
    tl, el = _linears()
    TPS.weight_norm(tl)
    EP.weight_norm(el)
    with pytest.raises(ValueError) as info:
        TP.remove_parametrizations(tl, "weight", leave_parametrized=False)
    check_error(lambda: E.remove_parametrizations(el, "weight", leave_parametrized=False),
                ValueError, str(info.value))
    w = el.weight.detach().numpy().copy()
    E.remove_parametrizations(el, "weight")
    assert isinstance(el.weight, ember.nn.Parameter)
    np.testing.assert_allclose(el.weight.detach().numpy(), w)


def test_cached():
    calls = []

    class Count(ember.nn.Module):
        def forward(self, X):
            calls.append(1)
            return X * 1
    el = ember.nn.Linear(3, 3)
    E.register_parametrization(el, "weight", Count())
    calls.clear()
    with E.cached():
        a, b = el.weight, el.weight
        with E.cached():
            assert el.weight is a
    assert a is b and len(calls) == 1
    el.weight
    assert len(calls) == 2


def _train(tl, el, x, steps=3, lr=0.1):
    topt = torch.optim.SGD(tl.parameters(), lr=lr)
    eopt = ember.optim.SGD(el.parameters(), lr=lr)
    for _ in range(steps):
        tout, eout = tl(torch.from_numpy(x)), el(ember.tensor(x))
        _close(eout, tout, 1e-8)
        topt.zero_grad()
        eopt.zero_grad()
        (tout ** 2).sum().backward()
        (eout ** 2).sum().backward()
        topt.step()
        eopt.step()
    for (tn, tp), (en, ep) in zip(tl.named_parameters(), el.named_parameters()):
        assert tn == en
        _close(ep, tp, 1e-8)


@pytest.mark.parametrize("dim", [0, 1, None])
def test_weight_norm_trains_like_torch(dim):
    tl, el = _linears(4, 3)
    TPS.weight_norm(tl, dim=dim)
    EP.weight_norm(el, dim=dim)
    assert list(el.state_dict()) == list(tl.state_dict())
    _close(el.parametrizations.weight.original0, tl.parametrizations.weight.original0)
    _close(el.weight, tl.weight)
    _train(tl, el, randn(5, 4))


def test_weight_norm_loads_old_state_dict():
    el = ember.nn.Linear(4, 3)
    with pytest.warns(FutureWarning):
        old = ember.nn.utils.weight_norm(ember.nn.Linear(4, 3))
    EP.weight_norm(el)
    el.load_state_dict(old.state_dict())
    np.testing.assert_allclose(el.weight.detach().numpy(), old.weight.detach().numpy(), rtol=1e-6)


@pytest.mark.parametrize("make", [
    lambda nn: nn.Linear(4, 3),
    lambda nn: nn.Conv2d(2, 3, 2),
    lambda nn: nn.ConvTranspose1d(2, 3, 2),
])
def test_spectral_norm_trains_like_torch(make):
    tl, el = make(torch.nn).double(), make(ember.nn).double()
    TPS.spectral_norm(tl)
    EP.spectral_norm(el)
    assert list(el.state_dict()) == list(tl.state_dict())
    _copy_state(tl, el)       # the same weight and _u/_v buffers
    x = randn(*((5, 4) if isinstance(tl, torch.nn.Linear) else
                (2, 2, 5, 5) if isinstance(tl, torch.nn.Conv2d) else (2, 2, 5)))
    _train(tl, el, x)
    _close(el.parametrizations.weight[0]._u, tl.parametrizations.weight[0]._u, 1e-8)
    _close(el.parametrizations.weight[0]._v, tl.parametrizations.weight[0]._v, 1e-8)
    # eval mode: no power iteration, the buffers stay put
    tl.eval()
    el.eval()
    u = el.parametrizations.weight[0]._u.numpy().copy()
    _close(el(ember.tensor(x)), tl(torch.from_numpy(x)), 1e-8)
    np.testing.assert_array_equal(el.parametrizations.weight[0]._u.numpy(), u)
    # the spectral norm of the weight is about 1
    s = np.linalg.svd(el.weight.detach().numpy().reshape(el.weight.shape[0], -1), compute_uv=False)
    assert 0.5 < s[0] < 1.5


def test_errors():
    tl, el = torch.nn.Linear(2, 2), ember.nn.Linear(2, 2)
    for fn_t, fn_e in [
        (lambda: TP.register_parametrization(tl, "foo", torch.nn.Identity()),
         lambda: E.register_parametrization(el, "foo", ember.nn.Identity())),
        (lambda: TP.remove_parametrizations(tl, "weight"),
         lambda: E.remove_parametrizations(el, "weight")),
        (lambda: TPS.spectral_norm(tl, "foo"), lambda: EP.spectral_norm(el, "foo")),
        (lambda: TPS.spectral_norm(tl, n_power_iterations=0),
         lambda: EP.spectral_norm(el, n_power_iterations=0)),
        (lambda: TPS.spectral_norm(tl, dim=2), lambda: EP.spectral_norm(el, dim=2)),
    ]:
        with pytest.raises(Exception) as info:
            fn_t()
        check_error(fn_e, info.type, str(info.value))
    # a parametrization may not change shape unless unsafe
    class Flat(torch.nn.Module):
        def forward(self, X):
            return X.reshape(-1)

    class EFlat(ember.nn.Module):
        def forward(self, X):
            return X.reshape(-1)
    with pytest.raises(ValueError) as info:
        TP.register_parametrization(tl, "weight", Flat())
    check_error(lambda: E.register_parametrization(el, "weight", EFlat()), ValueError, str(info.value))
    assert type(el) is ember.nn.Linear
    E.register_parametrization(el, "weight", EFlat(), unsafe=True)
    assert el.weight.shape == (4,)
