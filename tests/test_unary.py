import warnings

import numpy as np
import pytest
import torch
from helpers import check_error, check_op, randn

import ember

# op -> the interval its random inputs come from (inside the domain, away from poles)
SMOOTH = {
    "exp": (-2, 2), "exp2": (-2, 2), "expm1": (-2, 2), "log": (0.2, 3), "log2": (0.2, 3),
    "log10": (0.2, 3), "log1p": (-0.5, 3), "sqrt": (0.2, 3), "rsqrt": (0.2, 3),
    "sin": (-3, 3), "cos": (-3, 3), "tan": (-1.2, 1.2), "asin": (-0.9, 0.9),
    "acos": (-0.9, 0.9), "atan": (-3, 3), "sinh": (-2, 2), "cosh": (-2, 2), "tanh": (-3, 3),
    "asinh": (-3, 3), "acosh": (1.2, 3), "atanh": (-0.9, 0.9), "sigmoid": (-4, 4),
    "erf": (-2.5, 2.5), "erfc": (-2.5, 2.5), "erfinv": (-0.95, 0.95), "reciprocal": (0.3, 3),
    "abs": (-3, 3), "relu": (-3, 3), "frac": (-3, 3),
}
STEPS = ["floor", "ceil", "round", "trunc", "sign"]
ALIASES = {"arcsin": "asin", "arccos": "acos", "arctan": "atan", "arcsinh": "asinh",
           "arccosh": "acosh", "arctanh": "atanh", "absolute": "abs", "fix": "trunc",
           "sgn": "sign"}


def away_from_kinks(x, op):
    # abs and relu have a kink at 0, frac jumps at integers: keep finite differences off them
    if op in ("abs", "relu"):
        return np.where(np.abs(x) < 0.1, 0.5, x)
    if op == "frac":
        return np.round(x) + np.clip(x - np.round(x), -0.4, 0.4)
    return x


@pytest.mark.parametrize("op", sorted(SMOOTH))
def test_smooth_ops(op):
    lo, hi = SMOOTH[op]
    x = away_from_kinks(randn(3, 4, low=lo, high=hi), op)
    out = check_op(getattr(ember, op), getattr(torch, op), x, gradgradcheck=True)
    assert out.grad_fn.name() == getattr(torch, op)(torch.tensor(x, requires_grad=True)) \
        .grad_fn.name()
    # the method, 0-d and empty inputs, a non-contiguous view, float32
    check_op(lambda a: getattr(a, op)(), lambda a: getattr(a, op)(), np.array(x[0, 0]),
             gradcheck=False)
    check_op(lambda a: getattr(a, op)(), lambda a: getattr(a, op)(), x[:0], gradcheck=False)
    check_op(lambda a: getattr(a.t(), op)(), lambda a: getattr(a.t(), op)(), x, gradcheck=False)
    check_op(getattr(ember, op), getattr(torch, op), x.astype(np.float32), gradcheck=False,
             rtol=2e-6)


@pytest.mark.parametrize("op", sorted(SMOOTH) + STEPS)
def test_int_and_bool_inputs(op):
    i, b = np.array([-2, 0, 1, 3]), np.array([True, False, True, False])
    if op in ("erfinv", "acosh", "atanh", "asin", "acos"):
        i = np.array([0, 1, -1, 0])
    for a in (i, b):
        try:
            t = getattr(torch, op)(torch.from_numpy(a))
        except (RuntimeError, NotImplementedError) as err:
            check_error(lambda: getattr(ember, op)(ember.tensor(a)), type(err), str(err))
            continue
        check_op(getattr(ember, op), getattr(torch, op), a, grad=False)
        assert getattr(ember, op)(ember.tensor(a)).dtype.name == str(t.dtype)[6:]


@pytest.mark.parametrize("op", sorted(ALIASES))
def test_aliases(op):
    x = randn(5, low=0.1, high=0.9) if op != "arccosh" else randn(5, low=1.1, high=3)
    # torch's sgn gives a ZeroTensor gradient that cannot be read: compare values only
    check_op(getattr(ember, op), getattr(torch, op), x, grad=op != "sgn")
    check_op(lambda a: getattr(a, op)(), lambda a: getattr(a, op)(), x, grad=op != "sgn")


