"""Dropout, embedding, one_hot, pad, interpolate, distances, unfold/fold, shuffles, the small
layers over them, and nn.utils (gradient clipping, parameter vectors), against torch."""
import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from helpers import assert_close, check_error, check_op, randn

import ember
import ember.nn.functional as F
import ember.nn.utils as U
from ember import nn

torch.set_num_threads(1)   # tiny tensors: torch's thread pool only costs time here
RNG = np.random.default_rng(11)


def both(fn, *arrays, requires_grad=True):
    """fn(lib, *tensors) in ember and torch on copies of ``arrays``; compare outputs and the
    gradients of a random upstream gradient."""
    e_in = [ember.tensor(a.copy(), requires_grad=requires_grad and a.dtype.kind == "f")
            for a in arrays]
    t_in = [torch.tensor(a.copy(), requires_grad=requires_grad and a.dtype.kind == "f")
            for a in arrays]
    ye, yt = fn(ember, F, *e_in), fn(torch, TF, *t_in)
    assert_close(ye, yt, 1e-5, 1e-5, msg="output")
    if requires_grad and yt.requires_grad:
        up = RNG.standard_normal(tuple(yt.shape)).astype(arrays[0].dtype)
        ye.backward(ember.tensor(up))
        yt.backward(torch.tensor(up))
        for i, (a, b) in enumerate(zip(e_in, t_in)):
            if b.grad is not None:
                assert_close(a.grad, b.grad, 1e-5, 1e-5, msg=f"grad {i}")
    return ye


def module_pair(name, *args, **kwargs):
    e, t = getattr(nn, name)(*args, **kwargs), getattr(torch.nn, name)(*args, **kwargs)
    assert repr(e) == repr(t)
    e.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in t.state_dict().items()})
    return e, t


# -- dropout ----------------------------------------------------------------------------------

def test_dropout_statistics_and_gradient():
    ember.manual_seed(0)
    x = ember.ones(200, 100, requires_grad=True)
    y = F.dropout(x, 0.3)
    kept = y.detach().numpy() != 0
    assert abs(1 - kept.mean() - 0.3) < 0.02
    np.testing.assert_allclose(y.detach().numpy()[kept], 1 / 0.7, rtol=1e-6)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), y.detach().numpy(), rtol=1e-6)
    assert y.grad_fn.name() == "MulBackward0"


def test_dropout_identity_cases_and_inplace():
    x = ember.randn(4, 5)
    assert F.dropout(x, 0.5, training=False) is x
    assert F.dropout(x, 0.0) is x
    assert (F.dropout(x, 1.0) == 0).all()
    m = nn.Dropout(0.5)
    m.eval()
    assert m(x) is x
    y = x.clone()
    v = y._version
    out = F.dropout(y, 0.5, inplace=True)
    assert out is y and y._version > v
    zero = (y == 0).numpy()
    np.testing.assert_allclose(y.numpy()[~zero], x.numpy()[~zero] * 2, rtol=1e-6)


@pytest.mark.parametrize("fn,shape", [(F.dropout1d, (8, 50, 6)), (F.dropout1d, (50, 6)),
                                      (F.dropout2d, (8, 50, 3, 2)),
                                      (F.dropout3d, (4, 50, 2, 2, 2)),
                                      (F.dropout3d, (50, 2, 2, 2))])
def test_channel_dropout_drops_whole_channels(fn, shape):
    ember.manual_seed(1)
    y = fn(ember.ones(*shape), 0.5).numpy()
    lead = 1 if len(shape) in (2, 4) and fn is not F.dropout2d else 2
    flat = y.reshape(shape[:lead] + (-1,))
    assert ((flat == 0).all(-1) | (flat == 2).all(-1)).all()
    assert 0.3 < (flat[..., 0] == 0).mean() < 0.7


def test_alpha_dropout_keeps_mean_and_variance():
    ember.manual_seed(2)
    x = ember.randn(400, 250)
    y = F.alpha_dropout(x, 0.2, training=True).numpy()
    assert abs(y.mean()) < 0.02 and abs(y.std() - 1) < 0.02
    assert F.alpha_dropout(x, 0.2) is x            # training defaults to False
    y = F.feature_alpha_dropout(ember.randn(50, 40, 10), 0.3, training=True).numpy()
    assert abs(y.mean()) < 0.05 and abs(y.std() - 1) < 0.05
    xg = ember.randn(3, 4, requires_grad=True)
    assert F.alpha_dropout(xg, 0.5, True).grad_fn.name() == "AddBackward0"


