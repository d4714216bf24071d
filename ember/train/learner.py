"""Learner and DataLoaders: fastai's training API as a thin layer over the engine.

The Learner adds to the engine's loop what a user asks for by name: the optimizer (built from
``opt_func`` over the splitter's parameter groups), learning rates and weight decay, the fit
policies (``fit``, ``fit_one_cycle``, ``fit_flat_cos``, ``fine_tune``), ``lr_find``, metrics,
``validate`` / ``get_preds`` / ``predict``, checkpoints (``save`` / ``load``), freezing by
parameter group and ``summary``."""
import contextlib
import math
import os
from pathlib import Path
from types import SimpleNamespace

import numpy as np

from .._tensor import Tensor
from ..nn.modules.module import Module
from ..ops.join import cat
from ._hypers import lr_per_group, set_hyper
from .callbacks.core import Recorder, TrainEvalCallback, as_metric
from .callbacks.progress import ProgressCallback
from .callbacks.schedule import (
    LRFinder,
    ParamScheduler,
    SuggestedLRs,
    combined_cos,
    minimum,
    one_cycle_scheds,
    steepest,
    valley,
)
from .engine import Callback, Engine, _listify, to_device

__all__ = ["Learner", "DataLoaders", "defaults", "trainable_params", "GatherPreds"]

defaults = SimpleNamespace(callbacks=[TrainEvalCallback, Recorder, ProgressCallback])


class DataLoaders:
    """The loaders of one task: ``train``, ``valid`` and optionally ``test`` (also by index:
    ``dls[0]`` is train, ``dls[1]`` valid). ``vocab`` (class names) is used by ``predict``."""

    def __init__(self, train, valid=None, test=None, *more, device=None, vocab=None):
        self.loaders = [train, valid] + ([test] if test is not None or more else []) + list(more)
        self.device, self.vocab = device, vocab

    @classmethod
    def from_dsets(cls, train_ds, valid_ds=None, test_ds=None, bs=64, shuffle=True, num_workers=0,
                   device=None, vocab=None, **kwargs):
        """Build the loaders from datasets: the training one shuffled, the others in order and
        with twice the batch size (no gradients are kept there)."""
        from ..utils.data import DataLoader
        train = DataLoader(train_ds, batch_size=bs, shuffle=shuffle, num_workers=num_workers, **kwargs)
        def mk(ds):
            if ds is None:
                return None
            return DataLoader(ds, batch_size=bs * 2, shuffle=False, num_workers=num_workers, **kwargs)

        return cls(train, mk(valid_ds), mk(test_ds), device=device, vocab=vocab)

    @property
    def train(self):
        return self.loaders[0]

    @property
    def valid(self):
        return self.loaders[1]

    @property
    def test(self):
        return self.loaders[2] if len(self.loaders) > 2 else None

    @property
    def train_ds(self):
        return getattr(self.train, "dataset", None)

    @property
    def valid_ds(self):
        return getattr(self.valid, "dataset", None)

    def __getitem__(self, i):
        return self.loaders[i]

    def __len__(self):
        return len(self.loaders)

    def __iter__(self):
        return iter(self.loaders)

    def one_batch(self, i=0):
        """The first batch of loader ``i``."""
        return next(iter(self.loaders[i]))

    def __repr__(self):
        parts = []
        for name, dl in zip(("train", "valid", "test"), self.loaders):
            if dl is not None:
                n = len(dl) if hasattr(dl, "__len__") else "?"
                parts.append(f"{name}: {n} batches")
        return f"DataLoaders({', '.join(parts)})"


def trainable_params(model):
    """The default splitter: one parameter group with all the model's parameters."""
    return [list(model.parameters())]


class GatherPreds(Callback):
    """Collects predictions (and targets, inputs, per-item losses) during a validation pass."""

    order = 100

    def __init__(self, with_input=False, with_loss=False, loss_fn=None):
        self.with_input, self.with_loss, self.loss_fn = with_input, with_loss, loss_fn
        self.preds, self.targs, self.inputs, self.losses = [], [], [], []

    def after_batch(self):
        pred = self.learn.pred
        self.preds.append(pred.detach() if isinstance(pred, Tensor) else pred)
        yb = self.learn.yb
        if yb:
            self.targs.append(yb[0])
        if self.with_input:
            self.inputs.append(self.learn.xb[0])
        if self.with_loss and yb:
            self.losses.append(self.loss_fn(pred, *yb).detach())


