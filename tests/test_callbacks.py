"""ember.train callbacks: progress output, trackers (early stopping, best-model checkpoints,
LR on plateau, NaN), CSV and TensorBoard logs, gradient accumulation and clipping, activation
statistics."""
import io
import os

import numpy as np
import pytest

import ember
import ember.optim
import ember.train as T
from ember import nn
from ember.utils.data import DataLoader, TensorDataset


def blobs_ds(n, seed):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    x = rng.normal(0, 0.8, (n, 2)) + np.where(y[:, None] == 1, 1.0, -1.0)
    return TensorDataset(ember.tensor(x.astype(np.float32)), ember.tensor(y.astype(np.int64)))


def mlp(seed=0, hidden=16):
    ember.manual_seed(seed)
    return nn.Sequential(nn.Linear(2, hidden), nn.ReLU(), nn.Linear(hidden, 2))


def accuracy(pred, targ):
    return (pred.argmax(dim=1) == targ).float().mean()


def learner(cbs=None, n_train=128, bs=32, model=None, progress=False, **kwargs):
    dls = T.DataLoaders.from_dsets(blobs_ds(n_train, 1), blobs_ds(64, 2), bs=bs)
    learn = T.Learner(dls, model or mlp(), nn.CrossEntropyLoss(), cbs=cbs, **kwargs)
    if not progress:
        learn.remove_cb(T.ProgressCallback)
    return learn


def scripted_metric(values):
    """A metric whose value in epoch i is values[i] (for deterministic tracker tests)."""
    state = {"epoch": -1}

    class Scripted(T.Metric):
        name = "score"

        def reset(self):
            state["epoch"] += 1

        @property
        def value(self):
            return float(values[min(state["epoch"], len(values) - 1)])

    return Scripted()


def weights(model):
    return {k: v.detach().numpy().copy() for k, v in model.state_dict().items()}


# ---- progress ------------------------------------------------------------------------------


def test_progress_not_a_tty_prints_one_line_per_epoch(capsys):
    learn = learner(progress=True, metrics=accuracy)
    learn.fit(3)
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert len(lines) == 4 and "\r" not in out
    assert lines[0].split() == ["epoch", "train_loss", "valid_loss", "accuracy", "time"]
    for i, ln in enumerate(lines[1:]):
        cells = ln.split()
        assert cells[0] == str(i) and len(cells) == 5 and ":" in cells[-1]
        assert float(cells[2]) == pytest.approx(learn.recorder.values[i][1], abs=1e-6)
    # lr_find shows no table
    learn.lr_find(num_it=10, show_plot=False)
    assert capsys.readouterr().out == ""
    # validate / get_preds print nothing
    learn.validate()
    learn.get_preds()
    assert capsys.readouterr().out == ""


def test_progress_bars_on_a_terminal():
    pytest.importorskip("tqdm")
    f = io.StringIO()
    learn = learner()
    learn.add_cb(T.ProgressCallback(file=f, bars=True))
    learn.fit(2)
    out = f.getvalue()
    assert "epoch" in out and "train:" in out and "valid:" in out and "/4" in out and "loss" in out
    assert "1      " in out   # the second table row
    assert learn.progress.pbar is None and learn.progress.mbar is None


def test_progress_without_tqdm(monkeypatch):
    from ember.train.callbacks import progress
    monkeypatch.setattr(progress, "_tqdm", lambda: None)
    f = io.StringIO()
    learn = learner()
    learn.add_cb(T.ProgressCallback(file=f, bars=True))
    learn.fit(1)
    assert f.getvalue().splitlines()[0].startswith("epoch") and len(f.getvalue().splitlines()) == 2


# ---- trackers ------------------------------------------------------------------------------


