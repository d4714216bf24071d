import numpy as np
import pytest
import torch
from helpers import RNG, check_error, check_op, randn

import ember


def gradchecks(fn, *arrays):
    ins = tuple(ember.tensor(a, requires_grad=True) for a in arrays)
    assert ember.autograd.gradcheck(fn, ins)
    assert ember.autograd.gradgradcheck(fn, ins)


def idx(high, *shape, dtype=np.int64):
    return RNG.integers(0, high, size=shape).astype(dtype)


def perm_idx(size, shape, dim):
    """An index of ``shape`` with distinct entries along ``dim`` (scatter is then deterministic)."""
    keys = RNG.random(shape[:dim] + (size,) + shape[dim + 1:])
    return np.take(np.argsort(keys, axis=dim), np.arange(shape[dim]), axis=dim)


def E(a):
    return ember.tensor(a)


def T(a):
    return torch.tensor(a)


# -- gather ----------------------------------------------------------------------------------
@pytest.mark.parametrize("shape,dim,ishape", [
    ((3, 4), 0, (5, 4)), ((3, 4), 1, (3, 6)), ((3, 4), -1, (2, 3)), ((2, 3, 4), 1, (2, 2, 3)),
    ((2, 3, 4), -3, (4, 1, 1)), ((3, 4), 0, (0, 4)), ((3, 4), 1, (2, 0)), ((), 0, ()),
    ((), 0, (3,)), ((1,), 0, ()),
])
def test_gather(shape, dim, ishape):
    size = shape[dim] if shape else 1
    check_op(lambda a, i: ember.gather(a, dim, i),
             lambda a, i: torch.gather(a, dim, i), randn(*shape), idx(size, *ishape),
         gradgradcheck=True)


def test_gather_variants():
    a, i = randn(4, 3), idx(3, 4, 5)
    check_op(lambda a, i: a.t().gather(0, i),
             lambda a, i: a.t().gather(0, i), a, idx(3, 2, 4), gradgradcheck=True)   # non-contig
    check_op(lambda a, i: a.gather(1, i), lambda a, i: a.gather(1, i), a, i.astype(np.int32))
    check_op(lambda a, i: a.gather(1, i),
             lambda a, i: a.gather(1, i), (a * 10).astype(np.int64), i, grad=False)
    check_op(lambda a, i: ember.gather(a, 1, i, sparse_grad=False),
             lambda a, i: torch.gather(a, 1, i, sparse_grad=False), a, i)


def test_gather_errors():
    x = ember.zeros(3, 4)
    check_error(lambda: x.gather(0, E([[0.0, 1.0]])), RuntimeError,
                "gather(): Expected dtype int32/int64 for index")
    check_error(lambda: x.gather(0, E([0, 1])), RuntimeError,
                "Index tensor must have the same number of dimensions as input tensor")
    check_error(lambda: x.gather(0, E([[0, 5]])), RuntimeError,
                "index 5 is out of bounds for dimension 0 with size 3")
    check_error(lambda: x.gather(0, E([[0, -1]])), RuntimeError,
                "index -1 is out of bounds for dimension 0 with size 3")
    check_error(lambda: x.gather(0, E([[0, 1, 1, 1, 1]])), RuntimeError,
                "Size does not match at dimension 1 expected index [1, 5] to be no larger than "
                "self [3, 4] apart from dimension 0")
    check_error(lambda: x.gather(2, E([[0]])), IndexError,
                "Dimension out of range (expected to be in range of [-2, 1], but got 2)")


