"""ember.train: the engine's events and cancel exceptions, the Learner (fit policies, lr_find,
predictions, checkpoints, freezing, summary) and the plots."""
import copy
import functools
import math
import os

import numpy as np
import pytest
import torch

import ember
import ember.optim
import ember.train as T
from ember import nn
from ember.utils.data import DataLoader, TensorDataset

# ---- data and models -------------------------------------------------------------------------


def xor_ds(n, seed):
    """Seed 000's XOR problem: points in [-1, 1)², class 1 where x1·x2 >= 0."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, (n, 2)).astype(np.float32)
    y = (x[:, 0] * x[:, 1] >= 0).astype(np.int64)
    return TensorDataset(ember.tensor(x), ember.tensor(y))


def blobs_ds(n, seed):
    """Two Gaussian blobs, classes 0 and 1."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    x = rng.normal(0, 0.6, (n, 2)) + np.where(y[:, None] == 1, 1.5, -1.5)
    return TensorDataset(ember.tensor(x.astype(np.float32)), ember.tensor(y.astype(np.int64)))


def mlp(hidden=32, seed=0):
    ember.manual_seed(seed)
    return nn.Sequential(nn.Linear(2, hidden), nn.ReLU(), nn.Linear(hidden, 2))


def accuracy(pred, targ):
    return (pred.argmax(dim=1) == targ).float().mean()


def make_dls(ds_fn=xor_ds, n_train=256, n_valid=128, bs=32):
    return T.DataLoaders.from_dsets(ds_fn(n_train, 1), ds_fn(n_valid, 2), bs=bs)


def quiet_learner(dls=None, model=None, cbs=None, **kwargs):
    learn = T.Learner(dls or make_dls(), model or mlp(), nn.CrossEntropyLoss(), cbs=cbs, **kwargs)
    learn.remove_cb(T.ProgressCallback)
    return learn


def tiny_dls(n_train=4, n_valid=2, bs=2):
    """2 training batches and 1 validation batch."""
    return T.DataLoaders(DataLoader(xor_ds(n_train, 3), batch_size=bs),
                         DataLoader(xor_ds(n_valid, 4), batch_size=bs))


def weights(model):
    return {k: v.detach().numpy().copy() for k, v in model.state_dict().items()}


def same_weights(a, b):
    return all(np.array_equal(a[k], b[k]) for k in a)


# ---- training works --------------------------------------------------------------------------


def test_fit_trains_blobs_and_xor():
    learn = quiet_learner(make_dls(blobs_ds), lr=1e-2, metrics=accuracy)
    learn.fit(3)
    assert learn.recorder.values[-1][2] >= 0.97
    learn = quiet_learner(lr=1e-2, metrics=accuracy, model=mlp(64))
    learn.fit(10)
    loss, acc = learn.validate()
    assert acc >= 0.93
    assert loss < learn.recorder.values[0][1]


def test_fit_one_cycle_trains_xor():
    learn = quiet_learner(model=mlp(64), metrics=accuracy)
    learn.fit_one_cycle(8, 3e-2)
    assert learn.validate()[1] >= 0.93


def test_seed_003_argument_order_and_sgd():
    dls = make_dls(blobs_ds)
    learn = T.Learner(mlp(), dls, nn.functional.cross_entropy, lr=0.1, opt_func=ember.optim.SGD,
                      metrics=accuracy)
    learn.remove_cb(T.ProgressCallback)
    assert isinstance(learn.model, nn.Module) and learn.dls is dls
    learn.fit(2)
    assert isinstance(learn.opt, ember.optim.SGD)
    assert learn.validate()[1] > 0.95


# ---- events ----------------------------------------------------------------------------------


class EventLog(T.Callback):
    def __init__(self, raise_at=None, exc=None):
        self.events, self.raise_at, self.exc = [], raise_at, exc

    def __getattr__(self, name):
        if name in T.EVENTS:
            return functools.partial(self._record, name)
        return super().__getattr__(name)

    def _record(self, name):
        self.events.append(name)
        if self.raise_at is not None and self.raise_at(self, name):
            raise self.exc()


TRAIN_BATCH = ["before_batch", "after_pred", "after_loss", "before_backward", "after_backward",
               "before_step", "after_step", "before_zero_grad", "after_batch"]