def test_dropout_modules_and_errors():
    for name in ["Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout",
                 "FeatureAlphaDropout"]:
        e, t = module_pair(name, 0.25, True) if "Alpha" not in name else module_pair(name, 0.25)
        e.eval()
        x = ember.randn(*{"Dropout1d": (2, 3, 4), "Dropout2d": (2, 3, 4, 5)}.get(name, (2, 3, 4, 5, 2)))
        assert e(x) is x
    check_error(lambda: nn.Dropout(2), ValueError,
                "dropout probability has to be between 0 and 1, but got 2")
    check_error(lambda: F.dropout(ember.randn(3), 1.5), ValueError,
                "dropout probability has to be between 0 and 1, but got 1.5")
    check_error(lambda: F.dropout1d(ember.randn(3), 0.5), RuntimeError,
                "dropout1d: Expected 2D or 3D input, but received a 1D input.")
    check_error(lambda: F.feature_alpha_dropout(ember.randn(3), 0.5, True), RuntimeError,
                "Feature dropout requires at least 2 dimensions in the input")
    with pytest.warns(UserWarning, match="Received a 3D input to dropout2d"):
        F.dropout2d(ember.randn(2, 3, 4))


# -- embedding ---------------------------------------------------------------------------------

@pytest.mark.parametrize("kw", [{}, {"padding_idx": 2}, {"padding_idx": -1},
                                {"scale_grad_by_freq": True}, {"max_norm": 1.0},
                                {"max_norm": 1.5, "norm_type": 1.0, "padding_idx": 0}])
def test_embedding_module(kw):
    e, t = module_pair("Embedding", 6, 4, **kw)
    idx = np.array([[1, 2, 0, 2], [5, 5, 1, 3]])
    ye, yt = e(ember.tensor(idx)), t(torch.tensor(idx))
    assert_close(ye, yt, 1e-6, 1e-6)
    assert_close(e.weight, t.weight, 1e-6, 1e-6)   # max_norm renormalises rows in place
    up = RNG.standard_normal(tuple(yt.shape)).astype(np.float32)
    ye.backward(ember.tensor(up))
    yt.backward(torch.tensor(up))
    assert_close(e.weight.grad, t.weight.grad, 1e-6, 1e-6)
    if e.padding_idx is not None:
        assert not e.weight.grad.numpy()[e.padding_idx].any()
    assert ye.grad_fn.name() == "EmbeddingBackward0"


def test_embedding_functional_gradcheck():
    w, idx = randn(5, 3), np.array([[0, 4, 4], [2, 1, 0]])
    check_op(lambda w, i: F.embedding(i, w), lambda w, i: TF.embedding(i, w), w, idx,
             gradgradcheck=True)
    check_op(lambda w, i: F.embedding(i, w, padding_idx=4, scale_grad_by_freq=True),
             lambda w, i: TF.embedding(i, w, padding_idx=4, scale_grad_by_freq=True), w, idx,
             gradcheck=False)   # scaled by frequency on purpose: not the true gradient
    check_op(lambda w, i: F.embedding(i, w), lambda w, i: TF.embedding(i, w), w,
             np.array(3, dtype=np.int32))
    check_op(lambda w, i: F.embedding(i, w), lambda w, i: TF.embedding(i, w), w,
             np.zeros((2, 0), dtype=np.int64))


def test_embedding_init_and_from_pretrained():
    ember.manual_seed(0)
    w = nn.Embedding(300, 100, padding_idx=3).weight.detach().numpy()
    assert not w[3].any()
    rest = np.delete(w, 3, 0)
    assert abs(rest.mean()) < 0.02 and abs(rest.std() - 1) < 0.02   # N(0, 1)
    pre = ember.randn(4, 2)
    e = nn.Embedding.from_pretrained(pre)
    t = torch.nn.Embedding.from_pretrained(torch.tensor(pre.numpy()))
    assert repr(e) == repr(t) and not e.weight.requires_grad
    assert nn.Embedding.from_pretrained(pre, freeze=False).weight.requires_grad
    assert_close(e(ember.tensor([3, 0])), t(torch.tensor([3, 0])))
    assert repr(nn.Embedding(5, 2, max_norm=1, norm_type=1, scale_grad_by_freq=True,
                             sparse=True)) == \
        repr(torch.nn.Embedding(5, 2, max_norm=1, norm_type=1, scale_grad_by_freq=True,
                                sparse=True))


