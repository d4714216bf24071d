import pickle
import warnings

import numpy as np
import pytest
import torch
from helpers import assert_close, check_error, check_op, randn

import ember
from ember.ops.sort import _PutAlong, _TakeAlong


def fns(name, *args, **kw):
    return (lambda a: getattr(ember, name)(a, *args, **kw),
            lambda a: getattr(torch, name)(a, *args, **kw))


def methods(name, *args, **kw):
    return (lambda a: getattr(a, name)(*args, **kw), lambda a: getattr(a, name)(*args, **kw))


NAN_INF = np.array([[1.0, np.nan, 3.0, np.nan, -np.inf, np.inf, 0.0],
                    [2.0, -1.0, np.inf, 5.0, 4.0, -3.0, 7.0]])


# -- sort, argsort, msort ------------------------------------------------------------------
@pytest.mark.parametrize("dim", [0, 1, -1])
@pytest.mark.parametrize("descending", [False, True])
def test_sort(dim, descending):
    check_op(*fns("sort", dim, descending), randn(3, 4, 2), gradgradcheck=True)
    check_op(*fns("argsort", dim, descending), randn(3, 4, 2), grad=False)
    check_op(lambda a: a.t().sort(dim % 2, descending), lambda a: a.t().sort(dim % 2, descending),
             randn(4, 3))


def test_sort_stable_ties_nan_dtypes():
    ties = np.array([[2.0, 1.0, 2.0, 1.0, 2.0, 0.0], [1.0, 1.0, 1.0, 1.0, 1.0, 1.0]])
    for desc in (False, True):
        check_op(*fns("sort", stable=True, descending=desc), ties, gradcheck=False)
        check_op(*fns("argsort", stable=True, descending=desc), ties, grad=False)
        check_op(*fns("sort", descending=desc), NAN_INF, gradcheck=False)   # NaN above all
        for dt in (np.int32, np.int64, np.uint8, np.int8, np.bool_, np.float16):
            check_op(*fns("sort", dim=0, descending=desc, stable=True), (randn(9) * 4).astype(dt),
                     grad=False)
    check_op(*methods("sort", 0, True), randn(4, 2))
    check_op(*methods("argsort", dim=0), randn(4, 2), grad=False)


def test_sort_edges():
    for f in ("sort", "argsort"):
        check_op(*fns(f), randn(), gradcheck=False)
        check_op(*fns(f, 0), randn(), gradcheck=False)
        check_op(*fns(f), randn(0), gradcheck=False)
        check_op(*fns(f, 0), randn(0, 3), gradcheck=False)
        check_op(*fns(f, 1), randn(0, 3), gradcheck=False)
        check_error(lambda: getattr(ember, f)(ember.ones(2, 3), 2), IndexError,
                    "Dimension out of range (expected to be in range of [-2, 1], but got 2)")
    check_op(*fns("sort"), randn(), gradgradcheck=True)
    check_op(*fns("msort"), randn(4, 3), gradgradcheck=True)
    check_op(*methods("msort"), randn(4), gradgradcheck=True)


def test_sort_result_type():
    r = ember.sort(ember.tensor([3.0, 1.0, 2.0]))
    v, i = r
    assert type(r) is ember.return_types.sort and isinstance(r, tuple)
    assert r.values is v and r.indices is i and r[1] is i
    assert v.tolist() == [1.0, 2.0, 3.0] and i.tolist() == [1, 2, 0] and i.dtype == ember.int64
    assert repr(r).startswith("ember.return_types.sort(\nvalues=tensor([1., 2., 3.]),\nindices=")
    assert pickle.loads(pickle.dumps(r)).values.tolist() == v.tolist()


