"""What each op does when a COO tensor is among its arguments (PyTorch's sparse kernels, the
ones GCN-style programs use). An op not listed here refuses with a message naming it: a sparse
tensor is never densified behind the user's back."""
import numbers

import numpy as np

from .. import _subclass
from .._dtype import _FROM_NP
from .._tensor import Tensor
from ..ops.arith import Add, Div, Mul, Neg, Sub
from ..ops.convert import Clone, ToCopy
from ..ops.linalg import Addmm, Mm, Mv
from ..ops.reduce import Sum
from ..ops.shape import Permute, Transpose
from ._coo import SparseTensor, to_sparse
from ._functions import SpMM


def _sp(t):
    return isinstance(t, SparseTensor)


def _scalar(x):
    return isinstance(x, numbers.Number) or (isinstance(x, Tensor) and not _sp(x)
                                              and x._data.ndim == 0)


def _new(like, indices, values, coalesced=None):
    return SparseTensor._make(indices, values, like.shape,
                              like._coalesced if coalesced is None else coalesced)


def _check_mm(a, b):
    if a.ndim != 2 or b.ndim != 2:
        raise RuntimeError(f"mm: expected 2-D tensors, but got {a.ndim}-D and {b.ndim}-D")
    if a.shape[1] != b.shape[0]:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({a.shape[0]}x"
                           f"{a.shape[1]} and {b.shape[0]}x{b.shape[1]})")


def spmm(s, dense):
    """Sparse (n, m) @ dense (m, k) -> dense (n, k); gradients reach the dense operand and the
    sparse operand's values."""
    _check_mm(s, dense)
    rows, cols = s._indices_arr
    return SpMM.apply(s._vals, dense, rows, cols, s.shape[0])


def _mm(a, b):
    if _sp(a) and _sp(b):
        _check_mm(a, b)
        # sparse @ sparse is sparse: computed against the second one's dense form
        return to_sparse(spmm(a, b.to_dense()))
    if _sp(a):
        return spmm(a, b)
    _check_mm(a, b)
    # dense @ sparse = (sparse^T @ dense^T)^T
    rows, cols = b._indices_arr
    return SpMM.apply(b._vals, a.t(), cols, rows, b.shape[1]).t()


def _mv(a, v):
    if not _sp(a) or _sp(v):
        raise RuntimeError("mv: ember supports a sparse matrix times a dense vector only")
    if v.ndim != 1 or a.ndim != 2 or a.shape[1] != v.shape[0]:
        raise RuntimeError(f"size mismatch, got input ({a.shape[0]}), mat ({a.shape[0]}x"
                           f"{a.shape[1]}), vec ({v.shape[0]})")
    return spmm(a, v.unsqueeze(1)).squeeze(1)


def _addmm(input, mat1, mat2, beta=1, alpha=1):
    if _sp(input):
        raise RuntimeError("addmm: ember supports addmm(dense, sparse, dense) with a dense "
                           "input only")
    prod = _mm(mat1, mat2)
    if _sp(prod):
        prod = prod.to_dense()
    return (input if beta == 1 else input * beta) + (prod if alpha == 1 else prod * alpha)


def _combine(op, a, b, alpha):
    """a + alpha * b (op "add") or a - alpha * b ("sub") with at least one sparse operand."""
    sign = 1 if op == "add" else -1
    if _sp(a) and _sp(b):
        if a.shape != b.shape:
            raise RuntimeError(f"{op}: expected 'self' and 'other' to have same size, but self "
                               f"has size {list(a.shape)} while other has size {list(b.shape)}")
        from ..ops.join import cat
        vb = b._vals * (sign * alpha) if sign * alpha != 1 else b._vals
        dt = _FROM_NP[np.result_type(a._vals._data.dtype, vb._data.dtype)]
        values = cat([a._vals.to(dt), vb.to(dt)])
        indices = np.concatenate([a._indices_arr, b._indices_arr], axis=1)
        return _new(a, indices, values, coalesced=False)
    if _sp(a):
        raise RuntimeError(f"{op}(sparse, dense) is not supported. Use {op}(dense, sparse) "
                           "instead.")
    d = b.to_dense()
    if alpha != 1:
        d = d * alpha
    return a + d if op == "add" else a - d


