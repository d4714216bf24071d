"""nn.Module system and containers, against torch.nn."""
import copy
import pickle
from collections import OrderedDict

import numpy as np
import pytest
import torch
from helpers import assert_close, check_error

import ember
from ember import nn


def pair(build):
    """The same architecture in ember and torch, torch's weights copied into ember."""
    e, t = build(nn), build(torch.nn)
    e.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in t.state_dict().items()})
    return e, t


class Block:
    """A module with a parameter, a buffer, a non-persistent buffer and children."""

    @staticmethod
    def build(lib):
        class Net(lib.Module):
            def __init__(self):
                super().__init__()
                self.fc = lib.Linear(4, 3)
                self.seq = lib.Sequential(lib.Linear(3, 3), lib.ReLU(), lib.Linear(3, 2))
                self.scale = lib.Parameter((ember if lib is nn else torch).ones(2))
                self.register_buffer("steps", (ember if lib is nn else torch).zeros(1))
                self.register_buffer("tmp", (ember if lib is nn else torch).zeros(1),
                                     persistent=False)

            def forward(self, x):
                return self.seq(self.fc(x).relu()) * self.scale
        return Net()


def test_registration_matches_torch():
    e, t = pair(Block.build)
    assert [n for n, _ in e.named_parameters()] == [n for n, _ in t.named_parameters()]
    assert [n for n, _ in e.named_buffers()] == [n for n, _ in t.named_buffers()]
    assert list(e.state_dict()) == list(t.state_dict())
    assert [n for n, _ in e.named_modules()] == [n for n, _ in t.named_modules()]
    assert [n for n, _ in e.named_children()] == [n for n, _ in t.named_children()]
    assert e.get_submodule("seq.2") is e.seq[2]
    assert e.get_parameter("seq.0.bias") is e.seq[0].bias
    assert repr(e) == repr(t)
    assert isinstance(e.scale, nn.Parameter) and e.scale.requires_grad
    assert repr(nn.Parameter(ember.ones(2))) == repr(torch.nn.Parameter(torch.ones(2)))


def test_forward_and_gradients_match_torch():
    e, t = pair(Block.build)
    x = np.random.default_rng(0).standard_normal((5, 4)).astype(np.float32)
    ye, yt = e(ember.tensor(x)), t(torch.tensor(x))
    assert_close(ye, yt, 1e-5, 1e-5)
    ye.sum().backward()
    yt.sum().backward()
    for (n, pe), (_, pt) in zip(e.named_parameters(), t.named_parameters()):
        assert_close(pe.grad, pt.grad, 1e-5, 1e-5, msg=n)


def test_shared_weights_counted_once():
    lin = nn.Linear(2, 2)
    m = nn.Sequential(lin, lin)
    assert len(list(m.parameters())) == 2
    assert len(list(m.named_parameters(remove_duplicate=False))) == 4


def test_state_dict_errors_match_torch():
    e, t = nn.Linear(4, 3), torch.nn.Linear(4, 3)
    bad = {"weight": torch.zeros(2, 4), "extra": torch.zeros(1)}
    with pytest.raises(RuntimeError) as te:
        t.load_state_dict(bad)
    with pytest.raises(RuntimeError) as ee:
        e.load_state_dict({k: ember.tensor(v.numpy()) for k, v in bad.items()})
    assert str(ee.value) == str(te.value).replace("torch.Size", "torch.Size")
    res = e.load_state_dict({"weight": ember.zeros(3, 4)}, strict=False)
    assert res.missing_keys == [] and res.unexpected_keys == []
    assert e.weight.abs().sum().item() == 0
    res = e.load_state_dict({"weight": ember.ones(3, 4), "bias": ember.ones(3)})
    assert tuple(res) == ([], [])
    check_error(lambda: e.load_state_dict([1]), TypeError, "Expected state_dict to be dict-like")


def test_state_dict_roundtrip_both_ways():
    e, t = pair(Block.build)
    t2 = Block.build(torch.nn)
    t2.load_state_dict({k: torch.from_numpy(v.numpy().copy()) for k, v in e.state_dict().items()})
    for (k, a), (_, b) in zip(t.state_dict().items(), t2.state_dict().items()):
        assert torch.equal(a, b), k
    sd = e.state_dict()
    assert not sd["fc.weight"].requires_grad and "tmp" not in sd
    assert e.state_dict(keep_vars=True)["fc.weight"] is e.fc.weight