# -- scatter / scatter_add -------------------------------------------------------------------------
@pytest.mark.parametrize("shape,dim,ishape,sshape", [
    ((3, 4), 0, (2, 4), (2, 4)), ((3, 4), 1, (3, 2), (3, 5)), ((3, 4), -1, (2, 3), (4, 4)),
    ((2, 3, 4), 1, (2, 2, 3), (2, 2, 3)), ((3, 4), 0, (0, 4), (1, 4)), ((), 0, (), ()),
])
def test_scatter(shape, dim, ishape, sshape):
    size = shape[dim] if shape else 1
    i = perm_idx(size, ishape, dim % max(len(shape), 1)) if shape else np.array(0)
    a, s = randn(*shape), randn(*sshape)
    if sshape == ishape:
        check_op(lambda a, i, s: ember.scatter(a, dim, i, s),
                 lambda a, i, s: torch.scatter(a, dim, i, s), a, i, s, gradgradcheck=True)
    else:   # torch's backward fails when src is larger than index; ember pads src's grad
        check_op(lambda a, i, s: ember.scatter(a, dim, i, s),
                 lambda a, i, s: torch.scatter(a, dim, i, s), a, i, s, grad=False)
        gradchecks(lambda a, s: ember.scatter(a, dim, E(i), s), a, s)
    check_op(lambda a, i: ember.scatter(a, dim, i, 2.5),
             lambda a, i: torch.scatter(a, dim, i, 2.5), a, i, gradgradcheck=True)
    check_op(lambda a, i: a.scatter(dim, i, value=-1.0), lambda a, i: a.scatter(dim, i, value=-1.0), a, i)
    # duplicates are fine for scatter_add
    i = idx(size, *ishape)
    if sshape == ishape:
        check_op(lambda a, i, s: ember.scatter_add(a, dim, i, s),
                 lambda a, i, s: torch.scatter_add(a, dim, i, s), a, i, s, gradgradcheck=True)
    else:
        check_op(lambda a, i, s: ember.scatter_add(a, dim, i, s),
                 lambda a, i, s: torch.scatter_add(a, dim, i, s), a, i, s, grad=False)
        gradchecks(lambda a, s: ember.scatter_add(a, dim, E(i), s), a, s)


@pytest.mark.filterwarnings("ignore:The reduce argument")
def test_scatter_variants():
    a = randn(4, 3)
    i = perm_idx(4, (2, 4), 1)
    check_op(lambda a, i, s: a.t().scatter(1, i, s.t()),
             lambda a, i, s: a.t().scatter(1, i, s.t()), a, i, randn(4, 2), gradgradcheck=True)
    check_op(lambda a, i, s: a.t().scatter_add(1, i, s.t()),
             lambda a, i, s: a.t().scatter_add(1, i, s.t()), a, i, randn(4, 2))
    check_op(lambda a, i: a.scatter(0, i, 2.5),
             lambda a, i: a.scatter(0, i, 2.5), np.arange(12).reshape(3, 4), perm_idx(3, (2, 4), 0),
         grad=False)
    check_op(lambda a, i: a.scatter(0, i, 2.5, reduce="multiply"),
             lambda a, i: a.scatter(0, i, 2.5, reduce="multiply"), randn(3, 4), idx(3, 2, 4),
         grad=False)
    check_op(lambda a, i, s: a.scatter(0, i, s, reduce="add"),
             lambda a, i, s: a.scatter(0, i, s, reduce="add"), randn(3, 4), idx(3, 2, 4),
         randn(2, 4), grad=False)
    check_op(lambda a, i, s: a.scatter(1, i, s),
             lambda a, i, s: a.scatter(1, i, s), randn(3, 4), perm_idx(4, (3, 2), 1).astype(np.int32),
         randn(3, 2))


def test_scatter_reduce_has_no_derivative():
    x = ember.zeros(3, 4, requires_grad=True)
    y = x.scatter(0, E([[0, 1]]), ember.ones(1, 2), reduce="add")
    check_error(lambda: y.sum().backward(), RuntimeError,
                "derivative for aten::scatter is not implemented")


