"""The training engine: ember's one training loop, driven by events.

``Engine`` runs fit → epochs → (train, validate) → batches → (pred, loss, backward, step) and
announces each stage to its callbacks by name (``before_fit`` … ``after_fit``). A callback
changes the run by touching the engine's attributes (``self.learn.loss_grad = …``) or by raising
one of the cancel exceptions, which skip the rest of a stage the way fastai documents:

============================  ================================================================
raised                        skips, then calls
============================  ================================================================
``CancelBatchException``      the rest of the batch; ``after_cancel_batch``, ``after_batch``
``CancelBackwardException``   the backward pass; ``after_cancel_backward``, ``after_backward``
                              (the step still runs)
``CancelStepException``       the optimizer step; ``after_cancel_step``, ``after_step`` (the
                              gradients are still zeroed)
``CancelTrainException``      the rest of training; ``after_cancel_train``, ``after_train``
``CancelValidException``      the rest of validation; ``after_cancel_validate``,
                              ``after_validate``
``CancelEpochException``      the rest of the epoch; ``after_cancel_epoch``, ``after_epoch``
``CancelFitException``        the rest of the fit; ``after_cancel_fit``, ``after_fit``
============================  ================================================================

Any other exception propagates and skips the ``after_*`` events of the stages it leaves; when it
comes from a callback, a note on it names the callback and the event.

Safety rails (as fastai has them): firing an event name that is not in ``EVENTS`` raises,
listing the events; a callback that assigns one of the engine's attributes (``self.model = …``)
raises and points to ``self.learn.model``; ``show_training_loop()`` prints the events in the
order they run and the callbacks that handle each.

The ``Learner`` (learner.py) is a thin layer over this loop (optimizer, hyperparameters,
metrics, checkpoints); the Lightning-style Trainer (ember/lightning/) adapts it by overriding
``_forward``, ``_compute_loss``, ``_backward``, ``_step``, ``_zero_grad``, ``_transfer`` and the
two gates ``_should_step`` / ``_should_zero_grad``, and sets ``zero_grad_first`` (Lightning clears
the gradients before the backward pass, fastai after the step).
"""
import contextlib
import re

from .. import _tensor
from ..autograd.grad_mode import no_grad

__all__ = ["Callback", "Engine", "CancelFitException", "CancelEpochException",
           "CancelTrainException", "CancelValidException", "CancelBatchException",
           "CancelStepException", "CancelBackwardException", "EVENTS", "event"]


class CancelFitException(Exception):
    """Stop training; ``after_cancel_fit`` then ``after_fit`` run."""


class CancelEpochException(Exception):
    """Skip the rest of this epoch; ``after_cancel_epoch`` then ``after_epoch`` run."""


class CancelTrainException(Exception):
    """Skip the rest of this epoch's training; ``after_cancel_train`` then ``after_train`` run."""


class CancelValidException(Exception):
    """Skip the rest of this validation; ``after_cancel_validate`` then ``after_validate`` run."""


class CancelBatchException(Exception):
    """Skip the rest of this batch; ``after_cancel_batch`` then ``after_batch`` run."""


class CancelStepException(Exception):
    """Skip this optimizer step; ``after_cancel_step`` then ``after_step`` run."""


class CancelBackwardException(Exception):
    """Skip this backward pass; ``after_cancel_backward`` then ``after_backward`` run."""


# The stages that _with_events wraps, each with its before/after/after_cancel events.
_STAGES = ("fit", "epoch", "train", "validate", "batch", "backward", "step")
_PLAIN = ("after_create", "after_pred", "after_loss", "before_zero_grad")
EVENTS = ("after_create", "before_fit", "before_epoch", "before_train", "before_batch",
          "after_pred", "after_loss", "before_zero_grad", "before_backward", "after_backward",
          "before_step", "after_step", "after_batch", "after_train", "before_validate",
          "after_validate", "after_epoch", "after_fit") + tuple(f"after_cancel_{s}" for s in _STAGES)
_EVENT_SET = frozenset(EVENTS)
_CANCELS = (CancelFitException, CancelEpochException, CancelTrainException, CancelValidException,
            CancelBatchException, CancelStepException, CancelBackwardException)
# Events that belong to one phase (train or validate): run_train / run_valid gate them.
_INNER = frozenset({"before_batch", "after_pred", "after_loss", "before_zero_grad", "before_backward",
                    "after_backward", "before_step", "after_step", "after_batch", "after_cancel_batch",
                    "after_cancel_backward", "after_cancel_step"})
