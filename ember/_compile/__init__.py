"""``ember.compile``: capture a step's array work once, replay it without Python's autograd.

``ember.compile(fn)`` wraps a function, typically a whole training step (zero_grad, forward,
loss, backward, optimizer step). Each call is looked up by a guard key (the arguments' shapes,
dtypes, strides and requires_grad, plain argument values, grad mode, autocast, the training flag
of every module involved). For a new key the call runs eagerly while every NumPy call on the
state's arrays is recorded (``tracer.py``); the next call records again, and when both captures
recorded the same program (same calls, same constants) the program is *stable* and later calls
replay it (``program.py``): one generated Python function of NumPy calls on the current arrays
of the parameters, buffers and optimizer state, with the optimizer's step run eagerly at its
place (so learning rates, schedulers and Adam's step count stay live). Replays compute exactly
what eager computes, call for call, so the numbers are the same bit for bit.

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
import threading
import types

import numpy as np

from .. import _random
from .._random import Generator
from .._tensor import Tensor
from ..autograd.function import _AUTOCAST
from ..autograd.grad_mode import STATE
from ..nn.modules.module import Module
from ..optim.optimizer import Optimizer
from .program import Diverged, Opaque, Program, first_difference, same_program
from .tracer import ACTIVE, Guard, Recorder, Tracer, patch_numpy, unpatch_numpy

__all__ = ["compile", "counters", "reset", "is_compiling", "OptimizedModule"]

# what happened to calls: captures, stable programs, replays, and eager runs by reason
counters = {"captures": 0, "stable": 0, "replays": 0, "eager": collections.Counter()}
cache_size_limit = 8          # programs kept per compiled function (one per guard key)
_MAX_TRIES = 3                # captures that may differ before a key is left to eager
_MODES = (None, "default", "reduce-overhead", "max-autotune", "max-autotune-no-cudagraphs")
_ALL = []                     # weak list of compiled callables, for reset()


def reset():
    """Forget every captured program and zero the counters (``torch.compiler.reset``)."""
    for ref in _ALL:
        c = ref()
        if c is not None:
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
        import weakref
        _ALL.append(weakref.ref(self))

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


# -- what a step touches ------------------------------------------------------------------------
def _objects(args, kwargs):
    return [a for a in list(args) + list(kwargs.values()) if isinstance(a, (Module, Optimizer))]


def _watch_ok(watch):
    for where, name, obj in watch:
        if (where.get(name) if name is not None else _cell(where)) is not obj:
            return False
    return True


def _cell(cell):
    try:
        return cell.cell_contents
    except ValueError:
        return None


def _discover(fn, module, extra=()):
    """The modules, optimizers and tensors a step can reach besides its arguments: the module
    it belongs to, the globals and closure variables its code names (one level into lists,
    tuples and dicts). Returns ``(tensors, params, modules, optimizers, watch, generators)``;
    ``watch`` lists the globals and cells read, so that a rebinding (``model = other``) is
    noticed."""
    found, roots, watch = [], list(extra), []
    if module is not None:
        roots.append(module)
    f = fn
    while True:
        if isinstance(f, types.MethodType):
            roots.append(f.__self__)
            f = f.__func__
        elif isinstance(f, functools.partial):
            roots.extend(f.args)
            roots.extend(f.keywords.values())
            f = f.func
        else:
            break
    code = getattr(f, "__code__", None)
    if code is not None:
        g = getattr(f, "__globals__", {})
        for name in _names(code):
            if name in g:
                roots.append(g[name])
                watch.append((g, name, g[name]))
        for cell in f.__closure__ or ():
            roots.append(_cell(cell))
            watch.append((cell, None, roots[-1]))
    for r in roots:
        if isinstance(r, (list, tuple)):
            found.extend(r)
        elif isinstance(r, dict):
            found.extend(r.values())
        elif isinstance(r, (Module, Optimizer, Tensor)):
            found.append(r)
        elif hasattr(r, "__dict__") and not isinstance(r, (type, types.ModuleType,
                                                            types.FunctionType)):
            found.append(r)                      # a plain object (a trainer): its attributes
            found.extend(v for v in vars(r).values()
                         if isinstance(v, (Module, Optimizer, Tensor, Generator)))
        else:
            found.append(r)
    tensors, params, modules, opts, seen = [], [], [], [], set()
    gens = [o for o in found if isinstance(o, Generator)]

    def add(t, is_param):
        if id(t) not in seen:
            seen.add(id(t))
            tensors.append(t)
            if is_param:
                params.append(t)
    for o in found:
        if isinstance(o, Module):
            modules.extend(o.modules())
            for p in o.parameters():
                add(p, True)
            for b in o.buffers():
                add(b, False)
        elif isinstance(o, Optimizer):
            opts.append(o)
            for group in o.param_groups:
                for p in group["params"]:
                    add(p, True)
            for st in o.state.values():
                for v in st.values():
                    if isinstance(v, Tensor):
                        add(v, False)
        elif isinstance(o, Tensor):
            add(o, o.requires_grad and o.grad_fn is None)
    return tensors, params, modules, opts, watch, gens


def _names(code):
    names = set(code.co_names)
    for c in code.co_consts:
        if isinstance(c, types.CodeType):
            names |= _names(c)
    return names


def _guard_key(args, kwargs, state):
    """What a program is specialised on, or ``(None, reason)`` for an argument it cannot
    guard."""
    key = [STATE.enabled, _AUTOCAST[0] is None]
    for a in list(args) + [kwargs[k] for k in sorted(kwargs)]:
        if isinstance(a, Tensor):
            d = a._data
            if d.__class__ is not np.ndarray:
                return None, "an argument is not a CPU tensor"
            key.append((d.shape, d.dtype.str, d.strides, a.requires_grad))
        elif a is None or a.__class__ in (bool, int, float, str):
            key.append((a.__class__, a))
        elif a.__class__ in (list, tuple) and all(isinstance(x, Tensor) for x in a):
            key.append(tuple((x._data.shape, x._data.dtype.str, x._data.strides,
                              x.requires_grad) for x in a))
        elif isinstance(a, Module):      # e.g. self of a compiled forward: by identity
            key.append((id(a), tuple(m.training for m in a.modules())))
        elif isinstance(a, Optimizer):
            key.append(id(a))
        else:
            return None, f"an argument of type {type(a).__name__} (only tensors, lists of " \
                         "tensors, modules, optimizers and plain Python values are guarded)"
    key.append(tuple(m.training for m in state[2]))
    for t in state[0]:
        if t._data.__class__ is not np.ndarray:
            return None, "the step uses a tensor that is not on the CPU"
    return tuple(key), None


# -- one capture -----------------------------------------------------------------------------
class _Tracking:
    """The state of one capture: which tensors carry Tracers of their arrays (and what to put
    back), the slots the replay binds to them, the parameters whose ``.grad`` it rebinds."""

    def __init__(self, rec):
        self.rec = rec
        self.orig = {}           # id(tensor) -> (tensor, its array before, its Tracer)
        self.grads_in = {}       # id(param) -> its .grad tensor and array before the capture
        self.externals = []      # (slot, getter, shape, dtype, strides)
        self.params = []
        self._param_ids = set()
        self._modules = set()
        self.owners = []         # (a module's registry, name, tensor) for the guard

    def track(self, t, get=None):
        if id(t) in self.orig:
            return
        d = t._data
        if d.__class__ is not np.ndarray:
            return               # a Tracer already (an alias), or not a CPU array
        tr = self.rec.new_slot(d)
        self.rec.ext_bases.append((tr._slot, d))
        self.orig[id(t)] = (t, d, tr)
        t._data = tr
        self.externals.append((tr._slot, get or _getter(t), d.shape, d.dtype, d.strides))

    def param(self, p):
        self.track(p)
        if id(p) in self._param_ids:
            return
        self._param_ids.add(id(p))
        self.params.append(p)
        g = p.grad
        if g is not None and id(g) not in self.orig and id(p) not in self.grads_in \
                and g._data.__class__ is np.ndarray:
            d = g._data
            self.grads_in[id(p)] = (g, d)
            tr = self.rec.new_slot(d)
            self.rec.ext_bases.append((tr._slot, d))
            g._data = tr
            self.externals.append((tr._slot, _grad_getter(p), d.shape, d.dtype, d.strides))

    def module(self, m):
        """A module's parameters and buffers join the state (also for a module first met when
        called during the capture, before it reads them). Each is guarded where it is
        registered: a tensor replaced in its module makes the program stale."""
        if id(m) in self._modules:
            return
        for sub in m.modules():
            if id(sub) in self._modules:
                continue
            self._modules.add(id(sub))
            for reg, is_param in ((sub._parameters, True), (sub._buffers, False)):
                for name, t in reg.items():
                    if t is None:
                        continue
                    self.param(t) if is_param else self.track(t)
                    self.owners.append((reg, name, t))

    def everything(self):
        return [t for t, _, _ in self.orig.values()]


def _capture(rec, fn, state, args, kwargs):
    """Run ``fn`` eagerly with its state's arrays traced; returns ``(result, Program)``."""
    tensors, params, modules, _, _, _ = state
    tk = _Tracking(rec)
    for i, t in enumerate(_arg_tensors(args, kwargs)):
        tk.track(t, _arg_getter(i))
    for m in modules:
        tk.module(m)
    pids = {id(p) for p in params}
    for t in tensors:
        if id(t) in pids:
            tk.param(t)
        else:
            tk.track(t)
    gens = _generators(state)
    before = [_rng_state(g) for g in gens]
    patches = _patch_classes(tk)
    ACTIVE[0] = rec
    patch_numpy()
    try:
        out = fn(*args, **kwargs)
        result = _result_spec(rec, out)
    finally:
        unpatch_numpy()
        ACTIVE[0] = None
        for cls, name, f in patches:
            setattr(cls, name, f)
        fixups = _restore(tk)
    # random numbers are drawn by C code NumPy does not let us see: a moved generator means
    # the step's values include draws that a replay would repeat
    if any(_rng_state(g) != b for g, b in zip(gens, before)):
        rec.fail("random numbers drawn inside the step (dropout, random ops)")
    if rec.failure is not None:
        return out, None
    used = _used_slots(rec.calls) | rec.snap
    externals = [e for e in tk.externals if e[0] in used]
    prog = Program(rec.calls, rec.n, externals, fixups, result, sorted(rec.snap),
                   _hoisted(rec, fixups, result))
    # guards besides the arrays' metadata: each tensor still registered where it was, each
    # parameter still (not) requiring grad
    prog.owners = tk.owners
    prog.requires = [(p, p._rg) for p in tk.params]
    return out, prog


