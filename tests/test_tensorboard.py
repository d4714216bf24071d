"""ember.utils.tensorboard: event files written by hand (protobuf encoding, TFRecord framing with
CRC32C), read back with TensorBoard's own reader and parsed with its protobuf classes."""
import glob
import os
import re
import struct
import subprocess
import sys

import numpy as np
import pytest

import ember
from ember import nn
from ember.utils.tensorboard import SummaryWriter, _proto, _record, _summary

EventAccumulator = pytest.importorskip(
    "tensorboard.backend.event_processing.event_accumulator").EventAccumulator
event_pb2 = pytest.importorskip("tensorboard.compat.proto.event_pb2")
summary_pb2 = pytest.importorskip("tensorboard.compat.proto.summary_pb2")

RNG = np.random.default_rng(3)


def load(path, **guidance):
    ea = EventAccumulator(str(path), size_guidance={"scalars": 0, "histograms": 0, "images": 0,
                                                    "tensors": 0, **guidance})
    ea.Reload()
    return ea


def events(path):
    """Every Event in the one event file under `path`, parsed by protobuf (CRCs checked by us)."""
    (f,) = glob.glob(os.path.join(str(path), "events.out.tfevents.*"))
    with open(f, "rb") as fh:
        return [event_pb2.Event.FromString(r) for r in _record.read_records(fh.read())]


# ---------------------------------------------------------------- CRC32C and records
def test_crc32c_vectors():
    assert _record.crc32c(b"123456789") == 0xE3069283
    assert _record.crc32c(b"") == 0
    assert _record.crc32c(bytes(32)) == 0x8A9136AA               # RFC 3720 B.4: 32 bytes of zeros
    assert _record.crc32c(b"\xff" * 32) == 0x62A8AB43             # ... of ones
    assert _record.crc32c(bytes(range(32))) == 0x46DD794E         # ... incrementing
    data = RNG.bytes(300)
    assert _record.crc32c(data[100:], _record.crc32c(data[:100])) == _record.crc32c(data)


def test_masked_crc_matches_tensorboard():
    from tensorboard.compat.tensorflow_stub.pywrap_tensorflow import masked_crc32c
    for n in (0, 1, 7, 8, 100, 1000):
        data = RNG.bytes(n)
        assert _record.masked_crc32c(data) == masked_crc32c(data)


def test_record_framing_round_trip():
    payloads = [b"", b"x", RNG.bytes(500)]
    raw = b"".join(_record.frame(p) for p in payloads)
    assert _record.read_records(raw) == payloads
    rec = _record.frame(b"hello")
    assert struct.unpack("<Q", rec[:8])[0] == 5 and len(rec) == 8 + 4 + 5 + 4
    bad = bytearray(rec)
    bad[13] ^= 1
    with pytest.raises(ValueError, match="data CRC"):
        _record.read_records(bytes(bad))
    with pytest.raises(ValueError, match="truncated"):
        _record.read_records(rec[:-2])


# ---------------------------------------------------------------- protobuf encoding
def test_varint_and_event_encoding():
    assert _proto.varint(0) == b"\x00" and _proto.varint(300) == b"\xac\x02"
    assert len(_proto.varint(-1)) == 10
    e = event_pb2.Event.FromString(_proto.event(1234.5, step=-3, file_version="brain.Event:2"))
    assert (e.wall_time, e.step, e.file_version) == (1234.5, -3, "brain.Event:2")
    s = _proto.summary(_proto.summary_value("a/b", simple_value=2.5),
                       _proto.summary_value("ü", simple_value=-1))
    e = event_pb2.Event.FromString(_proto.event(1.0, step=2 ** 40, summary=s))
    assert e.step == 2 ** 40
    assert [(v.tag, v.simple_value) for v in e.summary.value] == [("a/b", 2.5), ("ü", -1.0)]


