"""ember.save / ember.load: round trips, map_location, file objects, atomic writes (SIGKILL),
PyTorch checkpoints both ways, safetensors interop, damaged files and malicious pickles."""
import io
import json
import math
import os
import pickle
import re
import signal
import subprocess
import sys
import time
import zipfile
import zlib
from collections import OrderedDict

import numpy as np
import pytest
import safetensors.numpy as stnp
import safetensors.torch as stt
import torch

import ember
from ember import nn
from ember._serialize import _safetensors as ST
from ember._serialize._common import CheckpointError, WeightsOnlyError
from ember.serialization import load, save

FORMATS = ["safetensors", "torch"]
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RNG = np.random.default_rng(7)
NP_DTYPES = [np.float16, np.float32, np.float64, np.complex64, np.complex128, np.int8, np.uint8,
             np.int16, np.int32, np.int64, np.bool_]


def rand(shape, dt):
    dt = np.dtype(dt)
    if dt == np.bool_:
        return RNG.random(shape) > 0.5
    if dt.kind in "iu":
        info = np.iinfo(dt)
        return RNG.integers(info.min, info.max, size=shape, dtype=dt, endpoint=True)
    a = RNG.standard_normal(shape) * 100
    if dt.kind == "c":
        a = a + 1j * RNG.standard_normal(shape)
    return a.astype(dt)


def roundtrip(obj, fmt, **kw):
    buf = io.BytesIO()
    save(obj, buf, format=fmt)
    buf.seek(0)
    return load(buf, **kw)


def same_array(a, b):
    a, b = np.asarray(a), np.asarray(b)
    return a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b, equal_nan=a.dtype.kind in "fc")


def assert_same(a, b):
    """Deep equality that also checks types (tuple vs list, OrderedDict, int vs bool vs float)."""
    assert type(a) is type(b), (type(a), type(b))
    if isinstance(a, ember.Tensor):
        assert a.dtype == b.dtype and a.shape == b.shape and a.requires_grad == b.requires_grad
        assert same_array(a.detach().numpy(), b.detach().numpy())
    elif isinstance(a, np.ndarray):
        assert same_array(a, b)
    elif isinstance(a, dict):
        assert list(a) == list(b)
        for k in a:
            assert_same(a[k], b[k])
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            assert_same(x, y)
    elif isinstance(a, float) and math.isnan(a):
        assert math.isnan(b)
    else:
        assert a == b and (not isinstance(a, float) or math.copysign(1, a) == math.copysign(1, b))


def tensors_by_dtype():
    out = {}
    for dt in NP_DTYPES:
        name = np.dtype(dt).name
        out[name] = ember.tensor(rand((3, 4), dt))
        out[name + "_0d"] = ember.tensor(rand((), dt))
        out[name + "_empty"] = ember.tensor(rand((0, 3), dt))
    return out


# -- round trips ---------------------------------------------------------------------------------
@pytest.mark.parametrize("fmt", FORMATS)
def test_roundtrip_dtypes_shapes(fmt):
    obj = tensors_by_dtype()
    got = roundtrip(obj, fmt)
    assert_same(got, obj)


@pytest.mark.parametrize("fmt", FORMATS)
def test_roundtrip_non_contiguous(fmt):
    base = ember.tensor(rand((4, 6, 5), np.float64))
    views = {"t": base.transpose(0, 2), "step": base[::2, 1::3], "flip": base.flip(1),
             "expand": ember.tensor(rand((1, 3), np.int32)).expand(4, 3), "narrow": base[1:3, :, 2]}
    assert not any(views[k].is_contiguous() for k in ("t", "step", "expand", "narrow"))
    got = roundtrip(views, fmt)
    for k, v in views.items():
        assert same_array(got[k].numpy(), v.numpy()), k
        assert got[k].is_contiguous()


