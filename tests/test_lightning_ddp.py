"""Trainer(strategy="ddp", devices=2) of ember.lightning, launched with ``mpiexec -n 2``.

The script below runs under mpiexec; each rank writes what it saw (its weights, metrics, ranks,
files) and the test compares: the ranks' final weights with each other (bit for bit) and with one
process training on the union of the ranks' batches (1e-6, float64), sync_dist metrics with the
mean / max / sum over the ranks, and the run directory (only rank 0 writes logs and checkpoints).
The same script, imported here, gives the single-process reference.
"""
import importlib.util
import json
import os
import subprocess
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

SCRIPT = r'''
import json
import os
import sys

import numpy as np

import ember
import ember.lightning as L
from ember import nn
from ember.utils.data import DataLoader, TensorDataset

N, B, EPOCHS = 48, 4, 3   # 2 ranks x 4 samples = 8 per step, 6 steps per epoch


def dataset():
    rng = np.random.RandomState(0)
    x = rng.randn(N, 5)
    y = np.tanh(x @ rng.randn(5, 1)) + 0.1 * rng.randn(N, 1)
    return TensorDataset(ember.tensor(x), ember.tensor(y))


class Net(L.LightningModule):
    def __init__(self, manual=False):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(5, 8), nn.Tanh(), nn.Linear(8, 1)).double()
        self.automatic_optimization = not manual

    def training_step(self, batch, batch_idx):
        x, y = batch
        loss = ((self.net(x) - y) ** 2).mean()
        r = float(self.global_rank + 1)
        self.log("rank_mean", r, sync_dist=True, on_step=True, on_epoch=True)
        self.log("rank_max", r, sync_dist=True, reduce_fx="max")
        self.log("rank_local", r)
        self.log_dict({"rank_sum": r}, sync_dist=True, reduce_fx="sum", on_step=False, on_epoch=True)
        if not self.automatic_optimization:
            opt = self.optimizers()
            opt.zero_grad()
            self.manual_backward(loss)
            opt.step()
        return loss

    def predict_step(self, batch, batch_idx):
        return self.net(batch[0])

    def validation_step(self, batch, batch_idx):
        x, y = batch
        self.log("val_loss", ((self.net(x) - y) ** 2).mean(), sync_dist=True)

    def configure_optimizers(self):
        return ember.optim.SGD(self.parameters(), lr=0.2, momentum=0.5)


def weights(m):
    return {k: v.detach().numpy().copy() for k, v in m.state_dict().items()}


def main(out):
    from ember.lightning.loggers import CSVLogger, TensorBoardLogger
    from ember.lightning.trainer import _checkpoint
    from ember.lightning.utilities.rank_zero import rank_zero_only

    writes = []
    real_save = _checkpoint.save
    _checkpoint.save = lambda ckpt, path: (writes.append(path), real_save(ckpt, path))
    ds = dataset()
    rank = int(os.environ["PMI_RANK"])
    ember.manual_seed(rank)          # different initial weights: DDP must start from rank 0's
    model = Net()
    if rank == 0:
        np.savez(os.path.join(out, "init.npz"), **weights(model))
    root = os.path.join(out, "run")
    tb, csv = TensorBoardLogger(root), CSVLogger(root, name="csv")
    ckpt = L.callbacks.ModelCheckpoint(monitor="val_loss", save_top_k=2, save_last=True)
    tr = L.Trainer(strategy="ddp", devices=2, accelerator="cpu", max_epochs=EPOCHS, default_root_dir=root,
                   logger=[tb, csv], callbacks=[ckpt], log_every_n_steps=2)
    tr.fit(model, DataLoader(ds, batch_size=B, shuffle=True), DataLoader(ds, batch_size=B))
    rep = {
        "rank": rank, "global_rank": tr.global_rank, "local_rank": tr.local_rank, "world_size": tr.world_size,
        "is_global_zero": tr.is_global_zero, "rank_zero_only": rank_zero_only.rank,
        "module_rank": model.global_rank, "num_training_batches": tr.num_training_batches,
        "metrics": {k: float(v) for k, v in tr.callback_metrics.items()},
        "best_model_path": ckpt.best_model_path, "last_model_path": ckpt.last_model_path,
        "writes": writes, "tb_experiment": tb._experiment is not None,
        "bar_enabled": tr.progress_bar_callback.is_enabled, "log_dir": tr.log_dir,
    }
    np.savez(os.path.join(out, f"auto{rank}.npz"), **weights(model))
    # validate and predict read this rank's shard too; validate's sync_dist mean is the whole set's
    rep["validate"] = tr.validate(model, DataLoader(ds, batch_size=B), verbose=False)[0]["val_loss"]
    rep["predicted"] = sum(len(p) for p in tr.predict(model, DataLoader(ds, batch_size=5)))
    # manual optimization: manual_backward's gradients are averaged the same way
    ember.manual_seed(rank)
    manual = Net(manual=True)
    tr2 = L.Trainer(strategy="ddp", devices=2, accelerator="cpu", max_epochs=EPOCHS, logger=False,
                    enable_checkpointing=False, enable_progress_bar=False, enable_model_summary=False)
    tr2.fit(manual, DataLoader(ds, batch_size=B))
    np.savez(os.path.join(out, f"manual{rank}.npz"), **weights(manual))
    with open(os.path.join(out, f"rank{rank}.json"), "w") as f:
        json.dump(rep, f)


if __name__ == "__main__":
    main(sys.argv[1])
'''


