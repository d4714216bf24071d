"""ember.compile against eager ember and eager PyTorch, in one run.

    python -m benchmarks.run compile_tiny_loop compile_xor_batch2 compile_xor_program [--one-thread]

Each workload prints ember eager, ember compiled and torch eager per iteration, and the ratios
compiled / torch and eager / torch. ``compile_tiny_loop``: ``(a*b + a).relu().sum().backward()``
on 10 floats. ``compile_xor_batch2``: seed 000's XOR step (2-4-4-1 MLP, Sigmoid, BCELoss, SGD,
batch 2: zero_grad, forward, loss, backward, step; ``loss.item()`` read after each step), on
50 prepared batches per epoch (no DataLoader: the step alone). ``compile_xor_program``: the
whole seed-000 loop (DataLoader, ``.item()`` of the loss and the accuracy), the step compiled.
The compiled callables are warmed up (captured) before timing; best of 3.
"""
import time

import numpy as np


def _best(fn, repeat=3):
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def _tiny(lib, compiled, n=2000):
    rng = np.random.default_rng(0)
    a = lib.tensor(rng.standard_normal(10).astype(np.float32), requires_grad=True)
    b = lib.tensor(rng.standard_normal(10).astype(np.float32), requires_grad=True)

    def body():
        (a * b + a).relu().sum().backward()
    f = lib.compile(body) if compiled else body
    for _ in range(5):
        f()

    def run():
        for _ in range(n):
            f()
    return run


def _xor(lib, compiled, epochs=20):
    nn = lib.nn
    lib.manual_seed(1)
    rng = np.random.default_rng(1)
    x = rng.uniform(-1, 1, (100, 2)).astype(np.float32)
    y = (x[:, 0] * x[:, 1] >= 0).astype(np.float32)
    batches = [(lib.tensor(x[i:i + 2]), lib.tensor(y[i:i + 2])) for i in range(0, 100, 2)]
    model = nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Linear(4, 4), nn.ReLU(),
                          nn.Linear(4, 1), nn.Sigmoid())
    loss_fn = nn.BCELoss()
    opt = lib.optim.SGD(model.parameters(), lr=0.015)

    def step(xb, yb):
        opt.zero_grad()
        loss = loss_fn(model(xb)[:, 0], yb)
        loss.backward()
        opt.step()
        return loss
    f = lib.compile(step) if compiled else step
    for xb, yb in batches[:5]:
        f(xb, yb)

    def run():
        total = 0.0
        for _ in range(epochs):
            for xb, yb in batches:
                total += f(xb, yb).item()
        return total
    return run


def _xor_program(lib, compiled, epochs=10):
    """Seed 000's whole XOR loop: DataLoader (shuffled, batch 2), the step, ``loss.item()`` and
    the batch accuracy read each step; only the step is compiled."""
    nn = lib.nn
    lib.manual_seed(1)
    rng = np.random.default_rng(1)
    x = rng.uniform(-1, 1, (100, 2)).astype(np.float32)
    y = (x[:, 0] * x[:, 1] >= 0).astype(np.float32)
    dl = lib.utils.data.DataLoader(lib.utils.data.TensorDataset(lib.tensor(x), lib.tensor(y)),
                                   2, shuffle=True)
    model = nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Linear(4, 4), nn.ReLU(),
                          nn.Linear(4, 1), nn.Sigmoid())
    loss_fn = nn.BCELoss()
    opt = lib.optim.SGD(model.parameters(), lr=0.015)

    def step(xb, yb):
        pred = model(xb)[:, 0]
        loss = loss_fn(pred, yb)
        loss.backward()
        opt.step()
        opt.zero_grad()
        return loss, pred.detach()
    f = lib.compile(step) if compiled else step

    def run():
        hist = 0.0
        for _ in range(epochs):
            for xb, yb in dl:
                loss, pred = f(xb, yb)
                hist += loss.item() + ((pred >= 0.5).float() == yb).float().mean().item()
        return hist
    run()
    return run


def _report(name, e, c, t, n):
    us = 1e6 / n
    print(f"{name}: ember eager {e * us:.1f} us, ember compiled {c * us:.1f} us, torch eager "
          f"{t * us:.1f} us per iteration; compiled/torch {c / t:.2f}, eager/torch {e / t:.2f}")


def compile_tiny_loop(ember, torch):
    """Tiny-op loop: ember eager, ember.compile, torch eager (2000 iterations, best of 3)."""
    e, c, t = (_best(_tiny(ember, False)), _best(_tiny(ember, True)),
               _best(_tiny(torch, False)))
    _report("compile_tiny_loop", e, c, t, 2000)
    return c, t


def compile_xor_batch2(ember, torch):
    """XOR step, batch 2 (1000 steps): ember eager, ember.compile, torch eager."""
    e, c, t = (_best(_xor(ember, False)), _best(_xor(ember, True)), _best(_xor(torch, False)))
    _report("compile_xor_batch2", e, c, t, 1000)
    return c, t


def compile_xor_program(ember, torch):
    """Seed 000's XOR loop with its DataLoader and per-step .item() reads (500 steps), the
    step compiled: ember eager, ember.compile, torch eager."""
    e, c, t = (_best(_xor_program(ember, False)), _best(_xor_program(ember, True)),
               _best(_xor_program(torch, False)))
    _report("compile_xor_program", e, c, t, 500)
    return c, t
