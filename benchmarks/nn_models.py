"""Whole-model workloads of the nn issue, written once and run on both libraries."""
import time

import numpy as np


def _best(fn, repeat=3):
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def _small_cnn(lib, steps=20):
    nn = lib.nn
    lib.manual_seed(0)
    model = nn.Sequential(
        nn.Conv2d(3, 16, 3, stride=2, padding=1), nn.ReLU(),
        nn.Conv2d(16, 32, 3, stride=2, padding=1), nn.ReLU(),
        nn.Conv2d(32, 64, 3, stride=2, padding=1), nn.ReLU(),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(64, 10))
    opt = lib.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    rng = np.random.default_rng(0)
    x = lib.tensor(rng.standard_normal((128, 3, 32, 32)).astype(np.float32))
    y = lib.tensor(rng.integers(0, 10, 128))
    loss_fn = nn.CrossEntropyLoss()

    def run():
        for _ in range(steps):
            opt.zero_grad()
            loss = loss_fn(model(x), y)
            loss.backward()
            opt.step()
    return run


def small_cnn(ember, torch):
    """3 strided 3x3 convs + global average pool + Linear, batch 128 of 3x32x32, 20 SGD steps."""
    return _best(_small_cnn(ember)), _best(_small_cnn(torch))


def _mlp(lib, n=55000, batch=64):
    nn = lib.nn
    lib.manual_seed(0)
    model = nn.Sequential(nn.Linear(784, 32), nn.ReLU(), nn.Linear(32, 16), nn.ReLU(),
                          nn.Linear(16, 10))
    opt = lib.optim.SGD(model.parameters(), lr=0.01)
    rng = np.random.default_rng(0)
    xs = lib.tensor(rng.standard_normal((n, 784)).astype(np.float32))
    ys = lib.tensor(rng.integers(0, 10, n))
    loss_fn = nn.CrossEntropyLoss()

    def run():
        for i in range(0, n, batch):
            opt.zero_grad()
            loss = loss_fn(model(xs[i:i + batch]), ys[i:i + batch])
            loss.backward()
            opt.step()
    return run


def mlp_mnist_like(ember, torch):
    """784-32-16-10 MLP, cross-entropy, batch 64, one pass over 55,000 random samples."""
    return _best(_mlp(ember), 2), _best(_mlp(torch), 2)