def _patch_classes(tk):
    """For the capture: every module call tracks the module's state first; every optimizer's
    ``step`` becomes an opaque call. Returns what to put back."""
    patches = [(Module, "__call__", Module.__call__)]
    call = Module.__call__

    def module_call(self, *args, **kwargs):
        if not tk.rec.paused and tk.rec.thread == threading.get_ident():
            tk.module(self)
        return call(self, *args, **kwargs)
    Module.__call__ = module_call
    todo, seen = [Optimizer], set()
    while todo:
        cls = todo.pop()
        if cls in seen:
            continue
        seen.add(cls)
        todo.extend(cls.__subclasses__())
        if "step" in cls.__dict__:
            patches.append((cls, "step", cls.__dict__["step"]))
            setattr(cls, "step", _opaque_step(tk, cls.__dict__["step"]))
    return patches


def _hoisted(rec, fixups, result):
    """The data-free slots a replay can take from the capture: never written, never handed
    to the state or the caller (an array handed out must be a new one at every call)."""
    out_slots = {f.slot for f in fixups if getattr(f, "slot", None) is not None}
    out_slots |= {s for c in rec.calls if c.__class__ is Opaque for _, _, s in c.grads
                  if s is not None}

    def walk(spec):
        if spec[0] == "slot":
            out_slots.add(spec[1])
        elif spec[0] in ("list", "tuple"):
            for x in spec[1]:
                walk(x)
    walk(result)
    handed = [np.ndarray.view(rec.keep[k], np.ndarray) for k in out_slots]
    return {k: a for k, a in rec.fixed.items() if k not in rec.fixed_written and
            not any(np.may_share_memory(a, h) for h in handed)}