# -- topk ----------------------------------------------------------------------------------
@pytest.mark.parametrize("k", [1, 3, 4])
@pytest.mark.parametrize("largest", [True, False])
def test_topk(k, largest):
    x = randn(3, 4)
    check_op(*fns("topk", k, largest=largest), x, gradgradcheck=True)
    check_op(*fns("topk", min(k, 3), 0, largest), x, gradgradcheck=True)
    check_op(*methods("topk", min(k, 3), dim=-2, largest=largest), x)
    check_op(lambda a: a.t().topk(k, 0, largest), lambda a: a.t().topk(k, 0, largest), x)


def test_topk_edges():
    # sorted=False leaves the order to the implementation: compare as sets
    e, t = ember.topk(ember.tensor([3.0, 1.0, 2.0, 7.0, 5.0, 0.0]), 3, sorted=False), \
        torch.topk(torch.tensor([3.0, 1.0, 2.0, 7.0, 5.0, 0.0]), 3, sorted=False)
    assert sorted(e.values.tolist()) == sorted(t.values.tolist())
    assert sorted(e.indices.tolist()) == sorted(t.indices.tolist())
    check_op(*fns("topk", 2), NAN_INF, gradcheck=False)
    check_op(*fns("topk", 3, largest=False), NAN_INF, gradcheck=False)
    check_op(*fns("topk", 2), np.random.default_rng(0).permutation(15).reshape(3, 5), grad=False)
    check_op(*fns("topk", 1), randn(), gradgradcheck=True)
    check_op(*fns("topk", 0), randn(3, 4), gradcheck=False)
    check_op(*fns("topk", 0), randn(0), gradcheck=False)
    for k in (5, -1):
        check_error(lambda: ember.topk(ember.ones(2, 4), k), RuntimeError,
                    "selected index k out of range")
    check_error(lambda: ember.topk(ember.tensor([True, False]), 1), RuntimeError,
                "topk does not support bool dtypes on CPU")
    assert type(ember.topk(ember.ones(3), 2)) is ember.return_types.topk


# -- median, nanmedian, kthvalue -----------------------------------------------------------
@pytest.mark.parametrize("n", [5, 6])
def test_median(n):
    x = randn(3, n)
    check_op(*fns("median"), x, gradgradcheck=True)      # the lower median when n is even
    for dim in (0, 1, -1):
        for keepdim in (False, True):
            check_op(*fns("median", dim, keepdim), x, gradgradcheck=True)
    check_op(lambda a: a.t().median(0), lambda a: a.t().median(0), x)
    perm = np.random.default_rng(n).permutation(3 * n).reshape(3, n)    # ints without ties
    check_op(*methods("median", 1, keepdim=True), perm, grad=False)
    check_op(*methods("median"), perm.astype(np.int32), grad=False)


def test_median_edges():
    ties = np.array([[1.0, 3.0, 3.0], [2.0, 0.0, 2.0]])
    check_op(*fns("median"), ties, gradcheck=False)       # the gradient is shared among ties
    check_op(*fns("median"), NAN_INF, gradcheck=False)
    check_op(*fns("median", 1), NAN_INF, gradcheck=False)   # NaN: the first NaN is chosen
    check_op(*fns("median"), randn(), gradgradcheck=True)
    check_op(*fns("median", 0), randn(), gradgradcheck=True)
    check_op(*fns("median"), randn(0, 3), grad=False)
    check_op(*fns("median", 1), randn(0, 3), gradcheck=False)
    check_error(lambda: ember.median(ember.ones(0, 3), 0), IndexError,
                "median(): Expected reduction dim 0 to have non-zero size.")
    check_error(lambda: ember.median(ember.tensor([True])), NotImplementedError,
                "\"median_cpu\" not implemented for 'Bool'")
    r = ember.median(ember.ones(2, 3), 1)
    assert type(r) is ember.return_types.median
    x = ember.tensor([[3.0, 1.0]], requires_grad=True)
    assert x.median().grad_fn.name() == "MedianBackward0"
    assert x.median(1).values.grad_fn.name() == "MedianBackward1"


