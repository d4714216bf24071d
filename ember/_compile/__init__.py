"""``ember.compile``: capture a step's array work once, replay it without Python's autograd.

``ember.compile(fn)`` wraps a function, typically a whole training step (zero_grad, forward,
loss, backward, optimizer step). Each call is looked up by a guard key (``discover.py``: the
arguments' shapes, dtypes, strides and requires_grad, plain argument values, grad mode,
autocast, the training flag of every module involved). For a new key the call runs eagerly
while every NumPy call on the state's arrays is recorded (``capture.py``, ``tracer.py``); the
next call records again, and when both captures recorded the same program (same calls, same
constants) the program is *stable* and later calls replay it (``program.py``): one generated
Python function of NumPy calls on the current arrays of the parameters, buffers and optimizer
state, with the optimizer's step run eagerly at its place (so learning rates, schedulers and
Adam's step count stay live). Replays compute exactly what eager computes, call for call, so
the numbers are the same bit for bit.

A Python value read from an array (``.item()``, ``if t:``) becomes a *value guard*: the replay
reads it again and, when it differs, undoes what it wrote into the state so far and runs the
call eagerly. A call that cannot be captured (such a read after the optimizer stepped, random
numbers, an unrecorded array method, a program that keeps changing) runs eagerly, and the
reason is counted in ``ember.compiler.counters``; with ``fullgraph=True`` it raises instead.

What a replay does not redo, as with CUDA graphs: Python side effects inside the step (appending
to a list, printing, hooks that only log) happen during the captures only; tensors the step
creates are new ones at each replay but carry no autograd graph (the returned loss has no
grad_fn); version counters of tensors written by recorded calls do not move. The state a step
uses is found from its arguments, the globals and closure variables its code names, plain
objects one level deep, every module called during the capture and every optimizer stepped.

``ember.compile(module)`` returns an ``OptimizedModule`` (state-dict keys prefixed
``_orig_mod.``, as PyTorch's): its forward is replayed when no gradient is recorded (inference,
``no_grad``), and runs eagerly with grad on, where backward needs the autograd graph.
"""
import collections
import functools
import types
import weakref

from ..nn.modules.module import Module
from .capture import _arg_tensors, _capture
from .discover import _discover, _guard_key, _objects, _watch_ok
from .program import Diverged, first_difference, same_program
from .tracer import ACTIVE, Recorder

__all__ = ["compile", "counters", "reset", "is_compiling", "OptimizedModule"]

# what happened to calls: captures, stable programs, replays, and eager runs by reason
counters = {"captures": 0, "stable": 0, "replays": 0, "eager": collections.Counter()}
cache_size_limit = 8          # programs kept per compiled function (one per guard key)
_MAX_TRIES = 3                # captures that may differ before a key is left to eager
_MODES = (None, "default", "reduce-overhead", "max-autotune", "max-autotune-no-cudagraphs")
_ALL = weakref.WeakSet()      # the compiled callables alive, for reset()


def reset():
    """Forget every captured program and zero the counters (``torch.compiler.reset``)."""
    for c in list(_ALL):
        c._cache.clear()
    counters.update(captures=0, stable=0, replays=0)
    counters["eager"].clear()


def is_compiling():
    """True while a capture runs (``torch.compiler.is_compiling``)."""
    return ACTIVE[0] is not None


def compile(model=None, *, fullgraph=False, dynamic=None, backend="inductor", mode=None,
            options=None, disable=False):
    """``torch.compile``. ``fullgraph``: a step that cannot be captured raises instead of
    running eagerly. ``dynamic``: accepted; every new set of shapes gets its own program (up to
    ``cache_size_limit``), whatever its value. ``mode``: PyTorch's names, all meaning capture
    and replay. ``backend``: ``"inductor"`` (default), ``"cudagraphs"`` or ``"ember"`` capture
    and replay; ``"eager"`` / ``"aot_eager"`` run the function as is. ``options`` is
    accepted and unused. ``disable=True`` returns the model itself."""
    if mode not in _MODES:
        raise RuntimeError(f"Unrecognized mode={mode}, should be one of: "
                           f"{', '.join(m for m in _MODES if m)}")
    if mode is not None and options is not None:
        raise RuntimeError("Either mode or options can be specified, but both can't be "
                           "specified at the same time.")
    if callable(backend) and not isinstance(backend, str):
        raise RuntimeError("ember.compile has no FX graph to hand to a custom backend; use "
                           "backend='inductor' (capture and replay) or 'eager'")
    if backend not in ("inductor", "cudagraphs", "ember", "eager", "aot_eager"):
        raise RuntimeError(f"invalid backend {backend!r}: expected 'inductor', 'cudagraphs', "
                           "'ember', 'eager' or 'aot_eager'")
    if model is None:
        return functools.partial(compile, fullgraph=fullgraph, dynamic=dynamic,
                                 backend=backend, mode=mode, options=options, disable=disable)
    if not callable(model):
        raise RuntimeError("torch.compile() expects a callable or a torch.nn.Module")
    if disable:
        return model
    capture = backend not in ("eager", "aot_eager")
    if isinstance(model, Module):
        return OptimizedModule(model, capture, fullgraph)
    return CompiledFunction(model, capture, fullgraph)