def test_embedding_errors():
    w = ember.randn(3, 4)
    check_error(lambda: F.embedding(ember.tensor([1, 5]), w), IndexError,
                "index out of range in self")
    check_error(lambda: F.embedding(ember.tensor([1, -1]), w), IndexError,
                "index out of range in self")
    check_error(lambda: F.embedding(ember.tensor([1.0, 2.0]), w), RuntimeError,
                "Expected tensor for argument #1 'indices' to have one of the following scalar "
                "types: Long, Int; but got torch.FloatTensor instead (while checking arguments "
                "for embedding)")
    check_error(lambda: F.embedding(ember.tensor([1]), w, padding_idx=3), AssertionError,
                "Padding_idx must be within num_embeddings")
    check_error(lambda: nn.Embedding(3, 4, padding_idx=-4), AssertionError,
                "Padding_idx must be within num_embeddings")
    check_error(lambda: F.embedding(ember.tensor([1]), ember.randn(3)), RuntimeError,
                "'weight' must be 2-D")
    check_error(lambda: nn.Embedding.from_pretrained(ember.randn(3)), AssertionError,
                "Embeddings parameter is expected to be 2-dimensional")
    check_error(lambda: nn.Embedding(3, 4, _weight=ember.randn(2, 4)), AssertionError,
                "Shape of weight does not match num_embeddings and embedding_dim")


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
@pytest.mark.parametrize("case", [
    {"input": [1, 2, 4, 5, 4, 3, 2, 9], "offsets": [0, 4]},
    {"input": [1, 2, 4, 5, 4, 3, 2, 9], "offsets": [0, 3, 3, 8], "include_last_offset": True},
    {"input": [[0, 2, 0], [3, 0, 0]], "padding_idx": 0},
    {"input": [[1, 2, 3], [4, 5, 6]], "max_norm": 1.0}])
def test_embedding_bag(mode, case):
    case = dict(case)
    kw = {k: case.pop(k) for k in ("include_last_offset", "padding_idx", "max_norm")
          if k in case}
    e, t = module_pair("EmbeddingBag", 10, 3, mode=mode, **kw)
    args_e = [ember.tensor(case["input"])] + \
        ([ember.tensor(case["offsets"])] if "offsets" in case else [])
    args_t = [torch.tensor(case["input"])] + \
        ([torch.tensor(case["offsets"])] if "offsets" in case else [])
    ye, yt = e(*args_e), t(*args_t)
    assert_close(ye, yt, 1e-6, 1e-6)
    up = RNG.standard_normal(tuple(yt.shape)).astype(np.float32)
    ye.backward(ember.tensor(up))
    yt.backward(torch.tensor(up))
    assert_close(e.weight.grad, t.weight.grad, 1e-6, 1e-6)


def test_embedding_bag_per_sample_weights():
    w, psw = randn(6, 3), randn(5)
    idx, off = np.array([1, 2, 4, 5, 4]), np.array([0, 2])
    check_op(lambda w, i, o, p: F.embedding_bag(i, w, o, mode="sum", per_sample_weights=p),
             lambda w, i, o, p: TF.embedding_bag(i, w, o, mode="sum", per_sample_weights=p),
             w, idx, off, psw)


# -- one_hot ---------------------------------------------------------------------------------

def test_one_hot():
    for idx, n in [([1, 3, 0], -1), ([[1, 2], [0, 0]], 4), (2, 3), ([], 3)]:
        ye = F.one_hot(ember.tensor(idx, dtype=ember.int64), n)
        yt = TF.one_hot(torch.tensor(idx, dtype=torch.int64), n)
        assert_close(ye, yt)
    check_error(lambda: F.one_hot(ember.tensor([1.0])), RuntimeError,
                "one_hot is only applicable to index tensor of type LongTensor.")
    check_error(lambda: F.one_hot(ember.tensor([1, -2])), RuntimeError,
                "Class values must be non-negative.")
    check_error(lambda: F.one_hot(ember.tensor([1, 2]), 2), RuntimeError,
                "Class values must be smaller than num_classes.")
    check_error(lambda: F.one_hot(ember.tensor([], dtype=ember.int64)), RuntimeError,
                "Can not infer total number of classes from empty tensor.")


# -- pad ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("shape,pads", [((5,), (2, 1)), ((2, 3, 4), (1, 0, -1, 2)),
                                        ((1, 2, 3, 4), (1, 1, 2, 0, 0, 1, 1, 1)),
                                        ((3, 4), (-1, -3)), ((2, 3, 2), (0, 0, 0, 0, 1, 1))])
def test_pad_constant(shape, pads):
    check_op(lambda x: F.pad(x, pads), lambda x: TF.pad(x, pads), randn(*shape),
             gradgradcheck=True)
    check_op(lambda x: F.pad(x, pads, value=2.5), lambda x: TF.pad(x, pads, value=2.5),
             randn(*shape))
    check_op(lambda x: F.pad(x, pads, value=2.5), lambda x: TF.pad(x, pads, value=2.5),
             np.arange(np.prod(shape)).reshape(shape), grad=False)


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
@pytest.mark.parametrize("shape,pads", [((3, 5), (2, 1)), ((2, 3, 5), (0, 3)),
                                        ((2, 4, 5), (1, 2, 3, 0)), ((1, 2, 4, 5), (2, 1, -1, 1)),
                                        ((1, 2, 2, 3), (1, 1, 1, 1, 1, 0)),
                                        ((1, 1, 2, 3, 3), (1, 2, 1, 0, 1, 1))])