def test_scatter_errors():
    x = ember.zeros(3, 4)
    i = E([[0, 1]])
    check_error(lambda: x.scatter(0, E([[0.0, 1.0]]), 1.0), RuntimeError,
                "scatter(): Expected dtype int32/int64 for index")
    check_error(lambda: x.scatter_add(0, E([[0.0, 1.0]]), x), RuntimeError,
                "scatter(): Expected dtype int32/int64 for index")
    check_error(lambda: x.scatter(0, E([0, 1]), 1.0), RuntimeError,
                "Index tensor must have the same number of dimensions as self tensor")
    check_error(lambda: x.scatter(0, i, ember.ones(1, 2, 3)), RuntimeError,
                "Index tensor must have the same number of dimensions as src tensor")
    check_error(lambda: x.scatter(0, i, ember.ones(1, 1)), RuntimeError,
                "Expected index [1, 2] to be no larger than self [3, 4] apart from dimension 0 and "
                "to be no larger size than src [1, 1]")
    check_error(lambda: x.scatter(0, E([[0, 1, 0, 0, 0]]), 1.0), RuntimeError,
                "Expected index [1, 5] to be no larger than self [3, 4] apart from dimension 0")
    check_error(lambda: x.scatter(0, i, ember.ones(1, 2, dtype=ember.float64)), RuntimeError,
                "scatter(): Expected self.dtype to be equal to src.dtype")
    check_error(lambda: x.scatter_add(0, i, ember.ones(1, 2, dtype=ember.float64)), RuntimeError,
                "scatter(): Expected self.dtype to be equal to src.dtype")
    check_error(lambda: x.scatter(0, E([[0, 9]]), ember.ones(1, 2)), RuntimeError,
                "index 9 is out of bounds for dimension 0 with size 3")
    check_error(lambda: x.scatter(0, E([[0, -1]]), 1.0), RuntimeError,
                "index -1 is out of bounds for dimension 0 with size 3")
    check_error(lambda: x.scatter(0, i, ember.ones(1, 2), reduce="mean"), RuntimeError,
                "reduce argument must be either add or multiply.")


def test_scatter_inplace():
    x = ember.zeros(3, 4)
    v = x._version
    x.scatter_(0, E([[0, 1, 2, 0]]), 1.0)
    x.scatter_add_(1, E([[0, 0], [1, 1], [3, 3]]), ember.ones(3, 2))
    x.index_add_(0, E([2]), ember.ones(1, 4), alpha=3)
    x.index_fill_(1, E([-1]), 7.0)
    t = torch.zeros(3, 4)
    t.scatter_(0, T([[0, 1, 2, 0]]), 1.0)
    t.scatter_add_(1, T([[0, 0], [1, 1], [3, 3]]), torch.ones(3, 2))
    t.index_add_(0, T([2]), torch.ones(1, 4), alpha=3)
    t.index_fill_(1, T([-1]), 7.0)
    assert x.tolist() == t.tolist()
    assert x._version == v + 4
    # autograd through an in-place scatter on a non-leaf
    a = ember.tensor(randn(3, 4), requires_grad=True)
    s = ember.ones(1, 4, dtype=ember.float64, requires_grad=True)
    y = a * 2
    y.scatter_(0, E([[0, 1, 2, 0]]), s)
    y.sum().backward()
    assert a.grad.tolist() == [[0, 2, 2, 0], [2, 0, 2, 2], [2, 2, 0, 2]]
    assert s.grad.tolist() == [[1, 1, 1, 1]]


# -- index_select / index_add / index_fill ---------------------------------------------------------
@pytest.mark.parametrize("shape,dim,n", [((3, 4), 0, 5), ((3, 4), -1, 2), ((2, 3, 4), 1, 0),
                                         ((5,), 0, 3), ((), 0, 1)])
