"""ONNX export: each covered layer, a ResNet9-like CNN and an LSTM classifier are exported, checked
by onnx.checker, run in onnxruntime and compared with ember's own output (also at another batch
size through a dynamic axis); unmappable cases raise errors that name the op."""
import io

import numpy as np
import pytest

import ember
import ember.nn as nn
import ember.nn.functional as F
import ember.onnx

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

RNG = np.random.default_rng(7)


def _input(shape, kind="float"):
    if kind == "index":
        return ember.tensor(RNG.integers(0, 10, size=shape))
    return ember.tensor(RNG.standard_normal(shape).astype(np.float32))


def _export(model, args, dynamic=None, **kw):
    args = args if isinstance(args, tuple) else (args,)
    names = [f"in{i}" for i in range(len(args))]
    buf = io.BytesIO()
    ember.onnx.export(model, args, buf, input_names=names, dynamic_axes=dynamic, **kw)
    proto = onnx.load_from_string(buf.getvalue())
    onnx.checker.check_model(proto)
    sess = ort.InferenceSession(buf.getvalue(), providers=["CPUExecutionProvider"])
    return sess, names


def _flat(out):
    if isinstance(out, ember.Tensor):
        return [out]
    return [t for o in out if o is not None for t in _flat(o)]


def _compare(model, sess, names, args, rtol=1e-5, atol=1e-5):
    args = args if isinstance(args, tuple) else (args,)
    got = sess.run(None, {n: a.numpy() for n, a in zip(names, args)})
    with ember.no_grad():
        want = _flat(model(*args))
    assert len(got) == len(want)
    for g, w in zip(got, want):
        w = w.numpy()
        assert g.shape == w.shape and g.dtype == w.dtype, (g.shape, w.shape, g.dtype, w.dtype)
        np.testing.assert_allclose(g, w, rtol=rtol, atol=atol)


def check(model, shape, batch_axis=0, other=5, kind="float", rtol=1e-5, atol=1e-5, **kw):
    """Export ``model`` on an input of ``shape`` with a dynamic batch axis, compare at that
    batch size and at ``other``."""
    if hasattr(model, "eval"):
        model.eval()
    x = _input(shape, kind)
    dyn = {"in0": {batch_axis: "batch"}} if batch_axis is not None else None
    sess, names = _export(model, x, dyn, **kw)
    _compare(model, sess, names, x, rtol, atol)
    if batch_axis is not None:
        shape2 = list(shape)
        shape2[batch_axis] = other
        _compare(model, sess, names, _input(tuple(shape2), kind), rtol, atol)
    return sess


# -- layers ------------------------------------------------------------------------------------

