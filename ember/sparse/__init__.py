"""``torch.sparse``: COO tensors on the CPU.

``ember.sparse_coo_tensor(indices, values, size)`` and ``Tensor.to_sparse()`` make them;
``mm`` / ``ember.spmm`` / ``@`` multiply them with dense matrices (gradients reach the dense
operand and the values); ``coalesce``, ``indices``, ``values``, ``to_dense``, ``_nnz`` and
PyTorch's repr work as in PyTorch. The arithmetic is NumPy index arithmetic (no SciPy).
"""
from .._layout import layout, sparse_coo, strided
from ._coo import SparseTensor, sparse_coo_tensor, to_sparse

__all__ = ["SparseTensor", "addmm", "layout", "mm", "sparse_coo", "sparse_coo_tensor", "spmm",
           "strided", "sum", "to_sparse"]


def mm(mat1, mat2, reduce=None):
    """``mat1 @ mat2`` where either (or both) is sparse; sparse @ sparse stays sparse."""
    if reduce is not None:
        raise RuntimeError("ember.sparse.mm: the reduce argument is not supported")
    from ..ops.linalg import mm as _mm
    return _mm(mat1, mat2)


def spmm(input, mat2):
    """``torch.spmm``: sparse (or dense) ``input`` @ dense ``mat2``."""
    from ..ops.linalg import mm as _mm
    return _mm(input, mat2)


def addmm(mat, mat1, mat2, *, beta=1.0, alpha=1.0):
    """``beta * mat + alpha * (mat1 @ mat2)`` with a sparse ``mat1``."""
    from ..ops.linalg import addmm as _addmm
    return _addmm(mat, mat1, mat2, beta=beta, alpha=alpha)


def sum(input, dim=None, dtype=None):  # noqa: A001 - PyTorch's name
    """The sum of a sparse tensor: all of it (a dense 0-d tensor) or over ``dim`` (sparse)."""
    from ..ops.reduce import Sum
    return Sum.apply(input, dim, False, dtype)