@pytest.mark.parametrize("op", sorted(SMOOTH) + STEPS)
def test_inplace(op):
    lo, hi = SMOOTH.get(op, (-3, 3))
    x = away_from_kinks(randn(2, 3, low=lo, high=hi), op)
    e, t = ember.tensor(x), torch.tensor(x)
    v = e._version
    r = getattr(e, op + "_")()
    getattr(t, op + "_")()
    assert r is e and e._version == v + 1
    np.testing.assert_allclose(e.numpy(), t.numpy(), rtol=1e-12, atol=1e-12)
    if op in ("asinh", "acosh", "atanh"):
        return   # PyTorch has no derivative for these in-place forms
    # through autograd: the in-place op on a non-leaf is recorded
    a = ember.tensor(x, requires_grad=True)
    ta = torch.tensor(x, requires_grad=True)
    y, ty = a * 1, ta * 1
    getattr(y, op + "_")()
    getattr(ty, op + "_")()
    y.sum().backward()
    ty.sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), ta.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_inplace_float_op_on_int_refuses():
    check_error(lambda: ember.tensor([1, 2]).exp_(), RuntimeError,
                "result type Float can't be cast to the desired output type Long")


@pytest.mark.parametrize("op", STEPS)
def test_steps_have_zero_gradient(op):
    x = randn(3, 4) * 3
    out = check_op(getattr(ember, op), getattr(torch, op), x, gradcheck=False)
    assert out.grad_fn.name() == getattr(torch, op)(torch.tensor(x, requires_grad=True)) \
        .grad_fn.name()


def test_round_half_even_and_decimals():
    x = np.array([0.5, 1.5, 2.5, -0.5, -1.5, 1.25, 2.35, 125.0, 175.0, -2.675])
    check_op(ember.round, torch.round, x, gradcheck=False)
    for d in (1, 2, -1, -2):
        check_op(lambda a: ember.round(a, decimals=d), lambda a: torch.round(a, decimals=d), x,
                 gradcheck=False, rtol=0, atol=0)
        check_op(lambda a: a.round(decimals=d), lambda a: a.round(decimals=d),
                 x.astype(np.float32), gradcheck=False, rtol=0, atol=0)
    e, t = ember.tensor(x), torch.tensor(x)
    e.round_(decimals=1)
    t.round_(decimals=1)
    np.testing.assert_array_equal(e.numpy(), t.numpy())
    assert ember.round(ember.tensor(x, requires_grad=True), decimals=1).grad_fn.name() == \
        "RoundBackward1"
    check_error(lambda: ember.round(ember.tensor([1, 2]), decimals=1), NotImplementedError,
                "\"round_cpu\" not implemented for 'Long'")


def test_erf_family_accuracy():
    # wide ranges, both tails, signed zeros, infinities and NaN, against PyTorch in double
    x = np.concatenate([np.linspace(-8, 8, 1601), randn(400) * 3, [0.0, -0.0, 1e-300, 2.0, -2.0,
                                                                 1.0, 30.0, np.inf, -np.inf,
                                                                 np.nan]])
    for op in ("erf", "erfc"):
        check_op(getattr(ember, op), getattr(torch, op), x, grad=False, rtol=1e-14, atol=0)
        check_op(getattr(ember, op), getattr(torch, op), x.astype(np.float32), grad=False,
                 rtol=3e-7, atol=0)
        check_op(getattr(ember, op), getattr(torch, op), x.astype(np.float16), grad=False,
                 rtol=1e-3, atol=0)
    y = np.concatenate([np.linspace(-1, 1, 801), 1 - np.logspace(-16, -1, 40),
                        -1 + np.logspace(-16, -1, 40), [0.0, -0.0, 1e-300, 2.0, -1.5, np.nan]])
    check_op(ember.erfinv, torch.erfinv, y, grad=False, rtol=1e-13, atol=0)
    check_op(ember.erfinv, torch.erfinv, y.astype(np.float32), grad=False, rtol=1e-6, atol=0)


