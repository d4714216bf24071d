"""Normalisation layers (batch, instance, layer, group, RMS, local response norm) against torch:
module pairs with torch's weights copied in (outputs, input and parameter gradients, running
buffers over training steps and in eval), functional forms through check_op (gradcheck, and
gradgradcheck for batch_norm in training and layer_norm), default init, repr and errors."""
import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from helpers import assert_close, check_error, check_op, randn

import ember
import ember.nn.functional as F
from ember import nn

torch.set_num_threads(1)   # tiny tensors: torch's thread pool only costs time here
RNG = np.random.default_rng(7)


def pair(name, *args, **kwargs):
    """The same layer in ember and torch, torch's parameters and buffers copied into ember."""
    t = getattr(torch.nn, name)(*args, **kwargs)
    e = getattr(nn, name)(*args, **kwargs)
    with torch.no_grad():   # non-trivial affine parameters, so their gradients mean something
        for p in t.parameters():
            p.copy_(torch.from_numpy(RNG.standard_normal(tuple(p.shape)).astype(np.float32)))
    e.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in t.state_dict().items()})
    return e, t


def step(e, t, shape, scale=1.0, shift=0.0, tol=1e-5):
    """One forward/backward on the same random input; compare output and all gradients."""
    x = (RNG.standard_normal(shape) * scale + shift).astype(np.float32)
    xe, xt = ember.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    ye, yt = e(xe), t(xt)
    assert_close(ye, yt, tol, tol, msg="output")
    up = RNG.standard_normal(tuple(yt.shape)).astype(np.float32)
    ye.backward(ember.tensor(up))
    yt.backward(torch.tensor(up))
    assert_close(xe.grad, xt.grad, 10 * tol, 10 * tol, msg="input grad")
    for (n, pe), (_, pt) in zip(e.named_parameters(), t.named_parameters()):
        assert_close(pe.grad, pt.grad, 10 * tol, 10 * tol, msg=f"grad of {n}")
    e.zero_grad()
    t.zero_grad()


def same_buffers(e, t):
    be, bt = dict(e.named_buffers()), dict(t.named_buffers())
    assert list(be) == list(bt)
    for k in bt:
        assert_close(be[k], bt[k], 1e-5, 1e-5, msg=k)


def run_train_eval(e, t, shape, steps=3):
    for i in range(steps):
        step(e, t, shape, scale=1 + i, shift=0.5 * i)
        same_buffers(e, t)
    e.eval()
    t.eval()
    step(e, t, shape, shift=0.3)
    same_buffers(e, t)


BN_CONFIGS = [{}, {"momentum": None}, {"momentum": 0.3, "eps": 1e-3}, {"affine": False},
              {"bias": False}, {"track_running_stats": False},
              {"affine": False, "track_running_stats": False}]


@pytest.mark.parametrize("cfg", BN_CONFIGS)
@pytest.mark.parametrize("name,shape", [("BatchNorm1d", (6, 3)), ("BatchNorm1d", (4, 3, 5)),
                                        ("BatchNorm2d", (4, 3, 3, 2)),
                                        ("BatchNorm3d", (2, 3, 2, 3, 2))])
def test_batchnorm_train_and_eval(name, shape, cfg):
    e, t = pair(name, 3, **cfg)
    assert repr(e) == repr(t)
    run_train_eval(e, t, shape)
    if cfg.get("track_running_stats", True):
        assert e.num_batches_tracked.dtype == ember.int64
        assert e.num_batches_tracked.item() == 3


def test_batchnorm_eval_without_running_stats_uses_batch_stats():
    e, t = pair("BatchNorm2d", 3, track_running_stats=False)
    e.eval()
    t.eval()
    step(e, t, (3, 3, 2, 2), shift=1.0)


def test_batchnorm_buffers_float64_and_state_dict_roundtrip():
    e, t = pair("BatchNorm1d", 4)
    e.double()
    t.double()
    x = RNG.standard_normal((5, 4))
    assert_close(e(ember.tensor(x)), t(torch.tensor(x)), 1e-12, 1e-12)
    same_buffers(e, t)
    t2 = torch.nn.BatchNorm1d(4).double()
    t2.load_state_dict({k: torch.from_numpy(v.numpy()) for k, v in e.state_dict().items()})
    same_buffers(e, t2)


@pytest.mark.parametrize("cfg", [{}, {"elementwise_affine": False}, {"bias": False},
                                 {"eps": 1e-2}])