def test_histogram_proto_equals_torch(tmp_path):
    from torch.utils.tensorboard import SummaryWriter as TorchWriter
    from torch.utils.tensorboard.summary import histogram as torch_histogram
    tw = TorchWriter(str(tmp_path / "torch"))
    tf_bins = tw.default_bins
    tw.close()
    np.testing.assert_array_equal(_summary.tensorflow_bins(), tf_bins)
    v = RNG.normal(size=400) * 3
    for bins in ("tensorflow", 10, "auto", np.linspace(-5, 5, 7)):
        want = torch_histogram("h", v, tf_bins if isinstance(bins, str) and bins == "tensorflow" else bins)
        got = summary_pb2.Summary.FromString(_summary.histogram("h", v, bins))
        assert got == want


# ---------------------------------------------------------------- the writer
def test_file_name_and_first_record(tmp_path):
    with SummaryWriter(tmp_path, filename_suffix=".x") as w:
        w.add_scalar("a", 1.0)
    (name,) = os.listdir(tmp_path)
    assert re.fullmatch(r"events\.out\.tfevents\.\d{10}\..+\.\d+\.\d+\.x", name)
    evs = events(tmp_path)
    assert evs[0].file_version == "brain.Event:2" and evs[0].wall_time > 1e9
    assert evs[1].summary.value[0].tag == "a"


def test_scalars_read_back(tmp_path):
    w = SummaryWriter(log_dir=str(tmp_path))
    losses = RNG.uniform(size=20)
    for step, loss in enumerate(losses):
        w.add_scalar("train/loss", loss, step)
        lr = ember.tensor(0.1 * step, requires_grad=True) * 1
        w.add_scalar("lr", lr, global_step=step, walltime=100.0 + step)
    w.add_scalar("np", np.float32(3.5), 7)
    w.add_scalar("new", 1.25, 3, new_style=True)
    w.close()
    ea = load(tmp_path)
    assert set(ea.Tags()["scalars"]) == {"train/loss", "lr", "np"}
    got = ea.Scalars("train/loss")
    assert [e.step for e in got] == list(range(20))
    np.testing.assert_allclose([e.value for e in got], losses.astype(np.float32))
    lr = ea.Scalars("lr")
    np.testing.assert_allclose([e.value for e in lr], 0.1 * np.arange(20), rtol=1e-6)
    assert [e.wall_time for e in lr] == [100.0 + s for s in range(20)]
    assert ea.Scalars("np")[0].value == 3.5 and ea.Scalars("np")[0].step == 7
    t = ea.Tensors("new")[0]
    assert t.step == 3 and list(t.tensor_proto.float_val) == [1.25]
    with pytest.raises(AssertionError, match="scalar should be 0D"):
        SummaryWriter(tmp_path / "bad").add_scalar("x", np.ones(3))


def test_histograms_read_back(tmp_path):
    vals = [RNG.normal(size=1000) * (i + 1) for i in range(3)]
    with SummaryWriter(tmp_path) as w:
        for step, v in enumerate(vals):
            w.add_histogram("weights", ember.tensor(v), step)
            w.add_histogram("ten", v, step, bins=10)
        w.add_histogram("few", v, 0, bins=100, max_bins=16)
        w.add_histogram_raw("raw", min=0.0, max=3.0, num=6, sum=9.0, sum_squares=19.0,
                            bucket_limits=[0.0, 1.0, 2.0, 3.0], bucket_counts=[0, 1, 2, 3], global_step=5)
    ea = load(tmp_path)
    assert set(ea.Tags()["histograms"]) == {"weights", "ten", "few", "raw"}
    for step, (ev, v) in enumerate(zip(ea.Histograms("weights"), vals)):
        h = ev.histogram_value
        assert ev.step == step and h.num == 1000 and sum(h.bucket) == 1000
        np.testing.assert_allclose([h.min, h.max, h.sum, h.sum_squares], [v.min(), v.max(), v.sum(), v @ v])
        assert len(h.bucket_limit) == len(h.bucket) and h.bucket[0] == 0
    ten = ea.Histograms("ten")[-1].histogram_value
    counts, edges = np.histogram(vals[-1], bins=10)
    assert list(ten.bucket) == [0] + counts.tolist()
    np.testing.assert_allclose(ten.bucket_limit, edges)
    few = ea.Histograms("few")[0].histogram_value
    assert len(few.bucket) <= 17 and sum(few.bucket) == 1000
    raw = ea.Histograms("raw")[0]
    assert raw.step == 5 and list(raw.histogram_value.bucket) == [0, 1, 2, 3]
    with pytest.raises(ValueError, match="no element"):
        SummaryWriter(tmp_path / "e").add_histogram("x", np.array([]))
    with pytest.raises(ValueError, match="len\\(bucket_limits\\)"):
        SummaryWriter(tmp_path / "e").add_histogram_raw("x", 0, 1, 1, 1, 1, [1.0], [0, 1])