def test_index_select_add(shape, dim, n):
    size = shape[dim] if shape else 1
    i = idx(size, n)
    check_op(lambda a, i: ember.index_select(a, dim, i),
             lambda a, i: torch.index_select(a, dim, i), randn(*shape), i, gradgradcheck=True)
    sshape = list(shape) or [1]
    sshape[dim] = n
    src = randn(*sshape) if shape else randn()
    check_op(lambda a, i, s: ember.index_add(a, dim, i, s),
             lambda a, i, s: torch.index_add(a, dim, i, s), randn(*shape), i, src, gradgradcheck=True)
    check_op(lambda a, i, s: a.index_add(dim, i, s, alpha=-2.0),
             lambda a, i, s: a.index_add(dim, i, s, alpha=-2.0), randn(*shape), i, src)


def test_index_select_variants():
    check_op(lambda a, i: a.t().index_select(0, i),
             lambda a, i: a.t().index_select(0, i), randn(3, 4), idx(4, 6), gradgradcheck=True)
    check_op(lambda a, i: a.index_select(1, i), lambda a, i: a.index_select(1, i), randn(3, 4),
             np.array(2))   # 0-d index
    check_op(lambda a, i: a.index_select(1, i),
             lambda a, i: a.index_select(1, i), randn(3, 4), idx(4, 3, dtype=np.int32))
    check_op(lambda a, i: a.index_select(0, i),
             lambda a, i: a.index_select(0, i), np.arange(12).reshape(3, 4), idx(3, 2), grad=False)
    check_op(lambda a, i, s: a.t().index_add(0, i, s.t()),
             lambda a, i, s: a.t().index_add(0, i, s.t()), randn(3, 4), idx(4, 2), randn(3, 2))


def test_index_fill():
    check_op(lambda a, i: ember.index_fill(a, 1, i, 2.5),
             lambda a, i: torch.index_fill(a, 1, i, 2.5), randn(3, 4), np.array([0, -1, 0]),
         gradgradcheck=True)
    check_op(lambda a, i, v: a.index_fill(0, i, v),
             lambda a, i, v: a.index_fill(0, i, v), randn(3, 4), np.array([2, 2, 0]), randn(),
         gradgradcheck=True)
    check_op(lambda a, i: ember.index_fill(a, 0, i, 1.5),
             lambda a, i: torch.index_fill(a, 0, i, 1.5), np.zeros((2, 3), np.int64), np.array(1),
         grad=False)
    check_op(lambda a, i: ember.index_fill(a, 0, i, 3.0),
             lambda a, i: torch.index_fill(a, 0, i, 3.0), randn(), np.array([0]))
    x = ember.zeros(3, 4)
    check_error(lambda: x.index_fill(0, E([0, 7]), 2.0), IndexError,
                "index 7 is out of bounds for dimension 0 with size 3")
    check_error(lambda: x.index_fill(0, E([0]).int(), 2.0), IndexError,
                "index_fill_(): Expected dtype int64 for index.")
    check_error(lambda: x.index_fill(0, E([0]), ember.ones(1)), RuntimeError,
                "index_fill_ only supports a 0-dimensional value tensor, but got tensor with 1 "
                "dimension(s).")


