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
