"""``Function``: the one mechanism every differentiable op goes through, built-in or user's.

A call ``MyOp.apply(*args)`` runs ``forward(ctx, *args)`` without recording, wraps the result in
Tensors and, when an input requires grad, makes ``ctx`` the node of the graph: it keeps one edge
per argument (to the input's own node, or to the leaf's gradient accumulator) and whatever
``save_for_backward`` stored. The engine later calls ``backward(ctx, *grad_outputs)``, which
returns one gradient per argument, in the shape of the broadcast result; the engine sums it down
to the input's shape.
"""
import sys
import weakref

import numpy as np

from .. import _subclass, _tensor
from .._dtype import _FROM_NP
from . import _hooks, _node_names
from ._hooks import RemovableHandle, add_hook  # noqa: F401  (their home before _hooks.py)
from .grad_mode import STATE

__all__ = ["Function", "FunctionCtx", "once_differentiable", "Edge"]

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


class Edge(tuple):
    """Where a gradient goes: output ``out_idx`` of ``node`` (an input's grad_fn, or a leaf's
    AccumulateGrad), with the input's ``shape`` and ``dtype`` that the engine sums and casts
    the gradient to; an edge to a leaf also holds the ``leaf`` (the graph keeps it alive, and
    the engine adds into its ``.grad`` from there). A tuple, built with ``tuple.__new__`` on
    the hot path."""

    __slots__ = ()
    node = property(lambda e: e[0])
    out_idx = property(lambda e: e[1])
    shape = property(lambda e: e[2])
    dtype = property(lambda e: e[3])

    def __new__(cls, node, out_idx, shape, dtype, leaf=None):
        if leaf is None:
            return tuple.__new__(cls, (node, out_idx, shape, dtype))
        return tuple.__new__(cls, (node, out_idx, shape, dtype, leaf))

    def __repr__(self):
        return f"Edge({self[0]!r}, {self[1]}, {self[2]}, {self[3]})"


_new_tuple = tuple.__new__
# NumPy's scalar types, which a reduction over everything returns (Tensor._wrap takes them)
_NP_SCALARS = frozenset(np.dtype(c).type for c in "?bhilqBHILQefdgFDG")


class _SavedOutput:
    """An output saved for backward, kept without a reference back to the node (no cycle)."""

    __slots__ = ("data", "vc", "version", "idx")

    def __init__(self, t, idx):
        self.data, self.vc, self.version, self.idx = t._data, t._vc, t._vc.value, idx


class _NoGrads(tuple):
    """``needs_input_grad`` when nothing is recorded: False at every position."""

    def __getitem__(self, i):
        return False


_NO_GRADS = _NoGrads()
_FALSE = (False,)

# A node's state, declared once. Slots (``Function.__slots__``), set when the node joins the
# graph (``_connect``) and read by the engine:
#   _next        one Edge per forward argument (None where no gradient flows)
#   _seq         creation number: a node is newer than every node it leads to, so visiting
#                nodes newest first is a topological order (the engine's only scheduling)
#   _saved       what save_for_backward kept, as (tensor, version) / _SavedOutput; None once
#                freed
#   _out_meta    (shape, dtype, device) per output of a multi-output node, to make zero
#                gradients for outputs that got none; None for a single output
#   _hooks       the node's hooks, retained grads and metadata (autograd/_hooks.py), or None
#   needs_input_grad  per forward argument, whether it requires grad
# Class-level defaults, set on ctx only by forward's ctx API (so most nodes never store them):
#   _to_save     save_for_backward's tensors, until _connect files them into _saved
#   _materialize set_materialize_grads: make zeros for outputs without a gradient (True)
#   _non_diff    ids of outputs marked non-differentiable
#   _dirty       tensors marked modified in place


