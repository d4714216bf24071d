"""The from-scratch Learner of seed 003 (examples/learner_from_scratch) on its synthetic image folder."""
import math
import os
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))  # examples/ lives at the repo root

pytest.importorskip("PIL")
pytest.importorskip("matplotlib")

import ember as torch
import ember.nn.functional as F
from examples.learner_from_scratch import __main__ as chapter
from examples.learner_from_scratch.callbacks import Callback
from examples.learner_from_scratch.data import (
    CLASSES,
    DataLoader,
    Dataset,
    get_image_files,
    image_dataloaders,
    make_image_folder,
    val2idx,
)
from examples.learner_from_scratch.learner import cross_entropy, log_softmax, logsumexp
from examples.learner_from_scratch.model import ConvLayer, Linear, Parameter, simple_cnn

EPOCHS, N_PER_CLASS, BS, FIND_ITERS = 3, 40, 4, 30


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    out = tmp_path_factory.mktemp("learner")
    res = chapter.run(epochs=EPOCHS, n_per_class=N_PER_CLASS, bs=BS, find_iters=FIND_ITERS, out=str(out),
                      verbose=False)
    res["out"] = out
    return res


def test_one_cycle_training_reaches_high_accuracy(result):
    # 18 of the 20 validation images or more (chance: 10); with PyTorch's random stream the
    # seed-0 run lands on 18 exactly
    assert result["valid_acc"] >= 0.9
    train = [h for h in result["results"].history if h[1]]
    assert len(train) == EPOCHS and train[-1][2] < math.log(2)  # below a coin flip's loss


def test_lr_finder_curve(result):
    lrfind = result["lrfind"]
    lrs = np.array(lrfind.lrs)
    assert len(lrs) >= FIND_ITERS - 3 and len(lrfind.losses) == len(lrs)
    np.testing.assert_allclose(lrs[1:] / lrs[:-1], lrfind.mult)  # geometric steps
    assert lrs[0] == pytest.approx(1e-6 * lrfind.mult) and lrs[-1] <= 10
    assert np.isfinite(lrfind.losses).all() and len(lrfind.smoothed_losses()) == len(lrs)
    assert lrs[-1] / lrs[0] > 1e5  # the sweep covers the range until the loss blows up or lr > 10
    png = result["out"] / "lr_find.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000


def test_one_cycle_schedule(result):
    lrs = np.array(result["onecyc"].lrs)
    n = EPOCHS * len(result["learner"].dls.train)
    assert len(lrs) == n
    peak = int(np.argmax(lrs))
    assert lrs[peak] == pytest.approx(0.1, rel=0.05) and abs(peak - n // 4) <= 1
    assert lrs[0] == pytest.approx(0.01) and lrs[-1] < 0.1 * lrs[peak]
    assert (np.diff(lrs[:peak]) > 0).all() and (np.diff(lrs[peak:]) < 0).all()
    assert (result["out"] / "one_cycle.png").exists()


def test_activation_stats_hooks(result):
    act = result["act_stats"]
    model = result["learner"].model
    convs = [i for i, m in enumerate(model.layers) if isinstance(m, ConvLayer)]
    assert sorted(act.stats) == convs == [0, 1, 2, 3]
    n = EPOCHS * len(result["learner"].dls.train)  # one row per training batch, none in validation
    for rows in act.stats.values():
        assert len(rows) == n
        means, stds = np.array(rows).T
        assert np.isfinite(means).all() and (means >= 0).all() and (stds > 0).all()  # after ReLU
    assert all(model.layers[i].hook is None for i in convs)  # removed after fit
    assert (result["out"] / "activation_stats.png").exists()


def test_main_returns_accuracy():
    acc = chapter.main(epochs=1, n_per_class=8, find_iters=5, verbose=False)
    assert 0.0 <= acc <= 1.0


def test_image_folder_and_worker_dataloader(tmp_path):
    make_image_folder(tmp_path, n_per_class=6, valid_pct=0.5)
    files = get_image_files(tmp_path)
    assert len(files) == 12 and {f.parent.parent.name for f in files} == {"train", "val"}
    v2i = val2idx(f.parent.name for f in files)
    assert v2i == {c: i for i, c in enumerate(CLASSES)}
    ds = Dataset(files, v2i)
    x, y = ds[0]
    assert x.shape == (64, 64, 3) and x.dtype == torch.float32 and 0 <= x.min() and x.max() <= 1
    # worker processes give the same batches as loading in this process
    serial = list(DataLoader(ds, bs=5, n_workers=0))
    workers = list(DataLoader(ds, bs=5, n_workers=2))
    assert len(serial) == len(workers) == len(DataLoader(ds, bs=5)) == 3
    for (xa, ya), (xb, yb) in zip(serial, workers):
        assert torch.equal(xa, xb) and torch.equal(ya, yb)
    assert [len(b[0]) for b in serial] == [5, 5, 2]
    # shuffled: every index once per epoch
    dls, _ = image_dataloaders(tmp_path, bs=2, n_workers=0)
    labels = torch.cat([yb for _, yb in dls.train])
    assert sorted(labels.tolist()) == [0, 0, 0, 1, 1, 1]


def test_modules_register_parameters_and_children():
    m = simple_cnn(2)
    params = m.parameters()
    assert len(params) == 10 and all(isinstance(p, Parameter) and p.requires_grad for p in params)
    sizes = [16 * 27, 16, 32 * 144, 32, 64 * 288, 64, 128 * 576, 128, 2 * 128, 2]  # 3x3 convs, then Linear
    assert [p.numel() for p in params] == sizes
    m.training = True
    assert all(layer.training for layer in m.layers)
    lin = Linear(4, 2)
    assert lin(torch.ones(3, 4)).shape == (3, 2)
    out = m(torch.randn(2, 3, 64, 64))
    assert out.shape == (2, 2)
    out.sum().backward()
    assert all(p.grad is not None and p.grad.shape == p.shape for p in params)


def test_loss_from_scratch_matches_ember():
    x, y = torch.randn(5, 3), torch.tensor([0, 2, 1, 1, 0])
    close = np.testing.assert_allclose
    close(log_softmax(x).numpy(), F.log_softmax(x, -1).numpy(), rtol=1e-6, atol=1e-6)
    close(logsumexp(x).numpy(), x.logsumexp(-1).numpy(), rtol=1e-6)
    close(cross_entropy(x, y).item(), F.cross_entropy(x, y).item(), rtol=1e-6)


def test_callback_reads_learner_attributes():
    class Owner:
        epoch = 3

    cb = Callback()
    with pytest.raises(AttributeError):
        cb.epoch  # no learner yet: an AttributeError, not a recursion
    cb.learner = Owner()
    assert cb.epoch == 3
    cb.epoch = 5  # assignment stays on the callback
    assert Owner.epoch == 3 and cb.epoch == 5
