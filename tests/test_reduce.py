import pickle
import warnings

import numpy as np
import pytest
import torch
from helpers import check_error, check_op, randn

import ember

DIMS = [None, 0, -1, (0, 2), [-1, 0]]


def fns(name, *args, **kw):
    """The same call in ember and in torch."""
    return (lambda a: getattr(ember, name)(a, *args, **kw),
            lambda a: getattr(torch, name)(a, *args, **kw))


def methods(name, *args, **kw):
    return (lambda a: getattr(a, name)(*args, **kw), lambda a: getattr(a, name)(*args, **kw))


def kw_dim(dim, keepdim):
    return {} if dim is None else {"dim": dim, "keepdim": keepdim}


# -- sum, mean, nansum, nanmean ------------------------------------------------------------
@pytest.mark.parametrize("dim", DIMS)
@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("op", ["sum", "mean"])
def test_sum_mean(op, dim, keepdim):
    check_op(*fns(op, **kw_dim(dim, keepdim)), randn(2, 3, 2), gradgradcheck=True)


@pytest.mark.parametrize("op", ["sum", "mean", "nansum", "nanmean"])
def test_sum_like_edges(op):
    check_op(*fns(op), randn(), gradgradcheck=True)                   # 0-d
    check_op(*fns(op, 0), randn(), gradgradcheck=True)
    check_op(*fns(op, dim=()), randn(2, 3))                              # () = every dim
    check_op(*fns(op, 1, keepdim=True), randn(0, 3), gradcheck=False)     # size-0 dims
    check_op(*fns(op, 0), randn(0, 3), gradcheck=False)
    check_op(lambda a: getattr(ember, op)(a.t(), 0), lambda a: getattr(torch, op)(a.t(), 0),
             randn(4, 3))                                               # non-contiguous
    check_op(*methods(op, (1, 2)), randn(2, 3, 2))


@pytest.mark.filterwarnings("ignore:invalid value:RuntimeWarning")   # inf * 0, as torch
@pytest.mark.parametrize("op", ["nansum", "nanmean"])
@pytest.mark.parametrize("dim", [None, 1, (0, 1)])
def test_nan_reductions(op, dim):
    x = randn(3, 4)
    x[0, 1] = x[2, 3] = np.nan
    x[1, :] = np.nan
    check_op(*fns(op, **kw_dim(dim, False)), x, gradcheck=False)
    check_op(*fns(op, **kw_dim(dim, True)), randn(3, 4), gradgradcheck=True)


def test_sum_dtypes():
    for dt in (np.int8, np.uint8, np.int32, np.int64, np.bool_, np.float16, np.float32):
        a = (randn(3, 4) * 3).astype(dt)
        check_op(*fns("sum"), a, grad=False)
        check_op(*fns("sum", 1), a, grad=False)
        check_op(*fns("nansum", 0), a, grad=False)
    check_op(*fns("sum", dtype=torch.float64), np.arange(6).reshape(2, 3), grad=False)
    check_op(lambda a: ember.sum(a, dtype=ember.float64), lambda a: torch.sum(a, dtype=torch.float64),
             randn(3, dtype=np.float32))
    check_op(lambda a: ember.mean(a, dtype=ember.float32), lambda a: torch.mean(a, dtype=torch.float32),
             np.arange(6), grad=False)
    for op in ("mean", "nanmean"):
        with pytest.raises(RuntimeError) as e:
            getattr(torch, op)(torch.tensor([1, 2]))
        check_error(lambda: getattr(ember, op)(ember.tensor([1, 2])), RuntimeError, str(e.value))


def test_full_reduction_grad_is_a_plain_expand():
    # the 0-d gradient of a full sum is expanded directly: one node, no reshape
    x = ember.tensor(randn(3, 4), requires_grad=True)
    v = ember.tensor(2.0, dtype=ember.float64, requires_grad=True)
    (g,) = ember.autograd.grad(x.sum(), x, v, create_graph=True)
    assert g.grad_fn.name() == "ExpandBackward0"
    assert g.grad_fn.next_functions[0][0] is v.grad_fn or \
        g.grad_fn.next_functions[0][0].name() == "torch::autograd::AccumulateGrad"
    assert np.all(g.detach().numpy() == 2.0)
    # keepdim: no reshape either
    (g,) = ember.autograd.grad(x.sum(1, keepdim=True), x, ember.ones(3, 1, dtype=ember.float64),
                               create_graph=True)
    assert g.shape == (3, 4)