VALID_BATCH = ["before_batch", "after_pred", "after_loss", "after_batch"]


def epoch_events(n_train=2, n_valid=1):
    return (["before_epoch", "before_train"] + TRAIN_BATCH * n_train + ["after_train", "before_validate"]
            + VALID_BATCH * n_valid + ["after_validate", "after_epoch"])


def test_event_order_is_the_documented_sequence():
    log = EventLog()
    learn = quiet_learner(tiny_dls(), cbs=log)
    log.events.clear()   # drop after_create
    learn.fit(2)
    assert log.events == ["before_fit"] + epoch_events() * 2 + ["after_fit"]


def run_cancel(exc, when):
    log = EventLog(raise_at=when, exc=exc)
    learn = quiet_learner(tiny_dls(), cbs=log, lr=0.1, opt_func=ember.optim.SGD)
    log.events.clear()
    w0 = weights(learn.model)
    learn.fit(1)
    return log.events, w0, learn


def test_cancel_batch_skips_rest_of_batch():
    ev, w0, learn = run_cancel(T.CancelBatchException, lambda cb, e: e == "after_pred" and cb.training)
    cancelled = ["before_batch", "after_pred", "after_cancel_batch", "after_batch"]
    assert ev == (["before_fit", "before_epoch", "before_train"] + cancelled * 2
                  + ["after_train", "before_validate"] + VALID_BATCH
                  + ["after_validate", "after_epoch", "after_fit"])
    assert same_weights(w0, weights(learn.model))


def test_cancel_backward_skips_backward_but_steps():
    ev, w0, learn = run_cancel(T.CancelBackwardException, lambda cb, e: e == "before_backward")
    batch = ["before_batch", "after_pred", "after_loss", "before_backward", "after_cancel_backward",
             "after_backward", "before_step", "after_step", "before_zero_grad", "after_batch"]
    assert ev[3:3 + 2 * len(batch)] == batch * 2
    assert same_weights(w0, weights(learn.model))   # no gradients, so the step changed nothing


def test_cancel_step_skips_step_and_still_zeroes_grads():
    grads = []

    class Probe(T.Callback):
        order = 100

        def after_batch(self):
            if self.training:
                grads.append([p.grad for p in self.model.parameters()])

    log = EventLog(raise_at=lambda cb, e: e == "before_step", exc=T.CancelStepException)
    learn = quiet_learner(tiny_dls(), cbs=[log, Probe()], lr=0.1, opt_func=ember.optim.SGD)
    w0 = weights(learn.model)
    log.events.clear()
    learn.fit(1)
    batch = TRAIN_BATCH[:6] + ["after_cancel_step", "after_step", "before_zero_grad", "after_batch"]
    assert log.events[3:3 + 2 * len(batch)] == batch * 2
    assert same_weights(w0, weights(learn.model))
    assert all(g is None for gs in grads for g in gs)


def test_cancel_train_goes_to_after_train_and_validates():
    ev, _, _ = run_cancel(T.CancelTrainException, lambda cb, e: e == "before_batch" and cb.training
                          and cb.iter == 1)
    assert ev == (["before_fit", "before_epoch", "before_train"] + TRAIN_BATCH
                  + ["before_batch", "after_cancel_train", "after_train", "before_validate"] + VALID_BATCH
                  + ["after_validate", "after_epoch", "after_fit"])


def test_cancel_valid_goes_to_after_validate():
    ev, _, _ = run_cancel(T.CancelValidException, lambda cb, e: e == "before_validate")
    assert ev[-5:] == ["before_validate", "after_cancel_validate", "after_validate", "after_epoch",
                       "after_fit"]
    assert "after_pred" not in ev[ev.index("before_validate"):]


def test_cancel_epoch_goes_to_next_epoch():
    log = EventLog(raise_at=lambda cb, e: e == "after_train", exc=T.CancelEpochException)
    learn = quiet_learner(tiny_dls(), cbs=log)
    log.events.clear()
    learn.fit(2)
    one = ["before_epoch", "before_train"] + TRAIN_BATCH * 2 + ["after_train", "after_cancel_epoch",
                                                               "after_epoch"]
    assert log.events == ["before_fit"] + one * 2 + ["after_fit"]
    assert len(learn.recorder.values) == 2


