"""dist, cdist, trace, addcmul/addcdiv, repeat_interleave, meshgrid (differentiable) and
unique, bincount, searchsorted, bucketize, histc (integer/count results) against PyTorch."""
import warnings

import numpy as np
import pytest
import torch
from helpers import assert_close, check_error, check_op, randn, to_ember, to_torch

import ember

INF = float("inf")


def both(fn_e, fn_t, *arrays):
    """Run on the same NumPy inputs without gradients and compare (values, dtypes, shapes)."""
    e = fn_e(*[to_ember(a) if isinstance(a, np.ndarray) else a for a in arrays])
    t = fn_t(*[to_torch(a) if isinstance(a, np.ndarray) else a for a in arrays])
    assert_close(e, t, msg="forward")
    return e


# -- dist ------------------------------------------------------------------------------------
@pytest.mark.parametrize("p", [0, 0.5, 1, 1.5, 2, 3, INF, -INF, -1])
def test_dist(p):
    check_op(lambda a, b: ember.dist(a, b, p), lambda a, b: torch.dist(a, b, p),
             randn(3, 4), randn(4), grad=p != 0,   # torch's p=0 backward raises
             gradgradcheck=p not in (0, INF, -INF))


def test_dist_dtypes_and_forms():
    check_op(lambda a, b: a.dist(b), lambda a, b: a.dist(b), randn(2, 3, dtype=np.float32),
             randn(2, 3))
    check_op(lambda a, b: ember.dist(a, b), lambda a, b: torch.dist(a, b), randn(), randn())
    both(lambda a, b: ember.dist(a, b, True), lambda a, b: torch.dist(a, b, True),
         randn(3), randn(3))
    z = np.zeros(3)
    for p in (0.5, 2, 3):   # a zero distance has a zero (not nan) gradient
        check_op(lambda a, b: ember.dist(a, b, p), lambda a, b: torch.dist(a, b, p), z, z,
                 gradcheck=False)
    both(lambda a, b: ember.dist(a, b), lambda a, b: torch.dist(a, b), randn(0, 2), randn(2))


def test_dist_errors():
    a = ember.ones(3)
    check_error(lambda: ember.dist(ember.arange(2), ember.arange(2)), RuntimeError,
                "norm(): input dtype should be either floating point or complex. Got Long")
    check_error(lambda: ember.dist(a, 2.0), TypeError,
                "dist(): argument 'other' (position 2) must be Tensor, not float")
    check_error(lambda: ember.dist(a, a, "fro"), TypeError,
                "dist(): argument 'p' (position 3) must be Number, not str")
    check_error(lambda: ember.dist(a, ember.ones(4)), RuntimeError,
                "The size of tensor a (3) must match the size of tensor b (4)")
    check_error(lambda: ember.dist(ember.ones(0), ember.ones(0), INF), RuntimeError,
                "cannot compute the inf norm on an empty tensor")


# -- cdist -----------------------------------------------------------------------------------
MODES = ["use_mm_for_euclid_dist_if_necessary", "use_mm_for_euclid_dist",
         "donot_use_mm_for_euclid_dist"]


@pytest.mark.parametrize("p", [0, 0.5, 1, 1.5, 2, 3, INF])
def test_cdist(p):
    def run(lib):
        return lambda a, b: lib.cdist(a, b, p=p)
    check_op(run(ember), run(torch), randn(2, 3, 4), randn(2, 5, 4), gradgradcheck=p != 0)
    check_op(run(ember), run(torch), randn(3, 2), randn(4, 2), gradcheck=False)
    check_op(run(ember), run(torch), randn(2, 1, 3, 4), randn(5, 4), gradcheck=False)


@pytest.mark.parametrize("mode", MODES)
def test_cdist_modes(mode):
    def run(lib, p=2.0):
        return lambda a, b: lib.cdist(a, b, p, compute_mode=mode)
    check_op(run(ember), run(torch), randn(30, 3), randn(4, 3), gradgradcheck=True)
    check_op(run(ember), run(torch), randn(2, 3, dtype=np.float32),
             randn(4, 3, dtype=np.float32), gradcheck=False, rtol=1e-5, atol=1e-5)
    # coincident points: distance 0, gradient 0 (not nan), as torch
    pts = np.array([[0.0, 0.0], [1.0, 1.0], [2.0, -1.0]])
    for p in (0.5, 1.0, 2.0, 3.0, INF):
        check_op(run(ember, p), run(torch, p), pts, pts.copy(), gradcheck=False)