def test_nanmedian():
    x = np.array([[1.0, np.nan, 3.0, 2.0], [np.nan] * 4, [4.0, 1.0, np.nan, np.nan]])
    check_op(*fns("nanmedian"), x, gradcheck=False)
    check_op(*fns("nanmedian", 1), x[[0, 2]], gradcheck=False)
    # an all-NaN row: NaN (PyTorch's index there depends on its selection algorithm)
    assert np.isnan(ember.nanmedian(ember.tensor(x), 1).values[1].item())
    check_op(*fns("nanmedian", 1, True), randn(3, 4), gradgradcheck=True)
    check_op(*methods("nanmedian"), randn(3, 4), gradgradcheck=True)
    assert type(ember.nanmedian(ember.ones(2, 3), 1)) is ember.return_types.nanmedian


@pytest.mark.parametrize("k", [1, 2, 4])
def test_kthvalue(k):
    x = randn(3, 4)
    check_op(*fns("kthvalue", k), x, gradgradcheck=True)
    check_op(*fns("kthvalue", min(k, 3), 0, True), x, gradgradcheck=True)
    perm = np.random.default_rng(k).permutation(12).reshape(3, 4).astype(np.int32)  # no ties
    check_op(*methods("kthvalue", k, keepdim=True), perm, grad=False)
    check_op(lambda a: a.t().kthvalue(min(k, 3), 1), lambda a: a.t().kthvalue(min(k, 3), 1), x)


def test_kthvalue_edges():
    check_op(*fns("kthvalue", 1), randn(), gradgradcheck=True)
    check_op(*fns("kthvalue", 6), NAN_INF, gradcheck=False)
    check_op(*fns("kthvalue", 2, 1), randn(0, 3), gradcheck=False)
    check_error(lambda: ember.kthvalue(ember.ones(2, 3), 4, 1), RuntimeError,
                "kthvalue(): selected number k out of range for dimension 1")
    check_error(lambda: ember.kthvalue(ember.ones(2, 3), 0), RuntimeError,
                "kthvalue(): selected number k out of range for dimension 1")
    assert type(ember.kthvalue(ember.ones(3), 1)) is ember.return_types.kthvalue


# -- the shared take/put pair --------------------------------------------------------------
def test_take_put_along_double_backward():
    x = randn(3, 4)
    idx = np.argsort(x, axis=1)[:, :2]
    a = ember.tensor(x, requires_grad=True)
    g = ember.tensor(randn(3, 2), requires_grad=True)
    assert ember.autograd.gradcheck(lambda t: _TakeAlong.apply(t, idx, 1), (a,))
    assert ember.autograd.gradgradcheck(lambda t: _TakeAlong.apply(t, idx, 1), (a,))
    assert ember.autograd.gradgradcheck(lambda t: _PutAlong.apply(t, idx, 1, (3, 4)), (g,))
    out = _PutAlong.apply(g, ember.tensor(idx), 1, (3, 4))
    expect = np.zeros((3, 4))
    np.put_along_axis(expect, idx, g.detach().numpy(), axis=1)
    assert np.array_equal(out.detach().numpy(), expect)
    assert np.array_equal(_TakeAlong.apply(a, idx, 1).detach().numpy(),
                          np.take_along_axis(x, idx, axis=1))


# -- unique, bincount, searchsorted / bucketize, histc -----------------------------------------------
INF = float("inf")




def _uniq(lib, **kw):
    return lambda a: lib.unique(a, **kw)


@pytest.mark.parametrize("kw", [{}, {"return_inverse": True}, {"return_counts": True},
                                {"return_inverse": True, "return_counts": True},
                                {"sorted": False}])
