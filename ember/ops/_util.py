"""Small helpers shared by the op families: dims, promotion, array access."""
import operator

import numpy as np

from .. import _dtype as D
from .. import _tensor

_FROM_NP = D._FROM_NP
_BOOL_NP = np.dtype(np.bool_)

try:   # NumPy keeps its floating-point error state in a context variable
    from numpy._core._ufunc_config import _extobj_contextvar as _FPE_STATE
    from numpy._core._ufunc_config import _make_extobj
    _FPE_QUIET = _make_extobj(all="ignore")
except ImportError:   # another NumPy layout: the public context manager
    _FPE_STATE = None


def quiet(fn, *args):
    """``fn(*args)`` with NumPy's floating-point warnings off (inf and nan are results here, as
    in PyTorch). Sets the error state's context variable directly: entering ``np.errstate``
    costs about a microsecond per op, which small ops feel."""
    if _FPE_STATE is None:
        with np.errstate(all="ignore"):
            return fn(*args)
    if _FPE_STATE.get() is _FPE_QUIET:   # already quiet (the whole backward pass is)
        return fn(*args)
    token = _FPE_STATE.set(_FPE_QUIET)
    try:
        return fn(*args)
    finally:
        _FPE_STATE.reset(token)


def quiet_begin():
    """Turn NumPy's floating-point warnings off until ``quiet_end(token)``: the backward
    engine does it once for a whole pass, so the ``quiet`` calls inside cost one test each."""
    return _FPE_STATE.set(_FPE_QUIET) if _FPE_STATE is not None else None


def quiet_end(token):
    if token is not None:
        _FPE_STATE.reset(token)


def canon_dim(dim, ndim):
    """Wrap a possibly negative ``dim`` into ``[0, ndim)``, with PyTorch's error."""
    n = max(ndim, 1)
    if dim.__class__ is not int:
        dim = operator.index(dim)    # a NumPy integer or a 0-d integer tensor
    if not -n <= dim < n:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], "
                         f"but got {dim})")
    return dim % n


def canon_dims(dim, ndim):
    """``dim`` (None, int or sequence) as a sorted tuple of non-negative dims."""
    if dim is None:
        return tuple(range(ndim))
    if isinstance(dim, (int, np.integer, _tensor.Tensor)):
        return (canon_dim(int(dim), ndim),)
    dims = tuple(canon_dim(int(d), ndim) for d in dim)
    if len(set(dims)) != len(dims):
        raise RuntimeError(f"dim {dims[0]} appears multiple times in the list of dims")
    return tuple(sorted(dims))


def is_tensor(x):
    return isinstance(x, _tensor.Tensor)


def arr(x):
    """The array behind a Tensor, or ``x`` itself."""
    return x._data if isinstance(x, _tensor.Tensor) else x


def result_dtype(a, b):
    """PyTorch's result dtype for a binary op between Tensors and/or Python numbers."""
    Tensor = _tensor.Tensor
    if isinstance(a, Tensor):
        da = _FROM_NP[a._data.dtype]
        if isinstance(b, Tensor):
            if b._data.dtype == a._data.dtype:
                return da
            if b._data.dtype == _BOOL_NP and a._data.ndim >= b._data.ndim:
                return da   # x * mask: a bool tensor never changes the other's dtype
        elif b.__class__ is float:
            if da.category >= D._FLOAT:   # fast path: tensor op Python float
                return da
        elif b.__class__ is int and da.category in (D._INT, D._FLOAT):
            return da
    elif isinstance(b, Tensor):
        db = _FROM_NP[b._data.dtype]
        if a.__class__ is float and db.category >= D._FLOAT:
            return db
        if a.__class__ is int and db.category in (D._INT, D._FLOAT):
            return db
    return D.result_type_of((a, b))


def operands(a, b, dt=None):
    """The arrays of a binary op, both in the result dtype (Python numbers stay numbers: NumPy
    treats them as weak, as PyTorch does)."""
    Tensor = _tensor.Tensor
    if dt is None:
        if a.__class__ is Tensor and b.__class__ is Tensor:
            x, y = a._data, b._data
            if x.dtype is y.dtype:          # two tensors of one dtype: nothing to promote
                return x, y, _FROM_NP[x.dtype]
        dt = result_dtype(a, b)
    npdt = dt.np
    if isinstance(a, Tensor):
        x = a._data
        if x.dtype != npdt:
            x = x.astype(npdt)
    else:
        x = _scalar_as(a, dt)
    if isinstance(b, Tensor):
        y = b._data
        if y.dtype != npdt:
            y = y.astype(npdt)
    else:
        y = _scalar_as(b, dt)
    return x, y, dt


