"""Training plots with matplotlib (imported on first use; the Agg backend is chosen when there
is no display): loss and metric curves, learning-rate (and momentum) schedules, the LR-finder
curve with its suggestions marked, activation statistics, a confusion matrix, and the decision
regions of a 2-D classifier (the picture seed 000 draws with mlxtend).

Every function takes ``ax=`` (draw into an existing Axes) and ``fname=`` (save the figure
there) and returns the matplotlib Figure."""
import math
import os
import sys

import numpy as np

__all__ = ["plot_loss", "plot_metrics", "plot_lr", "plot_lr_find", "plot_activation_stats",
           "plot_color_dim", "plot_confusion_matrix", "confusion_matrix", "plot_decision_regions",
           "pyplot", "show"]


def _no_display():
    if sys.platform.startswith(("win", "darwin")):
        return False
    return not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def pyplot():
    """matplotlib.pyplot, on the Agg backend when nothing else was chosen and no display exists."""
    import matplotlib
    if "matplotlib.pyplot" not in sys.modules and not os.environ.get("MPLBACKEND") and _no_display():
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def show(fig):
    """Show ``fig`` where the backend can; on Agg (no display) just release it. Returns it."""
    plt = pyplot()
    import matplotlib
    if matplotlib.get_backend().lower() != "agg":
        plt.show()
    else:
        plt.close(fig)
    return fig


def _axes(ax, figsize=(6, 4)):
    if ax is not None:
        return ax.figure, ax
    fig, ax = pyplot().subplots(figsize=figsize)
    return fig, ax


def _finish(fig, fname, close=None):
    if fname is not None:
        fig.savefig(fname, dpi=100, bbox_inches="tight")
        if close is None or close:
            pyplot().close(fig)
    return fig


def _recorder(obj):
    return getattr(obj, "recorder", obj)


def _np(t):
    if t is None:
        return None
    if hasattr(t, "detach"):
        t = t.detach()
        if hasattr(t, "cpu"):
            t = t.cpu()
        return t.numpy()
    return np.asarray(t)


def plot_loss(recorder, skip_start=5, with_valid=True, ax=None, fname=None):
    """Training loss per batch (smoothed) and validation loss at each epoch's end. Takes a
    Recorder or a Learner."""
    rec = _recorder(recorder)
    fig, ax = _axes(ax)
    losses = np.asarray(rec.losses, dtype=np.float64)
    start = min(skip_start, max(len(losses) - 1, 0))
    ax.plot(np.arange(start, len(losses)), losses[start:], label="train")
    if with_valid and rec.values:
        iters = np.asarray(rec.epoch_iters[:len(rec.values)])
        valid = np.asarray([row[1] for row in rec.values], dtype=np.float64)
        keep = iters > start
        ax.plot(iters[keep], valid[keep], marker="o", label="valid")
    ax.set_xlabel("iteration")
    ax.set_ylabel("loss")
    ax.legend()
    return _finish(fig, fname)


def _metric_panels(names):
    panels = {}
    for n in names:
        key = n[6:] if n.startswith(("train_", "valid_")) else n
        panels.setdefault(key, []).append(n)
    return panels


def plot_metrics(recorder, nrows=None, ncols=None, figsize=None, fname=None):
    """One panel per quantity recorded each epoch: the train/valid losses together, and each
    metric (train and valid together when both are recorded)."""
    rec = _recorder(recorder)
    hist = rec.history
    panels = _metric_panels(list(hist))
    n = len(panels)
    ncols = ncols or min(n, 3)
    nrows = nrows or math.ceil(n / ncols)
    fig, axs = pyplot().subplots(nrows, ncols, figsize=figsize or (4.5 * ncols, 3.5 * nrows), squeeze=False)
    epochs = np.arange(len(rec.values))
    for ax, (key, cols) in zip(axs.flat, panels.items()):
        for c in cols:
            ax.plot(epochs, np.asarray(hist[c], dtype=np.float64), marker=".", label=c)
        ax.set_title(key)
        ax.set_xlabel("epoch")
        if len(cols) > 1:
            ax.legend()
    for ax in list(axs.flat)[n:]:
        ax.set_visible(False)
    fig.tight_layout()
    return _finish(fig, fname)


def plot_lr(recorder, with_mom=True, figsize=None, fname=None):
    """The learning rate per training batch, and the momentum next to it when a scheduler set
    one."""
    rec = _recorder(recorder)
    moms = (getattr(rec, "hps", None) or {}).get("mom") if with_mom else None
    n = 2 if moms else 1
    fig, axs = pyplot().subplots(1, n, figsize=figsize or (5 * n, 3.5), squeeze=False)
    axs[0, 0].plot(np.asarray(rec.lrs, dtype=np.float64))
    axs[0, 0].set_title("learning rate")
    axs[0, 0].set_xlabel("iteration")
    if moms:
        axs[0, 1].plot(np.asarray(moms, dtype=np.float64))
        axs[0, 1].set_title("momentum")
        axs[0, 1].set_xlabel("iteration")
    fig.tight_layout()
    return _finish(fig, fname)


