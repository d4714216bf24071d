"""The graph builder handed to each op's ONNX mapping.

An op maps itself with a static method next to its forward and backward::

    @staticmethod
    def onnx(graph, ctx, a, b):      # the forward's arguments; tensors come as ``V``s
        return graph.op("Add", a, b)  # one V per output (a tuple for several; None: unmappable)

``ctx`` is the op's own ctx as its forward left it (shapes, dims, flags). A tensor argument
arrives as a ``V``: the name of an ONNX value that is also a ``str`` and carries the traced
tensor's ``shape``, ``dtype`` (NumPy), ``dyn`` (per dim, whether it follows a dynamic axis) and
``const`` (its array when it is a constant of the export, else None). ``graph.out`` holds the same
description of the op's traced outputs, so a mapping knows the result's dtype and shape.
"""
import numpy as np

from .errors import OnnxExporterError, UnsupportedOperatorError

__all__ = ["V", "Graph"]

INT64_MAX = np.iinfo(np.int64).max

# ops whose output dtype is not their first input's (for the dtype a V built by g.op carries)
_BOOL_OUT = frozenset(("Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual", "Not", "And",
                       "Or", "Xor", "IsNaN", "IsInf"))
_INT_OUT = frozenset(("Shape", "Size", "ArgMax", "ArgMin", "NonZero"))


class V(str):
    """An ONNX value: its name, plus what is known of the tensor behind it."""

    def __new__(cls, name, shape=None, dtype=None, dyn=None, shape2=None, const=None):
        v = str.__new__(cls, name)
        v.shape = None if shape is None else tuple(shape)
        v.dtype = None if dtype is None else np.dtype(dtype)
        v.dyn = tuple(dyn) if dyn is not None else (None if shape is None else (False,) * len(v.shape))
        v.shape2 = tuple(shape2) if shape2 is not None else v.shape
        v.const = const
        return v

    @property
    def ndim(self):
        return None if self.shape is None else len(self.shape)


def _onnx():
    import onnx
    return onnx


