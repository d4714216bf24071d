"""Tensor creation: from data, filled, ranges and random draws."""
import builtins

import numpy as np

from . import _dtype as D
from ._device import CPU, to_device, xp_for
from ._random import rng
from ._tensor import Tensor
from .ops._util import shape_arg

__all__ = ["tensor", "as_tensor", "from_numpy", "asarray", "zeros", "ones", "full", "empty",
           "zeros_like", "ones_like", "full_like", "empty_like", "eye", "arange", "rand",
           "randn", "rand_like", "randn_like"]


def _infer(data):
    """A NumPy array from nested lists/scalars/tensors, with PyTorch's dtype inference."""
    if isinstance(data, Tensor):
        return data._data, data.dtype
    if isinstance(data, np.ndarray):
        return data, D.from_numpy_dtype(data.dtype)
    if isinstance(data, (list, tuple)) and any(isinstance(x, Tensor) for x in data):
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


def _finish(arr, dtype, device, requires_grad, copy):
    dev = to_device(device) if device is not None else None
    xp = xp_for(dev) if dev is not None else np
    if dev is not None and dev is not CPU:
        arr = xp.asarray(arr.get() if hasattr(arr, "get") else arr)
    if arr.dtype != dtype.np:
        arr = arr.astype(dtype.np)
    elif copy:
        arr = arr.copy()
    t = Tensor._wrap(arr)
    if requires_grad:
        t.requires_grad = True
    return t


def tensor(data, *, dtype=None, device=None, requires_grad=False, pin_memory=False):
    """A new tensor holding a copy of ``data`` (lists, numbers, arrays or tensors)."""
    arr, dt = _infer(data)
    return _finish(arr, D.to_dtype(dtype) or dt, device, requires_grad, copy=True)


def as_tensor(data, dtype=None, device=None):
    """Like ``tensor`` but shares memory with a Tensor or NumPy array where it can."""
    if isinstance(data, Tensor):
        return data.to(dtype=dtype, device=device) if (dtype or device) else data
    arr, dt = _infer(data)
    return _finish(arr, D.to_dtype(dtype) or dt, device, False, copy=False)


asarray = as_tensor


def from_numpy(ndarray):
    """A tensor sharing memory with ``ndarray``."""
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(ndarray).__name__})")
    D.from_numpy_dtype(ndarray.dtype)
    return Tensor._wrap(ndarray)


def _filled(fill, size, dtype, device, requires_grad, default=None):
    shape = shape_arg(size)
    dt = D.to_dtype(dtype) or default or D.get_default_dtype()
    xp = xp_for(to_device(device))
    arr = xp.empty(shape, dt.np) if fill is None else xp.full(shape, fill, dt.np)
    t = Tensor._wrap(arr)
    if requires_grad:
        t.requires_grad = True
    return t


def zeros(*size, dtype=None, device=None, requires_grad=False, out=None, layout=None):
    return _filled(0, size, dtype, device, requires_grad)


def ones(*size, dtype=None, device=None, requires_grad=False, out=None, layout=None):
    return _filled(1, size, dtype, device, requires_grad)


def empty(*size, dtype=None, device=None, requires_grad=False, out=None, layout=None,
          memory_format=None, pin_memory=False):
    return _filled(0, size, dtype, device, requires_grad)


def full(size, fill_value, *, dtype=None, device=None, requires_grad=False, out=None,
         layout=None):
    if dtype is None and not isinstance(fill_value, Tensor):
        dtype = D.scalar_dtype(fill_value)
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    return _filled(fill_value, (size,) if isinstance(size, int) else tuple(size), dtype, device,
                   requires_grad)


def _like(fill, input, dtype, device, requires_grad):
    return _filled(fill, input._data.shape, dtype or input.dtype,
                   device if device is not None else input.device, requires_grad)


def zeros_like(input, *, dtype=None, device=None, requires_grad=False, memory_format=None,
               layout=None):
    return _like(0, input, dtype, device, requires_grad)


