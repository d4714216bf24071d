"""Floors: how close NumPy itself comes to PyTorch where ember misses its speed bars (issue 15's
CNN steps, issue 12's ``randn`` and ``randperm``), side by side with PyTorch in one run.

    python -m benchmarks.floors [workload ...] [--one-thread | --default-threads] [--blas-as-is]

Each workload times only work that no NumPy program doing the job can skip, on arrays made
beforehand, against PyTorch doing the whole job; ``ratio`` = floor / torch. Whatever else ember
does must fit in the bar minus that ratio.

- ``cnn_gemms_resnet18``, ``cnn_gemms_small_cnn``: the matrix products of an im2col training
  step and nothing else. Per convolution of ``benchmarks.scale``'s model (shapes taken from a
  forward pass): the forward product (B·O, K·C) @ (K·C, C_out), the input gradient's
  (B·O, C_out) @ (C_out, K·C) (not for the first layer, whose input needs none) and the weight
  gradient's (K·C, B·O) @ (B·O, C_out), in OpenBLAS at the thread count, on whole arrays or by
  blocks of images, whichever is faster. Against PyTorch's whole training step of that model
  (forward, loss, backward, SGD).
- ``randperm_floor``: 10^6 MT19937 words, each reduced modulo n - i, and one sort of 10^6 64-bit
  (target, step) keys: what a vectorised replay of PyTorch's Fisher-Yates loop needs before it
  resolves a single swap chain. Against ``torch.randperm(10**6)``.
- ``randn_floor``: 10^6 words made float32 uniforms and a float32 Box-Muller with NumPy's own
  log, sqrt, cos and sin: far fewer passes than a bit-exact replay of PyTorch's polynomial
  kernels, and not PyTorch's numbers. Against ``torch.randn(10**6)``.
"""
import math
import sys

import numpy as np

from .run import best_of

N = 10 ** 6


def _best(fn, repeat=7):
    """Best of ``repeat`` after one warm-up call."""
    fn()
    return best_of(fn, repeat)


# -- convolution GEMMs --------------------------------------------------------------------------
def _conv_shapes(ember, model, batch):
    """[(B, C, K, O, C_out, first)] for every Conv2d of ``model``, from a forward pass on a
    batch of 3x32x32 images (K kernel positions, O output pixels)."""
    convs = []

    def hook(mod, inputs, out):
        x = inputs[0]
        convs.append((x.shape[0], x.shape[1], math.prod(mod.weight.shape[2:]),
                      math.prod(out.shape[2:]), out.shape[1], not convs))
    handles = [m.register_forward_hook(hook) for m in model.modules()
               if isinstance(m, ember.nn.Conv2d)]
    with ember.no_grad():
        model(ember.zeros(batch, 3, 32, 32))
    for h in handles:
        h.remove()
    return convs


_BLOCK = 1 << 20   # column elements per block of images, as ember's convolutions run them


def _gemm_seconds(shapes):
    """Sum over the convolutions of the best time of their products, each convolution's taken
    the faster of two ways: whole arrays, or blocks of whole images of about _BLOCK column
    elements (as ember runs them: faster on one thread, slower on several)."""
    rng = np.random.default_rng(0)
    total = 0.0
    for B, C, K, O, Co, first in shapes:
        rows, kc = B * O, K * C
        cols = rng.standard_normal((rows, kc), np.float32)
        w = rng.standard_normal((kc, Co), np.float32)
        g = rng.standard_normal((rows, Co), np.float32)
        y, gw, part = (np.empty(s, np.float32) for s in ((rows, Co), (kc, Co), (kc, Co)))
        gcols = None if first else np.empty((rows, kc), np.float32)

        def products(step):
            for r in range(0, rows, step):
                s = slice(r, r + step)
                np.matmul(cols[s], w, out=y[s])
                if gcols is not None:
                    np.matmul(g[s], w.T, out=gcols[s])
                np.matmul(cols[s].T, g[s], out=part if r else gw)
                if r:
                    np.add(gw, part, out=gw)
        block = max(1, _BLOCK // (O * kc)) * O     # rows of whole images
        total += min(_best(lambda: products(rows), repeat=3),
                     _best(lambda: products(block), repeat=3))
    return total


def cnn_gemms_resnet18(ember, torch):
    """The conv GEMMs of scale.resnet18_step against PyTorch's whole step."""
    from . import scale
    shapes = _conv_shapes(ember, scale._resnet18(ember.nn), scale.RESNET_BATCH)
    return _gemm_seconds(shapes), _best(scale._resnet18_step(torch), repeat=5)


def cnn_gemms_small_cnn(ember, torch):
    """The conv GEMMs of scale.small_cnn's 5 steps against PyTorch's 5 steps."""
    from . import scale
    shapes = _conv_shapes(ember, scale._small_cnn_model(ember.nn), scale.SMALL_CNN_BATCH)
    return 5 * _gemm_seconds(shapes), _best(scale._small_cnn(torch), repeat=5)


# -- random streams -----------------------------------------------------------------------------
def _words(bits, n):
    return bits.random_raw(n).astype(np.uint32)


def randperm_floor(ember, torch):
    """Words, modulo and one 64-bit key sort for 10^6 against torch.randperm(10^6)."""
    bits = np.random.MT19937(0)
    steps = np.arange(N, dtype=np.uint64)
    spans = np.arange(N, 0, -1, dtype=np.uint64)

    def floor():
        z = _words(bits, N).astype(np.uint64)
        z %= spans
        z += steps
        z <<= np.uint64(32)
        z |= steps
        z.sort()
    return _best(floor), _best(lambda: torch.randperm(N))


def randn_floor(ember, torch):
    """Uniforms and a float32 Box-Muller in NumPy's math for 10^6 against torch.randn(10^6)."""
    bits = np.random.MT19937(0)
    out = np.empty((N // 16, 16), np.float32)

    def floor():
        u = (_words(bits, N) & np.uint32((1 << 24) - 1)).astype(np.float32).reshape(-1, 16)
        u *= np.float32(2.0 ** -24)
        r = np.sqrt(np.float32(-2) * np.log(np.float32(1) - u[:, :8]))
        theta = np.float32(2 * math.pi) * u[:, 8:]
        np.multiply(r, np.cos(theta), out=out[:, :8])
        np.multiply(r, np.sin(theta), out=out[:, 8:])
    return _best(floor), _best(lambda: torch.randn(N))


WORKLOADS = {f.__name__: f for f in (cnn_gemms_resnet18, cnn_gemms_small_cnn, randperm_floor,
                                     randn_floor)}


def main(argv):
    from . import _blas
    _blas.use_avx512_kernels("benchmarks.floors", argv)
    import torch

    import ember
    default = torch.get_num_threads()
    settings = [1] if "--one-thread" in argv else [default] if "--default-threads" in argv \
        else sorted({1, default})
    names = [a for a in argv if not a.startswith("--")] or list(WORKLOADS)
    print(_blas.describe())
    print(f"{'workload':<22}{'threads':>8}{'floor_s':>10}{'torch_s':>10}{'ratio':>8}")
    for name in names:
        for n in settings:
            torch.set_num_threads(n)
            ember.set_num_threads(n)
            f, t = WORKLOADS[name](ember, torch)
            print(f"{name:<22}{n:>8}{f:>10.4f}{t:>10.4f}{f / t:>8.2f}", flush=True)
    torch.set_num_threads(default)
    ember.set_num_threads(default)


if __name__ == "__main__":
    main(sys.argv[1:])
