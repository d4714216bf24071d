"""Recording the array-level work of one eager run.

During a capture the arrays of the state (parameters, buffers, optimizer state, the step's
arguments) are swapped for ``Tracer`` views of themselves. A Tracer is an ndarray subclass that
answers NumPy's two override protocols (``__array_ufunc__`` for every ufunc and ufunc method,
``__array_function__`` for every dispatched NumPy function) and overrides the ndarray methods
that bypass them (``reshape``, ``__getitem__``, ``__setitem__``, ``copy``, ``astype`` ...). Each
such call runs on the plain arrays underneath (so the capture run computes exactly what eager
computes) and is appended to the recorder's list as ``(callable, args, kwargs, outputs)`` with
every Tracer replaced by its slot number. Results come back as new Tracers with new slots.

What cannot be recorded makes the capture *fail* with a reason (the caller then runs eager):
turning an array into a Python value (``.item()``, ``float()``, ``bool()``: data-dependent
control flow), using an array method that was not overridden (its result is a Tracer without a
slot), or a recorded call returning a Python number. A few NumPy creation functions that do
not dispatch (``zeros``, ``empty``, ``asarray`` ...) are patched for the capture's duration so
that buffers ops create and fill stay recorded. Anything else outside the protocols (a plain
array computed from untracked state, random numbers) is kept as a constant, and constants are
compared by value between two captures before any replay (see ``program.same_program``).
"""
import operator
import sys
import threading

import numpy as np

__all__ = ["Tracer", "Recorder", "Slot", "Guard", "ACTIVE"]

_asarray = np.asarray    # the real one (np.asarray itself is patched during a capture)

from .._flags import CAPTURING as ACTIVE  # the recorder of the capture in progress, or None


class Slot:
    """A reference to the array of slot ``i`` in a recorded call's arguments."""

    __slots__ = ("i",)

    def __init__(self, i):
        self.i = i

    def __eq__(self, other):
        return other.__class__ is Slot and other.i == self.i

    def __hash__(self):
        return hash(self.i)

    def __repr__(self):
        return f"S[{self.i}]"