def test_cancel_fit_stops_training():
    log = EventLog(raise_at=lambda cb, e: e == "after_epoch", exc=T.CancelFitException)
    learn = quiet_learner(tiny_dls(), cbs=log)
    log.events.clear()
    learn.fit(5)
    assert log.events == ["before_fit"] + epoch_events() + ["after_cancel_fit", "after_fit"]
    assert learn.pred is None and learn.xb == ()   # cleaned up


def test_other_exceptions_propagate_and_call_cbs_are_removed():
    class Boom(T.Callback):
        def after_loss(self):
            raise ZeroDivisionError("boom")

    log = EventLog()
    learn = quiet_learner(tiny_dls(), cbs=log)
    boom = Boom()
    with pytest.raises(ZeroDivisionError, match="boom"):
        learn.fit(1, cbs=boom)
    assert "after_fit" not in log.events and "after_batch" not in log.events
    assert boom not in learn.cbs and not hasattr(learn, "boom")


def test_cbs_for_one_call_only():
    log = EventLog()
    learn = quiet_learner(tiny_dls())
    learn.fit(1, cbs=log)
    assert "after_fit" in log.events
    assert log not in learn.cbs and not hasattr(learn, "event_log") and log.learn is None
    n = len(log.events)
    learn.fit(1)
    assert len(log.events) == n
    # a class is instantiated for the call
    learn.fit(1, cbs=[EventLog])
    assert not any(isinstance(c, EventLog) for c in learn.cbs)


def test_callback_order_and_names():
    seen = []

    def mk(name, order):
        return type(name, (T.Callback,), {"order": order, "before_fit": lambda self: seen.append(name)})

    learn = quiet_learner(tiny_dls(), cbs=[mk("CbB", 5)(), mk("CbA", -5)(), mk("CbC", 0)(), mk("CbD", 0)()])
    learn.fit(1)
    assert seen == ["CbA", "CbC", "CbD", "CbB"]
    assert [type(c).__name__ for c in learn.ordered_cbs("before_fit")][:2] == ["TrainEvalCallback", "CbA"]
    assert learn.recorder.name == "recorder" and learn.train_eval.name == "train_eval"
    assert T.LRFinder().name == "lr_finder" and T.TerminateOnNaN().name == "terminate_on_nan"


def test_callbacks_reach_learner_attributes():
    got = {}

    class Peek(T.Callback):
        def after_loss(self):
            if self.training and self.iter == 1 and self.epoch == 1:
                got.update(model=self.model, xb=self.xb, yb=self.yb, pred=self.pred, loss=self.loss,
                           epoch=self.epoch, n_epoch=self.n_epoch, iter=self.iter, n_iter=self.n_iter,
                           opt=self.opt, dls=self.dls, learner=self.learner, x=self.x)

        def after_fit(self):
            self.learn.peeked = True   # writes go through self.learn

    learn = quiet_learner(tiny_dls())
    learn.fit(2, cbs=Peek())
    assert got["model"] is learn.model and got["opt"] is learn.opt and got["dls"] is learn.dls
    assert got["learner"] is learn and got["epoch"] == 1 and got["n_epoch"] == 2
    assert got["iter"] == 1 and got["n_iter"] == 2
    assert got["xb"][0].shape == (2, 2) and got["yb"][0].shape == (2,) and got["x"] is got["xb"][0]
    assert got["pred"].shape == (2, 2) and got["loss"].dim() == 0 and not got["loss"].requires_grad
    assert learn.peeked
    with pytest.raises(AttributeError):
        T.Callback().model


def test_run_flags():
    log = EventLog()
    log.run_valid = False
    learn = quiet_learner(tiny_dls(), cbs=log)
    log.events.clear()
    learn.fit(1)
    i = log.events.index("before_validate")
    assert log.events[i + 1] == "after_validate"   # no batch events while validating

    class Off(T.Callback):
        calls = 0

        def before_fit(self):
            self.run = False   # off for the rest of this fit

        def before_epoch(self):
            Off.calls += 1

    off = Off()
    learn.add_cb(off)
    learn.fit(2)
    assert Off.calls == 0 and off.run


def test_engine_directly_without_learner():
    model = mlp()
    eng = T.Engine(model, tiny_dls(), nn.CrossEntropyLoss(), cbs=[T.TrainEvalCallback(), T.Recorder()])
    eng.opt = ember.optim.SGD(model.parameters(), lr=0.1)
    w0 = weights(model)
    eng.run_fit(2)
    assert len(eng.recorder.values) == 2 and not same_weights(w0, weights(model))