class CompiledFunction:
    """A function whose calls are captured and replayed (see the module docstring)."""

    def __init__(self, fn, capture=True, fullgraph=False, module=None):
        self._fn, self._capture, self._fullgraph, self._module = fn, capture, fullgraph, module
        self._cache = collections.OrderedDict()      # guard key -> _Entry
        self._state = None       # what _discover found, kept while the names it read hold
        functools.update_wrapper(self, fn, updated=())
        _ALL.add(self)

    def __get__(self, obj, objtype=None):      # a compiled method binds as a function does
        return self if obj is None else types.MethodType(self, obj)

    def _eager(self, reason, args, kwargs):
        if reason is not None:
            counters["eager"][reason] += 1
            if self._fullgraph:
                raise RuntimeError(f"ember.compile(fullgraph=True) cannot capture "
                                   f"{_name(self._fn)}: {reason}")
        return self._fn(*args, **kwargs)

    def __call__(self, *args, **kwargs):
        if not self._capture or ACTIVE[0] is not None:
            return self._fn(*args, **kwargs)
        state = self._state
        if state is None or not _watch_ok(state[4]):
            state = self._state = _discover(self._fn, self._module, _objects(args, kwargs))
        key, why = _guard_key(args, kwargs, state)
        if key is None:
            return self._eager(why, args, kwargs)
        entry = self._cache.get(key)
        if entry is None:
            if len(self._cache) >= cache_size_limit:
                return self._eager(f"cache_size_limit ({cache_size_limit}) reached: too many "
                                   "different shapes or argument values", args, kwargs)
            entry = self._cache[key] = _Entry()
        if entry.failed is not None:
            return self._eager(entry.failed, args, kwargs)
        prog = entry.stable
        if prog is not None:
            S = prog.bind(_arg_tensors(args, kwargs))
            if S is not None:
                try:
                    out = prog.run(S)
                except Diverged as e:     # nothing of the state was written yet
                    return self._eager(f"a Python value read in the step ({e}) changed since "
                                       "the capture", args, kwargs)
                counters["replays"] += 1
                return out
            entry.stable, entry.last, entry.tries = None, None, 0   # the state changed
            counters["eager"]["state changed (a parameter, buffer or gradient was replaced, "
                              "reshaped or set to None): recapturing"] += 1
        # discovered afresh for each capture (a lazy module has its parameters by now)
        state = self._state = _discover(self._fn, self._module, _objects(args, kwargs))
        return self._capture_call(entry, state, args, kwargs)

    def _capture_call(self, entry, state, args, kwargs):
        counters["captures"] += 1
        rec = Recorder()
        out, prog = _capture(rec, self._fn, state, args, kwargs)
        if prog is None:          # the run went on eagerly from where recording stopped
            entry.failed = rec.failure
            counters["eager"][rec.failure] += 1
            if self._fullgraph:
                raise RuntimeError(f"ember.compile(fullgraph=True) cannot capture "
                                   f"{_name(self._fn)} (the call ran eagerly): {rec.failure}")
            return out
        if entry.last is not None and same_program(entry.last, prog):
            entry.stable = prog
            counters["stable"] += 1
        else:
            entry.tries += 1
            if entry.tries > _MAX_TRIES:
                entry.failed = ("the recorded program changes from call to call (Python "
                                "control flow, random numbers or untracked state read in the "
                                f"step; {first_difference(entry.last, prog)})"
                                if entry.last is not None else
                                "the recorded program changes from call to call")
            entry.last = prog
        return out


class _Entry:
    __slots__ = ("stable", "last", "tries", "failed")

    def __init__(self):
        self.stable = self.last = self.failed = None
        self.tries = 0


def _name(fn):
    return getattr(fn, "__qualname__", type(fn).__name__)


from .module import OptimizedModule  # noqa: E402  (it uses CompiledFunction)
