import operator

import numpy as np
import pytest
import torch
from helpers import check_error, check_op, randn

import ember

CMP = ["eq", "ne", "lt", "le", "gt", "ge", "greater", "greater_equal", "less", "less_equal",
       "not_equal"]
OPS = {"==": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le,
       ">": operator.gt, ">=": operator.ge}
SHAPES = [((3, 4), (3, 4)), ((3, 4), (4,)), ((2, 1, 4), (3, 1)), ((), (2, 3)), ((0, 3), (3,))]


def ints(*shape, dtype=np.int64):
    return np.round(randn(*shape) * 3).astype(dtype)


@pytest.mark.parametrize("sa,sb", SHAPES)
@pytest.mark.parametrize("op", CMP)
def test_comparisons(op, sa, sb):
    a, b = np.asarray(np.round(randn(*sa) * 2) / 2), np.asarray(np.round(randn(*sb) * 2) / 2)
    check_op(getattr(ember, op), getattr(torch, op), a, b, grad=False)
    check_op(lambda x, y: getattr(x, op)(y), lambda x, y: getattr(x, op)(y), a, b, grad=False)


@pytest.mark.parametrize("sym", sorted(OPS))
def test_operators_promotion_and_scalars(sym):
    f = OPS[sym]
    pairs = [(ints(5), randn(5)), (ints(5, dtype=np.uint8), ints(5, dtype=np.int8)),
             (np.array([True, False, True]), np.array([1, 0, 2])),
             (randn(3, 4).astype(np.float32), randn(4)), (np.array([np.nan, 1.0]), np.array(1.0))]
    for a, b in pairs:
        check_op(f, f, a, b, grad=False)
    for s in (0, 1.5, True, -2):
        check_op(lambda x: f(x, s), lambda x: f(x, s), ints(4), grad=False)
        check_op(lambda x: f(s, x), lambda x: f(s, x), randn(4), grad=False)
    check_op(lambda x: f(x.t(), 0.0), lambda x: f(x.t(), 0.0), randn(3, 4), grad=False)


def test_comparison_results_carry_no_grad():
    x = ember.tensor(randn(3), requires_grad=True)
    r = x > 0
    assert r.dtype is ember.bool and not r.requires_grad and r.grad_fn is None
    assert (ember.ones(2) == None) is False  # noqa: E711 - the operator is under test
    assert (ember.ones(2) != "a") is True
    check_error(lambda: ember.ones(2) < None, TypeError, "'<' not supported")
    check_error(lambda: ember.eq(ember.ones(2), None), TypeError,
                "eq(): argument 'other' (position 2) must be Tensor, not NoneType")
    check_error(lambda: ember.ones(3) == ember.ones(2), RuntimeError,
                "The size of tensor a (3) must match the size of tensor b (2) at non-singleton "
                "dimension 0")


def test_inplace_comparisons():
    x = randn(3, 4)
    for op in ("eq_", "ne_", "lt_", "le_", "gt_", "ge_", "greater_", "less_equal_"):
        e, t = ember.tensor(x), torch.tensor(x)
        v = e._version
        assert getattr(e, op)(0.1) is e and e._version == v + 1
        getattr(t, op)(0.1)
        np.testing.assert_array_equal(e.numpy(), t.numpy())
        assert e.dtype is ember.float64


# -- logical ------------------------------------------------------------------------------

@pytest.mark.parametrize("op", ["logical_and", "logical_or", "logical_xor"])
def test_logical(op):
    a = np.array([1.5, 0.0, -2.0, 0.0, np.nan])
    b = np.array([1, 2, 0, 0, 0])
    for x, y in [(a, b), (b, np.array([True])), (randn(3, 1), ints(4)), (a[:0], b[:0])]:
        check_op(getattr(ember, op), getattr(torch, op), x, y, grad=False)
        check_op(lambda p, q: getattr(p, op)(q), lambda p, q: getattr(p, op)(q), x, y,
                 grad=False)
    check_error(lambda: getattr(ember, op)(ember.ones(2), 1), TypeError,
                f"{op}(): argument 'other' (position 2) must be Tensor, not int")
    for x in (a, b):
        e, t = ember.tensor(x), torch.tensor(x)
        v = e._version
        assert getattr(e, op + "_")(ember.tensor(b)) is e and e._version == v + 1
        getattr(t, op + "_")(torch.tensor(b))
        np.testing.assert_array_equal(e.numpy(), t.numpy())
        assert e.dtype.name == str(t.dtype)[6:]


def test_logical_not():
    for x in (np.array([1.5, 0.0, np.nan]), np.array([3, 0, -1]), np.array([True, False])):
        check_op(ember.logical_not, torch.logical_not, x, grad=False)
        e, t = ember.tensor(x), torch.tensor(x)
        e.logical_not_()
        t.logical_not_()
        np.testing.assert_array_equal(e.numpy(), t.numpy())
    check_op(lambda x: x.t().logical_not(), lambda x: x.t().logical_not(), randn(2, 3),
             grad=False)


