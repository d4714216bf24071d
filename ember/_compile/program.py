"""A captured step as a flat program of NumPy calls, and its replay.

A ``Program`` holds the recorder's calls, turned into the source of one Python function
(``S[7] = c3(S[2], S[5])`` per call: no interpretation loop at replay), plus what connects
it to the Python objects around it:

* ``externals``: the slots bound at the start of a replay to the state's current arrays
  (a tensor's ``_data``, a parameter's ``.grad``), each with the shape, dtype and strides the
  capture saw (the guard);
* ``opaque`` calls (the optimizer's step) that run eagerly at their place in the program, after
  the gradients recorded so far were handed to the parameters' ``.grad``;
* ``fixups``: the state rebound to the replay's arrays at the end (a tensor whose ``_data`` the
  step replaced, each parameter's final ``.grad``);
* the result: the function's return value with each array taken from its slot.
"""
import numpy as np

from .tracer import Guard, Slot

__all__ = ["Program", "same_program", "first_difference", "Opaque", "Diverged"]

_asarray = np.asarray


class Diverged(Exception):
    """A value guard failed during a replay (raised before the state was written)."""


class Opaque:
    """A call made eagerly at replay (the optimizer's step), with the gradients to hand to
    parameters first: ``grads`` is ``[(param, grad tensor or None, slot)]``."""

    def __init__(self, fn, args, kwargs, grads):
        self.fn, self.args, self.kwargs, self.grads = fn, args, kwargs, grads

    def __call__(self, S):
        for p, g, slot in self.grads:
            if g is not None:
                g._data = S[slot]
            p.grad = g
        self.fn(*self.args, **self.kwargs)

    def same(self, other):
        return other.__class__ is Opaque and self.fn == other.fn and \
            len(self.grads) == len(other.grads) and \
            all(a[0] is b[0] and (a[1] is None) == (b[1] is None) and a[2] == b[2]
                for a, b in zip(self.grads, other.grads))


class Program:
    def __init__(self, calls, n_slots, externals, fixups, result, snap=(), hoisted=None):
        self.calls, self.n_slots = calls, n_slots
        self.snap = snap         # state slots written before a value guard (undone on failure)
        # data-free arrays (ones_like ...) computed once, at the capture, and only read since
        self.hoisted = hoisted or {}
        self.owners, self.requires = [], []      # set by the capture (see _capture)
        self.first = {}          # id(plain array read) -> its contents when first read
        self._template = [None] * n_slots
        for k, a in self.hoisted.items():
            self._template[k] = a
        self.externals = externals      # [(slot, getter(), shape, dtype, strides)]
        self.fixups, self.result = fixups, result
        self._replay = _generate(calls, self.hoisted)

    def bind(self, args):
        """The slot list with the externals bound (``args``: the call's tensor arguments), or
        None when one no longer matches."""
        for reg, name, t in self.owners:
            if reg.get(name) is not t:
                return None
        for p, rg in self.requires:
            if p._rg is not rg:
                return None
        S = self._template[:]
        for slot, get, shape, dtype, strides in self.externals:
            try:
                a = get(args)
            except AttributeError:          # e.g. a parameter's .grad became None
                return None
            if a.__class__ is not np.ndarray or a.shape != shape or a.dtype != dtype or \
                    a.strides != strides:
                return None
            S[slot] = a
        return S

    def run(self, S):
        if self.snap:
            saved = [(S[i], S[i].copy()) for i in self.snap]
            try:
                self._replay(S)
            except Diverged:
                for a, copy in saved:
                    np.copyto(a, copy)
                raise
        else:
            self._replay(S)
        for fix in self.fixups:
            fix(S)
        return _build(self.result, S)


def _build(spec, S):
    from .._tensor import Tensor
    kind = spec[0]
    if kind == "slot":
        return Tensor._wrap(S[spec[1]])
    if kind == "const":
        return spec[1]
    items = [_build(s, S) for s in spec[1]]
    return items if kind == "list" else tuple(items)


