"""Convolution blocks split over Python threads (ops/conv.py ``_for_blocks``): the numbers of one
thread (up to the order of float32 sums inside a multi-threaded BLAS call) and PyTorch's."""
import numpy as np
import pytest
import torch

import ember
from ember.ops import _parallel


@pytest.mark.parametrize("stride", [1, 2])
def test_two_threads_match_one_and_torch(stride):
    get, set_ = _parallel.blas_fns()
    if get is None or set_ is None:
        pytest.skip("NumPy's BLAS is not OpenBLAS: no thread count to set")
    rng = np.random.default_rng(0)
    # big enough for several blocks of images and too big to keep its columns whole
    x = rng.standard_normal((48, 32, 32, 32)).astype(np.float32)
    w = rng.standard_normal((32, 32, 3, 3)).astype(np.float32) * 0.1
    g = rng.standard_normal((48, 32, 32 // stride, 32 // stride)).astype(np.float32)
    before = ember.get_num_threads()
    results = []
    try:
        for n in (1, 2):
            ember.set_num_threads(n)
            xe, we = ember.tensor(x, requires_grad=True), ember.tensor(w, requires_grad=True)
            y = ember.nn.functional.conv2d(xe, we, stride=stride, padding=1)
            y.backward(ember.tensor(g))
            results.append((y.detach().numpy(), xe.grad.numpy(), we.grad.numpy()))
        assert get() == 2                       # the pool put BLAS's thread count back
    finally:
        ember.set_num_threads(before)
    assert _parallel._POOL                     # the two-thread pass went through the pool
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6 * np.abs(b).max())
    xt, wt = torch.tensor(x, requires_grad=True), torch.tensor(w, requires_grad=True)
    yt = torch.nn.functional.conv2d(xt, wt, stride=stride, padding=1)
    yt.backward(torch.tensor(g))
    for a, b in zip(results[1], (yt.detach(), xt.grad, wt.grad)):
        b = b.numpy()      # (float32 sums of 48 * 1024 terms in the weight gradient)
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=2e-5 * np.abs(b).max())


def test_two_threads_empty_and_single_image_batches():
    before = ember.get_num_threads()
    try:
        ember.set_num_threads(2)
        for b in (0, 1):
            x = ember.randn(b, 8, 40, 40, requires_grad=True)
            w = ember.randn(8, 8, 3, 3, requires_grad=True)
            y = ember.nn.functional.conv2d(x, w, padding=1)
            assert y.shape == (b, 8, 40, 40)
            y.sum().backward()
            assert x.grad.shape == x.shape and w.grad.shape == w.shape
    finally:
        ember.set_num_threads(before)