@pytest.mark.parametrize("fmt", FORMATS)
def test_roundtrip_nesting_and_values(fmt):
    t = ember.tensor([1.0, 2.0])
    obj = {
        "none": None, "true": True, "false": False, "int": 7, "neg": -3, "big": 2 ** 100,
        "float": 0.1, "negzero": -0.0, "nan": math.nan, "inf": math.inf, "ninf": -math.inf,
        "str": "héllo ✓", "empty": "", "bytes": b"\x00\xffab", "complex": 1.5 - 2j,
        "list": [1, [2, [3, t]], ()], "tuple": (1, (2.0, "x"), [None]),
        "odict": OrderedDict([("b", 1), ("a", t)]), "intkeys": {0: "a", 1: {2: t}},
        "tuplekey": {(1, 2): 3}, "set": {1, 2, 3}, "size": ember.Size([2, 3]),
        "dtype": ember.float16, "device": ember.device("cpu"), "emptydict": {}, "emptylist": [],
    }
    got = roundtrip(obj, fmt)
    assert_same(got, obj)
    assert got["list"][1][1][1] is got["odict"]["a"]  # one tensor stays one object


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("top", ["tensor", "list", "tuple", "int", "none"])
def test_roundtrip_top_level(fmt, top):
    t = ember.tensor(rand((2, 2), np.float32))
    obj = {"tensor": t, "list": [t, t], "tuple": (t, 1), "int": 5, "none": None}[top]
    got = roundtrip(obj, fmt)
    assert_same(got, obj)
    if top == "list":
        assert got[0] is got[1]


@pytest.mark.parametrize("fmt", FORMATS)
def test_parameters_and_requires_grad(fmt):
    p = nn.Parameter(ember.tensor(rand((3,), np.float32)))
    frozen = nn.Parameter(ember.tensor(rand((2,), np.float64)), requires_grad=False)
    leaf = ember.tensor(rand((2,), np.float32)).requires_grad_()
    got = roundtrip({"p": p, "frozen": frozen, "leaf": leaf, "plain": p.detach()}, fmt)
    assert type(got["p"]) is nn.Parameter and got["p"].requires_grad
    assert type(got["frozen"]) is nn.Parameter and not got["frozen"].requires_grad
    assert type(got["leaf"]) is ember.Tensor and got["leaf"].requires_grad and got["leaf"].is_leaf
    assert type(got["plain"]) is ember.Tensor and not got["plain"].requires_grad
    assert same_array(got["p"].detach().numpy(), p.detach().numpy())


@pytest.mark.parametrize("fmt", FORMATS)
def test_training_checkpoint(fmt, tmp_path):
    ember.manual_seed(0)
    model = nn.Linear(4, 3)
    opt_state = {"state": {0: {"step": ember.tensor(3.0), "exp_avg": ember.zeros(3, 4)},
                           1: {"step": ember.tensor(3.0), "exp_avg": ember.ones(3)}},
                 "param_groups": [{"lr": 1e-3, "betas": (0.9, 0.999), "eps": 1e-8, "amsgrad": False,
                                   "foreach": None, "params": [0, 1]}]}
    sched = {"last_epoch": 4, "_last_lr": [0.001], "base_lrs": [0.01], "verbose": False}
    ck = {"model": model.state_dict(), "optimizer": opt_state, "scheduler": sched, "epoch": 4,
          "rng": ember.get_rng_state()}
    expect = ember.rand(5)
    path = tmp_path / "ck.pt"
    save(ck, path, format=fmt)
    got = load(str(path))
    assert_same(got, ck)
    assert type(got["model"]) is OrderedDict
    fresh = nn.Linear(4, 3)
    fresh.load_state_dict(got["model"])
    x = ember.randn(2, 4)
    assert same_array(fresh(x).detach().numpy(), model(x).detach().numpy())
    ember.set_rng_state(got["rng"])
    assert same_array(ember.rand(5).numpy(), expect.numpy())


def test_numpy_values_in_default_format():
    obj = {"arr": rand((2, 3), np.float32), "u16": np.arange(4, dtype=np.uint16),
           "c128": rand((2,), np.complex128), "f32": np.float32(1.5), "i8": np.int8(-3),
           "b": np.bool_(True), "f64": np.float64(0.25)}
    got = roundtrip(obj, "safetensors")
    assert_same(got, obj)


def test_unsupported_objects_are_refused_before_writing(tmp_path):
    path = tmp_path / "x.safetensors"
    save({"ok": 1}, path)
    for fmt, bad in [("safetensors", {"f": lambda: 0}), ("safetensors", object()),
                     ("torch", {"f": lambda: 0}), (None, {"o": [lambda: 0]})]:
        with pytest.raises(TypeError, match="cannot save|cannot pickle"):
            save(bad, path, format=fmt)
        buf = io.BytesIO()
        with pytest.raises(TypeError):
            save(bad, buf, format=fmt)
        assert buf.getvalue() == b""
    cyc = []
    cyc.append(cyc)
    with pytest.raises(ValueError, match="contains itself"):
        save(cyc, path)
    assert load(path) == {"ok": 1}
    assert os.listdir(tmp_path) == ["x.safetensors"]
    with pytest.raises(ValueError, match="unknown format"):
        save({}, io.BytesIO(), format="pickle")