def test_index_errors():
    x = ember.zeros(3, 4)
    check_error(lambda: x.index_select(0, E([[0, 1]])), IndexError,
                "index_select(): Index is supposed to be a vector")
    check_error(lambda: x.index_select(0, E([0.0])), RuntimeError,
                "index_select(): Expected dtype int32 or int64 for index")
    check_error(lambda: x.index_select(0, E([0, 5])), IndexError, "index out of range in self")
    check_error(lambda: x.index_select(0, E([-1])), IndexError, "index out of range in self")
    check_error(lambda: ember.tensor(3.0).index_select(0, E([0, 0])), RuntimeError,
                "index_select(): Index to scalar can have only 1 value, got 2 value(s)")
    check_error(lambda: x.index_select(2, E([0])), IndexError, "Dimension out of range")
    ones = ember.ones
    check_error(lambda: x.index_add(0, E([0, 0]), ones(3, 4)), RuntimeError,
                "index_add_(): Number of indices (2) should be equal to source.size(dim): (3), "
                "for dim: 0")
    check_error(lambda: x.index_add(0, E([0, 5]), ones(2, 4)), RuntimeError,
                "index 5 is out of bounds for dimension 0 with size 3")
    check_error(lambda: x.index_add(0, E([0, 1]), ones(2, 4, dtype=ember.float64)), RuntimeError,
                "index_add_(): self (Float) and source (Double) must have the same scalar type")
    check_error(lambda: x.index_add(0, E([[0, 1]]), ones(2, 4)), IndexError,
                "index_add_(): Index is supposed to be a vector, but got dim: 2 with type: Long "
                "and size: [1, 2]")
    check_error(lambda: x.index_add(0, E([0.0]), ones(1, 4)), RuntimeError,
                "index_add_(): Expected dtype int32/int64 for index but got: Float")
    check_error(lambda: x.index_add(0, E([0, 0]), ones(2, 5)), RuntimeError,
                "source tensor shape must match self tensor shape, excluding the specified "
                "dimension. Got self.shape = [3, 4] source.shape = [2, 5]")
    check_error(lambda: x.index_add(1, E([0]), ones(3)), RuntimeError,
                "index_add_(): Indexing dim 1 is out of bounds of the source tensor with dim 1")


# -- masks -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("sa,sm", [((3, 4), (3, 4)), ((3, 4), (4,)), ((4,), (3, 1)), ((), (2, 3)),
                                   ((0, 4), (4,)), ((2, 3), ())])
def test_masked_select_scatter(sa, sm):
    m = np.asarray(RNG.random(sm) > 0.4)
    check_op(lambda a, m: ember.masked_select(a, m),
             lambda a, m: torch.masked_select(a, m), randn(*sa), m, gradgradcheck=True)
    n = int(np.broadcast_to(m, np.broadcast_shapes(sa, sm)).sum())
    check_op(lambda a, m, s: ember.masked_scatter(a, m, s),
             lambda a, m, s: torch.masked_scatter(a, m, s), randn(*sa), m, randn(n + 2),
         gradgradcheck=True)


@pytest.mark.parametrize("sa,sm", [((3, 4), (3, 4)), ((3, 4), (4,)), ((2, 3, 4), (3, 1)),
                                   ((), ()), ((0, 4), (4,))])
@pytest.mark.parametrize("value", [0, 0.0, -2.5])
def test_masked_fill(sa, sm, value):
    m = np.asarray(RNG.random(sm) > 0.4)
    check_op(lambda a, m: a.masked_fill(m, value),
             lambda a, m: a.masked_fill(m, value), randn(*sa), m, gradgradcheck=True)
    check_op(lambda a, m, v: ember.masked_fill(a, m, v.sum()),
             lambda a, m, v: torch.masked_fill(a, m, v.sum()), randn(*sa), m, randn(2))


def test_masked_fill_zero_keeps_torch_semantics():
    # the zero fill works on the floats' bits: +0.0 where masked, inf, nan and -0.0 kept as they
    # are elsewhere
    a = np.array([-1.5, 2.0, np.inf, np.nan, -np.inf, np.nan, -0.0, -0.0], np.float32)
    m = np.array([True, False, True, True, False, False, True, False])
    got = ember.tensor(a).masked_fill(E(m), 0).numpy()
    want = torch.tensor(a).masked_fill(T(m), 0).numpy()
    np.testing.assert_array_equal(got, want)
    assert not np.signbit(got[m]).any()
    np.testing.assert_array_equal(np.signbit(got), np.signbit(want))
    # relu's backward is this fill: a nan gradient where relu was off is dropped
    x = ember.tensor([-1.0, 2.0], requires_grad=True)
    x.relu().backward(ember.tensor([np.nan, 3.0]))
    assert x.grad.tolist() == [0.0, 3.0]


