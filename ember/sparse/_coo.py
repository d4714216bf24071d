"""Sparse COO tensors: coordinates (an int64 ``(ndim, nnz)`` array) and values (a dense 1-D
Tensor that may require grad), as ``torch.sparse_coo_tensor`` makes them.

A COO tensor is a ``Tensor`` whose ``layout`` is ``torch.sparse_coo``. Its ``_data`` is a
``_COOData`` that answers ``shape``/``dtype``/``ndim``/``size`` but refuses to be an array, so a
dense code path it slips into fails loudly instead of densifying it. Ops reach it through the
subclass protocol (``ember._subclass``): ``__torch_function__`` sends the ops it knows to
``_dispatch.HANDLERS`` and refuses every other one with a clear error.
"""
import numpy as np

from .. import _dtype as D
from .. import _subclass
from .._device import CPU
from .._layout import sparse_coo
from .._tensor import Tensor
from ._functions import Coalesce, ToDense

__all__ = ["SparseTensor", "sparse_coo_tensor", "to_sparse"]


class _COOData:
    """Stands where a dense tensor keeps its array: metadata only."""

    __slots__ = ("shape", "dtype", "ndim", "size", "itemsize")

    def __init__(self, shape, dtype):
        self.shape, self.dtype, self.ndim = tuple(shape), np.dtype(dtype), len(shape)
        self.size = int(np.prod(self.shape, dtype=np.int64))
        self.itemsize = self.dtype.itemsize

    def __array__(self, *args, **kwargs):
        raise TypeError("can't convert Sparse layout tensor to numpy. Use Tensor.to_dense() "
                        "first.")

    def __getattr__(self, name):
        raise RuntimeError(f"ember: this operation needs a dense (strided) tensor, not a sparse "
                           f"COO one (it asked for '{name}'); call .to_dense() first")


def _check_values(values):
    if values._data.ndim != 1:
        raise ValueError("ember's sparse COO tensors hold one value per coordinate (values of "
                         f"shape (nnz,)); got values of shape {tuple(values.shape)} (hybrid "
                         "sparse-dense tensors are not supported)")