# -- map_location and file objects ---------------------------------------------------------------
def _craft_pt(obj, records, byteorder="little"):
    """A PyTorch zip checkpoint whose data.pkl pickles ``obj``, in which ``Storage(pid)`` markers
    become persistent ids (for files torch cannot make here: CUDA locations, bad geometry)."""
    class P(pickle.Pickler):
        def persistent_id(self, o):
            return o.pid if isinstance(o, Storage) else None
    pkl = io.BytesIO()
    P(pkl, protocol=2).dump(obj)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("archive/data.pkl", pkl.getvalue())
        z.writestr("archive/byteorder", byteorder)
        for k, v in records.items():
            z.writestr(f"archive/data/{k}", v)
        z.writestr("archive/version", "3\n")
    return out.getvalue()


class Storage:
    def __init__(self, *pid):
        self.pid = ("storage",) + pid


class Rebuild:
    def __init__(self, *args):
        self.args = args

    def __reduce__(self):
        return torch._utils._rebuild_tensor_v2, self.args


def _cuda_file():
    a = np.arange(6, dtype=np.float32)
    obj = {"w": Rebuild(Storage(torch.FloatStorage, "0", "cuda:0", 6), 0, (2, 3), (3, 1), False,
                        OrderedDict())}
    return _craft_pt(obj, {"0": a.tobytes()}), a.reshape(2, 3)


def _cuda_safetensors():
    """An ember-format file whose tensor was saved from cuda:0."""
    a = rand((2, 3), np.float32)
    tree = {"dict": {"w": {"tensor": "w", "device": "cuda:0"}}}
    buf = io.BytesIO()
    ST.write(buf, [("w", "F32", a.shape, a)], {"ember.tree": json.dumps(tree)})
    return buf.getvalue(), a


@pytest.mark.skipif(ember.cuda.is_available(), reason="checks the CPU-only error")
@pytest.mark.parametrize("make", [_cuda_file, _cuda_safetensors])
def test_map_location_cuda_checkpoint_on_cpu(make):
    data, expect = make()
    with pytest.raises(RuntimeError, match="Attempting to deserialize object on a CUDA device"):
        load(io.BytesIO(data))
    seen = []
    for ml in ["cpu", ember.device("cpu"), torch.device("cpu"), {"cuda:0": "cpu"},
               {"cuda:0": ember.device("cpu")}, lambda s, loc: seen.append(loc) or s,
               lambda s, loc: None if loc == "cpu" else s.cpu()]:
        got = load(io.BytesIO(data), map_location=ml)
        assert got["w"].device == ember.device("cpu")
        assert same_array(got["w"].numpy(), expect)
    assert seen == ["cuda:0"]
    with pytest.raises(RuntimeError, match="Attempting to deserialize"):
        load(io.BytesIO(data), map_location={"cuda:1": "cpu"})


def test_big_endian_torch_checkpoint():
    a = rand((2, 3), np.float64)
    obj = {"w": Rebuild(Storage(torch.DoubleStorage, "0", "cpu", 6), 0, (2, 3), (3, 1), False, OrderedDict()),
           "t": Rebuild(Storage(torch.DoubleStorage, "0", "cpu", 6), 0, (3, 2), (1, 3), False, OrderedDict())}
    got = load(io.BytesIO(_craft_pt(obj, {"0": a.astype(">f8").tobytes()}, byteorder="big")))
    assert same_array(got["w"].numpy(), a) and same_array(got["t"].numpy(), a.T)


@pytest.mark.parametrize("fmt", FORMATS)
def test_map_location_on_cpu_files(fmt):
    obj = {"a": ember.tensor(rand((2,), np.float32)), "b": [ember.tensor(rand((3,), np.int64))]}
    seen = []
    for ml in [None, "cpu", ember.device("cpu"), {"cpu": "cpu"}, lambda s, loc: seen.append(loc)]:
        got = roundtrip(obj, fmt, map_location=ml)
        assert_same(got, obj)
    assert seen == ["cpu", "cpu"]
    with pytest.raises(TypeError, match="map_location"):
        roundtrip(obj, fmt, map_location=3)


