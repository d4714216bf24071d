"""Max, average and adaptive pooling (functional and modules) against torch."""
import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from helpers import assert_close, check_op, randn

import ember
import ember.nn.functional as F
from ember import nn


def same_error(ember_call, torch_call):
    with pytest.raises(Exception) as te:
        torch_call()
    with pytest.raises(type(te.value)) as ee:
        ember_call()
    assert str(ee.value) == str(te.value)


def distinct(*shape):
    """Values without ties (so the argmax of finite differences is stable)."""
    return (np.random.default_rng(sum(shape)).permutation(int(np.prod(shape))).reshape(shape)
            / 7.0 - 3.0)


MAX2D = [dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1),
         dict(kernel_size=(3, 2), stride=(2, 1), padding=(1, 0), dilation=(2, 3)),
         dict(kernel_size=3, stride=2, ceil_mode=True),
         dict(kernel_size=2, stride=3, padding=1, ceil_mode=True, return_indices=True),
         dict(kernel_size=3, stride=1, return_indices=True), dict(kernel_size=(2,), stride=[1, 2])]


@pytest.mark.parametrize("kw", MAX2D)
def test_max_pool2d(kw):
    check_op(lambda x: F.max_pool2d(x, **kw), lambda x: TF.max_pool2d(x, **kw), distinct(2, 2, 7, 8))


def test_max_pool_1d_3d_unbatched_double_backward():
    check_op(lambda x: F.max_pool2d(x, 3, 2, 1), lambda x: TF.max_pool2d(x, 3, 2, 1),
             distinct(1, 2, 5, 6), gradgradcheck=True)
    check_op(lambda x: F.max_pool1d(x, 3, 2, 1, return_indices=True),
             lambda x: TF.max_pool1d(x, 3, 2, 1, return_indices=True), distinct(2, 3, 11))
    check_op(lambda x: F.max_pool1d(x, 2, 1, dilation=2, ceil_mode=True),
             lambda x: TF.max_pool1d(x, 2, 1, dilation=2, ceil_mode=True), distinct(3, 10))
    check_op(lambda x: F.max_pool3d(x, 2, (1, 2, 2), 1, return_indices=True),
             lambda x: TF.max_pool3d(x, 2, (1, 2, 2), 1, return_indices=True), distinct(2, 2, 4, 5, 6))
    check_op(lambda x: F.max_pool2d(x, 2, return_indices=True),
             lambda x: TF.max_pool2d(x, 2, return_indices=True), distinct(3, 6, 5))
    check_op(lambda x: F.max_pool2d(x.transpose(2, 3), 2), lambda x: TF.max_pool2d(x.transpose(2, 3), 2),
             distinct(2, 2, 6, 4))
    check_op(lambda x: F.max_pool2d(x, 2), lambda x: TF.max_pool2d(x, 2), distinct(0, 2, 4, 4),
             gradcheck=False)


def test_max_pool_ties_nan_inf_and_ints():
    # ties: the first element in row-major order, as torch
    check_op(lambda x: F.max_pool2d(x, 3, 1, 1, return_indices=True),
             lambda x: TF.max_pool2d(x, 3, 1, 1, return_indices=True),
             np.round(randn(2, 2, 5, 5)), gradcheck=False)
    x = randn(1, 2, 6, 6)
    x[0, 0, 1, 1] = x[0, 0, 2, 3] = x[0, 1, 0, 0] = np.nan
    x[0, 1, 4:, 4:] = -np.inf
    check_op(lambda x: F.max_pool2d(x, 3, 2, 1, return_indices=True),
             lambda x: TF.max_pool2d(x, 3, 2, 1, return_indices=True), x, gradcheck=False)
    xi = np.arange(2 * 6 * 6).reshape(2, 6, 6) % 11 - 5
    check_op(lambda x: F.max_pool2d(x, 3, 2, 1, return_indices=True),
             lambda x: TF.max_pool2d(x, 3, 2, 1, return_indices=True), xi, grad=False)
    check_op(lambda x: F.max_pool2d(x, 2), lambda x: TF.max_pool2d(x, 2),
             randn(2, 3, 4, 4, dtype=np.float32), gradcheck=False)


AVG2D = [dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1),
         dict(kernel_size=3, stride=2, padding=1, count_include_pad=False),
         dict(kernel_size=3, stride=2, padding=1, ceil_mode=True),
         dict(kernel_size=(3, 2), stride=(2, 3), padding=(1, 1), ceil_mode=True, count_include_pad=False),
         dict(kernel_size=(3, 2), divisor_override=5, ceil_mode=True)]


@pytest.mark.parametrize("kw", AVG2D)
def test_avg_pool2d(kw):
    check_op(lambda x: F.avg_pool2d(x, **kw), lambda x: TF.avg_pool2d(x, **kw), randn(1, 2, 7, 8),
             gradgradcheck=True)


