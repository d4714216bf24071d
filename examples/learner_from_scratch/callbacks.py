"""Callbacks from scratch (steps 11 and 13 of the course): the Callback base that reads the
learner's attributes as its own, setting up batches, tracking loss and accuracy, the LR
finder, one-cycle scheduling, and activation statistics recorded by forward hooks."""
import ember as torch

from .learner import CancelFitException
from .model import ConvLayer


class GetAttr:
    """Attributes this object lacks are looked up on the object named by ``_default``
    (fastcore's GetAttr). Only reads are forwarded: assignments stay on this object."""

    _default = "default"

    def __getattr__(self, k):
        if k.startswith("_") or k == self._default:  # no recursion while _default is unset
            raise AttributeError(k)
        return getattr(getattr(self, self._default), k)

    def __dir__(self):
        return sorted(set(super().__dir__()) | set(dir(getattr(self, self._default, None))))


class Callback(GetAttr):
    _default = "learner"


def default_device():
    return "cuda" if torch.cuda.is_available() else "cpu"


class SetupLearnerCB(Callback):
    """Moves the model and each batch to the device and applies tfm_x (normalise, NHWC -> NCHW)
    to the images."""

    def __init__(self, tfm_x, device=None):
        self.tfm_x, self.device = tfm_x, device or default_device()

    def before_batch(self):
        xb, yb = (t.to(self.device) for t in self.batch)
        self.learner.batch = self.tfm_x(xb), yb

    def before_fit(self):
        self.model.to(self.device)


class TrackResults(Callback):
    """Mean loss and accuracy of each train and validation epoch, printed and kept in
    ``history`` as (epoch, training, loss, accuracy)."""

    def __init__(self, verbose=True):
        self.verbose, self.history = verbose, []

    def before_epoch(self):
        self.accs, self.losses, self.ns = [], [], []

    def after_epoch(self):
        n = sum(self.ns)
        row = (self.epoch, self.model.training, sum(self.losses).item() / n, sum(self.accs).item() / n)
        self.history.append(row)
        if self.verbose:
            print(*row)

    def after_batch(self):
        xb, yb = self.batch
        acc = (self.preds.argmax(dim=1) == yb).float().sum()
        self.accs.append(acc)
        n = len(xb)
        # detached: the chapter keeps self.loss*n, which holds every batch's graph for the epoch
        self.losses.append(self.loss.detach() * n)
        self.ns.append(n)

    @property
    def valid_acc(self):
        """Accuracy of the last validation epoch."""
        return [h[3] for h in self.history if not h[1]][-1]


class LRFinder(Callback):
    """Start at start_lr and multiply the learning rate by mult before every training batch;
    stop the fit once it passes max_lr or the loss is NaN. The chapter's 1.2 takes 88 batches
    from 1e-6 to 10; with few batches a larger mult covers the same range."""

    def __init__(self, start_lr=1e-6, max_lr=10.0, mult=1.2):
        self.start_lr, self.max_lr, self.mult = start_lr, max_lr, mult

    def before_fit(self):
        self.losses, self.lrs = [], []
        self.learner.lr = self.start_lr

    def before_batch(self):
        if not self.model.training:
            return
        self.opt.lr *= self.mult

    def after_batch(self):
        if not self.model.training:
            return
        if self.opt.lr > self.max_lr or torch.isnan(self.loss):
            raise CancelFitException
        self.losses.append(self.loss.item())
        self.lrs.append(self.opt.lr)

    def smoothed_losses(self, beta=0.9):
        """Exponential moving average of the losses, debiased (one batch's loss is noisy)."""
        avg, out = 0.0, []
        for i, loss in enumerate(self.losses):
            avg = beta * avg + (1 - beta) * loss
            out.append(avg / (1 - beta ** (i + 1)))
        return out


class OneCycle(Callback):
    """The learning rate rises linearly from base_lr/div_start to base_lr over the first
    pct_start of the training batches, then falls linearly to 0."""

    def __init__(self, base_lr, pct_start=0.25, div_start=10):
        self.base_lr, self.pct_start, self.div_start = base_lr, pct_start, div_start

    def before_fit(self):
        self.lrs = []

    def before_batch(self):
        if not self.model.training:
            return
        n = len(self.dls.train)
        bn = self.epoch * n + self.num
        mn = self.n_epochs * n
        pct = bn / mn
        pct_start, div_start = self.pct_start, self.div_start
        if pct < pct_start:
            pct /= pct_start
            lr = (1 - pct) * self.base_lr / div_start + pct * self.base_lr
        else:
            pct = (pct - pct_start) / (1 - pct_start)
            lr = (1 - pct) * self.base_lr
        self.opt.lr = lr
        self.lrs.append(lr)


class ActivationStats(Callback):
    """Forward hooks on every ConvLayer of the model (the chapter's print_stats, recorded
    instead of printed): ``stats[i]`` lists (mean, std) of layer i's output per training batch."""

    def before_fit(self):
        self.layers = {i: m for i, m in enumerate(self.model.layers) if isinstance(m, ConvLayer)}
        self.stats = {i: [] for i in self.layers}
        for i, m in self.layers.items():
            m.hook = self._hook(i)

    def _hook(self, i):
        def hook(outp, inp):
            if self.model.training:
                outp = outp.detach()
                self.stats[i].append((outp.mean().item(), outp.std().item()))
        return hook

    def after_fit(self):
        for m in self.layers.values():
            m.hook = None