@pytest.mark.parametrize("ns,shape", [(5, (3, 5)), ((4, 5), (2, 3, 4, 5)), ([5], (5,))])
def test_layernorm(ns, shape, cfg):
    e, t = pair("LayerNorm", ns, **cfg)
    assert repr(e) == repr(t)
    step(e, t, shape, scale=3, shift=2)


@pytest.mark.parametrize("cfg", [{}, {"affine": False}, {"bias": False}, {"eps": 1e-3}])
@pytest.mark.parametrize("groups,shape", [(2, (3, 8)), (3, (2, 6, 5)), (1, (2, 6, 2, 3)),
                                          (6, (2, 6, 2, 2))])
def test_groupnorm(groups, shape, cfg):
    e, t = pair("GroupNorm", groups, shape[1], **cfg)
    assert repr(e) == repr(t)
    step(e, t, shape, scale=2, shift=-1)   # groups of 4 or more: fewer is ill-conditioned


@pytest.mark.parametrize("cfg", [{}, {"affine": True}, {"track_running_stats": True},
                                 {"affine": True, "track_running_stats": True, "momentum": 0.5},
                                 {"track_running_stats": True, "momentum": None}])
@pytest.mark.parametrize("name,shape", [("InstanceNorm1d", (2, 3, 5)),
                                        ("InstanceNorm1d", (3, 4)),
                                        ("InstanceNorm2d", (2, 3, 3, 4)),
                                        ("InstanceNorm2d", (3, 2, 3)),
                                        ("InstanceNorm3d", (2, 3, 2, 2, 3))])
def test_instancenorm(name, shape, cfg):
    e, t = pair(name, 3, **cfg)
    assert repr(e) == repr(t)
    run_train_eval(e, t, shape, steps=2)


@pytest.mark.parametrize("cfg", [{}, {"eps": 1e-3}, {"elementwise_affine": False}])
def test_rmsnorm(cfg):
    e, t = pair("RMSNorm", (3, 4), **cfg)
    assert repr(e) == repr(t)
    step(e, t, (2, 3, 4), scale=2)


@pytest.mark.parametrize("shape", [(2, 5, 4), (2, 6, 3, 2), (1, 4, 2, 2, 2)])
def test_local_response_norm(shape):
    e, t = pair("LocalResponseNorm", 3, alpha=0.1, beta=0.6, k=2.0)
    assert repr(e) == repr(t)
    step(e, t, shape, scale=2)


# -- functional forms with gradcheck -----------------------------------------------------------

def test_batch_norm_functional_training_gradgradcheck():
    x, w, b = randn(4, 3, 2), randn(3), randn(3)
    check_op(lambda x, w, b: F.batch_norm(x, None, None, w, b, True),
             lambda x, w, b: TF.batch_norm(x, None, None, w, b, True), x, w, b,
             gradgradcheck=True)
    check_op(lambda x: F.batch_norm(x, None, None, training=True, eps=1e-3),
             lambda x: TF.batch_norm(x, None, None, training=True, eps=1e-3), randn(5, 2),
             gradgradcheck=True)
    check_op(lambda x, b: F.batch_norm(x, None, None, None, b, True),   # bias without weight
             lambda x, b: TF.batch_norm(x, None, None, None, b, True), x, b)
    check_op(lambda x, w: F.instance_norm(x, weight=w), lambda x, w: TF.instance_norm(x, weight=w),
             x, w, gradgradcheck=True)


def test_batch_norm_functional_eval_and_running_update():
    rm, rv = randn(3), randn(3, low=0.5, high=2.0)
    x, w, b = randn(4, 3, 2), randn(3), randn(3)
    check_op(lambda x, w, b: F.batch_norm(x, ember.tensor(rm), ember.tensor(rv), w, b, False),
             lambda x, w, b: TF.batch_norm(x, torch.tensor(rm), torch.tensor(rv), w, b, False),
             x, w, b, gradgradcheck=True)
    re, ve, rt, vt = ember.tensor(rm), ember.tensor(rv), torch.tensor(rm), torch.tensor(rv)
    F.batch_norm(ember.tensor(x), re, ve, training=True, momentum=0.2)
    TF.batch_norm(torch.tensor(x), rt, vt, training=True, momentum=0.2)
    assert_close(re, rt, 1e-12, 1e-12)
    assert_close(ve, vt, 1e-12, 1e-12)
    assert re._version == 1   # in-place update bumps the version, as in torch