def _load(path):
    spec = importlib.util.spec_from_file_location("lit_ddp_script", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


class _EpochPerm:
    """The order a 1-replica shuffled DistributedSampler gives epoch e (the union of the two
    ranks' shards, batch by batch), advancing the epoch at each pass as set_epoch would."""

    def __init__(self, ds):
        from ember.utils.data import DistributedSampler

        self.s, self.epoch = DistributedSampler(ds, num_replicas=1, rank=0, shuffle=True, seed=0), 0

    def __iter__(self):
        self.s.set_epoch(self.epoch)
        self.epoch += 1
        return iter(list(self.s))

    def __len__(self):
        return len(self.s)


def _reference(mod, out, manual):
    import ember
    import ember.lightning as L
    from ember.utils.data import DataLoader

    model = mod.Net(manual=manual)
    init = np.load(os.path.join(out, "init.npz"))
    model.load_state_dict({k: ember.tensor(init[k]) for k in init.files})
    ds = mod.dataset()
    tr = L.Trainer(max_epochs=mod.EPOCHS, logger=False, enable_checkpointing=False, enable_progress_bar=False,
                   enable_model_summary=False, default_root_dir=out)
    both = 2 * mod.B   # one step of the union: rank 0's and rank 1's batches together
    sampler = None if manual else _EpochPerm(ds)
    train = DataLoader(ds, batch_size=both, sampler=sampler)
    tr.fit(model, train, None if manual else DataLoader(ds, batch_size=mod.B))
    return {k: v.detach().numpy() for k, v in model.state_dict().items()}, tr


def test_trainer_ddp_two_ranks(tmp_path):
    from ember.distributed.run import find_mpiexec

    script = tmp_path / "lit_ddp_script.py"
    script.write_text(SCRIPT)
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    env["PYTHONPATH"] = ROOT + os.pathsep + env.get("PYTHONPATH", "")
    p = subprocess.run([find_mpiexec(), "-n", "2", sys.executable, str(script), str(tmp_path)],
                       capture_output=True, text=True, timeout=180, env=env, cwd=str(tmp_path))
    assert p.returncode == 0, p.stdout + p.stderr
    reps = [json.loads((tmp_path / f"rank{r}.json").read_text()) for r in (0, 1)]
    mod = _load(script)

    # ranks, and who does what
    for r, rep in enumerate(reps):
        ranks = (rep["global_rank"], rep["module_rank"], rep["rank_zero_only"], rep["world_size"])
        assert ranks == (r, r, r, 2)
        assert rep["local_rank"] == r and rep["is_global_zero"] == (r == 0)
        assert rep["num_training_batches"] == mod.N // (2 * mod.B)   # the sharded loader's length
        assert rep["bar_enabled"] == (r == 0)
    assert reps[1]["writes"] == [] and not reps[1]["tb_experiment"]   # no SummaryWriter on rank 1
    run = tmp_path / "run"
    assert sorted(os.listdir(run)) == ["csv", "lightning_logs"]
    assert os.listdir(run / "lightning_logs") == ["version_0"] and os.listdir(run / "csv") == ["version_0"]
    ckpts = sorted(os.listdir(run / "lightning_logs" / "version_0" / "checkpoints"))
    assert len(ckpts) == 3 and "last.ckpt" in ckpts, ckpts   # top 2 and last, written once
    assert len(reps[0]["writes"]) == 2 * mod.EPOCHS   # a top-k and a last save per epoch
    assert (run / "csv" / "version_0" / "metrics.csv").exists()
    assert any(f.startswith("events.out.tfevents") for f in os.listdir(run / "lightning_logs" / "version_0"))
    for key in ("best_model_path", "last_model_path", "log_dir"):
        assert reps[0][key] == reps[1][key] and reps[0][key]
    assert os.path.exists(reps[1]["best_model_path"])

    # sync_dist: the mean / max / sum over the ranks; without it, each rank's own value
    for rep in reps:
        m = rep["metrics"]
        assert m["rank_mean_step"] == 1.5 and m["rank_mean_epoch"] == 1.5
        assert m["rank_max"] == 2.0 and m["rank_sum"] == 3.0 * mod.N // (2 * mod.B)
        assert m["rank_local"] == rep["rank"] + 1

    # weights: the ranks agree bit for bit, and match one process on the union of their batches
    for kind in ("auto", "manual"):
        w0, w1 = (np.load(tmp_path / f"{kind}{r}.npz") for r in (0, 1))
        ref, ref_tr = _reference(mod, str(tmp_path), manual=kind == "manual")
        for k in ref:
            assert np.array_equal(w0[k], w1[k]), (kind, k)
            np.testing.assert_allclose(w0[k], ref[k], rtol=0, atol=1e-6, err_msg=f"{kind} {k}")
        if kind == "auto":   # the validation shards, averaged, give the whole set's loss
            val = float(ref_tr.callback_metrics["val_loss"])
            for rep in reps:
                assert abs(rep["metrics"]["val_loss"] - val) < 1e-6 and abs(rep["validate"] - val) < 1e-6
    assert [rep["predicted"] for rep in reps] == [mod.N // 2] * 2   # predict: each sample once


LAUNCHED = r'''
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ember  # noqa: E402
import ember.lightning as L  # noqa: E402
from ember.utils.data import DataLoader  # noqa: E402
from lit_ddp_script import B, Net, dataset, weights  # noqa: E402


class StopOnRankOne(L.Callback):
    """Only rank 1 asks to stop (after the second epoch): every rank must stop with it."""

    def on_train_epoch_end(self, trainer, pl_module):
        if trainer.global_rank == 1 and trainer.current_epoch == 1:
            trainer.should_stop = True


def quiet(**kw):
    return dict(accelerator="cpu", logger=False, enable_checkpointing=False, enable_progress_bar=False,
                enable_model_summary=False, **kw)


if __name__ == "__main__":
    out = sys.argv[1]
    # started as plain python: this line starts the script again under mpiexec -n 2
    tr = L.Trainer(strategy="ddp", devices=2, max_epochs=5, accumulate_grad_batches=2,
                   callbacks=[StopOnRankOne()], **quiet())
    ember.manual_seed(0)
    model = Net()
    tr.fit(model, DataLoader(dataset(), batch_size=B))
    rank = tr.global_rank
    # use_distributed_sampler=False: the loader is used as given (each rank reads all of it)
    plain = L.Trainer(strategy="ddp", devices=2, max_steps=1, use_distributed_sampler=False, **quiet())
    plain.fit(Net(), DataLoader(dataset(), batch_size=B))
    np.savez(os.path.join(out, f"accum{rank}.npz"), epochs=tr.current_epoch, world=tr.world_size,
             unsharded=plain.num_training_batches, **weights(model))
'''


def test_plain_python_relaunches_under_mpiexec(tmp_path):
    """``python train.py`` with Trainer(strategy="ddp", devices=2) runs as two ranks, as Lightning's
    launcher does; gradient accumulation (no_sync between steps) and a should_stop set on one
    rank only keep the ranks in step."""
    import ember
    import ember.lightning as L
    from ember.utils.data import DataLoader

    (tmp_path / "lit_ddp_script.py").write_text(SCRIPT)
    launched = tmp_path / "launched.py"
    launched.write_text(LAUNCHED)
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    env["PYTHONPATH"] = ROOT + os.pathsep + env.get("PYTHONPATH", "")
    for var in ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "PMIX_SIZE", "WORLD_SIZE", "RANK", "PMI_RANK"):
        env.pop(var, None)
    p = subprocess.run([sys.executable, str(launched), str(tmp_path)], capture_output=True, text=True,
                       timeout=180, env=env, cwd=str(tmp_path))
    assert p.returncode == 0, p.stdout + p.stderr
    got = [np.load(tmp_path / f"accum{r}.npz") for r in (0, 1)]
    mod = _load(tmp_path / "lit_ddp_script.py")
    for g in got:
        assert int(g["world"]) == 2 and int(g["epochs"]) == 2 and int(g["unsharded"]) == mod.N // mod.B
    ember.manual_seed(0)
    ref = mod.Net()
    tr = L.Trainer(max_epochs=2, accumulate_grad_batches=2, logger=False, enable_checkpointing=False,
                   enable_progress_bar=False, enable_model_summary=False)
    tr.fit(ref, DataLoader(mod.dataset(), batch_size=2 * mod.B))
    for k, v in ref.state_dict().items():
        assert np.array_equal(got[0][k], got[1][k]), k
        np.testing.assert_allclose(got[0][k], v.detach().numpy(), rtol=0, atol=1e-6, err_msg=k)
