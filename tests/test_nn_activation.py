"""Activation functions (nn.functional) and modules against torch.nn."""
import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from helpers import assert_close, check_op, randn

import ember
import ember.nn.functional as F
from ember import nn


def same_error(ember_call, torch_call):
    """Both calls raise the same exception type with the same message."""
    with pytest.raises(Exception) as te:
        torch_call()
    with pytest.raises(type(te.value)) as ee:
        ember_call()
    assert str(ee.value) == str(te.value)


# name, keyword arguments, smooth (so gradgradcheck applies everywhere)
POINTWISE = [
    ("relu", {}), ("relu6", {}), ("elu", {}), ("elu", dict(alpha=0.5)), ("selu", {}),
    ("celu", dict(alpha=2.0)), ("leaky_relu", {}), ("leaky_relu", dict(negative_slope=0.2)),
    ("gelu", {}), ("gelu", dict(approximate="tanh")), ("silu", {}), ("mish", {}),
    ("hardtanh", {}), ("hardtanh", dict(min_val=-2.0, max_val=0.5)), ("hardsigmoid", {}),
    ("hardswish", {}), ("softplus", {}), ("softplus", dict(beta=2.0, threshold=3.0)),
    ("softsign", {}), ("logsigmoid", {}), ("tanhshrink", {}), ("hardshrink", dict(lambd=0.3)),
    ("softshrink", dict(lambd=0.3)), ("threshold", dict(threshold=0.1, value=-2.0)),
    ("sigmoid", {}), ("tanh", {}),
]
IDS = [n + "".join(f"-{k}={v}" for k, v in kw.items()) for n, kw in POINTWISE]


def fns(name, kw):
    return (lambda a: getattr(F, name)(a, **kw)), (lambda a: getattr(TF, name)(a, **kw))


@pytest.mark.parametrize("name,kw", POINTWISE, ids=IDS)
def test_pointwise(name, kw):
    ef, tf = fns(name, kw)
    x = randn(3, 4) * 3
    check_op(ef, tf, x, gradgradcheck=True)                          # float64, double backward
    check_op(ef, tf, x.astype(np.float32), rtol=2e-6, atol=1e-6, gradcheck=False)
    check_op(lambda a: ef(a.t()), lambda a: tf(a.t()), x, gradcheck=False)   # non-contiguous
    check_op(ef, tf, np.array(0.7), gradcheck=False)                # 0-d
    check_op(ef, tf, np.zeros((0, 3)), gradcheck=False)             # empty


KINKS = {"relu6": [0.0, 6.0], "hardtanh": [-1.0, 1.0], "leaky_relu": [0.0], "elu": [0.0],
         "selu": [0.0], "celu": [0.0], "hardsigmoid": [-3.0, 3.0], "hardswish": [-3.0, 3.0],
         "threshold": [0.1], "hardshrink": [-0.3, 0.3], "softshrink": [-0.3, 0.3],
         "softplus": [20.0]}


@pytest.mark.parametrize("name,kw", POINTWISE, ids=IDS)
def test_pointwise_edges(name, kw):
    """Exactly at the kinks (torch's choice of one-sided gradient), and far out (no overflow)."""
    ef, tf = fns(name, kw)
    pts = [-1e4, -100.0, -30.0, -1e-30, 0.0, 1e-30, 30.0, 100.0, 1e4] + KINKS.get(name, [])
    for dt in (np.float64, np.float32):
        check_op(ef, tf, np.array(pts, dt), gradcheck=False, rtol=1e-6, atol=1e-7)


def test_integer_inputs():
    x = np.arange(-3, 4)
    for name in ("relu", "relu6", "hardtanh", "threshold", "softsign"):
        kw = dict(threshold=0, value=5) if name == "threshold" else {}
        check_op(*fns(name, kw), x, grad=False)
    for name in ("gelu", "elu", "selu", "celu", "silu", "mish", "leaky_relu", "hardsigmoid",
                 "hardswish", "softplus", "logsigmoid", "hardshrink", "softshrink"):
        same_error(lambda: getattr(F, name)(ember.tensor(x)),
                   lambda: getattr(TF, name)(torch.tensor(x)))


