"""diag_embed, diagflat, atleast_nd, tensor_split/hsplit/vsplit/dsplit, tril/triu_indices,
column_stack, row_stack, block_diag, cartesian_prod, kron, take, index_copy, cummax/cummin,
logcumsumexp, diff, aminmax, cross, inner, matrix_power: values, dtypes and gradients vs torch."""
import warnings

import numpy as np
import pytest
import torch
from helpers import check_error, check_op, randn, to_ember

import ember


def T(x):
    return ember.tensor(np.asarray(x))


# -- shape ----------------------------------------------------------------------------------
@pytest.mark.parametrize("args", [(), (1,), (-1, 0, 2), (2, 2, 0)])
def test_diag_embed(args):
    check_op(lambda a: ember.diag_embed(a, *args), lambda a: torch.diag_embed(a, *args),
             randn(2, 3), gradgradcheck=True)


def test_diag_embed_errors_and_diagflat():
    check_op(lambda a: ember.diag_embed(a.t()), lambda a: torch.diag_embed(a.t()), randn(3, 2))
    check_error(lambda: ember.diag_embed(T(np.ones((2, 3))), 0, 0, -3), RuntimeError,
                "diagonal dimensions cannot be identical 0, -3")
    for off in (0, 1, -2):
        check_op(lambda a: ember.diagflat(a, off), lambda a: torch.diagflat(a, off), randn(2, 2))
        check_op(lambda a: a.diagflat(off), lambda a: a.diagflat(off), randn(3))
    check_op(ember.diagflat, torch.diagflat, randn())


@pytest.mark.parametrize("n", [1, 2, 3])
def test_atleast(n):
    ef, tf = getattr(ember, f"atleast_{n}d"), getattr(torch, f"atleast_{n}d")
    for shape in [(), (3,), (2, 3), (2, 3, 4)]:
        check_op(ef, tf, randn(*shape))
    x = to_ember(randn(2, 3, 4))
    assert ef(x) is x
    check_op(lambda a, b: ef(a, b), lambda a, b: tf(a, b), randn(), randn(2))
    check_op(lambda a, b: ef([a, b]), lambda a, b: tf([a, b]), randn(3), randn(2, 2))
    v = to_ember(randn(3))
    out = ef(v)
    out[...] = 0   # a view of the input
    assert not v.numpy().any()


@pytest.mark.parametrize("ios, dim", [(3, 1), (2, 0), (7, 1), ([2, 1, 5], 1), ([-1], -1), ([], 0),
                                      ([1, 1], 0)])
def test_tensor_split(ios, dim):
    check_op(lambda a: ember.tensor_split(a, ios, dim), lambda a: torch.tensor_split(a, ios, dim),
             randn(2, 5))
    check_op(lambda a: a.tensor_split(ios, dim), lambda a: a.tensor_split(ios, dim), randn(2, 5))


def test_tensor_split_tensor_arg_views_and_errors():
    check_op(lambda a: ember.tensor_split(a, T(np.int64(2)), 1),
             lambda a: torch.tensor_split(a, torch.tensor(2), 1), randn(2, 5))
    check_op(lambda a: ember.tensor_split(a, T(np.array([1, 3])), 1),
             lambda a: torch.tensor_split(a, torch.tensor([1, 3]), 1), randn(2, 5))
    x = to_ember(randn(4))
    p = ember.tensor_split(x, 2)[1]
    p[0] = 100.0
    assert x[2].item() == 100.0
    check_error(lambda: ember.tensor_split(T(1.0), 2), RuntimeError,
                "tensor_split expected at least a 1-dimensional tensor, but got a tensor with 0 dims")
    check_error(lambda: ember.tensor_split(x, 0), RuntimeError,
                "number of sections must be larger than 0, got 0")
    check_error(lambda: ember.tensor_split(x, T(np.array([[1]]))), RuntimeError,
                "zero-dimensional or one-dimensional tensor, but got a tensor with 2 dims")
    check_error(lambda: ember.tensor_split(x, T(np.array([1.0], np.float32))), RuntimeError,
                "tensor_split expected tensor_indices_or_sections to have dtype of long, but got "
                "Float")


@pytest.mark.parametrize("name, shape, ios", [("hsplit", (6,), 3), ("hsplit", (2, 4), [1, 3]),
                                              ("vsplit", (4, 2), 2), ("dsplit", (1, 2, 4), 2),
                                              ("dsplit", (1, 2, 4), [3])])