def test_add_scalars_sub_runs(tmp_path):
    with SummaryWriter(tmp_path) as w:
        for step in range(3):
            w.add_scalars("loss/all", {"train": 1.0 - step * 0.1, "valid": 2.0 + step}, step)
    assert sorted(d for d in os.listdir(tmp_path) if not d.startswith("events")) == \
        ["loss_all_train", "loss_all_valid"]
    ea = load(tmp_path / "loss_all_valid")
    assert [(e.step, e.value) for e in ea.Scalars("loss/all")] == [(0, 2.0), (1, 3.0), (2, 4.0)]


def test_text_image_figure(tmp_path):
    from io import BytesIO

    from PIL import Image
    img = RNG.uniform(size=(3, 6, 9)).astype(np.float32)
    grey = RNG.integers(0, 256, (5, 4), dtype=np.uint8)
    with SummaryWriter(tmp_path) as w:
        w.add_text("notes", "some **markdown** é", 4)
        w.add_image("rgb", ember.tensor(img), 1)
        w.add_image("grey", grey, 2, dataformats="HW")
        w.add_images("batch", RNG.uniform(size=(3, 1, 4, 4)), 0)
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        fig = plt.figure(figsize=(2, 1.5), dpi=50)
        plt.plot([0, 1], [1, 0])
        w.add_figure("fig", fig, 3)
        assert not plt.fignum_exists(fig.number)
    ea = load(tmp_path)
    t = ea.Tensors("notes/text_summary")[0]
    assert t.step == 4 and t.tensor_proto.string_val == ["some **markdown** é".encode()]
    assert ea.summary_metadata["notes/text_summary"].plugin_data.plugin_name == "text"
    rgb = ea.Images("rgb")[0]
    assert (rgb.width, rgb.height) == (9, 6)
    px = np.asarray(Image.open(BytesIO(rgb.encoded_image_string)))
    np.testing.assert_array_equal(px, (img.transpose(1, 2, 0) * 255).astype(np.uint8))
    g = np.asarray(Image.open(BytesIO(ea.Images("grey")[0].encoded_image_string)))
    np.testing.assert_array_equal(g, np.repeat(grey[:, :, None], 3, 2))
    b = ea.Images("batch")[0]
    assert (b.width, b.height) == (12, 4)
    f = ea.Images("fig")[0]
    assert (f.width, f.height) == (100, 75) and f.step == 3


def test_hparams(tmp_path):
    from tensorboard.plugins.hparams import plugin_data_pb2
    with SummaryWriter(tmp_path) as w:
        w.add_hparams({"lr": 0.01, "bs": 32, "opt": "adam", "bn": True, "none": None}, {"hparam/acc": 0.75},
                      hparam_domain_discrete={"opt": ["adam", "sgd"]}, run_name="trial1")
    ea = load(tmp_path / "trial1")
    assert ea.Scalars("hparam/acc")[0].value == 0.75
    content = {k: plugin_data_pb2.HParamsPluginData.FromString(v)
               for k, v in ea.PluginTagToContent("hparams").items()}
    exp = content["_hparams_/experiment"].experiment
    infos = {h.name: h for h in exp.hparam_infos}
    assert set(infos) == {"lr", "bs", "opt", "bn"}
    assert [v.string_value for v in infos["opt"].domain_discrete.values] == ["adam", "sgd"]
    assert [m.name.tag for m in exp.metric_infos] == ["hparam/acc"]
    hp = content["_hparams_/session_start_info"].session_start_info.hparams
    assert (hp["lr"].number_value, hp["bs"].number_value, hp["opt"].string_value, hp["bn"].bool_value) == \
        (0.01, 32.0, "adam", True)
    assert content["_hparams_/session_end_info"].session_end_info.status == 1
    with pytest.raises(TypeError, match="dictionary"):
        SummaryWriter(tmp_path / "x").add_hparams([], {})