LAYERS = {
    "linear": (lambda: nn.Linear(6, 4), (3, 6)),
    "linear3d": (lambda: nn.Linear(6, 4), (3, 2, 6)),
    "mlp": (lambda: nn.Sequential(nn.Flatten(), nn.Linear(12, 8), nn.ReLU(), nn.Dropout(0.5),
                                  nn.Linear(8, 2), nn.Sigmoid()), (3, 3, 4)),
    "conv1d": (lambda: nn.Conv1d(3, 4, 3, padding=1, stride=2), (2, 3, 9)),
    "conv2d": (lambda: nn.Conv2d(3, 4, 3, padding="same", dilation=2), (2, 3, 7, 6)),
    "conv2d_groups": (lambda: nn.Conv2d(4, 6, (3, 2), groups=2, bias=False), (2, 4, 6, 5)),
    "conv3d": (lambda: nn.Conv3d(2, 3, 2, stride=(1, 2, 1)), (2, 2, 4, 5, 4)),
    "conv_transpose1d": (lambda: nn.ConvTranspose1d(3, 2, 3, stride=2, output_padding=1),
                         (2, 3, 5)),
    "conv_transpose2d": (lambda: nn.ConvTranspose2d(4, 2, 3, stride=2, padding=1, groups=2),
                         (2, 4, 4, 5)),
    "maxpool1d": (lambda: nn.MaxPool1d(2), (2, 3, 8)),
    "maxpool2d": (lambda: nn.MaxPool2d(3, stride=2, padding=1, ceil_mode=True), (2, 3, 8, 7)),
    "maxpool3d": (lambda: nn.MaxPool3d(2), (2, 2, 4, 4, 4)),
    "avgpool2d": (lambda: nn.AvgPool2d(2, padding=1, count_include_pad=False), (2, 3, 7, 6)),
    "avgpool1d": (lambda: nn.AvgPool1d(3, stride=2), (2, 3, 9)),
    "adaptive_avg_global": (lambda: nn.AdaptiveAvgPool2d(1), (2, 3, 5, 6)),
    "adaptive_avg_divisible": (lambda: nn.AdaptiveAvgPool2d((2, 3)), (2, 3, 4, 6)),
    "adaptive_avg_uneven": (lambda: nn.AdaptiveAvgPool1d(3), (2, 3, 7)),
    "adaptive_max_divisible": (lambda: nn.AdaptiveMaxPool2d(2), (2, 3, 4, 6)),
    "batchnorm1d": (lambda: _trained_bn(nn.BatchNorm1d(5)), (4, 5)),
    "batchnorm2d": (lambda: _trained_bn(nn.BatchNorm2d(3)), (2, 3, 4, 5)),
    "layernorm": (lambda: nn.LayerNorm((4, 5)), (2, 3, 4, 5)),
    "groupnorm": (lambda: nn.GroupNorm(2, 4), (2, 4, 3, 3)),
    "instancenorm": (lambda: nn.InstanceNorm2d(3, affine=True), (2, 3, 4, 4)),
    "relu": (lambda: nn.ReLU(), (3, 7)),
    "leaky_relu": (lambda: nn.LeakyReLU(0.2), (3, 7)),
    "gelu": (lambda: nn.GELU(), (3, 7)),
    "gelu_tanh": (lambda: nn.GELU(approximate="tanh"), (3, 7)),
    "silu": (lambda: nn.SiLU(), (3, 7)),
    "sigmoid": (lambda: nn.Sigmoid(), (3, 7)),
    "tanh": (lambda: nn.Tanh(), (3, 7)),
    "softmax": (lambda: nn.Softmax(dim=1), (3, 7)),
    "log_softmax": (lambda: nn.LogSoftmax(dim=-1), (3, 7)),
    "elu": (lambda: nn.ELU(0.7), (3, 7)),
    "selu": (lambda: nn.SELU(), (3, 7)),
    "celu": (lambda: nn.CELU(1.3), (3, 7)),
    "hardtanh": (lambda: nn.Hardtanh(-0.5, 0.8), (3, 7)),
    "relu6": (lambda: nn.ReLU6(), (3, 7)),
    "softplus": (lambda: nn.Softplus(beta=2.0, threshold=1.0), (3, 7)),
    "mish": (lambda: nn.Mish(), (3, 7)),
    "hardswish": (lambda: nn.Hardswish(), (3, 7)),
    "hardsigmoid": (lambda: nn.Hardsigmoid(), (3, 7)),
    "logsigmoid": (lambda: nn.LogSigmoid(), (3, 7)),
    "prelu": (lambda: nn.PReLU(4), (3, 4, 5)),
    "softshrink": (lambda: nn.Softshrink(0.3), (3, 7)),
    "hardshrink": (lambda: nn.Hardshrink(0.3), (3, 7)),
    "flatten": (lambda: nn.Flatten(), (2, 3, 4)),
    "conv_reflect": (lambda: nn.Conv2d(2, 3, 3, padding=1, padding_mode="reflect"), (2, 2, 5, 5)),
    "upsample": (lambda: nn.Upsample(scale_factor=2, mode="bilinear"), (2, 3, 4, 4)),
    "unflatten": (lambda: nn.Unflatten(1, (2, 3)), (2, 6, 4)),
}


def _trained_bn(bn):
    """A batch norm whose running statistics are not the initial ones."""
    bn.train()
    with ember.no_grad():
        bn(_input((8,) + ((5,) if isinstance(bn, nn.BatchNorm1d) else (3, 4, 5))) * 2 + 1)
    bn.weight.data = _input(tuple(bn.weight.shape))
    return bn


@pytest.mark.parametrize("name", list(LAYERS))
def test_layer(name):
    ember.manual_seed(0)
    make, shape = LAYERS[name]
    check(make(), shape)


def test_embedding():
    ember.manual_seed(0)
    check(nn.Sequential(nn.Embedding(10, 4, padding_idx=0)), (3, 5), kind="index")