def test_hvdsplit(name, shape, ios):
    check_op(lambda a: getattr(ember, name)(a, ios), lambda a: getattr(torch, name)(a, ios),
             randn(*shape))
    check_op(lambda a: getattr(a, name)(ios), lambda a: getattr(a, name)(ios), randn(*shape))


def test_hvdsplit_errors():
    check_error(lambda: ember.hsplit(T(np.ones((2, 8))), 3), RuntimeError,
                "torch.hsplit attempted to split along dimension 1, but the size of the dimension 8 "
                "is not divisible by the split_size 3!")
    check_error(lambda: ember.vsplit(T(np.ones(8)), 2), RuntimeError,
                "torch.vsplit requires a tensor with at least 2 dimension, but got a tensor with 1 "
                "dimensions!")
    check_error(lambda: ember.dsplit(T(np.ones((8, 2))), 2), RuntimeError,
                "torch.dsplit requires a tensor with at least 3 dimension")
    check_error(lambda: ember.hsplit(T(1.0), 2), RuntimeError,
                "torch.hsplit requires a tensor with at least 1 dimension, but got a tensor with 0 "
                "dimensions!")


@pytest.mark.parametrize("args", [(3, 4), (3, 4, 1), (4, 3, -1), (0, 0), (3, 0), (3, 3, -5)])
def test_tril_triu_indices(args):
    for name in ("tril_indices", "triu_indices"):
        check_op(lambda: getattr(ember, name)(*args), lambda: getattr(torch, name)(*args))
    check_op(lambda: ember.triu_indices(*args, dtype=ember.int32),
             lambda: torch.triu_indices(*args, dtype=torch.int32))
    check_error(lambda: ember.tril_indices(3, 4, dtype=ember.float32), NotImplementedError,
                '"tril_indices" not implemented for \'Float\'')
    check_error(lambda: ember.tril_indices(-1, 4), RuntimeError, "row must be non-negative, got-1")


# -- join ------------------------------------------------------------------------------------
def test_column_row_stack():
    check_op(lambda a, b, c: ember.column_stack([a, b, c]),
             lambda a, b, c: torch.column_stack([a, b, c]), randn(2), randn(2, 3), randn(2, 1))
    check_op(lambda a, b: ember.column_stack((a, b)), lambda a, b: torch.column_stack((a, b)),
             randn(), randn())
    check_op(lambda a, b: ember.row_stack([a, b]), lambda a, b: torch.row_stack([a, b]),
             randn(3), randn(2, 3))
    check_error(lambda: ember.column_stack([]), RuntimeError,
                "column_stack expects a non-empty TensorList")


def test_block_diag():
    check_op(lambda a, b, c: ember.block_diag(a, b, c), lambda a, b, c: torch.block_diag(a, b, c),
             randn(), randn(2), randn(2, 3), gradgradcheck=True)
    check_op(lambda a, b: ember.block_diag(a, b), lambda a, b: torch.block_diag(a, b),
             np.arange(3), randn(2, 2).astype(np.float32))
    check_op(lambda a: ember.block_diag(a, a), lambda a: torch.block_diag(a, a), randn(0, 2))
    check_op(lambda: ember.block_diag(), lambda: torch.block_diag())
    check_error(lambda: ember.block_diag(T(np.ones((1, 2, 2)))), RuntimeError,
                "torch.block_diag: Input tensors must have 2 or fewer dimensions. Input 0 has 3 "
                "dimensions")


def test_cartesian_prod():
    check_op(lambda a, b, c: ember.cartesian_prod(a, b, c),
             lambda a, b, c: torch.cartesian_prod(a, b, c), randn(2), randn(3), randn(1),
             gradgradcheck=True)
    check_op(lambda a: ember.cartesian_prod(a), lambda a: torch.cartesian_prod(a), np.arange(3))
    check_error(lambda: ember.cartesian_prod(T(np.ones((2, 2)))), RuntimeError,
                "Expect a 1D vector, but got shape [2, 2]")
    check_error(lambda: ember.cartesian_prod(T(np.ones(2)), T(np.arange(2))), RuntimeError,
                "meshgrid expects all tensors to have the same dtype")


