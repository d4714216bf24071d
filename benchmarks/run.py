"""Time ember and PyTorch on the same workloads in one run.

    python -m benchmarks.run [workload ...] [--one-thread] [--blas-as-is]

Prints ``workload  ember_s  torch_s  ratio`` (ratio = ember / torch; lower is better), plus
per-op overhead in microseconds. Each timing is the best of several repeats. The ``scale``
family (``benchmarks/scale.py``, model-sized steps) is here as ``scale_<name>``; run it on its
own for 1 thread and the default threads side by side. Where the CPU has AVX-512, NumPy's
OpenBLAS is made to use its AVX-512 kernels first (``benchmarks/_blas.py``; ``--blas-as-is``
keeps the environment's), and the kernels used are printed.
"""
import sys
import time

import numpy as np

WORKLOADS = {}


def workload(fn):
    WORKLOADS[fn.__name__] = fn
    return fn


def best_of(fn, repeat=3):
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def _two_layer(lib, steps=500):
    N, D_in, H, D_out = 64, 1000, 100, 10
    rng = np.random.default_rng(0)
    x = lib.tensor(rng.standard_normal((N, D_in)).astype(np.float32))
    y = lib.tensor(rng.standard_normal((N, D_out)).astype(np.float32))
    w1 = lib.tensor(rng.standard_normal((D_in, H)).astype(np.float32), requires_grad=True)
    w2 = lib.tensor(rng.standard_normal((H, D_out)).astype(np.float32), requires_grad=True)

    def run():
        nonlocal w1, w2
        for _ in range(steps):
            y_pred = x.mm(w1).clamp(min=0).mm(w2)
            loss = (y_pred - y).pow(2).sum()
            loss.backward()
            with lib.no_grad():
                w1 -= 1e-6 * w1.grad
                w2 -= 1e-6 * w2.grad
                w1.grad.zero_()
                w2.grad.zero_()
    return run


@workload
def two_layer_autograd(ember, torch):
    """The autograd stage of the two-layer-net tutorial: N=64, 1000-100-10, 500 steps."""
    return best_of(_two_layer(ember)), best_of(_two_layer(torch))


def _add_op(lib, grad, n=2000):
    a = lib.ones(10, requires_grad=grad)
    b = lib.ones(10)

    def run():
        for _ in range(n):
            c = a + b
            if grad:
                c.sum().backward()
    return run


@workload
def add_overhead_nograd(ember, torch):
    """A 10-element add, no grad tracking: seconds per 2000 ops."""
    return best_of(_add_op(ember, False)), best_of(_add_op(torch, False))


@workload
def add_overhead_grad(ember, torch):
    """A 10-element add + sum + backward with grad tracking: seconds per 2000 iterations."""
    return best_of(_add_op(ember, True)), best_of(_add_op(torch, True))


def _register_modules():
    """Workloads that live in their own files, by the issue they belong to."""
    from . import dataloader, ddp, lightning, nn_conv, nn_models, nn_rnn, optim, overhead, rng, training
    for fn in (ddp.ddp_scaling, dataloader.dataloader_epoch_w0, dataloader.dataloader_epoch_w2,
               nn_conv.conv_layer, nn_models.small_cnn, nn_models.mlp_mnist_like, nn_rnn.lstm,
               optim.optimizer_step, training.mnist1d_cnn_fit, training.xor_tiny_batches,
               overhead.tiny_op_loop, overhead.xor_batch2, lightning.lightning_fit_overhead,
               rng.rng, rng.rng_rand, rng.rng_randn, rng.rng_randint, rng.rng_randperm):
        WORKLOADS[fn.__name__] = fn
    from . import scale
    for name, fn in scale.WORKLOADS.items():
        WORKLOADS["scale_" + name] = fn
    from . import compile as compile_bench  # ember.compile (capture and replay)
    for fn in (compile_bench.compile_tiny_loop, compile_bench.compile_xor_batch2,
               compile_bench.compile_xor_program):
        WORKLOADS[fn.__name__] = fn


def main(names):
    from . import _blas
    _blas.use_avx512_kernels("benchmarks.run", names)
    _register_modules()
    print(_blas.describe())
    import torch

    import ember
    if "--one-thread" in names:   # a fair comparison on a shared machine: one BLAS thread each
        torch.set_num_threads(1)
        try:
            from threadpoolctl import threadpool_limits
            threadpool_limits(1)
        except ImportError:
            pass
    names = [n for n in names if not n.startswith("--")] or list(WORKLOADS)
    print(f"{'workload':<24}{'ember_s':>10}{'torch_s':>10}{'ratio':>8}")
    for name in names:
        e, t = WORKLOADS[name](ember, torch)
        print(f"{name:<24}{e:>10.4f}{t:>10.4f}{e / t:>8.2f}")
        if name.startswith("add_overhead"):
            print(f"{'':<4}per op: ember {e / 2000 * 1e6:.1f} us, torch {t / 2000 * 1e6:.1f} us")


if __name__ == "__main__":
    main(sys.argv[1:])