def test_cdist_empty_and_errors():
    for sa, sb in (((0, 4), (3, 4)), ((2, 0), (3, 0)), ((0, 2, 4), (0, 3, 4))):
        both(lambda a, b: ember.cdist(a, b), lambda a, b: torch.cdist(a, b), randn(*sa),
             randn(*sb))
    a, b = ember.randn(2, 3, 4, dtype=ember.float64), ember.randn(2, 5, 4, dtype=ember.float64)
    check_error(lambda: ember.cdist(a.long(), b.long()), RuntimeError,
                "cdist only supports floating-point dtypes, X1 got: Long")
    check_error(lambda: ember.cdist(a.float(), b), RuntimeError,
                "expected scalar type Float but found Double")
    check_error(lambda: ember.cdist(a, b[..., :3]), RuntimeError,
                "X1 and X2 must have the same number of columns. X1: 4 X2: 3")
    check_error(lambda: ember.cdist(a[0, 0], b[0]), RuntimeError,
                "cdist only supports at least 2D tensors, X1 got: 1D")
    check_error(lambda: ember.cdist(a, b, p=-1), RuntimeError,
                "cdist only supports non-negative p values")
    check_error(lambda: ember.cdist(a, b, compute_mode="foo"), ValueError,
                "foo is not a valid value for compute_mode")
    check_error(lambda: ember.cdist(a, ember.randn(3, 5, 4, dtype=ember.float64)), RuntimeError,
                "The size of tensor a (2) must match the size of tensor b (3) at non-singleton "
                "dimension 0")


# -- trace -----------------------------------------------------------------------------------
def test_trace():
    check_op(ember.trace, torch.trace, randn(3, 4), gradgradcheck=True)
    check_op(lambda a: a.t().trace(), lambda a: a.t().trace(), randn(3, 2), gradgradcheck=True)
    check_op(ember.trace, torch.trace, randn(0, 3, dtype=np.float32))
    for dt in (np.int64, np.int32, np.uint8):
        both(ember.trace, torch.trace, np.arange(6).reshape(2, 3).astype(dt))
    check_error(lambda: ember.trace(ember.ones(3)), RuntimeError,
                "trace: expected a matrix, but got tensor with dim 1")
    check_error(lambda: ember.trace(ember.tensor(1.0)), RuntimeError,
                "trace: expected a matrix, but got tensor with dim 0")
    check_error(lambda: ember.trace(ember.ones(2, 2, dtype=ember.bool)), NotImplementedError,
                "\"trace\" not implemented for 'Bool'")


# -- addcmul / addcdiv -----------------------------------------------------------------------
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
    both(lambda x, y, z: fe(x, y, z), lambda x, y, z: ft(x, y, z), randn(2, dtype=np.float32),
         randn(), randn(2, low=1.0, high=2.0, dtype=np.float32))
    both(lambda x, y, z: fe(x, y, z, value=2), lambda x, y, z: ft(x, y, z, value=2),
         np.arange(3), randn(3), np.arange(1, 4))
    both(lambda x, y, z: fe(x, y, z), lambda x, y, z: ft(x, y, z), randn(0, 3), randn(3),
         randn(1, 3))


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
    both(lambda x: ember.addcmul(x, x, x, value=2.5), lambda x: torch.addcmul(x, x, x, value=2.5),
         a)
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


# -- repeat_interleave -----------------------------------------------------------------------
@pytest.mark.parametrize("reps,dim", [(2, None), (2, 0), (3, 1), (3, -1), (np.array([1, 0, 2]), 1),
                                      (np.array([2]), 0), (np.array(2), -1),
                                      (np.array([1, 0, 2, 1, 0, 3]), None)])