def test_avg_pool_1d_3d_unbatched_ints():
    check_op(lambda x: F.avg_pool1d(x, 3, 2, 1, True, False),
             lambda x: TF.avg_pool1d(x, 3, 2, 1, True, False), randn(2, 3, 10))
    check_op(lambda x: F.avg_pool1d(x, 2), lambda x: TF.avg_pool1d(x, 2), randn(3, 9))
    check_op(lambda x: F.avg_pool3d(x, 3, 2, 1, True), lambda x: TF.avg_pool3d(x, 3, 2, 1, True),
             randn(1, 2, 5, 6, 4))
    check_op(lambda x: F.avg_pool3d(x, 2, divisor_override=3),
             lambda x: TF.avg_pool3d(x, 2, divisor_override=3), randn(2, 4, 4, 5))
    check_op(lambda x: F.avg_pool2d(x, 2, 1), lambda x: TF.avg_pool2d(x, 2, 1), randn(3, 5, 4))
    xi = np.arange(2 * 5 * 5).reshape(1, 2, 5, 5) % 13 - 6
    check_op(lambda x: F.avg_pool2d(x, 3, 2, 1, True, False),
             lambda x: TF.avg_pool2d(x, 3, 2, 1, True, False), xi, grad=False)
    check_op(lambda x: F.avg_pool2d(x, 2), lambda x: TF.avg_pool2d(x, 2), randn(2, 2, 4, 4, dtype=np.float32),
             gradcheck=False)


SIZES = [1, 3, (4, 2), (None, 3), (5, 7), (3, 8), 10]


@pytest.mark.parametrize("size", SIZES)
def test_adaptive_pool2d(size):
    x = distinct(1, 2, 9, 8)
    check_op(lambda x: F.adaptive_avg_pool2d(x, size), lambda x: TF.adaptive_avg_pool2d(x, size), x)
    check_op(lambda x: F.adaptive_max_pool2d(x, size, True),
             lambda x: TF.adaptive_max_pool2d(x, size, True), x)


def test_adaptive_1d_3d_unbatched_double_backward():
    check_op(lambda x: F.adaptive_avg_pool2d(x, (3, 4)), lambda x: TF.adaptive_avg_pool2d(x, (3, 4)),
             distinct(1, 2, 5, 6), gradgradcheck=True)
    check_op(lambda x: F.adaptive_max_pool2d(x, (3, 4)), lambda x: TF.adaptive_max_pool2d(x, (3, 4)),
             distinct(1, 2, 5, 6), gradgradcheck=True)
    for size in (4, 1, 11):
        check_op(lambda x: F.adaptive_avg_pool1d(x, size), lambda x: TF.adaptive_avg_pool1d(x, size),
                 distinct(2, 2, 11))
        check_op(lambda x: F.adaptive_max_pool1d(x, size, True),
                 lambda x: TF.adaptive_max_pool1d(x, size, True), distinct(3, 11))
    check_op(lambda x: F.adaptive_avg_pool3d(x, (3, None, 4)),
             lambda x: TF.adaptive_avg_pool3d(x, (3, None, 4)), distinct(1, 2, 5, 3, 6))
    check_op(lambda x: F.adaptive_max_pool3d(x, (2, 3, 4), True),
             lambda x: TF.adaptive_max_pool3d(x, (2, 3, 4), True), distinct(2, 3, 4, 6))
    check_op(lambda x: F.adaptive_avg_pool2d(x, 2), lambda x: TF.adaptive_avg_pool2d(x, 2),
             distinct(3, 6, 5))
    check_op(lambda x: F.adaptive_avg_pool2d(x, (0, 2)), lambda x: TF.adaptive_avg_pool2d(x, (0, 2)),
             distinct(1, 2, 4, 4), grad=False)
    check_op(lambda x: F.adaptive_max_pool2d(x, 0), lambda x: TF.adaptive_max_pool2d(x, 0),
             distinct(2, 1, 4, 4), grad=False)


# -- modules ---------------------------------------------------------------------------------

MODULES = [
    lambda L: L.MaxPool1d(3, 2, 1), lambda L: L.MaxPool2d(2),
    lambda L: L.MaxPool2d((3, 2), stride=1, padding=1, dilation=2, ceil_mode=True),
    lambda L: L.MaxPool3d(2, padding=1), lambda L: L.AvgPool1d(3, 2, 1, True, False),
    lambda L: L.AvgPool2d(2), lambda L: L.AvgPool2d((3, 2), 2, 1, True, False, 2),
    lambda L: L.AvgPool3d(2, ceil_mode=True), lambda L: L.AdaptiveAvgPool1d(3),
    lambda L: L.AdaptiveAvgPool2d((2, None)), lambda L: L.AdaptiveAvgPool2d(1),
    lambda L: L.AdaptiveAvgPool3d((1, 2, 3)), lambda L: L.AdaptiveMaxPool1d(4),
    lambda L: L.AdaptiveMaxPool2d((3, 5)), lambda L: L.AdaptiveMaxPool3d(2),
]
SHAPES = {"1d": (2, 3, 11), "2d": (2, 3, 9, 8), "3d": (2, 2, 5, 6, 4)}


