"""``Function``: the one mechanism every differentiable op goes through, built-in or user's.

A call ``MyOp.apply(*args)`` runs ``forward(ctx, *args)`` without recording, wraps the result in
Tensors and, when an input requires grad, makes ``ctx`` the node of the graph: it keeps one edge
per argument (to the input's own node, or to the leaf's gradient accumulator) and whatever
``save_for_backward`` stored. The engine later calls ``backward(ctx, *grad_outputs)``, which
returns one gradient per argument, in the shape of the broadcast result; the engine sums it down
to the input's shape.
"""
import weakref

import numpy as np

from .. import _subclass, _tensor
from . import _node_names
from .grad_mode import STATE

__all__ = ["Function", "FunctionCtx", "once_differentiable"]

_FREED_MSG = (
    "Trying to backward through the graph a second time (or directly access saved tensors after "
    "they have already been freed). Saved intermediate values of the graph are freed when you call "
    ".backward() or autograd.grad(). Specify retain_graph=True if you need to backward through the "
    "graph a second time or if you need to access saved tensors after calling backward.")

_seq = [0]
_ndarray = np.ndarray
# The active ONNX tracer (ember.onnx), or None: while set, every Function.apply goes to it.
_TRACE = [None]
# The active autocast policy (ember.amp), or None: while set, apply lets it cast the arguments.
_AUTOCAST = [None]
# True once a Tensor subclass taking part in __torch_function__ exists (ember._subclass).
_SUBCLASSES = _subclass.ACTIVE


def _holds_array(v):
    cls = v.__class__
    if cls is tuple or cls is list:
        return any(_holds_array(x) for x in v)
    if cls in _PLAIN:
        return False
    return cls is _ndarray or isinstance(v, _tensor.Tensor) or \
        hasattr(v, "__cuda_array_interface__") or hasattr(v, "__array_interface__")


_PLAIN = frozenset((bool, int, float, complex, str, type(None), slice))


class _SavedOutput:
    """An output saved for backward, kept without a reference back to the node (no cycle)."""

    __slots__ = ("data", "vc", "version", "idx")

    def __init__(self, t, idx):
        self.data, self.vc, self.version, self.idx = t._data, t._vc, t._vc.value, idx


