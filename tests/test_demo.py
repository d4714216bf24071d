"""The demo (``ember demo`` / ``python -m ember.demo``) end to end with --quick settings, and the
files it writes: PNGs that PIL opens, a checkpoint that ember.load reads back into the model,
TensorBoard event files that TensorBoard's own reader loads, and a CSV log."""
import csv
import subprocess
import sys
import time

import numpy as np
import pytest

import ember
from ember import demo
from ember.__main__ import main as cli_main

PLOTS = ("lr_find.png", "loss.png", "metrics.png", "lr_schedule.png", "confusion_matrix.png")


@pytest.fixture(scope="module")
def run(tmp_path_factory, device):
    out = tmp_path_factory.mktemp("demo") / "out"
    t0 = time.perf_counter()
    res = demo.main(["--quick", "--out", str(out), "--seed", "1", "--device", device])
    res["wall"] = time.perf_counter() - t0
    return res


def test_quick_run_is_fast_and_writes_everything(run, capsys):
    out = run["out"]
    assert run["wall"] < 60, f"the quick demo took {run['wall']:.1f} s"
    for name in PLOTS + ("history.csv", "model.pth"):
        assert (out / name).is_file() and (out / name).stat().st_size > 0, name
    assert list((out / "runs").glob("events.out.tfevents.*"))
    assert 0.0 <= run["test_accuracy"] <= 1.0
    assert run["train_seconds"] > 0 and run["lr"] > 0


def test_pngs_open_with_pil(run):
    from PIL import Image
    for name in PLOTS:
        with Image.open(run["out"] / name) as im:
            im.verify()
        with Image.open(run["out"] / name) as im:
            assert im.format == "PNG" and im.size[0] > 100 and im.size[1] > 100


def test_checkpoint_loads_into_the_model(run):
    state = ember.load(run["out"] / "model.pth")
    sd = state["model"]
    model = demo.build_model(ember.nn)
    model.load_state_dict(sd)
    model.eval()
    with ember.no_grad():
        out = model(ember.zeros(3, 1, 40))
    assert out.shape == (3, 10)


def test_tensorboard_events_are_readable(run):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    acc = EventAccumulator(str(run["out"] / "runs"), size_guidance={"scalars": 0, "histograms": 0})
    acc.Reload()
    tags = acc.Tags()
    for tag in ("train_loss", "valid_loss", "accuracy", "lr_0"):
        assert tag in tags["scalars"], tag
    assert len(acc.Scalars("valid_loss")) == 2   # one per epoch of --quick
    assert any(t.startswith("weights/") for t in tags["histograms"])


def test_csv_has_header_and_one_row_per_epoch(run):
    with open(run["out"] / "history.csv", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["epoch", "train_loss", "valid_loss", "accuracy", "time"]
    assert [r[0] for r in rows[1:]] == ["0", "1"]
    assert all(np.isfinite(float(r[1])) and 0 <= float(r[3]) <= 1 for r in rows[1:])


def test_random_shift_rolls_each_signal():
    rng = np.random.default_rng(0)
    x = np.arange(5 * 40, dtype=np.float32).reshape(5, 1, 40)
    y = demo.random_shift(x, np.random.default_rng(1), max_shift=3)
    assert y.shape == x.shape and y.dtype == x.dtype
    for i in range(5):   # each row is a circular shift of its own by at most 3
        shifts = [s for s in range(-3, 4) if np.array_equal(np.roll(x[i], s, axis=-1), y[i])]
        assert shifts
    y2 = demo.random_shift(rng.standard_normal((64, 40)), rng, max_shift=0)
    assert y2.shape == (64, 40)


def test_random_shift_callback_only_in_training():
    cb = demo.RandomShift(max_shift=5, seed=0)
    assert cb.run_valid is False and cb.run_train is True


def test_cli_dispatch(capsys):
    assert cli_main([]) == 0
    assert "demo" in capsys.readouterr().out
    assert cli_main(["nope"]) == 2
    assert "unknown command" in capsys.readouterr().err
    with pytest.raises(SystemExit) as e:
        cli_main(["demo", "--help"])
    assert e.value.code == 0
    assert "--quick" in capsys.readouterr().out


@pytest.mark.parametrize("args", [["-m", "ember", "demo", "--help"], ["-m", "ember.demo", "--help"]])
def test_module_entry_points(args):
    r = subprocess.run([sys.executable, *args], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert "--epochs" in r.stdout and "--out" in r.stdout