def _scalar_as(v, dt):
    if v.__class__ is float and dt.category == D._FLOAT:
        return v
    if isinstance(v, (bool, np.bool_)) and dt is not D.bool:
        return int(v) if dt.category == D._INT else float(v)
    if dt.category == D._INT and isinstance(v, (float, complex)):
        return v
    if dt.category < D._COMPLEX and isinstance(v, (complex, np.complexfloating)):
        return v
    if dt.category >= D._FLOAT and isinstance(v, (int, np.integer)) and not isinstance(v, bool):
        return float(v) if dt.category == D._FLOAT else complex(v)
    return v


def float_dtype(dt):
    """The dtype a floating op (sqrt, division …) computes in for input dtype ``dt``."""
    return dt if dt.category >= D._FLOAT else D.get_default_dtype()


def check_tensor(x, op, name="input"):
    if not isinstance(x, _tensor.Tensor):
        raise TypeError(f"{op}(): argument '{name}' (position 1) must be Tensor, not "
                        f"{type(x).__name__}")
    return x


def shape_arg(args):
    """Accept f(2, 3), f((2, 3)), f([2, 3]) and f(torch.Size) alike."""
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        args = args[0]
    out = []
    for s in args:
        if isinstance(s, _tensor.Tensor):
            s = s.item()
        if not isinstance(s, (int, np.integer)):
            raise TypeError(f"expected a sequence of integers as the shape, but got an element "
                            f"of type {type(s).__name__}")
        out.append(int(s))
    return tuple(out)


def broadcast_error(*shapes):
    """PyTorch's error for shapes that do not broadcast (built only after NumPy refused)."""
    out = tuple(shapes[0])
    for s in shapes[1:]:
        n = max(len(out), len(s))
        a, b = (1,) * (n - len(out)) + out, (1,) * (n - len(s)) + tuple(s)
        for i in range(n - 1, -1, -1):
            if a[i] != b[i] and a[i] != 1 and b[i] != 1:
                return RuntimeError(f"The size of tensor a ({a[i]}) must match the size of tensor "
                                    f"b ({b[i]}) at non-singleton dimension {i}")
        out = tuple(y if x == 1 else x for x, y in zip(a, b))
    return RuntimeError(f"shapes {[list(s) for s in shapes]} cannot be broadcast together")


def call(ufunc, *arrays):
    """``ufunc(*arrays)`` with PyTorch's message when the shapes do not broadcast."""
    try:
        return ufunc(*arrays)
    except ValueError:
        raise broadcast_error(*(np.shape(x) for x in arrays)) from None


def conj(v):
    """The conjugate of a complex tensor or number, and ``v`` itself otherwise (no cost for real
    dtypes): PyTorch's gradient of a holomorphic op multiplies the incoming gradient by the
    conjugate of its derivative."""
    if isinstance(v, _tensor.Tensor):
        return v.conj() if v._data.dtype.kind == "c" else v
    return v.conjugate() if isinstance(v, complex) else v


def zero_where(x, mask, out=None):
    """``x`` with +0.0 where ``mask`` (into ``out`` if given), bit for bit as ``np.where`` but
    several times faster on a random mask (no branch per element): each float's bits times 1
    where kept and times 0 where masked, as unsigned integers (the inverted mask is cast to
    them inside the multiply's loop, a fifth faster than ANDing with an all-ones mask built
    from it)."""
    if mask.dtype is not _BOOL:        # (np.where's reading of any other mask)
        mask = mask != 0
    if x.__class__ is not np.ndarray or x.dtype.kind != "f" or x.shape != mask.shape or \
            x.size < 2048:   # below a few thousand floats the three calls cost more than where
        if x.__class__ is np.ndarray and x.dtype.kind == "f" and x.shape == mask.shape:
            if out is None:           # (copy + masked write: half of np.where's cost here)
                out = x.copy()
            else:
                out[...] = x
            np.copyto(out, _zero_of(x.dtype), where=mask)
            return out
        xp = np if x.__class__ is np.ndarray else _xp_of(x)
        res = xp.where(mask, x.dtype.type(0), x)
        if out is None:
            return res
        out[...] = res
        return out
    bits = np.dtype(f"u{x.itemsize}")
    keep = np.invert(mask, dtype=bool).view(np.uint8)
    res = np.empty(x.shape, bits) if out is None else out.view(bits)
    return np.multiply(x.view(bits), keep, out=res, dtype=bits).view(x.dtype)


_ZEROS = {}
_BOOL = np.dtype(bool)


def _zero_of(dt):
    """A 0-d +0 array of dtype ``dt`` (cached: NumPy handles an array operand of the right
    dtype faster than a Python or NumPy scalar)."""
    z = _ZEROS.get(dt)
    if z is None:
        z = _ZEROS[dt] = np.zeros((), dt)
        z.setflags(write=False)
    return z


def _xp_of(a):
    from .._device import device_of_array, xp_for
    return xp_for(device_of_array(a))
