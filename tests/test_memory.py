"""Saved arrays are freed with the graph: resident memory stays flat over a long loop."""
import gc
import os

import ember


def rss_mb():
    with open(f"/proc/{os.getpid()}/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def test_training_loop_memory_is_flat():
    ember.manual_seed(0)
    x, y = ember.randn(32, 64), ember.randn(32, 8)
    w1 = ember.randn(64, 128, requires_grad=True)
    w2 = ember.randn(128, 8, requires_grad=True)
    kept = []

    def step():
        loss = ((x @ w1).relu().matmul(w2) - y).pow(2).mean()
        loss.backward()
        with ember.no_grad():
            for w in (w1, w2):
                w -= 1e-3 * w.grad
                w.grad = None
        kept.append(loss.item())

    for _ in range(500):
        step()
    gc.collect()
    before = rss_mb()
    for _ in range(4500):
        step()
    gc.collect()
    grown = rss_mb() - before
    # leaking the saved activations (32x128 float32 per step, ~16 KB) would cost ~70 MB.
    assert grown < 8, f"resident memory grew by {grown:.1f} MB over 4500 steps"


def test_backward_frees_saved_activations_of_a_kept_loss():
    import weakref
    x = ember.randn(8, 16)
    w = ember.randn(16, 4, requires_grad=True)
    h = (x @ w).relu()
    idx = ember.tensor([0, 1, 1])
    loss = (h * h)[idx].sum()
    refs = [weakref.ref(h)]
    del h
    assert refs[0]() is not None          # the graph holds it until backward
    loss.backward()
    gc.collect()
    assert refs[0]() is None              # ... and lets it go after, though loss is kept
    node, arrays = loss.grad_fn, []
    stack = [node]
    while stack:
        n = stack.pop()
        arrays += [k for k, v in getattr(n, "__dict__", {}).items()
                   if k[0] != "_" and hasattr(v, "__array_interface__")]
        stack += [e[0] for e in n._next if e is not None]
    assert arrays == []


def test_malloc_tuning_can_be_switched_off(monkeypatch):
    import platform

    from ember._alloc import tune_malloc
    if platform.libc_ver()[0] == "glibc":
        assert tune_malloc()
    monkeypatch.setenv("EMBER_MALLOC_TUNING", "0")
    assert not tune_malloc()


def test_arrays_kept_on_ctx_are_freed_after_backward():
    # conv's columns / padded input and pooling's indices are declared in _ctx_arrays and freed
    # with the saved tensors once backward has run (kept with retain_graph=True)
    import ember.nn.functional as F
    for retain in (False, True):
        x = ember.randn(2, 3, 8, 8, requires_grad=True)
        w = ember.randn(4, 3, 3, 3, requires_grad=True)
        y = F.conv2d(x, w, padding=1)
        p = F.max_pool2d(y, 2)
        a = F.avg_pool2d(y, 2, ceil_mode=True, count_include_pad=False)
        nodes = (y.grad_fn, p.grad_fn, a.grad_fn)
        held = [{k: v for k, v in n.__dict__.items() if k in type(n)._ctx_arrays and v is not None}
                for n in nodes]
        assert held[0] and held[1], "conv and max-pool keep arrays for their backward"
        (p.sum() + a.sum()).backward(retain_graph=retain)
        left = [{k for k in type(n)._ctx_arrays if n.__dict__.get(k) is not None} for n in nodes]
        if retain:
            assert left == [set(h) for h in held]
        else:
            assert left == [set(), set(), set()]