def test_pad_modes(mode, shape, pads):
    check_op(lambda x: F.pad(x, pads, mode), lambda x: TF.pad(x, pads, mode), randn(*shape),
             gradcheck=mode != "circular" or len(shape) < 4, gradgradcheck=len(shape) == 2)


def test_pad_modules():
    x = randn(2, 3, 4, 5, dtype=np.float32)
    for name, args in [("ZeroPad1d", ((1, 2),)), ("ZeroPad2d", (1,)), ("ZeroPad3d", (1,)),
                       ("ConstantPad1d", (2, 3.5)), ("ConstantPad2d", ((1, 2, 3, 0), -1.0)),
                       ("ConstantPad3d", (1, 1)), ("ReflectionPad1d", (2,)),
                       ("ReflectionPad2d", ((1, 0, 2, 1),)), ("ReflectionPad3d", (1,)),
                       ("ReplicationPad1d", (3,)), ("ReplicationPad2d", (2,)),
                       ("ReplicationPad3d", ((1, 0, 1, 0, 1, 0),)), ("CircularPad1d", (2,)),
                       ("CircularPad2d", ((1, 2, 0, 3),)), ("CircularPad3d", (1,))]:
        e, t = module_pair(name, *args)
        xx = x[0] if name.endswith("1d") else x
        both(lambda lib, F_, a: (e if lib is ember else t)(a), xx)
    check_error(lambda: nn.CircularPad2d(1)(ember.randn(3, 3)), ValueError,
                "expected 3D or 4D input (got 2D input)")


def test_pad_errors():
    x = ember.randn(2, 3, 4, 5)
    check_error(lambda: F.pad(x, (1,)), RuntimeError, "Padding length must be divisible by 2")
    check_error(lambda: F.pad(x, (1,) * 10), RuntimeError,
                "Padding length should be less than or equal to two times the input dimension "
                "but got padding length 10 and input of dimension 4")
    check_error(lambda: F.pad(ember.randn(5), (-6, 1)), RuntimeError,
                "narrow(): length must be non-negative.")
    check_error(lambda: F.pad(x, (1, 1), "reflect", value=2), RuntimeError,
                "Padding mode \"reflect\" doesn't take in value argument")
    check_error(lambda: F.pad(x, (1, 1), "reflect"), NotImplementedError,
                "Padding size 2 is not supported for 4D input tensor.\nSupported combinations for "
                "non-constant padding:\n  - 2D or 3D input: padding size = 2 (pads last "
                "dimension)")
    check_error(lambda: F.pad(x, (5, 1, 1, 1), "reflect"), RuntimeError,
                "Argument #4: Padding size should be less than the corresponding input dimension, "
                "but got: padding (5, 1) at dimension 3 of input [2, 3, 4, 5]")
    check_error(lambda: F.pad(x, (6, 1, 1, 1), "circular"), RuntimeError,
                "Padding value causes wrapping around more than once.")
    check_error(lambda: F.pad(ember.randn(3, 4), (-3, -2), "circular"), RuntimeError,
                "Negative padding value is resulting in an empty dimension")
    check_error(lambda: F.pad(ember.randn(3, 4), (-2, -2), "replicate"), RuntimeError,
                "input (W: 4) is too small. Calculated output W: 0")
    check_error(lambda: F.pad(ember.randn(2, 0, 4, 5), (1, 1, 1, 1), "replicate"), RuntimeError,
                "Expected 3D or 4D (batch mode) tensor with possibly 0 batch size and other "
                "non-zero dimensions for input, but got: [2, 0, 4, 5]")
    check_error(lambda: F.pad(x, (1, 1), "foo"), NotImplementedError,
                "Unrecognised padding mode foo")


# -- interpolate -------------------------------------------------------------------------------

SIZES = [{"scale_factor": 2}, {"size": (7, 3)}, {"scale_factor": (1.7, 0.6)}, {"size": 9},
         {"scale_factor": 0.5, "recompute_scale_factor": True}]


@pytest.mark.parametrize("kw", SIZES)
@pytest.mark.parametrize("mode,ac", [("nearest", None), ("nearest-exact", None),
                                     ("bilinear", False), ("bilinear", True), ("bicubic", False),
                                     ("bicubic", True), ("area", None)])
def test_interpolate_2d(mode, ac, kw):
    x = randn(2, 3, 5, 6, dtype=np.float32)
    both(lambda lib, F_, a: F_.interpolate(a, mode=mode, align_corners=ac, **kw), x)