def test_setattr_rules_and_errors():
    m = nn.Module()
    m.w = nn.Parameter(ember.ones(1))
    assert "w" in m._parameters
    check_error(lambda: setattr(m, "w", ember.ones(1)), TypeError,
                "cannot assign 'torch.FloatTensor' as parameter 'w' (torch.nn.Parameter or None "
                "expected)")
    m.w = None
    assert m.w is None and list(m.parameters()) == []
    m.sub = nn.Linear(1, 1)
    check_error(lambda: setattr(m, "sub", 3), TypeError, "cannot assign 'int' as child module")
    check_error(lambda: m.register_parameter("a.b", None), KeyError, 'contain "."')
    check_error(lambda: m.register_buffer("x", 3), TypeError, "cannot assign 'int' object to buffer")
    check_error(lambda: m.missing, AttributeError, "'Module' object has no attribute 'missing'")

    class Early(nn.Module):
        def __init__(self):
            self.p = nn.Parameter(ember.ones(1))
    check_error(Early, AttributeError, "cannot assign parameters before Module.__init__() call")
    del m.sub
    assert "sub" not in m._modules
    m.b = nn.Buffer(ember.zeros(2), persistent=False)
    assert "b" in m._buffers and "b" not in m.state_dict()


def test_train_eval_zero_grad_requires_grad_apply():
    e = Block.build(nn)
    e.eval()
    assert not any(m.training for m in e.modules())
    e.train()
    assert all(m.training for m in e.modules())
    e(ember.randn(2, 4)).sum().backward()
    e.zero_grad()
    assert all(p.grad is None for p in e.parameters())
    e(ember.randn(2, 4)).sum().backward()
    e.zero_grad(set_to_none=False)
    assert all(p.grad.abs().sum().item() == 0 for p in e.parameters())
    e.requires_grad_(False)
    assert not any(p.requires_grad for p in e.parameters())
    seen = []
    e.apply(lambda m: seen.append(type(m).__name__))
    assert seen[-1] == "Net" and seen.count("Linear") == 3


def test_to_and_dtype_conversion_keep_parameter_identity():
    e = Block.build(nn)
    w = e.fc.weight
    e.double()
    assert e.fc.weight is w and w.dtype is ember.float64 and e.steps.dtype is ember.float64
    e.to(ember.float32)
    assert w.dtype is ember.float32
    e.to("cpu")
    check_error(lambda: e.to(ember.int64), TypeError, "nn.Module.to only accepts floating point")


def test_copy_and_pickle():
    e = Block.build(nn)
    c = copy.deepcopy(e)
    assert c.fc.weight is not e.fc.weight and torch.equal(
        torch.tensor(c.fc.weight.tolist()), torch.tensor(e.fc.weight.tolist()))
    assert isinstance(c.fc.weight, nn.Parameter)
    s = nn.Sequential(nn.Linear(4, 2), nn.ReLU())
    p = pickle.loads(pickle.dumps(s))
    x = ember.randn(3, 4)
    assert np.allclose(p(x).detach().numpy(), s(x).detach().numpy())
    assert isinstance(p[0].weight, nn.Parameter) and p[0].weight.requires_grad


def test_forward_hooks():
    m = nn.Linear(2, 2)
    calls = []
    h1 = m.register_forward_pre_hook(lambda mod, args: (args[0] * 0,))
    h2 = m.register_forward_hook(lambda mod, args, out: calls.append(out.shape) or out + 1)
    y = m(ember.ones(1, 2))
    assert np.allclose(y.detach().numpy(), m.bias.detach().numpy() + 1) and calls == [(1, 2)]
    h1.remove()
    h2.remove()
    assert np.allclose(m(ember.zeros(1, 2)).detach().numpy(), m.bias.detach().numpy())
    m.register_forward_pre_hook(lambda mod, a, k: ((a[0] * 2,), k), with_kwargs=True)
    assert np.allclose(m(ember.ones(1, 2)).detach().numpy(),
                       (ember.ones(1, 2) * 2).mm(m.weight.t()).add(m.bias).detach().numpy())


def test_full_backward_hook_matches_torch():
    e, t = pair(lambda lib: lib.Sequential(lib.Linear(3, 4), lib.Tanh()))
    got = {}
    for name, mod in (("e", e[0]), ("t", t[0])):
        mod.register_full_backward_hook(
            lambda m, gi, go, name=name: got.__setitem__(name, (gi, go)))
    x = np.random.default_rng(1).standard_normal((2, 3)).astype(np.float32)
    xe, xt = ember.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    e(xe).sum().backward()
    t(xt).sum().backward()
    assert_close(got["e"][0], got["t"][0], 1e-5, 1e-5)
    assert_close(got["e"][1], got["t"][1], 1e-5, 1e-5)
    assert_close(xe.grad, xt.grad, 1e-5, 1e-5)
    # a hook may replace grad_input
    e[0].register_full_backward_hook(lambda m, gi, go: (gi[0] * 0,))
    xe.grad = None
    e(xe).sum().backward()
    assert xe.grad.abs().sum().item() == 0


def test_sequential_container():
    s = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    assert len(s) == 3 and isinstance(s[-1], nn.Linear) and isinstance(s[1:], nn.Sequential)
    assert len(s[1:]) == 2 and list(s[1:]._modules) == ["1", "2"]
    s.append(nn.Sigmoid())
    assert [type(m).__name__ for m in s] == ["Linear", "ReLU", "Linear", "Sigmoid"]
    del s[1]
    assert list(s._modules) == ["0", "1", "2"]
    od = nn.Sequential(OrderedDict([("fc", nn.Linear(2, 2)), ("act", nn.ReLU())]))
    assert od.fc is od[0] and repr(od) == repr(torch.nn.Sequential(OrderedDict(
        [("fc", torch.nn.Linear(2, 2)), ("act", torch.nn.ReLU())])))
    check_error(lambda: s[7], IndexError, "index 7 is out of range")