# ---- schedules and lr_find -------------------------------------------------------------------


def test_one_cycle_lr_and_mom_follow_the_formula():
    learn = quiet_learner(make_dls(n_train=160, bs=16))   # 10 batches
    learn.fit_one_cycle(3, lr_max=1e-2, div=25, div_final=1e5, pct_start=0.25)
    n = 30
    lrs, moms = np.array(learn.recorder.lrs), np.array(learn.recorder.hps["mom"])
    pos = np.arange(n) / n

    def cos(a, b, p):
        return a + (1 + np.cos(np.pi * (1 - p))) * (b - a) / 2

    up = pos < 0.25
    exp_lr = np.where(up, cos(1e-2 / 25, 1e-2, pos / 0.25), cos(1e-2, 1e-7, (pos - 0.25) / 0.75))
    exp_mom = np.where(up, cos(0.95, 0.85, pos / 0.25), cos(0.85, 0.95, (pos - 0.25) / 0.75))
    np.testing.assert_allclose(lrs, exp_lr, rtol=1e-12)
    np.testing.assert_allclose(moms, exp_mom, rtol=1e-12)
    assert learn.opt.param_groups[0]["betas"][0] == pytest.approx(moms[-1])


def test_one_cycle_shape_matches_torch_onecyclelr():
    n, lr_max = 2000, 1e-2
    sched = T.OneCycleScheduler(np.array([lr_max]), div=25, div_final=1e4 * 25, pct_start=0.3)
    ours = np.array([sched.scheds["lr"](i / n)[0] for i in range(n)])
    ours_mom = np.array([sched.scheds["mom"](i / n) for i in range(n)])
    p = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([p], lr=lr_max, momentum=0.9)
    ts = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr_max, total_steps=n, pct_start=0.3,
                                             div_factor=25, final_div_factor=1e4, base_momentum=0.85,
                                             max_momentum=0.95)
    theirs, theirs_mom = [], []
    for _ in range(n):
        theirs.append(opt.param_groups[0]["lr"])
        theirs_mom.append(opt.param_groups[0]["momentum"])
        opt.step()
        ts.step()
    # Same start, peak and end; the curves differ only by torch's one-step offset at the ends.
    assert ours[0] == pytest.approx(theirs[0]) and ours.max() == pytest.approx(max(theirs), rel=1e-5)
    np.testing.assert_allclose(ours, theirs, atol=lr_max * 3e-3)
    np.testing.assert_allclose(ours_mom, theirs_mom, atol=1e-3)


def test_fit_flat_cos_and_discriminative_lrs():
    model = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 2))
    learn = quiet_learner(make_dls(n_train=160, bs=16), model=model,
                          splitter=lambda m: [m[0], m[2]])
    learn.fit_flat_cos(2, lr=slice(1e-4, 1e-2), pct_start=0.5)
    lrs = np.array(learn.recorder.lrs)
    assert np.allclose(lrs[:10], 1e-2) and lrs[-1] < 1e-3 and np.all(np.diff(lrs[10:]) <= 0)
    assert learn.opt.param_groups[0]["lr"] == pytest.approx(learn.opt.param_groups[1]["lr"] / 100)
    learn.fit(1, lr=slice(1e-3))
    assert [g["lr"] for g in learn.opt.param_groups] == pytest.approx([1e-4, 1e-3])


def test_schedule_functions():
    assert T.SchedLin(0, 10)(0.3) == pytest.approx(3)
    assert T.SchedCos(0, 10)(0.5) == pytest.approx(5) and T.SchedCos(0, 10)(1) == pytest.approx(10)
    assert T.SchedExp(1e-3, 1e-1)(0.5) == pytest.approx(1e-2)
    assert T.SchedNo(2, 5)(0.7) == 2
    assert T.SchedPoly(0, 8, 3)(0.5) == pytest.approx(1)
    f = T.combine_scheds([0.3, 0.7], [T.SchedLin(0, 1), T.SchedLin(1, 0)])
    assert [f(p) for p in (0, 0.15, 0.3, 0.65, 1.0)] == pytest.approx([0, 0.5, 1, 0.5, 0])
    g = T.combined_cos(0.0, 1, 2, 3)   # a zero-length first phase
    assert g(0) == pytest.approx(2) and g(1) == pytest.approx(3)
    np.testing.assert_allclose(T.SchedLin([0, 1], [2, 3])(0.5), [1, 2])
    with pytest.raises(ValueError):
        T.combine_scheds([0.5, 0.6], [T.SchedNo(0, 0)] * 2)


