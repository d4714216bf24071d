"""Batch norm's and ReLU's backward across memory formats, against torch. Batch norm's gradient
is computed in the incoming gradient's layout (channels-last when a convolution hands it down,
whatever the input's layout), with per-channel sums as GEMVs; ReLU's backward works in the
gradient's layout and lays out only its mask. Values, gradients and a leaf's .grad layout are
compared with torch's; gradcheck in float64 runs the paths through a convolution below."""
import helpers
import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from helpers import assert_close, randn

import ember
import ember.nn.functional as F

FMT = {4: "channels_last", 5: "channels_last_3d"}


def _pair(a, fmt, requires_grad=False):
    e, t = ember.tensor(a.copy(), device=helpers.DEVICE), torch.from_numpy(a.copy())
    if fmt == "cl":
        name = FMT[a.ndim]
        e, t = e.to(memory_format=getattr(ember, name)), t.to(memory_format=getattr(torch, name))
    return e.requires_grad_(requires_grad), t.requires_grad_(requires_grad)


SHAPES = [(2, 12, 32, 32),   # 4 KiB planes, more than 8 channels: the blocked layout copy
          (3, 5, 7, 5), (1, 3, 4, 4), (4, 6, 9), (2, 4, 3, 4, 5)]


LAYOUTS = [("nchw", "cl"), ("cl", "nchw"), ("nchw", "nchw"), ("cl", "cl")]
CASES = [(s, x, g) for s in SHAPES for x, g in LAYOUTS
         if len(s) > 3 or (x, g) == ("nchw", "nchw")]     # no channels-last rank-3 format