class RemovableHandle:
    """Returned by hook registrations; ``remove()`` takes the hook out again."""

    __slots__ = ("_store", "_key")
    _next_id = [0]

    def __init__(self, store):
        self._store = store
        RemovableHandle._next_id[0] += 1
        self._key = RemovableHandle._next_id[0]

    @property
    def id(self):
        return self._key

    def remove(self):
        self._store.pop(self._key, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


def add_hook(store, fn):
    h = RemovableHandle(store)
    store[h._key] = fn
    return h


class _NoGrads(tuple):
    """``needs_input_grad`` when nothing is recorded: False at every position."""

    def __getitem__(self, i):
        return False


class Function:
    """Base class of every op. Subclass it with static ``forward(ctx, ...)`` and
    ``backward(ctx, *grads)``, then call ``YourOp.apply(...)``.

    ``forward`` receives the arguments as given (Tensors stay Tensors) and may return Tensors or
    raw arrays; ``backward`` receives and returns Tensors (or None for "no gradient").
    """

    _builtin = False   # built-in ops name their nodes as PyTorch does: MulBackward0
    needs_input_grad = _NoGrads()  # replaced per call while grad mode is on
    _node_name, _dyn_name = "FunctionBackward", False

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        _node_names.make_node_class(cls, Function)   # ctx's class: MulBackward0 (PyTorch's name)

    # -- the ctx API used inside forward/backward ------------------------------------------
    def save_for_backward(self, *tensors):
        for i, t in enumerate(tensors):
            if t is not None and not isinstance(t, _tensor.Tensor):
                raise TypeError(f"save_for_backward can only save variables, but argument {i} "
                                f"is of type {type(t).__name__}")
        self._to_save = tensors

    @property
    def saved_tensors(self):
        saved = self.__dict__.get("_saved", ())
        if saved is None:
            raise RuntimeError(_FREED_MSG)
        out = []
        for entry in saved:
            if entry is None:
                out.append(None)
                continue
            if entry.__class__ is _SavedOutput:
                if entry.vc.value != entry.version:
                    raise RuntimeError(_modified_msg(entry.data, self, entry.idx, entry.vc.value,
                                                     entry.version))
                t = _tensor.Tensor._wrap(entry.data)
                t._vc, t.grad_fn, t._out_idx, t._rg = entry.vc, self, entry.idx, True
                out.append(t)
                continue
            t, version = entry
            if t._vc.value != version:
                raise RuntimeError(_modified_msg(t._data, t.grad_fn, t._out_idx, t._vc.value,
                                                 version))
            out.append(t)
        return tuple(out)

    saved_variables = saved_tensors

    def mark_non_differentiable(self, *outputs):
        self._non_diff = {id(t) for t in outputs}

    def set_materialize_grads(self, value):
        self._materialize = bool(value)

    def mark_dirty(self, *tensors):
        self._dirty = tensors

    # -- the node API seen from the graph --------------------------------------------------
    def name(self):
        return self._node_name

    @property
    def next_functions(self):
        return tuple((e[0], e[1]) if e is not None else (None, 0) for e in self._next)

    @property
    def metadata(self):
        md = self.__dict__.get("_metadata")
        if md is None:
            md = self._metadata = {}
        return md

    def register_hook(self, fn):
        """``fn(grad_inputs, grad_outputs)`` runs after this node's backward; it may return
        replacement grad_inputs."""
        hooks = self.__dict__.get("_post_hooks")
        if hooks is None:
            hooks = self._post_hooks = {}
        return add_hook(hooks, fn)

    def register_prehook(self, fn):
        """``fn(grad_outputs)`` runs before this node's backward; it may return replacements."""
        hooks = self.__dict__.get("_pre_hooks")
        if hooks is None:
            hooks = self._pre_hooks = {}
        return add_hook(hooks, fn)

    def _tensor_hooks(self, idx, create=False):
        th = self.__dict__.get("_thooks")
        if th is None:
            if not create:
                return None
            th = self._thooks = {}
        hooks = th.get(idx)
        if hooks is None and create:
            hooks = th[idx] = {}
        return hooks

    def _release(self):
        """Free what forward kept for backward: saved tensors, and any array or tensor an op
        stored on ctx itself (masks, indices). Plain metadata (shapes, dims) stays."""
        self._saved = None
        d = self.__dict__
        for k in [k for k, v in d.items()
                  if k[0] != "_" and k != "needs_input_grad" and _holds_array(v)]:
            del d[k]

    def __repr__(self):
        if self._builtin:
            return f"<{self.name()} object at {hex(id(self))}>"
        return f"<ember.autograd.function.{self.name()} object at {hex(id(self))}>"

    def __getattr__(self, item):
        # Only called for a missing attribute: after the graph was freed, say so as PyTorch does.
        if item.startswith("__") or self.__dict__.get("_saved", ()) is not None:
            raise AttributeError(f"'{type(self).__name__}' object has no attribute '{item}'")
        raise RuntimeError(_FREED_MSG)

    # -- the one entry point ---------------------------------------------------------------
    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("You must implement the forward function for custom "
                                  "autograd.Function.")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("You must implement either the backward or vjp method for "
                                  "your custom autograd.Function to use it with backward mode AD.")

    vjp = backward

    @classmethod
    def apply(cls, *args, **kwargs):
        if _SUBCLASSES[0] and (types := _subclass.overloaded_types(args, kwargs)):
            return _subclass.dispatch(cls, types, args, kwargs)    # a Tensor subclass's turn
        tracer = _TRACE[0]
        if tracer is not None:
            return tracer.apply(cls, args, kwargs)
        cast = _AUTOCAST[0]
        if cast is not None:
            args = cast(cls, args)
        Tensor = _tensor.Tensor
        ctx = cls.__new__(cls._node_cls)
        record = False
        if STATE.enabled:
            needs = tuple([isinstance(a, Tensor) and a._rg for a in args])
            record = True in needs
            ctx.needs_input_grad = needs
            STATE.enabled = False
            try:
                out = cls.forward(ctx, *args, **kwargs)
            finally:
                STATE.enabled = True
        else:
            out = cls.forward(ctx, *args, **kwargs)
        single = not isinstance(out, tuple)
        outs = (out,) if single else out
        wrapped = []
        for o in outs:
            if o.__class__ is _ndarray:
                o = Tensor._wrap(o)
            elif isinstance(o, Tensor):
                if any(o is a for a in args) and not ctx.__dict__.get("_dirty"):
                    o = o._alias()
            elif o is not None and hasattr(o, "shape") and hasattr(o, "dtype"):
                o = Tensor._wrap(o)
            wrapped.append(o)
        if record:
            _connect(ctx, cls, args, needs, wrapped)
        return wrapped[0] if single else tuple(wrapped)


def _connect(ctx, cls, args, needs, outputs):
    """Make ``ctx`` a graph node: edges to inputs, saved tensors, outputs' grad_fn."""
    edges = []
    for a, n in zip(args, needs):
        if n:
            node = a.grad_fn
            edges.append((node, a._out_idx, a._data.shape, a.dtype) if node is not None
                         else (a._accumulator(), 0, a._data.shape, a.dtype))
        else:
            edges.append(None)
    ctx._next = tuple(edges)
    if cls._dyn_name:
        _node_names.retype(ctx)
    _seq[0] += 1
    ctx._seq = _seq[0]
    d = ctx.__dict__
    non_diff = d.get("_non_diff", ())
    to_save = d.pop("_to_save", ())
    saved = []
    for t in to_save:
        if t is None:
            saved.append(None)
            continue
        for i, o in enumerate(outputs):
            if o is t:
                saved.append(_SavedOutput(t, i))
                break
        else:
            saved.append((t, t._vc.value))
    ctx._saved = saved
    Tensor = _tensor.Tensor
    if len(outputs) > 1:
        ctx._out_meta = tuple((o._data.shape, o.dtype, o.device) if isinstance(o, Tensor)
                              else None for o in outputs)
    for i, o in enumerate(outputs):
        if isinstance(o, Tensor) and id(o) not in non_diff and o.dtype.category >= 2:
            o.grad_fn, o._out_idx, o._rg = ctx, i, True
            for entry in saved:
                if entry.__class__ is _SavedOutput and entry.idx == i:
                    entry.vc = o._vc
    dirty = d.get("_dirty")
    if dirty:
        for t in dirty:
            t._vc.value += 1


def _modified_msg(data, node, idx, version, expected):
    kind = {"float32": "Float", "float64": "Double", "float16": "Half",
            "complex64": "ComplexFloat", "complex128": "ComplexDouble"}.get(str(data.dtype), "")
    shape = ", ".join(str(s) for s in data.shape)
    where = f", which is output {idx} of {node.name()}," if node is not None else ""
    return ("one of the variables needed for gradient computation has been modified by an "
            f"inplace operation: [torch.{kind}Tensor [{shape}]]{where} is at version {version}; "
            f"expected version {expected} instead. Hint: enable anomaly detection to find the "
            "operation that failed to compute its gradient, with "
            "torch.autograd.set_detect_anomaly(True).")


class FunctionCtx(Function):
    """The type of ``ctx`` seen by a user's forward (every Function instance is one)."""


def once_differentiable(fn):
    """Mark a backward as not differentiable: it runs without recording even under
    ``create_graph=True``."""
    import functools

    @functools.wraps(fn)
    def wrapper(ctx, *args):
        prev = STATE.enabled
        STATE.enabled = False
        try:
            return fn(ctx, *args)
        finally:
            STATE.enabled = prev
    return wrapper


class AccumulateGrad:
    """The node at a leaf that requires grad: hands the incoming gradient to ``tensor.grad``."""

    __slots__ = ("variable", "_seq", "_next", "__weakref__", "_post_hooks", "_pre_hooks")
    _builtin = True

    def __init__(self, t):
        self.variable = t
        self._next = ()
        _seq[0] += 1
        self._seq = _seq[0]
        self._post_hooks = self._pre_hooks = None

    def name(self):
        return "torch::autograd::AccumulateGrad"

    @property
    def next_functions(self):
        return ()

    def register_hook(self, fn):
        if self._post_hooks is None:
            self._post_hooks = {}
        return add_hook(self._post_hooks, fn)

    def register_prehook(self, fn):
        if self._pre_hooks is None:
            self._pre_hooks = {}
        return add_hook(self._pre_hooks, fn)

    def _tensor_hooks(self, idx, create=False):
        return None

    def _release(self):
        pass

    def __repr__(self):
        return f"<AccumulateGrad object at {hex(id(self))}>"


def accumulator_for(t):
    """The (cached) AccumulateGrad node of leaf ``t``."""
    ref = t._accum
    node = ref() if ref is not None else None
    if node is None:
        node = AccumulateGrad(t)
        t._accum = weakref.ref(node)
    return node