@pytest.mark.parametrize("mode,ac,shape", [("linear", False, (2, 3, 7)), ("linear", True, (2, 3, 7)),
                                           ("nearest", None, (2, 3, 7)),
                                           ("trilinear", False, (1, 2, 3, 4, 5)),
                                           ("trilinear", True, (1, 2, 3, 4, 5)),
                                           ("nearest", None, (1, 2, 3, 4, 5))])
@pytest.mark.parametrize("factor", [2, 0.7, 1.6])
def test_interpolate_1d_3d(mode, ac, shape, factor):
    both(lambda lib, F_, a: F_.interpolate(a, scale_factor=factor, mode=mode, align_corners=ac),
         randn(*shape, dtype=np.float32))


def test_interpolate_same_size_with_scale_factor():
    # torch's linear kernels and its 2-d nearest kernel copy a dim whose size does not change,
    # whatever the scale factor says; bicubic and 1-d/3-d nearest use the factor (their torch
    # backward does not, so only forwards are compared there)
    x = randn(1, 2, 3, 4, dtype=np.float32)
    for mode in ["bilinear", "bicubic", "nearest", "nearest-exact"]:
        both(lambda lib, F_, a: F_.interpolate(a, scale_factor=(1.3, 1.5), mode=mode), x)
    for shape in [(1, 2, 3), (1, 1, 3, 4, 2)]:
        for mode in ["nearest", "nearest-exact"]:
            both(lambda lib, F_, a: F_.interpolate(a, scale_factor=1.3, mode=mode),
                 randn(*shape, dtype=np.float32), requires_grad=False)


def test_interpolate_gradcheck_float64():
    x = randn(1, 2, 3, 4)
    for mode, ac in [("bilinear", False), ("bicubic", True), ("nearest", None)]:
        check_op(lambda a: F.interpolate(a, size=(5, 3), mode=mode, align_corners=ac),
                 lambda a: TF.interpolate(a, size=(5, 3), mode=mode, align_corners=ac), x,
                 gradgradcheck=mode == "bilinear")


def test_upsample_modules():
    x = randn(2, 3, 4, 5, dtype=np.float32)
    for name, kw in [("Upsample", {"scale_factor": 2}),
                     ("Upsample", {"size": (3, 7), "mode": "bilinear", "align_corners": True}),
                     ("Upsample", {"scale_factor": (2.0, 1.5), "mode": "bicubic"}),
                     ("UpsamplingNearest2d", {"scale_factor": 3}),
                     ("UpsamplingBilinear2d", {"size": 6})]:
        e, t = module_pair(name, **kw)
        both(lambda lib, F_, a: (e if lib is ember else t)(a), x)


def test_interpolate_errors():
    x = ember.randn(2, 3, 4, 5)
    check_error(lambda: F.interpolate(x, scale_factor=2, align_corners=True), ValueError,
                "align_corners option can only be set with the interpolating modes: linear | "
                "bilinear | bicubic | trilinear")
    check_error(lambda: F.interpolate(x, size=(3,), mode="bilinear"), ValueError,
                "Input and output must have the same number of spatial dimensions, but got input "
                "with spatial dimensions of [4, 5] and output size of (3,).")
    check_error(lambda: F.interpolate(x, size=3, scale_factor=2), ValueError,
                "only one of size or scale_factor should be defined")
    check_error(lambda: F.interpolate(x), ValueError,
                "either size or scale_factor should be defined")
    check_error(lambda: F.interpolate(x, size=3, mode="linear"), NotImplementedError,
                "Got 4D input, but linear mode needs 3D input")
    check_error(lambda: F.interpolate(x, size=3, mode="foo"), NotImplementedError,
                "Input Error: Only 3D, 4D and 5D input Tensors supported (got 4D) for the modes: "
                "nearest | linear | bilinear | bicubic | trilinear | lanczos | area | "
                "nearest-exact (got foo)")
    check_error(lambda: F.interpolate(x, size=(3.0, 2)), TypeError,
                "expected size to be one of int or Tuple[int] or Tuple[int, int] or "
                "Tuple[int, int, int], but got size with types [<class 'float'>, <class 'int'>]")
    check_error(lambda: F.interpolate(x, size=(0, 2)), RuntimeError,
                "Input and output sizes should be greater than 0, but got input (H: 4, W: 5) "
                "output (H: 0, W: 2)")
    check_error(lambda: F.interpolate(ember.arange(4).view(1, 1, 4), size=3),
                NotImplementedError,
                "\"compute_indices_weights_nearest\" not implemented for 'Long'")


# -- distances, normalize -----------------------------------------------------------------------

def test_normalize():
    x = randn(3, 4, 2)
    check_op(lambda a: F.normalize(a), lambda a: TF.normalize(a), x, gradgradcheck=True)
    check_op(lambda a: F.normalize(a, p=1, dim=-1), lambda a: TF.normalize(a, p=1, dim=-1), x)
    check_op(lambda a: F.normalize(a, dim=0), lambda a: TF.normalize(a, dim=0),
             np.zeros((3, 2)), gradcheck=False)   # eps keeps the zero vector finite (1/eps)


