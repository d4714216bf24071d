"""Callbacks that work on the model's internals: ActivationStats (forward hooks recording each
layer's activation mean, std and share of near-zero values, as seed 003 prints them),
GradientClip and GradientAccumulation."""
import numpy as np

from ...autograd.grad_mode import no_grad
from ..engine import Callback, CancelBatchException, find_bs

__all__ = ["ActivationStats", "GradientClip", "GradientAccumulation", "leaf_modules_with_params"]


def leaf_modules_with_params(model):
    """The modules without children that hold parameters of their own (Linear, Conv…)."""
    return [m for m in model.modules()
            if not any(True for _ in m.children()) and any(True for _ in m.parameters(recurse=False))]


class ActivationStats(Callback):
    """Forward hooks on ``modules`` (default: every leaf module with parameters) that record, for
    each training batch (every ``every``-th one if given), each layer's output mean, std and
    ``near_zero`` share (the fraction of outputs <= ``near_zero_thresh``, fastai's measure of
    activations a following ReLU would kill); with ``with_hist``, a histogram of the outputs
    over ``hist_range`` as well.

    After training: ``stats`` is an array (records, layers, 3) of (mean, std, near_zero);
    ``means``, ``stds``, ``near_zero`` slice it; ``hists`` (records, layers, bins)."""

    order = -20   # before TrainEvalCallback counts the batch

    def __init__(self, modules=None, every=None, with_hist=False, near_zero_thresh=0.05, bins=40,
                 hist_range=(0.0, 10.0)):
        self.modules, self.every, self.with_hist = modules, every, with_hist
        self.near_zero_thresh, self.bins, self.hist_range = near_zero_thresh, bins, hist_range
        self._handles, self._current = [], None
        self._stats, self._hists = [], []

    def before_fit(self):
        self._remove()
        mods = self.modules if self.modules is not None else leaf_modules_with_params(self.model)
        self.hooked = list(mods)
        self.layer_names = [_module_name(self.model, m) for m in self.hooked]
        self._stats, self._hists = [], []
        self._handles = [m.register_forward_hook(self._hook(i)) for i, m in enumerate(self.hooked)]

    def _recording(self):
        if not self.training:
            return False
        return self.every is None or self.train_iter % self.every == 0

    def _hook(self, i):
        def hook(module, inp, out):
            if self._current is None:
                return
            with no_grad():
                o = (out[0] if isinstance(out, (tuple, list)) else out).detach().float()
                n = max(o.numel(), 1)
                row = (o.mean().item(), o.std().item() if o.numel() > 1 else 0.0,
                       (o <= self.near_zero_thresh).sum().item() / n)
                self._current[i] = row
                if self.with_hist:
                    a = o.cpu().numpy().ravel()
                    self._current_hist[i] = np.histogram(a, bins=self.bins, range=self.hist_range)[0]
        return hook

    def before_batch(self):
        if self._recording():
            self._current = [(np.nan, np.nan, np.nan)] * len(self.hooked)
            self._current_hist = [np.zeros(self.bins, dtype=np.int64)] * len(self.hooked)
        else:
            self._current = None

    def after_batch(self):
        if self._current is not None:
            self._stats.append(self._current)
            if self.with_hist:
                self._hists.append(self._current_hist)
        self._current = None

    def after_fit(self):
        self._remove()

    def _remove(self):
        for h in self._handles:
            h.remove()
        self._handles = []

    @property
    def stats(self):
        n = len(getattr(self, "hooked", []))
        return np.asarray(self._stats, dtype=np.float64).reshape(len(self._stats), n, 3)

    @property
    def means(self):
        return self.stats[:, :, 0]

    @property
    def stds(self):
        return self.stats[:, :, 1]

    @property
    def near_zero(self):
        return self.stats[:, :, 2]

    @property
    def hists(self):
        return np.asarray(self._hists, dtype=np.int64)

    def layer_stats(self, idx):
        """(means, stds, near_zero) of layer ``idx`` over the recorded batches."""
        s = self.stats
        return s[:, idx, 0], s[:, idx, 1], s[:, idx, 2]

    def plot_layer_stats(self, idx=None, **kwargs):
        from ..plots import plot_activation_stats
        return plot_activation_stats(self, idx, **kwargs)

    def color_dim(self, idx, **kwargs):
        from ..plots import plot_color_dim
        return plot_color_dim(self, idx, **kwargs)


def _module_name(model, module):
    for name, m in model.named_modules():
        if m is module:
            return f"{name or 'model'} ({type(m).__name__})"
    return type(module).__name__


class GradientClip(Callback):
    """Clip the gradients' total norm to ``max_norm`` before each step
    (``ember.nn.utils.clip_grad_norm_``)."""

    order = 11   # after GradientAccumulation decides whether this batch steps

    def __init__(self, max_norm=1.0, norm_type=2.0):
        self.max_norm, self.norm_type = max_norm, norm_type

    def before_step(self):
        from ...nn.utils import clip_grad_norm_
        self.total_norm = clip_grad_norm_(self.model.parameters(), self.max_norm, self.norm_type)


class GradientAccumulation(Callback):
    """Accumulate gradients over ``n_acc`` samples before stepping: each batch's loss is scaled by
    ``bs / n_acc`` for the backward pass and the step (and zeroing) is skipped until ``n_acc``
    samples were seen, so k batches of size b match one batch of size k·b. The recorded loss
    is the unscaled one."""

    order = 6
    run_valid = False

    def __init__(self, n_acc=32):
        self.n_acc = n_acc

    def before_fit(self):
        self.count = 0
        if self.opt is not None:
            self.opt.zero_grad()

    def after_loss(self):
        bs = find_bs(self.learn.yb) or 1
        self.learn.loss_grad = self.learn.loss_grad * (bs / self.n_acc)

    def before_step(self):
        self.count += find_bs(self.learn.yb) or 1
        if self.count < self.n_acc:
            raise CancelBatchException()   # keep the gradients: no step, no zero_grad
        self.count = 0