def _add(a, b, alpha=1):
    return _combine("add", a, b, alpha)


def _sub(a, b, alpha=1):
    return _combine("sub", a, b, alpha)


def _mul(a, b):
    if _sp(b) and not _sp(a):
        a, b = b, a
    if _sp(b):
        raise RuntimeError("mul: ember does not multiply two sparse tensors elementwise yet; "
                           "call .to_dense() on one of them")
    if _scalar(b):
        return _new(a, a._indices_arr, a._vals * b)
    if isinstance(b, Tensor) and tuple(b.shape) == tuple(a.shape):
        # only the stored coordinates can be nonzero: the dense factor gathered there
        flat = np.ravel_multi_index(tuple(a._indices_arr), a.shape)
        return _new(a, a._indices_arr,
                    a._vals * b.reshape(-1).index_select(0, Tensor._wrap(flat)))
    raise RuntimeError("mul: a sparse tensor multiplies a number or a dense tensor of its own "
                       f"shape; got {type(b).__name__} of shape {tuple(getattr(b, 'shape', ()))}")


def _div(a, b):
    if not _sp(a) or not _scalar(b):
        raise RuntimeError("div: ember divides a sparse tensor by a number only")
    return _new(a, a._indices_arr, a._vals / b)


def _neg(a):
    return _new(a, a._indices_arr, -a._vals)


def _transpose(a, d0, d1):
    nd = a.ndim
    d0, d1 = d0 % nd, d1 % nd
    if d0 == d1:
        return a
    order = list(range(nd))
    order[d0], order[d1] = d1, d0
    return _permute(a, order)


def _permute(a, dims):
    dims = [d % a.ndim for d in dims]
    shape = tuple(a.shape[d] for d in dims)
    return SparseTensor._make(a._indices_arr[dims], a._vals, shape,
                              a._coalesced and dims == sorted(dims))


def _clone(a):
    return _new(a, a._indices_arr.copy(), a._vals.clone())


def _to_copy(a, dtype, device):
    if device.type != "cpu":
        raise RuntimeError("ember's sparse tensors live on the CPU only")
    return _new(a, a._indices_arr, a._vals.to(dtype))


def _sum(a, dim=None, keepdim=False, dtype=None):
    if dim is None or (not isinstance(dim, int) and len(dim) in (0, a.ndim)):
        return a._vals.sum(dtype=dtype)        # all of it: a dense 0-d tensor, as PyTorch
    if keepdim:
        raise RuntimeError("sum: keepdim is not supported for sparse tensors")
    dims = {d % a.ndim for d in ((dim,) if isinstance(dim, int) else dim)}
    keep = [d for d in range(a.ndim) if d not in dims]
    vals = a._vals if dtype is None else a._vals.to(dtype)
    out = SparseTensor._make(a._indices_arr[keep], vals, tuple(a.shape[d] for d in keep), False)
    return out.coalesce()


HANDLERS = {Mm: _mm, Mv: _mv, Addmm: _addmm, Add: _add, Sub: _sub, Mul: _mul, Div: _div,
            Neg: _neg, Transpose: _transpose, Permute: _permute, Clone: _clone,
            ToCopy: _to_copy, Sum: _sum}


def handle(func, args, kwargs):
    """Run op ``func`` (the ``__torch_function__`` of a sparse argument received it)."""
    op = getattr(func, "op", None)
    fn = HANDLERS.get(op)
    if fn is None:
        name = getattr(func, "__name__", repr(func))
        raise RuntimeError(f"ember: '{name}' does not support sparse COO tensors "
                           "(layout=torch.sparse_coo); convert with .to_dense() first")
    with _subclass.DisableTorchFunctionSubclass():
        return fn(*args, **kwargs)