def test_list_and_dict_containers():
    ml = nn.ModuleList([nn.Linear(1, 1) for _ in range(3)])
    ml.append(nn.ReLU())
    assert len(ml) == 4 and len(list(ml.parameters())) == 6 and isinstance(ml[1:], nn.ModuleList)
    assert repr(ml) == repr(torch.nn.ModuleList([torch.nn.Linear(1, 1) for _ in range(3)]
                                                + [torch.nn.ReLU()]))
    md = nn.ModuleDict({"a": nn.Linear(1, 2), "b": nn.ReLU()})
    assert list(md.keys()) == ["a", "b"] and "a" in md and len(list(md.parameters())) == 2
    pl = nn.ParameterList([nn.Parameter(ember.ones(2)), ember.zeros(3)])
    assert len(pl) == 2 and isinstance(pl[1], nn.Parameter)
    assert [n for n, _ in pl.named_parameters()] == ["0", "1"]
    pd = nn.ParameterDict({"x": ember.ones(1)})
    pd["y"] = nn.Parameter(ember.zeros(2))
    assert list(pd.keys()) == ["x", "y"] and len(list(pd.parameters())) == 2


def test_linear_init_distribution_and_errors():
    ember.manual_seed(0)
    lin = nn.Linear(400, 300)
    w = lin.weight.detach().numpy()
    bound = 1 / np.sqrt(400)
    assert w.min() >= -bound and w.max() <= bound and abs(w.std() - bound / np.sqrt(3)) < 1e-3
    b = lin.bias.detach().numpy()
    assert b.min() >= -bound and b.max() <= bound
    check_error(lambda: lin(ember.zeros(2, 3)), RuntimeError,
                "mat1 and mat2 shapes cannot be multiplied (2x3 and 400x300)")
    assert lin.weight.dtype is ember.float32
    assert nn.Linear(2, 2, dtype=ember.float64).weight.dtype is ember.float64


def test_tutorial_dynamic_net_trains():
    """The "dynamic net" of the tutorial: a polynomial whose degree varies per step, with a
    parameter reused several times in one forward pass."""
    import math
    import random

    class DynamicNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.a = nn.Parameter(ember.randn(()))
            self.b = nn.Parameter(ember.randn(()))
            self.c = nn.Parameter(ember.randn(()))
            self.d = nn.Parameter(ember.randn(()))
            self.e = nn.Parameter(ember.randn(()))

        def forward(self, x):
            y = self.a + self.b * x + self.c * x ** 2 + self.d * x ** 3
            for exp in range(4, random.randint(4, 6)):
                y = y + self.e * x ** exp
            return y

    ember.manual_seed(0)
    random.seed(0)
    x = ember.linspace(-math.pi, math.pi, 2000) if hasattr(ember, "linspace") else \
        ember.tensor(np.linspace(-math.pi, math.pi, 2000, dtype=np.float32))
    y = x.sin() if hasattr(x, "sin") else ember.tensor(np.sin(x.numpy()))
    model = DynamicNet()
    loss_fn = nn.MSELoss(reduction="sum")
    losses = []
    for t in range(1000):
        loss = loss_fn(model(x), y)
        losses.append(loss.item())
        model.zero_grad()
        loss.backward()
        with ember.no_grad():
            for p in model.parameters():
                if p.grad is not None:    # e is unused on steps of degree 3
                    p -= 2e-8 * p.grad
    assert losses[-1] < losses[0] / 20


def test_tutorial_nn_stage_loss_falls():
    """The nn stage of "Learning PyTorch with Examples": Sequential + MSELoss(sum) + manual SGD."""
    ember.manual_seed(0)
    x, y = ember.randn(64, 1000), ember.randn(64, 10)
    model = nn.Sequential(nn.Linear(1000, 100), nn.ReLU(), nn.Linear(100, 10))
    loss_fn = nn.MSELoss(reduction="sum")
    losses = []
    for _ in range(200):
        loss = loss_fn(model(x), y)
        losses.append(loss.item())
        model.zero_grad()
        loss.backward()
        with ember.no_grad():
            for p in model.parameters():
                p -= 1e-4 * p.grad
    assert losses[-1] < losses[0] / 100


@pytest.mark.parametrize("xshape", [(5, 4), (2, 3, 4), (4,)])
@pytest.mark.parametrize("bias", [True, False])
def test_functional_linear_matches_torch(xshape, bias):
    from helpers import check_op, randn
    args = [randn(*xshape), randn(3, 4)] + ([randn(3)] if bias else [])
    check_op(nn.functional.linear, torch.nn.functional.linear, *args, gradgradcheck=True)
    # the first layer of a model: the input needs no gradient
    check_op(nn.functional.linear, torch.nn.functional.linear, *args, nondiff=(0,))