def test_layer_norm_functional_gradgradcheck():
    x, w, b = randn(3, 2, 4), randn(2, 4), randn(2, 4)
    check_op(lambda x, w, b: F.layer_norm(x, (2, 4), w, b),
             lambda x, w, b: TF.layer_norm(x, (2, 4), w, b), x, w, b, gradgradcheck=True)
    check_op(lambda x: F.layer_norm(x, 4), lambda x: TF.layer_norm(x, [4]), x,
             gradgradcheck=True)
    check_op(lambda x: F.layer_norm(x.transpose(0, 2), [3]),
             lambda x: TF.layer_norm(x.transpose(0, 2), [3]), x)   # non-contiguous


def test_group_and_instance_norm_functional_gradcheck():
    x, w, b = randn(2, 4, 3), randn(4), randn(4)
    check_op(lambda x, w, b: F.group_norm(x, 2, w, b), lambda x, w, b: TF.group_norm(x, 2, w, b),
             x, w, b, gradgradcheck=True)
    check_op(lambda x, w, b: F.instance_norm(x, weight=w, bias=b),
             lambda x, w, b: TF.instance_norm(x, weight=w, bias=b), x, w, b)
    check_op(lambda x, w: F.rms_norm(x, [3], w), lambda x, w: TF.rms_norm(x, [3], w), x, randn(3),
             gradgradcheck=True)
    check_op(lambda x: F.local_response_norm(x, 2), lambda x: TF.local_response_norm(x, 2), x)


def test_float32_and_grad_fn_names():
    x = randn(4, 3, dtype=np.float32)
    ye = F.batch_norm(ember.tensor(x, requires_grad=True), None, None, training=True)
    assert ye.dtype == ember.float32 and ye.grad_fn.name() == "NativeBatchNormBackward0"
    assert F.layer_norm(ember.tensor(x, requires_grad=True), [3]).grad_fn.name() == \
        "NativeLayerNormBackward0"
    assert F.group_norm(ember.tensor(x, requires_grad=True), 3).grad_fn.name() == \
        "NativeGroupNormBackward0"


def test_empty_batch():
    e, t = pair("BatchNorm1d", 3)
    ye, yt = e(ember.zeros(0, 3)), t(torch.zeros(0, 3))
    assert tuple(ye.shape) == tuple(yt.shape)
    same_buffers(e, t)
    assert tuple(F.layer_norm(ember.zeros(0, 3), [3]).shape) == (0, 3)
    assert tuple(F.group_norm(ember.zeros(0, 4), 2).shape) == (0, 4)


# -- default init, repr ------------------------------------------------------------------------

@pytest.mark.parametrize("build", [
    lambda m: m.BatchNorm2d(5), lambda m: m.BatchNorm1d(4, affine=False),
    lambda m: m.BatchNorm3d(2, momentum=None, track_running_stats=False, bias=False),
    lambda m: m.LayerNorm([2, 3]), lambda m: m.LayerNorm(4, elementwise_affine=False),
    lambda m: m.GroupNorm(2, 6, affine=False), lambda m: m.GroupNorm(3, 6, bias=False),
    lambda m: m.InstanceNorm1d(3), lambda m: m.InstanceNorm2d(4, affine=True),
    lambda m: m.InstanceNorm3d(2, track_running_stats=True), lambda m: m.RMSNorm(3),
    lambda m: m.LocalResponseNorm(2)])
def test_default_init_and_repr(build):
    e, t = build(nn), build(torch.nn)
    assert repr(e) == repr(t)
    se, st = e.state_dict(), t.state_dict()
    assert list(se) == list(st)
    for k in st:
        assert se[k].dtype.name == str(st[k].dtype).split(".")[1], k
        np.testing.assert_array_equal(se[k].numpy(), st[k].numpy())
    assert [n for n, p in e.named_parameters()] == [n for n, p in t.named_parameters()]


def test_reset_running_stats():
    e = nn.BatchNorm1d(2)
    e(ember.randn(4, 2) * 3 + 1)
    e.reset_running_stats()
    assert e.running_mean.tolist() == [0, 0] and e.running_var.tolist() == [1, 1]
    assert e.num_batches_tracked.item() == 0


# -- errors -----------------------------------------------------------------------------------