# The loop as show_training_loop prints it: (depth, event or a heading).
_LOOP = ((0, "Start Fit"), (1, "before_fit"), (1, "Start Epoch Loop"), (2, "before_epoch"),
         (2, "Start Train"), (3, "before_train"), (3, "Start Batch Loop"), (4, "before_batch"),
         (4, "after_pred"), (4, "after_loss"), (4, "before_zero_grad"), (4, "before_backward"),
         (4, "after_cancel_backward"), (4, "after_backward"), (4, "before_step"),
         (4, "after_cancel_step"), (4, "after_step"), (4, "after_cancel_batch"), (4, "after_batch"),
         (3, "End Batch Loop"), (3, "after_cancel_train"), (3, "after_train"), (2, "End Train"),
         (2, "Start Valid"), (3, "before_validate"), (3, "Start Batch Loop"),
         (4, "**CBs same as train batch**"),
         (3, "End Batch Loop"), (3, "after_cancel_validate"), (3, "after_validate"), (2, "End Valid"),
         (2, "after_cancel_epoch"), (2, "after_epoch"), (1, "End Epoch Loop"), (1, "after_cancel_fit"),
         (1, "after_fit"), (0, "End Fit"))


class _EventNames:
    """``event.before_fit == 'before_fit'`` …: event names without string typos."""

    def __init__(self):
        for e in EVENTS:
            setattr(self, e, e)


event = _EventNames()


def _snake(name):
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name).lower()


class Callback:
    """Base class of callbacks. Define methods named after events (``before_batch`` …); they
    are called with no argument. Attributes a callback does not have are read from the learner
    (``self.model``, ``self.xb``, ``self.loss``, ``self.epoch`` …); to *change* the learner's
    state, assign through ``self.learn`` (``self.learn.loss_grad = …``).

    ``order`` sorts callbacks (lower runs first). ``run = False`` switches a callback off (until
    the next ``after_fit``); ``run_train`` / ``run_valid`` = False skip its batch-level events
    during training / validation."""

    order = 0
    run = True
    run_train = True
    run_valid = True
    learn = None

    @property
    def learner(self):
        return self.learn

    @learner.setter
    def learner(self, learn):   # seed 003 writes ``cb.learner = self``
        self.learn = learn

    @property
    def name(self):
        """The attribute under which the learner exposes this callback: the class name in snake
        case without a ``Callback`` suffix (``Recorder`` → ``recorder``), unless set."""
        if "_name" in self.__dict__:
            return self.__dict__["_name"]
        n = type(self).__name__
        if n.endswith("Callback") and n != "Callback":
            n = n[:-len("Callback")]
        return _snake(n)

    @name.setter
    def name(self, value):
        self.__dict__["_name"] = value

    def __setattr__(self, name, value):
        # A write through the forwarding above would create the callback's own attribute and
        # silently leave the learner's unchanged (fastai warns; ember refuses).
        learn = self.__dict__.get("learn")
        if (learn is not None and name not in self.__dict__ and not hasattr(type(self), name)
                and _has_attr(learn, name)):
            raise AttributeError(
                f"{type(self).__name__}: cannot assign self.{name}: {name!r} is an attribute of the "
                f"{type(learn).__name__}, and assigning it on the callback would only hide it. Write "
                f"self.learn.{name} = ... to change the {type(learn).__name__}'s {name}.")
        object.__setattr__(self, name, value)

    def __getattr__(self, name):
        # Only called for names the callback lacks: forward to the learner. Event names are
        # never forwarded, so a callback without a handler simply has none.
        if name.startswith("__") or name in _EVENT_SET:
            raise AttributeError(name)
        learn = self.__dict__.get("learn")
        if learn is None:
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
        return getattr(learn, name)

    def __call__(self, event_name):
        if not self.run:
            return None
        if event_name in _INNER:
            training = getattr(self.learn, "training", True)
            if (training and not self.run_train) or (not training and not self.run_valid):
                return None
        handler = getattr(self, event_name, None)
        return handler() if handler is not None else None

    def __repr__(self):
        return type(self).__name__


def _has_attr(obj, name):
    try:
        return name in obj.__dict__ or hasattr(type(obj), name)
    except AttributeError:
        return False


def _note(e, cb, event_name):
    """Name the callback and event on an exception leaving a handler (once: the innermost)."""
    if isinstance(e, _CANCELS) or getattr(e, "_ember_cb_noted", False):
        return
    try:
        e._ember_cb_noted = True
        e.add_note(f"raised in callback {type(cb).__name__} (order {getattr(cb, 'order', 0)}) during "
                   f"event {event_name!r}")
    except (AttributeError, TypeError):   # an exception type that takes no attributes
        pass


def find_bs(b):
    """The batch size of a batch: the length of the first tensor found in it."""
    if isinstance(b, _tensor.Tensor):
        return b.shape[0] if b.dim() else 1
    if isinstance(b, dict):
        b = list(b.values())
    if isinstance(b, (list, tuple)):
        for o in b:
            n = find_bs(o)
            if n is not None:
                return n
        return None
    shape = getattr(b, "shape", None)
    return shape[0] if shape else (len(b) if hasattr(b, "__len__") else None)


