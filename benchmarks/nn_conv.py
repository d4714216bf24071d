"""Convolution layer speed, ember against PyTorch in one run.

    python -m benchmarks.nn_conv [--one-thread]

``conv_layer``: Conv2d(16, 32, 3, padding=1), forward + backward on a 64x16x32x32 batch.
``--one-thread`` limits PyTorch to one thread; run it with OPENBLAS_NUM_THREADS=1 to do the same
for NumPy's BLAS (figures that hold up better on a shared machine).
"""
import sys
import time

import numpy as np


def _best_of(fn, repeat=3):
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def _conv_step(lib):
    lib.manual_seed(0)
    layer = lib.nn.Conv2d(16, 32, 3, padding=1)
    x = lib.tensor(np.random.default_rng(0).standard_normal((64, 16, 32, 32)).astype(np.float32),
                   requires_grad=True)

    def run():
        layer.zero_grad()
        x.grad = None
        y = layer(x)
        y.backward(lib.ones_like(y))
    run()   # warm up (allocations, lazy imports)
    return run


def conv_layer(ember, torch):
    """Seconds for one forward + backward of Conv2d(16, 32, 3, padding=1) on 64x16x32x32 (best of
    3): (ember_s, torch_s)."""
    return _best_of(_conv_step(ember)), _best_of(_conv_step(torch))


def main(args):
    import torch

    import ember
    if "--one-thread" in args:
        torch.set_num_threads(1)
    e, t = conv_layer(ember, torch)
    print(f"{'workload':<16}{'ember_s':>10}{'torch_s':>10}{'ratio':>8}")
    print(f"{'conv_layer':<16}{e:>10.4f}{t:>10.4f}{e / t:>8.2f}")


if __name__ == "__main__":
    main(sys.argv[1:])
