"""Convolutions (conv1d/2d/3d, conv_transpose1d/2d/3d and their modules) against torch."""
import math
import re

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from helpers import assert_close, check_op, randn

import ember
import ember.nn.functional as F
from ember import nn

# torch warns that 'same' padding with an even kernel may copy its input; ember does not
pytestmark = pytest.mark.filterwarnings("ignore:Using padding='same'")


def pair(build):
    """The same layer in ember and torch, torch's weights copied into ember through NumPy."""
    e, t = build(nn), build(torch.nn)
    e.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in t.state_dict().items()})
    return e, t


def _sorted_sets(msg):
    """A message with each printed set's elements sorted (a set's order is arbitrary)."""
    return re.sub(r"\{([^{}]*)\}", lambda m: "{" + ", ".join(sorted(m.group(1).split(", "))) + "}",
                  msg)


def same_error(ember_call, torch_call):
    """Both calls raise the same exception type with the same message."""
    with pytest.raises(Exception) as te:
        torch_call()
    with pytest.raises(type(te.value)) as ee:
        ember_call()
    assert _sorted_sets(str(ee.value)) == _sorted_sets(str(te.value))


# -- functional forms, float64, with gradcheck ---------------------------------------------

CONV2D = [dict(), dict(stride=2), dict(padding=1, dilation=2), dict(stride=(2, 1), padding=(0, 2)),
          dict(padding="same"), dict(padding="same", dilation=(1, 2)), dict(padding="valid"),
          dict(groups=2), dict(stride=2, padding=1, groups=4)]