def test_early_stopping(capsys):
    learn = learner(metrics=scripted_metric([0.5, 0.7, 0.6, 0.65, 0.9]),
                    cbs=T.EarlyStoppingCallback(monitor="score", patience=2))
    learn.fit(10)
    assert len(learn.recorder.values) == 4   # best at epoch 1; epochs 2 and 3 did not improve
    assert "No improvement since epoch 1: early stopping" in capsys.readouterr().out
    # min_delta: an improvement smaller than it does not count
    learn = learner(metrics=scripted_metric([0.5, 0.55, 0.58, 0.9]),
                    cbs=T.EarlyStoppingCallback(monitor="score", min_delta=0.1, patience=2))
    learn.fit(10)
    assert len(learn.recorder.values) == 3


def test_early_stopping_on_valid_loss_and_unknown_monitor():
    learn = learner(cbs=T.EarlyStoppingCallback(patience=1), lr=0.0, opt_func=ember.optim.SGD)
    learn.fit(5)   # lr 0: the loss never improves after epoch 0
    assert len(learn.recorder.values) == 2
    learn = learner(cbs=T.EarlyStoppingCallback(monitor="nope"))
    with pytest.raises(ValueError, match="'nope' is not recorded"):
        learn.fit(1)


def test_save_model_keeps_and_reloads_the_best(tmp_path, capsys):
    snaps = []

    class Snap(T.Callback):
        order = 100

        def after_epoch(self):
            snaps.append(weights(self.model))

    learn = learner(metrics=scripted_metric([0.2, 0.9, 0.5, 0.4]), path=tmp_path, lr=1e-2,
                    cbs=[T.SaveModelCallback(monitor="score", fname="best"), Snap()])
    learn.fit(4)
    f = tmp_path / "models" / "best.pth"
    assert f.exists() and os.listdir(tmp_path / "models") == ["best.pth"]
    cur = weights(learn.model)
    assert all(np.array_equal(cur[k], snaps[1][k]) for k in cur)            # epoch 1 was best
    assert not all(np.array_equal(cur[k], snaps[3][k]) for k in cur)
    assert learn.save_model.best == 0.9 and learn.save_model.best_epoch == 1
    assert "Better model found at epoch 1 with score value: 0.9." in capsys.readouterr().out


def test_save_model_every_epoch_and_at_end(tmp_path):
    learn = learner(path=tmp_path, cbs=T.SaveModelCallback(every_epoch=True, fname="m"))
    learn.fit(3)
    assert sorted(os.listdir(tmp_path / "models")) == ["m_0.pth", "m_1.pth", "m_2.pth"]
    learn = learner(path=tmp_path / "b", cbs=T.SaveModelCallback(at_end=True, fname="last", with_opt=True))
    learn.fit(2)
    state = ember.load(tmp_path / "b" / "models" / "last.pth")
    assert set(state) == {"model", "opt"}
    w = weights(learn.model)
    np.testing.assert_array_equal(state["model"]["0.weight"].numpy(), w["0.weight"])


def test_reduce_lr_on_plateau(capsys):
    learn = learner(metrics=scripted_metric([0.5, 0.5, 0.6, 0.6, 0.6]), lr=1e-2,
                    cbs=T.ReduceLROnPlateau(monitor="score", patience=1, factor=10, min_lr=2e-5))
    lrs = []

    class Lr(T.Callback):
        order = 100

        def after_epoch(self):
            lrs.append(self.opt.param_groups[0]["lr"])

    learn.fit(5, cbs=Lr())
    assert lrs == pytest.approx([1e-2, 1e-3, 1e-3, 1e-4, 2e-5])
    assert "Epoch 1: reducing lr to 0.001" in capsys.readouterr().out


def test_terminate_on_nan():
    calls = {"n": 0}
    base = nn.CrossEntropyLoss()

    def loss_func(pred, targ):
        calls["n"] += 1
        loss = base(pred, targ)
        return loss * float("nan") if calls["n"] == 3 else loss

    learn = learner(cbs=T.TerminateOnNaN())
    learn.loss_func = loss_func
    learn.fit(3)
    # stopped at the third batch, before the Recorder saw it (fastai's order)
    assert calls["n"] == 3 and len(learn.recorder.batch_losses) == 2
    assert learn.recorder.values == []


