"""ember.lightning against real PyTorch Lightning 2.6: the same LightningModule program on the same
data under both stacks (pytorch_lightning + torch, ember.lightning + ember), comparing what a user
sees: hook order, counters, logged metrics, checkpoints, return values, errors."""

import csv
import os
import warnings

import numpy as np
import pytest

from tests._lit_programs import Stack, recorder, weights

pytest.importorskip("pytorch_lightning")

warnings.filterwarnings(
    "ignore",
    message=".*(does not have many workers|LeafSpec|GPU available|TPU|HPU|litlogger|"
    "max_epochs|Checkpoint directory|sync_dist).*",
)


@pytest.fixture(scope="module")
def stacks():
    return {"torch": Stack("torch"), "ember": Stack("ember")}


def both(stacks, fn):
    return fn(stacks["torch"]), fn(stacks["ember"])


def run_hooks(s, tmp_path, fit_kwargs=None, after=None, **trainer_kw):
    log = []
    model = s.module_class(log=log)()
    trainer = s.trainer(tmp_path / s.name, callbacks=[recorder(s, log)], **trainer_kw)
    trainer.fit(model, s.loader(), s.loader(n=16), **(fit_kwargs or {}))
    if after:
        after(s, trainer, model)
    # Lightning calls optimizer_step around its closure (before training_step); ember's engine
    # calls it after the backward pass: the one documented difference in the sequence.
    return [e for e in log if e != "m.optimizer_step"], trainer


@pytest.mark.parametrize(
    "kw",
    [
        dict(max_epochs=2, limit_train_batches=2, limit_val_batches=1, num_sanity_val_steps=1),
        dict(max_epochs=1, accumulate_grad_batches=2),
        dict(max_epochs=1, val_check_interval=0.5, num_sanity_val_steps=0),
        dict(max_epochs=3, check_val_every_n_epoch=2, limit_train_batches=1),
        dict(max_steps=2, max_epochs=5),
        dict(fast_dev_run=True),
    ],
)
def test_hook_order_and_counters_match_lightning(stacks, tmp_path, kw):
    (t_log, t), (e_log, e) = both(stacks, lambda s: run_hooks(s, tmp_path, **kw))
    assert e_log == t_log
    assert (e.global_step, e.current_epoch) == (t.global_step, t.current_epoch)


def test_validate_test_predict_hooks_and_returns(stacks, tmp_path):
    def go(s):
        log = []
        model = s.module_class(log=log)()
        tr = s.trainer(tmp_path / s.name, callbacks=[recorder(s, log)])
        v = tr.validate(model, s.loader(n=16), verbose=False)
        te = tr.test(model, s.loader(n=16), verbose=False)
        p = tr.predict(model, s.loader(n=16))
        return log, v, te, [np.asarray(x.numpy()) for x in p]

    (tl, tv, tt, tp), (el, ev, et, ep) = both(stacks, go)
    assert el == tl
    assert [sorted(d) for d in ev] == [sorted(d) for d in tv]
    for a, b in zip(ev + et, tv + tt):
        assert a.keys() == b.keys()
        for k in a:
            assert isinstance(a[k], float)
            assert a[k] == pytest.approx(b[k], rel=1e-5)
    assert len(ep) == len(tp) and all((a == b).all() for a, b in zip(ep, tp))


def read_csv(path):
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    return rows


@pytest.mark.parametrize(
    "kw",
    [
        dict(max_epochs=2, log_every_n_steps=2),
        dict(max_epochs=2, log_every_n_steps=1, accumulate_grad_batches=2),
        dict(max_epochs=1),  # log_every_n_steps=50: no step-level rows at all
    ],
)
def test_logged_metrics_csv_and_trainer_dicts_match(stacks, tmp_path, kw):
    def go(s):
        model = s.module_class(log_both=True)()
        logger = s.loggers.CSVLogger(str(tmp_path / s.name))
        tr = s.trainer(tmp_path / s.name, logger=logger, **kw)
        tr.fit(model, s.loader(), s.loader(n=16))
        rows = read_csv(os.path.join(logger.log_dir, "metrics.csv"))
        return rows, tr

    (trows, t), (erows, e) = both(stacks, go)
    assert list(erows[0].keys()) == list(trows[0].keys())
    assert len(erows) == len(trows)
    for a, b in zip(erows, trows):
        for k in b:
            if b[k] == "" or k in ("step", "epoch"):
                assert a[k] == b[k], (k, a, b)
            else:
                assert float(a[k]) == pytest.approx(float(b[k]), rel=1e-4), k
    for name in ("callback_metrics", "logged_metrics", "progress_bar_metrics"):
        tm, em = getattr(t, name), getattr(e, name)
        assert sorted(em) == sorted(tm), name
        for k in tm:
            assert float(em[k]) == pytest.approx(float(tm[k]), rel=1e-4), (name, k)