@pytest.mark.parametrize("fmt", FORMATS)
def test_file_objects(fmt, tmp_path):
    obj = {"w": ember.tensor(rand((3, 2), np.float32)), "n": 1}
    buf = io.BytesIO()
    buf.write(b"prefix")
    save(obj, buf, format=fmt)
    buf.write(b"suffix")
    buf.seek(6)
    assert_same(load(buf), obj)

    class Stream:  # a pipe: read only, not seekable
        def __init__(self, data):
            self.f = io.BytesIO(data)

        def read(self, n=-1):
            return self.f.read(n)

        def seekable(self):
            return False
    assert_same(load(Stream(buf.getvalue()[6:])), obj)
    with open(tmp_path / "f.bin", "wb") as f:
        save(obj, f, format=fmt)
    with open(tmp_path / "f.bin", "rb") as f:
        assert_same(load(f), obj)
    with pytest.raises(TypeError, match="binary file"):
        save(obj, io.StringIO(), format=fmt)


# -- atomic writes -------------------------------------------------------------------------------
_CHILD = """
import sys
sys.path.insert(0, sys.argv[2])
import ember
from ember.serialization import save
i = 0
while True:
    save({"epoch": i, "w": ember.full((1024, 1024, 6), float(i)), "b": ember.full((7,), float(i))},
         sys.argv[1])
    print(i, flush=True)
    i += 1
"""


def _temps(folder):
    return [n for n in os.listdir(folder) if ".tmp-" in n]