@pytest.mark.parametrize("s1,s2,dim", [((3, 4), (3, 4), 1), ((3, 4), (4,), -1),
                                       ((2, 3, 4), (1, 3, 4), 0), ((5,), (5,), 0)])
def test_cosine_similarity(s1, s2, dim):
    check_op(lambda a, b: F.cosine_similarity(a, b, dim),
             lambda a, b: TF.cosine_similarity(a, b, dim), randn(*s1), randn(*s2),
             gradgradcheck=True)


@pytest.mark.parametrize("s1,s2", [((3, 4), (3, 4)), ((3, 4), (4,)), ((5,), (5,)),
                                   ((2, 1, 4), (3, 4))])
@pytest.mark.parametrize("p", [2.0, 1.0, 3.0])
def test_pairwise_distance(s1, s2, p):
    check_op(lambda a, b: F.pairwise_distance(a, b, p),
             lambda a, b: TF.pairwise_distance(a, b, p), randn(*s1), randn(*s2))


def test_distance_modules_and_errors():
    a, b = randn(3, 4, dtype=np.float32), randn(3, 4, dtype=np.float32)
    for name, kw in [("CosineSimilarity", {}), ("CosineSimilarity", {"dim": 0, "eps": 1e-6}),
                     ("PairwiseDistance", {}), ("PairwiseDistance", {"p": 1.0, "keepdim": True})]:
        e, t = module_pair(name, **kw)
        both(lambda lib, F_, x, y: (e if lib is ember else t)(x, y), a, b)
    check_error(lambda: F.cosine_similarity(ember.tensor([1, 2]), ember.tensor([1, 3]), 0),
                RuntimeError, "expected common dtype to be floating point, yet common dtype is "
                "Long")
    check_error(lambda: F.cosine_similarity(ember.randn(3, 4), ember.randn(2, 4)), RuntimeError,
                "must match the size of tensor b")


# -- unfold / fold, shuffles ---------------------------------------------------------------------

@pytest.mark.parametrize("kw", [{"kernel_size": 2}, {"kernel_size": (2, 3), "stride": (2, 1)},
                                {"kernel_size": 3, "padding": 1, "dilation": 2},
                                {"kernel_size": (1, 2), "padding": (0, 1), "stride": 3}])
def test_unfold_fold(kw):
    x = randn(2, 2, 5, 6)
    check_op(lambda a: F.unfold(a, **kw), lambda a: TF.unfold(a, **kw), x[:1])
    check_op(lambda a: F.unfold(a, **kw), lambda a: TF.unfold(a, **kw), x[0], gradcheck=False)
    cols = TF.unfold(torch.tensor(x), **kw).numpy()
    check_op(lambda a: F.fold(a, (5, 6), **kw), lambda a: TF.fold(a, (5, 6), **kw), cols[:1])
    check_op(lambda a: F.fold(a, (5, 6), **kw), lambda a: TF.fold(a, (5, 6), **kw), cols[1],
             gradcheck=False)
    # each is the other's adjoint: double backward through both
    assert ember.autograd.gradgradcheck(lambda a: F.fold(F.unfold(a, **kw), (5, 6), **kw),
                                        (ember.tensor(x[:1, :1], requires_grad=True),))
    e, t = module_pair("Unfold", **kw)
    both(lambda lib, F_, a: (e if lib is ember else t)(a), x.astype(np.float32))
    e, t = module_pair("Fold", (5, 6), **kw)
    both(lambda lib, F_, a: (e if lib is ember else t)(a), cols.astype(np.float32))


def test_unfold_fold_large_batch_narrow_blocks():
    # a batch over 4 with at most 4 blocks per row takes col2im's batch-innermost path
    kw = {"kernel_size": 3, "stride": 2}
    x = randn(6, 3, 7, 6)
    check_op(lambda a: F.unfold(a, **kw), lambda a: TF.unfold(a, **kw), x)
    cols = TF.unfold(torch.tensor(x), **kw).numpy()
    check_op(lambda a: F.fold(a, (7, 6), **kw), lambda a: TF.fold(a, (7, 6), **kw), cols)


