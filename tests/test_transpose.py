"""Layout copies through BLAS's out-of-place transpose (ember/ops/_transpose.py): the raw stacked
transpose against NumPy, every layout ``copy_layout`` takes (and those it refuses), exact bits
(NaN, -0.0, infinities), the fallback where the symbol is missing, and convolution, batch norm
and ReLU stacks big enough to take the path, against torch and against the NumPy copies."""
import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import ember
import ember.nn.functional as F
from ember._flags import CAPTURING
from ember.ops import _transpose as T

BIG = 128          # 128x128 matrices: over the path's minimum size
pytestmark = pytest.mark.skipif(T._lookup(np.dtype(np.float32)) is None,
                                reason="NumPy's BLAS has no omatcopy")


def _bits(a):
    return np.ascontiguousarray(a).view(f"u{a.itemsize}")


def _special(a):
    flat = a.reshape(-1)
    flat[:5] = [np.nan, -0.0, np.inf, -np.inf, 1e-40 if a.dtype == np.float64 else 1e-39]
    return a


@pytest.mark.parametrize("dt", [np.float32, np.float64])
def test_transpose_into_stacks_with_row_and_batch_strides(dt):
    rng = np.random.default_rng(0)
    base = _special(rng.standard_normal((3, BIG, BIG + 5)).astype(dt))
    src = base[::-1, :, 2:2 + BIG - 8]                      # negative batch stride, padded rows
    dst_base = np.full((3, BIG - 8, BIG + 3), 7, dt)
    dst = dst_base[:, :, :BIG]
    assert T.transpose_into(src, dst, 3, BIG, BIG - 8, src.strides[:2], dst.strides[:2])
    want = src.transpose(0, 2, 1)
    assert np.array_equal(_bits(dst), _bits(want))
    assert (dst_base[:, :, BIG:] == 7).all()               # nothing past the rows written


def test_transpose_into_refuses():
    a = np.zeros((2, BIG, BIG), np.float32)
    b = np.zeros((2, BIG, BIG), np.float32)
    s = a.strides[:2]
    assert not T.transpose_into(a.astype(np.float16), b.astype(np.float16), 2, BIG, BIG, s, s)
    assert not T.transpose_into(a[:, :8, :8], b[:, :8, :8], 2, 8, 8, s, s)      # small
    assert not T.transpose_into(a, a, 2, BIG, BIG, s, s)                        # overlap
    assert not T.transpose_into(a, b.astype(np.float64), 2, BIG, BIG, s, s)     # dtypes
    ro = b.copy()
    ro.setflags(write=False)
    assert not T.transpose_into(a, ro, 2, BIG, BIG, s, s)
    CAPTURING[0] = object()
    try:
        assert not T.transpose_into(a, b, 2, BIG, BIG, s, s)    # ember.compile records NumPy
    finally:
        CAPTURING[0] = None


@pytest.mark.parametrize("dt", [np.float32, np.float64])
def test_copy_layout_each_direction_and_the_padded_interior(dt):
    rng = np.random.default_rng(1)
    x = _special(rng.standard_normal((3, 16, 32, 32)).astype(dt))      # NCHW
    cl = np.empty((3, 32, 32, 16), dt)
    assert T.copy_layout(np, cl, x.transpose(0, 2, 3, 1))
    assert np.array_equal(_bits(cl), _bits(x.transpose(0, 2, 3, 1)))
    back = np.empty_like(x)
    assert T.copy_layout(np, back.transpose(0, 2, 3, 1), cl)
    assert np.array_equal(_bits(back), _bits(x))
    padded = np.zeros((3, 34, 35, 16), dt)
    assert T.copy_layout(np, padded[:, 1:-1, 2:-1], x.transpose(0, 2, 3, 1))
    assert np.array_equal(_bits(padded[:, 1:-1, 2:-1]), _bits(x.transpose(0, 2, 3, 1)))
    assert not padded[:, 0].any() and not padded[:, :, :2].any() and not padded[:, :, -1].any()
    # layouts it leaves to NumPy: nothing written
    odd = np.zeros((3, 32, 32, 16), dt)
    assert not T.copy_layout(np, odd, x.transpose(0, 3, 2, 1))          # planes transposed
    assert not T.copy_layout(np, odd, cl)                                # no layout change
    assert not odd.any()


def test_missing_symbol_falls_back_to_numpy(monkeypatch):
    x = np.random.default_rng(2).standard_normal((2, 16, 32, 32)).astype(np.float32)
    monkeypatch.setitem(T._FNS, np.dtype(np.float32), None)
    assert not T.copy_layout(np, np.empty((2, 32, 32, 16), np.float32), x.transpose(0, 2, 3, 1))


def _conv_bn_relu(lib, fn, x, w, bn_w, bn_b):
    y = fn.conv2d(x, w, padding=1)
    y = fn.batch_norm(y, None, None, bn_w, bn_b, training=True)
    return fn.conv2d(fn.relu(y), w, padding=1).square().sum()


def _grads(lib, fn, arrays):
    ts = [lib.tensor(a.copy(), requires_grad=True) for a in arrays]
    _conv_bn_relu(lib, fn, *ts).backward()
    return [t.grad.numpy() for t in ts]


def test_conv_bn_relu_stack_against_torch_and_numpy_copies(monkeypatch):
    # 16 channels on 32x32 planes: every layout copy of the step goes through BLAS's transpose
    rng = np.random.default_rng(3)
    arrays = [rng.standard_normal((4, 16, 32, 32)).astype(np.float32),
              (rng.standard_normal((16, 16, 3, 3)) * 0.1).astype(np.float32),
              rng.standard_normal(16).astype(np.float32), rng.standard_normal(16).astype(np.float32)]
    got = _grads(ember, F, arrays)
    want = _grads(torch, TF, arrays)
    for g, t in zip(got, want):
        np.testing.assert_allclose(g, t, rtol=2e-4, atol=2e-3 * np.abs(t).max())
    monkeypatch.setitem(T._FNS, np.dtype(np.float32), None)     # NumPy's copies: same bits
    for g, n in zip(got, _grads(ember, F, arrays)):
        assert np.array_equal(_bits(g), _bits(n))
