"""Per-op overhead workloads of the performance issue, ember against PyTorch in one run.

    python -m benchmarks.run tiny_op_loop xor_batch2 [--one-thread]

``tiny_op_loop``: ``(a*b + a).relu().sum().backward()`` on 10-element tensors, 2000 times: what
one small op costs in Python (the arithmetic is negligible).
``xor_batch2``: seed 000's XOR program (2-4-4-1 MLP, BCELoss, SGD, batch 2), 40 epochs: the
per-step overhead of a whole training step (forward, loss, backward, optimizer, DataLoader).
"""
import time

import numpy as np


def _interleaved(run_e, run_t, repeat=5):
    """Best-of-``repeat`` seconds of both runs, alternating ember and torch (after one warm-up
    each), so that a busy moment of a shared machine hits both alike."""
    run_e(), run_t()
    te, tt = [], []
    for _ in range(repeat):
        for run, ts in ((run_e, te), (run_t, tt)):
            t0 = time.perf_counter()
            run()
            ts.append(time.perf_counter() - t0)
    return min(te), min(tt)


def _tiny(lib, n=2000):
    rng = np.random.default_rng(0)
    a = lib.tensor(rng.standard_normal(10).astype(np.float32), requires_grad=True)
    b = lib.tensor(rng.standard_normal(10).astype(np.float32), requires_grad=True)

    def run():
        for _ in range(n):
            (a * b + a).relu().sum().backward()
    return run


def tiny_op_loop(ember, torch):
    """``(a*b + a).relu().sum().backward()`` on 10 floats, 2000 iterations."""
    return _interleaved(_tiny(ember), _tiny(torch))


def xor_batch2(ember, torch):
    """Seed 000's XOR training step (batch 2), 40 epochs of 50 steps, best of 5, ember and
    torch interleaved."""
    from .training import _xor
    return _interleaved(_xor(ember, 40), _xor(torch, 40))