def _cat(ts):
    if not ts:
        return None
    if not isinstance(ts[0], Tensor):
        return ts
    return cat([t.reshape(1) if t.dim() == 0 else t for t in ts])


def _base_func(f):
    return getattr(f, "func", f)   # functools.partial


def _activation_and_decodes(loss_func):
    """What turns the model's outputs into the quantities the loss compares with targets
    (softmax for cross entropy, sigmoid for BCE with logits, exp for NLL), and how to decode
    those into labels."""
    from ..nn import functional as F
    from ..nn.modules import loss as L

    def ident(x):
        return x

    act = getattr(loss_func, "activation", None)
    dec = getattr(loss_func, "decodes", None)
    if act is not None or dec is not None:
        return act or ident, dec or ident
    f = _base_func(loss_func)

    def argmax1(x):
        return x.argmax(dim=1) if x.dim() > 1 else (x > 0.5).long()

    if isinstance(f, L.CrossEntropyLoss) or f is F.cross_entropy:
        return (lambda x: F.softmax(x, dim=1) if x.dim() > 1 else F.softmax(x, dim=0)), argmax1
    if isinstance(f, L.BCEWithLogitsLoss) or f is F.binary_cross_entropy_with_logits:
        return F.sigmoid, (lambda x: (x > 0.5).long())
    if isinstance(f, L.NLLLoss) or f is F.nll_loss:
        return (lambda x: x.exp()), argmax1
    if isinstance(f, L.BCELoss) or f is F.binary_cross_entropy:
        return ident, (lambda x: (x > 0.5).long())
    return ident, ident


def _per_item_loss(loss_func):
    """``loss_func`` with ``reduction='none'``."""
    f = loss_func
    if hasattr(f, "reduction"):
        def per_item(*args):
            old = f.reduction
            f.reduction = "none"
            try:
                return f(*args)
            finally:
                f.reduction = old
        return per_item
    return lambda *args: f(*args, reduction="none")


class _Summary(str):
    """A string that shows itself plainly at the REPL."""

    def __repr__(self):
        return str(self)


def _bn_types():
    from .. import nn
    names = ("BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "InstanceNorm1d", "InstanceNorm2d",
             "InstanceNorm3d")
    return tuple(getattr(nn, n) for n in names if hasattr(nn, n))


