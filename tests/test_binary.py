import numpy as np
import pytest
import torch
from helpers import check_error, check_op, randn

import ember

SHAPES = [((3, 4), (3, 4)), ((3, 4), (4,)), ((2, 1, 4), (3, 1)), ((), (2, 3)), ((0, 3), (3,))]
SMOOTH = ["atan2", "arctan2", "hypot", "logaddexp", "logaddexp2"]
PIECEWISE = ["maximum", "minimum", "fmax", "fmin"]


@pytest.mark.parametrize("sa,sb", SHAPES)
@pytest.mark.parametrize("op", SMOOTH + PIECEWISE + ["copysign"])
def test_broadcasting_and_grads(op, sa, sb):
    a, b = randn(*sa), randn(*sb)
    if op in PIECEWISE:
        b = b + 0.05   # no ties in the finite-difference check
    smooth = op in SMOOTH
    out = check_op(getattr(ember, op), getattr(torch, op), a, b, gradgradcheck=smooth)
    if out.numel():
        t = getattr(torch, op)(torch.tensor(a, requires_grad=True), torch.tensor(b))
        assert out.grad_fn.name() == t.grad_fn.name()
    check_op(lambda x, y: getattr(x, op)(y), lambda x, y: getattr(x, op)(y), b, a,
             gradcheck=False)


@pytest.mark.parametrize("op", SMOOTH + PIECEWISE + ["copysign"])
def test_noncontiguous_and_float32(op):
    check_op(lambda x, y: getattr(ember, op)(x.t(), y), lambda x, y: getattr(torch, op)(x.t(), y),
             randn(4, 3), randn(3, 4), gradcheck=False)
    check_op(getattr(ember, op), getattr(torch, op), randn(3, 4).astype(np.float32),
             randn(4).astype(np.float32), gradcheck=False)


def test_ties_and_nans():
    a = np.array([1.0, 2.0, 3.0, np.nan, 1.0, np.nan, -0.0])
    b = np.array([1.0, 1.0, 4.0, 1.0, np.nan, np.nan, 0.0])
    for op in PIECEWISE + SMOOTH + ["copysign"]:
        check_op(getattr(ember, op), getattr(torch, op), a, b, gradcheck=False)
    # a tie under broadcasting: each side gets half of every tied element's gradient
    check_op(ember.maximum, torch.maximum, np.ones((2, 3)), np.ones(3), gradcheck=False)
    check_op(ember.minimum, torch.minimum, np.ones((2, 3)), np.array(1.0), gradcheck=False)
    # atan2 at the origin has a zero gradient, as PyTorch
    check_op(ember.atan2, torch.atan2, np.zeros(2), np.zeros(2), gradcheck=False)
    check_op(ember.logaddexp, torch.logaddexp, np.full(2, -np.inf), np.full(2, -np.inf),
             gradcheck=False)


@pytest.mark.parametrize("op", SMOOTH + PIECEWISE + ["copysign"])
def test_dtypes(op):
    i, j = np.array([1, -2, 3]), np.array([2, 2, -1])
    b, f32 = np.array([True, False, True]), randn(3).astype(np.float32)
    pairs = [(i, j), (i, b), (b, b), (i, f32), (f32, np.array(2.5)), (i, np.array(2.5)),
             (f32, randn(3)), (np.array([1, 2, 3], np.uint8), np.array([1, 2, 3], np.int8))]
    for x, y in pairs:
        try:
            t = getattr(torch, op)(torch.from_numpy(x), torch.from_numpy(y))
        except NotImplementedError as err:
            check_error(lambda: getattr(ember, op)(ember.tensor(x), ember.tensor(y)),
                        NotImplementedError, str(err))
            continue
        e = check_op(getattr(ember, op), getattr(torch, op), x, y, grad=False)
        assert e.dtype.name == str(t.dtype)[6:]


def test_copysign_with_number():
    a = np.array([0.0, -0.0, 2.0, -3.0])
    for s in (-1.0, 1, -0.0):
        out = check_op(lambda x: ember.copysign(x, s), lambda x: torch.copysign(x, s), a,
                       gradcheck=False)
        assert out.grad_fn.name() == "CopysignBackward1"
    check_op(lambda x: ember.copysign(x, -2), lambda x: torch.copysign(x, -2),
             np.array([1, -2]), grad=False)


@pytest.mark.parametrize("op", SMOOTH + PIECEWISE)
def test_errors(op):
    x = ember.ones(3)
    check_error(lambda: getattr(ember, op)(x, 2.0), TypeError,
                f"{op}(): argument 'other' (position 2) must be Tensor, not float")
    check_error(lambda: getattr(ember, op)(2, x), TypeError,
                f"{op}(): argument 'input' (position 1) must be Tensor, not int")
    check_error(lambda: getattr(ember, op)(x, ember.ones(2)), RuntimeError,
                "The size of tensor a (3) must match the size of tensor b (2) at non-singleton "
                "dimension 0")
    check_error(lambda: getattr(ember, op)(ember.ones(2, 3), ember.ones(4)), RuntimeError,
                "The size of tensor a (3) must match the size of tensor b (4) at non-singleton "
                "dimension 1")