def test_sigkill_during_save_leaves_previous_file(tmp_path):
    target = tmp_path / "ck.safetensors"
    child = subprocess.Popen([sys.executable, "-c", _CHILD, str(target), ROOT],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert child.stdout.readline().strip() == b"0", child.stderr.read().decode()
        deadline = time.monotonic() + 10
        while not _temps(tmp_path) and time.monotonic() < deadline:
            time.sleep(0.0005)
        child.send_signal(signal.SIGKILL)  # in the middle of a save
    finally:
        child.kill()
        child.wait()
    assert child.returncode == -signal.SIGKILL
    ck = load(target)  # the last complete checkpoint, never a half-written one
    assert set(ck) == {"epoch", "w", "b"}
    assert ck["w"].shape == (1024, 1024, 6)
    assert float(ck["w"].min()) == float(ck["w"].max()) == ck["epoch"]
    assert same_array(ck["b"].numpy(), np.full(7, ck["epoch"], np.float32))
    # a killed process may leave its temporary file: the next save of the target removes it
    save({"epoch": -1}, target)
    assert _temps(tmp_path) == [] and os.listdir(tmp_path) == ["ck.safetensors"]
    assert load(target) == {"epoch": -1}


def test_failed_save_keeps_target_and_removes_temp(tmp_path, monkeypatch):
    from ember._serialize import _common
    target = tmp_path / "m.pt"
    save({"v": 1}, target)
    os.chmod(target, 0o640)

    def broken_fsync(fd):
        raise OSError("disk full")
    monkeypatch.setattr(_common.os, "fsync", broken_fsync)
    for fmt in FORMATS:
        with pytest.raises(OSError, match="disk full"):
            save({"v": ember.ones(1000)}, target, format=fmt)
        assert os.listdir(tmp_path) == ["m.pt"]
        assert load(target) == {"v": 1}
    monkeypatch.undo()
    save({"v": 2}, str(target))
    assert load(target) == {"v": 2} and os.listdir(tmp_path) == ["m.pt"]
    assert os.stat(target).st_mode & 0o777 == 0o640  # replacing keeps the file's permissions


def test_stale_temp_files(tmp_path):
    from ember._serialize import _common
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = tmp_path / f".ck.pt.tmp-{_common._HOST}-{dead.pid}-abcd1234"
    alive = tmp_path / f".ck.pt.tmp-{_common._HOST}-{os.getppid()}-abcd1234"
    other = tmp_path / ".other.pt.tmp-x-1-y"
    for p in (stale, alive, other):
        p.write_bytes(b"garbage")
    save({"a": 1}, tmp_path / "ck.pt")
    assert sorted(os.listdir(tmp_path)) == sorted(["ck.pt", alive.name, other.name])
    assert load(tmp_path / "ck.pt") == {"a": 1}


# -- PyTorch checkpoints -------------------------------------------------------------------------
def _torch_equal(e, t):
    assert isinstance(e, ember.Tensor), type(e)
    tn = t.detach()
    assert e.shape == tuple(tn.shape) and e.dtype.name == str(tn.dtype).split(".")[1]
    assert same_array(e.detach().numpy(), tn.numpy())


def _compare_torch_tree(e, t):
    if isinstance(t, torch.Tensor):
        _torch_equal(e, t)
    elif isinstance(t, dict):
        assert type(e) is type(t) and list(e) == list(t)
        for k in t:
            _compare_torch_tree(e[k], t[k])
    elif isinstance(t, (list, tuple)):
        assert type(e) is type(t) and len(e) == len(t)
        for a, b in zip(e, t):
            _compare_torch_tree(a, b)
    else:
        assert e == t and type(e) is type(t)


@pytest.mark.parametrize("legacy", [False, True])
def test_load_torch_state_dicts(tmp_path, legacy):
    torch.manual_seed(0)
    models = {"linear": torch.nn.Linear(5, 3), "conv": torch.nn.Conv2d(3, 4, 3),
              "bn": torch.nn.BatchNorm2d(4), "lstm": torch.nn.LSTM(4, 6, num_layers=2)}
    models["bn"](torch.randn(2, 4, 5, 5))  # running statistics and num_batches_tracked move
    lstm = models["lstm"]
    opt = torch.optim.Adam(lstm.parameters(), lr=0.01)
    lstm(torch.randn(3, 2, 4))[0].square().mean().backward()
    opt.step()
    ck = {name: m.state_dict() for name, m in models.items()}
    ck["optimizer"] = opt.state_dict()
    path = tmp_path / "model.pt"
    torch.save(ck, path, _use_new_zipfile_serialization=not legacy)
    got = load(path)
    _compare_torch_tree(got, ck)
    assert type(got["linear"]) is OrderedDict
    assert got["bn"]["num_batches_tracked"].dtype == ember.int64
    assert got["optimizer"]["param_groups"][0]["betas"] == (0.9, 0.999)
    # the Linear's weights drive an ember Linear to the same outputs
    lin = nn.Linear(5, 3)
    lin.load_state_dict(got["linear"])
    x = np.random.default_rng(0).standard_normal((4, 5)).astype(np.float32)
    np.testing.assert_allclose(lin(ember.tensor(x)).detach().numpy(),
                               models["linear"](torch.from_numpy(x)).detach().numpy(), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("protocol", [1, 2, 4, 5])
def test_load_torch_objects(tmp_path, protocol):
    x = torch.arange(24, dtype=torch.float64).reshape(4, 6)
    lin = torch.nn.Linear(2, 2)
    obj = {"shared": x, "view": x[1:, ::2], "t": x.t(), "param": lin.weight,
           "frozen": torch.nn.Parameter(torch.ones(2), requires_grad=False),
           "grad": torch.ones(3).requires_grad_(), "bf16": torch.tensor([1.5, -2.25], dtype=torch.bfloat16),
           "u16": torch.tensor([0, 65535], dtype=torch.uint16), "size": torch.Size([2, 3]),
           "dtype": torch.float16, "device": torch.device("cpu"), "bytes": b"\x00\xff",
           "complex": 1 + 2j, "set": {1, 2}, "tuple": (1, [2.5, None]), 3: "int key",
           "c128": torch.tensor([1 + 1j], dtype=torch.complex128), "b": torch.tensor(True)}
    path = tmp_path / "o.pt"
    torch.save(obj, path, pickle_protocol=protocol)
    got = load(path)
    for k in ("shared", "view", "t", "c128", "b"):
        _torch_equal(got[k], obj[k])
    assert same_array(got["t"].numpy(), x.numpy().T) and not got["t"].is_contiguous()
    assert np.shares_memory(got["view"].numpy(), got["shared"].numpy())  # one storage, as in torch
    assert type(got["param"]) is nn.Parameter and got["param"].requires_grad
    assert same_array(got["param"].detach().numpy(), lin.weight.detach().numpy())
    assert type(got["frozen"]) is nn.Parameter and not got["frozen"].requires_grad
    assert got["grad"].requires_grad and type(got["grad"]) is ember.Tensor
    assert got["bf16"].dtype == ember.float32 and got["bf16"].tolist() == [1.5, -2.25]
    assert got["u16"].dtype == ember.int32 and got["u16"].tolist() == [0, 65535]
    assert got["size"] == ember.Size([2, 3]) and type(got["size"]) is ember.Size
    assert got["dtype"] is ember.float16 and got["device"] == ember.device("cpu")
    assert got["bytes"] == b"\x00\xff" and got["complex"] == 1 + 2j and got["set"] == {1, 2}
    assert got["tuple"] == (1, [2.5, None]) and got[3] == "int key"


def _torch_from_ember(e):
    if isinstance(e, ember.Tensor):
        return torch.from_numpy(e.detach().numpy().copy())
    return e


@pytest.mark.parametrize("mmap", [False, True])
def test_torch_reads_ember_torch_format(tmp_path, mmap):
    obj = tensors_by_dtype()
    base = ember.tensor(rand((3, 5), np.float32))
    p = nn.Parameter(ember.tensor(rand((2, 2), np.float32)))
    obj.update({"view": base.t(), "slice": base[:, 1::2], "param": p, "again": p,
                "grad": ember.ones(2).requires_grad_(),
                "nested": OrderedDict([("a", [1, (2, 3.5)]), ("b", {"c": None, 4: "d"})]),
                "size": ember.Size([1, 2]), "dtype": ember.int16, "device": ember.device("cpu"),
                "bytes": b"ab\x00", "complex": 2 - 1j, "set": {3, 4}, "big": -2 ** 70})
    path = tmp_path / "e.pt"
    save(obj, path, format="torch")
    t = torch.load(path, weights_only=True, mmap=mmap)
    for k, v in obj.items():
        if isinstance(v, ember.Tensor):
            assert isinstance(t[k], torch.Tensor) and t[k].is_contiguous()
            assert t[k].requires_grad == v.requires_grad
            assert same_array(t[k].detach().numpy(), v.detach().numpy()), k
    assert type(t["param"]) is torch.nn.Parameter and t["again"] is t["param"]
    assert type(t["nested"]) is OrderedDict and t["nested"] == obj["nested"]
    assert t["size"] == torch.Size([1, 2]) and t["dtype"] is torch.int16
    assert t["device"] == torch.device("cpu") and t["bytes"] == b"ab\x00"
    assert t["complex"] == 2 - 1j and t["set"] == {3, 4} and t["big"] == -2 ** 70
    # and an ember model's weights drive the same torch model
    lin = nn.Linear(3, 2)
    save(lin.state_dict(), path, format="torch")
    tl = torch.nn.Linear(3, 2)
    tl.load_state_dict(torch.load(path, weights_only=True))
    x = rand((4, 3), np.float32)
    np.testing.assert_allclose(tl(torch.from_numpy(x)).detach().numpy(),
                               lin(ember.tensor(x)).detach().numpy(), rtol=1e-6, atol=1e-6)


def test_torch_state_dict_metadata_survives(tmp_path):
    torch.save(torch.nn.BatchNorm1d(3).state_dict(), tmp_path / "bn.pt")
    sd = load(tmp_path / "bn.pt")
    assert sd._metadata == OrderedDict([("", {"version": 2})])
    for fmt in FORMATS:
        save(sd, tmp_path / "again.pt", format=fmt)
        again = load(tmp_path / "again.pt")
        assert again._metadata == sd._metadata
    save(sd, tmp_path / "again.pt", format="torch")
    assert torch.load(tmp_path / "again.pt", weights_only=True)._metadata == sd._metadata


# -- safetensors interop -------------------------------------------------------------------------
def test_load_files_of_the_safetensors_package(tmp_path):
    arrays = {f"t{i}": rand((2, 3), dt) for i, dt in enumerate(NP_DTYPES) if dt != np.complex128}
    arrays["empty"] = np.zeros((0, 4), np.float32)
    arrays["scalar"] = np.array(3.5, np.float64)
    stnp.save_file(arrays, tmp_path / "np.safetensors", metadata={"format": "np"})
    got = load(tmp_path / "np.safetensors")
    assert type(got) is dict and sorted(got) == sorted(arrays)
    for k, a in arrays.items():
        assert type(got[k]) is ember.Tensor and same_array(got[k].numpy(), a), k
    tt = {"w": torch.randn(3, 2), "i": torch.arange(5), "bf": torch.tensor([1.0, -0.5], dtype=torch.bfloat16)}
    stt.save_file(tt, tmp_path / "pt.safetensors")
    got = load(tmp_path / "pt.safetensors")
    assert same_array(got["w"].numpy(), tt["w"].numpy()) and same_array(got["i"].numpy(), tt["i"].numpy())
    assert got["bf"].dtype == ember.float32 and got["bf"].tolist() == [1.0, -0.5]


def test_safetensors_package_reads_ember_files(tmp_path):
    lin = nn.Linear(4, 3)
    obj = tensors_by_dtype()
    save(obj, tmp_path / "e.safetensors")
    arrays = stnp.load_file(tmp_path / "e.safetensors")
    assert sorted(arrays) == sorted(obj)
    for k, v in obj.items():
        a = v.numpy()
        if a.dtype == np.complex128:  # stored as float64 pairs: safetensors has no complex128
            a = np.stack([a.real, a.imag], -1)
        assert same_array(arrays[k], a), k
    save({"model": lin.state_dict(), "epoch": 1}, tmp_path / "ck.safetensors")
    sd = stt.load_file(tmp_path / "ck.safetensors")
    assert sorted(sd) == ["model.bias", "model.weight"]
    assert same_array(sd["model.weight"].numpy(), lin.weight.detach().numpy())
    save(lin.state_dict(), tmp_path / "sd.safetensors")
    tl = torch.nn.Linear(4, 3)
    tl.load_state_dict(stt.load_file(tmp_path / "sd.safetensors"))  # a bare state_dict keeps its keys


# -- damaged files -------------------------------------------------------------------------------
def _files(tmp_path):
    obj = {"w": ember.tensor(rand((64, 8), np.float32)), "n": 3}
    out = {}
    for name, fmt in [("e.safetensors", "safetensors"), ("e.pt", "torch")]:
        save(obj, tmp_path / name, format=fmt)
        out[name] = (tmp_path / name).read_bytes()
    torch.save({"w": torch.randn(64, 8)}, tmp_path / "legacy.pt", _use_new_zipfile_serialization=False)
    out["legacy.pt"] = (tmp_path / "legacy.pt").read_bytes()
    return out


def restamp(data):
    """An ember file whose header was edited, with its header checksum made to match again
    (what a deliberate attacker does), so the checks behind the checksum are reached."""
    n = int.from_bytes(data[:8], "little")
    head = data[8:8 + n]
    m = re.search(rb'"ember\.header_crc32":"([0-9a-f]{8})"', head)
    zeroed = head[:m.start(1)] + b"0" * 8 + head[m.end(1):]
    head = zeroed[:m.start(1)] + f"{zlib.crc32(zeroed):08x}".encode() + zeroed[m.end(1):]
    return data[:8] + head + data[8 + n:]


def _load_error(path, data, exc=CheckpointError):
    path.write_bytes(data)
    with pytest.raises(exc) as info:
        load(path)
    assert isinstance(info.value, RuntimeError)
    assert str(path) in str(info.value), str(info.value)
    return str(info.value)


def test_truncated_files(tmp_path):
    for name, data in _files(tmp_path).items():
        for cut in [0, 5, 8, 20, len(data) // 2, len(data) - 100, len(data) - 1]:
            msg = _load_error(tmp_path / f"cut-{cut}-{name}", data[:cut])
            assert any(w in msg for w in ("truncated", "corrupted", "empty")), (name, cut, msg)


def test_corrupted_files(tmp_path):
    files = _files(tmp_path)
    for name, data in files.items():
        bad = bytearray(data)
        bad[len(data) // 2] ^= 0xFF  # inside the tensor data
        if name == "legacy.pt":  # no checksum in the legacy format: values change silently
            continue
        msg = _load_error(tmp_path / f"bit-{name}", bytes(bad))
        assert "corrupted" in msg
    st = files["e.safetensors"]
    garbage = st[:8] + b"{" + b"\x00" * 20 + st[29:]
    assert "its header does not match its checksum" in _load_error(tmp_path / "head.safetensors", garbage)
    stt.save_file({"w": torch.ones(8)}, tmp_path / "foreign.safetensors")  # no ember checksum
    st = (tmp_path / "foreign.safetensors").read_bytes()
    garbage = st[:8] + b"{" + b"\x00" * 20 + st[29:]
    assert "not valid JSON" in _load_error(tmp_path / "head2.safetensors", garbage)


def test_wrong_magic_number(tmp_path):
    msg = _load_error(tmp_path / "junk.pt", b"GIF89a not a checkpoint at all" * 3)
    assert "unrecognised magic number" in msg
    legacy = _files(tmp_path)["legacy.pt"]
    assert legacy[2:4] == b"\x8a\x0a"  # LONG1 of 10 bytes: the magic number
    bad = legacy[:4] + bytes([legacy[4] ^ 1]) + legacy[5:]
    assert "Invalid magic number" in _load_error(tmp_path / "magic.pt", bad)
    plain = pickle.dumps({"a": 1}, protocol=2)
    assert "Invalid magic number" in _load_error(tmp_path / "plain.pkl", plain)


def test_size_mismatch(tmp_path):
    files = _files(tmp_path)
    # safetensors: a header whose shape disagrees with the byte range
    data = files["e.safetensors"]
    n = int.from_bytes(data[:8], "little")
    head = data[8:8 + n].replace(b'"shape":[64,8]', b'"shape":[64,9]')
    fixed = restamp(len(head).to_bytes(8, "little") + head + data[8 + n:])
    assert "size mismatch for tensor 'w'" in _load_error(tmp_path / "shape.safetensors", fixed)
    # torch zip: a storage record shorter than its declared size
    a = np.arange(6, dtype=np.float32)
    obj = {"w": Rebuild(Storage(torch.FloatStorage, "0", "cpu", 6), 0, (2, 3), (3, 1), False, OrderedDict())}
    short = _craft_pt(obj, {"0": a.tobytes()[:-4]})
    assert "size mismatch for storage 0" in _load_error(tmp_path / "short.pt", short)
    # torch zip: a tensor reaching past the end of its storage
    over = {"w": Rebuild(Storage(torch.FloatStorage, "0", "cpu", 6), 2, (2, 3), (3, 1), False, OrderedDict())}
    assert "size mismatch" in _load_error(tmp_path / "over.pt", _craft_pt(over, {"0": a.tobytes()}))
    # legacy: the element count in the data disagrees with the pickle
    legacy = files["legacy.pt"]
    pos = legacy.index((512).to_bytes(8, "little"))
    bad = legacy[:pos] + (511).to_bytes(8, "little") + legacy[pos + 8:]
    assert "size mismatch for storage" in _load_error(tmp_path / "legacy-size.pt", bad)


# -- malicious pickles ---------------------------------------------------------------------------
class Evil:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f"touch {self.marker}",)


def test_malicious_pickles_are_refused(tmp_path):
    marker = tmp_path / "pwned"
    payload = {"w": torch.ones(2), "evil": Evil(marker)}
    torch.save(payload, tmp_path / "zip.pt")
    torch.save(payload, tmp_path / "legacy.pt", _use_new_zipfile_serialization=False)
    (tmp_path / "raw.pkl").write_bytes(pickle.dumps(Evil(marker), protocol=4))
    module = os.system.__module__
    for name in ("zip.pt", "legacy.pt", "raw.pkl"):
        with pytest.raises(WeightsOnlyError) as info:
            load(tmp_path / name)
        msg = str(info.value)
        assert "Weights only load failed" in msg and f"Unsupported global: GLOBAL {module}.system" in msg
        assert str(tmp_path / name) in msg
        assert isinstance(info.value, pickle.UnpicklingError) and isinstance(info.value, RuntimeError)
    assert not marker.exists()
    pickle.loads((tmp_path / "raw.pkl").read_bytes())  # while plain pickle runs it: the payload is real
    assert marker.exists()


@pytest.mark.parametrize("pkl", [
    # BUILD onto an allowed global, to rewrite its attributes
    b"\x80\x02ctorch._utils\n_rebuild_tensor_v2\n}X\x0c\x00\x00\x00__defaults__Nsb.",
    # REDUCE on something that is not an allowed callable (a str from the file)
    b"\x80\x02X\x03\x00\x00\x00abc)R.",
    # instantiating a class via NEWOBJ / INST / OBJ
    b"\x80\x02ccollections\nOrderedDict\n)\x81.",
    b"(ios\nsystem\nX\x04\x00\x00\x00true\x85.",
    # the copyreg extension registry
    b"\x80\x02\x82\x01.",
    # protocol-4 STACK_GLOBAL of a forbidden name
    b"\x80\x04\x8c\x08builtins\x8c\x04eval\x93.",
])
def test_crafted_pickles_are_refused(tmp_path, pkl):
    data = _craft_pt_raw(pkl)
    _load_error(tmp_path / "c.pt", data, WeightsOnlyError)


def _craft_pt_raw(pkl):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("archive/data.pkl", pkl)
        z.writestr("archive/version", "3\n")
    return out.getvalue()
