"""Recurrent layer speed, ember against PyTorch in one run.

    python -m benchmarks.nn_rnn

``lstm``: a 1-layer LSTM, hidden 128, on a batch of 32 sequences of length 50 with 32 input
features; forward + backward of the summed output.
"""
import time

import numpy as np


def _best_of(fn, repeat=3):
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def _lstm_step(lib):
    lib.manual_seed(0)
    layer = lib.nn.LSTM(32, 128)
    x = lib.tensor(np.random.default_rng(0).standard_normal((50, 32, 32)).astype(np.float32),
                   requires_grad=True)

    def run():
        layer.zero_grad()
        x.grad = None
        out, (h, c) = layer(x)
        out.backward(lib.ones_like(out))
    run()   # warm up (allocations, lazy imports)
    return run


def lstm(ember, torch, repeat=3):
    """Seconds for one forward + backward of LSTM(32, 128) on 50x32x32 (best of 3):
    (ember_s, torch_s). The two alternate, so a change of machine load hits both."""
    runs = _lstm_step(ember), _lstm_step(torch)
    times = ([], [])
    for _ in range(repeat):
        for run, ts in zip(runs, times):
            ts.append(_best_of(run, 1))
    return min(times[0]), min(times[1])


def main():
    import torch

    import ember
    e, t = lstm(ember, torch)
    print(f"{'workload':<16}{'ember_s':>10}{'torch_s':>10}{'ratio':>8}")
    print(f"{'lstm':<16}{e:>10.4f}{t:>10.4f}{e / t:>8.2f}")


if __name__ == "__main__":
    main()
