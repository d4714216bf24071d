"""ember's intra-op threads (ops/_parallel.py): the pool's contract, and the ops that split
their work over it (batch norm, ReLU, layout copies, convolution), at two threads against one
thread and against PyTorch, on arrays big enough to split."""
import threading

import numpy as np
import pytest
import torch

import ember
from ember.ops import _parallel

pytestmark = pytest.mark.skipif(None in _parallel.blas_fns(),
                                reason="NumPy's BLAS is not OpenBLAS: no thread count to split by")


@pytest.fixture
def threads():
    """Run a test at a given thread count, restoring the count after."""
    before = ember.get_num_threads()
    yield ember.set_num_threads
    ember.set_num_threads(before)


def test_run_keeps_order_uses_two_threads_and_restores_blas(threads):
    threads(2)
    seen = set()

    def work(a, b):
        seen.add(threading.get_ident())
        assert _parallel.blas_fns()[0]() == 1         # BLAS held at one thread inside
        x = np.ones((256, 256), np.float32)
        for _ in range(20):                            # long enough for both threads to join
            x = x @ x / 256
        return a, b
    parts = _parallel.spans(100, 7)
    assert _parallel.run(np, parts, work) == parts
    assert len(seen) == 2
    assert ember.get_num_threads() == 2                # put back after the run


def test_run_propagates_errors_and_restores(threads):
    threads(2)

    def work(a, b):
        if a == 3:
            raise ValueError("part 3 failed")
        return a
    with pytest.raises(ValueError, match="part 3 failed"):
        _parallel.run(np, [(i, i + 1) for i in range(8)], work)
    assert ember.get_num_threads() == 2
    assert not _parallel.inside()


def test_no_split_for_small_work_one_thread_or_nested(threads):
    threads(2)
    assert _parallel.threads(np, 1000) == 1
    assert _parallel.threads(np, 1 << 22) == 2
    inner = _parallel.run(np, [(0, 1), (1, 2)], lambda a, b: _parallel.threads(np, 1 << 22))
    assert inner == [1, 1]                             # a part never splits again
    threads(1)
    assert _parallel.threads(np, 1 << 22) == 1


def test_hold_nests_and_counts_the_threads(threads):
    threads(2)
    with _parallel.hold():
        assert _parallel.blas_fns()[0]() == 1
        assert _parallel.threads(np) == 2               # ember still counts two
        with _parallel.hold():
            pass
        assert _parallel.blas_fns()[0]() == 1           # the inner hold changed nothing
    assert ember.get_num_threads() == 2


def _both(fn, n):
    before = ember.get_num_threads()
    try:
        ember.set_num_threads(n)
        return fn()
    finally:
        ember.set_num_threads(before)


NORMS = ["BatchNorm2d(16)", "GroupNorm(4, 16)", "InstanceNorm2d(16, affine=True)",
         "LayerNorm([16, 24, 24])"]


