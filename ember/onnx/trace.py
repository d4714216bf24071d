"""Tracing: run a model's forward with every ``Function.apply`` going through a tracer that runs
the op's real forward (so values flow) and records a node: the Function class, its ctx as forward
left it, its arguments (tensors replaced by the traced ``Value`` they hold) and its outputs.

A tensor is known by the graph position autograd would give it: the tracer makes itself each
output's ``grad_fn`` (and marks float outputs as requiring grad, so in-place ops on them go
through ``Tensor._inplace`` and are traced too, as under autograd). Tensors made without an op
(``detach()``, ``.data``) are found by their array; anything else is a constant of the export.
"""
import numpy as np

from .. import _tensor
from ..autograd import function as _fn
from ..autograd.grad_mode import STATE
from .errors import OnnxExporterError

__all__ = ["Value", "TraceNode", "Tracer"]


class Value:
    """A tensor of the traced program: a graph input, a parameter or buffer, a constant, or
    output ``index`` of traced ``node``."""

    __slots__ = ("kind", "data", "name", "node", "index", "vc", "version", "shape2", "dyn",
                 "varies", "param")

    def __init__(self, kind, data, name=None, node=None, index=0, vc=None, param=None):
        self.kind, self.data, self.name, self.node, self.index = kind, data, name, node, index
        self.vc = vc
        self.version = vc.value if vc is not None else 0
        self.shape2 = data.shape
        self.dyn = (False,) * data.ndim
        self.varies = False
        self.param = param

    @property
    def shape(self):
        return self.data.shape

    @property
    def dtype(self):
        return self.data.dtype


class TraceNode:
    """One traced op call; also the ``grad_fn`` of its output tensors while tracing."""

    _builtin = True
    _saved = ()      # the node state a Tensor may look at (see autograd.function)
    _hooks = None

    def __init__(self, tracer, cls, ctx, args, kwargs):
        self.tracer, self.cls, self.ctx, self.args, self.kwargs = tracer, cls, ctx, args, kwargs
        self.values = ()

    def name(self):
        return f"{self.cls.__name__}Trace"

    @property
    def next_functions(self):
        return ()


def _is_array(o):
    return o is not None and hasattr(o, "shape") and hasattr(o, "dtype")


class Tracer:
    """Records the ops of one forward run (see the module's doc)."""

    def __init__(self):
        self.values = []      # every Value, in creation order (two traces pair up by it)
        self.nodes = []
        self._by_id = {}      # id(tensor) -> Value: graph inputs, parameters, buffers
        self._by_arr = {}     # id(array) -> (Value, version counter, version)
        self._cands = {}      # id(array) -> output Value of the last op that took it first
        self._keep = []       # tensors whose ids we key on stay alive

    # -- values -------------------------------------------------------------------------------
    def _add(self, v, t=None):
        self.values.append(v)
        if t is not None:
            self._by_arr[id(t._data)] = (v, t._vc, t._vc.value)
        return v

    def add_input(self, t, name):
        v = self._add(Value("input", t._data, name=name, vc=t._vc), t)
        node = TraceNode(self, None, None, (), {})
        node.values = (v,)
        v.node = None
        t.grad_fn, t._out_idx, t._rg = node, 0, t.dtype.category >= 2
        self._keep.append(t)
        self._by_id[id(t)] = v
        return v

    def add_param(self, t, name):
        v = self._add(Value("param", t._data, name=name, vc=t._vc, param=t), t)
        self._keep.append(t)
        self._by_id[id(t)] = v
        return v

    def lookup(self, t):
        gf = t.grad_fn
        if gf.__class__ is TraceNode and gf.tracer is self:
            v = gf.values[t._out_idx]
            if v is not None:
                if t._vc is v.vc and t._vc.value != v.version:
                    return self._stale(t, v)
                return v
        v = self._by_id.get(id(t))
        if v is not None:
            return v
        hit = self._by_arr.get(id(t._data))
        if hit is not None:
            v, vc, version = hit
            if vc.value == version:
                return v
            return self._stale(t, v)
        return self._const(t)

    def _const(self, t):
        self._keep.append(t)
        return self._add(Value("const", t._data, vc=t._vc), t)

    def _stale(self, t, v):
        """``t`` changed in place since it was recorded. Through ``Tensor._inplace`` without a
        graph the op ran on ``t`` itself and its result was copied in: take that result."""
        cand = self._cands.get(id(t._data))
        x = t._data
        if cand is not None and cand.data.shape == x.shape and cand.data.dtype == x.dtype and \
                np.array_equal(cand.data, x, equal_nan=x.dtype.kind in "fc"):
            self._by_arr[id(x)] = (cand, t._vc, t._vc.value)
            return cand
        if v.kind == "const":
            return self._const(t)
        raise OnnxExporterError(
            f"ember.onnx: a traced tensor of shape {list(x.shape)} was changed in place outside "
            "the ops ember records (for example through `.data`, or `x += y` inside "
            "`torch.no_grad()` in forward); write that step out of place")

    def _struct(self, a):
        Tensor = _tensor.Tensor
        if isinstance(a, Tensor):
            return self.lookup(a)
        cls = a.__class__
        if cls is tuple or cls is list:
            if any(isinstance(x, (Tensor, tuple, list)) for x in a):
                return cls(self._struct(x) for x in a)
        return a

    # -- the hook ---------------------------------------------------------------------------------
    def apply(self, cls, args, kwargs):
        Tensor = _tensor.Tensor
        sargs = tuple(self._struct(a) for a in args)
        skw = {k: self._struct(v) for k, v in kwargs.items()}
        ctx = cls.__new__(cls)
        prev = STATE.enabled
        _fn._TRACE[0] = None
        STATE.enabled = False
        try:
            out = cls.forward(ctx, *args, **kwargs)
        finally:
            STATE.enabled = prev
            _fn._TRACE[0] = self
        single = not isinstance(out, tuple)
        outs = (out,) if single else out
        node = TraceNode(self, cls, ctx, sargs, skw)
        wrapped, values = [], []
        for i, o in enumerate(outs):
            if o.__class__ is np.ndarray:
                o = Tensor._wrap(o)
            elif isinstance(o, Tensor):
                if any(o is a for a in args):
                    o = o._alias()
            elif _is_array(o):
                o = Tensor._wrap(o)
            if isinstance(o, Tensor):
                v = self._add(Value("node", o._data, node=node, index=i, vc=o._vc), o)
                o.grad_fn, o._out_idx = node, i
                o._rg = o.dtype.category >= 2
                values.append(v)
            else:
                values.append(None)
            wrapped.append(o)
        node.values = tuple(values)
        self.nodes.append(node)
        if args and isinstance(args[0], Tensor) and values and values[0] is not None:
            self._cands[id(args[0]._data)] = values[0]
        return wrapped[0] if single else tuple(wrapped)

    def __enter__(self):
        if _fn._TRACE[0] is not None:
            raise OnnxExporterError("ember.onnx: an export is already tracing")
        self._grad = STATE.enabled
        STATE.enabled = True
        _fn._TRACE[0] = self
        return self

    def __exit__(self, *exc):
        _fn._TRACE[0] = None
        STATE.enabled = self._grad
