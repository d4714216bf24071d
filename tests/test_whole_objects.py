"""Whole objects through ember.save / ember.load (torch.save(model) programs): modules,
optimizers and user classes round-trip in PyTorch's zip layout; the weights-only default
refuses them with PyTorch's message; safe_globals allow-lists; PyTorch-pickled models load."""
import io
import pickle
import zipfile

import numpy as np
import pytest
import torch

import ember
from ember import nn
from ember.serialization import (
    CheckpointError,
    WeightsOnlyError,
    add_safe_globals,
    clear_safe_globals,
    get_safe_globals,
    load,
    safe_globals,
    save,
)


class Point:
    """A user's class holding tensors and plain values."""

    def __init__(self, xy, label):
        self.xy, self.label = xy, label


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 2, 3, padding=1)
        self.fc = nn.Linear(32, 3)
        self.register_buffer("scale", ember.tensor(2.0))

    def forward(self, x):
        return self.fc(ember.relu(self.conv(x)).flatten(1)) * self.scale


@pytest.fixture(autouse=True)
def _no_leftover_safe_globals():
    clear_safe_globals()
    yield
    clear_safe_globals()


def _roundtrip(obj, **kw):
    buf = io.BytesIO()
    save(obj, buf)
    buf.seek(0)
    return load(buf, **kw)


def _x():
    return ember.tensor(np.random.default_rng(0).standard_normal((2, 1, 4, 4)).astype(np.float32))


def test_whole_module_roundtrip():
    net = Net()
    got = _roundtrip(net, weights_only=False)
    assert type(got) is Net and got is not net
    assert list(got.state_dict()) == list(net.state_dict())
    np.testing.assert_array_equal(got(_x()).detach().numpy(), net(_x()).detach().numpy())
    assert type(got.fc.weight) is nn.Parameter and got.fc.weight.requires_grad
    got(_x()).sum().backward()  # the loaded module trains
    assert got.conv.weight.grad is not None
    h = got.register_forward_hook(lambda m, i, o: None)  # its registries work
    h.remove()


def test_whole_optimizer_and_module_share_parameters():
    net = Net()
    opt = ember.optim.Adam(net.parameters(), lr=0.01)
    net(_x()).sum().backward()
    opt.step()
    got = _roundtrip({"model": net, "opt": opt, "epoch": 3}, weights_only=False)
    m, o = got["model"], got["opt"]
    assert type(o) is ember.optim.Adam and got["epoch"] == 3
    assert o.param_groups[0]["params"][0] is m.conv.weight  # one object, as pickled
    for k, v in opt.state_dict()["state"][0].items():
        np.testing.assert_array_equal(np.asarray(o.state_dict()["state"][0][k]), np.asarray(v))
    # the loaded pair keeps training exactly as the original
    for model, optim in ((net, opt), (m, o)):
        optim.zero_grad()
        model(_x()).sum().backward()
        optim.step()
    np.testing.assert_array_equal(m.fc.weight.detach().numpy(), net.fc.weight.detach().numpy())


def test_user_class_roundtrip_and_format():
    p = Point(ember.arange(3.0), "a")
    buf = io.BytesIO()
    save(p, buf)
    assert buf.getvalue()[:4] == b"PK\x03\x04"  # PyTorch's zip layout
    names = zipfile.ZipFile(io.BytesIO(buf.getvalue())).namelist()
    assert "archive/data.pkl" in names and "archive/data/0" in names
    buf.seek(0)
    got = load(buf, weights_only=False)
    assert type(got) is Point and got.label == "a" and got.xy.tolist() == [0.0, 1.0, 2.0]
    # plain data still goes to safetensors by default, and stays torch-readable with format="torch"
    plain = io.BytesIO()
    save({"w": ember.ones(2)}, plain)
    assert plain.getvalue()[8:9] == b"{"
    with pytest.raises(TypeError, match="cannot save"):
        save(p, io.BytesIO(), format="safetensors")


def _torch_message(obj):
    buf = io.BytesIO()
    torch.save(obj, buf)
    buf.seek(0)
    with pytest.raises(pickle.UnpicklingError) as info:
        torch.load(buf)
    return str(info.value)