@pytest.mark.parametrize("shape,xfmt,gfmt", CASES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("affine", [True, False])
@pytest.mark.parametrize("leaf", [True, False])
def test_batch_norm_backward_layouts(shape, xfmt, gfmt, dtype, affine, leaf):
    C = shape[1]
    xe0, xt0 = _pair(randn(*shape).astype(dtype) * 2 + 0.5, xfmt, True)
    ge, gt = _pair(randn(*shape).astype(dtype), gfmt)
    params = [_pair(randn(C).astype(dtype), "nchw", True) for _ in range(2)] if affine else \
        [(None, None), (None, None)]
    (we, wt), (be, bt) = params
    xe, xt = (xe0, xt0) if leaf else (xe0 * 1.5, xt0 * 1.5)
    ye = F.batch_norm(xe, None, None, we, be, training=True)
    yt = TF.batch_norm(xt, None, None, wt, bt, training=True)
    tol = 2e-5 if dtype == np.float32 else 1e-10
    assert_close(ye, yt, rtol=tol, atol=tol)
    ye.backward(ge)
    yt.backward(gt)
    assert_close(xe0.grad, xt0.grad, rtol=1e-4 if dtype == np.float32 else 1e-9,
                 atol=1e-4 if dtype == np.float32 else 1e-9, msg="input grad")
    if leaf and xfmt == "nchw":   # an NCHW leaf's .grad is NCHW, whatever layout g came in
        assert xe0.grad.is_contiguous()
    if affine:
        assert_close(we.grad, wt.grad, rtol=tol * 10, atol=tol * 10, msg="weight grad")
        assert_close(be.grad, bt.grad, rtol=tol * 10, atol=tol * 10, msg="bias grad")


def test_batch_norm_backward_only_parameters():
    # the input needs no gradient: only the sums are taken
    x = randn(3, 9, 32, 32).astype(np.float32)
    we, wt = _pair(randn(9).astype(np.float32), "nchw", True)
    be, bt = _pair(randn(9).astype(np.float32), "nchw", True)
    ge, gt = _pair(randn(3, 9, 32, 32).astype(np.float32), "cl")
    F.batch_norm(ember.tensor(x), None, None, we, be, training=True).backward(ge)
    TF.batch_norm(torch.from_numpy(x), None, None, wt, bt, training=True).backward(gt)
    assert_close(we.grad, wt.grad, rtol=1e-4, atol=1e-4)
    assert_close(be.grad, bt.grad, rtol=1e-4, atol=1e-4)


def _conv_stack(bn, relu):
    """x -> [batch norm] -> [relu] -> conv: the conv hands a channels-last gradient down."""
    def f(lib_f, x, w):
        h = lib_f.batch_norm(x, None, None, training=True) if bn else x
        h = lib_f.relu(h) if relu else h
        return lib_f.conv2d(h, w, padding=1)
    return f


@pytest.mark.parametrize("bn,relu", [(True, False), (False, True), (True, True)])
@pytest.mark.parametrize("shape", [(2, 12, 32, 32), (3, 5, 7, 6), (1, 9, 4, 4)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_conv_below_hands_down_channels_last(bn, relu, shape, dtype):
    f = _conv_stack(bn, relu)
    xe, xt = _pair(randn(*shape).astype(dtype), "nchw", True)
    we, wt = _pair(randn(4, shape[1], 3, 3).astype(dtype), "nchw", True)
    ye, yt = f(F, xe, we), f(TF, xt, wt)
    tol = 1e-4 if dtype == np.float32 else 1e-9
    assert_close(ye, yt, rtol=tol, atol=tol)
    g = randn(*yt.shape).astype(dtype)
    ye.backward(ember.tensor(g, device=helpers.DEVICE))
    yt.backward(torch.from_numpy(g))
    assert_close(xe.grad, xt.grad, rtol=tol, atol=tol, msg="input grad")
    assert_close(we.grad, wt.grad, rtol=tol, atol=tol, msg="weight grad")
    assert xe.grad.is_contiguous()


@pytest.mark.parametrize("bn,relu", [(True, False), (False, True), (True, True)])
@pytest.mark.parametrize("xfmt", ["nchw", "cl"])
def test_gradcheck_through_conv_float64(bn, relu, xfmt):
    f = _conv_stack(bn, relu)
    x = ember.tensor(randn(2, 3, 5, 4) + 0.3).requires_grad_()
    w = ember.tensor(randn(2, 3, 3, 3)).requires_grad_()

    def fn(x, w):
        if xfmt == "cl":
            x = x.to(memory_format=ember.channels_last)
        return f(F, x, w)
    assert ember.autograd.gradcheck(fn, (x, w))
    assert ember.autograd.gradgradcheck(fn, (x, w))


def test_relu_backward_channels_last_grad_values():
    # relu's backward with a channels-last gradient and an NCHW output: zeros exactly where the
    # output is zero, the gradient elsewhere, in the gradient's layout
    a = randn(2, 16, 32, 32).astype(np.float32)
    x = ember.tensor(a).requires_grad_()
    y = F.relu(x * 1)
    g = randn(2, 16, 32, 32).astype(np.float32)
    ge = ember.tensor(g).to(memory_format=ember.channels_last)
    y.backward(ge)
    np.testing.assert_array_equal(x.grad.numpy(), np.where(a > 0, g, 0))


# -- the layout copies through OpenBLAS's transposes (images of 16 Ki elements and more) -------
@pytest.mark.parametrize("shape,kw", [((2, 16, 32, 32), dict(padding=1)),
                                      ((3, 20, 30, 31), dict(stride=2, padding=1)),
                                      ((2, 64, 16, 16), dict(padding=2, dilation=2)),
                                      ((2, 8, 4, 32, 32), dict(padding=1))])
@pytest.mark.parametrize("xfmt", ["nchw", "cl"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_conv_big_images_layout_copies(shape, kw, xfmt, dtype):
    conv, tconv = (F.conv2d, TF.conv2d) if len(shape) == 4 else (F.conv3d, TF.conv3d)
    xe, xt = _pair(randn(*shape).astype(dtype), xfmt, True)
    w = randn(6, shape[1], *(3,) * (len(shape) - 2)).astype(dtype)
    we, wt = _pair(w, "nchw", True)
    ye, yt = conv(xe, we, **kw), tconv(xt, wt, **kw)
    tol = 1e-4 if dtype == np.float32 else 1e-10
    assert_close(ye, yt, rtol=tol, atol=tol)
    if len(shape) == 4 or dtype == np.float32:
        # (torch's float64 conv3d runs a backend that returns NCDHW whatever the input; ember
        # keeps the channels_last_3d rule there too)
        assert ye.stride() == yt.stride()
    g = randn(*yt.shape).astype(dtype)
    ye.backward(ember.tensor(g, device=helpers.DEVICE))
    yt.backward(torch.from_numpy(g))
    assert_close(xe.grad, xt.grad, rtol=tol, atol=tol, msg="input grad")
    assert_close(we.grad, wt.grad, rtol=tol * 10, atol=tol * 10, msg="weight grad")


@pytest.mark.parametrize("shape", [(2, 16, 32, 32), (3, 24, 25, 27), (2, 6, 8, 40, 20)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_memory_format_round_trip_big_images(shape, dtype):
    a = randn(*shape).astype(dtype)
    name = FMT[len(shape)]
    e = ember.tensor(a).to(memory_format=getattr(ember, name))
    t = torch.from_numpy(a).to(memory_format=getattr(torch, name))
    assert e.stride() == t.stride()
    np.testing.assert_array_equal(e.numpy(), a)
    back = e.contiguous()
    assert back.is_contiguous()
    np.testing.assert_array_equal(back.numpy(), a)
