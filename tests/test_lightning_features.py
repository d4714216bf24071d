"""ember.lightning's callbacks, loggers, module API and Trainer options, against PyTorch Lightning
where both run, and ember's own behaviour where they differ on purpose (no bfloat16, no DDP yet)."""

import os
import warnings

import numpy as np
import pytest

from tests._lit_programs import Stack, weights

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


def test_early_stopping_stops_at_the_same_epoch(stacks, tmp_path):
    def go(s):
        es = s.callbacks.EarlyStopping(
            monitor="val_loss", patience=1, min_delta=10.0
        )  # never improves enough
        tr = s.trainer(tmp_path / s.name, max_epochs=10, callbacks=[es])
        tr.fit(s.module_class()(), s.loader(), s.loader(n=16))
        return tr.current_epoch, es.stopped_epoch, es.wait_count, tr.global_step, tr.should_stop

    assert both(stacks, go)[1] == both(stacks, go)[0]


def test_callbacks_lr_monitor_accumulation_scheduler_lambda(stacks, tmp_path):
    def go(s):
        seen = []
        lam = s.callbacks.LambdaCallback(on_train_epoch_end=lambda t, m: seen.append(t.current_epoch))
        sched = s.callbacks.GradientAccumulationScheduler({1: 2})
        lrm = s.callbacks.LearningRateMonitor(logging_interval="step")
        logger = s.loggers.CSVLogger(str(tmp_path / s.name))
        tr = s.trainer(
            tmp_path / s.name, max_epochs=3, callbacks=[lam, sched, lrm], logger=logger, log_every_n_steps=1
        )
        model = s.module_class(sched="epoch")()
        tr.fit(model, s.loader(), s.loader(n=16))
        return seen, tr.global_step, lrm.lrs, weights(model)

    (ts, tg, tl, tw), (es, eg, el, ew) = both(stacks, go)
    assert es == ts and eg == tg
    assert el.keys() == tl.keys()
    for k in tl:
        np.testing.assert_allclose(el[k], tl[k])
    for k in tw:
        np.testing.assert_allclose(ew[k], tw[k], rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize(
    "kw",
    [
        dict(limit_train_batches=0.5, limit_val_batches=0.5),
        dict(overfit_batches=2),
        dict(min_epochs=2, max_epochs=2),
    ],
)
def test_limits_and_overfit(stacks, tmp_path, kw):
    def go(s):
        tr = s.trainer(tmp_path / s.name, **{"max_epochs": 2, **kw})
        model = s.module_class()()
        tr.fit(model, s.loader(), s.loader(n=16))
        return tr.global_step, tr.num_training_batches, list(tr.num_val_batches), weights(model)

    (tg, tn, tv, tw), (eg, en, ev, ew) = both(stacks, go)
    assert (eg, en, ev) == (tg, tn, tv)
    for k in tw:
        np.testing.assert_allclose(ew[k], tw[k], rtol=1e-4, atol=1e-5)


def test_fraction_limit_too_small_errors_alike(stacks, tmp_path):
    for s in stacks.values():
        with pytest.raises(
            Exception,
            match=r"You requested to check 0.25 of the `val_dataloader` but 0.25 \* 2 < 1. "
            r"Please increase the `limit_val_batches` argument. Try at least `limit_val_batches=0.5`",
        ):
            s.trainer(tmp_path / s.name, max_epochs=1, limit_val_batches=0.25).fit(
                s.module_class()(), s.loader(), s.loader(n=16)
            )


def test_model_summary_table_matches(stacks, tmp_path, capsys):
    from pytorch_lightning.utilities.model_summary import summarize

    from ember.lightning.callbacks.model_summary import summarize as ember_summarize

    t = str(summarize(stacks["torch"].module_class()(), max_depth=1))
    e = ember_summarize(stacks["ember"].module_class()(), max_depth=1)
    assert e == t
    s = stacks["ember"]
    capsys.readouterr()
    s.trainer(tmp_path, max_epochs=1, enable_model_summary=True).fit(s.module_class()(), s.loader())
    assert e in capsys.readouterr().out  # printed when fit starts


def test_datamodule_hparams_and_load_from_checkpoint(stacks, tmp_path):
    def go(s):
        class DM(s.pl.LightningDataModule):
            def __init__(self, n=24, bs=8):
                super().__init__()
                self.save_hyperparameters()
                self.calls = []

            def prepare_data(self):
                self.calls.append("prepare_data")

            def setup(self, stage):
                self.calls.append(f"setup {stage}")

            def train_dataloader(self):
                return s.loader(n=self.hparams.n, bs=self.hparams.bs)

            def val_dataloader(self):
                return s.loader(n=16)

            def teardown(self, stage):
                self.calls.append(f"teardown {stage}")

        Net = s.module_class(hparams=True)
        dm = DM(bs=4)
        logger = s.loggers.CSVLogger(str(tmp_path / s.name), name="run")
        tr = s.trainer(tmp_path / s.name, max_epochs=1, logger=logger)
        model = Net(hidden=7, lr=0.05)
        tr.fit(model, datamodule=dm)
        path = str(tmp_path / s.name / "manual.ckpt")
        tr.save_checkpoint(path)
        again = Net.load_from_checkpoint(path, lr=0.5)
        with open(os.path.join(logger.log_dir, "hparams.yaml")) as f:
            yaml_text = f.read()
        return (
            dm.calls,
            tr.global_step,
            dict(again.hparams),
            again.lr,
            yaml_text,
            sorted(os.listdir(logger.log_dir)),
        )

    t, e = both(stacks, go)
    assert e == t


def test_save_hyperparameters_forms(stacks):
    def go(s):
        pl = s.pl

        class A(pl.LightningModule):
            def __init__(self, a, b=2, *, c="x", **kw):
                super().__init__()
                self.save_hyperparameters(ignore="b")

        class B(pl.LightningModule):
            def __init__(self, a, b=2):
                super().__init__()
                self.save_hyperparameters("a")

        return dict(A(1, c="y", extra=5).hparams), dict(B(3).hparams)

    t, e = both(stacks, go)
    assert e == t


def test_loggers_several_and_none(stacks, tmp_path):
    def go(s):
        lgs = [
            s.loggers.CSVLogger(str(tmp_path / s.name)),
            s.loggers.TensorBoardLogger(str(tmp_path / s.name), name="tb"),
        ]
        tr = s.trainer(tmp_path / s.name, max_epochs=1, logger=lgs)
        tr.fit(s.module_class()(), s.loader(), s.loader(n=16))
        return (
            [type(lg).__name__ for lg in tr.loggers],
            os.path.relpath(tr.log_dir, tmp_path / s.name),
            sorted(os.listdir(tmp_path / s.name)),
        )

    t, e = both(stacks, go)
    assert e == t


def test_ember_only_precision_devices_strategy(stacks, tmp_path):
    s = stacks["ember"]
    pl = s.pl
    MisconfigurationException = pl.utilities.MisconfigurationException
    with pytest.raises(MisconfigurationException, match="bfloat16"):
        pl.Trainer(precision="bf16-mixed")
    with pytest.raises(MisconfigurationException, match="invalid strategy"):   # ddp: test_lightning_ddp
        pl.Trainer(strategy="deepspeed", devices=2, accelerator="cpu")
    if not __import__("ember").cuda.is_available():
        with pytest.raises(MisconfigurationException, match="not available"):
            pl.Trainer(gpus=1)
    tr = pl.Trainer(
        gpus=0,
        max_epochs=1,
        precision="16-mixed",
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
    )
    model = s.module_class()()
    tr.fit(model, s.loader())
    assert tr.precision == "16-mixed" and tr._scaler is not None and tr.global_step == 3
    assert all(np.isfinite(w).all() for w in weights(model).values())
    assert pl.seed_everything(7) == 7 and os.environ["PL_GLOBAL_SEED"] == "7"
    from ember.lightning.utilities import AttributeDict, rank_zero_only

    assert AttributeDict(a=1).a == 1 and rank_zero_only.rank == 0


def test_progress_bar_shows_prog_bar_metrics(stacks, tmp_path, capsys):
    s = stacks["ember"]
    tr = s.trainer(tmp_path, max_epochs=1, enable_progress_bar=True)
    tr.fit(s.module_class()(), s.loader(), s.loader(n=16))
    err = capsys.readouterr()
    text = err.out + err.err
    assert "Epoch 0" in text and "train_loss=" in text and "val_loss=" in text
    assert set(tr.progress_bar_metrics) == {"train_loss", "val_loss"}


def test_reduce_fx_log_dict_two_optimizers_and_resume_last(stacks, tmp_path):
    def go(s):
        torch, pl = s.torch, s.pl
        F = torch.nn.functional

        class GAN(pl.LightningModule):  # two optimizers: manual optimization
            def __init__(self):
                super().__init__()
                self.automatic_optimization = False
                self.a, self.b = torch.nn.Linear(4, 3), torch.nn.Linear(4, 3)
                from tests._lit_programs import _init_weights

                _init_weights(self.a, 3)
                _init_weights(self.b, 4)

            def training_step(self, batch, batch_idx):
                x, y = batch
                oa, ob = self.optimizers()
                for o, m in ((oa, self.a), (ob, self.b)):
                    loss = F.cross_entropy(m(x), y)
                    o.zero_grad()
                    self.manual_backward(loss)
                    o.step()
                self.log_dict({"la": loss, "lb": loss * 2}, reduce_fx="max", on_epoch=True, on_step=False)

            def validation_step(self, batch, batch_idx):
                x, y = batch
                self.log("v_sum", F.cross_entropy(self.a(x), y), reduce_fx="sum")
                self.log("v_min", F.cross_entropy(self.b(x), y), reduce_fx="min")

            def configure_optimizers(self):
                return [
                    torch.optim.SGD(self.a.parameters(), lr=0.1),
                    torch.optim.Adam(self.b.parameters(), lr=0.1),
                ]

        d = tmp_path / s.name / "ck"
        mk = lambda: s.callbacks.ModelCheckpoint(dirpath=str(d), save_last=True)  # noqa: E731
        tr = s.trainer(d, max_epochs=2, callbacks=[mk()], enable_checkpointing=True)
        tr.fit(GAN(), s.loader(), s.loader(n=16))
        model = GAN()
        tr2 = s.trainer(d, max_epochs=3, callbacks=[mk()], enable_checkpointing=True)
        tr2.fit(model, s.loader(), s.loader(n=16), ckpt_path="last")
        return (
            {k: float(v) for k, v in tr2.callback_metrics.items()},
            tr2.global_step,
            tr2.current_epoch,
            weights(model),
            sorted(os.listdir(d)),
        )

    (tm, tg, te, tw, tf), (em, eg, ee, ew, ef) = both(stacks, go)
    assert (eg, ee, ef) == (tg, te, tf)
    assert sorted(em) == sorted(tm)
    for k in tm:
        assert em[k] == pytest.approx(tm[k], rel=1e-4), k
    for k in tw:
        np.testing.assert_allclose(ew[k], tw[k], rtol=1e-4, atol=1e-5)


def test_several_eval_dataloaders(stacks, tmp_path):
    def go(s):
        tr = s.trainer(tmp_path / s.name, max_epochs=1)
        m = s.module_class()()
        two = [s.loader(n=16), s.loader(n=8, seed=3)]
        tr.fit(m, s.loader(), two)
        v = tr.validate(m, two, verbose=False)
        keys = sorted(tr.callback_metrics)
        p = tr.predict(m, two)

        class NoIdx(type(m)):
            def validation_step(self, batch, batch_idx):
                pass

        with pytest.raises(RuntimeError, match=r"You provided multiple `val_dataloader`, but no `dataloa"):
            tr.validate(NoIdx(), two)
        return keys, v, [len(x) for x in p]

    (tk, tv, tp), (ek, ev, ep) = both(stacks, go)
    assert ek == tk == ["val_loss/dataloader_idx_0", "val_loss/dataloader_idx_1"] and ep == tp
    assert [sorted(d) for d in ev] == [sorted(d) for d in tv]
    for a, b in zip(ev, tv):
        for k in b:
            assert a[k] == pytest.approx(b[k], rel=1e-5)


@pytest.mark.parametrize("kw", [
    dict(save_top_k=-1, monitor="val_loss"),
    dict(save_top_k=0, save_last=True),
    dict(every_n_epochs=2, save_top_k=-1),
    dict(every_n_train_steps=2, save_top_k=-1, filename="{step}"),
    dict(monitor="val_loss", mode="max", save_top_k=1, filename="best-{epoch:02d}-{val_loss:.3f}"),
])
def test_model_checkpoint_variants_write_the_same_files(stacks, tmp_path, kw):
    def go(s):
        d = tmp_path / s.name / "ck"
        mc = s.callbacks.ModelCheckpoint(dirpath=str(d), **kw)
        tr = s.trainer(d, max_epochs=4, callbacks=[mc], enable_checkpointing=True)
        tr.fit(s.module_class()(), s.loader(), s.loader(n=20))   # uneven last batch: 8, 8, 4
        return sorted(os.listdir(d)) if d.exists() else [], os.path.basename(mc.best_model_path), \
            float(tr.callback_metrics["val_loss"])

    (tf, tb, tv), (ef, eb, ev) = both(stacks, go)
    assert (ef, eb) == (tf, tb)
    assert ev == pytest.approx(tv, rel=1e-5)   # epoch mean weighted by batch size