def test_unfold_fold_errors():
    x = ember.randn(2, 3, 4, 5)
    check_error(lambda: F.unfold(x, 6), RuntimeError,
                "Given input with spatial size (4, 5), kernel_size=(6, 6), dilation=(1, 1), "
                "padding=(0, 0), calculated shape of the array of sliding blocks as (-1, 0), but "
                "its components must be at least one.")
    check_error(lambda: F.unfold(x, 0), RuntimeError,
                "kernel size should be greater than zero, but got kernel_height: 0 kernel_width: 0")
    check_error(lambda: F.unfold(x, 2, stride=0), RuntimeError,
                "stride should be greater than zero, but got stride_height: 0 stride_width: 0")
    check_error(lambda: F.unfold(x, 2, padding=-1), RuntimeError,
                "padding should be non-negative, but got pad_height: -1 pad_width: -1")
    check_error(lambda: F.unfold(x, (2, 2, 2)), RuntimeError,
                "It is expected kernel_size equals to 2, but got size 3")
    check_error(lambda: F.fold(ember.randn(2, 12, 11), (4, 5), 2), RuntimeError,
                "Given output_size=(4, 5), kernel_size=(2, 2), dilation=(1, 1), padding=(0, 0), "
                "stride=(1, 1), expected size of input's dimension 2 to match the calculated "
                "number of sliding blocks 3 * 4 = 12, but got input.size(2)=11.")
    check_error(lambda: F.fold(ember.randn(2, 11, 12), (4, 5), 2), RuntimeError,
                "Expected size of input's dimension 1 to be divisible by the product of "
                "kernel_size, but got input.size(1)=11 and kernel_size=(2, 2).")
    check_error(lambda: F.fold(ember.randn(12), (4, 5), 2), RuntimeError,
                "Expected 2D or 3D (batch mode) tensor for input with possibly 0 batch size and "
                "non-zero dimensions for input, but got: [12]")


def test_pixel_and_channel_shuffle():
    x = randn(2, 8, 3, 3)
    check_op(lambda a: F.pixel_shuffle(a, 2), lambda a: TF.pixel_shuffle(a, 2), x)
    check_op(lambda a: F.pixel_unshuffle(a, 3), lambda a: TF.pixel_unshuffle(a, 3), x)
    check_op(lambda a: F.pixel_shuffle(a, 2), lambda a: TF.pixel_shuffle(a, 2), x[0])
    check_op(lambda a: F.channel_shuffle(a, 4), lambda a: TF.channel_shuffle(a, 4), x,
             gradcheck=False)
    for name, arg in [("PixelShuffle", 2), ("PixelUnshuffle", 3), ("ChannelShuffle", 2)]:
        e, t = module_pair(name, arg)
        both(lambda lib, F_, a: (e if lib is ember else t)(a), x.astype(np.float32))
    check_error(lambda: F.pixel_shuffle(ember.randn(2, 6, 3, 3), 2), RuntimeError,
                "pixel_shuffle expects its input's 'channel' dimension to be divisible by the "
                "square of upscale_factor, but input.size(-3)=6 is not divisible by 4")
    check_error(lambda: F.pixel_unshuffle(ember.randn(2, 2, 3, 4), 2), RuntimeError,
                "pixel_unshuffle expects height to be divisible by downscale_factor, but "
                "input.size(-2)=3 is not divisible by 2")


# -- nn.utils ----------------------------------------------------------------------------------

def grads_pair(shapes=((3, 4), (5,), (2, 2, 2)), scale=3.0):
    arrs = [RNG.standard_normal(s).astype(np.float32) * scale for s in shapes]
    pe, pt = [], []
    for a in arrs:
        e, t = nn.Parameter(ember.zeros(*a.shape)), torch.nn.Parameter(torch.zeros(*a.shape))
        e.grad, t.grad = ember.tensor(a.copy()), torch.tensor(a.copy())
        pe.append(e)
        pt.append(t)
    return pe, pt


@pytest.mark.parametrize("norm_type", [2.0, 1, 3.0, float("inf"), "inf"])
@pytest.mark.parametrize("max_norm", [0.5, 1e4])
def test_clip_grad_norm(norm_type, max_norm):
    pe, pt = grads_pair()
    ne = U.clip_grad_norm_(pe, max_norm, norm_type)
    nt = torch.nn.utils.clip_grad_norm_(pt, max_norm, norm_type)
    assert_close(ne, nt, 1e-5, 1e-5)
    for e, t in zip(pe, pt):
        assert_close(e.grad, t.grad, 1e-5, 1e-5)


def test_clip_grad_norm_edge_cases():
    assert U.clip_grad_norm_([], 1.0).item() == 0.0
    p = nn.Parameter(ember.ones(2))
    p.grad = ember.tensor([3.0, 4.0])
    assert U.clip_grad_norm_(p, 1.0).item() == pytest.approx(5.0)
    np.testing.assert_allclose(p.grad.numpy(), [0.6, 0.8], rtol=1e-5)
    p.grad = ember.tensor([float("nan"), 1.0])
    check_error(lambda: U.clip_grad_norm_(p, 1.0, error_if_nonfinite=True), RuntimeError,
                "The total norm of order 2.0 for gradients from `parameters` is non-finite, so it "
                "cannot be clipped.")
    with pytest.warns(UserWarning, match="empty generator"):
        U.clip_grad_norm_((q for q in []), 1.0)
    q = nn.Parameter(ember.ones(2))   # no grad: skipped
    assert U.clip_grad_norm_([q], 1.0).item() == 0.0 and q.grad is None