def test_extreme_values_do_not_warn():
    x = np.array([-1000.0, -50.0, 0.0, 50.0, 1000.0, np.inf, -np.inf, np.nan])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for op in ("sigmoid", "exp", "tanh", "log", "sqrt", "rsqrt", "reciprocal", "erf",
                   "erfc", "expm1", "log1p", "acos"):
            check_op(getattr(ember, op), getattr(torch, op), x, grad=False, rtol=1e-12)
            check_op(getattr(ember, op), getattr(torch, op), x.astype(np.float32), grad=False,
                     rtol=1e-6)


def test_gradients_at_special_points():
    # relu at 0 and abs at 0 pass no gradient (as PyTorch); sqrt at 0 gives inf
    x = np.array([0.0, -0.0, 1.0, -1.0])
    for op in ("relu", "abs", "sqrt", "sign"):
        check_op(getattr(ember, op), getattr(torch, op), x, gradcheck=False)


def test_out_argument_and_type_errors():
    x = randn(3)
    out = ember.empty(3, dtype=ember.float64)
    r = ember.exp(ember.tensor(x), out=out)
    assert r is out
    np.testing.assert_allclose(out.numpy(), np.exp(x))
    check_error(lambda: ember.exp(2.0), TypeError,
                "exp(): argument 'input' (position 1) must be Tensor, not float")
    check_error(lambda: ember.relu(ember.tensor([True])), RuntimeError,
                "Boolean inputs not supported for relu")


# -- clamp --------------------------------------------------------------------------------

EDGES = np.array([-2.0, 0.0, 0.5, 1.0, 3.0, 1.0, 0.0, 5.0, np.nan, 2.0])


@pytest.mark.parametrize("lo,hi", [(0.0, 1.0), (0.0, None), (None, 1.0), (1.0, 0.0), (0, 1),
                                   (np.nan, None), (0.5, 0.5)])
def test_clamp_scalar_bounds(lo, hi):
    out = check_op(lambda a: ember.clamp(a, lo, hi), lambda a: torch.clamp(a, lo, hi), EDGES,
                   gradcheck=False)
    name = torch.clamp(torch.tensor(EDGES, requires_grad=True), lo, hi).grad_fn.name()
    assert out.grad_fn.name() == name
    x = randn(3, 4)
    x = np.where(np.abs(x - 0.0) < 0.05, 0.3, x)
    x = np.where(np.abs(x - 1.0) < 0.05, 0.7, x)
    check_op(lambda a: a.clamp(lo, hi), lambda a: a.clamp(lo, hi), x, gradcheck=lo == lo,
             gradgradcheck=lo == lo)   # NaN bounds make everything NaN
    check_op(lambda a: a.t().clip(lo, hi), lambda a: a.t().clip(lo, hi), x, gradcheck=False)


def test_clamp_tensor_bounds_gradients():
    lo = np.array([0.0, 0.0, 0.0, 0.0, 0.0, 2.0, 0.0, 2.0, 0.0, 3.0])
    hi = np.array([1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.0, 1.0, 1.0, 1.0])
    check_op(lambda a, b, c: ember.clamp(a, b, c), lambda a, b, c: torch.clamp(a, b, c),
             EDGES, lo, hi, gradcheck=False)
    check_op(lambda a, b: ember.clamp(a, min=b), lambda a, b: torch.clamp(a, min=b), EDGES, lo,
             gradcheck=False)
    check_op(lambda a, c: ember.clamp(a, max=c), lambda a, c: torch.clamp(a, max=c), EDGES, hi,
             gradcheck=False)
    nan_lo, nan_hi = np.array([np.nan, 0.0]), np.array([3.0, np.nan])
    check_op(lambda a, b, c: a.clamp(b, c), lambda a, b, c: a.clamp(b, c), np.array([1.0, 2.0]),
             nan_lo, nan_hi, gradcheck=False)
    # broadcasting bounds, gradcheck away from the boundaries
    check_op(lambda a, b, c: ember.clamp(a, b, c), lambda a, b, c: torch.clamp(a, b, c),
             randn(3, 4), randn(4) - 0.5, randn(3, 1) + 0.5, gradgradcheck=True)
    out = ember.clamp(ember.tensor(EDGES, requires_grad=True), ember.tensor(lo))
    assert out.grad_fn.name() == "ClampBackward0"