def test_dim_errors():
    x = ember.ones(2, 3)
    for f in (lambda d: x.sum(d), lambda d: x.amax(d), lambda d: x.var(d), lambda d: x.max(d),
              lambda d: x.argmax(d), lambda d: x.cumsum(d), lambda d: x.prod(d),
              lambda d: x.logsumexp(d), lambda d: x.all(d), lambda d: x.count_nonzero(d)):
        check_error(lambda: f(2), IndexError,
                    "Dimension out of range (expected to be in range of [-2, 1], but got 2)")
    check_error(lambda: x.sum((0, -2)), RuntimeError, "dim 0 appears multiple times in the list "
                                                      "of dims")
    check_error(lambda: ember.ones(()).sum(1), IndexError,
                "Dimension out of range (expected to be in range of [-1, 0], but got 1)")


# -- prod, cumsum, cumprod -----------------------------------------------------------------
@pytest.mark.parametrize("dim", [None, 0, -1])
@pytest.mark.parametrize("keepdim", [False, True])
def test_prod(dim, keepdim):
    kw = {} if dim is None else {"dim": dim, "keepdim": keepdim}
    check_op(*fns("prod", **kw), randn(2, 3, 2), gradgradcheck=True)
    one_zero = randn(2, 3, 2)
    one_zero[1, 2, 0] = 0
    check_op(*fns("prod", **kw), one_zero, gradgradcheck=True)
    two_zeros = randn(2, 3, 2)
    two_zeros[1, 2, 0] = two_zeros[1, 0, 0] = two_zeros[0, 1, 1] = 0
    check_op(*fns("prod", **kw), two_zeros, gradgradcheck=True)


def test_prod_edges():
    check_op(*fns("prod"), randn(), gradgradcheck=True)
    check_op(*fns("prod", 0, keepdim=True), randn(), gradgradcheck=True)
    check_op(*fns("prod", 0), randn(0, 3), gradcheck=False)
    check_op(*fns("prod", 1), randn(0, 3), gradcheck=False)
    check_op(*fns("prod"), randn(0, 3), gradcheck=False)
    check_op(lambda a: a.t().prod(1), lambda a: a.t().prod(1), randn(3, 4), gradgradcheck=True)
    for dt in (np.int32, np.int64, np.bool_, np.uint8):
        check_op(*fns("prod"), (randn(5) * 3).astype(dt), grad=False)
        check_op(*fns("prod", 0), (randn(5) * 3).astype(dt), grad=False)
    check_op(*fns("prod", 1, dtype=torch.float64), np.arange(6).reshape(2, 3), grad=False)
    check_error(lambda: ember.ones(2, 3).prod((0, 1)), TypeError, "prod()")
    x = ember.tensor([[3.0, 1.0]], requires_grad=True)
    assert x.prod().grad_fn.name() == "ProdBackward0"
    assert x.prod(1).grad_fn.name() == "ProdBackward1"


@pytest.mark.parametrize("op", ["cumsum", "cumprod"])
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_cumulative(op, dim):
    check_op(*fns(op, dim), randn(3, 4), gradgradcheck=True)
    check_op(lambda a: getattr(a.t(), op)(dim), lambda a: getattr(a.t(), op)(dim), randn(4, 3))


@pytest.mark.parametrize("op", ["cumsum", "cumprod"])
def test_cumulative_edges_and_dtypes(op):
    check_op(*fns(op, 0), randn(), gradgradcheck=True)
    check_op(*fns(op, -1), randn(), gradgradcheck=True)
    check_op(*fns(op, 1), randn(2, 0), gradcheck=False)
    check_op(*fns(op, 0), randn(1, 3), gradgradcheck=True)
    for dt in (np.int8, np.int32, np.int64, np.bool_, np.uint8, np.float16):
        check_op(*fns(op, 0), (randn(4) * 2).astype(dt), grad=False)
    check_op(*fns(op, 0, dtype=torch.float64), np.arange(1, 5), grad=False)
    check_op(lambda a: getattr(ember, op)(a, 0, dtype=ember.float64),
             lambda a: getattr(torch, op)(a, 0, dtype=torch.float64), randn(4, dtype=np.float32))