@pytest.mark.parametrize("i", range(len(MODULES)))
def test_module_matches_torch(i):
    e, t = MODULES[i](nn), MODULES[i](torch.nn)
    assert repr(e) == repr(t)
    shape = SHAPES[type(t).__name__[-2:]]
    for s in (shape, shape[1:]):
        x = distinct(*s).astype(np.float32)
        xe, xt = ember.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        ye, yt = e(xe), t(xt)
        assert_close(ye, yt, 1e-5, 1e-5, msg="forward")
        up = randn(*yt.shape, dtype=np.float32)
        ye.backward(ember.tensor(up))
        yt.backward(torch.tensor(up))
        assert_close(xe.grad, xt.grad, 1e-5, 1e-5, msg="input grad")


def test_modules_return_indices():
    for build in (lambda L: L.MaxPool2d(3, 2, 1, return_indices=True),
                  lambda L: L.AdaptiveMaxPool2d((3, 5), return_indices=True)):
        e, t = build(nn), build(torch.nn)
        assert repr(e) == repr(t)
        x = distinct(2, 3, 9, 8)
        assert_close(e(ember.tensor(x)), t(torch.tensor(x)))


def test_pool_in_a_network():
    """Conv -> ReLU -> MaxPool -> Conv -> AvgPool -> AdaptiveAvgPool -> Linear, weights from torch."""
    def build(L):
        return L.Sequential(L.Conv2d(3, 6, 3, padding=1), L.ReLU(), L.MaxPool2d(2),
                            L.Conv2d(6, 8, 3, stride=2), L.AvgPool2d(2, ceil_mode=True),
                            L.AdaptiveAvgPool2d(1), L.Flatten(), L.Linear(8, 4))
    e, t = build(nn), build(torch.nn)
    e.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in t.state_dict().items()})
    x = randn(4, 3, 16, 16, dtype=np.float32)
    ye, yt = e(ember.tensor(x)), t(torch.tensor(x))
    assert_close(ye, yt, 1e-5, 1e-5)
    ye.sum().backward()
    yt.sum().backward()
    for (n, pe), (_, pt) in zip(e.named_parameters(), t.named_parameters()):
        assert_close(pe.grad, pt.grad, 1e-4, 1e-4, msg=n)


# -- errors, in torch's words --------------------------------------------------------------

def f32(*shape):
    return randn(*shape, dtype=np.float32)