def test_errors():
    x = ember.randn(4, 3)
    check_error(lambda: F.batch_norm(ember.randn(1, 3), None, None, training=True), ValueError,
                "Expected more than 1 value per channel when training, got input size "
                "torch.Size([1, 3])")
    check_error(lambda: F.batch_norm(x, ember.zeros(4), ember.ones(3), training=True),
                RuntimeError, "running_mean should contain 3 elements not 4")
    check_error(lambda: F.batch_norm(x, ember.zeros(3), ember.ones(4), training=True),
                RuntimeError, "running_var should contain 3 elements not 4")
    check_error(lambda: F.batch_norm(x, None, None), RuntimeError,
                "running_mean must be defined in evaluation mode")
    check_error(lambda: F.batch_norm(x, None, None, ember.ones(4), training=True), RuntimeError,
                "weight should contain 3 elements not 4")
    check_error(lambda: F.batch_norm(x, None, None, bias=ember.ones(2), training=True),
                RuntimeError, "bias should contain 3 elements not 2")
    check_error(lambda: F.batch_norm(x, None, None, training=True, eps=0), ValueError,
                "batch_norm eps must be positive during training, but got 0")
    check_error(lambda: nn.BatchNorm2d(3)(x), ValueError, "expected 4D input (got 2D input)")
    check_error(lambda: nn.BatchNorm1d(3)(ember.randn(2, 3, 4, 5)), ValueError,
                "expected 2D or 3D input (got 4D input)")
    check_error(lambda: nn.BatchNorm1d(3)(ember.randn(1, 3)), ValueError,
                "Expected more than 1 value per channel when training")
    check_error(lambda: F.layer_norm(x, (4,)), RuntimeError,
                "Given normalized_shape=[4], expected input with shape [*, 4], but got input of "
                "size[4, 3]")
    check_error(lambda: F.layer_norm(x, (3,), ember.ones(4)), RuntimeError,
                "Expected weight to be of same shape as normalized_shape, but got weight of shape "
                "[4] and normalized_shape = [3]")
    check_error(lambda: F.layer_norm(x, []), RuntimeError,
                "Expected normalized_shape to be at least 1-dimensional")
    check_error(lambda: F.rms_norm(x, (4,)), RuntimeError,
                "Given normalized_shape=[4], expected input with shape [*4], but got input of "
                "size[4, 3]")
    check_error(lambda: F.group_norm(ember.randn(4, 6), 4), RuntimeError,
                "Expected number of channels in input to be divisible by num_groups, but got "
                "input of shape [4, 6] and num_groups=4")
    check_error(lambda: F.group_norm(ember.randn(4, 6), 3, ember.ones(5)), RuntimeError,
                "Expected weight to be a vector of size equal to the number of channels in input, "
                "but got weight of shape [5] and input of shape [4, 6]")
    check_error(lambda: F.group_norm(ember.randn(6), 3), RuntimeError,
                "Expected at least 2 dimensions for input tensor but received 1")
    check_error(lambda: F.group_norm(ember.randn(1, 3), 3), ValueError,
                "Expected more than 1 value per channel when training, got input size [1, 3]")
    check_error(lambda: nn.GroupNorm(4, 6), ValueError,
                "num_channels (6) must be divisible by num_groups (4)")
    check_error(lambda: F.instance_norm(ember.randn(4, 3, 1)), ValueError,
                "Expected more than 1 spatial element when training, got input size "
                "torch.Size([4, 3, 1])")
    check_error(lambda: F.instance_norm(ember.randn(4, 3, 5), ember.zeros(4), ember.ones(3)),
                RuntimeError, "running_mean should contain 12 elements not 16")
    check_error(lambda: F.instance_norm(ember.randn(4, 3, 5), use_input_stats=False),
                RuntimeError, "Expected running_mean and running_var to be defined when "
                "use_input_stats is false")
    check_error(lambda: nn.InstanceNorm2d(3, affine=True)(ember.randn(2, 4, 5, 5)), ValueError,
                "expected input's size at dim=1 to match num_features (3), but got: 4.")
    check_error(lambda: nn.InstanceNorm1d(3)(ember.randn(2, 3, 4, 5)), ValueError,
                "expected 2D or 3D input (got 4D input)")
    check_error(lambda: F.local_response_norm(x, 2), ValueError,
                "Expected 3D or higher dimensionality")
    with pytest.warns(UserWarning, match="does not match num_features"):
        nn.InstanceNorm1d(3)(ember.randn(2, 4, 5))