def test_cumulative_inplace():
    for op in ("cumsum_", "cumprod_"):
        a = np.arange(1, 7, dtype=np.int32).reshape(2, 3)
        e, t = ember.tensor(a.copy()), torch.tensor(a.copy())
        getattr(e, op)(1)
        getattr(t, op)(1)
        assert e.dtype == ember.int32 and e.tolist() == t.tolist()
        check_op(lambda x: getattr(x * 1, op)(0), lambda x: getattr(x * 1, op)(0), randn(3, 2))


def test_cumprod_zeros():
    x = randn(4, 5)
    x[0, 1] = 0                     # one zero
    x[1, 0] = x[1, 3] = 0           # two zeros
    x[2, 4] = 0                     # a zero at the end
    x[3, 2] = x[3, 3] = 0           # two neighbouring zeros
    for dim in (1, 0):
        # first order: the O(n) path; gradgradcheck: the create_graph path
        check_op(*fns("cumprod", dim), x, gradgradcheck=True)
    check_op(lambda a: a.cumprod(-1), lambda a: a.cumprod(-1), x[:, None, :].copy(),
             gradgradcheck=True)
    # the reversed scan (used inside prod's backward) on both gradient paths
    from ember.ops.reduce import Cumprod
    check_op(lambda a: Cumprod.apply(a, 1, None, True), lambda a: a.flip(1).cumprod(1).flip(1), x,
             gradgradcheck=True)


# -- var, std ------------------------------------------------------------------------------
@pytest.mark.parametrize("op", ["var", "std"])
@pytest.mark.parametrize("dim", DIMS)
@pytest.mark.parametrize("keepdim", [False, True])
def test_var_std(op, dim, keepdim):
    check_op(*fns(op, **kw_dim(dim, keepdim)), randn(2, 3, 2), gradgradcheck=True)


@pytest.mark.parametrize("op", ["var", "std"])
def test_var_std_corrections(op):
    x = randn(3, 4)
    for i, kw in enumerate(({"correction": 0}, {"correction": 2}, {"correction": 1.5},
                            {"unbiased": False}, {"unbiased": True})):
        check_op(*fns(op, 1, **kw), x, gradgradcheck=i < 2)
        check_op(*fns(op, **kw), x)
    check_op(*fns(op, False), x)                 # legacy var(x, unbiased)
    check_op(*fns(op, 0, False, True), x)         # legacy var(x, dim, unbiased, keepdim)
    check_op(*methods(op, (0, 1), correction=0, keepdim=True), x)
    check_op(lambda a: getattr(ember, op)(a.t(), 0), lambda a: getattr(torch, op)(a.t(), 0), x)
    check_op(*fns(op, dim=()), x, grad=False)     # torch's backward of dim=() is off
    check_op(*fns(op), np.zeros((2, 3)))          # a zero std: zero gradient, as torch
    check_op(*fns(op, 1), randn(3, 4, dtype=np.float32), gradcheck=False)
    check_error(lambda: getattr(ember, op)(ember.tensor([1, 2])), RuntimeError,
                "std and var only support floating point and complex dtypes")
    check_error(lambda: getattr(ember, op)(ember.ones(3), 0, True, correction=1), TypeError, op)


@pytest.mark.parametrize("op", ["var", "std"])
def test_var_std_no_degrees_of_freedom(op):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for x, kw in ((randn(1), {}), (randn(3), {"correction": 3}), (randn(), {}),
                      (randn(0, 3), {"dim": 0}), (randn(2, 3), {"dim": 1, "correction": 4})):
            check_op(*fns(op, **kw), x, gradcheck=False)
    with pytest.warns(UserWarning, match=f"{op}\\(\\): degrees of freedom is <= 0"):
        getattr(ember, op)(ember.ones(1))


@pytest.mark.parametrize("op", ["var_mean", "std_mean"])
def test_var_std_mean(op):
    check_op(*fns(op, 1), randn(3, 4), gradgradcheck=True)
    check_op(*fns(op, (0, 1), correction=0, keepdim=True), randn(3, 4))
    check_op(*fns(op), randn(3, 4))
    assert type(getattr(ember, op)(ember.ones(3))) is tuple