@pytest.mark.parametrize("cls", [nn.LSTM, nn.GRU, nn.RNN])
@pytest.mark.parametrize("batch_first", [False, True])
def test_recurrent(cls, batch_first):
    ember.manual_seed(0)
    kw = dict(num_layers=2, bidirectional=True) if cls is not nn.RNN else dict(nonlinearity="relu")
    m = cls(4, 5, batch_first=batch_first, **kw)
    shape = (3, 6, 4) if batch_first else (6, 3, 4)
    check(m, shape, batch_axis=0 if batch_first else 1)


def test_lstm_dynamic_sequence_length():
    ember.manual_seed(0)
    m = nn.LSTM(3, 4).eval()
    x = _input((5, 2, 3))
    sess, names = _export(m, x, {"in0": {0: "time", 1: "batch"}})
    _compare(m, sess, names, x)
    _compare(m, sess, names, _input((9, 4, 3)))


@pytest.mark.parametrize("cls", [nn.LSTMCell, nn.GRUCell, nn.RNNCell])
def test_cells(cls):
    ember.manual_seed(0)
    check(cls(4, 3), (2, 4))


@pytest.mark.parametrize("batch_first", [False, True])
def test_multihead_attention(batch_first):
    ember.manual_seed(0)
    mha = nn.MultiheadAttention(8, 2, batch_first=batch_first).eval()

    class Self(nn.Module):
        def __init__(self):
            super().__init__()
            self.mha = mha

        def forward(self, x):
            return self.mha(x, x, x)[0]

    check(Self(), (3, 4, 8) if batch_first else (4, 3, 8), batch_axis=0 if batch_first else 1)


def test_transformer_encoder_layer():
    ember.manual_seed(0)
    layer = nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, batch_first=True)
    check(nn.TransformerEncoder(layer, 2), (2, 5, 8), rtol=1e-4, atol=1e-5)


# -- whole models ------------------------------------------------------------------------------

def _conv_block(cin, cout, pool=False):
    layers = [nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout),
              nn.ReLU(inplace=True)]
    if pool:
        layers.append(nn.MaxPool2d(2))
    return nn.Sequential(*layers)


class ResNet9(nn.Module):
    """The ResNet9 of the CIFAR-10 tutorials, small: residual blocks added in place."""

    def __init__(self, cin=3, classes=10, w=8):
        super().__init__()
        self.conv1 = _conv_block(cin, w)
        self.conv2 = _conv_block(w, 2 * w, pool=True)
        self.res1 = nn.Sequential(_conv_block(2 * w, 2 * w), _conv_block(2 * w, 2 * w))
        self.conv3 = _conv_block(2 * w, 4 * w, pool=True)
        self.conv4 = _conv_block(4 * w, 8 * w, pool=True)
        self.res2 = nn.Sequential(_conv_block(8 * w, 8 * w), _conv_block(8 * w, 8 * w))
        self.classifier = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(0.2),
                                        nn.Linear(8 * w, classes))

    def forward(self, x):
        out = self.conv2(self.conv1(x))
        out = self.res1(out) + out
        out = self.conv4(self.conv3(out))
        r = self.res2(out)
        r += out                       # in place, as torchvision's blocks write it
        return self.classifier(r)


def test_resnet9():
    ember.manual_seed(0)
    model = ResNet9()
    model.train()
    with ember.no_grad():        # running statistics away from their initial values
        model(_input((4, 3, 16, 16)))
    check(model, (2, 3, 16, 16), other=3, rtol=1e-4, atol=1e-5)


class LSTMClassifier(nn.Module):
    def __init__(self, vocab=10, emb=6, hidden=8, classes=3):
        super().__init__()
        self.emb = nn.Embedding(vocab, emb)
        self.lstm = nn.LSTM(emb, hidden, batch_first=True)
        self.fc = nn.Linear(hidden, classes)

    def forward(self, tokens):
        out, _ = self.lstm(self.emb(tokens))
        return self.fc(out[:, -1, :])


def test_lstm_classifier():
    ember.manual_seed(0)
    check(LSTMClassifier(), (3, 7), kind="index")


# -- tensor ops in forward ---------------------------------------------------------------------

