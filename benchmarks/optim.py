"""Optimizer step speed, ember against PyTorch in one run.

    python -m benchmarks.optim

``optimizer_step``: one ``Adam.step()`` over 100 float32 parameter tensors of mixed sizes
(weight matrices, biases, an embedding-like table; ~1M values in all), gradients
already in place. ``optimizer_step_overhead``: the same over 100 tiny tensors (10 values each),
i.e. the per-parameter Python overhead of a step.
"""
import time

import numpy as np


def _best_of(fn, repeat=7):
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def _shapes():
    """100 tensors, ~1M values (992k): 24 x [(256, 128), (128,), (64, 64), (64,)] weight/bias
    pairs, then an embedding-like (16384, 3) table, a (4096,) vector and a (1000, 50) + (50,)
    head."""
    shapes = []
    for _ in range(24):
        shapes += [(256, 128), (128,), (64, 64), (64,)]
    shapes += [(16384, 3), (4096,), (1000, 50), (50,)]
    return shapes


def _adam(lib, shapes):
    rng = np.random.default_rng(0)
    P = lib.nn.Parameter
    params = [P(lib.tensor(rng.standard_normal(s).astype(np.float32))) for s in shapes]
    for p in params:
        p.grad = lib.tensor(rng.standard_normal(p.shape).astype(np.float32))
    opt = lib.optim.Adam(params, lr=1e-3)
    opt.step()      # creates the state (exp_avg, exp_avg_sq) outside the timing
    return opt.step


def optimizer_step(ember, torch):
    """Seconds for one Adam step over 100 float32 tensors (~1M values), best of 7:
    (ember_s, torch_s)."""
    import ember.optim  # noqa: F401  (ember/__init__ may not import optim yet)
    shapes = _shapes()
    return _best_of(_adam(ember, shapes)), _best_of(_adam(torch, shapes))


def optimizer_step_overhead(ember, torch):
    """Seconds for one Adam step over 100 tensors of 10 values: per-parameter overhead."""
    import ember.optim  # noqa: F401
    shapes = [(10,)] * 100
    return _best_of(_adam(ember, shapes), 20), _best_of(_adam(torch, shapes), 20)


def main():
    import torch

    import ember
    print(f"{'workload':<26}{'ember_s':>10}{'torch_s':>10}{'ratio':>8}")
    for fn in (optimizer_step, optimizer_step_overhead):
        e, t = fn(ember, torch)
        print(f"{fn.__name__:<26}{e:>10.5f}{t:>10.5f}{e / t:>8.2f}")


if __name__ == "__main__":
    main()