class SparseTensor(Tensor):
    """A COO tensor; build one with ``ember.sparse_coo_tensor`` or ``Tensor.to_sparse()``."""

    _lazy_protocol = True   # the subclass protocol turns on when the first one is made

    @classmethod
    def _make(cls, indices, values, shape, coalesced):
        _check_values(values)
        t = object.__new__(cls)
        t._data = _COOData(shape, values._data.dtype)
        t._rg, t.grad_fn, t._out_idx, t._base, t._accum, t._hooks = False, None, 0, None, None, None
        t._vc = values._vc
        t._indices_arr = np.ascontiguousarray(indices, dtype=np.int64)
        t._vals = values
        t._coalesced = bool(coalesced)
        _subclass.ACTIVE[0] = True
        return t

    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        from ._dispatch import handle
        return handle(func, args, kwargs or {})

    # -- what makes it sparse ------------------------------------------------------------
    @property
    def is_sparse(self):
        return True

    @property
    def layout(self):
        return sparse_coo

    @property
    def device(self):
        return CPU

    @property
    def _xp(self):
        return np

    def sparse_dim(self):
        return self._data.ndim

    def dense_dim(self):
        return 0

    def _nnz(self):
        return int(self._indices_arr.shape[1])

    def is_coalesced(self):
        return self._coalesced

    def _indices(self):
        return Tensor._wrap(self._indices_arr)

    def _values(self):
        return self._vals

    def indices(self):
        if not self._coalesced:
            raise RuntimeError("Cannot get indices on an uncoalesced tensor, please call "
                               ".coalesce() first")
        return self._indices()

    def values(self):
        if not self._coalesced:
            raise RuntimeError("Cannot get values on an uncoalesced tensor, please call "
                               ".coalesce() first")
        return self._vals

    def coalesce(self):
        """Sorted distinct coordinates, the values of repeated ones summed."""
        if self._coalesced:
            return self
        shape = self._data.shape
        idx = self._indices_arr
        if idx.shape[1] == 0:
            return SparseTensor._make(idx, self._vals, shape, True)
        key = np.ravel_multi_index(tuple(idx), shape) if shape else np.zeros(idx.shape[1], int)
        uniq, inverse = np.unique(key, return_inverse=True)
        values = Coalesce.apply(self._vals, inverse.reshape(-1), uniq.size)
        new_idx = np.stack(np.unravel_index(uniq, shape)) if shape else np.zeros((0, uniq.size))
        return SparseTensor._make(new_idx, values, shape, True)

    def to_dense(self, dtype=None, *, masked_grad=None):
        shape = self._data.shape
        flat = np.ravel_multi_index(tuple(self._indices_arr), shape) if shape else \
            np.zeros(self._nnz(), np.int64)
        out = ToDense.apply(self._vals, flat, shape)
        return out if dtype is None else out.to(dtype)

    def to_sparse(self, *args, **kwargs):
        return self

    # -- autograd lives on the values -----------------------------------------------------
    @property
    def requires_grad(self):
        return self._vals._rg

    @requires_grad.setter
    def requires_grad(self, value):
        self._vals.requires_grad = value

    @property
    def is_leaf(self):
        return self._vals.grad_fn is None

    @property
    def grad(self):
        """The gradient at each stored coordinate (PyTorch's ``torch.sparse.mm`` semantics: masked
        to the pattern, one entry per coordinate, coalesced). Every copy of a repeated coordinate
        has the same gradient (that of the entry they add up to), so the first one stands."""
        g = self._vals.grad
        if g is None:
            return None
        idx, shape = self._indices_arr, self._data.shape
        if self._coalesced or not shape or idx.shape[1] == 0:
            return SparseTensor._make(idx, g, shape, True)
        uniq, first = np.unique(np.ravel_multi_index(tuple(idx), shape), return_index=True)
        return SparseTensor._make(np.stack(np.unravel_index(uniq, shape)),
                                  g.index_select(0, Tensor._wrap(first)), shape, True)

    @grad.setter
    def grad(self, value):
        if value is not None:
            raise RuntimeError("ember: a sparse tensor's .grad can only be reset to None")
        self._vals.grad = None

    def detach(self):
        return SparseTensor._make(self._indices_arr, self._vals.detach(), self._data.shape,
                                  self._coalesced)

    @property
    def data(self):
        return self.detach()

    def backward(self, *args, **kwargs):
        raise RuntimeError("ember: backward() from a sparse tensor is not supported; reduce it "
                           "to a dense scalar first (e.g. .to_dense().sum())")

    # -- conversions that must not see an array ------------------------------------------
    def numpy(self, *, force=False):
        raise TypeError("can't convert Sparse layout tensor to numpy. Use Tensor.to_dense() "
                        "first.")

    def tolist(self):
        raise RuntimeError("tolist() is not supported for sparse tensors; call .to_dense() first")

    def item(self):
        return self.to_dense().item()

    def is_contiguous(self, memory_format=None):
        raise RuntimeError("is_contiguous is not supported for sparse tensors")

    def stride(self, dim=None):
        raise RuntimeError("Sparse tensors do not have strides")

    def __deepcopy__(self, memo):
        t = SparseTensor._make(self._indices_arr.copy(), self._vals.__deepcopy__(memo),
                               self._data.shape, self._coalesced)
        memo[id(self)] = t
        return t

    def __reduce_ex__(self, proto):
        return (_rebuild_coo, (self._indices_arr, self._vals.detach().numpy(), self._data.shape,
                               self._coalesced, self.requires_grad))

    def __repr__(self, *, tensor_contents=None):
        from ._printing import coo_repr
        return coo_repr(self)


def _rebuild_coo(indices, values, shape, coalesced, requires_grad):
    v = Tensor._wrap(np.array(values))
    v.requires_grad = requires_grad
    return SparseTensor._make(indices, v, shape, coalesced)


