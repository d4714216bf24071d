"""torch.linalg's norms: vector_norm, matrix_norm (Frobenius, nuclear, spectral, 1 / inf) and
norm, with svdvals, written over the LinalgVectorNorm and singular-value Functions."""
import math

from .. import _dtype as D
from ._util import canon_dim, canon_dims
from .decomp import _check_float, _SvdVals
from .reduce import LinalgVectorNorm

# -- norms ----------------------------------------------------------------------------------

def _ord_str(o):
    if isinstance(o, float) and o.is_integer():
        return str(int(o))
    return str(o)


def svdvals(A, *, driver=None, out=None):
    if A._data.ndim < 2:
        raise RuntimeError("linalg.svd: The input tensor A must have at least 2 dimensions.")
    _check_float(A, "linalg.svd")
    return _out(_SvdVals.apply(A), out)


def _cast(x, dtype, op):
    if dtype is None:
        return x
    dt = D.to_dtype(dtype)
    if dt.category < x.dtype.category or (dt.category == x.dtype.category and
                                          dt.itemsize < x.dtype.itemsize):
        raise RuntimeError(f"{op}: the dtype of the input ({x.dtype._short}) should be "
                           f"convertible without narrowing to the specified dtype ({dt._short})")
    return x.to(dt)


def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None, out=None):
    if isinstance(ord, str):
        raise TypeError("linalg_vector_norm(): argument 'ord' must be Number, not str")
    _check_float(x, "linalg.vector_norm")
    x = _cast(x, dtype, "linalg.vector_norm")
    nd = x._data.ndim
    dims = canon_dims(dim, nd) if nd else ()
    if ord == math.inf or ord < 0:
        if x._data.size == 0 and (x._data.ndim == 0 or any(x._data.shape[d] == 0 for d in
                                                            (dims or range(nd)))):
            raise RuntimeError(f"linalg.vector_norm cannot compute the {_ord_str(ord)} norm on "
                               "an empty tensor because the operation does not have an identity")
    return _out(LinalgVectorNorm.apply(x, float(ord), dims, keepdim), out)


_MATRIX_ORDS = ("fro", "nuc", 2, -2, 1, -1, math.inf, -math.inf)


def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim=False, *, dtype=None, out=None):
    nd = A._data.ndim
    if nd < 2:
        raise RuntimeError("linalg.matrix_norm: The input tensor A must have at least 2 "
                           "dimensions.")
    _check_float(A, "linalg.matrix_norm")
    dim = tuple(dim) if not isinstance(dim, int) else (dim,)
    if len(dim) != 2:
        raise RuntimeError(f"linalg.matrix_norm: dim must be a 2-tuple. Got "
                           f"{' '.join(map(str, dim))}")
    d0, d1 = canon_dim(dim[0], nd), canon_dim(dim[1], nd)
    if d0 == d1:
        raise RuntimeError(f"linalg.matrix_norm: dims must be different. Got ({dim[0]}, "
                           f"{dim[1]})")
    if not any(ord == o and isinstance(ord, str) == isinstance(o, str) for o in _MATRIX_ORDS):
        raise RuntimeError(f"linalg.matrix_norm: Order {_ord_str(ord)} not supported.")
    A = _cast(A, dtype, "linalg.matrix_norm")
    kept = tuple(1 if i in (d0, d1) else s for i, s in enumerate(A._data.shape))
    if ord == "fro":
        return _out(vector_norm(A, 2, (d0, d1), keepdim), out)
    if ord in ("nuc", 2, -2):
        if A.dtype is D.float16:
            raise RuntimeError("linalg.matrix_norm: Low precision dtypes not supported. Got Half")
        rest = [i for i in range(nd) if i not in (d0, d1)]
        s = _SvdVals.apply(A.permute(*rest, d0, d1))
        if s._data.shape[-1] == 0:
            r = s.sum(-1)
        elif ord == "nuc":
            r = s.sum(-1)
        else:
            r = LinalgVectorNorm.apply(s, math.inf if ord == 2 else -math.inf, (s.ndim - 1,), False)
        return _out(r.reshape(kept) if keepdim else r, out)
    # 1 / -1: max / min over columns of the column sums; inf / -inf: the same over rows
    sum_dim, red_dim = (d1, d0) if ord in (math.inf, -math.inf) else (d0, d1)
    s = A.abs().sum(sum_dim, keepdim=True)
    if s._data.shape[red_dim] == 0:
        if ord < 0:
            raise IndexError(f"amin(): Expected reduction dim {red_dim - (sum_dim < red_dim)} to "
                             "have non-zero size.")
        r = s.sum(red_dim, keepdim=True)
    else:
        r = LinalgVectorNorm.apply(s, math.inf if ord > 0 else -math.inf, (red_dim,), True)
    return _out(r if keepdim else r.reshape(tuple(s for i, s in enumerate(A._data.shape)
                                                  if i not in (d0, d1))), out)


def norm(A, ord=None, dim=None, keepdim=False, *, dtype=None, out=None):
    """torch.linalg.norm: a vector norm over one dim (or all of a flattened input when ``ord``
    is None), a matrix norm over two dims (or of a 2-d input)."""
    if dim is not None:
        dim = (dim,) if isinstance(dim, int) else tuple(dim)
        if len(dim) == 1 and not isinstance(ord, str):
            return vector_norm(A, 2 if ord is None else ord, dim, keepdim, dtype=dtype, out=out)
        if len(dim) == 2 or isinstance(ord, str):
            return matrix_norm(A, "fro" if ord is None else ord, dim, keepdim, dtype=dtype,
                               out=out)
        raise RuntimeError(f"linalg.norm: If dim is specified, it must be of length 1 or 2. Got "
                           f"{list(dim)}")
    if ord is None:
        return vector_norm(A, 2, None, keepdim, dtype=dtype, out=out)
    if A._data.ndim not in (1, 2):
        raise RuntimeError(f"linalg.norm: If dim is not specified but ord is, the input must be "
                           f"1D or 2D. Got {A._data.ndim}D.")
    if isinstance(ord, str) or A._data.ndim == 2:
        return matrix_norm(A, ord, (-2, -1), keepdim, dtype=dtype, out=out)
    return vector_norm(A, ord, None, keepdim, dtype=dtype, out=out)


def _out(result, out):
    """``result`` written into ``out`` when one is given (a tuple of tensors for the ops that
    return several)."""
    if out is None:
        return result
    if isinstance(result, tuple):
        if not isinstance(out, (tuple, list)) or len(out) != len(result):
            raise TypeError(f"out must be a tuple of {len(result)} tensors")
        for r, o in zip(result, out):
            o.copy_(r)
        return type(result)(*out)
    out.copy_(result)
    return out
