"""Matrix products."""
import numpy as np

from ..autograd.function import Function

__all__ = ["mm", "matmul", "LinalgMethods"]


def _same_dtype(a, b, op):
    if a.dtype is not b.dtype:
        raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: "
                           f"{a.dtype.name} != {b.dtype.name}" if op == "mm" else
                           f"expected both arguments of {op} to have the same dtype, but got: "
                           f"{a.dtype.name} != {b.dtype.name}")


class Mm(Function):
    _builtin = True

    # d(A @ B) = (G @ B^T, A^T @ G)
    @staticmethod
    def forward(ctx, a, b):
        if a._data.ndim != 2 or b._data.ndim != 2:
            bad = a if a._data.ndim != 2 else b
            raise RuntimeError(f"{'self' if bad is a else 'mat2'} must be a matrix")
        if a._data.shape[1] != b._data.shape[0]:
            raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({a.shape[0]}x"
                               f"{a.shape[1]} and {b.shape[0]}x{b.shape[1]})")
        _same_dtype(a, b, "mm")
        ctx.save_for_backward(a, b)
        return a._data @ b._data

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        need = ctx.needs_input_grad
        return (Mm.apply(g, b.t()) if need[0] else None,
                Mm.apply(a.t(), g) if need[1] else None)


class Matmul(Function):
    _builtin = True

    # batched d(A @ B) = (G @ B^T, A^T @ G); the engine sums broadcast batch dims
    @staticmethod
    def forward(ctx, a, b):
        _same_dtype(a, b, "matmul")
        ctx.save_for_backward(a, b)
        try:
            return np.matmul(a._data, b._data) if a._xp is np else a._xp.matmul(a._data, b._data)
        except ValueError:
            raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                               f"[{a.shape[:-2]}, {a.shape[-1]}] but got: "
                               f"[{b.shape[:-2]}, {b.shape[-2]}].") from None

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        need = ctx.needs_input_grad
        return (Matmul.apply(g, b.mT) if need[0] else None,
                Matmul.apply(a.mT, g) if need[1] else None)


def mm(input, mat2):
    return Mm.apply(input, mat2)


def matmul(input, other):
    da, db = input._data.ndim, other._data.ndim
    if da == 0 or db == 0:
        raise RuntimeError(f"both arguments to matmul need to be at least 1D, but they are "
                           f"{da}D and {db}D")
    if da == 2 and db == 2:
        if input._data.shape[1] != other._data.shape[0]:
            raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({input.shape[0]}x"
                               f"{input.shape[1]} and {other.shape[0]}x{other.shape[1]})")
        return Mm.apply(input, other)
    a = input.unsqueeze(0) if da == 1 else input
    b = other.unsqueeze(-1) if db == 1 else other
    if a._data.shape[-1] != b._data.shape[-2]:
        if da == 1 and db == 1:
            raise RuntimeError(f"inconsistent tensor size, expected tensor [{input.shape[0]}] and "
                               f"src [{other.shape[0]}] to have the same number of elements, but "
                               "got " f"{input.shape[0]} and {other.shape[0]} elements respectively")
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied "
                           f"({'x'.join(map(str, a.shape[-2:]))} and "
                           f"{'x'.join(map(str, b.shape[-2:]))})")
    out = Matmul.apply(a, b)
    if db == 1:
        out = out.squeeze(-1)
    if da == 1:
        out = out.squeeze(-2 if db != 1 else -1)
    return out


class LinalgMethods:
    __slots__ = ()

    def __matmul__(self, other):
        return matmul(self, other)

    def __rmatmul__(self, other):
        return matmul(other, self)

    def matmul(self, other):
        return matmul(self, other)

    def mm(self, mat2):
        return Mm.apply(self, mat2)
