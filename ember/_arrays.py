"""Array building below the Tensor: Python data (nested lists, numbers, arrays, tensors) to an
array with PyTorch's dtype inference and value checks, on a device. ``Tensor`` and the creation
functions of ``_creation`` wrap what these return."""
import builtins
import math

import numpy as np

from . import _dtype as D
from . import _tensor
from ._device import CPU, to_device, xp_for

# C++ type names in c10::Scalar's overflow message
_CNAME = {D.int8: "int8_t", D.uint8: "uint8_t", D.int16: "int16_t", D.int32: "int",
          D.int64: "int64_t", D.float16: "c10::Half", D.float32: "float", D.float64: "double"}


def _checked(v, dt):
    """A Python number converted for dtype ``dt`` as c10::Scalar::to does: overflow is an error
    (integers truncate toward zero)."""
    x = v.real if isinstance(v, complex) and dt.category != D._COMPLEX else v
    if dt.category == D._INT:
        info = np.iinfo(dt.np)
        # unsigned types accept negative integers down to -max and wrap them (two's complement)
        wrap = info.min == 0 and isinstance(x, (builtins.int, np.integer))
        lo = -builtins.int(info.max) if wrap else info.min
        if not lo <= x <= info.max:
            raise RuntimeError(f"value cannot be converted to type {_CNAME[dt]} without overflow")
        return builtins.int(x) % (builtins.int(info.max) + 1) if wrap else builtins.int(x)
    if dt.category == D._FLOAT and math.isfinite(x) and abs(x) > float(np.finfo(dt.np).max):
        raise RuntimeError(f"value cannot be converted to type {_CNAME[dt]} without overflow")
    return x


def _item(v):
    return v.item() if isinstance(v, _tensor.Tensor) else v


def _infer(data):
    """A NumPy array from nested lists/scalars/tensors, with PyTorch's dtype inference."""
    if isinstance(data, _tensor.Tensor):
        return data._data, data.dtype
    if isinstance(data, np.ndarray):
        return data, D.from_numpy_dtype(data.dtype)
    if isinstance(data, (list, tuple)) and any(isinstance(x, _tensor.Tensor) for x in data):
        parts = [_infer(x) for x in data]
        dt = parts[0][1] if parts else D.get_default_dtype()
        for _, d in parts[1:]:
            dt = D.promote_types(dt, d)
        return np.stack([np.asarray(p, dtype=dt.np) for p, _ in parts]) if parts else \
            np.zeros((0,), dt.np), dt
    try:
        a = np.array(data)
    except ValueError as e:
        raise ValueError(f"expected a sequence of equal-length sequences (ember.tensor): {e}") \
            from None
    if isinstance(data, np.generic):
        return a, D.from_numpy_dtype(a.dtype)
    kind = a.dtype.kind
    if a.size == 0 and kind == "f":
        return a, D.get_default_dtype()
    if kind == "b":
        return a, D.bool
    if kind in "iu":
        return a, D.int64
    if kind == "f":
        return a, D.get_default_dtype()
    if kind == "c":
        return a, D.get_default_dtype().to_complex()
    raise TypeError(f"Could not infer dtype of {type(data).__name__}")


def _check_python_values(arr, dt):
    """PyTorch converts Python numbers one by one, with checks NumPy's cast does not make."""
    kind = arr.dtype.kind
    if kind == "O" or (kind == "u" and arr.dtype.itemsize == 8):
        raise ValueError("Overflow when unpacking long long")
    if kind == "c" and dt.category in (D._INT, D._FLOAT):
        raise TypeError("'complex' object cannot be interpreted as an integer" if
                        dt.category == D._INT else "must be real number, not complex")
    if dt.category == D._INT and kind in "fiu" and arr.size:
        info = np.iinfo(dt.np)
        # an unsigned type takes negative integers down to -max (they wrap), not negative floats
        lo = -builtins.int(info.max) if info.min == 0 and kind != "f" else info.min
        with np.errstate(invalid="ignore"):
            if not bool(((arr >= lo) & (arr <= info.max)).all()):
                raise RuntimeError(f"value cannot be converted to type {dt.name} without overflow")


def on_device(arr, dtype, device, copy):
    """``arr`` in ``dtype`` on ``device`` (a copy when ``copy``, else only when needed)."""
    dev = to_device(device) if device is not None else None
    if dev is not None and dev is not CPU:
        arr = xp_for(dev).asarray(arr.get() if hasattr(arr, "get") else arr)
    if arr.dtype != dtype.np:
        with np.errstate(over="ignore"):   # a float too large for the dtype becomes inf
            arr = arr.astype(dtype.np)
    elif copy:
        arr = arr.copy()
    return arr


def from_data(data, dtype=None, device=None):
    """A new array holding a copy of ``data``, as ``ember.tensor(data, dtype=...)`` builds it."""
    arr, dt = _infer(data)
    dt = D.to_dtype(dtype) or dt
    if not isinstance(data, (_tensor.Tensor, np.ndarray, np.generic)):
        _check_python_values(arr, dt)
    return on_device(arr, dt, device, copy=True)


def filled(fill, shape, dtype, device):
    """An array of ``shape`` filled with ``fill`` (uninitialised for None)."""
    dt = D.to_dtype(dtype) or D.get_default_dtype()
    xp = xp_for(to_device(device))
    return xp.empty(shape, dt.np) if fill is None else xp.full(shape, fill, dt.np)