# -- max, min, amax, amin, argmax, argmin --------------------------------------------------
@pytest.mark.parametrize("op", ["max", "min"])
def test_max_min(op):
    check_op(*fns(op), randn(3, 4), gradgradcheck=True)
    for dim in (0, 1, -1):
        for keepdim in (False, True):
            check_op(*fns(op, dim, keepdim), randn(3, 4), gradgradcheck=True)
    check_op(*fns(op, dim=1, keepdim=True), randn(2, 3, 2))
    check_op(*fns(op), randn(), gradgradcheck=True)
    check_op(*fns(op, 0), randn(), gradgradcheck=True)
    check_op(*fns(op, -1, True), randn(), gradgradcheck=True)
    check_op(lambda a: getattr(a.t(), op)(0), lambda a: getattr(a.t(), op)(0), randn(3, 4))
    check_op(*fns(op, 1), randn(0, 3), gradcheck=False)
    for dt in (np.int32, np.int64, np.uint8, np.bool_, np.float16):
        a = (randn(3, 4) * 3).astype(dt)
        check_op(*fns(op), a, grad=False)
        check_op(*fns(op, 1), a, grad=False)


@pytest.mark.parametrize("op", ["max", "min"])
def test_max_min_ties_and_nan(op):
    x = np.array([[1.0, 3.0, 3.0, -1.0], [2.0, 0.0, 2.0, 0.0], [5.0, 5.0, 5.0, 5.0]])
    # no dim: the gradient is shared among the ties; with a dim it goes to the chosen index
    check_op(*fns(op), x, gradcheck=False)
    check_op(*fns(op, 1), x, gradcheck=False)
    check_op(*fns(op, 0, True), x, gradcheck=False)
    check_op(*fns(op, 1), np.array([[3, 1, 3, 1]]), grad=False)
    y = np.array([[1.0, np.nan, 3.0, np.nan], [4.0, 1.0, 2.0, 0.0]])
    check_op(*fns(op), y, gradcheck=False)
    check_op(*fns(op, 1), y, gradcheck=False)


@pytest.mark.parametrize("op", ["max", "min"])
def test_max_min_result_type_and_errors(op):
    r = getattr(ember, op)(ember.tensor([[1.0, 5.0], [7.0, 2.0]]), 1)
    values, indices = r
    assert values is r.values and indices is r.indices and r[0] is r.values
    assert isinstance(r, tuple) and len(r) == 2
    assert type(r) is getattr(ember.return_types, op)
    assert repr(r).startswith(f"ember.return_types.{op}(\nvalues=tensor(")
    assert indices.dtype == ember.int64
    assert pickle.loads(pickle.dumps(r)).indices.tolist() == indices.tolist()
    check_error(lambda: getattr(ember, op)(ember.ones(0)), RuntimeError,
                f"{op}(): Expected reduction dim to be specified for input.numel() == 0. Specify "
                "the reduction dim with the 'dim' argument.")
    check_error(lambda: getattr(ember, op)(ember.ones(0, 3), 0), IndexError,
                f"{op}(): Expected reduction dim 0 to have non-zero size.")
    check_error(lambda: getattr(ember, op)(ember.ones(2, 3), 2), IndexError, "Dimension out of range")


@pytest.mark.parametrize("op", ["amax", "amin"])
def test_amax_amin(op):
    for dim in ((), 0, -1, (0, 2), (2, 0, 1)):
        for keepdim in (False, True):
            check_op(*fns(op, dim, keepdim), randn(2, 3, 2), gradgradcheck=True)
    check_op(*fns(op), randn(), gradgradcheck=True)
    check_op(*methods(op, 1), randn(3, 4))
    check_op(lambda a: getattr(a.t(), op)(0), lambda a: getattr(a.t(), op)(0), randn(3, 4))
    ties = np.array([[1.0, 3.0, 3.0], [2.0, 0.0, 2.0], [1.0, 1.0, 1.0]])
    for dim in ((), 0, 1, (0, 1)):
        check_op(*fns(op, dim), ties, gradcheck=False)
    check_op(*fns(op, 1), (randn(3, 4) * 3).astype(np.int32), grad=False)
    check_op(*fns(op, 1), randn(0, 3), gradcheck=False)
    check_error(lambda: getattr(ember, op)(ember.ones(0, 3)), RuntimeError,
                f"{op}(): Expected reduction dim to be specified for input.numel() == 0.")
    check_error(lambda: getattr(ember, op)(ember.ones(0, 3), 0), IndexError,
                f"{op}(): Expected reduction dim 0 to have non-zero size.")