# -- lerp ---------------------------------------------------------------------------------

@pytest.mark.parametrize("w", [0.3, 0.7, 2, -0.5, 1.0, 0.0])
def test_lerp_scalar_weight(w):
    out = check_op(lambda a, b: ember.lerp(a, b, w), lambda a, b: torch.lerp(a, b, w),
                   randn(3, 4), randn(4), gradgradcheck=True)
    assert out.grad_fn.name() == "LerpBackward0"
    check_op(lambda a, b: a.lerp(b, w), lambda a, b: a.lerp(b, w),
             randn(3).astype(np.float32), randn(3).astype(np.float32), gradcheck=False)


def test_lerp_tensor_weight():
    w = randn(3, 1, low=-0.2, high=1.2)
    out = check_op(ember.lerp, torch.lerp, randn(3, 4), randn(4), w, gradgradcheck=True)
    assert out.grad_fn.name() == "LerpBackward1"
    check_op(ember.lerp, torch.lerp, randn(2, 1, 4), randn(3, 1), np.array(0.25),
             gradgradcheck=True)
    # a 0-d weight may have another float dtype
    check_op(ember.lerp, torch.lerp, randn(3).astype(np.float32), randn(3).astype(np.float32),
             np.array(0.5), gradcheck=False)
    check_op(lambda a, b: ember.lerp(a.t(), b, 0.3), lambda a, b: torch.lerp(a.t(), b, 0.3),
             randn(4, 3), randn(3, 4), gradcheck=False)
    check_op(ember.lerp, torch.lerp, randn(0, 3), randn(3), randn(1), gradcheck=False)


def test_lerp_errors():
    f, d = ember.ones(3), ember.ones(3, dtype=ember.float64)
    check_error(lambda: ember.lerp(f, d, 0.5), RuntimeError,
                "expected dtype float for `end` but got dtype double")
    check_error(lambda: ember.lerp(f, f, d), RuntimeError,
                "expected dtype float for `weight` but got dtype double")
    check_error(lambda: ember.lerp(f, f, ember.tensor([True, False, True])), RuntimeError,
                "expected dtype float for `weight` but got dtype bool")
    i = ember.tensor([1, 2, 3])
    check_error(lambda: ember.lerp(i, i, 0.5), NotImplementedError,
                "\"lerp_kernel_scalar\" not implemented for 'Long'")
    check_error(lambda: ember.lerp(i, i, i), NotImplementedError,
                "\"lerp_kernel_tensor\" not implemented for 'Long'")
    check_error(lambda: ember.lerp(f, ember.ones(4), 0.5), RuntimeError,
                "The size of tensor a (3) must match the size of tensor b (4) at non-singleton "
                "dimension 0")
    check_error(lambda: ember.lerp(f, 1.0, 0.5), TypeError, "lerp() received an invalid "
                "combination of arguments")
    check_error(lambda: ember.ones(1).lerp_(ember.ones(3), 0.5), RuntimeError,
                "output with shape [1] doesn't match the broadcast shape [3]")


# -- in-place -----------------------------------------------------------------------------

@pytest.mark.parametrize("op,args", [("atan2_", (randn(4),)), ("arctan2_", (randn(4),)),
                                     ("hypot_", (randn(4),)), ("copysign_", (randn(4),)),
                                     ("copysign_", (-1.0,)), ("lerp_", (randn(4), 0.3)),
                                     ("lerp_", (randn(4), randn(4)))])
def test_inplace(op, args):
    x = randn(3, 4)
    e, t = ember.tensor(x), torch.tensor(x)
    ea = [ember.tensor(a) if isinstance(a, np.ndarray) else a for a in args]
    ta = [torch.tensor(a) if isinstance(a, np.ndarray) else a for a in args]
    v = e._version
    assert getattr(e, op)(*ea) is e and e._version == v + 1
    getattr(t, op)(*ta)
    np.testing.assert_allclose(e.numpy(), t.numpy(), rtol=1e-12)
    # recorded on a non-leaf: gradients flow to both the base and the other operands
    a, ta_ = ember.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    eo = [ember.tensor(o, requires_grad=True) if isinstance(o, np.ndarray) else o for o in args]
    to = [torch.tensor(o, requires_grad=True) if isinstance(o, np.ndarray) else o for o in args]
    y, ty = a * 1, ta_ * 1
    getattr(y, op)(*eo)
    getattr(ty, op)(*to)
    (y * y).sum().backward()
    (ty * ty).sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), ta_.grad.numpy(), rtol=1e-10, atol=1e-12)
    for e_o, t_o in zip(eo, to):
        if isinstance(t_o, torch.Tensor):
            np.testing.assert_allclose(e_o.grad.numpy(), t_o.grad.numpy(), rtol=1e-10,
                                       atol=1e-12)


def test_inplace_on_int_refuses_float_result():
    i = ember.tensor([1, 2])
    check_error(lambda: i.atan2_(ember.tensor([1, 1])), RuntimeError,
                "result type Float can't be cast to the desired output type Long")