def plot_lr_find(lrs, losses=None, suggestions=None, skip_end=5, ax=None, fname=None):
    """The LR-finder curve (loss against learning rate, log scale) with the suggestions marked.
    ``lrs`` may be an LRFinder (or a Learner after ``lr_find``); ``suggestions`` a dict
    ``{name: (lr, loss)}`` or ``lr_find``'s named tuple."""
    if hasattr(lrs, "lr_find_results"):
        lrs = lrs.lr_find_results
    if hasattr(lrs, "lrs"):
        finder = lrs
        lrs, losses = finder.lrs, finder.losses
        if suggestions is None:
            suggestions = getattr(finder, "points", None)
    lrs, losses = np.asarray(lrs, dtype=np.float64), np.asarray(losses, dtype=np.float64)
    if skip_end and len(lrs) > skip_end + 2:
        lrs, losses = lrs[:-skip_end], losses[:-skip_end]
    fig, ax = _axes(ax)
    ax.plot(lrs, losses)
    ax.set_xscale("log")
    ax.set_xlabel("learning rate")
    ax.set_ylabel("loss")
    if suggestions is not None:
        if hasattr(suggestions, "_asdict"):
            order = np.argsort(lrs)
            suggestions = {k: (v, float(np.interp(np.log(v), np.log(lrs[order]), losses[order])))
                           for k, v in suggestions._asdict().items()}
        markers = "o^sDv*"
        for i, (name, (x, y)) in enumerate(suggestions.items()):
            ax.plot([x], [y], markers[i % len(markers)], markersize=8, label=f"{name}: {x:.2e}")
        ax.legend()
    return _finish(fig, fname)


def plot_activation_stats(stats, idx=None, figsize=None, fname=None):
    """Mean, std and near-zero share of each hooked layer's activations over the recorded
    batches (an ActivationStats, or a Learner that has one); ``idx`` picks one layer."""
    stats = getattr(stats, "activation_stats", stats)
    s = stats.stats
    layers = range(s.shape[1]) if idx is None else [idx]
    names = getattr(stats, "layer_names", [str(i) for i in range(s.shape[1])])
    fig, axs = pyplot().subplots(1, 3, figsize=figsize or (15, 3.8))
    for j, title in enumerate(("mean", "std", "near zero share")):
        for i in layers:
            axs[j].plot(s[:, i, j], label=names[i])
        axs[j].set_title(title)
        axs[j].set_xlabel("batch")
    axs[-1].legend(fontsize="small")
    fig.tight_layout()
    return _finish(fig, fname)


def plot_color_dim(stats, idx, ax=None, fname=None):
    """fastai's "colorful dimension": the histogram of layer ``idx``'s activations per batch
    (log scale), from an ActivationStats created with ``with_hist=True``."""
    stats = getattr(stats, "activation_stats", stats)
    h = stats.hists
    if h.size == 0:
        raise ValueError("plot_color_dim needs ActivationStats(with_hist=True)")
    fig, ax = _axes(ax, figsize=(8, 3))
    ax.imshow(np.log1p(h[:, idx].T.astype(np.float64)), origin="lower", aspect="auto", cmap="viridis")
    ax.set_xlabel("batch")
    ax.set_ylabel("activation bin")
    return _finish(fig, fname)


def confusion_matrix(preds, targs, num_classes=None):
    """Counts ``cm[true, predicted]`` from predicted labels (or scores, argmax-ed) and targets."""
    p, t = _np(preds), _np(targs)
    if p.ndim > 1:
        p = p.argmax(axis=1)
    p, t = p.astype(np.int64).ravel(), t.astype(np.int64).ravel()
    n = num_classes or int(max(p.max(initial=0), t.max(initial=0)) + 1)
    return np.bincount(t * n + p, minlength=n * n).reshape(n, n)