def test_clamp_dtypes():
    i = np.array([-3, 0, 2, 7])
    for lo, hi in [(0, 2), (0.5, 2), (-1, 2.5)]:
        check_op(lambda a: ember.clamp(a, lo, hi), lambda a: torch.clamp(a, lo, hi), i,
                 grad=False)
    check_op(lambda a: ember.clamp(a, 0, 2), lambda a: torch.clamp(a, 0, 2),
             np.array([True, False]), grad=False)
    check_op(lambda a, b: ember.clamp(a, b), lambda a, b: torch.clamp(a, b), i,
             np.array([0.5, 0.5, 0.5, 0.5]), grad=False)
    check_op(lambda a, b: ember.clamp(a, b), lambda a, b: torch.clamp(a, b),
             randn(4).astype(np.float32), np.array(0.5), grad=False)
    check_op(lambda a: ember.clamp(a, 0, 200), lambda a: torch.clamp(a, 0, 200),
             np.array([0, 100, 255], np.uint8), grad=False)
    check_error(lambda: ember.clamp(ember.tensor([0, 100], dtype=ember.uint8), 0, 300),
                RuntimeError, "value cannot be converted to type uint8_t without overflow")


def test_clamp_min_max_and_inplace():
    x = randn(3, 4)
    check_op(lambda a: ember.clamp_min(a, 0.2), lambda a: torch.clamp_min(a, 0.2), x,
             gradcheck=False)
    check_op(lambda a: a.clamp_max(0.2), lambda a: a.clamp_max(0.2), x, gradcheck=False)
    check_op(lambda a, b: a.clamp_min(b), lambda a, b: a.clamp_min(b), x, randn(4),
             gradcheck=False)
    assert ember.clamp_min(ember.tensor(x, requires_grad=True), 0.0).grad_fn.name() == \
        "ClampMinBackward0"
    e, t = ember.tensor(x), torch.tensor(x)
    v = e._version
    assert e.clamp_(-0.5, 0.5) is e and e._version == v + 1
    t.clamp_(-0.5, 0.5)
    np.testing.assert_array_equal(e.numpy(), t.numpy())
    for m in ("clip_", "clamp_min_", "clamp_max_"):
        e, t = ember.tensor(x), torch.tensor(x)
        args = (-0.5, 0.5) if m == "clip_" else (0.1,)
        getattr(e, m)(*args)
        getattr(t, m)(*args)
        np.testing.assert_array_equal(e.numpy(), t.numpy())
    # recorded in-place clamp on a non-leaf
    a, ta = ember.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    y, ty = a * 2, ta * 2
    y.clamp_(min=0.0)
    ty.clamp_(min=0.0)
    (y * y).sum().backward()
    (ty * ty).sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), ta.grad.numpy())


def test_clamp_errors():
    x = ember.ones(3)
    check_error(lambda: ember.clamp(x), RuntimeError,
                "torch.clamp: At least one of 'min' or 'max' must not be None")
    check_error(lambda: x.clamp_(None, None), RuntimeError,
                "At least one of 'min' or 'max' must not be None")
    check_error(lambda: ember.clamp(x, ember.ones(2)), RuntimeError,
                "The size of tensor a (3) must match the size of tensor b (2) at non-singleton "
                "dimension 0")
    check_error(lambda: ember.ones(2).clamp_(ember.ones(3, 2)), RuntimeError,
                "output with shape [2] doesn't match the broadcast shape [3, 2]")
    check_error(lambda: ember.tensor([1, 2]).clamp_(0.5, 1), RuntimeError,
                "result type Float can't be cast to the desired output type Long")
