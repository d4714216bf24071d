"""Channels-last convolution kernels and PyTorch's memory-format API, against torch: every conv
path (forward GEMM, stride-1 input gradient as a flipped-kernel conv with padding that can
crop, strided input gradient as GEMM + scatter, weight gradient from the kept columns) on
NCHW and channels-last inputs and weights, with the output's layout compared to torch's."""
import helpers
import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from helpers import assert_close, check_op, randn

import ember
import ember.nn.functional as F

pytestmark = pytest.mark.filterwarnings("ignore:Using padding='same'")

FMT = {"nchw": None, "cl": "channels_last", "cl3d": "channels_last_3d"}


def _both(a, fmt, requires_grad=True):
    """The same values as an ember and a torch tensor, laid out in ``fmt``."""
    e, t = ember.tensor(a.copy(), device=helpers.DEVICE), torch.from_numpy(a.copy())
    if FMT[fmt]:
        e, t = e.to(memory_format=getattr(ember, FMT[fmt])), \
            t.to(memory_format=getattr(torch, FMT[fmt]))
    return e.requires_grad_(requires_grad), t.requires_grad_(requires_grad)


def _run_conv(efn, tfn, x, w, b, xfmt, wfmt, dtype=np.float32, tol=2e-5):
    xe, xt = _both(x.astype(dtype), xfmt)
    we, wt = _both(w.astype(dtype), wfmt)
    be, bt = _both(b.astype(dtype), "nchw") if b is not None else (None, None)
    ye, yt = efn(xe, we, be), tfn(xt, wt, bt)
    assert_close(ye, yt, rtol=tol, atol=tol)
    assert ye.stride() == yt.stride(), f"output strides {ye.stride()} vs torch {yt.stride()}"
    g = randn(*yt.shape).astype(dtype)
    ye.backward(ember.tensor(g, device=helpers.DEVICE))
    yt.backward(torch.from_numpy(g))
    assert_close(xe.grad, xt.grad, rtol=tol, atol=tol, msg="input grad")
    assert_close(we.grad, wt.grad, rtol=tol, atol=tol, msg="weight grad")
    if b is not None:
        assert_close(be.grad, bt.grad, rtol=tol, atol=tol, msg="bias grad")
    if xfmt == "nchw":     # an NCHW leaf's gradient is NCHW, though it flowed channels-last
        assert xe.grad.is_contiguous()
    return ye


CONV2D = [dict(), dict(stride=2, padding=1), dict(stride=(2, 1), padding=(1, 2), dilation=(1, 2)),
          dict(padding=3), dict(padding=(2, 0)), dict(padding="same", dilation=2),
          dict(groups=2), dict(groups=4, stride=2, padding=1), dict(stride=3, dilation=2)]


@pytest.mark.parametrize("xfmt,wfmt", [("nchw", "nchw"), ("cl", "nchw"), ("nchw", "cl"),
                                       ("cl", "cl")])
