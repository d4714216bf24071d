"""``ember.onnx.export``: trace a model's forward through the op definitions and write the ONNX
model that each op's ``onnx`` mapping builds.

The forward runs twice: once on the given inputs, once on inputs whose dynamic axes are longer
and whose values are shifted. Pairing the two runs value by value tells which dims follow a
dynamic axis (so reshapes and created tensors read them at run time) and which constants depend
on the input's values (computed outside the traced ops, e.g. by ``argmax`` through NumPy): those
cannot be exported, and saying so beats baking in a wrong constant.
"""
import io
import os
import warnings

import numpy as np

from .. import _tensor
from .errors import OnnxExporterError, UnsupportedOperatorError
from .graph import Graph, V
from .trace import Tracer

__all__ = ["export"]


def _import_onnx():
    try:
        import onnx
    except ImportError:
        raise ImportError("ember.onnx.export needs the `onnx` package: pip install onnx "
                          "(or ember[onnx])") from None
    return onnx


def export(model, args, f, input_names=None, output_names=None, dynamic_axes=None,
           opset_version=17, do_constant_folding=True, export_params=True, verbose=False,
           training=None, keep_initializers_as_inputs=False, **unused):
    """Export ``model`` (an ``nn.Module`` or a callable) run on ``args`` as an ONNX model to
    ``f`` (a path or a binary file object), as ``torch.onnx.export`` does.

    ``args``: a Tensor, or a tuple of positional arguments (a trailing dict gives keyword
    arguments). ``dynamic_axes``: {input or output name: {axis: symbol name} or [axes]}.
    ``do_constant_folding``: ops on parameters and constants alone are computed now.
    ``export_params=False`` makes parameters and buffers graph inputs instead of initializers.
    """
    onnx = _import_onnx()
    opset = 17 if opset_version is None else int(opset_version)
    if opset < 13:
        raise ValueError(f"ember.onnx.export supports opset_version 13 and newer, got {opset}")
    if opset > onnx.defs.onnx_opset_version():
        raise ValueError(f"opset_version {opset} is newer than the installed onnx package "
                         f"supports ({onnx.defs.onnx_opset_version()})")
    args, kwargs = _split_args(args)
    inputs = [a for a in args if isinstance(a, _tensor.Tensor)]
    in_names = _names(input_names, len(inputs), "input")
    modules = hasattr(model, "named_parameters")
    was = _training_flags(model) if modules else None
    try:
        if modules and training is not True:
            model.eval()
        run1 = _trace(model, args, kwargs, in_names, None, {})
        out_names = _names(output_names, len(run1[2]), "output")
        axes = _dynamic(dynamic_axes, in_names, out_names, inputs)
        run2 = _trace(model, args, kwargs, in_names, axes, _increments(axes))
    finally:
        if was is not None:
            _restore_training(model, was)
    paired = _pair(run1[0], run2[0])
    if not paired:
        if any(axes.get(n) for n in in_names):
            raise OnnxExporterError("ember.onnx: the model ran different ops when the dynamic "
                                    "axes changed size; export it with static shapes")
        warnings.warn("ember.onnx: the model's ops depend on its input values; the exported "
                      "graph follows the given inputs", stacklevel=2)
    em = _Emitter(Graph(opset), export_params, do_constant_folding, paired)
    model_proto = em.build(run1, in_names, out_names, axes, opset)
    onnx.checker.check_model(model_proto)
    if verbose:
        print(onnx.helper.printable_graph(model_proto.graph))
    data = model_proto.SerializeToString()
    if isinstance(f, (str, os.PathLike)):
        with open(f, "wb") as fh:
            fh.write(data)
    elif isinstance(f, io.IOBase) or hasattr(f, "write"):
        f.write(data)
    else:
        raise TypeError(f"ember.onnx.export: f must be a path or a file object, not "
                        f"{type(f).__name__}")
    return None


# -- arguments, names, axes ------------------------------------------------------------------

def _split_args(args):
    if isinstance(args, _tensor.Tensor):
        return (args,), {}
    if not isinstance(args, (tuple, list)):
        raise TypeError(f"ember.onnx.export: args must be a Tensor or a tuple, not "
                        f"{type(args).__name__}")
    args = tuple(args)
    if args and isinstance(args[-1], dict):
        return args[:-1], dict(args[-1])
    return args, {}


def _names(given, n, stem):
    names = list(given or [])
    if len(names) > n:
        raise ValueError(f"ember.onnx.export: {len(names)} {stem} names given for {n} {stem}s")
    for i in range(len(names), n):
        names.append(stem if n == 1 else f"{stem}_{i}")
    return names