class Recorder:
    """The list of recorded calls of one capture, and the slots they read and write."""

    def __init__(self):
        # (fn, args, kwargs, out, scalar): out is a slot, a tuple of slots or None; scalar: the
        # result was a NumPy scalar, kept as a 0-d array (as the capture run saw it)
        self.calls = []
        self.n = 0               # slots handed out
        self.keep = []           # every Tracer made, kept alive so ids stay unique
        self.depth = 0           # > 0 while a recorded call runs (its inner calls are its own)
        self.thread = threading.get_ident()   # other threads (data loading) are not recorded
        self.paused = 0          # > 0 inside an opaque call (the optimizer's step)
        self.failure = None
        self.ext_bases = []      # (slot, array) of the state's arrays
        self.written = set()     # slots of the state's arrays written so far
        self.snap = set()        # ... written before a value guard: saved at replay, to undo
        self.mutated = False     # whether the optimizer's step has run (nothing to undo then)
        # slots whose value depends on no data (ones_like, full, ... and pure calls on them):
        # unless written or handed out, a replay takes the captured array (program.py)
        self.fixed = {}
        self.fixed_written = set()
        self.consts = {}         # id -> (plain array read as a constant, its first contents)

    def fail(self, reason):
        """Stop recording (the run goes on eagerly, so the call's results and the state stay
        exactly eager's) and keep the first reason."""
        if self.failure is None:
            self.failure = reason
            self.paused += 1

    def new_slot(self, arr):
        t = np.ndarray.view(arr, Tracer)
        t._slot, t._rec = self.n, self
        self.n += 1
        self.keep.append(t)
        return t

    # -- encoding arguments ----------------------------------------------------------------
    def encode(self, v):
        """``v`` with each Tracer replaced by its Slot (and a plain array for the real call)."""
        cls = v.__class__
        if cls is Tracer:
            plain = np.ndarray.view(v, np.ndarray)
            d = v.__dict__
            if d.get("_rec") is not self:
                if "_rec" in d:        # left over from another capture: a constant here
                    return plain, plain
                self.fail("an array method the compiler does not record produced a value used "
                          "later in the step")
                return plain, plain
            return Slot(d["_slot"]), plain
        if cls is tuple or cls is list:
            pairs = [self.encode(x) for x in v]
            return cls(p[0] for p in pairs), cls(p[1] for p in pairs)
        if cls is dict:
            pairs = {k: self.encode(x) for k, x in v.items()}
            return {k: p[0] for k, p in pairs.items()}, {k: p[1] for k, p in pairs.items()}
        if cls is np.ndarray:
            if id(v) not in self.consts:      # a plain array: its contents as first seen
                self.consts[id(v)] = (v, v.copy())
        elif not isinstance(v, (np.generic, type)) and (hasattr(v, "__array_interface__") or
                                                         hasattr(v, "__array_struct__")):
            self.fail("a raw array interface (a pointer into memory) was passed to NumPy")
        return v, v

    def check_consts(self, state_arrays):
        """Fail when a plain array the program reads changed during the capture (written
        where no recorder sees it: the replay would read it as it is now, not as it was);
        the state's own arrays (updated by the optimizer's step) excepted."""
        for v, first in self.consts.values():
            if id(v) in state_arrays:
                continue
            if v.shape != first.shape or v.tobytes() != first.tobytes():
                self.fail("an array the step reads was written where the compiler cannot see "
                          "it (plain NumPy on untracked state)")
                return

    def call(self, fn, args, kwargs):
        """Run ``fn`` on plain arrays and record it; returns the result with Tracers."""
        if self.depth or self.paused:
            return fn(*_plain(args), **_plain(kwargs))
        enc_args, run_args = self.encode(args)
        enc_kw, run_kw = self.encode(kwargs)
        if self.paused:                        # encoding failed: eager from here on
            return fn(*run_args, **run_kw)
        outs = run_kw.get("out")
        self._note_writes(fn, run_args, outs)
        self.depth += 1
        try:
            res = fn(*run_args, **run_kw)
        finally:
            self.depth -= 1
        # a result that is one of the out= arrays is that argument's Tracer (no new slot)
        if outs is not None:
            outs_t = outs if isinstance(outs, tuple) else (outs,)
            given = kwargs["out"] if isinstance(kwargs["out"], tuple) else (kwargs["out"],)
            for o, g in zip(outs_t, given):
                if res is o:
                    self.calls.append((fn, enc_args, enc_kw, None, False))
                    return g
        for a, t in zip(run_args, args):       # in-place methods (x.fill) hand back their array
            if res is a and a is not t:
                self.calls.append((fn, enc_args, enc_kw, None, False))
                return t
        if res is None:
            self.calls.append((fn, enc_args, enc_kw, None, False))
            return None
        if isinstance(res, (np.ndarray, np.generic)):
            t = self.new_slot(_asarray(res))
            self.calls.append((fn, enc_args, enc_kw, t._slot, isinstance(res, np.generic)))
            if outs is None and fn not in _INPLACE and self._data_free(fn, enc_args, enc_kw):
                self.fixed[t._slot] = np.ndarray.view(t, np.ndarray)
            return t
        if res.__class__ in (tuple, list) and res and \
                all(isinstance(r, (np.ndarray, np.generic)) for r in res):
            ts = [self.new_slot(_asarray(r)) for r in res]
            self.calls.append((fn, enc_args, enc_kw, tuple(t._slot for t in ts), True))
            return res.__class__(ts)
        if isinstance(res, (np.dtype, type)) or (res.__class__ is tuple and
                                                 all(isinstance(r, int) for r in res)):
            return res                          # metadata: fixed by the guards
        name = getattr(fn, "__name__", repr(fn))
        if name in _METADATA:       # layout or type facts: the same for arrays of one program
            return res
        self.fail(f"np.{name} returned a Python value ({type(res).__name__}) computed from the "
                  "step's data")
        return res


    def _data_free(self, fn, enc_args, enc_kw):
        name = getattr(fn, "__name__", None)
        if name in _METADATA_ONLY:
            return True
        slots = _slots_in((enc_args, enc_kw))
        if _holds_array((enc_args, enc_kw)):
            return False         # a plain array's contents may change between calls
        if not slots:
            return name in _FILLED
        return name != "at" and all(k in self.fixed and k not in self.fixed_written
                                    for k in slots)

    def _note_writes(self, fn, run_args, outs):
        targets = list(outs) if isinstance(outs, tuple) else [outs] if outs is not None else []
        if (fn in _INPLACE or getattr(fn, "__name__", None) == "at") and run_args:
            targets.append(run_args[0])
        for t in targets:
            if isinstance(t, np.ndarray):
                self.written.update(slot for slot, b in self.ext_bases
                                    if np.may_share_memory(t, b))
                self.fixed_written.update(k for k, b in self.fixed.items()
                                          if np.may_share_memory(t, b))

    def to_python(self, arr, convert, what):
        """A Python value read from a recorded array (``.item()``, ``float()``, ``if t:``): kept
        as a *value guard* (the replay reads it again and, when it differs, undoes what it
        wrote into the state so far and gives up), or a failure once the optimizer has
        stepped (its update cannot be undone)."""
        value = convert(np.ndarray.view(arr, np.ndarray))
        if self.depth or self.paused:
            return value
        slot = arr.__dict__.get("_slot") if arr.__dict__.get("_rec") is self else None
        if slot is None or self.mutated:
            self.fail(f"{what} on an array computed in the step (a data-dependent Python value"
                      f"{' read after the step updated its state' if self.mutated else ''})")
            return value
        self.calls.append(Guard(slot, convert, value, what))
        self.snap |= self.written
        return value


