"""Tensor: an array (NumPy or CuPy) plus what autograd needs to know about it.

Arithmetic, reductions, shape and indexing methods come from the op families in ``ember.ops``
(one mixin per family, each defined in its family's file); this file holds the state, the
conversions, autograd's entry points and the in-place machinery.
"""

import numpy as np

from . import _arrays, _subclass
from . import _dtype as D
from ._device import CPU, device_of_array, to_device, xp_for
from ._layout import strided as _strided
from .autograd import _hooks
from .autograd import engine as _engine
from .autograd import function as _fn
from .autograd.grad_mode import STATE
from .ops.activation import ActivationMethods
from .ops.arith import ArithMethods
from .ops.binary import BinaryMethods
from .ops.broadcast import BroadcastMethods
from .ops.compare import CompareMethods
from .ops.complex import ComplexMethods
from .ops.convert import ToCopy
from .ops.fill import FillMethods
from .ops.gather import GatherMethods
from .ops.index import IndexMethods
from .ops.join import JoinMethods
from .ops.linalg import LinalgMethods
from .ops.reduce import ReduceMethods
from .ops.shape import ShapeMethods
from .ops.sort import SortMethods
from .ops.unary import UnaryMethods

__all__ = ["Tensor"]

_FROM_NP = D._FROM_NP


class _Version:
    """A version counter shared by a tensor and its views; in-place ops bump it. (No
    ``__init__``: the class attribute is the starting value, so making one costs no Python
    call on the hot path of every op.)"""

    value = 0


class _InferenceVersion(_Version):
    """The counter of a tensor made under inference_mode: its views share it, so they are
    inference tensors too (``is_inference()``)."""

    __slots__ = ()