def _dynamic(dynamic_axes, in_names, out_names, inputs):
    """{name: {axis: symbol}} with axes made non-negative."""
    out = {}
    ranks = {n: t.dim() for n, t in zip(in_names, inputs)}
    for name, spec in (dynamic_axes or {}).items():
        if name not in ranks and name not in out_names:
            raise ValueError(f"ember.onnx.export: dynamic_axes names '{name}', which is neither an "
                             f"input ({in_names}) nor an output ({out_names})")
        if not isinstance(spec, dict):
            spec = {int(a): f"{name}_dynamic_axes_{i + 1}" for i, a in enumerate(spec)}
        axes = {}
        for a, sym in spec.items():
            a = int(a)
            if name in ranks:
                if not -ranks[name] <= a < ranks[name]:
                    raise ValueError(f"ember.onnx.export: dynamic axis {a} of input '{name}' is "
                                     f"out of range for its {ranks[name]} dims")
                a %= ranks[name]
            axes[a] = str(sym)
        out[name] = axes
    return out


def _increments(axes):
    """How much longer each dynamic symbol is in the second run: distinct per symbol."""
    syms = sorted({s for spec in axes.values() for s in spec.values()})
    return {s: i + 1 for i, s in enumerate(syms)}


def _training_flags(model):
    return [(m, m.training) for m in model.modules()]


def _restore_training(model, flags):
    for m, t in flags:
        m.training = t


# -- tracing ---------------------------------------------------------------------------------

def _perturbed(x, axes, inc):
    """``x`` grown along its dynamic axes (repeating its entries), float values shifted."""
    for a, sym in sorted(axes.items()):
        n = x.shape[a]
        if n == 0:
            raise OnnxExporterError("ember.onnx: a dynamic axis of an example input has size 0")
        x = np.take(x, np.arange(n + inc[sym]) % n, axis=a)
    if x.size > 1 and x.dtype.kind in "fc":    # (ints and bools may steer control flow)
        x = np.roll(x.reshape(-1), 1).reshape(x.shape)
    return np.ascontiguousarray(x)


def _trace(model, args, kwargs, in_names, axes, inc):
    """Run ``model`` under a tracer; returns (tracer, input Values, output Values)."""
    Tensor = _tensor.Tensor
    tracer = Tracer()
    if hasattr(model, "named_parameters"):
        for name, p in model.named_parameters():
            tracer.add_param(p, name)
        for name, b in model.named_buffers():
            if b is not None:
                tracer.add_param(b, name)
    call, in_vals, k = [], [], 0
    for a in args:
        if isinstance(a, Tensor):
            data = a._data.copy() if axes is None else _perturbed(a._data, axes.get(in_names[k], {}),
                                                                  inc)
            t = Tensor._wrap(data)
            in_vals.append(tracer.add_input(t, in_names[k]))
            k += 1
            call.append(t)
        else:
            call.append(a)
    with tracer:
        out = model(*call, **kwargs)
    outs = _flatten(out)
    if not outs:
        raise OnnxExporterError("ember.onnx: the model returned no tensors")
    return tracer, in_vals, [tracer.lookup(t) for t in outs]


def _flatten(out):
    Tensor = _tensor.Tensor
    if isinstance(out, Tensor):
        return [out]
    if isinstance(out, dict):
        out = list(out.values())
    if isinstance(out, (tuple, list)):
        return [t for o in out for t in _flatten(o)]
    return []


def _pair(t1, t2):
    """Match the two runs' values one to one; False if they ran different ops."""
    if len(t1.values) != len(t2.values) or len(t1.nodes) != len(t2.nodes):
        return False
    if any(a.cls is not b.cls for a, b in zip(t1.nodes, t2.nodes)):
        return False
    for a, b in zip(t1.values, t2.values):
        if a.kind != b.kind or a.data.ndim != b.data.ndim:
            return False
    for a, b in zip(t1.values, t2.values):
        a.shape2 = b.data.shape
        a.dyn = tuple(x != y for x, y in zip(a.shape, b.data.shape))
        a.varies = b
    return True


def _varies(v):
    """Whether constant-like ``v`` held other values in the second run."""
    b = v.varies
    if b is False or b is True:
        return b
    x, y = v.data, b.data
    res = x.shape == y.shape and not np.array_equal(x, y, equal_nan=x.dtype.kind in "fc")
    v.varies = res
    return res


def _values_in(obj, acc):
    from .trace import Value
    if isinstance(obj, Value):
        acc.append(obj)
    elif isinstance(obj, (tuple, list)):
        for x in obj:
            _values_in(x, acc)
    elif isinstance(obj, dict):
        for x in obj.values():
            _values_in(x, acc)
    return acc


# -- building the graph -----------------------------------------------------------------------

class _Missing:
    """An op output its mapping could not give (e.g. max pool's indices)."""

    def __init__(self, what):
        self.what = what