class Guard:
    """A Python value the captured run read from slot ``slot``; replay checks it is the same."""

    __slots__ = ("slot", "convert", "value", "what")

    def __init__(self, slot, convert, value, what):
        self.slot, self.convert, self.value, self.what = slot, convert, value, what


def _slots_in(v, acc=None):
    acc = set() if acc is None else acc
    if v.__class__ is Slot:
        acc.add(v.i)
    elif v.__class__ in (tuple, list):
        for x in v:
            _slots_in(x, acc)
    elif v.__class__ is dict:
        for x in v.values():
            _slots_in(x, acc)
    return acc


def _holds_array(v):
    if isinstance(v, np.ndarray):
        return True
    if v.__class__ in (tuple, list):
        return any(_holds_array(x) for x in v)
    if v.__class__ is dict:
        return any(_holds_array(x) for x in v.values())
    return False


# results that read only their arguments' shapes and dtypes, or nothing but constants
_METADATA_ONLY = {"zeros_like", "ones_like", "full_like"}
_FILLED = {"zeros", "ones", "full", "arange", "eye", "asarray", "array", "ascontiguousarray"}


def _plain(v):
    cls = v.__class__
    if cls is Tracer:
        return np.ndarray.view(v, np.ndarray)
    if cls is tuple or cls is list:
        return cls(_plain(x) for x in v)
    if cls is dict:
        return {k: _plain(x) for k, x in v.items()}
    return v


def _record(fn, args, kwargs):
    rec = ACTIVE[0]
    if rec is None or rec.thread != threading.get_ident():
        return fn(*_plain(args), **_plain(kwargs))
    return rec.call(fn, args, kwargs)


def _to_python(arr, convert, what):
    rec = ACTIVE[0]
    if rec is None or rec.thread != threading.get_ident():
        return convert(np.ndarray.view(arr, np.ndarray))
    return rec.to_python(arr, convert, what)


def _item(a, *args):
    return a.item(*args)


