"""Train the from-scratch Learner: python -m examples.learner_from_scratch

Writes a synthetic image folder (2 classes of 64x64 PNGs) to a temporary directory, loads it
with the from-scratch DataLoader (worker processes), shows the activation statistics of the
conv layers on one batch through forward hooks, runs the LR finder, then trains a fresh
simple CNN with one-cycle scheduling and prints the loss and accuracy of every epoch. With
--out DIR the LR finder curve, the one-cycle schedule and the activation statistics are saved
there as PNGs.
"""
import argparse
import math
import os
import tempfile
import time

import numpy as np

import ember as torch

from .callbacks import ActivationStats, LRFinder, OneCycle, SetupLearnerCB, TrackResults
from .data import Normalize, channel_stats, image_dataloaders, make_image_folder
from .learner import Learner, cross_entropy
from .model import print_stats, simple_cnn


def lr_find(dls, tfm_x, n_out, iters=88, start_lr=1e-6, max_lr=10.0, verbose=True):
    """The chapter's LR finder on a fresh model: from start_lr to max_lr in about iters
    training batches (the chapter's mult of 1.2 is iters=88)."""
    lrfind = LRFinder(start_lr, max_lr, mult=(max_lr / start_lr) ** (1 / iters))
    cbs = [SetupLearnerCB(tfm_x), TrackResults(verbose=verbose), lrfind]
    learn = Learner(simple_cnn(n_out), dls, cross_entropy, lr=0.1, cbs=cbs)
    with np.errstate(over="ignore", invalid="ignore"):  # the loss is meant to blow up at the end
        learn.fit(math.ceil((iters + 1) / len(dls.train)))  # ends early, once lr > max_lr
    return lrfind


def save_plots(out, lrfind, onecyc, act_stats):
    from matplotlib.figure import Figure  # object-oriented matplotlib: no pyplot, no backend

    os.makedirs(out, exist_ok=True)
    fig = Figure(figsize=(6, 4))
    ax = fig.subplots()
    ax.plot(lrfind.lrs[:-2], lrfind.losses[:-2], label="loss")  # the last points blow up: left out
    ax.plot(lrfind.lrs[:-2], lrfind.smoothed_losses()[:-2], label="smoothed")
    ax.set_xscale("log")
    ax.set(xlabel="learning rate", ylabel="loss", title="LR finder")
    losses = lrfind.losses[:-2]
    if losses:  # keep the picture on the useful part, not on the blow-up at the end
        ax.set_ylim(0.9 * min(losses), 2 * lrfind.smoothed_losses()[0])
    ax.legend()
    fig.savefig(os.path.join(out, "lr_find.png"))

    fig = Figure(figsize=(6, 4))
    ax = fig.subplots()
    ax.plot(onecyc.lrs)
    ax.set(xlabel="training batch", ylabel="learning rate", title="one cycle")
    fig.savefig(os.path.join(out, "one_cycle.png"))

    fig = Figure(figsize=(10, 4))
    ax_mean, ax_std = fig.subplots(1, 2)
    for i, rows in act_stats.stats.items():
        ax_mean.plot([r[0] for r in rows], label=f"layer {i}")
        ax_std.plot([r[1] for r in rows], label=f"layer {i}")
    ax_mean.set(xlabel="training batch", title="activation mean")
    ax_std.set(xlabel="training batch", title="activation std")
    ax_mean.legend()
    fig.savefig(os.path.join(out, "activation_stats.png"))


def run(epochs=8, n_per_class=100, bs=4, lr=0.1, n_workers=2, find_iters=88, out=None,
        verbose=True, progress=False, seed=0):
    """The whole chapter; returns a dict with the callbacks (lrfind, onecyc, act_stats,
    results), the validation accuracy and the training time."""
    torch.manual_seed(seed)
    with tempfile.TemporaryDirectory() as tmp:
        path = make_image_folder(tmp, n_per_class=n_per_class, seed=seed)
        dls, v2i = image_dataloaders(path, bs=bs, n_workers=n_workers, seed=seed)
        n_out = len(v2i)

        xb, yb = next(iter(dls.train))
        norm = Normalize(channel_stats(xb))

        def tfm_x(x):  # normalise, then NHWC (as PIL gives) -> NCHW (as conv2d wants)
            return norm(x).permute((0, 3, 1, 2))

        if verbose:  # the chapter's first look: mean and std after each conv layer, by hooks
            m = simple_cnn(n_out)
            for i in range(4):
                m.layers[i].hook = print_stats
            print("activation mean, std of the conv layers on one batch:")
            m(tfm_x(xb))

        lrfind = lr_find(dls, tfm_x, n_out, iters=find_iters, verbose=False)
        if verbose:
            # as in the chapter, the curve is for reading: pick an lr well below the blow-up
            print(f"LR finder: {len(lrfind.lrs)} batches, lr {lrfind.lrs[0]:.2g} to "
                  f"{lrfind.lrs[-1]:.2g} (curve in lr_find.png with --out); one cycle at {lr}")

        results, onecyc, act_stats = TrackResults(verbose=verbose), OneCycle(lr), ActivationStats()
        cbs = [SetupLearnerCB(tfm_x), results, onecyc, act_stats]
        learn = Learner(simple_cnn(n_out), dls, cross_entropy, lr=lr, cbs=cbs, progress=progress)
        start = time.perf_counter()
        learn.fit(epochs)
        train_time = time.perf_counter() - start
    if verbose:
        print(f"validation accuracy {results.valid_acc:.3f}; training took {train_time:.1f} s")
    if out is not None:
        save_plots(out, lrfind, onecyc, act_stats)
    return dict(valid_acc=results.valid_acc, train_time=train_time, lrfind=lrfind, onecyc=onecyc,
                act_stats=act_stats, results=results, learner=learn)


def main(epochs=8, n_per_class=100, out=None, **kwargs):
    """Run the chapter; return the final validation accuracy."""
    return run(epochs=epochs, n_per_class=n_per_class, out=out, **kwargs)["valid_acc"]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--n-per-class", type=int, default=100)
    parser.add_argument("--bs", type=int, default=4)
    parser.add_argument("--lr", type=float, default=0.1)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", default=None, help="folder for the PNG plots")
    args = parser.parse_args()
    main(epochs=args.epochs, n_per_class=args.n_per_class, out=args.out, bs=args.bs, lr=args.lr,
         n_workers=args.workers, progress=True)