class _Emitter:
    def __init__(self, g, export_params, fold_params, paired):
        self.g, self.export_params, self.fold_params, self.paired = g, export_params, \
            fold_params, paired
        self.env = {}
        self.param_inputs = []

    # -- Values -> V -------------------------------------------------------------------------
    def meta(self, v):
        return V("", v.shape, v.dtype, v.dyn, v.shape2)

    def get(self, v):
        r = self.env.get(id(v))
        if r is not None:
            if isinstance(r, _Missing):
                raise UnsupportedOperatorError(f"ember.onnx: {r.what}")
            return r
        g = self.g
        if v.kind == "param":
            r = V(v.name, v.shape, v.dtype)
            if self.export_params:
                g.add_initializer(v.name, v.data)
            else:
                self.param_inputs.append(r)
        elif v.kind == "const":
            if self.paired and _varies(v):
                raise OnnxExporterError(
                    f"ember.onnx: a tensor of shape {list(v.shape)} used by the model depends on "
                    "the input's values but was computed outside the ops ember traces (e.g. with "
                    "NumPy, .item(), argmax/argmin, or at random); it cannot be exported")
            if any(v.dyn):
                r = self._dynamic_const(v)
            else:
                c = g.const(v.data)
                r = V(c, v.shape, v.dtype, const=v.data)
        else:
            raise OnnxExporterError("ember.onnx: internal error: a value used before its op")
        self.env[id(v)] = r
        return r

    def _dynamic_const(self, v):
        x = v.data
        g = self.g
        if x.size and np.all(x == x.reshape(-1)[0]):
            val = g.numpy_helper.from_array(x.reshape(-1)[:1].copy())
            out = g.op("ConstantOfShape", g.shape_of(v, infer=False), value=val)
            return V(out, v.shape, v.dtype, v.dyn, v.shape2)
        raise OnnxExporterError(
            f"ember.onnx: a tensor of shape {list(v.shape)} created in forward has a size that "
            "follows a dynamic axis and is not filled with one value; it cannot be exported")

    def subst(self, obj):
        from .trace import Value
        if isinstance(obj, Value):
            return self.get(obj)
        cls = obj.__class__
        if cls is tuple or cls is list:
            return cls(self.subst(x) for x in obj)
        if cls is dict:
            return {k: self.subst(x) for k, x in obj.items()}
        return obj

    def _static(self, v):
        if any(v.dyn):
            return False
        if v.kind == "const":
            return not (self.paired and _varies(v))
        if v.kind == "param":
            return self.fold_params and self.export_params
        if v.kind == "node":
            return id(v) in self.folded
        return False

    # -- nodes --------------------------------------------------------------------------------------
    def build(self, run, in_names, out_names, axes, opset):
        tracer, in_vals, out_vals = run
        g = self.g
        onnx_helper = g.helper
        for n in list(in_names) + list(out_names):
            g.reserve(n)
        for v in tracer.values:
            if v.kind == "param":
                g.reserve(v.name)
        graph_inputs = []
        for v, name in zip(in_vals, in_names):
            r = V(name, v.shape, v.dtype, v.dyn, v.shape2)
            self.env[id(v)] = r
            for i, d in enumerate(v.dyn):
                if d:
                    g.add_symbol(v.shape[i], v.shape2[i], r, i)
            syms = dict(axes.get(name, {}))
            graph_inputs.append(onnx_helper.make_tensor_value_info(
                name, g.onnx_type(v.dtype),
                [syms.get(i, f"{name}_dim_{i}") if d else s
                 for i, (s, d) in enumerate(zip(v.shape, v.dyn))]))
        self.folded = set()
        needed = self._needed(out_vals)
        for node in tracer.nodes:
            if id(node) in needed:
                self.emit(node)
        graph_outputs = []
        sym_names = {}
        for v, name in zip(in_vals, in_names):
            for i, d in enumerate(v.dyn):
                if d:
                    sym_names.setdefault((v.shape[i], v.shape2[i]),
                                         axes.get(name, {}).get(i, f"{name}_dim_{i}"))
        for v, name in zip(out_vals, out_names):
            r = self.get(v)
            g.nodes.append(onnx_helper.make_node("Identity", [r], [name], name=g.fresh("output")))
            given = axes.get(name, {})
            dims = []
            for i, (s, d) in enumerate(zip(v.shape, v.dyn)):
                if i in given:
                    dims.append(given[i])
                elif d:
                    dims.append(sym_names.get((s, v.shape2[i]), f"{name}_dim_{i}"))
                else:
                    dims.append(s)
            graph_outputs.append(onnx_helper.make_tensor_value_info(name, g.onnx_type(v.dtype), dims))
        for r in self.param_inputs:
            graph_inputs.append(onnx_helper.make_tensor_value_info(r, g.onnx_type(r.dtype),
                                                                   list(r.shape)))
        used = {i for n in g.nodes for i in n.input}
        inits = [t for t in g.initializers if t.name in used]
        graph = onnx_helper.make_graph(g.nodes, "ember", graph_inputs, graph_outputs,
                                       initializer=inits)
        opsets = [onnx_helper.make_opsetid("", opset)]
        model = onnx_helper.make_model(graph, opset_imports=opsets, producer_name="ember")
        model.ir_version = onnx_helper.find_min_ir_version_for(opsets)
        return model

    def _needed(self, out_vals):
        needed, stack = set(), list(out_vals)
        while stack:
            v = stack.pop()
            node = v.node
            if v.kind != "node" or id(node) in needed:
                continue
            needed.add(id(node))
            _values_in(node.args, stack)
            _values_in(node.kwargs, stack)
        return needed

    def emit(self, node):
        g = self.g
        cls, ctx = node.cls, node.ctx
        try:
            label = ctx.name()
        except Exception:
            label = cls.__name__
        g.op_name = f"{label} (op {cls.__name__})"
        ins = _values_in((node.args, node.kwargs), [])
        outs = [v for v in node.values if v is not None]
        if all(self._static(v) for v in ins) and not any(any(v.dyn) for v in outs) and \
                not (self.paired and any(_varies(v) for v in outs)):
            # constant folding: the trace already computed the result
            for v in outs:
                c = g.const(v.data)
                self.env[id(v)] = V(c, v.shape, v.dtype, const=v.data)
                self.folded.add(id(v))
            return
        special = _SPECIAL.get(cls.__name__) if cls.__module__.endswith("ops.strided") else None
        fn = special or getattr(cls, "onnx", None)
        if fn is None:
            raise UnsupportedOperatorError(f"ember.onnx: no ONNX mapping for {label} / op "
                                           f"{cls.__name__}")
        g.out = tuple(None if v is None else self.meta(v) for v in node.values)
        if special:
            res = special(self, node)
        else:
            res = fn(g, ctx, *self.subst(node.args), **self.subst(node.kwargs))
        if not isinstance(res, tuple):
            res = (res,)
        for i, v in enumerate(node.values):
            if v is None:
                continue
            r = res[i] if i < len(res) else None
            if r is None:
                self.env[id(v)] = _Missing(f"{g.op_name}: output {i} has no ONNX form")
                continue
            if r.dtype is not None and r.dtype != v.dtype:
                r = g.cast(r, v.dtype)
            self.env[id(v)] = V(r, v.shape, v.dtype, v.dyn, v.shape2)