def test_masked_variants():
    m = RNG.random((4, 3)) > 0.5
    check_op(lambda a, m: a.t().masked_select(m.t()),
             lambda a, m: a.t().masked_select(m.t()), randn(4, 3), m, gradgradcheck=True)
    check_op(lambda a, m, s: a.masked_scatter(m, s.t()),
             lambda a, m, s: a.masked_scatter(m, s.t()), randn(4, 3), m, randn(3, 4))
    check_op(lambda a, m: a.masked_select(m),
             lambda a, m: a.masked_select(m), np.arange(12).reshape(4, 3), m, grad=False)
    x, t = ember.zeros(4, 3), torch.zeros(4, 3)
    x.masked_scatter_(E(m[0]), ember.arange(20.0))
    t.masked_scatter_(T(m[0]), torch.arange(20.0))
    assert x.tolist() == t.tolist()
    check_error(lambda: x.masked_select(ember.ones(3)), RuntimeError,
                "masked_select: expected BoolTensor for mask")
    check_error(lambda: x.masked_select(ember.ones(5, dtype=ember.bool)), RuntimeError,
                "The size of tensor a (3) must match the size of tensor b (5) at non-singleton "
                "dimension 1")
    check_error(lambda: x.masked_scatter(E(m), ember.ones(2)), RuntimeError,
                "Number of elements of source < number of ones in mask")
    check_error(lambda: x.masked_scatter(E(m), ember.ones(20, dtype=ember.float64)), RuntimeError,
                "masked_scatter: expected self and source to have same dtypes but gotFloat and "
                "Double")
    check_error(lambda: x.masked_scatter(x, ember.ones(20)), RuntimeError,
                "masked_scatter_ only supports boolean masks, but got mask with dtype Float")


# -- where / nonzero / take_along_dim --------------------------------------------------------------
@pytest.mark.parametrize("sc,sx,sy", [((3, 4), (3, 4), (3, 4)), ((3, 4), (4,), (3, 1)),
                                      ((4,), (2, 1, 4), ()), ((), (2, 3), (3,)), ((0, 3), (3,), (1,))])
def test_where(sc, sx, sy):
    c = np.asarray(RNG.random(sc) > 0.5)
    check_op(lambda c, x, y: ember.where(c, x, y),
             lambda c, x, y: torch.where(c, x, y), c, randn(*sx), randn(*sy), gradgradcheck=True)


def test_where_scalars_and_dtypes():
    c = RNG.random((3, 4)) > 0.5
    x = randn(3, 4)
    check_op(lambda c, x: ember.where(c, x, 0.0),
             lambda c, x: torch.where(c, x, 0.0), c, x, gradgradcheck=True)
    check_op(lambda c, y: ember.where(c, 2, y), lambda c, y: torch.where(c, 2, y), c, x, gradgradcheck=True)
    check_op(lambda c, x: x.where(c, -1.0), lambda c, x: x.where(c, -1.0), c, x)
    check_op(lambda c, x: ember.where(c.t(), x.t(), 0.0),   # non-contiguous
             lambda c, x: torch.where(c.t(), x.t(), 0.0), c, x)
    check_op(lambda c, x, y: ember.where(c, x, y),
             lambda c, x, y: torch.where(c, x, y), c, x.astype(np.float32), randn(4))
    check_op(lambda c: ember.where(c, 1, 0), lambda c: torch.where(c, 1, 0), c, grad=False)
    check_op(lambda c: ember.where(c, 1.0, 0), lambda c: torch.where(c, 1.0, 0), c, grad=False)
    check_op(lambda c: ember.where(c, True, False), lambda c: torch.where(c, True, False), c, grad=False)
    check_op(lambda c, x: ember.where(c, x, 2.5),
             lambda c, x: torch.where(c, x, 2.5), c, np.arange(12).reshape(3, 4), grad=False)
    check_op(lambda c, x, y: ember.where(c, x, y),
             lambda c, x, y: torch.where(c, x, y), c, np.arange(4, dtype=np.uint8),
         np.array(1, np.int8), grad=False)
    check_op(lambda c, x, y: ember.where(c, x, y),
             lambda c, x, y: torch.where(c, x, y), c, np.arange(4, dtype=np.int32), np.array(1.5),
         grad=False)
    check_op(lambda c: ember.where(c), lambda c: torch.where(c), c, grad=False)
    check_error(lambda: ember.where(ember.ones(2), ember.ones(2), ember.ones(2)), RuntimeError,
                "where expected condition to be a boolean tensor, but got a tensor with dtype Float")
    check_error(lambda: ember.where(E(c), ember.ones(5), 0.0), RuntimeError,
                "The size of tensor a (4) must match the size of tensor b (5) at non-singleton "
                "dimension 1")


