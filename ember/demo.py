"""ember's demo: a small 1-D CNN learns MNIST-1D on the CPU in well under a minute.

    ember demo [--out DIR] [--epochs N] [--seed S] [--quick]
    python -m ember.demo ...

MNIST-1D (Greydanus, 2020) is generated locally: nothing is downloaded. The demo runs the LR
finder, trains with the one-cycle policy (fastai's Learner: batch norm, AdamW, random circular
shifts of the signals as augmentation), keeps the checkpoint with the lowest validation loss, and
writes to the output folder:

    lr_find.png           the LR-finder curve with its suggestions
    loss.png              training loss per batch and validation loss per epoch
    metrics.png           losses and accuracy per epoch
    lr_schedule.png       the one-cycle learning rate and momentum
    confusion_matrix.png  on the test split
    history.csv           one row per epoch
    runs/                 TensorBoard event files (``tensorboard --logdir DIR/runs``)
    model.pth             the best model's state (``ember.load`` reads it)

The validation set is held out from MNIST-1D's training split; the test split is used only for
the final accuracy and the confusion matrix.
"""
import argparse
import time
from pathlib import Path

import numpy as np

from .train import Callback

__all__ = ["build_model", "random_shift", "RandomShift", "main"]

# The recipe (shared with benchmarks/training.py, which trains the same model in PyTorch).
CHANNELS = 32
BATCH_SIZE = 64
EPOCHS = 20
WD = 1e-2
MAX_SHIFT = 3
N_VALID = 400
PCT_START = 0.25


