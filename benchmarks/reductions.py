"""float32 reductions: speed and accuracy of ember's ordered sums, against PyTorch and against
NumPy's plain ``ndarray.sum`` (ember's behaviour before ``ops/_accumulate.py``), in one run.

    python -m benchmarks.reductions [--one-thread]

Each row: a tensor (layout), the dims reduced, seconds per ``x.sum(dims)`` (best of 7 runs of
20) for ember, PyTorch and NumPy, the ember/torch ratio, and each one's error against the
float64 sum in ulps of the largest result.
"""
import sys
import time

import numpy as np

CASES = [
    ("(64,32,16,16) contiguous", (64, 32, 16, 16), False, (0, 2, 3)),
    ("(64,32,16,16) channels_last", (64, 32, 16, 16), True, (0, 2, 3)),
    ("(64,32,16,16) contiguous", (64, 32, 16, 16), False, (1, 2, 3)),
    ("(1024,1024) contiguous", (1024, 1024), False, (0,)),
    ("(1024,1024) contiguous", (1024, 1024), False, (1,)),
    ("(100000,3) contiguous", (100000, 3), False, (0,)),
    ("(1<<20,) contiguous", (1 << 20,), False, (0,)),
    ("(8,8) contiguous", (8, 8), False, (0, 1)),
]


def _best(fn, repeat=7, n=20):
    fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        for _ in range(n):
            fn()
        times.append((time.perf_counter() - t0) / n)
    return min(times)


def main(args):
    import torch

    import ember
    if "--one-thread" in args:
        torch.set_num_threads(1)
    eps = float(np.finfo(np.float32).eps)
    rng = np.random.default_rng(0)
    print(f"{'tensor':<30}{'dims':<14}{'ember_s':>10}{'torch_s':>10}{'numpy_s':>10}"
          f"{'ratio':>7}{'ulps e/t/np':>16}")
    for label, shape, cl, dims in CASES:
        a = (rng.standard_normal(shape) * 3 + 1).astype(np.float32)
        if cl:
            a = np.ascontiguousarray(a.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)
        e, t = ember.from_numpy(a), torch.from_numpy(a)
        ref = a.astype(np.float64).sum(dims)
        scale = np.abs(ref).max() * eps

        def ulps(v):
            return np.abs(np.asarray(v, np.float64) - ref).max() / scale
        te, tt, tn = (_best(lambda: e.sum(dims)), _best(lambda: t.sum(dims)),
                      _best(lambda: a.sum(dims)))
        errs = f"{ulps(e.sum(dims).numpy()):.1f}/{ulps(t.sum(dims).numpy()):.1f}/" \
               f"{ulps(a.sum(dims)):.1f}"
        print(f"{label:<30}{str(dims):<14}{te:>10.6f}{tt:>10.6f}{tn:>10.6f}{te / tt:>7.2f}"
              f"{errs:>16}")


if __name__ == "__main__":
    main(sys.argv[1:])
