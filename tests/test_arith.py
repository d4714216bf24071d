import numpy as np
import pytest
import torch
from helpers import check_error, check_op, randn

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