def build_model(nn, channels=CHANNELS, n_classes=10):
    """The demo's CNN from ``nn`` (``ember.nn``, or ``torch.nn`` for the benchmark): four
    conv-BN-ReLU blocks, two of them halving the length (40 → 20 → 10), then global average
    pooling and a linear classifier. Narrow and short, so that each step is a few small GEMMs."""
    def block(c_in, c_out, k, stride=1):
        # no conv bias: the batch norm right after it has its own shift
        return [nn.Conv1d(c_in, c_out, k, stride=stride, padding=k // 2, bias=False),
                nn.BatchNorm1d(c_out), nn.ReLU()]

    c = channels
    return nn.Sequential(*block(1, c, 5), *block(c, c, 3, 2), *block(c, c, 3), *block(c, c, 3, 2),
                         nn.AdaptiveAvgPool1d(1), nn.Flatten(), nn.Linear(c, n_classes))


def random_shift(x, rng, max_shift=MAX_SHIFT):
    """Roll each signal of the batch ``x`` (a NumPy array ``(N, ..., L)``) along its last axis by
    its own random amount in ``[-max_shift, max_shift]`` (circularly: MNIST-1D's own translation
    wraps around). One gather for the whole batch."""
    n, length = x.shape[0], x.shape[-1]
    shifts = rng.integers(-max_shift, max_shift + 1, size=n)
    idx = (np.arange(length) - shifts[:, None]) % length          # (N, L): source positions
    idx = idx.reshape((n,) + (1,) * (x.ndim - 2) + (length,))
    return np.take_along_axis(x, np.broadcast_to(idx, x.shape), axis=-1)


class RandomShift(Callback):
    """A batch transform for the Learner: during training (not validation), replace the input
    batch by :func:`random_shift` of it."""

    order = -5          # before anything looks at the batch
    run_valid = False

    def __init__(self, max_shift=MAX_SHIFT, seed=None):
        self.max_shift, self.rng = max_shift, np.random.default_rng(seed)

    def before_batch(self):
        from . import from_numpy
        x = self.learn.xb[0]
        shifted = random_shift(x.detach().numpy(), self.rng, self.max_shift)
        self.learn.xb = (from_numpy(np.ascontiguousarray(shifted)),) + tuple(self.learn.xb[1:])


def load_mnist1d(root, quick=False):
    """MNIST-1D's train and test splits as NumPy arrays ``(x (N, 1, 40) float32, y int64)``.
    ``quick`` generates a smaller set (1,000 signals) of the same distribution."""
    from .vision.datasets import MNIST1D
    args = {"num_samples": 1000} if quick else None
    splits = []
    for train in (True, False):
        ds = MNIST1D(root, train=train, args=args)
        splits.append((ds.data.numpy()[:, None, :], ds.targets.numpy()))
    return splits


def make_loaders(train, test, n_valid, bs, seed):
    """DataLoaders (train, valid, test): ``n_valid`` signals of the training split held out for
    validation. Each loader reads whole batches (a BatchSampler's index lists go to the
    TensorDataset at once), not one signal at a time."""
    from . import Generator, from_numpy
    from .train import DataLoaders
    from .utils.data import BatchSampler, DataLoader, RandomSampler, SequentialSampler, TensorDataset

    (x, y), (xt, yt) = train, test
    perm = np.random.default_rng(seed).permutation(len(x))
    tr, va = perm[n_valid:], perm[:n_valid]

    def ds(xs, ys):
        return TensorDataset(from_numpy(np.ascontiguousarray(xs)), from_numpy(np.ascontiguousarray(ys)))

    def loader(d, size, shuffle):
        sampler = RandomSampler(d, generator=Generator().manual_seed(seed)) if shuffle \
            else SequentialSampler(d)
        return DataLoader(d, sampler=BatchSampler(sampler, size, drop_last=False), batch_size=None)

    return DataLoaders(loader(ds(x[tr], y[tr]), bs, True), loader(ds(x[va], y[va]), 2 * bs, False),
                       loader(ds(xt, yt), 2 * bs, False), vocab=[str(i) for i in range(10)])


def _parse(argv):
    p = argparse.ArgumentParser(prog="ember demo", description=__doc__.split("\n")[0])
    p.add_argument("--out", default="./ember-demo", help="output folder (default: ./ember-demo)")
    p.add_argument("--epochs", type=int, default=None,
                   help=f"training epochs (default {EPOCHS}; 2 with --quick)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--quick", action="store_true",
                   help="a smoke test: a small generated set, 2 epochs, a short LR finder")
    p.add_argument("--lr", type=float, default=None, help="the one-cycle's peak learning rate "
                   "(default: chosen from the LR finder's suggestions)")
    p.add_argument("--data", default=None, help="where MNIST-1D is cached (default: OUT/data)")
    p.add_argument("--device", default="cpu",
                   help="cpu (default) or cuda (needs CuPy and an NVIDIA GPU)")
    return p.parse_args(argv)


def main(argv=None):
    """Run the demo; returns a dict with ``test_accuracy``, ``train_seconds``, ``lr`` and the
    output ``files``."""
    args = _parse(argv)
    import ember

    from .metrics import accuracy
    from .train import CSVLogger, Learner, SaveModelCallback, TensorBoardCallback, plots

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    epochs = args.epochs if args.epochs is not None else (2 if args.quick else EPOCHS)
    n_valid = 200 if args.quick else N_VALID
    ember.manual_seed(args.seed)

    t0 = time.perf_counter()
    train, test = load_mnist1d(args.data or out / "data", quick=args.quick)
    if args.device != "cpu" and not ember.cuda.is_available():
        raise SystemExit(f"ember demo: --device {args.device} needs CuPy and a CUDA GPU; "
                         f"none was found (pip install cupy-cuda12x on a machine with one)")
    dls = make_loaders(train, test, n_valid, BATCH_SIZE, args.seed)
    if args.device != "cpu":      # the Learner moves the model and each batch there
        dls.device = ember.device(args.device)
    print(f"MNIST-1D: {len(train[0]) - n_valid} training, {n_valid} validation and {len(test[0])} test "
          f"signals of length {train[0].shape[-1]} ({time.perf_counter() - t0:.1f} s to load)")

    learn = Learner(dls, build_model(ember.nn), ember.nn.CrossEntropyLoss(), opt_func=ember.optim.AdamW,
                    metrics=accuracy, wd=WD, path=out, model_dir=".",
                    cbs=RandomShift(MAX_SHIFT, seed=args.seed))
    n_params = sum(p.numel() for p in learn.model.parameters())
    print(f"model: 1-D CNN, {n_params:,} parameters; batch size {BATCH_SIZE}, {epochs} epochs\n")

    t0 = time.perf_counter()
    sugg = learn.lr_find(num_it=30 if args.quick else 100, show_plot=False)
    find_s = time.perf_counter() - t0
    plots.plot_lr_find(learn, fname=out / "lr_find.png")
    # valley is fastai's default pick; one-cycle's warm-up tolerates a little more, and a
    # floor keeps a noisy curve from choosing a rate too timid to converge in few epochs
    lr = args.lr if args.lr is not None else float(np.clip(sugg.valley * 2, 3e-3, 3e-2))
    print(f"lr_find ({find_s:.1f} s): valley {sugg.valley:.2e}, steepest {sugg.steepest:.2e}, "
          f"minimum {sugg.minimum:.2e} -> lr_max {lr:.2e}\n")

    best = SaveModelCallback(monitor="valid_loss", fname="model")
    cbs = [best, CSVLogger("history.csv"), TensorBoardCallback(log_dir=out / "runs")]
    t0 = time.perf_counter()
    learn.fit_one_cycle(epochs, lr, pct_start=PCT_START, cbs=cbs)
    train_s = time.perf_counter() - t0

    rec = learn.recorder
    rec.plot_loss(fname=out / "loss.png")
    rec.plot_metrics(fname=out / "metrics.png")
    rec.plot_lr(fname=out / "lr_schedule.png")
    preds, targs = learn.get_preds(ds_idx=2)
    test_acc = float((preds.argmax(dim=1) == targs).float().mean())
    plots.plot_confusion_matrix(preds, targs, classes=dls.vocab, title="MNIST-1D test split",
                                fname=out / "confusion_matrix.png")

    files = sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file() and "data" not in p.parts)
    print(f"\ntest accuracy: {test_acc:.2%} on {len(targs)} signals (from the epoch with the "
          f"lowest validation loss, {best.best_epoch})")
    print(f"training took {train_s:.1f} s ({epochs} epochs; the LR finder {find_s:.1f} s more)")
    print(f"wrote to {out}/: " + ", ".join(f for f in files if not f.startswith("runs/")) + ", runs/")
    return {"test_accuracy": test_acc, "train_seconds": train_s, "lr_find_seconds": find_s, "lr": lr,
            "out": out, "files": files}


if __name__ == "__main__":
    main()