def plot_confusion_matrix(cm, targs=None, classes=None, normalize=False, cmap="Blues", ax=None,
                          title="Confusion matrix", fname=None):
    """Draw a confusion matrix. ``cm`` is the matrix (array or tensor), an object with
    ``compute()`` (a ConfusionMatrix metric), a Learner (its validation predictions), or the
    predictions when ``targs`` is given."""
    if hasattr(cm, "get_preds"):
        learn = cm
        if classes is None:
            classes = getattr(learn.dls, "vocab", None)
        preds, targs = learn.get_preds()[:2]
        cm = confusion_matrix(preds, targs, len(classes) if classes is not None else None)
    elif targs is not None:
        cm = confusion_matrix(cm, targs, len(classes) if classes is not None else None)
    elif hasattr(cm, "compute"):
        cm = _np(cm.compute())
    cm = np.asarray(_np(cm), dtype=np.float64)
    if normalize:
        with np.errstate(invalid="ignore", divide="ignore"):
            cm = np.nan_to_num(cm / cm.sum(axis=1, keepdims=True))
    n = cm.shape[0]
    classes = list(classes) if classes is not None else [str(i) for i in range(n)]
    fig, ax = _axes(ax, figsize=(max(4, 0.6 * n + 2), max(4, 0.6 * n + 2)))
    im = ax.imshow(cm, interpolation="nearest", cmap=cmap)
    fig.colorbar(im, ax=ax, fraction=0.046)
    ax.set_xticks(range(n), labels=classes, rotation=90 if n > 10 else 0)
    ax.set_yticks(range(n), labels=classes)
    thresh = cm.max() / 2 if cm.size else 0
    if n <= 30:
        for i in range(n):
            for j in range(n):
                txt = f"{cm[i, j]:.2f}" if normalize else f"{int(cm[i, j])}"
                ax.text(j, i, txt, ha="center", va="center", fontsize=8,
                        color="white" if cm[i, j] > thresh else "black")
    ax.set_xlabel("predicted")
    ax.set_ylabel("actual")
    ax.set_title(title)
    return _finish(fig, fname)


def _predict_labels(model, grid, decode):
    from .. import _creation
    from ..autograd.grad_mode import no_grad
    if hasattr(model, "model") and hasattr(model, "dls"):   # a Learner
        model = model.model
    if decode is None and hasattr(model, "predict") and callable(model.predict) \
            and not hasattr(model, "dls"):
        out = model.predict(grid)   # seed 000's models take a NumPy array
        return _np(out).astype(np.float64).ravel()
    was_training = getattr(model, "training", None)
    if was_training is not None:
        model.eval()
    try:
        with no_grad():
            out = model(_creation.tensor(grid))
    finally:
        if was_training:
            model.train()
    if decode is not None:
        return _np(decode(out)).ravel()
    o = _np(out).astype(np.float64)
    if o.ndim > 1 and o.shape[1] > 1:
        return o.argmax(axis=1)
    o = o.ravel()
    # Probabilities (all in [0, 1]) are cut at 0.5, logits at 0.
    cut = 0.5 if (o.min(initial=0.0) >= 0 and o.max(initial=0.0) <= 1) else 0.0
    return (o >= cut).astype(np.float64)


def _label(c):
    c = c.item() if hasattr(c, "item") else c
    return str(int(c)) if isinstance(c, float) and c.is_integer() else str(c)


def plot_decision_regions(x, y, model, ax=None, resolution=None, decode=None, legend=True, fname=None):
    """Colour the plane by the class ``model`` predicts and scatter the points ``x`` (N×2)
    coloured by their labels ``y``. ``model`` is an ember Module (or a Learner, or anything
    with ``predict(numpy_array)``); its outputs become labels by argmax (several columns) or a
    threshold (one column: 0.5 for probabilities, 0 for logits), or by ``decode(output)``."""
    x, y = _np(x).astype(np.float64), _np(y).ravel()
    if x.ndim != 2 or x.shape[1] != 2:
        raise ValueError(f"plot_decision_regions needs 2-D points (N x 2), got shape {x.shape}")
    lo, hi = x.min(axis=0), x.max(axis=0)
    pad = (hi - lo) * 0.1 + 1e-3
    lo, hi = lo - pad, hi + pad
    step = resolution or float(max(hi - lo)) / 200
    xx, yy = np.meshgrid(np.arange(lo[0], hi[0], step), np.arange(lo[1], hi[1], step))
    grid = np.c_[xx.ravel(), yy.ravel()].astype(np.float32)
    z = _predict_labels(model, grid, decode).reshape(xx.shape)
    classes = np.unique(np.concatenate([np.unique(y), np.unique(z)]))
    fig, ax = _axes(ax, figsize=(5, 5))
    plt = pyplot()
    cmap = plt.get_cmap("tab10")
    colors = [cmap(i % 10) for i in range(len(classes))]
    from matplotlib.colors import ListedColormap
    idx = np.searchsorted(classes, z)
    ax.contourf(xx, yy, idx, levels=np.arange(len(classes) + 1) - 0.5, cmap=ListedColormap(colors), alpha=0.3)
    markers = "s^oxv<>"
    for i, c in enumerate(classes):
        sel = y == c
        if sel.any():
            ax.scatter(x[sel, 0], x[sel, 1], color=colors[i], marker=markers[i % len(markers)],
                       edgecolor="black", linewidths=0.5, label=_label(c))
    ax.set_xlim(lo[0], hi[0])
    ax.set_ylim(lo[1], hi[1])
    if legend:
        ax.legend(loc="upper left")
    return _finish(fig, fname)