def test_trackers_are_off_during_lr_find(tmp_path):
    learn = learner(path=tmp_path, cbs=[T.SaveModelCallback(), T.EarlyStoppingCallback(patience=1),
                                        T.CSVLogger()])
    learn.lr_find(num_it=12, show_plot=False)
    assert not (tmp_path / "models").exists() and not (tmp_path / "history.csv").exists()
    learn.fit(1)
    assert (tmp_path / "history.csv").exists()


# ---- logs ----------------------------------------------------------------------------------


def test_csv_logger(tmp_path):
    learn = learner(path=tmp_path, metrics=accuracy, cbs=T.CSVLogger("log.csv"))
    learn.fit(3)
    text = (tmp_path / "log.csv").read_text().splitlines()
    assert text[0] == "epoch,train_loss,valid_loss,accuracy,time" and len(text) == 4
    rows = learn.csv_logger.read_log()
    for i, row in enumerate(rows):
        assert int(row["epoch"]) == i
        assert float(row["valid_loss"]) == pytest.approx(learn.recorder.values[i][1], rel=1e-12)
        assert float(row["accuracy"]) == pytest.approx(learn.recorder.values[i][2], rel=1e-12)
    learn.fit(1)   # a new fit overwrites
    assert len(learn.csv_logger.read_log()) == 1
    learn.remove_cb(T.CSVLogger).add_cb(T.CSVLogger("log.csv", append=True))
    learn.fit(2)
    assert len(learn.csv_logger.read_log()) == 3


def test_tensorboard_callback_writes_readable_events(tmp_path):
    pytest.importorskip("ember.utils.tensorboard")
    ea_mod = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")
    learn = learner(metrics=accuracy, cbs=T.TensorBoardCallback(log_dir=tmp_path / "tb", trace_model=True))
    learn.fit(2)
    valid = [v[1] for v in learn.recorder.values]
    learn.fit(1)
    valid += [v[1] for v in learn.recorder.values]
    acc = ea_mod.EventAccumulator(str(tmp_path / "tb"), size_guidance={"scalars": 0, "histograms": 0})
    files = os.listdir(tmp_path / "tb")
    assert len(files) >= 2 and all(f.startswith("events.out.tfevents") for f in files)
    # the accumulator reads one run's files in order
    scalars, hists = set(), set()
    for f in sorted(files):
        a = ea_mod.EventAccumulator(str(tmp_path / "tb" / f), size_guidance={"scalars": 0, "histograms": 0})
        a.Reload()
        scalars |= set(a.Tags()["scalars"])
        hists |= set(a.Tags()["histograms"])
    assert {"train_loss", "lr_0", "mom_0", "valid_loss", "accuracy"} <= scalars
    assert "weights/0.weight" in hists
    acc.Reload()
    steps = [e.step for e in acc.Scalars("train_loss")]
    assert steps == list(range(1, 13))   # 4 batches × 3 epochs, continuing across fits
    assert [e.value for e in acc.Scalars("valid_loss")] == pytest.approx(valid, rel=1e-6)
    assert [e.step for e in acc.Scalars("valid_loss")] == [4, 8, 12]


# ---- gradient accumulation, clipping ---------------------------------------------------------


def test_gradient_accumulation_equals_a_bigger_batch():
    ds = blobs_ds(64, 7)

    def run(bs, cbs):
        dls = T.DataLoaders(DataLoader(ds, batch_size=bs), DataLoader(ds, batch_size=64))
        learn = T.Learner(dls, mlp(seed=3), nn.CrossEntropyLoss(), opt_func=ember.optim.SGD, lr=0.5, cbs=cbs)
        learn.remove_cb(T.ProgressCallback)
        learn.fit(2)
        return learn

    big = run(32, None)
    acc = run(8, T.GradientAccumulation(n_acc=32))
    wb, wa = weights(big.model), weights(acc.model)
    for k in wb:
        np.testing.assert_allclose(wa[k], wb[k], rtol=1e-5, atol=1e-6)
    # the recorded losses are the unscaled batch losses
    assert np.mean(acc.recorder.batch_losses[:4]) == pytest.approx(big.recorder.batch_losses[0], rel=1e-5)
    assert len(acc.recorder.batch_losses) == 16


