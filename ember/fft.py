"""``ember.fft``: discrete Fourier transforms (PyTorch's torch.fft namespace), computed by
``np.fft``.

Three Functions do all the transforms, each an unnormalised DFT times a real ``scale``:
``FftC2C`` (complex -> complex), ``FftR2C`` (real -> the first n//2+1 bins of the last
transformed dim) and ``FftC2R`` (Hermitian half -> real). ``inv`` picks the sign of the
exponent (False: e^{-i..} as fft, True: e^{+i..} as ifft). Padding / trimming to ``n`` / ``s``
is a separate ``_Resize`` whose adjoint is the resize back. Gradients follow PyTorch's
convention (the conjugate Wirtinger derivative), so the adjoint of each transform is the
transform with the other sign:
  C2C(inv)  -> C2C(not inv)
  R2C(inv)  -> C2R(not inv) of g / w      (Re of the zero-padded full inverse DFT)
  C2R(inv)  -> R2C(not inv) times w
with ``w`` the Hermitian weights of the half spectrum (1 for the DC bin and, for even n, the
Nyquist bin; 2 for the interior bins, which stand for themselves and their mirror images).
All backwards are ember ops, so they are differentiable again."""
import math

import numpy as np

from . import _dtype as D
from .ops.shape import roll
from .ops.spectral import FftC2C, FftC2R, FftR2C, _Resize, _Tensor

__all__ = ["fft", "ifft", "rfft", "irfft", "hfft", "ihfft", "fft2", "ifft2", "rfft2", "irfft2",
           "hfft2", "ihfft2", "fftn", "ifftn", "rfftn", "irfftn", "hfftn", "ihfftn", "fftfreq",
           "rfftfreq", "fftshift", "ifftshift"]


# -- argument handling ----------------------------------------------------------------------

def _check_tensor(x, op):
    if not isinstance(x, _Tensor):
        raise TypeError(f"fft_{op}(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(x).__name__}")


def _input(x, op, real=False):
    dt = x.dtype
    if dt is D.float16:
        raise RuntimeError("Unsupported dtype Half")
    if dt.category < D._FLOAT:
        x = x.to(D.get_default_dtype())
    elif real and dt.category == D._COMPLEX:
        raise RuntimeError(f"{op} expects a real input tensor, but got {dt._short}")
    return x


def _as_complex(x):
    if x.is_complex():
        return x
    return x.to(D.complex64 if x.dtype is D.float32 else D.complex128)


def _scale(norm, size, inv):
    if norm is None or norm == "backward":
        return 1.0 / size if inv else 1.0
    if norm == "ortho":
        return 1.0 / math.sqrt(size)
    if norm == "forward":
        return 1.0 if inv else 1.0 / size
    raise RuntimeError(f'Invalid normalization mode: "{norm}"')


def _check_n(n):
    if n < 1:
        raise RuntimeError(f"Invalid number of data points ({n}) specified")
    return n


def _int_arg(v, op, name):
    if v is not None and (isinstance(v, bool) or not isinstance(v, (int, np.integer))):
        raise TypeError(f"fft_{op}(): argument '{name}' must be int, not {type(v).__name__}")


def _dims_1d(x, n, dim, op):
    _check_tensor(x, op)
    _int_arg(n, op, "n")
    _int_arg(dim, op, "dim")
    nd = x.dim()
    if nd == 0:
        raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
    if not -nd <= dim < nd:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-nd}, {nd - 1}], "
                         f"but got {dim})")
    return (dim % nd,), (None if n is None else [_check_n(n)])


def _dims_nd(x, s, dim, op):
    _check_tensor(x, op)
    if isinstance(s, (int, np.integer)):
        s = (s,)
    if isinstance(dim, (int, np.integer)):
        dim = (dim,)
    if s is not None:
        s = list(s)
        for v in s:
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
                raise TypeError(f"fft_{op}(): argument 's' must be tuple of ints, not tuple")
    nd = x.dim()
    if dim is None:
        if s is None:
            dims = tuple(range(nd))
        else:
            if len(s) > nd:
                raise RuntimeError(f"Got shape with {len(s)} values but input tensor only has "
                                   f"{nd} dimensions.")
            dims = tuple(range(nd - len(s), nd))
    else:
        dims = []
        for d in dim:
            if not -max(nd, 1) <= d < max(nd, 1):
                raise IndexError(f"Dimension out of range (expected to be in range of "
                                 f"[{-max(nd, 1)}, {max(nd, 1) - 1}], but got {d})")
            dims.append(d % max(nd, 1))
        dims = tuple(dims)
        if len(set(dims)) != len(dims):
            raise RuntimeError("FFT dims must be unique")
        if s is not None and len(s) != len(dims):
            raise RuntimeError("When given, dim and shape arguments must have the same length")
    return dims, s


def _resize(x, dims, sizes):
    if all(x.shape[d] == n for d, n in zip(dims, sizes)):
        return x
    return _Resize.apply(x, dims, tuple(sizes))


def _c2c(x, dims, s, norm, inv, op):
    x = _as_complex(_input(x, op))
    if s is None:
        sizes = [x.shape[d] for d in dims]
    else:
        sizes = [x.shape[d] if v == -1 else _check_n(v) for d, v in zip(dims, s)]
    for n in sizes:
        _check_n(n)
    if not dims:
        return x.clone()
    x = _resize(x, dims, sizes)
    return FftC2C.apply(x, dims, inv, _scale(norm, math.prod(sizes), inv))