def test_lr_find_suggests_and_restores():
    learn = quiet_learner(make_dls(blobs_ds, n_train=320))
    learn.fit(1)
    w0, opt0 = weights(learn.model), learn.opt.state_dict()
    step0 = float(opt0["state"][0]["step"])
    res = learn.lr_find(num_it=60, show_plot=False)
    assert res._fields == ("valley", "steepest", "minimum")
    assert all(1e-7 <= v <= 10 for v in res)
    cb = learn.lr_find_results
    assert np.all(np.diff(cb.lrs) > 0) and len(cb.lrs) <= 60
    assert cb.lrs[0] == pytest.approx(1e-7)
    assert same_weights(w0, weights(learn.model))
    assert float(learn.opt.state_dict()["state"][0]["step"]) == step0
    assert not hasattr(learn, "lr_finder") and learn.recorder is not None
    # the suggestions train
    learn2 = quiet_learner(make_dls(blobs_ds), metrics=accuracy)
    loss0 = learn2.validate()[0]
    learn2.fit(2, lr=res.valley)
    assert 1e-5 < res.valley < 1 and learn2.validate()[0] < loss0
    learn2.fit(2, lr=res.steepest)
    assert learn2.validate()[1] > 0.9


def test_suggestion_functions_on_a_known_curve():
    lrs = np.logspace(-6, 0, 61)
    # flat, then falls (steepest at 1e-3), bottoms near 1e-2, then diverges
    x = np.log10(lrs)
    losses = 2 - np.tanh((x + 3) * 2) + np.where(x > -1.5, (x + 1.5) ** 2 * 8, 0)
    v, _ = T.valley(lrs, losses)
    s, _ = T.steepest(lrs, losses)
    m, (mlr, mloss) = T.minimum(lrs, losses)
    assert s == pytest.approx(1e-3, rel=0.3)
    assert mloss == losses.min() and m == pytest.approx(mlr / 10)
    assert 1e-5 < v < mlr


# ---- recorder, predictions -------------------------------------------------------------------


def test_recorder_contents():
    learn = quiet_learner(make_dls(n_train=96, n_valid=40, bs=32), metrics=[accuracy])
    batch_losses = []

    class Grab(T.Callback):
        def after_batch(self):
            if self.training:
                batch_losses.append((float(self.loss), self.y.shape[0]))

    learn.fit(2, cbs=Grab())
    rec = learn.recorder
    assert rec.metric_names == ["epoch", "train_loss", "valid_loss", "accuracy", "time"]
    assert len(rec.losses) == len(rec.batch_losses) == len(rec.lrs) == 6 and rec.iters == list(range(6))
    assert rec.batch_losses == pytest.approx([b for b, _ in batch_losses])
    assert rec.lrs == pytest.approx([1e-3] * 6)
    # the smoothed loss is the debiased moving average
    avg, beta = 0.0, 0.98
    for i, (b, _) in enumerate(batch_losses[:3]):
        avg = beta * avg + (1 - beta) * b
        assert rec.losses[i] == pytest.approx(avg / (1 - beta ** (i + 1)))
    assert rec.values[0][0] == pytest.approx(np.mean([b for b, _ in batch_losses[:3]]))
    assert len(rec.values) == 2 and rec.log[0] == 1 and len(rec.log) == 5 and ":" in rec.log[-1]
    valid_loss, acc = learn.validate()
    assert rec.values[-1][1:] == pytest.approx([valid_loss, acc])
    assert list(rec.history) == ["train_loss", "valid_loss", "accuracy"]
    assert rec.epoch_iters == [3, 6]


def test_train_and_valid_metrics():
    learn = quiet_learner(metrics=accuracy)
    learn.remove_cb(T.Recorder).add_cb(T.Recorder(train_metrics=True))
    learn.fit(1)
    assert learn.recorder.metric_names == ["epoch", "train_loss", "valid_loss", "train_accuracy",
                                           "valid_accuracy", "time"]
    assert all(0 <= v <= 1 for v in learn.recorder.values[0][2:])