class Function:
    """Base class of every op. Subclass it with static ``forward(ctx, ...)`` and
    ``backward(ctx, *grads)``, then call ``YourOp.apply(...)``.

    ``forward`` receives the arguments as given (Tensors stay Tensors) and may return Tensors or
    raw arrays; ``backward`` receives and returns Tensors (or None for "no gradient").
    """

    # node state (see the glossary above); ``__dict__`` stays for what ops and users keep on ctx
    __slots__ = ("_next", "_seq", "_saved", "_out_meta", "_hooks", "needs_input_grad",
                 "__dict__", "__weakref__")
    _to_save, _materialize, _non_diff, _dirty = (), True, (), None
    # names of ctx attributes that hold arrays (masks, indices), freed with the saved tensors;
    # None: not declared, so release looks for them
    _ctx_arrays = None

    _builtin = False   # built-in ops name their nodes as PyTorch does: MulBackward0
    _node_name, _dyn_name = "FunctionBackward", False

    # -- the ctx API used inside forward/backward ------------------------------------------
    def save_for_backward(self, *tensors):
        # checked when the node joins the graph (_saved_entries), as PyTorch does: a forward
        # that records nothing saves nothing
        self._to_save = tensors

    @property
    def saved_tensors(self):
        saved = self._saved
        if saved is None:
            raise RuntimeError(_FREED_MSG)
        out = []
        for entry in saved:
            if entry.__class__ is tuple:     # an input, with the version it had (most entries)
                t, version = entry
                if t._vc.value != version:
                    raise RuntimeError(_modified_msg(t._data, t.grad_fn, t._out_idx,
                                                     t._vc.value, version))
                out.append(t)
                continue
            if entry is None:
                out.append(None)
            else:                            # an output (_SavedOutput): rewrapped, no cycle
                if entry.vc.value != entry.version:
                    raise RuntimeError(_modified_msg(entry.data, self, entry.idx, entry.vc.value,
                                                     entry.version))
                t = _tensor.Tensor._wrap(entry.data)
                t._vc, t.grad_fn, t._out_idx, t._rg = entry.vc, self, entry.idx, True
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
        return _hooks.node_hooks(self).metadata

    def register_hook(self, fn):
        """``fn(grad_inputs, grad_outputs)`` runs after this node's backward; it may return
        replacement grad_inputs."""
        return _hooks.add_hook(_hooks.node_hooks(self).post, fn)

    def register_prehook(self, fn):
        """``fn(grad_outputs)`` runs before this node's backward; it may return replacements."""
        return _hooks.add_hook(_hooks.node_hooks(self).pre, fn)

    def _release(self):
        """Free what forward kept for backward: the saved tensors, and the arrays the op keeps
        on ctx (its declared ``_ctx_arrays``; for an op that declares nothing, such as a
        user's Function, any array or tensor found on ctx). Plain metadata stays."""
        self._saved = None
        names = self._ctx_arrays
        d = self.__dict__
        if names is None:
            if d:
                for k in [k for k, v in d.items() if k[0] != "_" and _holds_array(v)]:
                    del d[k]
        else:
            for k in names:
                d.pop(k, None)

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        # a module that sets _CTX_AUDITED has declared every array its Functions keep on ctx
        if "_ctx_arrays" not in cls.__dict__ and cls._ctx_arrays is None and \
                getattr(sys.modules.get(cls.__module__), "_CTX_AUDITED", False):
            cls._ctx_arrays = ()
        _node_names.make_node_class(cls, Function)   # ctx's class: MulBackward0 (PyTorch's name)

    def __repr__(self):
        if self._builtin:
            return f"<{self.name()} object at {hex(id(self))}>"
        return f"<ember.autograd.function.{self.name()} object at {hex(id(self))}>"

    def __getattr__(self, item):
        # Only called for a missing attribute: a slot of a node not (yet) in the graph has its
        # default; after the graph was freed, a missing ctx attribute says so as PyTorch does.
        if item in _SLOT_DEFAULTS:
            return _SLOT_DEFAULTS[item]
        if item.startswith("__") or self._saved is not None:
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
            n = len(args)
            if n == 1:                 # (one and two arguments written out: most ops)
                a = args[0]
                needs = (isinstance(a, Tensor) and a._rg,)
            elif n == 2:
                a, b = args
                needs = (isinstance(a, Tensor) and a._rg, isinstance(b, Tensor) and b._rg)
            else:
                needs = tuple([isinstance(a, Tensor) and a._rg for a in args])
            record = True in needs
            ctx.needs_input_grad = needs
            STATE.enabled = False
            try:
                out = cls.forward(ctx, *args, **kwargs)
            finally:
                STATE.enabled = True
        else:
            ctx.needs_input_grad = _FALSE * len(args)
            out = cls.forward(ctx, *args, **kwargs)
        oc = out.__class__
        if oc is _ndarray or oc in _NP_SCALARS:   # the common case: one array
            out = Tensor._wrap(out)
            if record:
                _connect_one(ctx, args, needs, out)
            return out
        if oc is Tensor and _new_output(out, args):   # one Tensor forward made (relu, exp …)
            if record:
                _connect_one(ctx, args, needs, out)
            return out
        single = not isinstance(out, tuple)
        outs = (out,) if single else out
        wrapped = []
        for o in outs:
            if o.__class__ is _ndarray:
                o = Tensor._wrap(o)
            elif isinstance(o, Tensor):
                for a in args:   # an input handed back as it is: give out an alias
                    if a is o:
                        if not ctx._dirty:
                            o = o._alias()
                        break
            elif o is not None and hasattr(o, "shape") and hasattr(o, "dtype"):
                o = Tensor._wrap(o)
            wrapped.append(o)
        if record:
            if single and isinstance(wrapped[0], Tensor):
                _connect_one(ctx, args, needs, wrapped[0])
            else:
                _connect(ctx, args, needs, wrapped)
        return wrapped[0] if single else tuple(wrapped)