class Learner(Engine):
    """Group a model, its data, a loss and an optimizer for training (fastai's Learner).

    ``dls`` is a DataLoaders (or a (train, valid) pair of loaders); ``loss_func(pred, *targets)``;
    ``opt_func(param_groups, lr=...)`` builds the optimizer (default ``ember.optim.Adam``);
    ``splitter(model)`` returns the parameter groups (lists of parameters or modules) for
    discriminative learning rates and freezing; ``metrics`` are functions ``f(preds, targets)``
    or metric objects; ``cbs`` callbacks added to the defaults (TrainEvalCallback, Recorder,
    ProgressCallback); ``wd`` the weight decay (the optimizer's ``weight_decay``); ``moms`` the
    momentum cycle of ``fit_one_cycle``; ``path / model_dir`` where ``save`` writes.

    The order of seed 003's Learner, ``Learner(model, dls, loss_func, ...)``, is accepted too."""

    def __init__(self, dls, model, loss_func=None, opt_func=None, lr=1e-3, splitter=None, cbs=None,
                 metrics=None, path=".", model_dir="models", wd=None, moms=(0.95, 0.85, 0.95),
                 train_bn=True, n_inp=None):
        if isinstance(dls, Module) and not isinstance(model, Module):
            dls, model = model, dls
        if isinstance(dls, (list, tuple)):
            dls = DataLoaders(*dls)
        if opt_func is None:
            from ..optim import Adam
            opt_func = Adam
        if n_inp is None:
            n_inp = getattr(dls, "n_inp", 1)
        super().__init__(model, dls, loss_func, n_inp=n_inp)
        self.opt_func, self.lr, self.splitter, self.wd, self.moms = opt_func, lr, splitter, wd, moms
        self.train_bn, self.path, self.model_dir = train_bn, Path(path), model_dir
        self.metrics = metrics
        self.final_record, self.frozen_idx = None, 0
        self.device = getattr(dls, "device", None)
        if self.device is not None:
            self.model.to(self.device)
        self.add_cbs([cb() for cb in defaults.callbacks])
        self.add_cbs(cbs)
        self("after_create")

    # ---- metrics and optimizer -------------------------------------------------------------
    @property
    def metrics(self):
        return self._metrics

    @metrics.setter
    def metrics(self, ms):
        self._metrics = [as_metric(m) for m in _listify(ms)]

    def _param_groups(self):
        groups = (self.splitter or trainable_params)(self.model)
        return [{"params": list(g.parameters()) if isinstance(g, Module) else list(g)} for g in groups]

    def create_opt(self):
        """Build the optimizer over the splitter's parameter groups."""
        groups = self._param_groups()
        lrs = lr_per_group(self.lr, len(groups))
        self.opt = self.opt_func(groups, lr=lrs[-1])
        set_hyper(self.opt, "lr", lrs)
        if self.wd is not None:
            set_hyper(self.opt, "wd", self.wd)
        if self.frozen_idx:
            self.freeze_to(self.frozen_idx)
        return self.opt

    # ---- fitting ---------------------------------------------------------------------------
    def fit(self, n_epoch, lr=None, wd=None, cbs=None, reset_opt=False):
        """Train for ``n_epoch`` epochs at learning rate ``lr`` (default ``self.lr``; a slice
        spreads rates over the parameter groups). ``cbs`` are used for this call only."""
        with self.added_cbs(cbs):
            if reset_opt or self.opt is None:
                self.create_opt()
            wd = self.wd if wd is None else wd
            if wd is not None:
                set_hyper(self.opt, "wd", wd)
            set_hyper(self.opt, "lr", lr_per_group(self.lr if lr is None else lr, len(self.opt.param_groups)))
            self.run_fit(n_epoch)

    def _lrs(self, lr):
        if self.opt is None:
            self.create_opt()
        return np.array(lr_per_group(self.lr if lr is None else lr, len(self.opt.param_groups)))

    def fit_one_cycle(self, n_epoch, lr_max=None, div=25.0, div_final=1e5, pct_start=0.25, wd=None,
                      moms=None, cbs=None, reset_opt=False):
        """One-cycle training: the learning rate rises from ``lr_max / div`` to ``lr_max`` over
        ``pct_start`` of the steps and anneals to ``lr_max / div_final`` (cosine); momentum
        (Adam's beta1, SGD's momentum: turned on for SGD, as torch's OneCycleLR does) cycles
        through ``moms`` the opposite way."""
        lr_max = self._lrs(lr_max)
        scheds = one_cycle_scheds(lr_max, div, div_final, pct_start, self.moms if moms is None else moms)
        self.fit(n_epoch, cbs=[ParamScheduler(scheds)] + _listify(cbs), reset_opt=reset_opt, wd=wd)

    def fit_flat_cos(self, n_epoch, lr=None, div_final=1e5, pct_start=0.75, wd=None, cbs=None,
                     reset_opt=False):
        """A flat learning rate for ``pct_start`` of the steps, then cosine annealing to
        ``lr / div_final``."""
        lr = self._lrs(lr)
        scheds = {"lr": combined_cos(pct_start, lr, lr, lr / div_final)}
        self.fit(n_epoch, cbs=[ParamScheduler(scheds)] + _listify(cbs), reset_opt=reset_opt, wd=wd)

    def fine_tune(self, epochs, base_lr=2e-3, freeze_epochs=1, lr_mult=100, pct_start=0.3, div=5.0, **kwargs):
        """fastai's transfer-learning recipe: train the last group frozen, then all of it with
        discriminative learning rates."""
        self.freeze()
        self.fit_one_cycle(freeze_epochs, slice(base_lr), pct_start=0.99, **kwargs)
        base_lr /= 2
        self.unfreeze()
        self.fit_one_cycle(epochs, slice(base_lr / lr_mult, base_lr), pct_start=pct_start, div=div, **kwargs)

    def lr_find(self, start_lr=1e-7, end_lr=10, num_it=100, stop_div=True, show_plot=True,
                suggest_funcs=(valley, steepest, minimum)):
        """Run the learning-rate range test (LRFinder), put the weights and optimizer state
        back, and return the suggestions as a named tuple (``valley``, ``steepest``,
        ``minimum`` by default). The finder stays available as ``self.lr_find_results``
        (``lrs``, ``losses``, ``suggestions``, ``points``) for plotting."""
        n_epoch = max(1, math.ceil(num_it / max(len(self.dls.train), 1)))
        cb = LRFinder(start_lr, end_lr, num_it, stop_div)
        # Whatever ends the search (its end, an error, Ctrl-C), the weights, the optimizer
        # (state and learning rates) and the random streams (so the data order and every draw
        # of the next fit) are as they were: a fit after lr_find equals the fit without it.
        if self.opt is None:
            self.create_opt()
        saved = _snapshot_for_lr_find(self)
        try:
            self.fit(n_epoch, cbs=cb)
        finally:
            _restore_after_lr_find(self, saved)
        lrs, losses = np.asarray(cb.lrs, dtype=np.float64), np.asarray(cb.losses, dtype=np.float64)
        lo, hi = num_it // 10, len(lrs) - 5
        if hi - lo >= 3:
            lrs, losses = lrs[lo:hi], losses[lo:hi]
        funcs = _listify(suggest_funcs)
        if len(lrs) < 2:
            raise RuntimeError("lr_find: the loss diverged before two learning rates were tried; "
                               "lower start_lr")
        found = [f(lrs, losses, num_it) for f in funcs]
        names = tuple(f.__name__ for f in funcs)
        res = SuggestedLRs(names)(*[v for v, _ in found])
        cb.suggestions, cb.points = res, dict(zip(names, [p for _, p in found]))
        self.lr_find_results = cb
        if show_plot:
            from .plots import plot_lr_find, show
            show(plot_lr_find(cb))
        return res

    # ---- evaluation ------------------------------------------------------------------------
    def validate(self, ds_idx=1, dl=None, cbs=None):
        """One pass over ``dl`` (default: ``dls[ds_idx]``) in eval mode without gradients;
        returns ``[valid_loss, *metrics]``."""
        dl = self.dls[ds_idx] if dl is None else dl
        self.final_record = None
        with self.added_cbs(cbs):
            self._do_epoch_validate(dl)
        self._end_cleanup()
        return self.final_record

    def get_preds(self, ds_idx=1, dl=None, with_input=False, with_decoded=False, with_loss=False,
                  act=None, cbs=None, with_targs=True):
        """Predictions over a loader as ``(preds, targets)`` (targets None when the loader has
        none), with ``inputs`` first if ``with_input`` and the decoded predictions and per-item
        losses appended if asked; ``with_targs=False`` leaves the targets out (and returns the
        predictions alone when nothing else was asked for). ``preds`` are the activations after
        the loss's own activation (softmax for cross entropy …) unless ``act`` says otherwise."""
        dl = self.dls[ds_idx] if dl is None else dl
        gather = GatherPreds(with_input, with_loss, _per_item_loss(self.loss_func) if with_loss else None)
        with self.added_cbs([gather] + _listify(cbs)):
            self._do_epoch_validate(dl)
        self._end_cleanup()
        act_f, dec_f = _activation_and_decodes(self.loss_func)
        preds = _cat(gather.preds)
        preds = (act or act_f)(preds) if preds is not None else None
        res = [preds, _cat(gather.targs)] if with_targs else [preds]
        if with_decoded:
            res.append(dec_f(preds))
        if with_loss:
            res.append(_cat(gather.losses))
        if with_input:
            res.insert(0, _cat(gather.inputs))
        return res[0] if len(res) == 1 else tuple(res)

    def predict(self, item):
        """Predict one item (a sample without batch dimension, or a dataset's (x, y) tuple):
        returns ``(label, decoded, probs)``; ``label`` is ``dls.vocab[decoded]`` when the
        DataLoaders have a vocab, else the decoded prediction."""
        from ..utils.data import default_collate
        if isinstance(item, (tuple, list)):
            batch = tuple(default_collate([tuple(item)]))
        else:
            batch = default_collate([item])
        probs, _, dec = self.get_preds(dl=[batch], with_decoded=True)
        p, d = probs[0], dec[0]
        vocab = getattr(self.dls, "vocab", None)
        label = vocab[int(d)] if vocab is not None and d.dim() == 0 else d
        return label, d, p

    # ---- checkpoints -----------------------------------------------------------------------
    def _file(self, file):
        if not isinstance(file, (str, os.PathLike)):
            return file   # a binary file object
        p = Path(file)
        if not p.suffix:
            p = p.with_suffix(".pth")
        return p if p.is_absolute() else self.path / self.model_dir / p

    def save(self, file, with_opt=True):
        """Save the model's (and optimizer's) state to ``path/model_dir/file.pth`` atomically
        (``ember.serialization.save``); returns the path."""
        from ..serialization import save
        target = self._file(file)
        if isinstance(target, Path):
            target.parent.mkdir(parents=True, exist_ok=True)
        state = {"model": self.model.state_dict()}
        if with_opt and self.opt is not None:
            state["opt"] = self.opt.state_dict()
        save(state, target)
        return target

    def load(self, file, device=None, with_opt=True, strict=True):
        """Load what ``save`` wrote (or a plain model state dict). All or nothing: the
        optimizer's state is checked before the model's is copied, and a load that raises
        leaves the model and the optimizer as they were."""
        from ..serialization import load
        state = load(self._file(file), map_location=device if device is not None else self.device)
        if isinstance(state, dict) and "model" in state and isinstance(state["model"], dict):
            opt_state, had_opt = None, self.opt is not None
            try:
                if with_opt and "opt" in state:
                    if self.opt is None:
                        self.create_opt()
                    check = getattr(self.opt, "_check_loaded", None)  # (a custom optimizer: last)
                    opt_state = check(state["opt"]) if check is not None else state["opt"]
                self.model.load_state_dict(state["model"], strict=strict)  # all or nothing
            except BaseException:
                if not had_opt:
                    self.opt = None
                raise
            if opt_state is not None:
                apply = getattr(self.opt, "_apply_loaded", self.opt.load_state_dict)
                apply(opt_state)
        else:
            self.model.load_state_dict(state, strict=strict)
        return self

    # ---- freezing --------------------------------------------------------------------------
    def freeze_to(self, n):
        """Freeze the first ``n`` parameter groups (``n < 0``: all but the last ``-n``); with
        ``train_bn`` batch-norm layers stay trainable."""
        if self.opt is None:
            self.create_opt()
        groups = self.opt.param_groups
        frozen = set(range(len(groups))[:n]) if n else set()
        for i, g in enumerate(groups):
            for p in g["params"]:
                p.requires_grad_(i not in frozen)
                if i in frozen:
                    p.grad = None
        if self.train_bn:
            for m in self.model.modules():
                if isinstance(m, _bn_types()):
                    for p in m.parameters(recurse=False):
                        p.requires_grad_(True)
        self.frozen_idx = n

    def freeze(self):
        self.freeze_to(-1)

    def unfreeze(self):
        self.freeze_to(0)

    # ---- devices and inspection ------------------------------------------------------------
    def to(self, device):
        """Move the model to ``device``; batches follow it."""
        from .._device import device as _device
        self.device = _device(device) if isinstance(device, str) else device
        self.model.to(self.device)
        return self

    @contextlib.contextmanager
    def no_bar(self):
        """No progress bars or table inside the ``with`` block."""
        with self.removed_cbs([c for c in self.cbs if isinstance(c, ProgressCallback)]):
            yield self

    def summary(self, xb=None):
        """A table of the model's layers (output shapes from one forward pass on a training
        batch, parameter counts, trainable or not) and the Learner's settings."""
        if xb is None:
            b = self.dls.one_batch() if hasattr(self.dls, "one_batch") else next(iter(self.dls.train))
            self._split(b)
            xb = self.xb
            self.xb, self.yb = (), ()
        elif not isinstance(xb, (tuple, list)):
            xb = (xb,)
        if self.device is not None:
            xb = to_device(tuple(xb), self.device)
        rows, handles = [], []
        names = {m: n for n, m in self.model.named_modules()}

        def hook(m, inp, out):
            o = out[0] if isinstance(out, (tuple, list)) and out else out
            shape = " x ".join(str(s) for s in o.shape) if isinstance(o, Tensor) else "-"
            first = not any(r[0] is m for r in rows)
            params = list(m.parameters(recurse=False)) if first else []
            n = sum(p.numel() for p in params)
            trainable = any(p.requires_grad for p in params) if params else None
            rows.append((m, shape, n, trainable))

        for m in self.model.modules():
            leaf = not any(True for _ in m.children())
            own = any(True for _ in m.parameters(recurse=False))
            if leaf or own:
                handles.append(m.register_forward_hook(hook))
        modes = [(m, m.training) for m in self.model.modules()]
        from ..autograd.grad_mode import no_grad
        try:
            self.model.eval()
            with no_grad():
                self.model(*xb)
        finally:
            for h in handles:
                h.remove()
            for m, t in modes:
                m.training = t
        label = [f"{names.get(m) or type(m).__name__} ({type(m).__name__})" for m, *_ in rows]
        w0 = max([len("Layer (type)")] + [len(s) for s in label]) + 2
        w1 = max([len("Output Shape")] + [len(r[1]) for r in rows]) + 2
        head = f"{'Layer (type)':<{w0}}{'Output Shape':<{w1}}{'Param #':<12}Trainable"
        bar = "=" * len(head)
        x0 = xb[0] if xb else None
        in_shape = " x ".join(str(s) for s in x0.shape) if isinstance(x0, Tensor) else "?"
        lines = [f"{type(self.model).__name__} (Input shape: {in_shape})", bar, head, bar]
        for lab, (m, shape, n, tr) in zip(label, rows):
            lines.append(f"{lab:<{w0}}{shape:<{w1}}{(f'{n:,}' if n else ''):<12}{'' if tr is None else tr}")
        params = list(self.model.parameters())
        total = sum(p.numel() for p in params)
        train = sum(p.numel() for p in params if p.requires_grad)
        lines += [bar, f"Total params: {total:,}", f"Total trainable params: {train:,}",
                  f"Total non-trainable params: {total - train:,}", ""]
        opt_name = getattr(_base_func(self.opt_func), "__name__", repr(self.opt_func))
        lines += [f"Optimizer used: {opt_name}", f"Loss function: {_loss_name(self.loss_func)}"]
        if self.frozen_idx:
            lines.append(f"Model frozen up to parameter group #{self.frozen_idx}")
        lines += ["", "Callbacks:"] + [f"  - {type(c).__name__}" for c in self._sorted_cbs()]
        return _Summary("\n".join(lines))

    def __repr__(self):
        return (f"Learner(model={type(self.model).__name__}, dls={self.dls!r}, "
                f"loss_func={_loss_name(self.loss_func)})")