@pytest.mark.parametrize("sa, sb", [((2, 3), (3, 2)), ((2,), (2, 3)), ((2, 1, 2), (3,)), ((), (2,)),
                                    ((0, 2), (2, 2))])
def test_kron(sa, sb):
    check_op(ember.kron, torch.kron, randn(*sa), randn(*sb), gradgradcheck=True)
    check_op(lambda a, b: a.kron(b), lambda a, b: a.kron(b), randn(*sa), np.arange(int(np.prod(sb)))
             .reshape(sb))


# -- gather ----------------------------------------------------------------------------------
def test_take():
    idx = np.array([[0, -1, 5], [2, 2, 3]])
    check_op(lambda a: ember.take(a, T(idx)), lambda a: torch.take(a, torch.tensor(idx)),
             randn(2, 3), gradgradcheck=True)
    check_op(lambda a: a.t().take(T(idx)), lambda a: a.t().take(torch.tensor(idx)), randn(2, 3))
    check_op(lambda a: ember.take(a, T(np.array(0))), lambda a: torch.take(a, torch.tensor(0)),
             randn())
    check_op(lambda a: ember.take(a, T(np.zeros(0, np.int64))),
             lambda a: torch.take(a, torch.zeros(0, dtype=torch.long)), np.arange(4))
    x = T(np.ones((2, 3)))
    check_error(lambda: ember.take(x, T(np.array([10]))), IndexError,
                "out of range: tried to access index 10 on a tensor of 6 elements.")
    check_error(lambda: ember.take(x, T(np.array([-7]))), IndexError,
                "out of range: tried to access index -7 on a tensor of 6 elements.")
    check_error(lambda: ember.take(x, T(np.array([1], np.int32))), RuntimeError,
                "take(): Expected a long tensor for index, but got Int")


@pytest.mark.parametrize("dim, idx, sshape", [(0, [1], (1, 3)), (1, [2, 0], (2, 2)), (-1, [1], (2, 1)),
                                              (1, [], (2, 0))])
def test_index_copy(dim, idx, sshape):
    i = np.array(idx, np.int64)
    check_op(lambda a, s: ember.index_copy(a, dim, T(i), s),
             lambda a, s: torch.index_copy(a, dim, torch.tensor(i), s), randn(2, 3), randn(*sshape),
             gradgradcheck=True)
    check_op(lambda a, s: a.index_copy(dim, T(i), s),
             lambda a, s: a.index_copy(dim, torch.tensor(i), s), np.arange(6).reshape(2, 3),
             np.arange(int(np.prod(sshape))).reshape(sshape))


def test_index_copy_inplace_scalar_and_errors():
    check_op(lambda a, s: a.clone().index_copy_(0, T(np.array([1, 0])), s),
             lambda a, s: a.clone().index_copy_(0, torch.tensor([1, 0]), s), randn(2, 3), randn(2, 3))
    check_op(lambda a, s: ember.index_copy(a, 0, T(np.array([0])), s),
             lambda a, s: torch.index_copy(a, 0, torch.tensor([0]), s), randn(), randn())
    x = T(np.ones((2, 3), np.float32))
    cases = [
        ((0, T(np.array([0])), T(np.ones((1, 3)))), RuntimeError,
         "index_copy_(): self and source expected to have the same dtype, but got (self) Float and "
         "(source) Double"),
        ((0, T(np.array([0], np.int32)), x[:1]), RuntimeError,
         "index_copy_(): Expected a long tensor for index, but got Int"),
        ((0, T(np.array([5])), x[:1]), IndexError,
         "index_copy_(): index 5 is out of bounds for dimension 0 with size 2"),
        ((0, T(np.array([0, 1])), x[:1]), IndexError,
         "index_copy_(): Number of indices (2) should be equal to source.size(dim) (1)"),
        ((0, T(np.array([0])), x[:1, :2]), RuntimeError,
         "Destination slice shape: 3 at dimension 0 and source slice shape: 2 at dimension 0."),
        ((0, T(np.array([[0]])), x[:1]), IndexError,
         "index_copy_(): Index should have dimension 1 or 0 (got 2)"),
    ]
    for args, exc, msg in cases:
        check_error(lambda: ember.index_copy(x, *args), exc, msg)