def _generators(state):
    return [np.random.mtrand._rand, _random.default_generator] + list(state[5])


def _rng_state(g):
    if isinstance(g, np.random.RandomState):
        st = g.get_state()
        return st[1].tobytes(), st[2], st[3], st[4]
    return g._rng.bit_generator.state["state"]


def _arg_tensors(args, kwargs):
    """The tensor arguments of a call, in order (lists and tuples of tensors flattened)."""
    out = []
    for a in list(args) + [kwargs[k] for k in sorted(kwargs)]:
        if isinstance(a, Tensor):
            out.append(a)
        elif isinstance(a, (list, tuple)):
            out.extend(x for x in a if isinstance(x, Tensor))
    return out


def _arg_getter(i):
    return lambda args: args[i]._data


def _getter(t):
    return lambda args: t._data


def _grad_getter(p):
    return lambda args: p.grad._data


def _opaque_step(tk, step):
    """An optimizer's ``step`` during a capture: runs eagerly on plain arrays and is recorded
    as one opaque call, after handing the parameters the gradients recorded so far."""
    rec = tk.rec

    def wrapper(opt, *args, **kwargs):
        if rec.paused or rec.thread != threading.get_ident():
            return step(opt, *args, **kwargs)
        if args or kwargs:
            rec.fail("optimizer.step() with a closure or arguments")
            return step(opt, *args, **kwargs)
        grads = []
        params = [p for group in opt.param_groups for p in group["params"]]
        for p in params:
            tk.param(p)
            g = p.grad
            if g is None:
                grads.append((p, None, None))
            elif g._data.__class__ is Tracer:
                grads.append((p, g, g._data._slot))
            else:
                rec.fail("a parameter's .grad not computed from the step's arrays")
                return step(opt)
        rec.calls.append(Opaque(types.MethodType(step, opt), (), {}, grads))
        rec.mutated = True
        swapped = []
        for t in tk.everything() + [p.grad for p in params if p.grad is not None]:
            d = t._data
            if d.__class__ is Tracer:
                t._data = plain = np.ndarray.view(d, np.ndarray)
                swapped.append((t, d, plain))
        rec.paused += 1
        try:
            return step(opt)
        finally:
            rec.paused -= 1
            for t, d, plain in swapped:
                if t._data is plain:
                    t._data = d
    return wrapper