def _new_output(out, args):
    """True when ``out`` is none of ``args`` (an input handed back needs an alias instead)."""
    for a in args:
        if a is out:
            return False
    return True


_SLOT_DEFAULTS = {"_saved": (), "_out_meta": None, "_hooks": None, "_next": (), "_seq": 0,
                  "needs_input_grad": _NO_GRADS}


def _edges(args, needs):
    """One Edge per argument: to its grad_fn, or to the leaf's AccumulateGrad; None where no
    gradient flows."""
    edges = []
    for a, n in zip(args, needs):
        if n:
            d = a._data
            node = a.grad_fn
            if node is None:    # a leaf: its AccumulateGrad, and the leaf (the graph keeps it)
                node = a._accum
                if node.__class__ is not AccumulateGrad:   # none yet, or held weakly
                    node = accumulator_for(a)
                edges.append(_new_tuple(Edge, (node, 0, d.shape, _FROM_NP[d.dtype], a)))
            else:
                edges.append(_new_tuple(Edge, (node, a._out_idx, d.shape, _FROM_NP[d.dtype])))
        else:
            edges.append(None)
    return tuple(edges)


def _connect_one(ctx, args, needs, o):
    """``_connect`` for the common case, a forward that returned one output ``o`` (a Tensor):
    the same state, without the loops over several outputs."""
    ctx._next = _edges(args, needs)
    if ctx._dyn_name:
        _node_names.retype(ctx)
    _seq[0] = seq = _seq[0] + 1
    ctx._seq = seq
    ctx._hooks = None
    ctx._out_meta = None
    to_save = ctx._to_save
    if to_save:
        saved = []
        for t in to_save:   # inputs with their versions, the output as _SavedOutput (no cycle)
            if t is None:
                saved.append(None)
            elif t is o:
                saved.append(_SavedOutput(t, 0))
            elif t.__class__ is _tensor.Tensor:
                saved.append((t, t._vc.value))
            else:
                saved = _saved_entries(to_save, (o,))   # a subclass, or the error
                break
        ctx._saved = saved
        del ctx._to_save
    else:
        ctx._saved = []
    non_diff = ctx._non_diff
    if (not non_diff or id(o) not in non_diff) and _FROM_NP[o._data.dtype].category >= 2:
        o.grad_fn, o._out_idx, o._rg = ctx, 0, True
    if ctx._dirty:
        for t in ctx._dirty:
            t._vc.value += 1


def _saved_entries(to_save, outputs):
    """save_for_backward's tensors as kept on the node: an output as ``_SavedOutput`` (no
    reference cycle), any other tensor with the version it had."""
    saved = []
    Tensor = _tensor.Tensor
    for k, t in enumerate(to_save):
        if t is None:
            saved.append(None)
            continue
        for i, o in enumerate(outputs):
            if o is t:
                saved.append(_SavedOutput(t, i))
                break
        else:
            if not isinstance(t, Tensor):
                raise TypeError(f"save_for_backward can only save variables, but argument {k} "
                                f"is of type {type(t).__name__}")
            saved.append((t, t._vc.value))
    return saved