def test_get_preds_predict_validate():
    learn = quiet_learner(make_dls(blobs_ds), metrics=accuracy)
    learn.fit(2, lr=1e-2)
    preds, targs = learn.get_preds()
    ds = learn.dls.valid_ds
    assert preds.shape == (128, 2) and targs.shape == (128,)
    np.testing.assert_allclose(preds.sum(1).numpy(), 1, rtol=1e-5)   # softmax applied
    np.testing.assert_array_equal(targs.numpy(), ds.tensors[1].numpy())
    inp, p2, t2, dec, losses = learn.get_preds(with_input=True, with_decoded=True, with_loss=True)
    np.testing.assert_array_equal(inp.numpy(), ds.tensors[0].numpy())
    np.testing.assert_array_equal(dec.numpy(), preds.argmax(1).numpy())
    loss, acc = learn.validate()
    assert losses.shape == (128,) and float(losses.mean()) == pytest.approx(loss, rel=1e-5)
    assert acc == pytest.approx(float((dec == targs).float().mean()))
    raw = learn.get_preds(act=lambda x: x, with_targs=False)
    np.testing.assert_allclose(nn.functional.softmax(raw, dim=1).numpy(), preds.numpy(), rtol=1e-5)
    label, d, probs = learn.predict(ds[0][0])
    assert int(d) == int(dec[0]) and np.allclose(probs.numpy(), preds[0].numpy(), rtol=1e-5)
    learn.dls.vocab = ["neg", "pos"]
    assert learn.predict(ds[0])[0] == ["neg", "pos"][int(dec[0])]
    # a test loader without targets
    preds_t, targs_t = learn.get_preds(dl=DataLoader(ds.tensors[0], batch_size=50))
    assert targs_t is None and np.allclose(preds_t.numpy(), preds.numpy(), rtol=1e-5)


def test_get_preds_decoders_of_other_losses():
    ds = blobs_ds(64, 5)
    x, y = ds.tensors
    dls = T.DataLoaders(DataLoader(TensorDataset(x, y.float()), batch_size=32),
                        DataLoader(TensorDataset(x, y.float()), batch_size=32))
    ember.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 1), nn.Flatten(0))
    learn = T.Learner(dls, model, nn.BCEWithLogitsLoss())
    learn.remove_cb(T.ProgressCallback)
    preds, _, dec = learn.get_preds(with_decoded=True)
    assert float(preds.min()) >= 0 and float(preds.max()) <= 1
    np.testing.assert_array_equal(dec.numpy(), (preds.numpy() > 0.5).astype(np.int64))


# ---- checkpoints, freezing, summary, devices ---------------------------------------------------


def test_save_load_round_trip(tmp_path):
    learn = quiet_learner(path=tmp_path)
    learn.fit(1)
    w, opt_sd = weights(learn.model), copy.deepcopy(learn.opt.state_dict())
    f = learn.save("ckpt")
    assert f == tmp_path / "models" / "ckpt.pth" and f.exists()
    assert sorted(os.listdir(tmp_path / "models")) == ["ckpt.pth"]   # no temporary file left
    learn.fit(1)
    assert not same_weights(w, weights(learn.model))
    learn.load("ckpt")
    assert same_weights(w, weights(learn.model))
    got = learn.opt.state_dict()
    assert float(got["state"][0]["step"]) == float(opt_sd["state"][0]["step"])
    np.testing.assert_array_equal(got["state"][0]["exp_avg"].numpy(), opt_sd["state"][0]["exp_avg"].numpy())
    # a fresh learner (no optimizer yet) loads model and optimizer
    other = quiet_learner(path=tmp_path, model=mlp(seed=5))
    other.load("ckpt")
    assert same_weights(w, weights(other.model)) and other.opt is not None
    # without the optimizer; and a plain state dict
    learn.save(tmp_path / "m_only.pth", with_opt=False)
    ember.save(learn.model.state_dict(), tmp_path / "plain.pth")
    other2 = quiet_learner(model=mlp(seed=6))
    other2.load(tmp_path / "plain.pth")
    assert same_weights(weights(learn.model), weights(other2.model)) and other2.opt is None