@pytest.mark.parametrize("op", ["argmax", "argmin"])
def test_argmax_argmin(op):
    x = randn(3, 4)
    for kw in ({}, {"keepdim": True}, {"dim": 1}, {"dim": 0, "keepdim": True}, {"dim": -1}):
        check_op(*fns(op, **kw), x, grad=False)
        check_op(*methods(op, **kw), (x * 3).astype(np.int32), grad=False)
    ties = np.array([[1.0, 3.0, 3.0], [2.0, 0.0, 2.0]])
    check_op(*fns(op), ties, grad=False)
    check_op(*fns(op, 1), ties, grad=False)
    check_op(*fns(op), randn(), grad=False)
    check_op(*fns(op, 0), randn(), grad=False)
    check_op(*fns(op, 1), randn(0, 3), grad=False)
    check_op(lambda a: getattr(a.t(), op)(0), lambda a: getattr(a.t(), op)(0), x, grad=False)
    check_error(lambda: getattr(ember, op)(ember.ones(0)), IndexError,
                f"{op}(): Expected reduction dim to be specified for input.numel() == 0.")
    check_error(lambda: getattr(ember, op)(ember.ones(0, 3), 0), IndexError,
                f"{op}(): Expected reduction dim 0 to have non-zero size.")
    check_error(lambda: getattr(ember, op)(ember.tensor([True])), RuntimeError,
                f"{op}(): does not support bool input")


# -- logsumexp, norm -----------------------------------------------------------------------
@pytest.mark.parametrize("dim", [0, -1, (0, 2), (2, 1, 0)])
@pytest.mark.parametrize("keepdim", [False, True])
def test_logsumexp(dim, keepdim):
    check_op(*fns("logsumexp", dim, keepdim), randn(2, 3, 2), gradgradcheck=True)


def test_logsumexp_edges():
    big = randn(3, 4) * 1000                       # exp would overflow without the shift
    check_op(*fns("logsumexp", 1), big, gradcheck=False)
    inf = np.array([[-np.inf, -np.inf], [np.inf, 1.0], [-np.inf, 2.0], [np.nan, 1.0]])
    check_op(*fns("logsumexp", 1), inf, grad=False)
    check_op(*fns("logsumexp", 0), randn(0, 3), grad=False)
    check_op(*fns("logsumexp", 0), randn(), gradgradcheck=True)
    check_op(*fns("logsumexp", 0), np.arange(4), grad=False)
    check_op(*fns("logsumexp", 1), randn(2, 3, dtype=np.float32), gradcheck=False)
    check_op(lambda a: a.t().logsumexp(0), lambda a: a.t().logsumexp(0), randn(3, 4))


NORM_PS = [2, "fro", 1, 3, 1.5, 0.5, float("inf"), -float("inf"), 0, -1]


@pytest.mark.parametrize("p", NORM_PS)
def test_norm(p):
    x = randn(2, 3, 2)
    for i, kw in enumerate(({}, {"dim": 1}, {"dim": (0, 2), "keepdim": True},
                            {"dim": -1, "keepdim": True})):
        check_op(*fns("norm", p, **kw), x,
                 gradgradcheck=i < 2 and p not in (float("inf"), -float("inf"), 0))


def test_norm_edges():
    check_op(*fns("norm"), randn(3, 4))
    check_op(lambda a: ember.norm(a.t(), dim=0), lambda a: torch.norm(a.t(), dim=0), randn(3, 4))
    check_op(*fns("norm"), randn())
    check_op(*fns("norm", 2, 1), randn(0, 3), gradcheck=False)
    check_op(*fns("norm", 3, dim=1), randn(2, 3, dtype=np.float32), gradcheck=False)
    check_op(*fns("norm", dtype=torch.float64), randn(2, 3, dtype=np.float32), gradcheck=False)
    z = np.zeros((2, 3))
    z[1, 0] = 2.0
    for p in (2, 1, 3, 1.5, float("inf")):      # gradient at a zero norm is 0, as torch
        check_op(*fns("norm", p, 1), z, gradcheck=False)
        check_op(*fns("norm", p), np.zeros(3), gradcheck=False)
    check_error(lambda: ember.norm(ember.tensor([1, 2])), RuntimeError,
                "linalg.vector_norm: Expected a floating point or complex tensor as input. Got Long")
    check_error(lambda: ember.norm(ember.ones(2, 3, 4), "fro", (0, 1, 2)), RuntimeError,
                "linalg.matrix_norm: dim must be a 2-tuple. Got 0 1 2")
    check_error(lambda: ember.norm(ember.ones(0, 3), float("inf")), RuntimeError,
                "linalg.vector_norm cannot compute the inf norm on an empty tensor")


