"""The Lightning-style Trainer's per-step cost, against real PyTorch Lightning and ember's Learner.

    python -m benchmarks.lightning [--steps N] [--one-thread]

``lightning_fit_overhead``: one epoch of a tiny MLP (8-32-2, batch 16, SGD) over ``steps``
batches, logging the loss with ``self.log`` each step; no validation, logger, checkpoint,
progress bar or summary, so what is timed is the loop's bookkeeping around a cheap step. Three
runs on the same data: PyTorch Lightning 2.6 on torch, ``ember.lightning`` on ember, and ember's
``Learner`` (same model, loss and optimizer; its Recorder records the loss each step). Returns
``(ember_trainer_s_per_step, lightning_s_per_step)`` carrying ``.learner_s`` (seconds per step)."""

import sys
import time
import warnings

import numpy as np

STEPS, BS = 300, 16


class OverheadResult(tuple):
    def __new__(cls, trainer_s, lightning_s, learner_s):
        self = super().__new__(cls, (trainer_s, lightning_s))
        self.learner_s = learner_s
        return self


def _data(lib, steps):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((steps * BS, 8)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.int64)
    data = __import__(f"{lib.__name__}.utils.data", fromlist=["DataLoader"])
    return data.DataLoader(data.TensorDataset(lib.tensor(x), lib.tensor(y)), batch_size=BS)


def _module(lib, pl):
    class Tiny(pl.LightningModule):
        def __init__(self):
            super().__init__()
            self.net = lib.nn.Sequential(lib.nn.Linear(8, 32), lib.nn.ReLU(), lib.nn.Linear(32, 2))

        def training_step(self, batch, batch_idx):
            x, y = batch
            loss = lib.nn.functional.cross_entropy(self.net(x), y)
            self.log("train_loss", loss)
            return loss

        def configure_optimizers(self):
            return lib.optim.SGD(self.parameters(), lr=0.05)

    return Tiny()


def _fit_trainer(lib, pl, steps):
    dl = _data(lib, steps)
    model = _module(lib, pl)
    trainer = pl.Trainer(
        max_epochs=1,
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        accelerator="cpu",
        num_sanity_val_steps=0,
    )
    t0 = time.perf_counter()
    trainer.fit(model, dl)
    dt = time.perf_counter() - t0
    assert trainer.global_step == steps
    return dt / steps


def _fit_learner(ember, steps):
    from ember.train import DataLoaders, Learner, ProgressCallback

    dl = _data(ember, steps)
    model = ember.nn.Sequential(ember.nn.Linear(8, 32), ember.nn.ReLU(), ember.nn.Linear(32, 2))
    learn = Learner(DataLoaders(dl), model, ember.nn.CrossEntropyLoss(), opt_func=ember.optim.SGD, lr=0.05)
    learn.remove_cb(ProgressCallback)
    t0 = time.perf_counter()
    learn.fit(1)
    return (time.perf_counter() - t0) / steps


def lightning_fit_overhead(ember, torch, steps=STEPS, repeat=5):
    """Seconds per training step: ember.lightning's Trainer vs PyTorch Lightning (and ember's Learner)."""
    import logging

    import pytorch_lightning

    import ember.lightning

    warnings.filterwarnings("ignore")
    for name in ("pytorch_lightning", "lightning_fabric", "lightning.pytorch", "ember.lightning"):
        logging.getLogger(name).setLevel(logging.ERROR)
    runs = {
        "trainer": lambda n: _fit_trainer(ember, ember.lightning, n),
        "lightning": lambda n: _fit_trainer(torch, pytorch_lightning, n),
        "learner": lambda n: _fit_learner(ember, n),
    }
    for run in runs.values():   # warm up (imports, first-call caches)
        run(20)
    best = {k: float("inf") for k in runs}
    for _ in range(repeat):   # interleaved, so a busy moment on a shared machine hits all three
        for k, run in runs.items():
            best[k] = min(best[k], run(steps))
    e, t, learner = best["trainer"], best["lightning"], best["learner"]
    print(
        f"    per step: ember Trainer {e * 1e6:.0f} us, PyTorch Lightning {t * 1e6:.0f} us, "
        f"ember Learner {learner * 1e6:.0f} us  (Trainer/Lightning {e / t:.2f}, Trainer/Learner "
        f"{e / learner:.2f})"
    )
    return OverheadResult(e, t, learner)


def main(argv):
    import torch

    import ember

    steps = STEPS
    if "--steps" in argv:
        steps = int(argv[argv.index("--steps") + 1])
    if "--one-thread" in argv:
        torch.set_num_threads(1)
        try:
            from threadpoolctl import threadpool_limits

            threadpool_limits(1)
        except ImportError:
            pass
    lightning_fit_overhead(ember, torch, steps)


if __name__ == "__main__":
    main(sys.argv[1:])