def test_weights_only_refusal_message_matches_torch(tmp_path):
    path = tmp_path / "net.pt"
    save(Net(), path)
    with pytest.raises(WeightsOnlyError) as info:
        load(path)
    msg = str(info.value)
    assert isinstance(info.value, pickle.UnpicklingError) and isinstance(info.value, RuntimeError)
    assert str(path) in msg
    theirs = _torch_message(torch.nn.Linear(2, 2))
    for part in ("Weights only load failed", "This file can still be loaded", "weights_only",
                 "Re-running", "set to `False` will likely succeed, but it can result in arbitrary "
                 "code execution. Do it only if you got the file from a trusted source.",
                 "WeightsUnpickler error: Unsupported global: GLOBAL ",
                 "was not an allowed global by default. Please use", "add_safe_globals([",
                 "safe_globals([", "context manager to allowlist this global if you trust this "
                 "class/function."):
        assert part in theirs and part in msg, part
    assert f"GLOBAL {Net.__module__}.Net was not an allowed global" in msg
    # a PyTorch-pickled model: the message names the torch class and ember's to allow-list
    buf = io.BytesIO()
    torch.save(torch.nn.Linear(2, 2), buf)
    buf.seek(0)
    with pytest.raises(WeightsOnlyError, match=r"GLOBAL torch\.nn\.modules\.linear\.Linear was not "
                       r"an allowed global by default\. Please use `ember\.serialization\."
                       r"add_safe_globals\(\[ember\.nn\.modules\.linear\.Linear\]\)`"):
        load(buf)


def test_safe_globals_api():
    p = Point(ember.ones(2), "b")
    buf = io.BytesIO()
    save(p, buf)
    assert get_safe_globals() == []
    with safe_globals([Point]):
        assert get_safe_globals() == [Point]
        buf.seek(0)
        got = load(buf)  # weights-only, with Point allow-listed
        assert type(got) is Point and got.xy.tolist() == [1.0, 1.0]
    assert get_safe_globals() == []
    buf.seek(0)
    with pytest.raises(WeightsOnlyError):
        load(buf)
    add_safe_globals([(Point, f"{Point.__module__}.Point")])  # the (obj, name) form
    buf.seek(0)
    assert type(load(buf)) is Point
    clear_safe_globals()
    assert get_safe_globals() == []
    add_safe_globals([Net])  # an allow-listed class does not admit other globals it needs
    buf2 = io.BytesIO()
    save(Net(), buf2)
    buf2.seek(0)
    with pytest.raises(WeightsOnlyError, match="ember.nn.modules"):
        load(buf2)


def test_torch_pickled_model_loads_into_ember():
    torch.manual_seed(0)
    tm = torch.nn.Sequential(torch.nn.Conv2d(1, 2, 3, padding=1), torch.nn.ReLU(),
                             torch.nn.Flatten(), torch.nn.Linear(32, 3))
    buf = io.BytesIO()
    torch.save(tm, buf)
    buf.seek(0)
    em = load(buf, weights_only=False)
    assert type(em) is nn.Sequential
    assert [type(m) for m in em] == [nn.Conv2d, nn.ReLU, nn.Flatten, nn.Linear]
    assert type(em[0].weight) is nn.Parameter
    x = np.random.default_rng(1).standard_normal((2, 1, 4, 4)).astype(np.float32)
    np.testing.assert_allclose(em(ember.tensor(x)).detach().numpy(),
                               tm(torch.from_numpy(x)).detach().numpy(), rtol=1e-5, atol=1e-6)
    assert list(em.state_dict()) == list(tm.state_dict())
    # weights-only with ember's classes allow-listed reads it too (as torch does with its own)
    buf.seek(0)
    with safe_globals([nn.Sequential, nn.Conv2d, nn.ReLU, nn.Flatten, nn.Linear]):
        again = load(buf)
    np.testing.assert_array_equal(again[3].weight.detach().numpy(), em[3].weight.detach().numpy())


def test_torch_pickled_optimizer_loads_into_ember():
    torch.manual_seed(0)
    lin = torch.nn.Linear(3, 2)
    opt = torch.optim.SGD(lin.parameters(), lr=0.1, momentum=0.9)
    lin(torch.ones(1, 3)).sum().backward()
    opt.step()
    buf = io.BytesIO()
    torch.save({"model": lin, "opt": opt}, buf)
    buf.seek(0)
    got = load(buf, weights_only=False)
    assert type(got["opt"]) is ember.optim.SGD and got["opt"].param_groups[0]["lr"] == 0.1
    assert got["opt"].param_groups[0]["params"][0] is got["model"].weight


def test_missing_torch_class_is_named():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("archive/data.pkl", b"\x80\x02ctorch.nn.modules.nothing\nNoSuchLayer\n)\x81.")
    buf.seek(0)
    with pytest.raises(CheckpointError, match="torch.nn.modules.nothing.NoSuchLayer, which ember "
                                              "does not have"):
        load(buf, weights_only=False)
