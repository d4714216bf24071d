"""The ``scale`` family: model-sized training steps, ember against PyTorch, each at one thread
and at the default thread count, in one run.

    python -m benchmarks.scale [workload ...] [--one-thread | --default-threads] [--blas-as-is]
                               [--channels-last] [--cpu-time]

Prints ``workload  threads  ember_s  torch_s  ratio`` (ratio = ember / torch, lower is better).
ember and PyTorch alternate repeat by repeat, so a change of machine load hits both; each time
is the best of the repeats. Before anything is timed the runner makes sure NumPy's OpenBLAS
uses AVX-512 kernels where the CPU has them (see ``benchmarks/_blas.py``; ``--blas-as-is``
keeps the environment's kernels). ``--channels-last`` runs the CNN workloads with the model and
input in ``channels_last`` memory format on both sides. ``--cpu-time`` times with the process's
CPU time instead of the wall clock: on a machine shared with other jobs, one-thread figures then
hold up (a process waiting for a core is not charged), while multi-thread ones sum the threads.

- ``resnet18_step``: a ResNet-18-style CIFAR network (BasicBlocks 2-2-2-2, widths 32-64-128-256,
  3x3 stem, BatchNorm, ReLU), batch 64 of 3x32x32: forward, cross-entropy, backward, SGD.
- ``small_cnn``: the nn issue's small CNN (3 strided 3x3 convs, global pool, Linear), batch 128.
- ``transformer_encoder``: 2 ``TransformerEncoderLayer`` (d 256, 8 heads, ff 1024), batch 32 of
  64 tokens: forward, mean-squared loss, backward, Adam.
- ``lstm_lm``: a 2-layer LSTM language model (vocab 2000, embedding and hidden 256), batch 32
  of 35 tokens: forward, cross-entropy, backward, gradient clipping, SGD.
- ``big_mlp``: 1024-2048-2048-10 with ReLU, batch 256: forward, cross-entropy, backward, SGD.
- ``tiny_loop``: ``(a * b + a).relu().sum().backward()`` on 16 floats, 1000 times: per-op
  overhead.
"""
import sys
import time

import numpy as np

CHANNELS_LAST = False
CLOCK = time.perf_counter


def _timed(fn):
    t0 = CLOCK()
    fn()
    return CLOCK() - t0


def side_by_side(make, ember, torch, repeat=5):
    """Best-of-``repeat`` seconds of ``make(lib)()`` for both libraries, alternating."""
    runs = make(ember), make(torch)
    for run in runs:      # warm-up: allocations, lazy imports, BLAS buffers
        run()
    times = ([], [])
    for _ in range(repeat):
        for run, ts in zip(runs, times):
            ts.append(_timed(run))
    return min(times[0]), min(times[1])


# -- ResNet-18-style CIFAR network ------------------------------------------------------------
def _resnet18(nn, widths=(32, 64, 128, 256), classes=10):
    class Block(nn.Module):
        def __init__(self, cin, cout, stride):
            super().__init__()
            self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
            self.bn1 = nn.BatchNorm2d(cout)
            self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
            self.bn2 = nn.BatchNorm2d(cout)
            self.relu = nn.ReLU()
            self.short = nn.Sequential()
            if stride != 1 or cin != cout:
                self.short = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False),
                                           nn.BatchNorm2d(cout))

        def forward(self, x):
            out = self.relu(self.bn1(self.conv1(x)))
            out = self.bn2(self.conv2(out))
            return self.relu(out + self.short(x))

    layers = [nn.Conv2d(3, widths[0], 3, 1, 1, bias=False), nn.BatchNorm2d(widths[0]), nn.ReLU()]
    cin = widths[0]
    for i, w in enumerate(widths):
        layers += [Block(cin, w, 1 if i == 0 else 2), Block(w, w, 1)]
        cin = w
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(cin, classes)]
    return nn.Sequential(*layers)


def _image_step(lib, model, batch, steps, momentum=0.9):
    rng = np.random.default_rng(0)
    x = lib.tensor(rng.standard_normal((batch, 3, 32, 32)).astype(np.float32))
    y = lib.tensor(rng.integers(0, 10, batch))
    if CHANNELS_LAST:
        model = model.to(memory_format=lib.channels_last)
        x = x.to(memory_format=lib.channels_last)
    opt = lib.optim.SGD(model.parameters(), lr=0.01, momentum=momentum)
    loss_fn = lib.nn.CrossEntropyLoss()

    def run():
        for _ in range(steps):
            opt.zero_grad()
            loss_fn(model(x), y).backward()
            opt.step()
    return run


def _resnet18_step(lib, steps=1):
    lib.manual_seed(0)
    return _image_step(lib, _resnet18(lib.nn), RESNET_BATCH, steps)


def resnet18_step(ember, torch):
    """One SGD step of a ResNet-18-style CIFAR network, batch 64."""
    return side_by_side(_resnet18_step, ember, torch)


def _small_cnn_model(nn):
    return nn.Sequential(
        nn.Conv2d(3, 16, 3, stride=2, padding=1), nn.ReLU(),
        nn.Conv2d(16, 32, 3, stride=2, padding=1), nn.ReLU(),
        nn.Conv2d(32, 64, 3, stride=2, padding=1), nn.ReLU(),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(64, 10))


RESNET_BATCH, SMALL_CNN_BATCH = 64, 128


def _small_cnn(lib, steps=5):
    lib.manual_seed(0)
    return _image_step(lib, _small_cnn_model(lib.nn), SMALL_CNN_BATCH, steps)