# -- reduce ----------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["cummax", "cummin"])
def test_cummax_cummin(name):
    for shape, dim in [((3, 4), 1), ((3, 4), -2), ((), 0), ((0, 2), 0)]:
        check_op(lambda a: getattr(ember, name)(a, dim), lambda a: getattr(torch, name)(a, dim),
                 randn(*shape), gradgradcheck=True)
    ties = np.array([1.0, 3, 3, 2, np.nan, 5, np.nan, 1, -1])
    check_op(lambda a: getattr(a, name)(0), lambda a: getattr(a, name)(0), ties, grad=False)
    check_op(lambda a: getattr(a, name)(0), lambda a: getattr(a, name)(0),
             np.array([3, 1, 1, 4, 4]), grad=False)
    check_op(lambda a: getattr(a, name)(0), lambda a: getattr(a, name)(0),
             np.array([True, False, True]), grad=False)
    r = getattr(ember, name)(T(np.ones(2)), 0)
    assert type(r).__name__ == name and r.values is r[0] and r.indices is r[1]


def test_logcumsumexp():
    check_op(lambda a: ember.logcumsumexp(a, 1), lambda a: torch.logcumsumexp(a, 1), randn(3, 4),
             gradgradcheck=True)
    check_op(lambda a: a.t().logcumsumexp(-1), lambda a: a.t().logcumsumexp(-1), randn(3, 4))
    check_op(lambda a: ember.logcumsumexp(a, 0), lambda a: torch.logcumsumexp(a, 0), randn())
    check_op(lambda a: ember.logcumsumexp(a, 0), lambda a: torch.logcumsumexp(a, 0), randn(0, 3))
    big = np.array([1000.0, -1000.0, 999.0, 0.0])   # stable: no overflow, no log(0)
    check_op(lambda a: ember.logcumsumexp(a, 0), lambda a: torch.logcumsumexp(a, 0), big,
             gradcheck=False)
    check_error(lambda: ember.logcumsumexp(T(np.arange(3)), 0), NotImplementedError,
                "not implemented for 'Long'")


@pytest.mark.parametrize("n, dim", [(1, -1), (2, 0), (0, 1), (5, 1)])
def test_diff(n, dim):
    check_op(lambda a: ember.diff(a, n, dim), lambda a: torch.diff(a, n, dim), randn(3, 4),
             gradgradcheck=True)
    check_op(lambda a: a.diff(n, dim), lambda a: a.diff(n, dim), np.arange(12).reshape(3, 4))


def test_diff_prepend_append_bool_errors():
    check_op(lambda a, p, q: ember.diff(a, 2, 0, p, q), lambda a, p, q: torch.diff(a, 2, 0, p, q),
             randn(3, 2), randn(1, 2), randn(2, 2))
    check_op(lambda a, p: ember.diff(a, prepend=p), lambda a, p: torch.diff(a, prepend=p),
             np.arange(4), randn(1).astype(np.float32), grad=False)
    check_op(lambda a: ember.diff(a), lambda a: torch.diff(a), np.array([True, False, False]))
    check_error(lambda: ember.diff(T(2.0)), RuntimeError,
                "diff expects input to be at least one-dimensional")
    check_error(lambda: ember.diff(T(np.ones(3)), -1), RuntimeError,
                "order must be non-negative but got -1")
    check_error(lambda: ember.diff(T(np.ones((2, 3))), prepend=T(np.ones(3))), RuntimeError,
                "diff expects prepend or append to be the same dimension as input")


@pytest.mark.parametrize("kw", [{}, {"keepdim": True}, {"dim": 1}, {"dim": -2, "keepdim": True}])
def test_aminmax(kw):
    check_op(lambda a: ember.aminmax(a, **kw), lambda a: torch.aminmax(a, **kw), randn(3, 4))
    check_op(lambda a: a.aminmax(**kw), lambda a: a.aminmax(**kw), np.arange(12).reshape(3, 4))


def test_aminmax_fields_and_errors():
    r = ember.aminmax(T(np.array([2.0, -1.0, 5.0])))
    assert r.min.item() == -1.0 and r.max.item() == 5.0 and type(r).__name__ == "aminmax"
    check_op(lambda a: ember.aminmax(a, dim=0), lambda a: torch.aminmax(a, dim=0), randn())
    check_op(lambda a: ember.aminmax(a, dim=1), lambda a: torch.aminmax(a, dim=1), randn(0, 3))
    check_error(lambda: ember.aminmax(T(np.ones((0, 3)))), RuntimeError,
                "aminmax(): cannot compute aminmax over an empty dimension as the operation has no "
                "identity.")
    check_error(lambda: ember.aminmax(T(np.ones((0, 3))), dim=0), IndexError,
                "aminmax: Expected reduction dim 0 to have non-zero size.")