def ones_like(input, *, dtype=None, device=None, requires_grad=False, memory_format=None,
              layout=None):
    return _like(1, input, dtype, device, requires_grad)


def empty_like(input, *, dtype=None, device=None, requires_grad=False, memory_format=None,
               layout=None):
    return _like(0, input, dtype, device, requires_grad)


def full_like(input, fill_value, *, dtype=None, device=None, requires_grad=False,
              memory_format=None, layout=None):
    return _like(fill_value, input, dtype, device, requires_grad)


def eye(n, m=None, *, dtype=None, device=None, requires_grad=False, out=None, layout=None):
    if n < 0 or (m is not None and m < 0):
        raise RuntimeError(f"n must be greater or equal to 0, got {n if n < 0 else m}")
    dt = D.to_dtype(dtype) or D.get_default_dtype()
    t = Tensor._wrap(xp_for(to_device(device)).eye(n, m, dtype=dt.np))
    if requires_grad:
        t.requires_grad = True
    return t


def arange(start, end=None, step=1, *, dtype=None, device=None, requires_grad=False, out=None,
           layout=None):
    if end is None:
        start, end = 0, start
    vals = [v.item() if isinstance(v, Tensor) else v for v in (start, end, step)]
    start, end, step = vals
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if (end - start) * step < 0:
        raise RuntimeError("upper bound and larger bound inconsistent with step sign")
    if dtype is None:
        dtype = D.get_default_dtype() if any(isinstance(v, float) for v in vals) else D.int64
    dt = D.to_dtype(dtype)
    n = builtins.max(0, int(np.ceil((end - start) / step)))
    arr = (start + step * np.arange(n, dtype=np.float64)) if dt.category >= 2 or \
        any(isinstance(v, float) for v in vals) else np.arange(start, end, step)
    return _finish(np.asarray(arr), dt, device, requires_grad, copy=False)


def _random_out(arr, dtype, device, requires_grad, default):
    dt = D.to_dtype(dtype) or default
    return _finish(np.asarray(arr), dt, device, requires_grad, copy=False)


def rand(*size, generator=None, dtype=None, device=None, requires_grad=False, out=None,
         layout=None):
    """Uniform on [0, 1)."""
    dt = D.to_dtype(dtype) or D.get_default_dtype()
    if dt.category != D._FLOAT:
        raise RuntimeError(f'"check_uniform_bounds" not implemented for \'{dt._short}\'')
    arr = rng(generator).random(shape_arg(size), dtype=np.float64 if dt is D.float64 else np.float32)
    return _random_out(arr, dt, device, requires_grad, dt)


def randn(*size, generator=None, dtype=None, device=None, requires_grad=False, out=None,
          layout=None):
    """Standard normal."""
    dt = D.to_dtype(dtype) or D.get_default_dtype()
    if dt.category < D._FLOAT:
        raise RuntimeError(f'"normal_kernel_cpu" not implemented for \'{dt._short}\'')
    g = rng(generator)
    shape = shape_arg(size)
    if dt.category == D._COMPLEX:
        re = g.standard_normal(shape) * np.sqrt(0.5)
        arr = re + 1j * g.standard_normal(shape) * np.sqrt(0.5)
    else:
        arr = g.standard_normal(shape, dtype=np.float64 if dt is D.float64 else np.float32)
    return _random_out(arr, dt, device, requires_grad, dt)


def rand_like(input, *, dtype=None, device=None, requires_grad=False, memory_format=None):
    return rand(input._data.shape, dtype=dtype or input.dtype,
                device=device if device is not None else input.device,
                requires_grad=requires_grad)


def randn_like(input, *, dtype=None, device=None, requires_grad=False, memory_format=None):
    return randn(input._data.shape, dtype=dtype or input.dtype,
                 device=device if device is not None else input.device,
                 requires_grad=requires_grad)