def small_cnn(ember, torch):
    """5 SGD steps of the small CNN (3 strided 3x3 convs), batch 128."""
    return side_by_side(_small_cnn, ember, torch)


# -- Transformer encoder ------------------------------------------------------------------------
def _transformer(lib, steps=2, d=256, heads=8, ff=1024, batch=32, seq=64):
    nn = lib.nn
    lib.manual_seed(0)
    layer = nn.TransformerEncoderLayer(d, heads, ff, dropout=0.0, batch_first=True)
    model = nn.TransformerEncoder(layer, 2, enable_nested_tensor=False)
    opt = lib.optim.Adam(model.parameters(), lr=1e-4)
    rng = np.random.default_rng(0)
    x = lib.tensor(rng.standard_normal((batch, seq, d)).astype(np.float32))
    target = lib.tensor(rng.standard_normal((batch, seq, d)).astype(np.float32))

    def run():
        for _ in range(steps):
            opt.zero_grad()
            nn.functional.mse_loss(model(x), target).backward()
            opt.step()
    return run


def transformer_encoder(ember, torch):
    """2 Adam steps of a 2-layer Transformer encoder (d 256), batch 32 x 64 tokens."""
    return side_by_side(_transformer, ember, torch)


# -- LSTM language model ------------------------------------------------------------------------
def _lstm_lm(lib, steps=2, vocab=2000, d=256, batch=32, seq=35):
    nn = lib.nn
    lib.manual_seed(0)

    class LM(nn.Module):
        def __init__(self):
            super().__init__()
            self.emb = nn.Embedding(vocab, d)
            self.rnn = nn.LSTM(d, d, num_layers=2)
            self.out = nn.Linear(d, vocab)

        def forward(self, tokens):
            h, _ = self.rnn(self.emb(tokens))
            return self.out(h)

    model = LM()
    opt = lib.optim.SGD(model.parameters(), lr=0.1)
    rng = np.random.default_rng(0)
    tokens = lib.tensor(rng.integers(0, vocab, (seq, batch)))
    target = lib.tensor(rng.integers(0, vocab, (seq * batch,)))
    loss_fn = nn.CrossEntropyLoss()

    def run():
        for _ in range(steps):
            opt.zero_grad()
            loss_fn(model(tokens).reshape(-1, vocab), target).backward()
            nn.utils.clip_grad_norm_(model.parameters(), 0.25)
            opt.step()
    return run


def lstm_lm(ember, torch):
    """2 SGD steps of a 2-layer LSTM LM (vocab 2000, 256), batch 32 x 35 tokens."""
    return side_by_side(_lstm_lm, ember, torch)


# -- big MLP ------------------------------------------------------------------------------------
def _big_mlp(lib, steps=5, batch=256):
    nn = lib.nn
    lib.manual_seed(0)
    model = nn.Sequential(nn.Linear(1024, 2048), nn.ReLU(), nn.Linear(2048, 2048), nn.ReLU(),
                          nn.Linear(2048, 10))
    opt = lib.optim.SGD(model.parameters(), lr=0.01)
    rng = np.random.default_rng(0)
    x = lib.tensor(rng.standard_normal((batch, 1024)).astype(np.float32))
    y = lib.tensor(rng.integers(0, 10, batch))
    loss_fn = nn.CrossEntropyLoss()

    def run():
        for _ in range(steps):
            opt.zero_grad()
            loss_fn(model(x), y).backward()
            opt.step()
    return run


def big_mlp(ember, torch):
    """5 SGD steps of a 1024-2048-2048-10 MLP, batch 256."""
    return side_by_side(_big_mlp, ember, torch)


# -- tiny-op loop -------------------------------------------------------------------------------
def _tiny_loop(lib, n=1000):
    a = lib.ones(16, requires_grad=True)
    b = lib.ones(16)

    def run():
        for _ in range(n):
            (a * b + a).relu().sum().backward()
    return run


def tiny_loop(ember, torch):
    """``(a*b + a).relu().sum().backward()`` on 16 floats, 1000 iterations."""
    return side_by_side(_tiny_loop, ember, torch)


WORKLOADS = {f.__name__: f for f in (resnet18_step, small_cnn, transformer_encoder, lstm_lm,
                                     big_mlp, tiny_loop)}


def _set_threads(ember, torch, n):
    torch.set_num_threads(n)
    ember.set_num_threads(n)


def main(argv):
    from . import _blas
    _blas.use_avx512_kernels("benchmarks.scale", argv)
    global CHANNELS_LAST, CLOCK
    CHANNELS_LAST = "--channels-last" in argv
    CLOCK = time.process_time if "--cpu-time" in argv else time.perf_counter
    import torch

    import ember
    default = torch.get_num_threads()
    settings = [1] if "--one-thread" in argv else [default] if "--default-threads" in argv \
        else sorted({1, default})
    names = [a for a in argv if not a.startswith("--")] or list(WORKLOADS)
    print(_blas.describe() + (", channels_last" if CHANNELS_LAST else "")
          + (", CPU time" if CLOCK is time.process_time else ", wall clock"))
    print(f"{'workload':<22}{'threads':>8}{'ember_s':>10}{'torch_s':>10}{'ratio':>8}")
    for name in names:
        for n in settings:
            _set_threads(ember, torch, n)
            e, t = WORKLOADS[name](ember, torch)
            print(f"{name:<22}{n:>8}{e:>10.4f}{t:>10.4f}{e / t:>8.2f}", flush=True)
    _set_threads(ember, torch, default)


if __name__ == "__main__":
    main(sys.argv[1:])