def _r2c(x, dims, s, norm, inv, op):
    x = _input(x, op, real=True)
    if not dims:
        raise RuntimeError(f"{op} must transform at least one axis")
    if s is None:
        sizes = [x.shape[d] for d in dims]
    else:
        sizes = [x.shape[d] if v == -1 else _check_n(v) for d, v in zip(dims, s)]
    for n in sizes:
        _check_n(n)
    x = _resize(x, dims, sizes)
    return FftR2C.apply(x, dims, inv, _scale(norm, math.prod(sizes), inv))


def _c2r(x, dims, s, norm, inv, op):
    x = _as_complex(_input(x, op))
    if not dims:
        raise RuntimeError(f"{op} must transform at least one axis")
    if s is None:
        sizes = [x.shape[d] for d in dims[:-1]] + [2 * (x.shape[dims[-1]] - 1)]
    else:
        sizes = [x.shape[d] if v == -1 else _check_n(v) for d, v in zip(dims[:-1], s[:-1])]
        sizes.append(2 * (x.shape[dims[-1]] - 1) if s[-1] == -1 else _check_n(s[-1]))
    for n in sizes:
        _check_n(n)
    n = sizes[-1]
    x = _resize(x, dims, sizes[:-1] + [n // 2 + 1])
    return FftC2R.apply(x, dims, n, inv, _scale(norm, math.prod(sizes), inv))


# -- the public functions -------------------------------------------------------------------

def fft(input, n=None, dim=-1, norm=None):
    return _c2c(input, *_dims_1d(input, n, dim, "fft"), norm, False, "fft")


def ifft(input, n=None, dim=-1, norm=None):
    return _c2c(input, *_dims_1d(input, n, dim, "ifft"), norm, True, "ifft")


def rfft(input, n=None, dim=-1, norm=None):
    return _r2c(input, *_dims_1d(input, n, dim, "rfft"), norm, False, "rfft")


def irfft(input, n=None, dim=-1, norm=None):
    return _c2r(input, *_dims_1d(input, n, dim, "irfft"), norm, True, "irfft")


def hfft(input, n=None, dim=-1, norm=None):
    return _c2r(input, *_dims_1d(input, n, dim, "hfft"), norm, False, "hfft")


def ihfft(input, n=None, dim=-1, norm=None):
    return _r2c(input, *_dims_1d(input, n, dim, "ihfft"), norm, True, "ihfft")


def fftn(input, s=None, dim=None, norm=None):
    return _c2c(input, *_dims_nd(input, s, dim, "fftn"), norm, False, "fftn")


def ifftn(input, s=None, dim=None, norm=None):
    return _c2c(input, *_dims_nd(input, s, dim, "ifftn"), norm, True, "ifftn")


def rfftn(input, s=None, dim=None, norm=None):
    return _r2c(input, *_dims_nd(input, s, dim, "rfftn"), norm, False, "rfftn")


def irfftn(input, s=None, dim=None, norm=None):
    return _c2r(input, *_dims_nd(input, s, dim, "irfftn"), norm, True, "irfftn")


def hfftn(input, s=None, dim=None, norm=None):
    return _c2r(input, *_dims_nd(input, s, dim, "hfftn"), norm, False, "hfftn")


def ihfftn(input, s=None, dim=None, norm=None):
    return _r2c(input, *_dims_nd(input, s, dim, "ihfftn"), norm, True, "ihfftn")


def fft2(input, s=None, dim=(-2, -1), norm=None):
    return fftn(input, s, dim, norm)


def ifft2(input, s=None, dim=(-2, -1), norm=None):
    return ifftn(input, s, dim, norm)


def rfft2(input, s=None, dim=(-2, -1), norm=None):
    return rfftn(input, s, dim, norm)


def irfft2(input, s=None, dim=(-2, -1), norm=None):
    return irfftn(input, s, dim, norm)


def hfft2(input, s=None, dim=(-2, -1), norm=None):
    return hfftn(input, s, dim, norm)


def ihfft2(input, s=None, dim=(-2, -1), norm=None):
    return ihfftn(input, s, dim, norm)


# -- helpers --------------------------------------------------------------------------------

def _freq_tensor(arr, dtype, requires_grad):
    dt = D.get_default_dtype() if dtype is None else dtype
    t = _Tensor._wrap(arr.astype(dt.np))
    return t.requires_grad_() if requires_grad else t


def fftfreq(n, d=1.0, *, dtype=None, layout=None, device=None, requires_grad=False):
    return _freq_tensor(np.fft.fftfreq(n, d) if n else np.zeros(0), dtype, requires_grad)


def rfftfreq(n, d=1.0, *, dtype=None, layout=None, device=None, requires_grad=False):
    return _freq_tensor(np.fft.rfftfreq(n, d) if n else np.zeros(0), dtype, requires_grad)


def _shift(input, dim, sign):
    dims = list(range(input.dim())) if dim is None else \
        [dim] if isinstance(dim, (int, np.integer)) else list(dim)
    if not dims:
        return input.clone()
    shifts = [sign * (input.shape[d] // 2) for d in dims]
    return roll(input, shifts, dims)


def fftshift(input, dim=None):
    return _shift(input, dim, 1)


def ifftshift(input, dim=None):
    return _shift(input, dim, -1)