ERRORS = [
    ("max_pool2d", f32(5), (2,), {}), ("max_pool2d", f32(1, 2, 3, 5, 5), (2,), {}),
    ("max_pool1d", f32(5), (2,), {}), ("max_pool3d", f32(5, 5), (2,), {}),
    ("avg_pool2d", f32(5), (2,), {}), ("avg_pool2d", f32(4, 4), (2,), {}),
    ("avg_pool2d", f32(1, 2, 3, 4, 4), (2,), {}), ("avg_pool1d", f32(5), (2,), {}),
    ("avg_pool3d", f32(5, 5), (2,), {}),
    ("max_pool2d", f32(1, 4, 4), (3,), {"padding": 2}), ("avg_pool2d", f32(1, 4, 4), (3,), {"padding": 2}),
    ("max_pool2d", f32(2, 3, 4, 4), (5,), {}), ("avg_pool2d", f32(1, 4, 4), (5,), {}),
    ("max_pool2d", f32(1, 4, 4), (2,), {"stride": 0}), ("max_pool2d", f32(1, 4, 4), (0,), {}),
    ("max_pool2d", f32(1, 4, 4), (0,), {"stride": 1}), ("avg_pool2d", f32(1, 4, 4), (0,), {"stride": 1}),
    ("max_pool2d", f32(1, 4, 4), (2,), {"dilation": 0}), ("max_pool2d", f32(1, 4, 4), (2,), {"stride": -1}),
    ("avg_pool2d", f32(1, 4, 4), (2,), {"stride": -1}), ("max_pool1d", f32(1, 4), (2,), {"stride": -1}),
    ("max_pool2d", f32(1, 4, 4), ((2, 2, 2),), {}),
    ("avg_pool2d", f32(1, 4, 4), ((2, 2, 2),), {}), ("max_pool2d", f32(1, 4, 4), (2,), {"padding": -1}),
    ("max_pool2d", f32(1, 4, 4), (2,), {"stride": (1, 2, 3)}),
    ("max_pool2d", f32(1, 4, 4), (2,), {"padding": (1, 2, 3)}),
    ("max_pool2d", f32(1, 4, 4), (2,), {"dilation": (1, 2, 3)}),
    ("avg_pool2d", f32(1, 4, 4), (2,), {"stride": (1, 2, 3)}),
    ("avg_pool2d", f32(1, 4, 4), (2,), {"padding": (1, 2, 3)}),
    ("max_pool2d", f32(1, 0, 4), (2,), {}), ("max_pool2d", f32(0, 4, 4), (2,), {}),
    ("avg_pool2d", f32(1, 0, 4), (2,), {}), ("avg_pool2d", f32(1, 4, 4), (2,), {"divisor_override": 0}),
    ("max_pool2d", f32(1, 4, 4) > 0, (2,), {}),
    ("max_pool1d", f32(1, 4), (0,), {"stride": 1}), ("max_pool1d", f32(1, 4), (2,), {"stride": 0}),
    ("max_pool1d", f32(1, 4), (3,), {"padding": 2}), ("max_pool1d", f32(1, 4), (5,), {}),
    ("max_pool1d", f32(1, 4), (2,), {"dilation": 0}), ("max_pool1d", f32(1, 4), (2,), {"padding": -1}),
    ("max_pool1d", f32(1, 0), (2,), {}), ("max_pool1d", f32(1, 4, 5), ((2, 2),), {}),
    ("max_pool1d", f32(1, 4), (2,), {"stride": (1, 2)}),
    ("max_pool1d", np.arange(8).reshape(2, 4), (2,), {}),
    ("avg_pool1d", f32(1, 4), (5,), {}), ("avg_pool1d", f32(1, 4), (0,), {"stride": 1}),
    ("avg_pool1d", f32(1, 4), ((2, 2),), {}), ("avg_pool1d", f32(1, 4, 3, 3), (2,), {}),
    ("avg_pool1d", f32(1, 0), (2,), {}),
    ("max_pool3d", f32(1, 4, 4, 4), (5,), {}), ("max_pool3d", f32(1, 4, 4, 4), (2,), {"dilation": 0}),
    ("max_pool3d", f32(1, 4, 4, 4), ((2, 2),), {}), ("max_pool3d", f32(1, 0, 4, 4), (2,), {}),
    ("max_pool3d", f32(1, 2, 4, 4), (3,), {}), ("avg_pool3d", f32(1, 4, 4, 4), (5,), {}),
    ("avg_pool3d", f32(1, 4, 4, 4), ((2, 2),), {}), ("avg_pool3d", f32(1, 0, 4, 4), (2,), {}),
    ("avg_pool3d", f32(1, 4, 4, 4), (2,), {"stride": (1, 2)}),
    ("adaptive_avg_pool2d", f32(5), (2,), {}), ("adaptive_avg_pool1d", f32(5), (2,), {}),
    ("adaptive_avg_pool3d", f32(5, 5), (2,), {}), ("adaptive_max_pool2d", f32(5), (2,), {}),
    ("adaptive_max_pool1d", f32(5), (2,), {}), ("adaptive_max_pool3d", f32(1, 4, 4), (2,), {}),
    ("adaptive_avg_pool2d", f32(1, 4, 4), ((2, 2, 2),), {}),
    ("adaptive_avg_pool2d", f32(1, 0, 4), (2,), {}), ("adaptive_max_pool2d", f32(1, 0, 4), (2,), {}),
    ("adaptive_max_pool1d", f32(1, 0), (2,), {}), ("adaptive_avg_pool1d", f32(1, 0), (2,), {}),
    ("adaptive_avg_pool3d", f32(1, 0, 4, 4), (2,), {}),
    ("adaptive_avg_pool2d", np.arange(16).reshape(1, 4, 4), (2,), {}),
    ("adaptive_max_pool2d", np.arange(16).reshape(1, 4, 4), (2,), {}),
    ("adaptive_avg_pool2d", f32(1, 4, 4), ((1, -1),), {}),
    ("adaptive_max_pool1d", f32(1, 4), (-1,), {}),
    ("adaptive_avg_pool1d", f32(1, 4), ((2, 2),), {}),
    ("adaptive_avg_pool3d", f32(1, 4, 4, 4), ((2, 2),), {}),
    ("adaptive_max_pool2d", f32(1, 4, 4), ((2,),), {}), ("adaptive_avg_pool2d", f32(1, 4, 4), ((2,),), {}),
]


@pytest.mark.parametrize("i", range(len(ERRORS)))
def test_errors_match_torch(i):
    f, x, args, kw = ERRORS[i]
    same_error(lambda: getattr(F, f)(ember.tensor(x), *args, **kw),
               lambda: getattr(TF, f)(torch.tensor(x), *args, **kw))