INPLACE = [("relu", {}), ("relu6", {}), ("elu", dict(alpha=0.7)), ("selu", {}), ("celu", {}),
           ("leaky_relu", dict(negative_slope=0.3)), ("hardtanh", dict(min_val=-0.5)),
           ("silu", {}), ("mish", {}), ("hardsigmoid", {}), ("hardswish", {}),
           ("threshold", dict(threshold=0.1, value=2.0)), ("rrelu", {})]


@pytest.mark.parametrize("name,kw", INPLACE, ids=[n for n, _ in INPLACE])
def test_inplace(name, kw):
    a = randn(3, 4)
    xe, xt = ember.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    ye, yt = xe * 2, xt * 2
    oe, ot = getattr(F, name)(ye, inplace=True, **kw), getattr(TF, name)(yt, inplace=True, **kw)
    assert oe is ye
    assert_close(ye, yt)
    (oe * oe).sum().backward()
    (ot * ot).sum().backward()
    assert_close(xe.grad, xt.grad, 1e-12, 1e-12)
    # the trailing-underscore forms
    if hasattr(F, name + "_"):
        z = ember.tensor(a)
        assert getattr(F, name + "_")(z, **kw) is z
        assert_close(z, getattr(TF, name)(torch.tensor(a), **kw))


def test_inplace_on_leaf_fails():
    x = ember.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
        F.elu(x, inplace=True)


def test_rrelu_training():
    ember.manual_seed(0)
    a = randn(200)
    x = ember.tensor(a, requires_grad=True)
    y = F.rrelu(x, 0.1, 0.3, training=True)
    ratio = y.detach().numpy()[a < 0] / a[a < 0]
    assert (ratio >= 0.1).all() and (ratio <= 0.3).all() and ratio.std() > 0.01
    assert np.array_equal(y.detach().numpy()[a >= 0], a[a >= 0])
    y.sum().backward()
    assert np.allclose(x.grad.numpy()[a < 0], ratio)


# -- softmax family -----------------------------------------------------------------------

@pytest.mark.parametrize("name", ["softmax", "log_softmax", "softmin"])
def test_softmax_family(name):
    ef, tf = getattr(F, name), getattr(TF, name)
    x = randn(2, 3, 4)
    for dim in (0, 1, 2, -1, -3):
        check_op(lambda a: ef(a, dim), lambda a: tf(a, dim), x, gradgradcheck=dim == 1)
    check_op(lambda a: ef(a, 1), lambda a: tf(a, 1), x.astype(np.float32), rtol=1e-5,
             atol=1e-6, gradcheck=False)
    check_op(lambda a: ef(a.transpose(0, 2), 0), lambda a: tf(a.transpose(0, 2), 0), x,
             gradcheck=False)
    check_op(lambda a: ef(a, 0), lambda a: tf(a, 0), np.array(1.5), gradgradcheck=True)
    check_op(lambda a: ef(a, 1), lambda a: tf(a, 1), np.zeros((0, 3)), gradcheck=False)
    check_op(lambda a: ef(a, 0), lambda a: tf(a, 0), np.zeros((0, 3)), gradcheck=False)
    # large logits: shifted by the max, no overflow
    check_op(lambda a: ef(a, 1), lambda a: tf(a, 1), x * 1000, gradcheck=False)
    # dtype=: computed after the cast (ints allowed then)
    check_op(lambda a: ef(a, 1, dtype=ember.float64), lambda a: tf(a, 1, dtype=torch.float64),
             x.astype(np.float32), gradcheck=False)
    check_op(lambda a: ef(a, 1, dtype=ember.float32), lambda a: tf(a, 1, dtype=torch.float32),
             np.arange(6).reshape(2, 3), grad=False)


def test_softmax_gradgradcheck():
    x = randn(2, 3, 4)
    for ef, tf in ((F.softmax, TF.softmax), (F.log_softmax, TF.log_softmax)):
        check_op(lambda a: ef(a, -1), lambda a: tf(a, -1), x, gradgradcheck=True)