def test_unique(kw):
    x = np.random.default_rng(0).integers(0, 6, (4, 5))
    check_op(_uniq(ember, **kw), _uniq(torch, **kw), x, grad=False)
    check_op(_uniq(ember, **kw), _uniq(torch, **kw), x.astype(np.float32), grad=False)
    check_op(_uniq(ember, **kw), _uniq(torch, **kw), np.array(3.0), grad=False)
    check_op(_uniq(ember, **kw), _uniq(torch, **kw), np.zeros(0), grad=False)
    check_op(_uniq(ember, **kw), _uniq(torch, **kw), np.array([True, False, True]), grad=False)
    check_op(_uniq(ember, **kw), _uniq(torch, **kw), np.array([np.nan, 1.0, np.nan, 1.0]), grad=False)


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_unique_dim(dim):
    kw = {"return_inverse": True, "return_counts": True, "dim": dim}
    m = np.random.default_rng(1).integers(0, 2, (6, 3))
    check_op(_uniq(ember, **kw), _uniq(torch, **kw), m, grad=False)
    check_op(_uniq(ember, **kw), _uniq(torch, **kw), m.reshape(3, 2, 3), grad=False)
    r = ember.tensor(m).unique(dim=dim)
    assert_close(r, torch.tensor(m).unique(dim=dim))


def test_unique_empty_dims_and_errors():
    kw = {"return_inverse": True, "return_counts": True}
    check_op(_uniq(ember, dim=0, **kw), _uniq(torch, dim=0, **kw), np.zeros((0, 3)), grad=False)
    check_op(_uniq(ember, dim=1, **kw), _uniq(torch, dim=1, **kw), np.zeros((2, 0)), grad=False)
    check_error(lambda: ember.unique(ember.zeros(2, 0), dim=0), RuntimeError,
                "There are 0 sized dimensions, and they aren't selected, so unique cannot be "
                "applied")
    check_error(lambda: ember.unique(ember.zeros(2, 3), dim=2), IndexError,
                "Dimension out of range (expected to be in range of [-2, 1], but got 2)")
    check_error(lambda: ember.unique(ember.tensor(3.0), dim=0), IndexError,
                "Dimension specified as 0 but tensor has no dimensions")


def test_bincount():
    x = np.array([3, 1, 2, 3, 1, 5])
    check_op(ember.bincount, torch.bincount, x, grad=False)
    check_op(lambda a: a.bincount(minlength=10), lambda a: a.bincount(minlength=10), x, grad=False)
    for dt in (np.int32, np.uint8, np.int8):
        check_op(ember.bincount, torch.bincount, x.astype(dt), grad=False)
    for wdt in (np.float32, np.float64, np.int32, np.float16, np.bool_):
        w = (np.arange(6) % 3).astype(wdt)
        check_op(lambda a, b: ember.bincount(a, b), lambda a, b: torch.bincount(a, b), x, w, grad=False)
    check_op(ember.bincount, torch.bincount, np.zeros(0, np.int64), grad=False)
    check_op(lambda a: ember.bincount(a, minlength=3), lambda a: torch.bincount(a, minlength=3),
         np.zeros(0, np.int64), grad=False)


def test_bincount_errors():
    x = ember.tensor([3, 1, 2])
    msg = "bincount only supports 1-d non-negative integral inputs."
    check_error(lambda: ember.bincount(ember.tensor([-1, 2])), RuntimeError, msg)
    check_error(lambda: ember.bincount(x.reshape(1, 3)), RuntimeError, msg)
    check_error(lambda: ember.bincount(ember.tensor(3)), RuntimeError, msg)
    check_error(lambda: ember.bincount(x.float()), NotImplementedError,
                "\"bincount_cpu\" not implemented for 'Float'")
    check_error(lambda: ember.bincount(x, ember.ones(2)), RuntimeError,
                "weights should be 1-d and have the same length as input")
    check_error(lambda: ember.bincount(x, minlength=-1), RuntimeError, "minlength should be >= 0")


@pytest.mark.parametrize("kw", [{}, {"right": True}, {"side": "right"}, {"side": "left"},
                                {"out_int32": True}])