class Graph:
    """Collects nodes and initializers; knows the opset and how to read dynamic dims."""

    def __init__(self, opset):
        onnx = _onnx()
        self.helper, self.numpy_helper, self.TensorProto = onnx.helper, onnx.numpy_helper, \
            onnx.TensorProto
        self.opset = opset
        self.nodes, self.initializers = [], []
        self.out = ()            # the traced outputs of the op being mapped (V-like)
        self.op_name = ""        # its name, for error messages
        self._taken = set()
        self._k = 0
        self._consts = {}
        self._symbols = {}       # (traced size, size in the second trace) -> (input V, axis)
        self._dims = {}

    # -- names -----------------------------------------------------------------------------
    def reserve(self, name):
        self._taken.add(name)

    def fresh(self, hint):
        while True:
            self._k += 1
            name = f"{hint}_{self._k}"
            if name not in self._taken:
                self._taken.add(name)
                return name

    # -- nodes and constants -----------------------------------------------------------------
    def op(self, op_type, *inputs, outputs=1, **attrs):
        """Add a node; returns its output V (a tuple of V when ``outputs`` > 1). Inputs are V
        (or str) names, None for an omitted optional input, NumPy arrays (made constants) or
        lists of ints (int64 constants)."""
        names = [self._in(x) for x in inputs]
        dt = self._out_dtype(op_type, inputs, attrs)
        outs = tuple(V(self.fresh(op_type), dtype=dt) for _ in range(outputs))
        attrs = {k: v for k, v in attrs.items() if v is not None}
        self.nodes.append(self.helper.make_node(op_type, names, list(outs),
                                                name=self.fresh(op_type + "_node"), **attrs))
        return outs[0] if outputs == 1 else outs

    def _in(self, x):
        if x is None:
            return ""
        if isinstance(x, str):
            return x
        if isinstance(x, np.ndarray):
            return self.const(x)
        if isinstance(x, (list, tuple)):
            return self.ints(x)
        raise TypeError(f"ember.onnx: a graph input must be a value name, an array or a list of "
                        f"ints, not {type(x).__name__}")

    def _out_dtype(self, op_type, inputs, attrs):
        if op_type in _BOOL_OUT:
            return np.bool_
        if op_type in _INT_OUT:
            return np.int64
        if op_type == "Cast":
            return self.helper.tensor_dtype_to_np_dtype(attrs["to"])
        if op_type == "ConstantOfShape":
            v = attrs.get("value")
            return np.float32 if v is None else self.helper.tensor_dtype_to_np_dtype(v.data_type)
        if op_type == "Where":
            inputs = inputs[1:]
        for x in inputs:
            d = getattr(x, "dtype", None)
            if d is not None and (isinstance(x, str) or isinstance(x, np.ndarray)):
                return d
        return None

    def const(self, value, dtype=None):
        """A constant (an initializer) holding ``value``; equal small constants are shared."""
        arr = np.asarray(value, dtype=dtype)
        if not arr.flags.c_contiguous:
            arr = np.ascontiguousarray(arr)
        key = None
        if arr.size <= 64:
            key = (arr.dtype.str, arr.shape, arr.tobytes())
            hit = self._consts.get(key)
            if hit is not None:
                return hit
        v = V(self.fresh("const"), arr.shape, arr.dtype, const=arr)
        self.initializers.append(self.numpy_helper.from_array(arr, v))
        if key is not None:
            self._consts[key] = v
        return v

    def add_initializer(self, name, arr):
        self.initializers.append(self.numpy_helper.from_array(np.ascontiguousarray(arr), name))

    def ints(self, values):
        return self.const(np.asarray(list(values), np.int64).reshape(-1))

    def scalar(self, value, dtype):
        """A 0-d constant of ``dtype`` (a NumPy dtype, or a V whose dtype to take)."""
        dtype = getattr(dtype, "dtype", dtype) if isinstance(dtype, str) else dtype
        return self.const(np.asarray(value, dtype=np.dtype(dtype)))

    def onnx_type(self, dtype):
        return self.helper.np_dtype_to_tensor_dtype(np.dtype(dtype))

    def cast(self, x, dtype):
        dtype = np.dtype(dtype)
        if getattr(x, "dtype", None) == dtype:
            return x
        return self.op("Cast", x, to=self.onnx_type(dtype))

    def operand(self, x, dtype):
        """A V or a Python number as a value of ``dtype``."""
        if isinstance(x, str):
            return self.cast(x, dtype)
        return self.scalar(x, dtype)

    # -- opset-dependent forms ------------------------------------------------------------------
    def reduce(self, op_type, x, axes, keepdims):
        """ReduceSum/Mean/Max/… over ``axes`` (None: all). Axes are an input from opset 18 (13
        for ReduceSum), an attribute before."""
        keep = int(bool(keepdims))
        if axes is not None:
            axes = [int(a) for a in axes]
            if not axes:      # nothing to reduce: ONNX would reduce everything
                return self.op("Identity", x)
        as_input = self.opset >= 18 or (op_type == "ReduceSum" and self.opset >= 13)
        if as_input:
            return self.op(op_type, x, None if axes is None else self.ints(axes), keepdims=keep)
        return self.op(op_type, x, axes=axes, keepdims=keep)

    def squeeze(self, x, axes):
        return self.op("Squeeze", x, self.ints(axes))

    def unsqueeze(self, x, axes):
        return self.op("Unsqueeze", x, self.ints(axes))

    def split(self, x, sizes, axis):
        sizes = [int(s) for s in sizes]
        if len(sizes) == 1:
            return (self.op("Identity", x),)
        return self.op("Split", x, self.ints(sizes), axis=axis, outputs=len(sizes))

    def slice(self, x, starts, ends, axes, steps=None):
        if not axes:
            return x
        args = [x, self.ints(starts), self.ints(ends), self.ints(axes)]
        if steps is not None and any(s != 1 for s in steps):
            args.append(self.ints(steps))
        return self.op("Slice", *args)

    # -- dynamic shapes ------------------------------------------------------------------------
    def add_symbol(self, size, size2, source, axis):
        self._symbols.setdefault((size, size2), (source, axis))

    def dim(self, size, size2):
        """An int64 [1] value holding, at run time, the dim that was ``size`` in the traced run
        and ``size2`` in the second one (read from the graph input it follows); None if none."""
        if size == size2:
            return self.ints([size])
        hit = self._dims.get((size, size2))
        if hit is not None:
            return hit
        src = self._symbols.get((size, size2))
        if src is None:
            return None
        v, axis = src
        d = self.op("Gather", self.op("Shape", v), self.ints([axis]), axis=0)
        self._dims[(size, size2)] = d
        return d

    def shape_of(self, meta, infer=True, ones=()):
        """An int64 1-D value with the shape of traced tensor ``meta`` (a V or output
        description), its dynamic dims read at run time. ``infer``: one dim no input explains
        may be -1 (for Reshape). Dims in ``ones`` are 1 (for Expand: kept from the input)."""
        shape, dyn, shape2 = meta.shape, meta.dyn or (False,) * len(meta.shape), meta.shape2
        fixed = [1 if i in ones else s for i, s in enumerate(shape)]
        moving = [i for i, d in enumerate(dyn) if d and i not in ones]
        if not moving:
            return self.ints(fixed)
        if infer and len(moving) == 1:
            fixed[moving[0]] = -1
            return self.ints(fixed)
        parts, run, inferred = [], [], False
        for i, s in enumerate(fixed):
            if i not in moving:
                run.append(s)
                continue
            d = self.dim(shape[i], shape2[i])
            if d is None:
                if not infer or inferred:
                    raise OnnxExporterError(
                        f"ember.onnx: {self.op_name}: dim {i} of a tensor of shape {list(shape)} "
                        "changes with the dynamic axes but follows no input dim; export with "
                        "static shapes or compute it from the input's shape")
                d, inferred = self.ints([-1]), True
            if run:
                parts.append(self.ints(run))
                run = []
            parts.append(d)
        if run:
            parts.append(self.ints(run))
        return parts[0] if len(parts) == 1 else self.op("Concat", *parts, axis=0)

    def reshape(self, x, meta):
        """``x`` reshaped to the shape of traced tensor ``meta``."""
        return self.op("Reshape", x, self.shape_of(meta))

    # -- errors ------------------------------------------------------------------------------------
    def unsupported(self, why):
        return UnsupportedOperatorError(f"ember.onnx: {self.op_name}: {why}")

    def require_static(self, *metas):
        for m in metas:
            if m is not None and m.dyn and any(m.dyn):
                raise self.unsupported("this op's ONNX form needs static shapes, but a tensor "
                                       f"of shape {list(m.shape)} changes with the dynamic axes")