def to_device(b, device):
    """Move every tensor in a (nested) batch to ``device``."""
    if isinstance(b, _tensor.Tensor):
        return b.to(device)
    if isinstance(b, (list, tuple)):
        out = [to_device(o, device) for o in b]
        return type(b)(out) if type(b) in (list, tuple) else type(b)(*out)
    if isinstance(b, dict):
        return {k: to_device(v, device) for k, v in b.items()}
    return b


class Engine:
    """The event loop. Holds ``model``, ``dls`` (``.train`` / ``.valid`` loaders), ``loss_func``,
    ``opt`` and the callbacks; during a run it exposes ``epoch``, ``n_epoch``, ``iter``,
    ``n_iter``, ``dl``, ``batch``, ``xb``, ``yb`` (tuples: inputs and targets), ``pred``, ``loss_grad``
    (the loss that is back-propagated), ``loss`` (its detached value) and ``training``.

    ``n_inp`` is how many leading elements of a batch are model inputs (the rest are targets);
    a bare tensor batch is all input."""

    def __init__(self, model, dls, loss_func=None, cbs=None, n_inp=1):
        self.model, self.dls, self.loss_func, self.n_inp = model, dls, loss_func, n_inp
        self.opt, self.device = None, None
        self.cbs, self._handlers = [], None
        self.training = False
        self.epoch, self.n_epoch, self.iter, self.n_iter = 0, 1, 0, None
        self.dl, self.xb, self.yb, self.pred, self.loss, self.loss_grad = None, (), (), None, None, None
        self.batch = None
        self.add_cbs(cbs)

    # ---- callbacks -------------------------------------------------------------------------
    def add_cb(self, cb):
        if isinstance(cb, type):
            cb = cb()
        cb.learn = self
        name = cb.name
        if self._can_expose(name):
            setattr(self, name, cb)
        self.cbs.append(cb)
        self._handlers = None
        return self

    def _can_expose(self, name):
        # learn.<name> for a callback, unless the name is taken by something else (learn.lr …).
        if not name or name.startswith("_") or hasattr(type(self), name):
            return False
        return isinstance(self.__dict__.get(name), (Callback, type(None)))

    def add_cbs(self, cbs):
        for cb in _listify(cbs):
            self.add_cb(cb)
        return self

    def remove_cb(self, cb):
        """Remove ``cb`` (an instance, or every callback of a class)."""
        if isinstance(cb, type):
            for c in [c for c in self.cbs if isinstance(c, cb)]:
                self.remove_cb(c)
            return self
        if any(c is cb for c in self.cbs):
            self.cbs = [c for c in self.cbs if c is not cb]
            if self.__dict__.get(cb.name) is cb:
                delattr(self, cb.name)
            cb.learn = None
            self._handlers = None
        return self

    def remove_cbs(self, cbs):
        for cb in _listify(cbs):
            self.remove_cb(cb)
        return self

    @contextlib.contextmanager
    def added_cbs(self, cbs):
        """Callbacks present only inside the ``with`` block (``fit(..., cbs=...)``)."""
        cbs = [cb() if isinstance(cb, type) else cb for cb in _listify(cbs)]
        self.add_cbs(cbs)
        try:
            yield self
        finally:
            self.remove_cbs(cbs)

    @contextlib.contextmanager
    def removed_cbs(self, cbs):
        """Callbacks absent inside the ``with`` block."""
        cbs = [c for c in _listify(cbs) if any(c is x for x in self.cbs)]
        self.remove_cbs(cbs)
        try:
            yield self
        finally:
            self.add_cbs(cbs)

    def ordered_cbs(self, event_name):
        """The callbacks that handle ``event_name``, in the order they run."""
        return [cb for cb in self._sorted_cbs() if hasattr(cb, event_name)]

    def _sorted_cbs(self):
        return sorted(self.cbs, key=lambda c: c.order)   # stable: ties keep insertion order

    def __call__(self, event_name):
        """Fire an event: call each callback's handler for it, in ``order``."""
        if self._handlers is None:
            cbs = self._sorted_cbs()
            self._handlers = {e: [c for c in cbs if getattr(c, e, None) is not None] for e in EVENTS}
        handlers = self._handlers.get(event_name)
        if handlers is None:
            raise ValueError(f"unknown event {event_name!r}; the events are: {', '.join(EVENTS)}")
        for cb in handlers:
            try:
                cb(event_name)
            except Exception as e:
                _note(e, cb, event_name)
                raise
        if event_name == "after_fit":   # a callback switched off for one fit runs again
            for cb in self.cbs:
                cb.run = True

    def show_training_loop(self, file=None):
        """Print the events in the order the loop fires them, each with the callbacks that
        handle it (fastai's ``show_training_loop``)."""
        lines, loop = [], list(_LOOP)
        if not self.zero_grad_first:   # fastai's order: the gradients are cleared after the step
            loop.remove((4, "before_zero_grad"))
            loop.insert(loop.index((4, "after_step")) + 1, (4, "before_zero_grad"))
        for depth, item in loop:
            pad = "   " * depth
            if item in _EVENT_SET:
                cbs = self.ordered_cbs(item)
                if cbs:
                    lines.append(f"{pad} - {item:<22}: [{', '.join(type(c).__name__ for c in cbs)}]")
            else:
                lines.append(f"{pad}{item}")
        print("\n".join(lines), file=file)

    # ---- the loop --------------------------------------------------------------------------
    def _with_events(self, f, stage, exc, final=None):
        try:
            self(f"before_{stage}")
            f()
        except exc:
            self(f"after_cancel_{stage}")
        self(f"after_{stage}")
        if final is not None:
            final()

    def run_fit(self, n_epoch):
        """Run the loop for ``n_epoch`` epochs with the current model, loaders and optimizer."""
        self.n_epoch = n_epoch
        self._with_events(self._do_fit, "fit", CancelFitException, self._end_cleanup)

    first_epoch = 0      # a resumed fit starts later (the Trainer's ckpt_path)
    zero_grad_first = False   # Lightning zeroes before backward; fastai after the step

    def _do_fit(self):
        for epoch in range(self.first_epoch, self.n_epoch):
            self.epoch = epoch
            self._with_events(self._do_epoch, "epoch", CancelEpochException)

    def _do_epoch(self):
        self._do_epoch_train()
        if self._valid_dl() is not None:
            self._do_epoch_validate()

    def _valid_dl(self):
        try:
            return self.dls[1]
        except (IndexError, KeyError, TypeError):
            return getattr(self.dls, "valid", None)

    def _set_dl(self, dl):
        # dl and n_iter are known from the phase's before_* event on.
        self.dl = dl
        try:
            self.n_iter = len(dl)
        except TypeError:   # an iterable-style loader has no length
            self.n_iter = None

    def _do_epoch_train(self):
        self._set_dl(self.dls.train if hasattr(self.dls, "train") else self.dls[0])
        self._with_events(self._all_batches, "train", CancelTrainException)

    def _do_epoch_validate(self, dl=None):
        self._set_dl(self._valid_dl() if dl is None else dl)
        with no_grad():
            self._with_events(self._all_batches, "validate", CancelValidException)

    def _all_batches(self):
        for i, b in enumerate(self.dl):
            self._one_batch(i, b)

    def _one_batch(self, i, b):
        self.iter = i
        b = self._transfer(b)
        self.batch = b
        self._split(b)
        self._with_events(self._do_one_batch, "batch", CancelBatchException)

    def _split(self, b):
        if isinstance(b, (list, tuple)):
            b = tuple(b)
            self.xb, self.yb = b[:self.n_inp], b[self.n_inp:]
        else:
            self.xb, self.yb = (b,), ()

    def _do_one_batch(self):
        self.pred = self._forward()
        self("after_pred")
        self.loss_grad = self._compute_loss()
        self.loss = None if self.loss_grad is None else self.loss_grad.detach()
        self("after_loss")
        if not self.training or self.loss_grad is None:
            return
        if self.zero_grad_first:
            self._zero_grad_stage()
        self._with_events(self._backward, "backward", CancelBackwardException)
        if self._should_step():
            self._with_events(self._step, "step", CancelStepException)
            if not self.zero_grad_first:
                self._zero_grad_stage()

    def _zero_grad_stage(self):
        if self._should_zero_grad():
            self("before_zero_grad")
            self._zero_grad()

    # The overridable pieces of a batch.
    def _transfer(self, b):
        return to_device(b, self.device) if self.device is not None else b

    def _should_step(self):
        return True

    def _should_zero_grad(self):
        return True

    def _forward(self):
        return self.model(*self.xb)

    def _compute_loss(self):
        if self.loss_func is None or not self.yb:
            return None
        return self.loss_func(self.pred, *self.yb)

    def _backward(self):
        self.loss_grad.backward()

    def _step(self):
        self.opt.step()

    def _zero_grad(self):
        self.opt.zero_grad()

    def _end_cleanup(self):
        self.dl, self.xb, self.yb, self.pred, self.loss, self.loss_grad = None, (), (), None, None, None
        self.batch = None

    # ---- convenience for callbacks ---------------------------------------------------------
    @property
    def x(self):
        return self.xb[0] if self.xb else None

    @property
    def y(self):
        return self.yb[0] if self.yb else None


def _listify(o):
    if o is None:
        return []
    if isinstance(o, (list, tuple)):
        return list(o)
    return [o]
