"""examples/lightning_mnist.py (seed 000 section 8) runs on ember.lightning with short settings:
the data module with worker processes, the Accuracy metrics, ModelCheckpoint on valid_acc, the
default TensorBoard logger."""

import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))  # examples/ lives at the repo root
pytest.importorskip("PIL")
pytest.importorskip("tensorboard")


def test_lightning_mnist_example(tmp_path, monkeypatch):
    from examples import lightning_mnist as ex

    monkeypatch.chdir(tmp_path)
    trainer = ex.main(
        max_epochs=2,
        limit_train_batches=12,
        limit_val_batches=3,
        limit_test_batches=3,
        enable_progress_bar=False,
    )
    assert trainer.current_epoch == 2 and trainer.global_step == 24
    m = trainer.callback_metrics
    assert {"train_loss", "valid_loss", "valid_acc", "train_acc"} <= set(m)
    assert 0.0 <= float(m["valid_acc"]) <= 1.0
    ckdir = tmp_path / "lightning_logs" / "version_0" / "checkpoints"
    (ck,) = os.listdir(ckdir)
    assert ck in ("epoch=0-step=12.ckpt", "epoch=1-step=24.ckpt")
    assert os.path.basename(trainer.checkpoint_callback.best_model_path) == ck
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    acc = EventAccumulator(str(tmp_path / "lightning_logs" / "version_0"))
    acc.Reload()
    assert {"epoch", "valid_loss", "valid_acc", "train_acc"} <= set(acc.Tags()["scalars"])
    # the IDX files the example wrote read back through ember's MNIST
    from ember.vision.datasets import MNIST

    assert len(MNIST(str(tmp_path), train=True)) == 60000 and len(MNIST(str(tmp_path), train=False)) == 10000
    res = trainer.test(datamodule=trainer.datamodule, ckpt_path="best", verbose=False)
    assert set(res[0]) == {"test_loss", "test_acc"}