@pytest.mark.parametrize("layout", ["nchw", "channels_last"])
@pytest.mark.parametrize("norm", NORMS)
def test_norms_and_relu_split_match_one_thread_and_torch(norm, layout):
    rng = np.random.default_rng(0)
    x = (rng.standard_normal((48, 16, 24, 24)) * 2 + 1).astype(np.float32)   # 1.7 MiB
    g = rng.standard_normal(x.shape).astype(np.float32)

    def run():
        ember.manual_seed(0)
        m = eval("ember.nn." + norm)
        xe = ember.tensor(x)
        if layout == "channels_last":
            xe = xe.to(memory_format=ember.channels_last)
        xe.requires_grad_()
        y = ember.relu(m(xe))
        y.backward(ember.tensor(g))
        return y.detach().numpy(), xe.grad.numpy(), [p.grad.numpy() for p in m.parameters()]
    one, two = _both(run, 1), _both(run, 2)
    torch.manual_seed(0)
    mt = eval("torch.nn." + norm)
    xt = torch.tensor(x, requires_grad=True)
    yt = torch.relu(mt(xt))
    yt.backward(torch.tensor(g))
    ref = yt.detach().numpy(), xt.grad.numpy(), [p.grad.numpy() for p in mt.parameters()]
    for got in (one, two):
        np.testing.assert_allclose(got[0], ref[0], rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(got[1], ref[1], rtol=1e-4, atol=1e-5)
        for a, b in zip(got[2], ref[2]):                 # sums of 27,648 terms
            np.testing.assert_allclose(a, b, rtol=1e-3, atol=1e-3)
    np.testing.assert_array_equal(two[0] > 0, one[0] > 0)


def test_relu_backward_across_layouts_split_is_exact():
    # a channels-last gradient into an NCHW ReLU output: the mask laid out across layouts, in
    # blocks of the batch on two threads; bit for bit np.where's result, +0.0 where masked
    rng = np.random.default_rng(1)
    x = rng.standard_normal((32, 16, 32, 32)).astype(np.float32)
    g = rng.standard_normal((32, 32, 32, 16)).astype(np.float32).transpose(0, 3, 1, 2)

    def run():
        xe = ember.tensor(x, requires_grad=True)
        y = ember.relu(xe)
        y.backward(ember.tensor(g))
        return xe.grad.numpy()
    two = _both(run, 2)
    want = np.where(x > 0, g, np.float32(0))
    assert two.tobytes() == np.ascontiguousarray(want).tobytes()


@pytest.mark.parametrize("stride", [1, 2])
def test_small_conv_kept_columns_split(stride):
    # columns small enough to be kept for the weight gradient, built by blocks on two threads
    rng = np.random.default_rng(2)
    x = rng.standard_normal((128, 3, 32, 32)).astype(np.float32)
    w = (rng.standard_normal((16, 3, 3, 3)) * 0.2).astype(np.float32)
    b = rng.standard_normal(16).astype(np.float32)
    g = rng.standard_normal((128, 16, 32 // stride, 32 // stride)).astype(np.float32)

    def run():
        xe, we, be = (ember.tensor(a, requires_grad=True) for a in (x, w, b))
        y = ember.nn.functional.conv2d(xe, we, be, stride=stride, padding=1)
        y.backward(ember.tensor(g))
        return y.detach().numpy(), xe.grad.numpy(), we.grad.numpy(), be.grad.numpy()
    one, two = _both(run, 1), _both(run, 2)
    xt, wt, bt = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    yt = torch.nn.functional.conv2d(xt, wt, bt, stride=stride, padding=1)
    yt.backward(torch.tensor(g))
    ref = [t.detach().numpy() for t in (yt, xt.grad, wt.grad, bt.grad)]
    for got in (one, two):
        for a, r in zip(got, ref):
            np.testing.assert_allclose(a, r, rtol=1e-4, atol=2e-4 * np.abs(r).max())
    for a, b in zip(two, one):     # (OpenBLAS may round a row differently in a smaller GEMM)
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5 * np.abs(b).max())


def test_pool_in_a_forked_child(threads):
    import multiprocessing as mp
    threads(2)
    _parallel.run(np, [(0, 1), (1, 2)], lambda a, b: a)     # the parent's pool exists
    ctx = mp.get_context("fork")
    with ctx.Pool(1) as pool:
        assert pool.apply(_child_run) == [0, 1, 2, 3]


def _child_run():
    ember.set_num_threads(2)
    return _parallel.run(np, [(i, i + 1) for i in range(4)], lambda a, b: a)


@pytest.mark.parametrize("layout", ["nchw", "channels_last"])
def test_residual_sum_and_meeting_gradients_split(layout):
    rng = np.random.default_rng(3)
    a = rng.standard_normal((32, 16, 32, 32)).astype(np.float32)
    b = rng.standard_normal(a.shape).astype(np.float32)

    def run():
        x, y = ember.tensor(a), ember.tensor(b)
        if layout == "channels_last":
            x, y = (t.to(memory_format=ember.channels_last) for t in (x, y))
        x.requires_grad_()
        z = x + y
        (z * 2 + z).backward(ember.tensor(b))        # two gradients meet at z
        return z.detach(), x.grad
    for n in (1, 2):
        z, gx = _both(run, n)
        assert z.numpy().tobytes() == (a + b).tobytes()
        np.testing.assert_array_equal(gx.numpy(), b * 2 + b)
        assert z.is_contiguous(memory_format=ember.channels_last) == (layout == "channels_last")


def test_small_ops_hold_blas_only_while_split_work_is_recent(threads, monkeypatch):
    # a small op keeps BLAS's own threads, unless ember's threads split work lately: then one
    # multi-threaded GEMM would leave a BLAS thread spinning against them
    threads(2)
    seen = []
    probe = _parallel.hold(size=lambda n: n)(lambda n: seen.append(_parallel.blas_fns()[0]()))
    monkeypatch.setattr(_parallel, "_SPLIT", [-1e9])
    probe(1000)
    probe(1 << 22)
    assert seen == [2, 1]
    _parallel.run(np, [(0, 1), (1, 2)], lambda a, b: a)   # split work just now
    probe(1000)
    assert seen[-1] == 1
    assert ember.get_num_threads() == 2