@pytest.mark.parametrize("shape", [(3, 4), (5,), (), (2, 0), (2, 3, 2)])
def test_nonzero(shape):
    a = np.asarray(RNG.random(shape) > 0.5).astype(np.float32)
    check_op(lambda a: ember.nonzero(a), lambda a: torch.nonzero(a), a, grad=False)
    check_op(lambda a: ember.nonzero(a, as_tuple=True),
             lambda a: torch.nonzero(a, as_tuple=True), a, grad=False)
    check_op(lambda a: a.nonzero(), lambda a: a.nonzero(), a, grad=False)
    check_op(lambda a: ember.argwhere(a), lambda a: torch.argwhere(a), a, grad=False)
    check_op(lambda a: ember.nonzero(a, as_tuple=True),
             lambda a: torch.nonzero(a, as_tuple=True), np.array(0.0), grad=False)


def test_take_along_dim():
    a = randn(3, 4)
    check_op(lambda a, i: ember.take_along_dim(a, i),
             lambda a, i: torch.take_along_dim(a, i), a, idx(12, 2, 5), gradgradcheck=True)
    check_op(lambda a, i: ember.take_along_dim(a, i, 1),
             lambda a, i: torch.take_along_dim(a, i, 1), a, idx(4, 3, 6), gradgradcheck=True)
    check_op(lambda a, i: ember.take_along_dim(a, i, -1),
             lambda a, i: torch.take_along_dim(a, i, -1), a, idx(4, 1, 2), gradgradcheck=True)
    check_op(lambda a, i: ember.take_along_dim(a, i, 0),
             lambda a, i: torch.take_along_dim(a, i, 0), randn(3, 1), idx(3, 2, 5), gradgradcheck=True)
    check_op(lambda a, i: a.t().take_along_dim(i, 0),
             lambda a, i: a.t().take_along_dim(i, 0), a, idx(4, 2, 3))
    x = ember.zeros(3, 4)
    check_error(lambda: x.take_along_dim(E([[0, 2]]).int(), 0), RuntimeError,
                "torch.take_along_dim(): dtype of indices should be Long but got Int")
    check_error(lambda: x.take_along_dim(E([0, 2]), 0), RuntimeError,
                "torch.take_along_dim(): input and indices should have the same number of "
                "dimensions, but got 2 dimensions for input, and 1 dimensions for indices")
    check_error(lambda: x.take_along_dim(E([[0, 2]]), 0), RuntimeError,
                "The size of tensor a (4) must match the size of tensor b (2) at non-singleton "
                "dimension 1")


def test_grad_fn_names():
    x = ember.randn(3, 4, requires_grad=True)
    i = E([[0, 1]])
    assert x.gather(0, i).grad_fn.name() == "GatherBackward0"
    assert x.scatter_add(0, i, x).grad_fn.name() == "ScatterAddBackward0"
    assert x.index_select(0, E([0])).grad_fn.name() == "IndexSelectBackward0"
    assert ember.where(x > 0, x, 0).grad_fn.name() == "WhereBackward0"
    assert x.masked_select(x > 0).grad_fn.name() == "MaskedSelectBackward0"
    assert not x.nonzero().requires_grad


