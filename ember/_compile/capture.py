"""One capture: the step runs eagerly with its state's arrays traced, and becomes a Program.

The state's tensors get Tracer views of their arrays (``_Tracking``), modules called and
optimizers stepped during the capture are tracked or made opaque (``_patch_classes``), and at
the end the plain arrays go back, with the fixups a replay applies to rebind the state."""
import threading
import types

import numpy as np

from .. import _random
from .._tensor import Tensor
from ..nn.modules.module import Module
from ..optim.optimizer import Optimizer
from .program import Opaque, Program
from .tracer import ACTIVE, Guard, Tracer, patch_numpy, unpatch_numpy


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
    rec.check_consts({id(d) for _, d, _ in tk.orig.values()} |
                     {id(d) for _, d in tk.grads_in.values()})
    if rec.failure is not None:
        return out, None
    used = _used_slots(rec.calls) | rec.snap
    externals = [e for e in tk.externals if e[0] in used]
    prog = Program(rec.calls, rec.n, externals, fixups, result, sorted(rec.snap),
                   _hoisted(rec, fixups, result))
    # guards besides the arrays' metadata: each tensor still registered where it was, each
    # parameter still (not) requiring grad
    prog.owners = tk.owners
    prog.first = {i: first for i, (_, first) in rec.consts.items()}
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
    return g.get_state().numpy().tobytes()   # PyTorch's byte layout: MT words, position, caches


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