def test_norm_nuc():
    check_op(*fns("norm", "nuc"), randn(3, 4), gradcheck=False)
    check_op(*fns("norm", "nuc", (1, 2), True), randn(2, 3, 4), gradcheck=False)


def test_norm_method():
    check_op(*methods("norm"), randn(3, 4), gradgradcheck=True)
    check_op(*methods("norm", 1, 1, True), randn(3, 4))


# -- all, any, count_nonzero ---------------------------------------------------------------
@pytest.mark.parametrize("op", ["all", "any"])
def test_all_any(op):
    x = np.array([[1.0, 0.0, 2.0], [3.0, 4.0, 5.0]])
    for kw in ({}, {"dim": 0}, {"dim": 1, "keepdim": True}, {"dim": (0, 1)}, {"dim": ()},
               {"dim": -1}):
        for a in (x, x.astype(np.int64), x.astype(np.uint8), x.astype(bool), np.zeros((2, 3))):
            check_op(*fns(op, **kw), a, grad=False)
    check_op(*fns(op), np.ones(()), grad=False)
    check_op(*fns(op, 0), np.zeros((0, 3)), grad=False)
    check_op(*fns(op), np.zeros((0, 3)), grad=False)
    check_op(lambda a: getattr(a.t(), op)(0), lambda a: getattr(a.t(), op)(0), x, grad=False)
    check_op(*methods(op, 1), x, grad=False)


def test_count_nonzero():
    x = np.array([[1.0, 0.0, 2.0], [0.0, 0.0, 5.0]])
    for dim in (None, 0, -1, (0, 1), ()):
        check_op(*fns("count_nonzero", dim=dim), x, grad=False)
        check_op(*methods("count_nonzero", dim), x.astype(bool), grad=False)
    check_op(*fns("count_nonzero"), np.ones(()), grad=False)
    check_op(*fns("count_nonzero", 1), np.ones((0, 3)), grad=False)
    check_error(lambda: ember.count_nonzero(ember.ones(2, 3), (0, 0)), RuntimeError,
                "dim 0 appears multiple times in the list of dims")


# -- cummax / cummin, logcumsumexp, diff, aminmax ----------------------------------------------------
def T(x):
    return ember.tensor(np.asarray(x))


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


# -- cov, corrcoef -----------------------------------------------------------------------------------
RNG = np.random.default_rng(3)


@pytest.mark.parametrize("kw", [{}, {"correction": 0}, {"correction": 2}, {"fweights": "f"},
                                {"aweights": "a"}, {"fweights": "f", "aweights": "a"}])
@pytest.mark.parametrize("shape", [(3, 7), (7,), (1, 5)])
def test_cov_matches_torch(kw, shape):
    n = shape[-1]
    fw, aw = RNG.integers(1, 4, n), RNG.random(n) + 0.1

    def call(lib, x):
        args = {k: lib.tensor(fw if v == "f" else aw) if isinstance(v, str) else v
                for k, v in kw.items()}
        return lib.cov(x, **args)
    check_op(lambda x: call(ember, x), lambda x: call(torch, x), RNG.standard_normal(shape))


def test_corrcoef_and_errors():
    check_op(ember.corrcoef, torch.corrcoef, RNG.standard_normal((4, 9)))
    check_error(lambda: ember.cov(ember.ones(2, 2, 2)), RuntimeError,
                "cov(): expected input to have two or fewer dimensions but got an input with 3 "
                "dimensions")
    check_error(lambda: ember.cov(ember.ones(2, 3), fweights=ember.ones(3)), RuntimeError,
                "cov(): expected fweights to have integral dtype but got fweights with Float dtype")
    check_error(lambda: ember.cov(ember.ones(2, 3), aweights=ember.ones(4)), RuntimeError,
                "cov(): expected aweights to have the same numel as there are observations in the "
                "input but got 4 != 3")