def _result_spec(rec, out):
    if isinstance(out, Tensor):
        d = out._data
        node = out.grad_fn
        if node is not None and getattr(node, "_saved", None) is not None:
            # its graph is alive: a backward outside the function needs it, a replay has none
            rec.fail("the function returns a tensor whose autograd graph is still needed (its "
                     "backward runs outside the compiled function)")
        if d.__class__ is Tracer:
            out._data = np.ndarray.view(d, np.ndarray)
            return ("slot", d._slot)
        return ("const", out)
    if isinstance(out, (list, tuple)) and out.__class__ in (list, tuple):
        return ("list" if out.__class__ is list else "tuple",
                [_result_spec(rec, o) for o in out])
    if isinstance(out, Tracer):
        rec.fail("the step returned a NumPy array")
    elif out is None or out.__class__ in (bool, int, float, str):
        return ("const", out)
    rec.fail(f"the step returned a {type(out).__name__} (tensors, lists and tuples of them and "
             "plain Python values are supported)")


def _restore(tk):
    """Put plain arrays back into the state after a capture; returns the fixups a replay
    applies at its end (the state rebound to the replay's arrays)."""
    fixups = []
    for t, d, tr in tk.orig.values():
        cur = t._data
        if cur is tr:
            t._data = d
        elif cur.__class__ is Tracer:      # the step gave the tensor a new array
            t._data = np.ndarray.view(cur, np.ndarray)
            fixups.append(_set_data(t, cur._slot))
    for g, d in tk.grads_in.values():
        if g._data.__class__ is Tracer:
            g._data = d
    for p in tk.params:
        g = p.grad
        if g is None:
            fixups.append(_set_grad(p, None, None))
        elif g._data.__class__ is Tracer:
            slot = g._data._slot
            g._data = np.ndarray.view(g._data, np.ndarray)
            fixups.append(_set_grad(p, g, slot))
        elif any(g is x for x, _ in tk.grads_in.values()):
            fixups.append(_set_grad(p, g, None))
        else:
            tk.rec.fail("a parameter's .grad was set to a tensor not computed in the step")
    return fixups


def _set_data(t, slot):
    def fix(S):
        t._data = S[slot]
    fix.slot = slot
    return fix


def _set_grad(p, g, slot):
    def fix(S):
        if g is not None and slot is not None:
            g._data = S[slot]
        p.grad = g
    fix.slot = slot
    return fix


def _used_slots(calls):
    used = set()

    def walk(v):
        if v.__class__.__name__ == "Slot":
            used.add(v.i)
        elif v.__class__ in (tuple, list):
            for x in v:
                walk(x)
        elif v.__class__ is dict:
            for x in v.values():
                walk(x)
    for c in calls:
        if c.__class__ is Opaque:
            used.update(s for _, _, s in c.grads if s is not None)
        elif c.__class__ is Guard:
            used.add(c.slot)
        else:
            walk(c[1])
            walk(c[2])
    return used


from .module import OptimizedModule  # noqa: E402  (it uses CompiledFunction)