def test_repeat_interleave(reps, dim):
    check_op(lambda a, r: ember.repeat_interleave(a, r, dim),
             lambda a, r: torch.repeat_interleave(a, r, dim), randn(2, 3), reps,
             gradgradcheck=True)


def test_repeat_interleave_forms():
    check_op(lambda a: a.t().repeat_interleave(2, 0), lambda a: a.t().repeat_interleave(2, 0),
             randn(2, 3))
    check_op(lambda a: ember.repeat_interleave(a, 3), lambda a: torch.repeat_interleave(a, 3),
             randn(), gradgradcheck=True)
    check_op(lambda a: ember.repeat_interleave(a, 2, 1), lambda a: torch.repeat_interleave(a, 2, 1),
             randn(0, 2))
    both(ember.repeat_interleave, torch.repeat_interleave, np.array([1, 0, 3], dtype=np.int32))
    both(lambda a, r: ember.repeat_interleave(a, r, 0, output_size=3),
         lambda a, r: torch.repeat_interleave(a, r, 0, output_size=3),
         np.array([[1, 2], [3, 4]]), np.array([1, 2]))


def test_repeat_interleave_errors():
    x = ember.tensor([[1, 2], [3, 4]])
    ri = ember.repeat_interleave
    check_error(lambda: ri(x, ember.tensor([1, 2]), 0, output_size=4), RuntimeError,
                "allocated size does not match required size")
    check_error(lambda: ri(x, ember.tensor([1, 2, 3]), 0), RuntimeError,
                "repeats must have the same size as input along dim, but got repeats.size(0) = 3 "
                "and input.size(0) = 2")
    check_error(lambda: ri(x, ember.tensor([1, -2]), 0), RuntimeError,
                "repeats can not be negative")
    check_error(lambda: ri(x, -1), RuntimeError, "Repeats must be non-negative")
    check_error(lambda: ri(x, ember.tensor([[1, 2]]), 0), RuntimeError,
                "repeats must be 0-dim or 1-dim tensor")
    check_error(lambda: ri(x, ember.tensor([1.0, 2.0]), 0), NotImplementedError,
                "\"repeat_interleave_cpu\" not implemented for 'Float'")
    check_error(lambda: ri(x, 2, 2), IndexError, "Dimension out of range")
    check_error(lambda: ri(ember.tensor([[1, 2]])), RuntimeError,
                "repeat_interleave only accept 1D vector as repeat")


# -- meshgrid --------------------------------------------------------------------------------
@pytest.mark.parametrize("indexing", ["ij", "xy"])
def test_meshgrid(indexing):
    def run(lib):
        return lambda a, b, c: lib.meshgrid(a, b, c, indexing=indexing)
    check_op(run(ember), run(torch), randn(3), randn(2), randn(), gradgradcheck=True)
    check_op(lambda a, b: ember.meshgrid([a, b], indexing=indexing),
             lambda a, b: torch.meshgrid([a, b], indexing=indexing), randn(3), randn(0))
    check_op(lambda a: ember.meshgrid(a, indexing=indexing),
             lambda a: torch.meshgrid(a, indexing=indexing), randn(4))
    a, b = ember.arange(3), ember.arange(2)
    ta, tb = torch.arange(3), torch.arange(2)
    for e, t in zip(ember.meshgrid(a, b, indexing=indexing),
                    torch.meshgrid(ta, tb, indexing=indexing)):
        assert e.stride() == t.stride()      # expanded views, no copies
    assert ember.meshgrid(a, b, indexing=indexing)[0]._base is a


def test_meshgrid_default_and_errors():
    a = ember.arange(3)
    with pytest.warns(UserWarning, match="it will be required to pass the indexing argument"):
        both(lambda x, y: ember.meshgrid(x, y), lambda x, y: torch.meshgrid(x, y, indexing="ij"),
             np.arange(3), np.arange(2))
    check_error(lambda: ember.meshgrid(a, a, indexing="foo"), RuntimeError,
                'torch.meshgrid: indexing must be one of "xy" or "ij", but received: foo')
    check_error(lambda: ember.meshgrid(indexing="ij"), RuntimeError,
                "meshgrid expects a non-empty TensorList")
    check_error(lambda: ember.meshgrid(a, a.double(), indexing="ij"), RuntimeError,
                "meshgrid expects all tensors to have the same dtype")
    check_error(lambda: ember.meshgrid(a, ember.ones(2, 2, dtype=ember.int64), indexing="ij"),
                RuntimeError, "torch.meshgrid: Expected 0D or 1D tensor in the tensor list")
    check_error(lambda: ember.meshgrid(a, 3, indexing="ij"), TypeError,
                "expected Tensor as element 1 in argument 0, but got int")