def test_freeze_unfreeze_by_parameter_groups():
    ember.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 16), nn.BatchNorm1d(16), nn.ReLU(), nn.Linear(16, 2))

    def splitter(m):
        return [list(m[0].parameters()) + list(m[1].parameters()), m[3]]

    learn = quiet_learner(model=model, splitter=splitter, lr=1e-2)
    learn.freeze()
    w0 = weights(model)
    learn.fit(1)
    w1 = weights(model)
    assert np.array_equal(w0["0.weight"], w1["0.weight"]) and np.array_equal(w0["0.bias"], w1["0.bias"])
    assert not np.array_equal(w0["1.weight"], w1["1.weight"])   # batch norm stays trainable
    assert not np.array_equal(w0["3.weight"], w1["3.weight"])
    assert "Model frozen up to parameter group #-1" in learn.summary()
    learn.unfreeze()
    learn.fit(1)
    assert not np.array_equal(w1["0.weight"], weights(model)["0.weight"])
    assert all(p.requires_grad for p in model.parameters())
    learn.train_bn = False
    learn.freeze_to(1)
    assert not model[1].weight.requires_grad and model[3].weight.requires_grad


def test_summary_text():
    learn = quiet_learner(model=nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 2)))
    s = learn.summary()
    lines = s.splitlines()
    assert lines[0] == "Sequential (Input shape: 32 x 2)"
    assert any("0 (Linear)" in ln and "32 x 8" in ln and "24" in ln and "True" in ln for ln in lines)
    assert any("1 (ReLU)" in ln and "32 x 8" in ln for ln in lines)
    assert any("2 (Linear)" in ln and "32 x 2" in ln and "18" in ln for ln in lines)
    assert "Total params: 42" in s and "Total trainable params: 42" in s
    assert "Optimizer used: Adam" in s and "CrossEntropyLoss" in s and "Recorder" in s
    assert repr(s) == str(s)
    assert learn.model.training   # summary restores the mode


def test_to_device_and_no_bar(capsys):
    learn = T.Learner(make_dls(n_train=64), mlp(), nn.CrossEntropyLoss())
    assert learn.to("cpu") is learn and str(learn.device) == "cpu"
    with learn.no_bar():
        learn.fit(1)
    assert capsys.readouterr().out == ""
    assert any(isinstance(c, T.ProgressCallback) for c in learn.cbs)


def test_no_validation_loader_and_fine_tune():
    dls = T.DataLoaders(DataLoader(xor_ds(64, 1), batch_size=16))
    log = EventLog()
    learn = quiet_learner(dls, cbs=log, metrics=accuracy)
    learn.fit(1)
    assert "before_validate" not in log.events
    assert math.isnan(learn.recorder.values[0][1]) and not math.isnan(learn.recorder.values[0][0])
    model = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 2))
    learn = quiet_learner(model=model, splitter=lambda m: [m[0], m[2]])
    w0 = weights(model)
    learn.fine_tune(1, base_lr=1e-2, freeze_epochs=1)
    assert learn.frozen_idx == 0 and all(p.requires_grad for p in model.parameters())
    lr0, lr1 = [g["lr"] for g in learn.opt.param_groups]
    assert lr1 == pytest.approx(100 * lr0) and lr1 < 5e-3   # discriminative, annealed
    assert not same_weights(w0, weights(model))


def test_dataloaders():
    tr, va, te = xor_ds(10, 0), xor_ds(6, 1), xor_ds(4, 2)
    dls = T.DataLoaders.from_dsets(tr, va, te, bs=4)
    assert dls.train is dls[0] and dls.valid is dls[1] and dls.test is dls[2] and len(dls) == 3
    assert len(dls.train) == 3 and len(dls.valid) == 1 and dls.train_ds is tr
    xb, yb = dls.one_batch()
    assert xb.shape == (4, 2) and "train: 3 batches" in repr(dls)
    assert T.DataLoaders(dls.train, dls.valid).test is None


# ---- metrics from ember.metrics (written concurrently; skipped until present) -------------------