def _connect(ctx, args, needs, outputs):
    """Make ``ctx`` a graph node: edges to inputs, saved tensors, outputs' grad_fn."""
    ctx._next = _edges(args, needs)
    if ctx._dyn_name:
        _node_names.retype(ctx)
    _seq[0] += 1
    ctx._seq = _seq[0]
    ctx._hooks = None
    to_save = ctx._to_save
    saved = []
    if to_save:
        saved = _saved_entries(to_save, outputs)
        del ctx._to_save
    ctx._saved = saved
    non_diff = ctx._non_diff
    if len(outputs) == 1:
        ctx._out_meta = None
        o = outputs[0]
        if o.__class__ is _tensor.Tensor and not non_diff and \
                _FROM_NP[o._data.dtype].category >= 2:
            o.grad_fn, o._out_idx, o._rg = ctx, 0, True
            if saved:
                for entry in saved:
                    if entry.__class__ is _SavedOutput:
                        entry.vc = o._vc
            if ctx._dirty:
                for t in ctx._dirty:
                    t._vc.value += 1
            return
    Tensor = _tensor.Tensor
    if len(outputs) > 1:
        ctx._out_meta = tuple((o._data.shape, o.dtype, o.device) if isinstance(o, Tensor)
                              else None for o in outputs)
    for i, o in enumerate(outputs):
        if isinstance(o, Tensor) and (not non_diff or id(o) not in non_diff) and \
                o.dtype.category >= 2:
            o.grad_fn, o._out_idx, o._rg = ctx, i, True
            if saved:
                for entry in saved:
                    if entry.__class__ is _SavedOutput and entry.idx == i:
                        entry.vc = o._vc
    dirty = ctx._dirty
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

    __slots__ = ("_variable", "_seq", "_next", "_hooks", "__weakref__")
    _builtin = True
    _out_meta = None

    def __init__(self, t):
        self._variable = weakref.ref(t)
        self._next = ()
        _seq[0] += 1
        self._seq = _seq[0]
        self._hooks = None

    @property
    def variable(self):
        return self._variable()

    def name(self):
        return "torch::autograd::AccumulateGrad"

    @property
    def next_functions(self):
        return ()

    @property
    def metadata(self):
        return self._own_hooks().metadata

    def register_hook(self, fn):
        return _hooks.add_hook(self._own_hooks().post, fn)

    def register_prehook(self, fn):
        return _hooks.add_hook(self._own_hooks().pre, fn)

    def _own_hooks(self):
        """The node's hooks. A node that gets hooks (or metadata) is held by its leaf weakly
        from then on, as PyTorch holds every accumulator: it lives while a graph or the user
        holds it, and the leaf's next graph without it gets a fresh node with no hooks."""
        t = self.variable
        if t is not None and t._accum is self:
            t._accum = weakref.ref(self)
        return _hooks.node_hooks(self)

    def _release(self):
        pass

    def __repr__(self):
        return f"<AccumulateGrad object at {hex(id(self))}>"


def accumulator_for(t):
    """The AccumulateGrad node of leaf ``t``, made once and kept by the leaf (it refers back
    to the leaf weakly, so there is no cycle; the graph's edges keep the leaf alive). A node
    with hooks is kept weakly (``_own_hooks``): a new one is made once it is gone."""
    node = t._accum
    if node.__class__ is weakref.ref:
        node = node()
    if node is None:
        node = t._accum = AccumulateGrad(t)
    return node


def accumulate_grad(t, g, create_graph):
    """``t.grad += g`` (AccumulateGrad's job; also retain_grad's and backward(inputs=)'s)."""
    if create_graph:
        t.grad = g if t.grad is None else t.grad + g
        return
    if g._rg:
        g = g.detach()
    if t.grad is None:
        # A fresh copy: the same gradient tensor may flow to several leaves (AddBackward).
        t.grad = _tensor.Tensor._wrap(g._data.copy())
    else:
        t.grad._data += g._data
        t.grad._vc.value += 1