@pytest.mark.parametrize("kw", CONV2D)
def test_conv2d_layouts(kw, xfmt, wfmt):
    g = kw.get("groups", 1)
    x, w, b = randn(3, 4, 7, 6), randn(8, 4 // g, 3, 2), randn(8)
    _run_conv(lambda x, w, b: F.conv2d(x, w, b, **kw), lambda x, w, b: TF.conv2d(x, w, b, **kw),
              x, w, b, xfmt, wfmt)


@pytest.mark.parametrize("shape,kw", [
    ((2, 3, 32, 33), dict(stride=2, padding=1)),       # RGB input: the per-channel copy
    ((2, 5, 32, 32), dict(padding=1)),                 # 4 KiB planes: the two-step layout copy
    ((2, 12, 32, 32), dict(padding=1)),                # ... copied by blocks of 8 channels
    ((1, 17, 64, 32), dict(stride=2, padding=1)),
    ((2, 5, 32, 32), dict(stride=2, padding=1, dilation=2)),
    ((2, 2, 8, 16, 16), dict(stride=(1, 2, 2), padding=1))])
@pytest.mark.parametrize("xfmt", ["nchw", "cl"])
def test_conv_large_planes_and_few_channels(shape, kw, xfmt):
    # the layout copies' fast paths and the strided input gradient by phases at real sizes
    if len(shape) == 5:
        xfmt = "cl3d" if xfmt == "cl" else xfmt
    conv, tconv = (F.conv2d, TF.conv2d) if len(shape) == 4 else (F.conv3d, TF.conv3d)
    x, w, b = randn(*shape), randn(4, shape[1], *(3,) * (len(shape) - 2)), randn(4)
    _run_conv(lambda x, w, b: conv(x, w, b, **kw), lambda x, w, b: tconv(x, w, b, **kw),
              x, w, b, xfmt, "nchw", tol=1e-4)


@pytest.mark.parametrize("kw", [dict(padding=1), dict(stride=2, groups=3, padding=2),
                                dict(dilation=2, padding=4)])
def test_conv1d_paths(kw):
    g = kw.get("groups", 1)
    x, w, b = randn(2, 6, 9), randn(6, 6 // g, 3), randn(6)
    _run_conv(lambda x, w, b: F.conv1d(x, w, b, **kw), lambda x, w, b: TF.conv1d(x, w, b, **kw),
              x, w, None if g > 1 else b, "nchw", "nchw")


@pytest.mark.parametrize("xfmt", ["nchw", "cl3d"])
@pytest.mark.parametrize("kw", [dict(padding=1), dict(stride=2, groups=2, padding=(0, 1, 2))])
def test_conv3d_paths(kw, xfmt):
    g = kw.get("groups", 1)
    x, w, b = randn(2, 4, 5, 4, 5), randn(4, 4 // g, 2, 3, 2), randn(4)
    _run_conv(lambda x, w, b: F.conv3d(x, w, b, **kw), lambda x, w, b: TF.conv3d(x, w, b, **kw),
              x, w, b, xfmt, "nchw")


@pytest.mark.parametrize("kw", [dict(), dict(stride=2, padding=1, output_padding=1),
                                dict(dilation=2, output_padding=1, padding=2),
                                dict(groups=2, stride=(1, 2)), dict(padding=1)])
@pytest.mark.parametrize("xfmt", ["nchw", "cl"])
def test_conv_transpose2d_layouts(kw, xfmt):
    g = kw.get("groups", 1)
    x, w, b = randn(2, 4, 5, 4), randn(4, 6 // g, 3, 3), randn(6)
    _run_conv(lambda x, w, b: F.conv_transpose2d(x, w, b, **kw),
              lambda x, w, b: TF.conv_transpose2d(x, w, b, **kw), x, w, b, xfmt, "nchw")


@pytest.mark.parametrize("kw", [dict(padding=2), dict(stride=2, padding=3),
                                dict(groups=2, padding=(3, 0), dilation=(2, 1))])
def test_gradcheck_padding_beyond_the_kernel(kw):
    # padding wider than the kernel's reach: the stride-1 input gradient crops instead of pads
    g = kw.get("groups", 1)
    x, w, b = randn(2, 4, 5, 4), randn(2, 4 // g, 1, 2), randn(2)
    check_op(lambda x, w, b: F.conv2d(x, w, b, **kw), lambda x, w, b: TF.conv2d(x, w, b, **kw),
             x, w, b, gradgradcheck=True)


def test_gradcheck_channels_last_float64():
    x = ember.tensor(randn(2, 3, 5, 5)).requires_grad_()
    w = ember.tensor(randn(4, 3, 3, 3)).requires_grad_()
    cl = ember.channels_last

    def conv(stride):      # gradcheck perturbs contiguous inputs: the layout changes inside
        return lambda x, w: F.conv2d(x.to(memory_format=cl), w.to(memory_format=cl),
                                     stride=stride, padding=1)
    assert ember.autograd.gradcheck(conv(2), (x, w))
    assert ember.autograd.gradgradcheck(conv(1), (x, w))


# -- memory-format API ---------------------------------------------------------------------------
def test_memory_format_objects():
    assert repr(ember.channels_last) == "torch.channels_last"
    assert isinstance(ember.preserve_format, ember.memory_format)
    assert ember.contiguous_format is not ember.channels_last


def test_to_is_contiguous_contiguous():
    a = randn(2, 3, 4, 5).astype(np.float32)
    for lib in (ember, torch):
        t = lib.tensor(a)
        c = t.to(memory_format=lib.channels_last)
        assert c.stride() == (60, 1, 15, 3)
        assert not c.is_contiguous() and c.is_contiguous(memory_format=lib.channels_last)
        assert c.to(memory_format=lib.channels_last) is c
        assert c.contiguous().stride() == (60, 20, 5, 1)
        assert t.contiguous(memory_format=lib.channels_last).stride() == (60, 1, 15, 3)
        assert not t.is_contiguous(memory_format=lib.channels_last)
        assert t.is_contiguous(memory_format=lib.contiguous_format)
        assert np.array_equal(np.asarray(c.tolist()), a)
        v = lib.tensor(randn(2, 3, 4, 5, 6)).to(memory_format=lib.channels_last_3d)
        assert v.stride() == (360, 1, 90, 18, 3)
        assert not lib.ones(2, 3, 4).is_contiguous(memory_format=lib.channels_last)
    for call in (lambda lib: lib.ones(2, 3, 4).to(memory_format=lib.channels_last),
                 lambda lib: lib.ones(2, 3, 4, 5).to(memory_format=lib.channels_last_3d)):
        with pytest.raises(RuntimeError) as te:
            call(torch)
        with pytest.raises(RuntimeError, match=str(te.value)):
            call(ember)


def test_to_memory_format_gradient_and_names():
    x = ember.randn(2, 3, 4, 4, requires_grad=True)
    y = x.to(memory_format=ember.channels_last)
    assert y.grad_fn.name() == "ToCopyBackward0"
    assert x.contiguous(memory_format=ember.channels_last).grad_fn.name() == "CloneBackward0"
    (y * ember.arange(4.0)).sum().backward()
    assert np.array_equal(x.grad.numpy(), np.broadcast_to(np.arange(4.0), (2, 3, 4, 4)))


def test_module_to_memory_format():
    for lib in (ember, torch):
        lib.manual_seed(0)
        m = lib.nn.Sequential(lib.nn.Conv2d(3, 4, 3), lib.nn.Flatten(), lib.nn.Linear(4, 2))
        m = m.to(memory_format=lib.channels_last)
        assert m[0].weight.is_contiguous(memory_format=lib.channels_last)
        assert not m[0].weight.is_contiguous()
        assert m[2].weight.is_contiguous()      # 2-d parameters are left alone
        assert m[0](lib.ones(2, 3, 5, 5)).is_contiguous(memory_format=lib.channels_last)


def _layers(lib):
    nn_ = lib.nn
    return [nn_.BatchNorm2d(3), nn_.ReLU(), nn_.MaxPool2d(2), nn_.MaxPool2d(3, 2, 1),
            nn_.AvgPool2d(2), nn_.AvgPool2d(3, 1, 1, count_include_pad=False),
            nn_.Conv2d(3, 5, 3, padding=1), nn_.ConvTranspose2d(3, 2, 3, stride=2)]


@pytest.mark.parametrize("i", range(8))
def test_layers_keep_channels_last(i):
    a = randn(2, 3, 6, 6).astype(np.float32)
    te, tt = _layers(ember)[i], _layers(torch)[i]
    te.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in tt.state_dict().items()})
    xe, xt = _both(a, "cl")
    ye, yt = te(xe), tt(xt)
    assert_close(ye, yt, rtol=1e-5, atol=1e-5)
    assert ye.stride() == yt.stride()
    g = randn(*yt.shape).astype(np.float32)
    ye.backward(ember.tensor(g, device=helpers.DEVICE))
    yt.backward(torch.from_numpy(g))
    assert_close(xe.grad, xt.grad, rtol=1e-5, atol=1e-5)


def test_channels_last_model_step_matches_nchw():
    """A small ResNet-ish block trained one step in channels-last gives the NCHW numbers."""
    def build(lib):
        lib.manual_seed(0)
        n = lib.nn
        return n.Sequential(n.Conv2d(3, 8, 3, padding=1), n.BatchNorm2d(8), n.ReLU(),
                            n.Conv2d(8, 8, 3, stride=2, padding=1), n.BatchNorm2d(8), n.ReLU(),
                            n.MaxPool2d(2), n.AdaptiveAvgPool2d(1), n.Flatten(), n.Linear(8, 3))
    x = randn(4, 3, 8, 8).astype(np.float32)
    y = np.array([0, 1, 2, 1])
    grads = []
    for fmt in (None, ember.channels_last):
        m = build(ember)
        xe = ember.tensor(x)
        if fmt is not None:
            m, xe = m.to(memory_format=fmt), xe.to(memory_format=fmt)
        F.cross_entropy(m(xe), ember.tensor(y)).backward()
        grads.append([p.grad.numpy() for p in m.parameters()])
    for a, b in zip(*grads):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