def test_ember_metrics_as_learner_metrics():
    M = pytest.importorskip("ember.metrics")
    learn = quiet_learner(make_dls(blobs_ds), lr=1e-2,
                          metrics=[M.accuracy, M.error_rate, M.Accuracy(task="multiclass", num_classes=2)])
    learn.fit(1)
    names = learn.recorder.metric_names
    assert names[3:5] == ["accuracy", "error_rate"]
    acc, err, acc2 = learn.recorder.values[-1][2:5]
    assert acc == pytest.approx(1 - err) and acc2 == pytest.approx(acc, abs=1e-6)
    # fastai-style accumulating metrics, checked against the validation predictions
    learn.metrics = [M.F1(), M.RocAucBinary(), M.ConfusionMatrix(task="multiclass", num_classes=2)]
    learn.fit(1)
    assert learn.recorder.metric_names[3:6] == ["f1_score", "roc_auc_score", "confusion_matrix"]
    f1, auc, cm = learn.recorder.values[-1][2:5]
    preds, targs = learn.get_preds()
    from sklearn.metrics import f1_score, roc_auc_score
    assert f1 == pytest.approx(f1_score(targs.numpy(), preds.argmax(1).numpy()))
    assert auc == pytest.approx(roc_auc_score(targs.numpy(), preds[:, 1].numpy()), rel=1e-6)
    assert isinstance(cm, np.ndarray) and cm.sum() == 128


# ---- plots -----------------------------------------------------------------------------------


def test_plots_write_files(tmp_path):
    pytest.importorskip("matplotlib")
    from ember.train import plots
    stats = T.ActivationStats(with_hist=True)
    learn = quiet_learner(model=mlp(64), metrics=accuracy, cbs=stats)
    learn.fit_one_cycle(2, 1e-2)
    learn.lr_find(num_it=20, show_plot=False)
    files = {
        "loss": plots.plot_loss(learn, fname=tmp_path / "loss.png"),
        "metrics": learn.recorder.plot_metrics(fname=tmp_path / "metrics.png"),
        "lr": plots.plot_lr(learn, fname=tmp_path / "lr.png"),
        "lr_find": plots.plot_lr_find(learn, fname=tmp_path / "lr_find.png"),
        "act": stats.plot_layer_stats(fname=tmp_path / "act.png"),
        "color": stats.color_dim(0, fname=tmp_path / "color.png"),
        "cm": plots.plot_confusion_matrix(learn, classes=["a", "b"], fname=tmp_path / "cm.png"),
        "dec": plots.plot_decision_regions(learn.dls.valid_ds.tensors[0], learn.dls.valid_ds.tensors[1],
                                           learn.model, fname=tmp_path / "dec.png"),
    }
    for name in files:
        f = tmp_path / f"{name}.png"
        assert f.exists() and f.stat().st_size > 1000, name
    import matplotlib
    assert matplotlib.get_backend().lower() == "agg"


def test_confusion_matrix_and_decision_regions_logic():
    from ember.train import plots
    cm = plots.confusion_matrix(ember.tensor([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4]]), ember.tensor([0, 1, 1]))
    np.testing.assert_array_equal(cm, [[1, 0], [1, 1]])
    grid = np.array([[0.5, 0.5], [-0.5, 0.5]], dtype=np.float32)

    class Seed000Like(nn.Module):   # a model with predict(numpy) -> float labels, as in seed 000
        def forward(self, x):
            return ember.sigmoid(x[:, :1] * x[:, 1:] * 10)

        def predict(self, x):
            return (self.forward(ember.tensor(x))[:, 0] >= 0.5).float()

    np.testing.assert_array_equal(plots._predict_labels(Seed000Like(), grid, None), [1, 0])
    probs = nn.Sequential(nn.Linear(2, 1), nn.Sigmoid())
    lab = plots._predict_labels(probs, grid, None)
    assert set(np.unique(lab)) <= {0.0, 1.0}
    with pytest.raises(ValueError, match="2-D"):
        plots.plot_decision_regions(np.zeros((3, 3)), np.zeros(3), probs)


def test_math_helpers():
    assert T.format_time(5) == "00:05" and T.format_time(3725) == "1:02:05"
    from ember.train._hypers import even_mults, lr_per_group
    assert even_mults(1e-4, 1e-2, 3) == pytest.approx([1e-4, 1e-3, 1e-2])
    assert lr_per_group(slice(1e-2), 3) == pytest.approx([1e-3, 1e-3, 1e-2])
    assert math.isnan(T.AvgLoss().value)