class Lambda(nn.Module):
    def __init__(self, fn):
        super().__init__()
        self.fn = fn

    def forward(self, *x):
        return self.fn(*x)


OPS = {
    "arith": lambda x: (x + 1) * 2 - x / 3 + x ** 2 - (-x) + 2 ** x.clamp(max=3),
    "matmul": lambda x: x @ x.transpose(1, 2),
    "view": lambda x: x.view(x.size(0), -1).reshape(-1, 4, 5).unsqueeze(1).squeeze(1).unsqueeze(-1),
    "permute": lambda x: x.permute(2, 0, 1).contiguous().flatten(1),
    "cat_stack": lambda x: ember.cat([x, ember.stack([x[:, 0], x[:, 1]], 1)], 1),
    "index": lambda x: x[:, 1:3, ::2] + x[:, [0, 2], None][..., 0, :1],
    "reductions": lambda x: x.sum(1) + x.mean((1, 2), keepdim=True).squeeze(-1) + x.amax(1)
    + x.max(dim=1)[0] + x.std(1),
    "softmax": lambda x: F.softmax(x, -1) * x.log_softmax(1),
    "where": lambda x: ember.where(x > 0, x, x * 0.1).masked_fill(x < -1, 0.0),
    "split": lambda x: sum(x.chunk(2, -1)[i].sum(-1) for i in range(2)),
    "expand": lambda x: x[:, :1].expand(-1, 4, 5) * x.mean(0),
    "new_zeros": lambda x: x + ember.zeros(x.shape[0], 4, 5),
    "setitem": lambda x: _setitem(x),
    "setitem_tensor": lambda x: _setitem(x, x[:, :1, 1:] * 2),
    "einsum": lambda x: ember.einsum("bij,bkj->bik", x, x),
    "pad": lambda x: F.pad(x, (1, 2, 0, 1), value=0.5),
    "compare": lambda x: ((x > 0) & (x < 1) | (x == 0)).float() + ember.maximum(x, -x * 0.5),
}


def _setitem(x, value=0.0):
    y = x * 1
    y[:, 0] = 0.0
    y[:, 2:, 1:] = value
    return y


@pytest.mark.parametrize("name", list(OPS))
def test_tensor_ops(name):
    check(Lambda(OPS[name]), (3, 4, 5))


def test_setitem_static_shapes():
    check(Lambda(lambda x: _setitem(x, x[:, :1, 1:] * 2)), (3, 4, 5), batch_axis=None)


_T = ember.tensor([0, 2, 1, 2])
_W = ember.tensor([0.2, 1.0, 3.0])
_Y = ember.tensor(RNG.uniform(size=(4, 3)).astype(np.float32))
LOSSES = {
    "mse": lambda x: F.mse_loss(x, _Y) + F.l1_loss(x, _Y, reduction="sum"),
    "huber": lambda x: F.huber_loss(x, _Y, delta=0.7, reduction="none")
    + F.smooth_l1_loss(x, _Y, beta=0.5),
    "cross_entropy": lambda x: F.cross_entropy(x, _T, weight=_W, ignore_index=1),
    "cross_entropy_probs": lambda x: F.cross_entropy(x, _Y.softmax(1), label_smoothing=0.1),
    "nll": lambda x: F.nll_loss(x.log_softmax(1), _T, reduction="none"),
    "bce": lambda x: F.binary_cross_entropy(x.sigmoid(), _Y, weight=_W)
    + F.binary_cross_entropy_with_logits(x * 30, _Y, pos_weight=_W),
}


@pytest.mark.parametrize("name", list(LOSSES))
def test_losses(name):
    check(Lambda(LOSSES[name]), (4, 3), batch_axis=None)


@pytest.mark.parametrize("opset", [13, 18, 20])
def test_opsets(opset):
    ember.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.GroupNorm(2, 4), nn.Hardswish(), nn.Flatten(1),
                          nn.LayerNorm(16), nn.Linear(16, 2), nn.LogSoftmax(-1))
    sess = check(model, (2, 3, 4, 4), opset_version=opset)
    assert sess.get_modelmeta() is not None