class Tensor(ActivationMethods, ArithMethods, BinaryMethods, BroadcastMethods, CompareMethods,
             ComplexMethods, FillMethods, GatherMethods, IndexMethods, JoinMethods, LinalgMethods,
             ReduceMethods, ShapeMethods, SortMethods, UnaryMethods):
    __slots__ = ("_data", "_rg", "grad", "grad_fn", "_out_idx", "_vc", "_base", "_accum",
                 "_hooks", "__weakref__", "__dict__")
    __array_priority__ = 1000  # numpy scalars defer to Tensor's reflected operators

    # -- construction ----------------------------------------------------------------------
    def __new__(cls, *args, dtype=None, device=None, requires_grad=False):
        # torch.Tensor(2, 3) is an uninitialised float tensor; torch.Tensor([1, 2]) a float copy.
        # Built here, not in __init__, so a subclass's own __init__ need not call ours.
        if len(args) == 1 and not isinstance(args[0], int):
            arr = _arrays.from_data(args[0], dtype or D.get_default_dtype(), device)
        else:
            shape = args[0] if len(args) == 1 and isinstance(args[0], tuple) else args or (0,)
            arr = xp_for(to_device(device)).zeros(tuple(shape), (dtype or D.get_default_dtype()).np)
        t = object.__new__(cls)
        t._init(arr)
        if requires_grad:
            t.requires_grad = True
        return t

    def __init__(self, *args, **kwargs):
        pass

    # -- subclasses (ember._subclass): PyTorch's protocol ----------------------------------
    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        _subclass.register(cls)

    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        return _subclass.default_torch_function(cls, func, types, args, kwargs)

    @staticmethod
    def _make_subclass(cls, data, require_grad=False, **kwargs):
        return _subclass.make_subclass(cls, data, require_grad)

    def as_subclass(self, cls):
        return _subclass.as_subclass(self, cls)

    def _init(self, arr):
        self._data = arr
        self._rg = False
        self.grad = None
        self.grad_fn = None
        self._out_idx = 0
        self._vc = _Version()
        self._base = None
        self._accum = None
        self._hooks = None

    @staticmethod
    def _wrap(arr):
        """A Tensor around ``arr`` (no copy). The hot path of every op. Always a plain Tensor,
        even when called on a subclass instance (ops on a Parameter give Tensors)."""
        t = object.__new__(Tensor)
        if arr.__class__ is not np.ndarray and isinstance(arr, np.generic):
            arr = np.asarray(arr)
        t._data = arr
        t._rg = False
        t.grad = None
        t.grad_fn = None
        t._out_idx = 0
        t._vc = _InferenceVersion() if STATE.inference else _Version()
        t._base = None
        t._accum = None
        t._hooks = None
        return t

    @staticmethod
    def _leaf(arr, requires_grad):
        """A new leaf around ``arr``, requiring grad if asked (floating and complex only)."""
        t = Tensor._wrap(arr)
        if requires_grad:
            if arr.dtype.kind not in "fc":
                raise RuntimeError("Only Tensors of floating point and complex dtype can require "
                                   "gradients")
            t._rg = True
        return t

    def _alias(self):
        """A new Tensor sharing this one's memory and version counter (a view of all of it)."""
        t = Tensor._wrap(self._data)
        t._vc = self._vc
        t._base = self if self._base is None else self._base
        return t

    def _view_of(self, arr):
        """Wrap ``arr``, a NumPy view of this tensor's memory: share the version counter."""
        t = Tensor._wrap(arr)
        t._vc = self._vc
        t._base = self if self._base is None else self._base
        return t

    # -- metadata --------------------------------------------------------------------------
    @property
    def dtype(self):
        return _FROM_NP[self._data.dtype]

    @property
    def shape(self):
        return Size(self._data.shape)

    @property
    def device(self):
        return CPU if self._data.__class__ is np.ndarray else device_of_array(self._data)

    @property
    def _xp(self):
        return np if self._data.__class__ is np.ndarray else xp_for(self.device)

    @property
    def is_cuda(self):
        return self.device.type == "cuda"

    @property
    def is_cpu(self):
        return self.device.type == "cpu"

    # Devices and layouts ember has no such thing as: PyTorch's predicates, always False.
    is_meta = is_mps = is_xpu = is_xla = is_ipu = is_maia = is_mtia = is_vulkan = is_mkldnn = \
        property(lambda self: False)
    is_quantized = is_nested = property(lambda self: False)

    def is_pinned(self, device=None):
        return False

    @property
    def ndim(self):
        return self._data.ndim

    def dim(self):
        return self._data.ndim

    ndimension = dim

    def size(self, dim=None):
        if dim is None:
            return Size(self._data.shape)
        from .ops._util import canon_dim
        return self._data.shape[canon_dim(dim, self._data.ndim)]

    def numel(self):
        return int(self._data.size)

    nelement = numel

    def element_size(self):
        return self._data.itemsize

    @property
    def itemsize(self):
        return self._data.itemsize

    @property
    def nbytes(self):
        return self._data.nbytes

    def stride(self, dim=None):
        st = tuple(s // self._data.itemsize for s in self._data.strides)
        if dim is None:
            return st
        from .ops._util import canon_dim
        return st[canon_dim(dim, self._data.ndim)]

    def storage_offset(self):
        base = self._base._data if self._base is not None else self._data
        return (self._data.__array_interface__["data"][0] -
                base.__array_interface__["data"][0]) // self._data.itemsize \
            if self._data.__class__ is np.ndarray else 0

    # -- new_* constructors: same dtype and device unless told otherwise --------------------
    def _new(self, fill, size, dtype, device, requires_grad):
        from .ops._util import shape_arg
        arr = _arrays.filled(fill, shape_arg(size), dtype if dtype is not None else self.dtype,
                             device if device is not None else self.device)
        return Tensor._leaf(arr, requires_grad)

    def new_zeros(self, *size, dtype=None, device=None, requires_grad=False):
        return self._new(0, size, dtype, device, requires_grad)

    def new_ones(self, *size, dtype=None, device=None, requires_grad=False):
        return self._new(1, size, dtype, device, requires_grad)

    def new_empty(self, *size, dtype=None, device=None, requires_grad=False):
        return self._new(0, size, dtype, device, requires_grad)

    def new_full(self, size, fill_value, *, dtype=None, device=None, requires_grad=False):
        return self._new(fill_value, (size,), dtype, device, requires_grad)

    def new_tensor(self, data, *, dtype=None, device=None, requires_grad=False):
        return Tensor._leaf(_arrays.from_data(data, dtype if dtype is not None else self.dtype,
                                              device if device is not None else self.device),
                            requires_grad)

    def is_contiguous(self, memory_format=None):
        if memory_format is None:
            return bool(self._data.flags.c_contiguous)
        from .ops.memory_format import is_contiguous_as
        return is_contiguous_as(self._data, memory_format)

    # -- layout: dense here; ember.sparse holds the COO tensors ------------------------------
    is_sparse = False
    layout = _strided

    def to_sparse(self, *args, **kwargs):
        from .sparse import to_sparse
        return to_sparse(self, *args, **kwargs)

    def to_dense(self, dtype=None, *, masked_grad=None):
        return self if dtype is None else self.to(dtype)

    def is_floating_point(self):
        return self.dtype.category == D._FLOAT

    def is_complex(self):
        return self.dtype.category == D._COMPLEX

    def data_ptr(self):
        return self._data.__array_interface__["data"][0] if self._xp is np else self._data.data.ptr

    @property
    def _version(self):
        return self._vc.value

    def is_inference(self):
        return self._vc.__class__ is _InferenceVersion

    @property
    def is_leaf(self):
        return self.grad_fn is None

    @property
    def requires_grad(self):
        return self._rg

    @requires_grad.setter
    def requires_grad(self, value):
        value = bool(value)
        if self.grad_fn is not None:
            if value:
                return
            raise RuntimeError("you can only change requires_grad flags of leaf variables. If you "
                               "want to use a computed variable in a subgraph that doesn't require "
                               "differentiation use var_no_grad = var.detach().")
        if value and self.dtype.category < D._FLOAT:
            raise RuntimeError("only Tensors of floating point dtype can require gradients")
        self._rg = value

    def requires_grad_(self, requires_grad=True):
        self.requires_grad = requires_grad
        return self

    @property
    def data(self):
        """This tensor's memory as a tensor outside autograd (no history, no requires_grad)."""
        t = Tensor._wrap(self._data)
        return t if self.__class__ is Tensor else _subclass.keep_class(self, t)

    @data.setter
    def data(self, other):
        if not isinstance(other, Tensor):
            raise TypeError(f"data must be a Tensor, not {type(other).__name__}")
        self._data = other._data

    @property
    def T(self):
        if self._data.ndim > 2:
            raise RuntimeError("The use of `x.T` on tensors of dimension other than 2 to reverse "
                               "their shape is not supported; use x.mT or x.permute(...)")
        return self.permute(*range(self._data.ndim - 1, -1, -1))

    @property
    def mT(self):
        if self._data.ndim < 2:
            raise RuntimeError("tensor.mT is only supported on matrices or batches of matrices. "
                               f"Got {self._data.ndim}-D tensor.")
        return self.transpose(-2, -1)

    @property
    def H(self):
        return self.T.conj() if self.is_complex() else self.T

    @property
    def mH(self):
        return self.mT.conj() if self.is_complex() else self.mT

    # -- conversions -----------------------------------------------------------------------
    def item(self):
        if self._data.size != 1:
            raise RuntimeError(f"a Tensor with {self._data.size} elements cannot be converted "
                               "to Scalar")
        return self._data.reshape(()).item()

    def tolist(self):
        return self._data.tolist() if self._xp is np else self._data.get().tolist()

    def numpy(self, *, force=False):
        if self._rg and not force:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use "
                               "tensor.detach().numpy() instead.")
        if self._xp is not np:
            if not force:
                raise TypeError(f"can't convert {self.device} device type tensor to numpy. Use "
                                "Tensor.cpu() to copy the tensor to host memory first.")
            return self._data.get()
        return self._data

    def __array__(self, dtype=None, copy=None):
        a = self.detach().numpy(force=True)
        return a if dtype is None else a.astype(dtype, copy=False)

    def __len__(self):
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return iter(self.unbind(0))

    def _scalar_check(self, what):
        if self._data.size != 1:
            if what == "bool":
                raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
            # PyTorch: float()/int()/complex() raise ValueError, .item() RuntimeError
            raise ValueError("only one element tensors can be converted to Python scalars")

    def __bool__(self):
        self._scalar_check("bool")
        return bool(self._data.reshape(()).item())

    def __float__(self):
        self._scalar_check("float")
        return float(self._data.reshape(()).item().real if self.is_complex() else
                     self._data.reshape(()).item())

    def __int__(self):
        self._scalar_check("int")
        return int(self._data.reshape(()).item())

    def __complex__(self):
        self._scalar_check("complex")
        return complex(self._data.reshape(()).item())

    def __index__(self):
        if self.dtype.category > D._INT or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an "
                            "index")
        return int(self._data.reshape(()).item())

    __hash__ = object.__hash__

    def __repr__(self, *, tensor_contents=None):
        from ._printing import tensor_repr
        return tensor_repr(self)

    def __str__(self):
        return self.__repr__()

    def __format__(self, spec):
        if self._data.ndim == 0:
            return self.item().__format__(spec)
        return object.__format__(self, spec)

    def __reduce_ex__(self, proto):
        state = self.__dict__ or None
        return (_rebuild, (self.detach().numpy(force=True), self._rg, type(self), state))

    def __deepcopy__(self, memo):
        if not self.is_leaf:
            raise RuntimeError("Only Tensors created explicitly by the user (graph leaves) "
                               "support the deepcopy protocol at the moment.")
        t = object.__new__(type(self))     # a subclass's __new__ may want arguments
        t._init(self._data.copy())
        t._rg = self._rg
        if self.grad is not None:
            t.grad = self.grad.__deepcopy__(memo)
        if self.__dict__:
            import copy
            t.__dict__.update(copy.deepcopy(self.__dict__, memo))
        memo[id(self)] = t
        return t

    def to(self, *args, dtype=None, device=None, non_blocking=False, copy=False,
           memory_format=None):
        """``to(dtype)``, ``to(device)``, ``to(device, dtype)`` or ``to(other_tensor)``, and
        ``memory_format=ember.channels_last`` & co. for the layout."""
        if len(args) == 1 and args[0].__class__ is CPU.__class__ and dtype is None and \
                device is None and not copy and memory_format is None and \
                args[0] == self.device:
            return self        # to(the device it is on): a training loop's per-batch move
        if memory_format is not None:
            from .ops.memory_format import to_format
            out = self.to(*args, dtype=dtype, device=device, copy=copy)
            return to_format(out, memory_format)
        for a in args:
            if isinstance(a, Tensor):
                dtype, device = a.dtype, a.device
            elif isinstance(a, D.dtype) or (a is not None and not isinstance(a, (str, int))
                                             and type(a).__name__ == "dtype"):
                dtype = a
            elif a is not None:
                device = a
        dt = D.to_dtype(dtype) if dtype is not None else self.dtype
        dev = to_device(device) if device is not None else self.device
        if dt is self.dtype and dev == self.device and not copy:
            return self
        from .ops.convert import ToCopy
        return ToCopy.apply(self, dt, dev)

    def _cast(self, dt):
        """``to(dt)`` without ``to``'s argument parsing: ``float()``, ``long()`` & co. run
        once or twice per training step."""
        if _FROM_NP[self._data.dtype] is dt:
            return self
        return ToCopy.apply(self, dt, self.device)

    def type(self, dtype=None, non_blocking=False):
        if dtype is None:
            return f"torch.{self.dtype._short}Tensor"
        if isinstance(dtype, str) and dtype.endswith("Tensor"):
            name = dtype.rsplit(".", 1)[-1][:-len("Tensor")]
            dtype = next(d for d in D.ALL if d._short == name)
        return self.to(D.to_dtype(dtype))

    def type_as(self, other):
        return self.to(other.dtype)

    def float(self):
        return self._cast(D.float32)

    def double(self):
        return self._cast(D.float64)

    def half(self):
        return self._cast(D.float16)

    def long(self):
        return self._cast(D.int64)

    def int(self):
        return self._cast(D.int32)

    def short(self):
        return self._cast(D.int16)

    def char(self):
        return self._cast(D.int8)

    def byte(self):
        return self._cast(D.uint8)

    def bool(self):
        return self._cast(D.bool)

    def cfloat(self):
        return self.to(D.complex64)

    def cdouble(self):
        return self.to(D.complex128)

    def cpu(self):
        return self.to("cpu")

    def cuda(self, device=None, non_blocking=False):
        return self.to(device if device is not None else "cuda")

    def clone(self, *, memory_format=None):
        from .ops.convert import Clone
        if memory_format is not None:     # a copy in that layout (preserve: Clone's own)
            from .ops.memory_format import preserve_format, to_format
            out = self if memory_format is preserve_format else \
                to_format(self, memory_format, "CloneBackward0")
            if out is not self:
                return out
        return Clone.apply(self)

    def contiguous(self, memory_format=None):
        if memory_format is not None:
            from .ops.memory_format import to_format
            return to_format(self, memory_format, "CloneBackward0")
        return self if self._data.flags.c_contiguous else self.clone()

    def detach(self):
        t = Tensor._wrap(self._data)
        t._vc = self._vc
        return t if self.__class__ is Tensor else _subclass.keep_class(self, t)

    def detach_(self):
        if self._base is not None and self.grad_fn is not None:
            raise RuntimeError("Can't detach views in-place. Use detach() instead.")
        self.grad_fn = None
        self._rg = False
        return self

    # -- autograd entry points -------------------------------------------------------------
    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        if gradient is None and create_graph is False and inputs is None and \
                self.grad_fn is not None:
            return _engine.backward_scalar(self, retain_graph)   # loss.backward()
        from .autograd import backward
        backward(self, gradient, retain_graph, create_graph, inputs=inputs)

    def register_hook(self, hook):
        if not self._rg:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        return _hooks.register_tensor_hook(self, hook)

    def retain_grad(self):
        if not self._rg:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        if self.grad_fn is not None:
            _hooks.retain_grad(self)

    @property
    def retains_grad(self):
        return _hooks.retains_grad(self)

    def _accumulator(self):
        return _fn.accumulator_for(self)

    # -- in-place machinery ----------------------------------------------------------------
    def _check_inplace(self):
        if STATE.enabled:
            if self._rg and self.grad_fn is None:
                raise RuntimeError("a leaf Variable that requires grad is being used in an "
                                   "in-place operation.")
            base = self._base
            if base is not None and base._rg and base.grad_fn is None:
                raise RuntimeError("a view of a leaf Variable that requires grad is being used "
                                   "in an in-place operation.")

    def _set_(self, result, recorded):
        """Finish an in-place op: write ``result`` (a Tensor) into this tensor's memory."""
        arr = result._data
        if arr.dtype != self._data.dtype:
            if not _can_cast(_FROM_NP[arr.dtype], self.dtype):
                raise RuntimeError(f"result type {_FROM_NP[arr.dtype]._short} can't be cast to "
                                   f"the desired output type {self.dtype._short}")
        if arr.shape != self._data.shape:
            raise RuntimeError(f"output with shape {list(self._data.shape)} doesn't match the "
                               f"broadcast shape {list(arr.shape)}")
        self._data[...] = arr
        self._vc.value += 1
        if recorded and result.grad_fn is not None:
            node = result.grad_fn
            self.grad_fn, self._out_idx, self._rg = node, result._out_idx, True
            for entry in node._saved or ():
                if entry.__class__ is _fn._SavedOutput and entry.idx == result._out_idx:
                    entry.data, entry.vc, entry.version = self._data, self._vc, self._vc.value
            if self._base is not None:
                self._base._rebase_from_view(self)
        return self

    def _inplace(self, fn, *args):
        """Run out-of-place op ``fn`` on this tensor's current value and write the result back.

        When a graph is recorded the op sees a snapshot (a copy) of the old value, so a backward
        that needs it is not fooled by the overwrite."""
        self._check_inplace()
        recorded = STATE.enabled and (self._rg or any(isinstance(a, Tensor) and a._rg
                                                      for a in args))
        if recorded:
            old = Tensor._wrap(self._data.copy())
            old.grad_fn, old._out_idx, old._rg = self.grad_fn, self._out_idx, self._rg
            result = fn.apply(old, *args)
        else:
            prev = STATE.enabled
            STATE.enabled = False
            try:
                result = fn.apply(self, *args)
            finally:
                STATE.enabled = prev
        return self._set_(result, recorded)

    def _rebase_from_view(self, view):
        """``view`` (of this base) was changed in place with a graph recorded: make the base's
        history "old base with the view's region replaced" and re-derive the view from it."""
        from .ops.strided import AsStrided, ViewScatter, view_geometry
        geom = view_geometry(self._data, view._data)
        if geom is None:
            raise RuntimeError("ember: in-place operation on a view of a non-contiguous tensor "
                               "with autograd recording is not supported; use out-of-place ops")
        old = Tensor._wrap(self._data)
        old.grad_fn, old._out_idx, old._rg = self.grad_fn, self._out_idx, self._rg
        src = Tensor._wrap(view._data)
        src.grad_fn, src._out_idx, src._rg = view.grad_fn, view._out_idx, True
        new_base = ViewScatter.apply(old, src, geom, True)
        self.grad_fn, self._out_idx, self._rg = new_base.grad_fn, 0, True
        new_view = AsStrided.apply(new_base, geom)
        view.grad_fn, view._out_idx = new_view.grad_fn, 0


def _can_cast(src, dst):
    if src.category == D._COMPLEX and dst.category != D._COMPLEX:
        return False
    if src.category == D._FLOAT and dst.category < D._FLOAT:
        return False
    if src.category != D._BOOL and dst is D.bool:
        return False
    return True


def _rebuild(arr, requires_grad, cls=None, state=None):
    t = object.__new__(cls or Tensor)
    t._init(np.array(arr))
    t._rg = requires_grad
    if state:
        t.__dict__.update(state)
    return t


class Size(tuple):
    """The shape of a tensor: a tuple that prints as ``torch.Size([2, 3])``."""

    __slots__ = ()

    def __repr__(self):
        return f"torch.Size({list(self)})"

    def numel(self):
        n = 1
        for s in self:
            n *= s
        return n

    def __getitem__(self, item):
        r = tuple.__getitem__(self, item)
        return Size(r) if isinstance(item, slice) else r

    def __add__(self, other):
        return Size(tuple.__add__(self, other))