def test_searchsorted(kw):
    rng = np.random.default_rng(2)
    s, v = np.sort(rng.integers(0, 10, 7)), rng.integers(-1, 11, (3, 4))
    check_op(lambda a, b: ember.searchsorted(a, b, **kw), lambda a, b: torch.searchsorted(a, b, **kw),
         s, v, grad=False)
    check_op(lambda a, b: ember.searchsorted(a, b, **kw), lambda a, b: torch.searchsorted(a, b, **kw),
         s, v.astype(np.float64) + 0.5, grad=False)
    S, V = np.sort(rng.standard_normal((2, 3, 6)), -1), rng.standard_normal((2, 3, 4))
    V[0, 0, :2] = S[0, 0, 2:4]     # exact hits: left and right differ
    check_op(lambda a, b: ember.searchsorted(a, b, **kw), lambda a, b: torch.searchsorted(a, b, **kw),
         S, V, grad=False)
    check_op(lambda a: ember.searchsorted(a, 5, **kw), lambda a: torch.searchsorted(a, 5, **kw), s,
             grad=False)
    check_op(lambda a, b: ember.searchsorted(a, b, **kw), lambda a, b: torch.searchsorted(a, b, **kw),
         np.zeros(0), v.astype(np.float64), grad=False)
    check_op(lambda a, b: ember.searchsorted(a, b, **kw), lambda a, b: torch.searchsorted(a, b, **kw),
         s, np.zeros(0, np.int64), grad=False)
    check_op(lambda a, b: ember.searchsorted(a, b, **kw), lambda a, b: torch.searchsorted(a, b, **kw),
         np.array([1.0, np.nan]), np.array([np.nan, 2.0, 0.0]), grad=False)
    check_op(lambda a, b, o: ember.searchsorted(a, b, sorter=o, **kw),
         lambda a, b, o: torch.searchsorted(a, b, sorter=o, **kw),
         np.array([5, 1, 3]), np.array([[3, 6], [0, 5]]), np.array([1, 2, 0]), grad=False)


def test_searchsorted_errors():
    s, v = ember.tensor([1, 3, 5]), ember.tensor([[3, 6], [0, 5]])
    ss = ember.tensor([[1, 3, 5, 7, 9], [2, 4, 6, 8, 10]])
    pre = "torch.searchsorted(): "
    check_error(lambda: ember.searchsorted(ss, ember.tensor([[3], [3], [3]])), RuntimeError,
                pre + "boundaries tensor should be 1 dimension or the first N-1 dimensions of "
                "boundaries tensor and input value tensor must match, but we got boundaries "
                "tensor [2, 5] and input value tensor [3, 1]")
    check_error(lambda: ember.searchsorted(s, v, side="left", right=True), RuntimeError,
                pre + "side and right can't be set to opposites, got side of left while right "
                "was True")
    check_error(lambda: ember.searchsorted(s, v, side="middle"), RuntimeError,
                pre + "side can only be 'left' or 'right' but got middle")
    check_error(lambda: ember.searchsorted(s, v, sorter=ember.tensor([1, 2])), RuntimeError,
                pre + "boundary and sorter must have the same size, but got boundary tensor "
                "[3]and got sorter tensor [2]")
    check_error(lambda: ember.searchsorted(s, v, sorter=ember.tensor([1.0, 2, 0])), RuntimeError,
                pre + "sorter must be a tensor of long dtype but got dtype Float")
    check_error(lambda: ember.searchsorted(s, v, sorter=ember.tensor([1, 2, 5])), RuntimeError,
                pre + "sorter index out of range")
    check_error(lambda: ember.searchsorted(ember.tensor(5), v), RuntimeError,
                pre + "boundaries tensor should have positive dimension, but got 0 dimension")
    check_error(lambda: ember.searchsorted(s.bool(), v.bool()), NotImplementedError,
                "\"searchsorted_out_cpu\" not implemented for 'Bool'")