def test_metric_objects_logged_like_torchmetrics(stacks, tmp_path):
    def go(s):
        model = s.module_class(metric=True)()
        tr = s.trainer(
            tmp_path / s.name,
            max_epochs=2,
            log_every_n_steps=1,
            logger=s.loggers.CSVLogger(str(tmp_path / s.name)),
        )
        tr.fit(model, s.loader(), s.loader(n=16))
        return {k: float(v) for k, v in tr.callback_metrics.items()}, read_csv(
            os.path.join(tr.logger.log_dir, "metrics.csv")
        )

    (tm, trows), (em, erows) = both(stacks, go)
    assert sorted(em) == sorted(tm)
    for k in tm:
        assert em[k] == pytest.approx(tm[k], rel=1e-5), k
    # the metric object's per-batch value (its last forward) at each logged step
    col = [(a["train_acc_step"], b["train_acc_step"]) for a, b in zip(erows, trows)]
    assert len(erows) == len(trows) and any(b for _, b in col)
    for a, b in col:
        assert (a == b == "") or float(a) == pytest.approx(float(b))


@pytest.mark.parametrize("sched", ["step", "epoch", "plateau"])
def test_schedulers_and_weights_follow_lightning(stacks, tmp_path, sched):
    def go(s):
        model = s.module_class(sched=sched)()
        tr = s.trainer(tmp_path / s.name, max_epochs=3, gradient_clip_val=0.5)
        tr.fit(model, s.loader(), s.loader(n=16))
        return tr.optimizers[0].param_groups[0]["lr"], weights(model)

    (tlr, tw), (elr, ew) = both(stacks, go)
    assert elr == pytest.approx(tlr)
    for k in tw:
        np.testing.assert_allclose(ew[k], tw[k], rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("opts", [dict(manual=True), dict(opt="adam")])
def test_manual_optimization_and_adam_match(stacks, tmp_path, opts):
    def go(s):
        model = s.module_class(**opts)()
        clip = {} if opts.get("manual") else dict(gradient_clip_val=1.0, gradient_clip_algorithm="value")
        tr = s.trainer(tmp_path / s.name, max_epochs=2, **clip)
        tr.fit(model, s.loader(), s.loader(n=16))
        return tr.global_step, weights(model)

    (ts, tw), (es, ew) = both(stacks, go)
    assert es == ts
    for k in tw:
        np.testing.assert_allclose(ew[k], tw[k], rtol=1e-4, atol=1e-5)


def ckpt_files(d):
    return sorted(os.listdir(d)) if os.path.isdir(d) else []


def test_checkpoint_names_contents_and_best(stacks, tmp_path):
    def go(s):
        model = s.module_class(hparams=True)(hidden=6)
        d = tmp_path / s.name / "ck"
        mc = s.callbacks.ModelCheckpoint(
            dirpath=str(d),
            monitor="val_loss",
            mode="min",
            save_top_k=2,
            save_last=True,
            filename="{epoch}-{val_loss:.2f}",
        )
        tr = s.trainer(tmp_path / s.name, max_epochs=4, callbacks=[mc], enable_checkpointing=True)
        tr.fit(model, s.loader(), s.loader(n=16))
        ck = (
            s.torch.load(mc.best_model_path, weights_only=False)
            if s.name == "torch"
            else s.torch.load(mc.best_model_path)
        )
        res = tr.test(model, s.loader(n=16), ckpt_path="best", verbose=False)
        again = type(model).load_from_checkpoint(mc.best_model_path)
        return ckpt_files(d), ck, os.path.basename(mc.best_model_path), res, again.hparams, tr

    (tf, tck, tbest, tres, thp, t), (ef, eck, ebest, eres, ehp, e) = both(stacks, go)
    assert ef == tf and ebest == tbest
    assert sorted(eck) == sorted(tck)
    assert sorted(eck["callbacks"]) == sorted(tck["callbacks"])
    (key,) = tck["callbacks"]
    assert sorted(eck["callbacks"][key]) == sorted(tck["callbacks"][key])
    for k in ("epoch", "global_step", "hparams_name"):
        assert eck[k] == tck[k]
    assert dict(eck["hyper_parameters"]) == dict(tck["hyper_parameters"]) == {"hidden": 6, "lr": 0.1}
    assert sorted(eck["state_dict"]) == sorted(tck["state_dict"])
    assert eres[0]["test_loss"] == pytest.approx(tres[0]["test_loss"], rel=1e-4)
    assert dict(ehp) == dict(thp)


def test_default_checkpoint_and_logger_layout(stacks, tmp_path):
    def go(s):
        root = tmp_path / s.name
        for _ in range(2):  # the second fit writes version_1
            tr = s.pl.Trainer(
                max_epochs=2,
                default_root_dir=str(root),
                enable_progress_bar=False,
                enable_model_summary=False,
                accelerator="cpu",
            )
            tr.fit(s.module_class()(), s.loader(), s.loader(n=16))
        out = {}
        for dirpath, _, files in os.walk(root / "lightning_logs"):
            rel = os.path.relpath(dirpath, root)
            out[rel] = sorted(f if not f.startswith("events.out") else "events" for f in files)
        from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

        acc = EventAccumulator(str(root / "lightning_logs" / "version_0"))
        acc.Reload()
        tags = sorted(acc.Tags()["scalars"])
        epoch_steps = [ev.step for ev in acc.Scalars("epoch")]
        return out, tags, epoch_steps, tr.log_dir

    (to, ttags, tsteps, tdir), (eo, etags, esteps, edir) = both(stacks, go)
    assert {k: sorted(set(v)) for k, v in eo.items()} == {k: sorted(set(v)) for k, v in to.items()}
    assert etags == ttags
    assert esteps == tsteps
    assert os.path.relpath(edir, tmp_path / "ember") == os.path.relpath(tdir, tmp_path / "torch")


def test_resume_is_bit_exact_and_counts_like_lightning(stacks, tmp_path):
    def go(s, resume):
        d = tmp_path / s.name / ("r" if resume else "u")
        mc = s.callbacks.ModelCheckpoint(dirpath=str(d), save_last=True, monitor="val_loss", save_top_k=1)
        es = s.callbacks.EarlyStopping(monitor="val_loss", patience=10)
        model = s.module_class(opt="adam", lr=0.01, sched="epoch")()
        if resume:
            tr = s.trainer(d, max_epochs=2, callbacks=[mc, es], enable_checkpointing=True)
            tr.fit(model, s.loader(), s.loader(n=16))
            mc = s.callbacks.ModelCheckpoint(dirpath=str(d), save_last=True, monitor="val_loss", save_top_k=1)
            es = s.callbacks.EarlyStopping(monitor="val_loss", patience=10)
            model = s.module_class(opt="adam", lr=0.01, sched="epoch")()
            tr = s.trainer(d, max_epochs=4, callbacks=[mc, es], enable_checkpointing=True)
            tr.fit(model, s.loader(), s.loader(n=16), ckpt_path=str(d / "last.ckpt"))
        else:
            tr = s.trainer(d, max_epochs=4, callbacks=[mc, es], enable_checkpointing=True)
            tr.fit(model, s.loader(), s.loader(n=16))
        return (
            weights(model),
            tr.global_step,
            tr.current_epoch,
            float(es.best_score),
            es.wait_count,
            tr.optimizers[0].param_groups[0]["lr"],
        )

    e_full, e_res = go(stacks["ember"], False), go(stacks["ember"], True)
    for k in e_full[0]:
        assert np.array_equal(e_full[0][k], e_res[0][k]), k  # bit-identical
    assert e_full[1:] == e_res[1:]
    t_res = go(stacks["torch"], True)
    assert e_res[1:3] == t_res[1:3] and e_res[4:] == t_res[4:]
    assert e_res[3] == pytest.approx(t_res[3], rel=1e-4)


def test_errors_use_lightnings_words(stacks, tmp_path):
    for s in stacks.values():
        pl = s.pl
        MisconfigurationException = (
            pl.utilities.exceptions.MisconfigurationException
            if s.name == "ember"
            else __import__("lightning_fabric").utilities.exceptions.MisconfigurationException
        )

        class NoStep(pl.LightningModule):
            def configure_optimizers(self):
                return None

        with pytest.raises(MisconfigurationException, match=r"No `training_step\(\)` method defined"):
            s.trainer(tmp_path).fit(NoStep(), s.loader())

        class NoOpt(pl.LightningModule):
            def training_step(self, b, i):
                return None

        with pytest.raises(MisconfigurationException, match=r"No `configure_optimizers\(\)` method defined"):
            s.trainer(tmp_path).fit(NoOpt(), s.loader())

        with pytest.raises(TypeError, match="unexpected keyword argument 'max_epoch'"):
            s.pl.Trainer(max_epoch=3)

        mc = s.callbacks.ModelCheckpoint(monitor="nope", dirpath=str(tmp_path / s.name / "x"))
        with pytest.raises(
            MisconfigurationException,
            match=r"`ModelCheckpoint\(monitor='nope'\)` could not find the "
            r"monitored key in the returned metrics: .*'val_loss'.*Did you call `log\('nope', value\)`",
        ):
            s.trainer(tmp_path, max_epochs=1, callbacks=[mc], enable_checkpointing=True).fit(
                s.module_class()(), s.loader(), s.loader(n=16)
            )

        es = s.callbacks.EarlyStopping(monitor="nope")
        with pytest.raises(
            RuntimeError, match="Early stopping conditioned on metric `nope` which is not available"
        ):
            s.trainer(tmp_path, max_epochs=1, callbacks=[es]).fit(
                s.module_class()(), s.loader(), s.loader(n=16)
            )

        class NoVal(pl.LightningModule):
            def __init__(self):
                super().__init__()
                self.l = s.torch.nn.Linear(4, 3)

            def training_step(self, b, i):
                return s.torch.nn.functional.cross_entropy(self.l(b[0]), b[1])

            def configure_optimizers(self):
                return s.torch.optim.SGD(self.parameters(), lr=0.1)

        with pytest.warns(
            UserWarning, match="You passed in a `val_dataloader` but have no `validation_step`"
        ):
            s.trainer(tmp_path, max_epochs=1).fit(NoVal(), s.loader(), s.loader())