# -- unique ----------------------------------------------------------------------------------
def _uniq(lib, **kw):
    return lambda a: lib.unique(a, **kw)


@pytest.mark.parametrize("kw", [{}, {"return_inverse": True}, {"return_counts": True},
                                {"return_inverse": True, "return_counts": True},
                                {"sorted": False}])
def test_unique(kw):
    x = np.random.default_rng(0).integers(0, 6, (4, 5))
    both(_uniq(ember, **kw), _uniq(torch, **kw), x)
    both(_uniq(ember, **kw), _uniq(torch, **kw), x.astype(np.float32))
    both(_uniq(ember, **kw), _uniq(torch, **kw), np.array(3.0))
    both(_uniq(ember, **kw), _uniq(torch, **kw), np.zeros(0))
    both(_uniq(ember, **kw), _uniq(torch, **kw), np.array([True, False, True]))
    both(_uniq(ember, **kw), _uniq(torch, **kw), np.array([np.nan, 1.0, np.nan, 1.0]))


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_unique_dim(dim):
    kw = {"return_inverse": True, "return_counts": True, "dim": dim}
    m = np.random.default_rng(1).integers(0, 2, (6, 3))
    both(_uniq(ember, **kw), _uniq(torch, **kw), m)
    both(_uniq(ember, **kw), _uniq(torch, **kw), m.reshape(3, 2, 3))
    r = ember.tensor(m).unique(dim=dim)
    assert_close(r, torch.tensor(m).unique(dim=dim))


def test_unique_empty_dims_and_errors():
    kw = {"return_inverse": True, "return_counts": True}
    both(_uniq(ember, dim=0, **kw), _uniq(torch, dim=0, **kw), np.zeros((0, 3)))
    both(_uniq(ember, dim=1, **kw), _uniq(torch, dim=1, **kw), np.zeros((2, 0)))
    check_error(lambda: ember.unique(ember.zeros(2, 0), dim=0), RuntimeError,
                "There are 0 sized dimensions, and they aren't selected, so unique cannot be "
                "applied")
    check_error(lambda: ember.unique(ember.zeros(2, 3), dim=2), IndexError,
                "Dimension out of range (expected to be in range of [-2, 1], but got 2)")
    check_error(lambda: ember.unique(ember.tensor(3.0), dim=0), IndexError,
                "Dimension specified as 0 but tensor has no dimensions")


# -- bincount --------------------------------------------------------------------------------
def test_bincount():
    x = np.array([3, 1, 2, 3, 1, 5])
    both(ember.bincount, torch.bincount, x)
    both(lambda a: a.bincount(minlength=10), lambda a: a.bincount(minlength=10), x)
    for dt in (np.int32, np.uint8, np.int8):
        both(ember.bincount, torch.bincount, x.astype(dt))
    for wdt in (np.float32, np.float64, np.int32, np.float16, np.bool_):
        w = (np.arange(6) % 3).astype(wdt)
        both(lambda a, b: ember.bincount(a, b), lambda a, b: torch.bincount(a, b), x, w)
    both(ember.bincount, torch.bincount, np.zeros(0, np.int64))
    both(lambda a: ember.bincount(a, minlength=3), lambda a: torch.bincount(a, minlength=3),
         np.zeros(0, np.int64))


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


# -- searchsorted / bucketize ----------------------------------------------------------------
@pytest.mark.parametrize("kw", [{}, {"right": True}, {"side": "right"}, {"side": "left"},
                                {"out_int32": True}])