def test_gradient_clip():
    norms = []

    class Norm(T.Callback):
        order = 20   # after GradientClip (11)

        def before_step(self):
            g = [p.grad.numpy().ravel() for p in self.model.parameters()]
            norms.append(float(np.linalg.norm(np.concatenate(g))))

    learn = learner(lr=1e-2, cbs=[T.GradientClip(max_norm=0.05), Norm()])
    learn.fit(1)
    assert len(norms) == 4 and max(norms) <= 0.05 * (1 + 1e-4)
    assert float(learn.gradient_clip.total_norm) > 0.05   # the norm before clipping was larger


# ---- activation statistics -----------------------------------------------------------------


def test_activation_stats_records_mean_std_near_zero():
    ds = blobs_ds(64, 9)
    dls = T.DataLoaders(DataLoader(ds, batch_size=32), DataLoader(ds, batch_size=64))
    model = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 8), nn.ReLU(), nn.Linear(8, 2))
    stats = T.ActivationStats()
    w0 = {k: v.detach().clone() for k, v in model.state_dict().items()}
    learn = T.Learner(dls, model, nn.CrossEntropyLoss(), cbs=stats)
    learn.remove_cb(T.ProgressCallback)
    learn.fit(2)
    s = stats.stats
    assert s.shape == (4, 3, 3)   # 2 epochs × 2 training batches, 3 Linear layers
    assert stats.layer_names == ["0 (Linear)", "2 (Linear)", "4 (Linear)"]
    # batch 0 ran with the initial weights: recompute by hand
    ref = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 8), nn.ReLU(), nn.Linear(8, 2))
    ref.load_state_dict(w0)
    x = ds.tensors[0][:32]
    outs = [ref[0](x)]
    outs.append(ref[2](ref[1](outs[0])))
    outs.append(ref[4](ref[3](outs[1])))
    for i, o in enumerate(outs):
        a = o.detach().numpy()
        assert s[0, i] == pytest.approx([a.mean(), a.std(ddof=1), (a <= 0.05).mean()], rel=1e-4, abs=1e-6)
    assert stats.means.shape == stats.stds.shape == stats.near_zero.shape == (4, 3)
    assert np.all((stats.near_zero >= 0) & (stats.near_zero <= 1))
    assert all(len(m._forward_hooks) == 0 for m in model.modules())   # hooks removed after fit
    m, sd, nz = stats.layer_stats(1)
    assert m.shape == (4,)


def test_activation_stats_every_and_modules():
    model = mlp()
    stats = T.ActivationStats(modules=[model[1]], every=2, with_hist=True, bins=10)
    learn = learner(model=model, cbs=stats)
    learn.fit(1)   # 4 batches: iterations 0 and 2 recorded
    assert stats.stats.shape == (2, 1, 3) and stats.hists.shape == (2, 1, 10)
    assert stats.near_zero.min() > 0   # ReLU outputs: many exact zeros


# ---- custom callbacks with schedules ---------------------------------------------------------


def test_param_scheduler_custom_schedule_and_hps():
    sched = T.ParamScheduler({"lr": T.SchedLin(1e-3, 1e-2), "wd": T.SchedNo(0.1, 0.1)})
    learn = learner(cbs=sched)
    learn.fit(2)
    lrs = np.array(learn.recorder.lrs)
    np.testing.assert_allclose(lrs, 1e-3 + np.arange(8) / 8 * 9e-3)
    assert learn.opt.param_groups[0]["weight_decay"] == 0.1
    assert learn.recorder.hps["lr"] == pytest.approx(list(lrs))


def test_lr_finder_as_a_plain_callback_like_seed_003():
    finder = T.LRFinder(start_lr=1e-6, end_lr=1, num_it=10)
    learn = learner(cbs=finder)
    w0 = weights(learn.model)
    learn.fit(4)
    assert len(finder.lrs) == len(finder.losses) == 10
    assert finder.lrs[0] == pytest.approx(1e-6)
    assert all(np.array_equal(v, weights(learn.model)[k]) for k, v in w0.items())