@pytest.mark.parametrize("kw", CONV2D)
def test_conv2d(kw):
    g = kw.get("groups", 1)
    x, w, b = randn(2, 4, 5, 5), randn(4, 4 // g, 3, 2), randn(4)
    check_op(lambda x, w, b: F.conv2d(x, w, b, **kw), lambda x, w, b: TF.conv2d(x, w, b, **kw),
             x, w, b)


@pytest.mark.parametrize("kw", [dict(stride=2, padding=1), dict(padding="same", dilation=(2, 1)),
                                dict(groups=2, dilation=2)])
def test_conv2d_double_backward(kw):
    x, w, b = randn(2, 2, 5, 5), randn(2, 2 // kw.get("groups", 1), 3, 2), randn(2)
    check_op(lambda x, w, b: F.conv2d(x, w, b, **kw), lambda x, w, b: TF.conv2d(x, w, b, **kw),
             x, w, b, gradgradcheck=True)


@pytest.mark.parametrize("kw", [dict(), dict(stride=3, padding=2, dilation=2), dict(padding="same"),
                                dict(groups=3, stride=2)])
def test_conv1d(kw):
    x, w = randn(2, 3, 11), randn(6, 3 // kw.get("groups", 1), 4)
    check_op(lambda x, w: F.conv1d(x, w, **kw), lambda x, w: TF.conv1d(x, w, **kw), x, w)


@pytest.mark.parametrize("kw", [dict(), dict(stride=(1, 2, 2), padding=1), dict(groups=2, dilation=2)])
def test_conv3d(kw):
    x, w, b = randn(2, 2, 5, 6, 5), randn(2, 2 // kw.get("groups", 1), 2, 3, 2), randn(2)
    check_op(lambda x, w, b: F.conv3d(x, w, b, **kw), lambda x, w, b: TF.conv3d(x, w, b, **kw),
             x, w, b)


TRANSPOSED = [dict(), dict(stride=2), dict(stride=2, padding=1, output_padding=1),
              dict(stride=(2, 3), padding=(1, 0), output_padding=(0, 2), dilation=(1, 2)),
              dict(groups=2, stride=2, dilation=3, output_padding=2)]


@pytest.mark.parametrize("kw", TRANSPOSED)
def test_conv_transpose2d(kw):
    x, w, b = randn(1, 4, 3, 3), randn(4, 3, 3, 2), randn(3 * kw.get("groups", 1))
    check_op(lambda x, w, b: F.conv_transpose2d(x, w, b, **kw),
             lambda x, w, b: TF.conv_transpose2d(x, w, b, **kw), x, w, b)


def test_conv_transpose_double_backward_and_1d_3d():
    kw = dict(stride=2, padding=1, output_padding=1)
    check_op(lambda x, w: F.conv_transpose2d(x, w, **kw), lambda x, w: TF.conv_transpose2d(x, w, **kw),
             randn(1, 2, 3, 3), randn(2, 2, 3, 3), gradgradcheck=True)
    check_op(lambda x, w, b: F.conv_transpose1d(x, w, b, 3, 1, 2, 1, 2),
             lambda x, w, b: TF.conv_transpose1d(x, w, b, 3, 1, 2, 1, 2), randn(2, 3, 5),
             randn(3, 2, 3), randn(2))
    check_op(lambda x, w: F.conv_transpose3d(x, w, stride=(1, 2, 2), groups=2),
             lambda x, w: TF.conv_transpose3d(x, w, stride=(1, 2, 2), groups=2),
             randn(1, 4, 3, 2, 3), randn(4, 1, 2, 2, 2))


def test_small_outputs_large_batch():
    """Short output rows with a larger batch take col2im's batch-innermost path."""
    check_op(lambda x, w: F.conv2d(x, w, stride=2, padding=1),
             lambda x, w: TF.conv2d(x, w, stride=2, padding=1), randn(6, 2, 5, 5), randn(3, 2, 3, 3))
    check_op(lambda x, w: F.conv_transpose3d(x, w, stride=2, dilation=(1, 2, 1)),
             lambda x, w: TF.conv_transpose3d(x, w, stride=2, dilation=(1, 2, 1)),
             randn(5, 2, 2, 3, 2), randn(2, 2, 2, 2, 2))


def test_unbatched_noncontiguous_and_empty():
    check_op(lambda x, w: F.conv2d(x, w, padding=1), lambda x, w: TF.conv2d(x, w, padding=1),
             randn(3, 5, 4), randn(2, 3, 3, 3))
    check_op(lambda x, w: F.conv1d(x, w), lambda x, w: TF.conv1d(x, w), randn(3, 6), randn(2, 3, 2))
    check_op(lambda x, w: F.conv_transpose2d(x, w, stride=2),
             lambda x, w: TF.conv_transpose2d(x, w, stride=2), randn(2, 3, 3), randn(2, 1, 2, 2))
    check_op(lambda x, w: F.conv2d(x.transpose(2, 3), w.transpose(2, 3), stride=(2, 1)),
             lambda x, w: TF.conv2d(x.transpose(2, 3), w.transpose(2, 3), stride=(2, 1)),
             randn(2, 2, 6, 5), randn(3, 2, 2, 3))
    check_op(lambda x, w, b: F.conv2d(x, w, b), lambda x, w, b: TF.conv2d(x, w, b),
             randn(0, 2, 4, 4), randn(3, 2, 2, 2), randn(3), gradcheck=False)


def test_dtypes():
    out = check_op(lambda x, w: F.conv2d(x, w, padding=1), lambda x, w: TF.conv2d(x, w, padding=1),
                   randn(2, 3, 5, 5, dtype=np.float32), randn(4, 3, 3, 3, dtype=np.float32),
                   rtol=1e-5, atol=1e-5, gradcheck=False)
    assert out.dtype is ember.float32
    xi = np.arange(2 * 3 * 4 * 4).reshape(2, 3, 4, 4) % 7
    wi = np.arange(4 * 3 * 2 * 2).reshape(4, 3, 2, 2) % 5 - 2
    check_op(lambda x, w: F.conv2d(x, w, stride=2), lambda x, w: TF.conv2d(x, w, stride=2), xi, wi,
             grad=False)


def test_grad_of_only_one_input():
    x, w = to_pair(randn(2, 3, 5, 5)), to_pair(randn(4, 3, 3, 3), grad=True)
    ye, yt = F.conv2d(x[0], w[0]), TF.conv2d(x[1], w[1])
    ye.sum().backward()
    yt.sum().backward()
    assert x[0].grad is None
    assert_close(w[0].grad, w[1].grad, 1e-9, 1e-9)


def to_pair(a, grad=False):
    return ember.tensor(a, requires_grad=grad), torch.tensor(a, requires_grad=grad)


# -- modules against torch, float32 ----------------------------------------------------------

MODULES = [
    lambda L: L.Conv1d(4, 6, 3),
    lambda L: L.Conv1d(4, 8, 5, stride=2, padding=2, dilation=2, groups=2, bias=False),
    lambda L: L.Conv2d(3, 8, 3),
    lambda L: L.Conv2d(4, 6, (3, 2), stride=(2, 1), padding=(1, 0), dilation=(1, 2)),
    lambda L: L.Conv2d(4, 8, 3, padding="same", groups=4),
    lambda L: L.Conv2d(4, 6, 4, padding="same", padding_mode="reflect"),
    lambda L: L.Conv2d(4, 6, 3, padding=2, padding_mode="replicate", bias=False),
    lambda L: L.Conv2d(4, 6, 3, padding=(1, 3), padding_mode="circular"),
    lambda L: L.Conv3d(2, 4, (2, 3, 2), padding=(1, 0, 1), stride=(1, 2, 1)),
    lambda L: L.ConvTranspose1d(4, 6, 3, stride=2, padding=1, output_padding=1),
    lambda L: L.ConvTranspose2d(4, 6, 3, stride=2),
    lambda L: L.ConvTranspose2d(4, 8, (3, 2), stride=(2, 3), padding=1, output_padding=(1, 2),
                                groups=2, dilation=(2, 1), bias=False),
    lambda L: L.ConvTranspose3d(2, 4, 2, stride=2),
]


@pytest.mark.parametrize("i", range(len(MODULES)))
def test_module_matches_torch(i):
    e, t = pair(MODULES[i])
    assert repr(e) == repr(t)
    assert [n for n, _ in e.named_parameters()] == [n for n, _ in t.named_parameters()]
    n = len(t.kernel_size)
    rng = np.random.default_rng(i)
    for shape in [(3, t.in_channels) + (9, 8, 7)[:n], (t.in_channels,) + (6, 7, 5)[:n]]:
        x = rng.standard_normal(shape).astype(np.float32)
        xe, xt = to_pair(x, grad=True)
        ye, yt = e(xe), t(xt)
        assert_close(ye, yt, 1e-4, 1e-4, msg="forward")
        up = rng.standard_normal(tuple(yt.shape)).astype(np.float32)
        ye.backward(ember.tensor(up))
        yt.backward(torch.tensor(up))
        assert_close(xe.grad, xt.grad, 1e-4, 1e-4, msg="input grad")
        for (name, pe), (_, pt) in zip(e.named_parameters(), t.named_parameters()):
            assert_close(pe.grad, pt.grad, 1e-4, 1e-3, msg=name)
        e.zero_grad()
        t.zero_grad()


def test_conv_transpose_output_size():
    e, t = pair(lambda L: L.ConvTranspose2d(2, 3, 3, stride=2))
    x = randn(1, 2, 4, 4, dtype=np.float32)
    for size in [(9, 9), (10, 9), (1, 3, 10, 10)]:
        assert_close(e(ember.tensor(x), output_size=size), t(torch.tensor(x), output_size=size),
                     1e-5, 1e-5)
    for size in [(11, 11), (1, 1, 10, 10, 3)]:
        same_error(lambda: e(ember.tensor(x), output_size=size),
                   lambda: t(torch.tensor(x), output_size=size))


def test_state_dict_round_trip_to_torch():
    e = nn.Conv2d(3, 4, 3, groups=1)
    t = torch.nn.Conv2d(3, 4, 3)
    t.load_state_dict({k: torch.from_numpy(v.numpy().copy()) for k, v in e.state_dict().items()})
    x = randn(2, 3, 6, 6, dtype=np.float32)
    assert_close(e(ember.tensor(x)), t(torch.tensor(x)), 1e-5, 1e-5)


@pytest.mark.parametrize("cls, args", [("Conv2d", (16, 32, 3)), ("Conv1d", (8, 64, 5)),
                                       ("Conv3d", (4, 8, 3)), ("ConvTranspose2d", (32, 16, 3)),
                                       ("Conv2d", (16, 32, 3, 1, 0, 1, 4))])
def test_default_init_distribution(cls, args):
    ember.manual_seed(0)
    m = getattr(nn, cls)(*args)
    w, b = m.weight.detach().numpy(), m.bias.detach().numpy()
    fan_in = w.shape[1] * math.prod(w.shape[2:])
    bound = 1 / math.sqrt(fan_in)       # kaiming_uniform_(a=sqrt(5)) and the bias rule agree
    assert np.abs(w).max() <= bound and np.abs(b).max() <= bound
    assert abs(w.std() - bound / math.sqrt(3)) < 0.1 * bound / math.sqrt(3)
    assert abs(w.mean()) < 0.1 * bound and np.abs(w).max() > 0.95 * bound
    assert m.weight.dtype is ember.float32 and m.weight.requires_grad
    assert nn.Conv2d(2, 2, 1, dtype=ember.float64).weight.dtype is ember.float64


# -- errors, in torch's words --------------------------------------------------------------

def both(f, *arrays, **kw):
    """Run ``f`` (a functional name) with the same arrays in ember and torch."""
    return (lambda: getattr(F, f)(*[ember.tensor(a) for a in arrays], **kw),
            lambda: getattr(TF, f)(*[torch.tensor(a) for a in arrays], **kw))


X, W = randn(2, 4, 5, 5, dtype=np.float32), randn(8, 3, 3, 3, dtype=np.float32)
ERRORS = [
    ("conv2d", (X, W), {}),
    ("conv2d", (randn(5, 5, dtype=np.float32), W), {}),
    ("conv2d", (randn(1, 2, 3, 5, 5, dtype=np.float32), W), {}),
    ("conv1d", (randn(5, 5, 5, 5, dtype=np.float32), randn(8, 5, 3, dtype=np.float32)), {}),
    ("conv3d", (randn(5, 5, dtype=np.float32), randn(8, 5, 3, 3, 3, dtype=np.float32)), {}),
    ("conv2d", (X[:, :3, :2, :2], W), {}),
    ("conv2d", (X[:, :3, :2], W), {"padding": (0, 1), "dilation": 2}),
    ("conv1d", (X[:, :3, 0, :2], W[..., 0]), {}),
    ("conv2d", (X[:, :3], W), {"stride": 2, "padding": "same"}),
    ("conv2d", (X[:, :3], W), {"padding": "foo"}),
    ("conv2d", (X[:, :3], W), {"padding": -1}),
    ("conv2d", (X[:, :3], W), {"stride": 0}),
    ("conv2d", (X[:, :3], W), {"dilation": 0}),
    ("conv2d", (X[:, :3], W), {"dilation": -1}),
    ("conv2d", (X[:, :3], W), {"groups": 0}),
    ("conv2d", (X[:, :3], W), {"stride": (1, 1, 1)}),
    ("conv2d", (X[:, :3], W), {"padding": (1, 1, 1)}),
    ("conv2d", (X[:, :3], W[..., 0]), {}),
    ("conv2d", (np.concatenate([X, X], 1)[:, :6], W), {"groups": 3}),
    ("conv2d", (X[:, :3], W[:0]), {}),
    ("conv2d", (X[:, :3], W, randn(7, dtype=np.float32)), {}),
    ("conv2d", (X[:, :3], W, randn(8, 1, dtype=np.float32)), {}),
    ("conv2d", (X[:, :3], W.astype(np.float64)), {}),
    ("conv2d", (X[:, :3].astype(np.float64), W), {}),
    ("conv2d", (X[:, :3], W, randn(8)), {}),
    ("conv2d", (X[0], W), {}),
    ("conv_transpose2d", (X, W[:3]), {}),
    ("conv_transpose2d", (X[:, :3], W[:3]), {"output_padding": 1}),
    ("conv_transpose2d", (X[:, :3], W[:3]), {"stride": 2, "output_padding": 2}),
    ("conv_transpose1d", (X[:, :3, 0], W[:3, :, 0]), {"output_padding": 1}),
    ("conv_transpose3d", (randn(1, 3, 2, 2, 2, dtype=np.float32), randn(3, 3, 3, 3, 3, dtype=np.float32)),
     {"output_padding": 1}),
    ("conv_transpose2d", (X[:, :3], W[:3]), {"output_padding": -1}),
    ("conv_transpose2d", (X[:1, :3, :1, :1], W[:3]), {"padding": 3}),
    ("conv_transpose1d", (X[:1, :3, 0, :1], W[:3, :, 0]), {"padding": 3}),
    ("conv_transpose2d", (X[:, :3], W[:3]), {"padding": "same"}),
    ("conv_transpose2d", (X, W[:4]), {"groups": 3}),
    ("conv_transpose2d", (X[:, :3], W[:3], randn(2, dtype=np.float32)), {}),
    ("conv_transpose2d", (randn(5, 5, dtype=np.float32), W[:3]), {}),
]


@pytest.mark.parametrize("i", range(len(ERRORS)))
def test_errors_match_torch(i):
    f, arrays, kw = ERRORS[i]
    same_error(*both(f, *arrays, **kw))


@pytest.mark.parametrize("cls, args, kw", [
    ("Conv2d", (3, 8, 3), dict(groups=2)), ("Conv2d", (4, 7, 3), dict(groups=2)),
    ("Conv2d", (4, 8, 3), dict(groups=0)), ("Conv2d", (4, 8, 3), dict(padding="foo")),
    ("Conv2d", (4, 8, 3), dict(padding="same", stride=2)),
    ("Conv2d", (4, 8, 3), dict(padding_mode="bad")),
    ("ConvTranspose2d", (4, 8, 3), dict(padding_mode="reflect")),
])
def test_module_errors_match_torch(cls, args, kw):
    same_error(lambda: getattr(nn, cls)(*args, **kw), lambda: getattr(torch.nn, cls)(*args, **kw))


def test_reflect_padding_too_large():
    e, t = pair(lambda L: L.Conv2d(4, 8, 3, padding=5, padding_mode="reflect"))
    x = randn(1, 4, 5, 5, dtype=np.float32)
    same_error(lambda: e(ember.tensor(x)), lambda: t(torch.tensor(x)))