def _as_index_array(indices):
    if isinstance(indices, Tensor):
        if indices.is_sparse:
            raise TypeError("sparse_coo_tensor(): indices must be a dense tensor")
        arr = indices.detach().numpy(force=True)
    else:
        arr = np.asarray(indices)
    if arr.dtype.kind not in "iu" and arr.size:
        raise RuntimeError(f"indices must be an int64 tensor (got {arr.dtype})")
    arr = arr.astype(np.int64, copy=False)
    if arr.ndim != 2:
        raise RuntimeError(f"indices must be sparse_dim x nnz, but got: {list(arr.shape)}")
    return arr


def sparse_coo_tensor(indices, values, size=None, *, dtype=None, device=None, pin_memory=False,
                      requires_grad=False, check_invariants=None, is_coalesced=None):
    """A COO tensor with ``values[i]`` at coordinate ``indices[:, i]`` (as torch's)."""
    from .._creation import tensor as _tensor_of
    if device is not None and str(device).split(":")[0] != "cpu":
        raise RuntimeError("ember's sparse tensors live on the CPU only; got device "
                           f"{device!r}")
    idx = _as_index_array(indices)
    if not isinstance(values, Tensor):
        values = _tensor_of(values, dtype=dtype)
    elif dtype is not None and D.to_dtype(dtype) is not values.dtype:
        values = values.to(dtype)
    _check_values(values)
    if values._xp is not np:
        raise RuntimeError("ember's sparse tensors live on the CPU; the values are on "
                           f"{values.device}")
    if idx.shape[1] != values._data.shape[0]:
        raise RuntimeError(f"indices and values must have same nnz, but got nnz from indices: "
                           f"{idx.shape[1]}, nnz from values: {values._data.shape[0]}")
    if size is None:
        size = tuple(int(m) + 1 for m in idx.max(axis=1)) if idx.shape[1] else (0,) * idx.shape[0]
    size = tuple(int(s) for s in size)
    if len(size) != idx.shape[0]:
        raise RuntimeError(f"number of dimensions must be sparse_dim ({idx.shape[0]}) + "
                           f"dense_dim (0), but got {len(size)}")
    if idx.shape[1]:
        lo, hi = idx.min(axis=1), idx.max(axis=1)
        for d in range(len(size)):
            if lo[d] < 0:
                raise RuntimeError(f"found negative index {lo[d]} for dim {d}")
            if hi[d] >= size[d]:
                raise RuntimeError(f"size is inconsistent with indices: for dim {d}, size is "
                                   f"{size[d]} but found index {hi[d]}")
    if requires_grad:
        values = values.detach().requires_grad_()
    return SparseTensor._make(idx, values, size, bool(is_coalesced))


def to_sparse(x, sparse_dim=None, *, layout=None, blocksize=None, dense_dim=None):
    """``Tensor.to_sparse()``: the coordinates of ``x``'s nonzeros (in row-major order, so the
    result is coalesced) and their values, which stay in ``x``'s graph."""
    if layout is not None and layout is not sparse_coo:
        raise RuntimeError(f"ember supports only the sparse_coo layout, not {layout}")
    nd = x._data.ndim
    if (sparse_dim is not None and sparse_dim != nd) or dense_dim:
        raise RuntimeError("ember's sparse COO tensors are sparse in every dim "
                           f"(sparse_dim={nd}); hybrid tensors are not supported")
    if x._xp is not np:
        raise RuntimeError(f"ember's sparse tensors live on the CPU; this tensor is on "
                           f"{x.device}: call .cpu() first")
    arr = x._data
    nz = np.nonzero(arr.reshape(-1) if nd == 0 else arr)
    idx = np.stack(nz) if nd else np.zeros((0, nz[0].size), np.int64)
    flat = nz[0] if nd <= 1 else np.ravel_multi_index(nz, arr.shape)
    values = x.reshape(-1).index_select(0, Tensor._wrap(flat.astype(np.int64)))
    return SparseTensor._make(idx, values, arr.shape, True)