def test_softmax_masked_rows():
    """-inf entries (attention masks) get probability 0; an all -inf row is NaN, as torch."""
    inf = float("inf")
    x = np.array([[0.5, -inf, 1.0, -inf], [-inf, -inf, -inf, -inf], [1.0, 2.0, 3.0, 4.0]])
    for ef, tf in ((F.softmax, TF.softmax), (F.log_softmax, TF.log_softmax)):
        check_op(lambda a: ef(a, 1), lambda a: tf(a, 1), x, grad=False)
    check_op(lambda a: F.softmax(a, 1), lambda a: TF.softmax(a, 1), x[[0, 2]], gradcheck=False)


def test_softmax_implicit_dim_warns():
    for shape in ((4,), (2, 3), (2, 3, 4), (2, 3, 4, 5)):
        a = randn(*shape)
        for ename, tname in (("softmax", "softmax"), ("log_softmax", "log_softmax"),
                             ("softmin", "softmin")):
            with pytest.warns(UserWarning, match=f"Implicit dimension choice for {tname}"):
                e = getattr(F, ename)(ember.tensor(a))
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                t = getattr(TF, tname)(torch.tensor(a))
            assert_close(e, t)


def test_softmax_errors():
    x = np.arange(6).reshape(2, 3)
    for name in ("softmax", "log_softmax"):
        for dim in (0, 1):
            same_error(lambda: getattr(F, name)(ember.tensor(x), dim),
                       lambda: getattr(TF, name)(torch.tensor(x), dim))
        same_error(lambda: getattr(F, name)(ember.ones(2, 3), 2),
                   lambda: getattr(TF, name)(torch.ones(2, 3), 2))


# -- PReLU and GLU ------------------------------------------------------------------------

def test_prelu():
    for xs, ws in (((3, 4, 5), (4,)), ((3, 4), (4,)), ((3, 4, 2, 2), (1,)), ((5,), (1,)),
                   ((), (1,)), ((2, 3), ())):
        x = randn(*xs) if xs else randn(1).reshape(())
        check_op(F.prelu, TF.prelu, x, randn(*ws) if ws else np.array(0.3), gradgradcheck=True)
    for xs, ws in (((2, 3), (2,)), ((3,), (3,)), ((2, 3), (3, 1))):
        same_error(lambda: F.prelu(ember.ones(*xs), ember.ones(*ws)),
                   lambda: TF.prelu(torch.ones(*xs), torch.ones(*ws)))


def test_glu():
    x = randn(4, 6)
    for dim in (0, 1, -1):
        check_op(lambda a: F.glu(a, dim), lambda a: TF.glu(a, dim), x, gradgradcheck=dim == 0)
    same_error(lambda: F.glu(ember.ones(2, 3)), lambda: TF.glu(torch.ones(2, 3)))
    same_error(lambda: F.glu(ember.ones(())), lambda: TF.glu(torch.ones(())))


def test_argument_errors():
    same_error(lambda: F.gelu(ember.ones(2), approximate="fast"),
               lambda: TF.gelu(torch.ones(2), approximate="fast"))
    same_error(lambda: F.hardtanh(ember.ones(2), 2.0, 1.0),
               lambda: TF.hardtanh(torch.ones(2), 2.0, 1.0))
    for dt in (np.float32, np.float64):
        same_error(lambda: F.softshrink(ember.tensor(np.ones(2, dt)), -1.0),
                   lambda: TF.softshrink(torch.tensor(np.ones(2, dt)), -1.0))


# -- modules ------------------------------------------------------------------------------