class Tracer(np.ndarray):
    """An array whose NumPy calls are recorded (see the module docstring)."""

    def __array_finalize__(self, obj):
        pass           # a Tracer made by NumPy itself has no slot: using it fails the capture

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        fn = ufunc if method == "__call__" else getattr(ufunc, method)
        return _record(fn, inputs, kwargs)

    def __array_function__(self, func, types, args, kwargs):
        return _record(func, args, kwargs)

    def __float__(self):
        return _to_python(self, float, "float()")

    def __int__(self):
        return _to_python(self, int, "int()")

    def __index__(self):
        return _to_python(self, operator.index, "an index")

    def __complex__(self):
        return _to_python(self, complex, "complex()")

    def __bool__(self):
        return _to_python(self, bool, "bool()")

    def item(self, *args):
        return _to_python(self, (lambda a: a.item(*args)) if args else _item, ".item()")

    def tolist(self):
        return _to_python(self, np.ndarray.tolist, ".tolist()")

    def __iter__(self):
        return iter([self[i] for i in range(len(self))])


def _method(name):
    m = getattr(np.ndarray, name)

    def meth(self, *args, **kwargs):
        return _record(m, (self,) + args, kwargs)
    meth.__name__ = name
    return meth


def _prop(name):
    get = operator.attrgetter(name)
    return property(lambda self: _record(get, (self,), {}))


# ndarray methods implemented in C that neither dispatch nor go through ufuncs (sum, max, min,
# prod, any, all and clip reach their ufunc, which is recorded: the replay calls it directly)
for _name in ("__getitem__", "__setitem__", "copy", "astype", "reshape", "view", "transpose",
              "ravel", "flatten", "squeeze", "swapaxes", "diagonal", "repeat", "take", "dot",
              "conj", "conjugate", "argmax", "argmin", "cumsum", "cumprod", "nonzero", "argsort",
              "round", "fill", "sort", "put", "partition", "argpartition", "searchsorted",
              "compress", "choose", "trace", "__copy__", "__deepcopy__", "mean", "std", "var"):
    setattr(Tracer, _name, _method(_name))
for _name in ("T", "mT", "real", "imag"):
    setattr(Tracer, _name, _prop(_name))


# functions whose Python results depend only on shapes, dtypes and memory layout
_METADATA = {"shares_memory", "may_share_memory", "ndim", "shape", "size", "iscomplexobj",
             "isrealobj", "result_type", "can_cast", "min_scalar_type", "isfortran"}

# functions and methods that write into their first argument
_INPLACE = {np.ndarray.__setitem__, np.ndarray.fill, np.ndarray.sort, np.ndarray.put,
            np.ndarray.partition, np.copyto, np.place, np.putmask, np.put_along_axis, np.put,
            np.fill_diagonal}

# NumPy functions that do not dispatch on their arguments, patched while a capture runs
_CREATE = ("zeros", "ones", "empty", "full", "asarray", "asanyarray", "array",
           "ascontiguousarray", "eye", "arange")
_ORIGINAL = {(np, n): getattr(np, n) for n in _CREATE}
_ORIGINAL[np.lib.stride_tricks, "as_strided"] = np.lib.stride_tricks.as_strided


def _patched(name, orig):
    def fn(*args, **kwargs):
        rec = ACTIVE[0]
        # only ember's own calls are recorded: a buffer another library (or C code such as
        # NumPy's random generators) creates here is filled where no recorder can see it
        if rec is None or rec.depth or rec.paused or rec.thread != threading.get_ident() or \
                not sys._getframe(1).f_globals.get("__name__", "").startswith("ember."):
            return orig(*args, **kwargs)
        if name.startswith("as") and args and args[0].__class__ is Tracer and len(args) == 1 \
                and not kwargs and (name != "ascontiguousarray" or args[0].flags.c_contiguous):
            return args[0]       # already an array (contiguous, if asked): the identity
        return rec.call(orig, args, kwargs)
    fn.__name__ = name
    return fn


_PATCHED = {key: _patched(key[1], f) for key, f in _ORIGINAL.items()}


def patch_numpy():
    for (mod, n), f in _PATCHED.items():
        setattr(mod, n, f)


def unpatch_numpy():
    for (mod, n), f in _ORIGINAL.items():
        setattr(mod, n, f)