def test_clip_grad_value():
    pe, pt = grads_pair()
    assert U.clip_grad_value_(pe, 1.5) is None
    torch.nn.utils.clip_grad_value_(pt, 1.5)
    for e, t in zip(pe, pt):
        assert_close(e.grad, t.grad)


def test_parameters_vector_roundtrip():
    e = nn.Sequential(nn.Linear(3, 4), nn.Linear(4, 2))
    t = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Linear(4, 2))
    e.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in t.state_dict().items()})
    ve, vt = U.parameters_to_vector(e.parameters()), torch.nn.utils.parameters_to_vector(
        t.parameters())
    assert_close(ve, vt)
    new = RNG.standard_normal(vt.numel()).astype(np.float32)
    U.vector_to_parameters(ember.tensor(new), e.parameters())
    torch.nn.utils.vector_to_parameters(torch.tensor(new), t.parameters())
    for (n, a), (_, b) in zip(e.named_parameters(), t.named_parameters()):
        assert_close(a, b, msg=n)
    assert isinstance(e[0].weight, nn.Parameter) and e[0].weight.requires_grad
    check_error(lambda: U.vector_to_parameters([1.0], e.parameters()), TypeError,
                "expected torch.Tensor, but got: list")


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("enforce_sorted,lengths", [(True, [4, 2, 1]), (False, [2, 4, 1])])
def test_pack_and_pad_sequences(batch_first, enforce_sorted, lengths):
    from torch.nn.utils import rnn as TR

    from ember.nn.utils import rnn as R
    x = randn(*((3, 4, 2) if batch_first else (4, 3, 2)))
    pe = R.pack_padded_sequence(ember.tensor(x), lengths, batch_first, enforce_sorted)
    pt = TR.pack_padded_sequence(torch.tensor(x), lengths, batch_first, enforce_sorted)
    for a, b in zip(pe, pt):
        if b is None:
            assert a is None
        else:
            assert_close(a, b)
    for total in (None, 6):
        oe, le = R.pad_packed_sequence(pe, batch_first, -1.0, total)
        ot, lt = TR.pad_packed_sequence(pt, batch_first, -1.0, total)
        assert_close(oe, ot)
        assert_close(le, lt)

    def roundtrip(lib, a):   # gradients flow through packing and unpacking
        r = R if lib is ember else TR
        packed = r.pack_padded_sequence(a, lengths, batch_first, enforce_sorted)
        return r.pad_packed_sequence(packed, batch_first, 0.5)[0] * 2
    both(lambda lib, F_, a: roundtrip(lib, a), x)
    check_error(lambda: R.pack_padded_sequence(ember.tensor(x), [1, 2, 4], batch_first),
                RuntimeError, "`lengths` array must be sorted in decreasing order")
    check_error(lambda: R.pack_padded_sequence(ember.tensor(x), [2, 1, 0], batch_first),
                RuntimeError, "Length of all samples has to be greater than 0")
    check_error(lambda: R.pad_packed_sequence(pe, total_length=2), ValueError,
                "Expected total_length to be at least the length of the longest sequence in "
                "input, but got total_length=2 and max sequence length being 4")


def test_pad_sequence_and_pack_sequence():
    from torch.nn.utils import rnn as TR

    from ember.nn.utils import rnn as R
    seqs = [randn(2, 3), randn(4, 3), randn(1, 3)]
    for bf in (False, True):
        for side in ("right", "left"):
            check_op(lambda *s: R.pad_sequence(s, bf, 5.0, side),
                     lambda *s: TR.pad_sequence(s, bf, 5.0, side), *seqs, gradcheck=False)
    packed = R.pack_sequence([ember.tensor(s) for s in seqs], enforce_sorted=False)
    back = R.unpack_sequence(packed)
    for a, s in zip(back, seqs):
        np.testing.assert_array_equal(a.numpy(), s)


def test_interpolate_antialias_is_refused_clearly():
    # not implemented in ember (a known difference, in the README); PyTorch's own argument
    # check still comes first
    x = ember.randn(1, 1, 8, 8)
    with pytest.raises(NotImplementedError, match="antialias=True is not supported"):
        ember.nn.functional.interpolate(x, size=(4, 4), mode="bilinear", antialias=True)
    with pytest.raises(ValueError, match="Anti-alias option is restricted"):
        ember.nn.functional.interpolate(x, size=(4, 4), mode="nearest", antialias=True)