# -- bitwise ------------------------------------------------------------------------------

BITWISE = ["bitwise_and", "bitwise_or", "bitwise_xor"]


@pytest.mark.parametrize("op", BITWISE + ["bitwise_left_shift", "bitwise_right_shift"])
def test_bitwise(op):
    shift = "shift" in op
    a, b = ints(3, 4), (np.abs(ints(4)) if shift else ints(4))
    check_op(getattr(ember, op), getattr(torch, op), a, b, grad=False)
    check_op(lambda x: getattr(ember, op)(x, 2), lambda x: getattr(torch, op)(x, 2), a,
             grad=False)
    check_op(getattr(ember, op), getattr(torch, op), ints(5, dtype=np.int8),
             ints(5, dtype=np.int16) % 8, grad=False)
    check_op(getattr(ember, op), getattr(torch, op), ints(5, dtype=np.uint8) % 100,
             np.array(3), grad=False)
    bools = np.array([True, False, True, False]), np.array([True, True, False, False])
    for x, y in (bools, (bools[0], ints(4))):
        try:
            getattr(torch, op)(torch.from_numpy(x), torch.from_numpy(y))
        except NotImplementedError as err:
            check_error(lambda: getattr(ember, op)(ember.tensor(x), ember.tensor(y)),
                        NotImplementedError, str(err))
            continue
        check_op(getattr(ember, op), getattr(torch, op), x, y, grad=False)
    for x, y in [(randn(3), ints(3)), (ints(3), randn(3)), (ints(3), 1.5),
                 (randn(3).astype(np.float16), ints(3))]:
        try:
            getattr(torch, op)(torch.from_numpy(x), y if isinstance(y, float)
                               else torch.from_numpy(y))
        except NotImplementedError as err:
            check_error(lambda: getattr(ember, op)(ember.tensor(x), y if isinstance(y, float)
                                                   else ember.tensor(y)),
                        NotImplementedError, str(err))
        else:
            raise AssertionError("PyTorch accepted a float operand")


def test_shift_past_the_bit_width():
    a = np.array([1, -8, 8, 5, -1])
    s = np.array([64, 70, 1, -1, 63])
    check_op(ember.bitwise_left_shift, torch.bitwise_left_shift, a, s, grad=False)
    check_op(ember.bitwise_right_shift, torch.bitwise_right_shift, a, s, grad=False)
    a8, s8 = np.array([-8, 8, 127], np.int8), np.array([9, 7, 8], np.int8)
    check_op(lambda x, y: x << y, lambda x, y: x << y, a8, s8, grad=False)
    check_op(lambda x, y: x >> y, lambda x, y: x >> y, a8, s8, grad=False)


@pytest.mark.parametrize("sym", ["&", "|", "^", "<<", ">>"])
def test_bitwise_operators(sym):
    f = {"&": operator.and_, "|": operator.or_, "^": operator.xor, "<<": operator.lshift,
         ">>": operator.rshift}[sym]
    fi = {"&": operator.iand, "|": operator.ior, "^": operator.ixor, "<<": operator.ilshift,
          ">>": operator.irshift}[sym]
    a, b = np.array([3, 5, 12, 7]), np.array([1, 2, 3, 0])
    check_op(f, f, a, b, grad=False)
    check_op(lambda x: f(x, 2), lambda x: f(x, 2), a, grad=False)
    check_op(lambda x: f(2, x), lambda x: f(2, x), b, grad=False)
    if sym in "&|^":
        check_op(f, f, np.array([True, False]), np.array([True, True]), grad=False)
        check_op(lambda x: f(x, True), lambda x: f(x, True), np.array([True, False]), grad=False)
    e, t = ember.tensor(a), torch.tensor(a)
    v = e._version
    e2 = fi(e, ember.tensor(b))
    assert e2 is e and e._version == v + 1
    fi(t, torch.tensor(b))
    np.testing.assert_array_equal(e.numpy(), t.numpy())
    method = {"&": "bitwise_and_", "|": "bitwise_or_", "^": "bitwise_xor_",
              "<<": "bitwise_left_shift_", ">>": "bitwise_right_shift_"}[sym]
    assert getattr(e, method)(1) is e and e._version == v + 2
    getattr(t, method)(1)
    np.testing.assert_array_equal(e.numpy(), t.numpy())


