import numpy as np
import pytest
import torch
from helpers import assert_close, check_error, check_op, randn, to_ember, to_torch

import ember

SHAPES = [((3, 4), (3, 4)), ((3, 4), (4,)), ((2, 1, 4), (3, 1)), ((), (2, 3)), ((0, 3), (3,))]


@pytest.mark.parametrize("sa,sb", SHAPES)
@pytest.mark.parametrize("op", ["add", "sub", "mul", "div"])
def test_binary(op, sa, sb):
    f = {"add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b,
         "div": lambda a, b: a / b}[op]
    b = randn(*sb)
    if op == "div":
        b = np.where(np.abs(b) < 0.3, 1.0, b)
    check_op(f, f, randn(*sa), b, gradgradcheck=True)


def test_pow():
    check_op(lambda a, b: a ** b, lambda a, b: a ** b, randn(3, 4, low=0.5, high=2),
             randn(4), gradgradcheck=True)
    check_op(lambda a: a.pow(2), lambda a: a.pow(2), randn(3, 4), gradgradcheck=True)
    check_op(lambda a: 2 ** a, lambda a: 2 ** a, randn(5))


def test_noncontiguous_and_neg_dims():
    check_op(lambda a, b: a.t() * b, lambda a, b: a.t() * b, randn(4, 3), randn(3, 4))


@pytest.mark.parametrize("dt,scalar", [(np.int64, 2.5), (np.int64, 2), (np.float32, 2.0),
                                       (np.bool_, 1), (np.float16, 3)])
def test_promotion_with_scalars(dt, scalar):
    a = (randn(4) * 3).astype(dt)
    fns = [lambda x: x * scalar, lambda x: x + scalar]
    if dt is not np.bool_:
        fns.append(lambda x: scalar - x)
    for f in fns:
        check_op(f, f, a, grad=False)


def test_promotion_tensors():
    for da, db in [(np.int64, np.float32), (np.int32, np.int64), (np.uint8, np.int8),
                   (np.float32, np.float64), (np.float16, np.int64)]:
        check_op(lambda a, b: a * b, lambda a, b: a * b, randn(3).astype(da), randn(3).astype(db),
                 grad=False)
    # a 0-d tensor of a higher category wins, of the same category loses
    check_op(lambda a, b: a * b, lambda a, b: a * b, randn(3).astype(np.int32),
             np.array(2.5), grad=False)
    check_op(lambda a, b: a * b, lambda a, b: a * b, randn(3).astype(np.float32),
             np.array(2.5), grad=False)


def test_inplace_arith_and_version():
    x = ember.ones(3)
    v = x._version
    x += 1
    x.mul_(3)
    assert x._version == v + 2
    assert x.tolist() == [6.0, 6.0, 6.0]
    i = ember.tensor([1, 2])
    with pytest.raises(RuntimeError, match="result type Float can't be cast to the desired "
                                           "output type Long"):
        i += 1.5


def test_floor_divide_and_remainder():
    a, b = randn(5) * 5, randn(5) + 3
    check_op(lambda x, y: x // y, lambda x, y: x // y, a, b, grad=False)
    check_op(lambda x, y: x % y, lambda x, y: x % y, a, b, gradcheck=False)
    ia = np.array([7, -7, 5]), np.array([2, 2, -3])
    check_op(lambda x, y: x // y, lambda x, y: x // y, *ia, grad=False)
    check_op(lambda x, y: x % y, lambda x, y: x % y, *ia, grad=False)
    check_op(lambda x, y: ember.div(x, y, rounding_mode="trunc"),
             lambda x, y: torch.div(x, y, rounding_mode="trunc"), *ia, grad=False)


def test_broadcast_error_message():
    for op in ("__add__", "__sub__", "__mul__", "__truediv__", "__pow__"):
        check_error(lambda: getattr(ember.ones(2, 3), op)(ember.ones(4)), RuntimeError,
                    "The size of tensor a (3) must match the size of tensor b (4) at "
                    "non-singleton dimension 1")


# -- addcmul / addcdiv -------------------------------------------------------------------------------


@pytest.mark.parametrize("op", ["addcmul", "addcdiv"])
def test_addc(op):
    fe, ft = getattr(ember, op), getattr(torch, op)
    b = randn(2, 1, low=0.5, high=2.0)
    check_op(lambda x, y, z: fe(x, y, z, value=2.5), lambda x, y, z: ft(x, y, z, value=2.5),
             randn(3), b, randn(3, low=0.5, high=2.0), gradgradcheck=True)
    check_op(lambda x, y, z: fe(x, y, z), lambda x, y, z: ft(x, y, z),
             randn(), randn(), randn(low=1.0, high=2.0), gradgradcheck=True)
    check_op(lambda x, y, z: getattr(x, op)(y.t(), z, value=-1),
             lambda x, y, z: getattr(x, op)(y.t(), z, value=-1),
             randn(2, 3, dtype=np.float32), randn(3, 2, dtype=np.float32),
             randn(2, 3, low=1.0, high=2.0, dtype=np.float32), rtol=1e-5, atol=1e-5)
    # mixed dtypes promote over all three (a 0-d float64 does not lift float32)
    check_op(lambda x, y, z: fe(x, y, z), lambda x, y, z: ft(x, y, z), randn(2, dtype=np.float32),
         randn(), randn(2, low=1.0, high=2.0, dtype=np.float32), grad=False)
    check_op(lambda x, y, z: fe(x, y, z, value=2), lambda x, y, z: ft(x, y, z, value=2),
         np.arange(3), randn(3), np.arange(1, 4), grad=False)
    check_op(lambda x, y, z: fe(x, y, z), lambda x, y, z: ft(x, y, z), randn(0, 3), randn(3),
         randn(1, 3), grad=False)


@pytest.mark.parametrize("op", ["addcmul_", "addcdiv_"])
def test_addc_inplace(op):
    def run(conv):
        x = conv(randn(2, 3, low=1, high=2) * 0 + np.arange(6.).reshape(2, 3), requires_grad=True)
        y = conv(np.full((3,), 2.0), requires_grad=True)
        base = x * 1
        r = getattr(base, op)(y, y + 1, value=0.5)
        assert r is base
        r.sum().backward()
        return r, x.grad, y.grad
    assert_close(run(to_ember), run(to_torch))


def test_addc_int_and_errors():
    a = np.arange(6).reshape(2, 3)
    check_op(lambda x: ember.addcmul(x, x, x, value=2.5), lambda x: torch.addcmul(x, x, x, value=2.5),
         a, grad=False)
    x = ember.ones(3)
    i = ember.arange(3)
    check_error(lambda: ember.addcdiv(x, i, i), RuntimeError,
                "Integer division with addcdiv is no longer supported")
    check_error(lambda: ember.addcmul(x, x, 2.0), TypeError,
                "addcmul(): argument 'tensor2' (position 3) must be Tensor, not float")
    check_error(lambda: ember.addcmul(x, x, ember.ones(4)), RuntimeError,
                "The size of tensor a (3) must match the size of tensor b (4) at non-singleton")
    check_error(lambda: x.clone().addcmul_(ember.ones(2, 3), x), RuntimeError,
                "output with shape [3] doesn't match the broadcast shape [2, 3]")
    t = ember.ones(3, dtype=ember.bool)
    check_error(lambda: ember.addcmul(t, t, t), NotImplementedError,
                "\"addcmul_cpu_out\" not implemented for 'Bool'")
    check_error(lambda: ember.addcdiv(x, x, x, value=2j), RuntimeError,
                "value cannot be converted to type float without overflow")