def test_two_inputs_and_outputs():
    model = Lambda(lambda a, b: (a.matmul(b), a.sum(-1)))
    a, b = _input((2, 3, 4)), _input((2, 4, 5))
    buf = io.BytesIO()
    ember.onnx.export(model, (a, b), buf, input_names=["a", "b"], output_names=["ab", "s"],
                      dynamic_axes={"a": {0: "n"}, "b": {0: "n"}, "ab": {0: "n"}})
    proto = onnx.load_from_string(buf.getvalue())
    assert [o.name for o in proto.graph.output] == ["ab", "s"]
    assert proto.graph.input[0].type.tensor_type.shape.dim[0].dim_param == "n"
    assert proto.graph.output[0].type.tensor_type.shape.dim[0].dim_param == "n"
    sess = ort.InferenceSession(buf.getvalue(), providers=["CPUExecutionProvider"])
    _compare(model, sess, ["a", "b"], (_input((5, 3, 4)), _input((5, 4, 5))))


def test_export_to_path_and_options(tmp_path):
    model = nn.Linear(3, 2).eval()
    path = tmp_path / "m.onnx"
    ember.onnx.export(model, (_input((1, 3)),), str(path), opset_version=18)
    proto = onnx.load(str(path))
    assert proto.opset_import[0].version == 18
    assert {i.name for i in proto.graph.initializer} == {"weight", "bias"}
    # export_params=False: the parameters become inputs
    buf = io.BytesIO()
    ember.onnx.export(model, _input((1, 3)), buf, export_params=False)
    proto = onnx.load_from_string(buf.getvalue())
    assert not proto.graph.initializer
    assert [i.name for i in proto.graph.input] == ["input", "weight", "bias"]


def test_model_mode_restored():
    model = nn.Sequential(nn.Linear(3, 3), nn.Dropout(0.5))
    model.train()
    ember.onnx.export(model, _input((2, 3)), io.BytesIO())
    assert model.training and model[1].training


# -- errors ------------------------------------------------------------------------------------

class _Unmapped(ember.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        return x._data * 2

    @staticmethod
    def backward(ctx, g):
        return g * 2


def test_unmapped_op_raises_naming_it():
    model = Lambda(lambda x: _Unmapped.apply(x) + 1)
    with pytest.raises(ember.onnx.UnsupportedOperatorError,
                       match="no ONNX mapping for _UnmappedBackward / op _Unmapped"):
        ember.onnx.export(model, _input((2, 3)), io.BytesIO())


def test_custom_function_with_mapping():
    class Double(ember.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x._data * 2

        @staticmethod
        def backward(ctx, g):
            return g * 2

        @staticmethod
        def onnx(g, ctx, x):
            return g.op("Add", x, x)

    check(Lambda(lambda x: Double.apply(x)), (2, 3))


def test_builtin_without_mapping_raises():
    model = Lambda(lambda x: x.erfinv())
    with pytest.raises(ember.onnx.UnsupportedOperatorError, match="ErfinvBackward0 / op Erfinv"):
        ember.onnx.export(model, _input((2, 3)), io.BytesIO())


def test_value_computed_outside_ops_is_refused():
    # argmax runs in NumPy, not through an op: its result would be baked in as a constant
    model = Lambda(lambda x: x * x.argmax(-1, keepdim=True))
    with pytest.raises(ember.onnx.OnnxExporterError, match="outside the ops"):
        ember.onnx.export(model, _input((2, 3)), io.BytesIO())


def test_max_pool_indices_refused():
    model = Lambda(lambda x: F.max_pool2d(x, 2, return_indices=True)[1].float())
    with pytest.raises(ember.onnx.UnsupportedOperatorError, match="output 1"):
        ember.onnx.export(model, _input((1, 1, 4, 4)), io.BytesIO())


def test_bad_arguments():
    model = nn.Linear(3, 2)
    with pytest.raises(ValueError, match="neither an input"):
        ember.onnx.export(model, _input((1, 3)), io.BytesIO(), dynamic_axes={"x": [0]})
    with pytest.raises(ValueError, match="opset_version"):
        ember.onnx.export(model, _input((1, 3)), io.BytesIO(), opset_version=9)


def test_tracing_leaves_apply_untouched():
    from ember.autograd import function
    ember.onnx.export(nn.Linear(3, 2), _input((1, 3)), io.BytesIO())
    assert function._TRACE[0] is None
    x = ember.ones(2, requires_grad=True)
    (x * 3).sum().backward()
    assert x.grad.tolist() == [3.0, 3.0]