def test_searchsorted(kw):
    rng = np.random.default_rng(2)
    s, v = np.sort(rng.integers(0, 10, 7)), rng.integers(-1, 11, (3, 4))
    both(lambda a, b: ember.searchsorted(a, b, **kw), lambda a, b: torch.searchsorted(a, b, **kw),
         s, v)
    both(lambda a, b: ember.searchsorted(a, b, **kw), lambda a, b: torch.searchsorted(a, b, **kw),
         s, v.astype(np.float64) + 0.5)
    S, V = np.sort(rng.standard_normal((2, 3, 6)), -1), rng.standard_normal((2, 3, 4))
    V[0, 0, :2] = S[0, 0, 2:4]     # exact hits: left and right differ
    both(lambda a, b: ember.searchsorted(a, b, **kw), lambda a, b: torch.searchsorted(a, b, **kw),
         S, V)
    both(lambda a: ember.searchsorted(a, 5, **kw), lambda a: torch.searchsorted(a, 5, **kw), s)
    both(lambda a, b: ember.searchsorted(a, b, **kw), lambda a, b: torch.searchsorted(a, b, **kw),
         np.zeros(0), v.astype(np.float64))
    both(lambda a, b: ember.searchsorted(a, b, **kw), lambda a, b: torch.searchsorted(a, b, **kw),
         s, np.zeros(0, np.int64))
    both(lambda a, b: ember.searchsorted(a, b, **kw), lambda a, b: torch.searchsorted(a, b, **kw),
         np.array([1.0, np.nan]), np.array([np.nan, 2.0, 0.0]))
    both(lambda a, b, o: ember.searchsorted(a, b, sorter=o, **kw),
         lambda a, b, o: torch.searchsorted(a, b, sorter=o, **kw),
         np.array([5, 1, 3]), np.array([[3, 6], [0, 5]]), np.array([1, 2, 0]))


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
        both(lambda x, y: ember.bucketize(x, y, **kw), lambda x, y: torch.bucketize(x, y, **kw),
             v, b)
        both(lambda x, y: ember.bucketize(x, y, **kw), lambda x, y: torch.bucketize(x, y, **kw),
             v.astype(np.float32) + 0.5, b)
        both(lambda y: ember.bucketize(5, y, **kw), lambda y: torch.bucketize(5, y, **kw), b)
        both(lambda x, y: ember.bucketize(x, y, **kw), lambda x, y: torch.bucketize(x, y, **kw),
             np.array(5.0), b)
    check_error(lambda: ember.bucketize(ember.tensor(v), ember.ones(2, 2)), RuntimeError,
                "boundaries tensor must be 1 dimension, but got dim(2)")
    check_error(lambda: ember.bucketize(ember.tensor(v), ember.tensor(3)), RuntimeError,
                "boundaries tensor must be 1 dimension, but got dim(0)")


# -- histc -----------------------------------------------------------------------------------
@pytest.mark.parametrize("dt", [np.float32, np.float64])
def test_histc(dt):
    rng = np.random.default_rng(3)
    x = rng.standard_normal(500).astype(dt)
    for args in ((), (10,), (7, -1, 1), (5, -0.3, 0.7), (3, 0.5, 0.5), (4, 0, 3)):
        both(lambda a: ember.histc(a, *args), lambda a: torch.histc(a, *args), x)
    h = np.array([1.0, 2, 1, 4, 2.5], dtype=dt)
    both(lambda a: a.histc(bins=4, min=0, max=3), lambda a: a.histc(bins=4, min=0, max=3), h)
    both(lambda a: ember.histc(a, 3), lambda a: torch.histc(a, 3), h.reshape(1, 5))
    both(lambda a: ember.histc(a, 3), lambda a: torch.histc(a, 3), np.ones(3, dt))
    both(lambda a: ember.histc(a, 3), lambda a: torch.histc(a, 3), np.zeros(0, dt))
    both(lambda a: ember.histc(a, 3), lambda a: torch.histc(a, 3), np.array(2.0, dt))
    both(lambda a: ember.histc(a, 3, 0, 2), lambda a: torch.histc(a, 3, 0, 2),
         np.array([1.0, np.nan], dt))
    both(lambda a: ember.histc(a, 3, 0, 3), lambda a: torch.histc(a, 3, 0, 3),
         np.array([0.0, 1, 2, 3], dt))


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