def _generate(calls, hoisted):
    """One Python function running every call in order on the slot list ``S`` (but those
    whose result is hoisted)."""
    consts, lines = {}, ["def _replay(S):"]

    def const(v):
        name = f"c{len(consts)}"
        consts[name] = v
        return name

    def render(v):
        if v.__class__ is Slot:
            return f"S[{v.i}]"
        if v.__class__ is tuple:
            return "(" + "".join(render(x) + ", " for x in v) + ")"
        if v.__class__ is list:
            return "[" + ", ".join(render(x) for x in v) + "]"
        if v.__class__ is dict and all(isinstance(k, str) for k in v):
            return "{" + ", ".join(f"{k!r}: {render(x)}" for k, x in v.items()) + "}"
        if v is None or v.__class__ in (bool, int) or v.__class__ is str:
            return repr(v)
        return const(v)

    for call in calls:
        if call.__class__ is Opaque:
            lines.append(f"    {const(call)}(S)")
            continue
        if call.__class__ is Guard:
            lines.append(f"    if {const(call.convert)}(S[{call.slot}]) != {const(call.value)}:")
            lines.append(f"        raise {const(Diverged(call.what))}")
            continue
        fn, args, kwargs, out, scalar = call
        if out is not None and out.__class__ is not tuple and out in hoisted:
            continue
        parts = [render(a) for a in args] + [f"{k}={render(v)}" for k, v in kwargs.items()]
        expr = f"{const(fn)}({', '.join(parts)})"
        if out is None:
            lines.append(f"    {expr}")
        elif out.__class__ is tuple:
            lines.append(f"    {', '.join(f'S[{i}]' for i in out)}, = map(_asarray, {expr})")
        elif scalar:
            lines.append(f"    S[{out}] = _asarray({expr})")
        else:
            lines.append(f"    S[{out}] = {expr}")
    if len(lines) == 1:
        lines.append("    pass")
    namespace = dict(consts, _asarray=_asarray)
    exec(compile("\n".join(lines), "<ember.compile replay>", "exec"), namespace)  # noqa: S102
    return namespace["_replay"]


def same_program(a, b):
    """Whether two captures recorded the same calls on the same slots with equal constants."""
    if a.n_slots != b.n_slots or len(a.calls) != len(b.calls) or a.snap != b.snap or \
            len(a.externals) != len(b.externals) or len(a.fixups) != len(b.fixups):
        return False
    for x, y in zip(a.externals, b.externals):
        if x[0] != y[0] or x[2:] != y[2:]:
            return False
    for x, y in zip(a.calls, b.calls):
        if x.__class__ is Guard or y.__class__ is Guard:    # the values may differ
            if not (x.__class__ is y.__class__ and x.slot == y.slot and x.what == y.what):
                return False
            continue
        if x.__class__ is Opaque or y.__class__ is Opaque:
            if not (x.__class__ is Opaque and x.same(y)):
                return False
            continue
        if x[3] != y[3] or x[4] != y[4] or not _same_fn(x[0], y[0]) or \
                not _same(x[1], y[1], a.first, b.first) or \
                not _same(x[2], y[2], a.first, b.first):
            return False
    return _same(a.result, b.result)


def first_difference(a, b):
    """Where two captures part (for the fallback's reason): the first differing call."""
    for i, (x, y) in enumerate(zip(a.calls, b.calls)):
        if x.__class__ is not tuple or y.__class__ is not tuple:
            if x.__class__ is not y.__class__:
                return f"call {i}: {_describe(x)} vs {_describe(y)}"
            continue
        if not (_same_fn(x[0], y[0]) and _same(x[1], y[1], a.first, b.first) and
                _same(x[2], y[2], a.first, b.first) and x[3] == y[3]):
            return f"call {i}: {_describe(x)} vs {_describe(y)}"
    if len(a.calls) != len(b.calls):
        return f"{len(a.calls)} calls vs {len(b.calls)}"
    return "the state bound or returned"


def _describe(c):
    if c.__class__ is not tuple:
        return type(c).__name__
    name = getattr(c[0], "__name__", repr(c[0]))
    args = ", ".join(f"<{a.dtype}{list(a.shape)} constant>" if isinstance(a, np.ndarray)
                     else repr(a) for a in c[1])
    return f"np.{name}({args})"


def _same_fn(f, g):
    return f is g or f == g


def _same(u, v, fa=None, fb=None):
    """Equal constants. ``fa``/``fb`` map a plain array's id to its contents when the capture
    first read it: one array object read by both captures compares as it was then."""
    if isinstance(u, np.ndarray) and isinstance(v, np.ndarray):   # equal bytes (NaN too)
        u, v = (fa or {}).get(id(u), u), (fb or {}).get(id(v), v)
        return u.shape == v.shape and u.dtype == v.dtype and \
            np.ascontiguousarray(u).tobytes() == np.ascontiguousarray(v).tobytes()
    if u is v:
        return True
    if u.__class__ is not v.__class__:
        return False
    if u.__class__ in (tuple, list):
        return len(u) == len(v) and all(_same(x, y, fa, fb) for x, y in zip(u, v))
    if u.__class__ is dict:
        return u.keys() == v.keys() and all(_same(u[k], v[k], fa, fb) for k in u)
    if isinstance(u, (float, complex, np.generic)):
        return np.asarray(u).tobytes() == np.asarray(v).tobytes()
    try:
        return bool(u == v)
    except Exception:       # noqa: BLE001  (an object without a usable ==: not the same)
        return False