# -- take, index_copy --------------------------------------------------------------------------------
def test_take():
    idx = np.array([[0, -1, 5], [2, 2, 3]])
    check_op(lambda a: ember.take(a, E(idx)), lambda a: torch.take(a, torch.tensor(idx)),
             randn(2, 3), gradgradcheck=True)
    check_op(lambda a: a.t().take(E(idx)), lambda a: a.t().take(torch.tensor(idx)), randn(2, 3))
    check_op(lambda a: ember.take(a, E(np.array(0))), lambda a: torch.take(a, torch.tensor(0)),
             randn())
    check_op(lambda a: ember.take(a, E(np.zeros(0, np.int64))),
             lambda a: torch.take(a, torch.zeros(0, dtype=torch.long)), np.arange(4))
    x = E(np.ones((2, 3)))
    check_error(lambda: ember.take(x, E(np.array([10]))), IndexError,
                "out of range: tried to access index 10 on a tensor of 6 elements.")
    check_error(lambda: ember.take(x, E(np.array([-7]))), IndexError,
                "out of range: tried to access index -7 on a tensor of 6 elements.")
    check_error(lambda: ember.take(x, E(np.array([1], np.int32))), RuntimeError,
                "take(): Expected a long tensor for index, but got Int")


@pytest.mark.parametrize("dim, idx, sshape", [(0, [1], (1, 3)), (1, [2, 0], (2, 2)), (-1, [1], (2, 1)),
                                              (1, [], (2, 0))])
def test_index_copy(dim, idx, sshape):
    i = np.array(idx, np.int64)
    check_op(lambda a, s: ember.index_copy(a, dim, E(i), s),
             lambda a, s: torch.index_copy(a, dim, torch.tensor(i), s), randn(2, 3), randn(*sshape),
             gradgradcheck=True)
    check_op(lambda a, s: a.index_copy(dim, E(i), s),
             lambda a, s: a.index_copy(dim, torch.tensor(i), s), np.arange(6).reshape(2, 3),
             np.arange(int(np.prod(sshape))).reshape(sshape))


def test_index_copy_inplace_scalar_and_errors():
    check_op(lambda a, s: a.clone().index_copy_(0, E(np.array([1, 0])), s),
             lambda a, s: a.clone().index_copy_(0, torch.tensor([1, 0]), s), randn(2, 3), randn(2, 3))
    check_op(lambda a, s: ember.index_copy(a, 0, E(np.array([0])), s),
             lambda a, s: torch.index_copy(a, 0, torch.tensor([0]), s), randn(), randn())
    x = E(np.ones((2, 3), np.float32))
    cases = [
        ((0, E(np.array([0])), E(np.ones((1, 3)))), RuntimeError,
         "index_copy_(): self and source expected to have the same dtype, but got (self) Float and "
         "(source) Double"),
        ((0, E(np.array([0], np.int32)), x[:1]), RuntimeError,
         "index_copy_(): Expected a long tensor for index, but got Int"),
        ((0, E(np.array([5])), x[:1]), IndexError,
         "index_copy_(): index 5 is out of bounds for dimension 0 with size 2"),
        ((0, E(np.array([0, 1])), x[:1]), IndexError,
         "index_copy_(): Number of indices (2) should be equal to source.size(dim) (1)"),
        ((0, E(np.array([0])), x[:1, :2]), RuntimeError,
         "Destination slice shape: 3 at dimension 0 and source slice shape: 2 at dimension 0."),
        ((0, E(np.array([[0]])), x[:1]), IndexError,
         "index_copy_(): Index should have dimension 1 or 0 (got 2)"),
    ]
    for args, exc, msg in cases:
        check_error(lambda: ember.index_copy(x, *args), exc, msg)