def _loss_name(f):
    if f is None:
        return "None"
    if isinstance(f, Module):
        return repr(f)
    return getattr(_base_func(f), "__name__", repr(f))


def _generators(learn):
    """The generators a Learner's loaders draw from, besides the global ones."""
    out = []
    for dl in getattr(learn.dls, "loaders", None) or [getattr(learn.dls, "train", None)]:
        for obj in (dl, getattr(dl, "sampler", None), getattr(dl, "batch_sampler", None),
                    getattr(getattr(dl, "batch_sampler", None), "sampler", None)):
            g = getattr(obj, "generator", None)
            if g is not None and hasattr(g, "get_state") and all(g is not h for h in out):
                out.append(g)
    return out


def _snapshot_for_lr_find(learn):
    import copy
    import random

    from .._random import get_rng_state
    model = {k: v.detach().clone() for k, v in learn.model.state_dict().items()}
    gens = _generators(learn)
    return (model, copy.deepcopy(learn.opt.state_dict()), get_rng_state(), np.random.get_state(),
            random.getstate(), [(g, g.get_state()) for g in gens], _cuda_rng_state())


def _restore_after_lr_find(learn, saved):
    import random

    from .._random import set_rng_state
    model, opt, ember_rng, np_rng, py_rng, gens, cuda_rng = saved
    learn.opt.zero_grad()
    learn.model.load_state_dict(model)
    learn.opt.load_state_dict(opt)
    set_rng_state(ember_rng)
    np.random.set_state(np_rng)
    random.setstate(py_rng)
    for g, state in gens:
        g.set_state(state)
    if cuda_rng is not None:
        from .. import cuda
        cuda.set_rng_state_all(cuda_rng)


def _cuda_rng_state():
    from .. import cuda
    if not cuda.is_available() or not hasattr(cuda, "get_rng_state_all"):
        return None
    return cuda.get_rng_state_all()