MODULES = [("ReLU", (), {}), ("ReLU", (True,), {}), ("ReLU6", (), {}),
           ("ReLU6", (), dict(inplace=True)), ("LeakyReLU", (), {}), ("LeakyReLU", (0.2, True), {}),
           ("ELU", (), {}), ("ELU", (0.5, True), {}), ("SELU", (), {}), ("SELU", (True,), {}),
           ("CELU", (), {}), ("CELU", (2.0,), {}), ("GELU", (), {}), ("GELU", ("tanh",), {}),
           ("SiLU", (), {}), ("SiLU", (True,), {}), ("Mish", (), {}), ("Mish", (True,), {}),
           ("Sigmoid", (), {}), ("Tanh", (), {}), ("Hardtanh", (), {}),
           ("Hardtanh", (-2, 3, True), {}), ("Hardtanh", (-2.0, 3.0), {}),
           ("Hardsigmoid", (), {}), ("Hardsigmoid", (True,), {}), ("Hardswish", (), {}),
           ("Hardswish", (True,), {}), ("Softplus", (), {}), ("Softplus", (2, 10), {}),
           ("Softsign", (), {}), ("Softmax", (1,), {}), ("Softmax", (), dict(dim=-1)),
           ("LogSoftmax", (0,), {}), ("Softmin", (), dict(dim=2)), ("Softmax2d", (), {}),
           ("Threshold", (0.1, 20), {}), ("Threshold", (0.1, 20.0, True), {}),
           ("LogSigmoid", (), {}), ("GLU", (), dict(dim=1)), ("Hardshrink", (), {}),
           ("Softshrink", (0.2,), {}), ("Tanhshrink", (), {}), ("RReLU", (), {}),
           ("RReLU", (0.1, 0.2, True), {})]


@pytest.mark.parametrize("name,args,kw", MODULES,
                         ids=[f"{n}{a}{kw}" for n, a, kw in MODULES])
def test_modules(name, args, kw):
    e, t = getattr(nn, name)(*args, **kw), getattr(torch.nn, name)(*args, **kw)
    e.eval()
    t.eval()
    assert repr(e) == repr(t)
    a = randn(2, 4, 3)
    xe, xt = ember.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    ye, yt = e(xe * 1), t(xt * 1)          # * 1: in-place modules need a non-leaf
    assert_close(ye, yt, 1e-12, 1e-12)
    up = randn(*yt.shape)
    ye.backward(ember.tensor(up))
    yt.backward(torch.tensor(up))
    assert_close(xe.grad, xt.grad, 1e-12, 1e-12)


def test_softmax_module_implicit_dim():
    e, t = nn.Softmax(), torch.nn.Softmax()
    assert repr(e) == repr(t) == "Softmax(dim=None)"
    a = randn(2, 3)
    with pytest.warns(UserWarning, match="Implicit dimension choice for softmax"):
        ye = e(ember.tensor(a))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert_close(ye, t(torch.tensor(a)))
    same_error(lambda: nn.Softmax2d()(ember.ones(2, 3)), lambda: torch.nn.Softmax2d()(
        torch.ones(2, 3)))


def test_hardtanh_module_checks():
    with pytest.raises(AssertionError, match=r"max_val \(1\) must be greater than min_val \(2\)"):
        nn.Hardtanh(2, 1)
    with pytest.warns(FutureWarning):
        m = nn.Hardtanh(min_value=-3.0)
    assert m.min_val == -3.0


@pytest.mark.parametrize("n", [1, 4])
def test_prelu_module(n):
    e, t = nn.PReLU(n, init=0.1), torch.nn.PReLU(n, init=0.1)
    assert repr(e) == repr(t)
    assert_close(e.weight, t.weight.detach(), check_dtype=True)
    with torch.no_grad():
        t.weight.copy_(torch.randn(n))
    e.load_state_dict({k: ember.tensor(v.numpy()) for k, v in t.state_dict().items()})
    assert [k for k, _ in e.named_parameters()] == ["weight"]
    a = randn(3, 4, 5).astype(np.float32)
    xe, xt = ember.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    ye, yt = e(xe), t(xt)
    assert_close(ye, yt, 1e-6, 1e-6)
    up = randn(3, 4, 5).astype(np.float32)
    ye.backward(ember.tensor(up))
    yt.backward(torch.tensor(up))
    assert_close(xe.grad, xt.grad, 1e-6, 1e-6)
    assert_close(e.weight.grad, t.weight.grad, 1e-5, 1e-5)
    assert nn.PReLU(dtype=ember.float64).weight.dtype is ember.float64