# -- autograd plumbing for in-place changes through views (ember.ops.strided) -------------------

def _region_index(shape, geom):
    """Flat indices into a contiguous ``shape`` of the view ``geom`` (shape, strides, offset)."""
    vshape, strides, offset = geom
    idx = np.full(vshape, offset, np.int64)
    for d, (n, s) in enumerate(zip(vshape, strides)):
        idx = idx + (np.arange(n, dtype=np.int64) * s).reshape((1,) * d + (n,) +
                                                                 (1,) * (len(vshape) - d - 1))
    return idx


def _view_scatter(em, node):
    """base with region(geom) = src: a flat ScatterElements (static shapes)."""
    g = em.g
    base_v, src_v = node.args[0], node.args[1]
    geom = node.args[2]
    base, src = em.get(base_v), em.get(src_v)
    shape = base_v.shape
    idx = _region_index(shape, geom)
    n = int(np.prod(shape))
    if idx.size == n and np.array_equal(idx.reshape(-1), np.arange(n)):
        return g.op("Reshape", src, g.op("Shape", base))    # the view was all of the base
    g.require_static(em.meta(base_v), em.meta(src_v))
    flat = g.op("Reshape", base, g.ints([-1]))
    upd = g.op("Reshape", src, g.ints([-1]))
    out = g.op("ScatterElements", flat, g.const(idx.reshape(-1)), upd, axis=0)
    return g.op("Reshape", out, g.ints(shape))


def _as_strided(em, node):
    """The view of a fresh ViewScatter at the same region is the scattered source itself."""
    g = em.g
    a_v, geom = node.args[0], node.args[1]
    prod = a_v.node if a_v.kind == "node" else None
    if prod is not None and prod.cls.__name__ == "ViewScatter" and prod.args[2] == geom:
        return em.get(prod.args[1])
    g.require_static(em.meta(a_v))
    a = em.get(a_v)
    idx = _region_index(a_v.shape, geom)
    return g.op("Gather", g.op("Reshape", a, g.ints([-1])), g.const(idx), axis=0)


_SPECIAL = {"ViewScatter": _view_scatter, "AsStrided": _as_strided}