def test_bucketize():
    b = np.array([1, 3, 5, 7, 9])
    v = np.array([[3, 6, 9], [0, 10, 5]])
    for kw in ({}, {"right": True}, {"out_int32": True, "right": True}):
        check_op(lambda x, y: ember.bucketize(x, y, **kw), lambda x, y: torch.bucketize(x, y, **kw),
             v, b, grad=False)
        check_op(lambda x, y: ember.bucketize(x, y, **kw), lambda x, y: torch.bucketize(x, y, **kw),
             v.astype(np.float32) + 0.5, b, grad=False)
        check_op(lambda y: ember.bucketize(5, y, **kw), lambda y: torch.bucketize(5, y, **kw), b, grad=False)
        check_op(lambda x, y: ember.bucketize(x, y, **kw), lambda x, y: torch.bucketize(x, y, **kw),
             np.array(5.0), b, grad=False)
    check_error(lambda: ember.bucketize(ember.tensor(v), ember.ones(2, 2)), RuntimeError,
                "boundaries tensor must be 1 dimension, but got dim(2)")
    check_error(lambda: ember.bucketize(ember.tensor(v), ember.tensor(3)), RuntimeError,
                "boundaries tensor must be 1 dimension, but got dim(0)")


@pytest.mark.parametrize("dt", [np.float32, np.float64])
def test_histc(dt):
    rng = np.random.default_rng(3)
    x = rng.standard_normal(500).astype(dt)
    for args in ((), (10,), (7, -1, 1), (5, -0.3, 0.7), (3, 0.5, 0.5), (4, 0, 3)):
        check_op(lambda a: ember.histc(a, *args), lambda a: torch.histc(a, *args), x, grad=False)
    h = np.array([1.0, 2, 1, 4, 2.5], dtype=dt)
    check_op(lambda a: a.histc(bins=4, min=0, max=3), lambda a: a.histc(bins=4, min=0, max=3), h, grad=False)
    check_op(lambda a: ember.histc(a, 3), lambda a: torch.histc(a, 3), h.reshape(1, 5), grad=False)
    check_op(lambda a: ember.histc(a, 3), lambda a: torch.histc(a, 3), np.ones(3, dt), grad=False)
    check_op(lambda a: ember.histc(a, 3), lambda a: torch.histc(a, 3), np.zeros(0, dt), grad=False)
    check_op(lambda a: ember.histc(a, 3), lambda a: torch.histc(a, 3), np.array(2.0, dt), grad=False)
    check_op(lambda a: ember.histc(a, 3, 0, 2), lambda a: torch.histc(a, 3, 0, 2),
         np.array([1.0, np.nan], dt), grad=False)
    check_op(lambda a: ember.histc(a, 3, 0, 3), lambda a: torch.histc(a, 3, 0, 3),
         np.array([0.0, 1, 2, 3], dt), grad=False)


def test_histc_errors():
    h = ember.tensor([1.0, 2, 1, 4])
    check_error(lambda: ember.histc(h, 0), RuntimeError,
                "torch.histogram(): bins must be > 0, but got 0 for dimension 0")
    check_error(lambda: ember.histc(h, 3, 3, 1), RuntimeError,
                "torch.histc: max must be larger than min")
    check_error(lambda: ember.histc(h.long(), 3), NotImplementedError,
                "\"histogram_cpu\" not implemented for 'Long'")
    check_error(lambda: ember.histc(ember.tensor([1.0, INF]), 3), RuntimeError,
                "torch.histc: range of [1, inf] is not finite")
    check_error(lambda: ember.histc(h, 3, 0, INF), RuntimeError, "is not finite")
    check_error(lambda: ember.histc(ember.tensor([1.0, float("nan")]), 3), RuntimeError,
                "is not finite")


def test_no_grad_results():
    x = ember.randn(5, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for r in (ember.unique(x), ember.histc(x), ember.bucketize(x, ember.tensor([0.0]))):
            assert not r.requires_grad