def test_bitwise_not():
    for x in (ints(5), np.array([True, False]), ints(4, dtype=np.uint8)):
        check_op(ember.bitwise_not, torch.bitwise_not, x, grad=False)
        check_op(lambda t: ~t, lambda t: ~t, x, grad=False)
        e, t = ember.tensor(x), torch.tensor(x)
        e.bitwise_not_()
        t.bitwise_not_()
        np.testing.assert_array_equal(e.numpy(), t.numpy())
    check_error(lambda: ~ember.ones(2), TypeError,
                "~ (operator.invert) is only implemented on integer and Boolean-type tensors")
    check_error(lambda: ember.bitwise_not(ember.ones(2)), NotImplementedError,
                "\"bitwise_not_cpu\" not implemented for 'Float'")
    check_error(lambda: ember.ones(2) & ember.ones(2), NotImplementedError,
                "\"bitwise_and_cpu\" not implemented for 'Float'")
    check_error(lambda: ember.tensor([True]) << ember.tensor([True]), NotImplementedError,
                "\"lshift_cpu\" not implemented for 'Bool'")


# -- NaN / inf tests and closeness --------------------------------------------------------

@pytest.mark.parametrize("op", ["isnan", "isinf", "isfinite", "isposinf", "isneginf", "isreal"])
def test_value_tests(op):
    x = np.array([1.0, np.inf, -np.inf, np.nan, -0.0])
    for a in (x, x.astype(np.float32), x.astype(np.float16), ints(3), np.array([True]), x[:0],
              np.array(np.nan)):
        check_op(getattr(ember, op), getattr(torch, op), a, grad=False)
        check_op(lambda t: getattr(t, op)(), lambda t: getattr(t, op)(), a, grad=False)
    check_op(lambda t: getattr(t.t(), op)(), lambda t: getattr(t.t(), op)(),
             np.where(randn(3, 4) > 0.5, np.inf, np.nan), grad=False)


@pytest.mark.parametrize("kw", [{}, {"equal_nan": True}, {"rtol": 0.1}, {"atol": 0.5},
                                {"rtol": 0, "atol": 0}, {"rtol": 0, "atol": 1e-3}])
def test_isclose(kw):
    a = np.array([1.0, np.nan, np.inf, -np.inf, np.inf, 1.0, 2.0, 0.0, 1e-9])
    b = np.array([1.0 + 1e-7, np.nan, np.inf, np.inf, 1.0, 1.2, 2.5, 1e-9, 0.0])
    for x, y in [(a, b), (a.astype(np.float32), b.astype(np.float32)),
                 (ints(5), ints(5)), (np.array([True, False, True]), np.array([True, True,
                                                                               False])),
                 (randn(3, 1), randn(4)), (a[:0], b[:0])]:
        check_op(lambda p, q: ember.isclose(p, q, **kw), lambda p, q: torch.isclose(p, q, **kw),
                 x, y, grad=False)
        check_op(lambda p, q: p.isclose(q, **kw), lambda p, q: p.isclose(q, **kw), x, y,
                 grad=False)
        check_op(lambda p, q: ember.allclose(p, q, **kw), lambda p, q: torch.allclose(p, q, **kw),
                 x, y, grad=False)
    assert ember.allclose(ember.ones(3), ember.ones(1)) is True
    assert ember.ones(3).allclose(ember.ones(3) + 1) is False


def test_isclose_errors():
    f = ember.ones(3)
    check_error(lambda: ember.isclose(f, ember.ones(3, dtype=ember.int64)), RuntimeError,
                "Float did not match Long")
    check_error(lambda: ember.allclose(f, f.double()), RuntimeError, "Float did not match Double")
    check_error(lambda: ember.isclose(f, 1.0), TypeError,
                "isclose(): argument 'other' (position 2) must be Tensor, not float")
    check_error(lambda: ember.isclose(f, f, rtol=-1), RuntimeError,
                "rtol must be greater than or equal to zero, but got -1")
    check_error(lambda: ember.isclose(f, f, atol=-1), RuntimeError,
                "atol must be greater than or equal to zero, but got -1")
    check_error(lambda: ember.allclose(f, ember.ones(2)), RuntimeError,
                "The size of tensor a (3) must match the size of tensor b (2) at non-singleton "
                "dimension 0")


def test_equal():
    a = randn(3, 4)
    cases = [(a, a.copy()), (a, a + 1e-12), (a, a[:, :2]), (a[0], a), (ints(3), ints(3)),
             (a.astype(np.float32), a), (np.array([np.nan]), np.array([np.nan])),
             (np.array([1, 2]), np.array([1.0, 2.0])), (a[:0], a[:0])]
    for x, y in cases:
        e = ember.equal(ember.tensor(x), ember.tensor(y))
        assert e is torch.equal(torch.tensor(x), torch.tensor(y))
        assert ember.tensor(x).equal(ember.tensor(y)) is e
    assert ember.equal(ember.tensor(a).t(), ember.tensor(a.T.copy()))
    check_error(lambda: ember.equal(ember.ones(2), 1), TypeError,
                "equal(): argument 'other' (position 2) must be Tensor, not int")