# -- linalg ----------------------------------------------------------------------------------
@pytest.mark.parametrize("sa, sb, dim", [((3,), (3,), 0), ((4, 3), (1, 3), 1), ((3, 2), (3, 2), -2),
                                         ((2, 3, 3), (2, 3, 3), 1)])
def test_cross(sa, sb, dim):
    check_op(lambda a, b: ember.cross(a, b, dim), lambda a, b: torch.cross(a, b, dim),
             randn(*sa), randn(*sb), gradgradcheck=True)
    check_op(lambda a, b: a.cross(b, dim=dim), lambda a, b: a.cross(b, dim=dim),
             np.arange(int(np.prod(sa))).reshape(sa), np.ones(sb, np.int64))


def test_cross_default_dim_and_errors():
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        check_op(ember.cross, lambda a, b: torch.linalg.cross(a, b, dim=0), randn(3, 3), randn(3, 3))
    assert any("Using torch.cross without specifying the dim arg is deprecated" in str(x.message)
               for x in w)
    a2 = T(np.ones((2, 2)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check_error(lambda: ember.cross(a2, a2), RuntimeError, "no dimension of size 3 in input")
    check_error(lambda: ember.cross(a2, a2, dim=1), RuntimeError,
                "linalg.cross: inputs dimension 1 must have length 3. Got 2 and 2")
    check_error(lambda: ember.cross(T(np.ones((3, 2))), T(np.ones(3)), dim=0), RuntimeError,
                "linalg.cross: inputs must have the same number of dimensions.")
    check_error(lambda: ember.cross(T(np.ones((4, 3))), T(np.ones((2, 3))), dim=1), RuntimeError,
                "The size of tensor a (4) must match the size of tensor b (2) at non-singleton "
                "dimension 0")
    check_error(lambda: ember.cross(T(np.ones(3, np.float32)), T(np.ones(3)), dim=0), RuntimeError,
                "expected scalar type Float but found Double")


@pytest.mark.parametrize("sa, sb", [((3,), (3,)), ((2, 3), (4, 3)), ((2, 1, 3), (3,)), ((), (2, 3)),
                                    ((2, 0), (3, 0))])
def test_inner(sa, sb):
    check_op(ember.inner, torch.inner, randn(*sa), randn(*sb), gradgradcheck=True)


def test_inner_errors():
    check_error(lambda: ember.inner(T(np.ones((2, 3))), T(np.ones((2, 4)))), RuntimeError,
                "inner() the last dimension must match on both input tensors but got shapes [2, 3] "
                "and [2, 4]")
    check_op(lambda a, b: a.inner(b), lambda a, b: a.inner(b), np.arange(6).reshape(2, 3),
             np.arange(3))


@pytest.mark.parametrize("n", [0, 1, 2, 3, 5, -1, -2])
def test_matrix_power(n):
    m = randn(2, 3, 3) + 3 * np.eye(3)
    check_op(lambda a: ember.matrix_power(a, n), lambda a: torch.matrix_power(a, n), m,
             gradgradcheck=n in (2, -1), rtol=1e-5, atol=1e-5)
    check_op(lambda a: a.matrix_power(n), lambda a: a.matrix_power(n), m[0].astype(np.float32),
             rtol=1e-4, atol=1e-4, gradcheck=False)


def test_matrix_power_int_copy_errors():
    for n in (0, 1, 3):
        check_op(lambda a: ember.matrix_power(a, n), lambda a: torch.matrix_power(a, n),
                 np.arange(4).reshape(2, 2))
    x = to_ember(randn(2, 2))
    assert ember.matrix_power(x, 1)._base is None
    check_error(lambda: ember.matrix_power(T(np.ones((2, 3))), 2), RuntimeError,
                "linalg.matrix_power: A must be batches of square matrices, but they are 2 by 3 "
                "matrices")
    check_error(lambda: ember.matrix_power(T(np.ones(3)), 2), RuntimeError,
                "linalg.matrix_power: The input tensor A must have at least 2 dimensions.")
