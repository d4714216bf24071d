import pickle

import numpy as np
import pytest
import torch
from helpers import check_error, check_op, randn

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
