"""float32 sums over many elements are as accurate as PyTorch's cascade sums, for any axes and
memory layout (NumPy alone adds the non-innermost axes one slice at a time)."""
import numpy as np
import pytest
import torch

import ember
from ember.ops._accumulate import accurate_sum

EPS = float(np.finfo(np.float32).eps)


def _layouts(shape, seed=0):
    rng = np.random.default_rng(seed)
    a = (rng.standard_normal(shape) * 3 + 1).astype(np.float32)
    cl = np.ascontiguousarray(a.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)
    return {"contiguous": a, "channels_last": cl, "strided": a[:, ::2, :, 1:]}


OPS = {
    "sum": (lambda L, x, d: x.sum(d), lambda a, d: a.sum(d)),
    "mean": (lambda L, x, d: x.mean(d), lambda a, d: a.mean(d)),
    "var": (lambda L, x, d: x.var(d), lambda a, d: a.var(d, ddof=1)),
    "std": (lambda L, x, d: x.std(d), lambda a, d: a.std(d, ddof=1)),
    "norm": (lambda L, x, d: L.linalg.vector_norm(x, 2, d), lambda a, d: np.sqrt((a * a).sum(d))),
    "norm1": (lambda L, x, d: x.norm(1, d), lambda a, d: np.abs(a).sum(d)),
}
DIMS = [(0, 2, 3), (0,), (0, 1), (1, 2, 3), (0, 1, 2, 3)]


@pytest.mark.parametrize("layout", ["contiguous", "channels_last", "strided"])
@pytest.mark.parametrize("op", list(OPS))
def test_large_reductions_as_accurate_as_torch(op, layout):
    a = _layouts((64, 32, 16, 16))[layout]
    fn, exact = OPS[op]
    for dims in DIMS:
        e = fn(ember, ember.from_numpy(a), dims).numpy().astype(np.float64)
        t = fn(torch, torch.from_numpy(a), dims).numpy().astype(np.float64)
        ref = exact(a.astype(np.float64), dims)
        scale = np.abs(ref).max()
        err_e, err_t = np.abs(e - ref).max() / scale, np.abs(t - ref).max() / scale
        # within 2 ulps (of the largest result) of the exact value, so as close to PyTorch as
        # PyTorch is to the exact value (its norms are further off than its sums)
        assert err_e <= 2 * EPS, (dims, err_e / EPS)       # NumPy alone: up to 25 ulps
        assert np.abs(e - t).max() / scale <= err_t + 2 * EPS, dims


def test_channels_last_batch_channel_means_match_torch():
    # the case that was 1.2e-5 off: channel statistics of a channels-last batch of pixels, and
    # the means of the batch normalized with them (4.4e-5 instead of PyTorch's 1e-7)
    rng = np.random.default_rng(1)
    x = rng.uniform(0, 255, (32, 32, 32, 3)).astype(np.float32)   # NHWC memory
    x = x.transpose(0, 3, 1, 2)                                   # an NCHW view of it
    res = {}
    for L in (ember, torch):
        t = L.from_numpy(x)
        m, s = t.mean((0, 2, 3), keepdim=True), t.std((0, 2, 3), keepdim=True)
        res[L.__name__] = (m.numpy().ravel(), ((t - m) / s).mean((0, 2, 3)).numpy())
    exact = x.astype(np.float64).mean((0, 2, 3))
    assert np.abs(res["ember"][0] - exact).max() <= 2 * np.abs(res["torch"][0] - exact).max() \
        + 4 * EPS * exact.max()
    assert np.abs(res["ember"][1]).max() < 1e-6 and np.abs(res["torch"][1]).max() < 1e-6
    assert np.abs(x.mean((0, 2, 3)) - exact).max() > 1e-5     # NumPy alone: the old result


def test_long_outer_axis_and_float16_and_float64():
    rng = np.random.default_rng(2)
    a = rng.standard_normal((100000, 3)).astype(np.float32) + 5
    ref = a.astype(np.float64).sum(0)
    e = ember.from_numpy(a).sum(0).numpy()
    t = torch.from_numpy(a).sum(0).numpy()
    assert np.abs(e - ref).max() <= max(2 * np.abs(t - ref).max(), 4 * EPS * np.abs(ref).max())
    h = a[:4096].astype(np.float16)
    np.testing.assert_allclose(ember.from_numpy(h).sum(0).numpy().astype(np.float64),
                               torch.from_numpy(h).sum(0).numpy().astype(np.float64), rtol=1e-3)
    d = a.astype(np.float64)
    np.testing.assert_allclose(ember.from_numpy(d).mean(0).numpy(),
                               torch.from_numpy(d).mean(0).numpy(), rtol=1e-14)


@pytest.mark.parametrize("shape,axes,keep", [((5, 7, 9), (0, 2), True), ((5, 7, 9), (1,), False),
                                             ((40, 3, 30), (0, 2), False), ((2, 1, 300), (0, 2), True),
                                             ((0, 4), (0,), False), ((33, 1), (0, 1), True)])
def test_accurate_sum_shapes_and_values(shape, axes, keep):
    rng = np.random.default_rng(3)
    for a in (rng.standard_normal(shape), rng.standard_normal(shape[::-1]).T):
        a = a.astype(np.float32)
        got = accurate_sum(a, axes, keep)
        want = a.astype(np.float64).sum(axes, keepdims=keep)
        assert got.shape == want.shape and got.dtype == np.float32
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
        assert not np.shares_memory(got, a)


def test_reductions_keep_gradients():
    x = ember.randn(64, 3, 8, 8).contiguous(memory_format=ember.channels_last) \
        if hasattr(ember, "channels_last") else ember.randn(64, 3, 8, 8)
    x.requires_grad_()
    x.mean((0, 2, 3)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.full(x.shape, 1 / (64 * 64), np.float32))