def test_graph(tmp_path):
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1, self.fc2 = nn.Linear(4, 8), nn.Linear(8, 2)
            self.act = nn.ReLU()

        def forward(self, x):
            return self.fc2(self.act(self.fc1(x)).reshape(-1, 8) * 2)   # functional ops in between

    with SummaryWriter(tmp_path) as w:
        w.add_graph(Net(), ember.randn(3, 4))
    g = load(tmp_path).Graph()
    nodes = {n.name: (n.op, list(n.input)) for n in g.node}
    assert nodes["Net/Linear[fc1]"] == ("Linear", ["input/input.0"])
    assert nodes["Net/ReLU[act]"] == ("ReLU", ["Net/Linear[fc1]"])
    assert nodes["Net/Linear[fc2]"] == ("Linear", ["Net/ReLU[act]"])
    assert nodes["output/output.0"] == ("IO Node", ["Net/Linear[fc2]"])
    shapes = {n.name: [[d.size for d in s.dim] for s in n.attr["_output_shapes"].list.shape] for n in g.node}
    assert shapes["Net/Linear[fc1]"] == [[3, 8]]


def test_flush_queue_close_reopen_purge(tmp_path):
    w = SummaryWriter(tmp_path / "q", max_queue=3, flush_secs=1000)
    w.add_scalar("a", 1.0, 0)
    assert len(events(tmp_path / "q")) == 1            # still buffered
    w.add_scalar("a", 2.0, 1)
    w.add_scalar("a", 3.0, 2)                          # the queue is full: on disk
    assert len(events(tmp_path / "q")) == 4
    w.add_scalar("a", 4.0, 3)
    w.flush()
    assert [e.value for e in load(tmp_path / "q").Scalars("a")] == [1, 2, 3, 4]
    w.close()
    w.add_scalar("b", 1.0, 0)                          # after close: a new file
    w.close()
    assert len(glob.glob(str(tmp_path / "q" / "events.out.tfevents.*"))) == 2

    with SummaryWriter(tmp_path / "p", purge_step=5) as w:
        w.add_scalar("x", 1.0, 5)
    evs = events(tmp_path / "p")
    assert evs[1].session_log.status == event_pb2.SessionLog.START and evs[1].step == 5


def test_default_log_dir(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    w = SummaryWriter(comment="_exp")
    w.close()
    (run,) = os.listdir(tmp_path / "runs")
    assert run.endswith("_exp") and w.get_logdir() == os.path.join("runs", run)
    assert os.listdir(tmp_path / "runs" / run)[0].startswith("events.out.tfevents.")


def test_no_protobuf_or_tensorboard_at_run_time(tmp_path):
    code = ("import sys\n"
            "for m in ('google', 'google.protobuf', 'tensorboard', 'tensorflow', 'torch'):\n"
            "    sys.modules[m] = None\n"
            "from ember.utils.tensorboard import SummaryWriter\n"
            "import numpy as np\n"
            f"w = SummaryWriter({str(tmp_path)!r})\n"
            "w.add_scalar('a', 1.0, 1); w.add_histogram('h', np.arange(10.0), 1); w.add_text('t', 'x')\n"
            "w.close()\n")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=os.path.dirname(os.path.dirname(__file__)))
    ea = load(tmp_path)
    assert ea.Scalars("a")[0].value == 1.0 and ea.Histograms("h")[0].histogram_value.num == 10
