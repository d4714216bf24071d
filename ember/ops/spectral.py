"""The discrete Fourier transforms as Functions (complex-to-complex, real-to-complex and
complex-to-real, over any dims, through NumPy's pocketfft) and the zero-pad / crop between them;
ember.fft is the public facade over them."""
import numpy as np

from .. import _tensor
from ..autograd.function import Function

_CTX_AUDITED = True   # every array a Function here keeps on ctx is in its _ctx_arrays


_Tensor = _tensor.Tensor


def _complex_of(npdt):
    return np.complex64 if npdt in (np.float32, np.complex64) else np.complex128


def _real_of(npdt):
    return np.float32 if npdt in (np.float32, np.complex64) else np.float64


def _weights(n, dim, ndim, npdt):
    """Hermitian weights of the n//2+1 bins along ``dim``, shaped to broadcast there."""
    w = np.full(n // 2 + 1, 2.0, dtype=npdt)
    w[0] = 1
    if n % 2 == 0:
        w[-1] = 1
    return _Tensor._wrap(w.reshape((-1,) + (1,) * (ndim - 1 - dim)))


class _Resize(Function):
    """Trim or zero-pad ``dims`` to ``sizes``; the adjoint is the resize back."""

    @staticmethod
    def forward(ctx, a, dims, sizes):
        x = a._data
        ctx.back = (dims, tuple(x.shape[d] for d in dims))
        x = x[tuple(slice(0, sizes[dims.index(d)]) if d in dims else slice(None)
                    for d in range(x.ndim))]
        pad = [(0, 0)] * x.ndim
        for d, n in zip(dims, sizes):
            pad[d] = (0, max(n - x.shape[d], 0))
        return np.pad(x, pad) if any(p[1] for p in pad) else x.copy()

    @staticmethod
    def backward(ctx, g):
        return _Resize.apply(g, *ctx.back), None, None


class FftC2C(Function):
    _builtin = True

    # d (scale F x) = scale F^H g: the unnormalised DFT with the other sign
    @staticmethod
    def forward(ctx, a, dims, inv, scale):
        ctx.args = (dims, inv, scale)
        x = a._data
        out = np.fft.ifftn(x, axes=dims, norm="forward") if inv else np.fft.fftn(x, axes=dims)
        if scale != 1:
            out *= scale
        return out.astype(_complex_of(x.dtype), copy=False)

    @staticmethod
    def backward(ctx, g):
        dims, inv, scale = ctx.args
        return FftC2C.apply(g, dims, not inv, scale), None, None, None


class FftR2C(Function):
    _builtin = True

    # d (scale S F x) = Re(scale F^H zero-pad(g)) = C2R(g / w) with the other sign
    @staticmethod
    def forward(ctx, a, dims, inv, scale):
        x = a._data
        ctx.args = (dims, inv, scale, x.shape[dims[-1]])
        out = np.fft.rfftn(x, axes=dims)
        if inv:
            np.conjugate(out, out=out)
        if scale != 1:
            out *= scale
        return out.astype(_complex_of(x.dtype), copy=False)

    @staticmethod
    def backward(ctx, g):
        dims, inv, scale, n = ctx.args
        w = _weights(n, dims[-1], g.dim(), _real_of(g._data.dtype))
        return FftC2R.apply(g / w, dims, n, not inv, scale), None, None, None


class FftC2R(Function):
    _builtin = True

    # d (scale Re(G (w x))) = scale w G^H g = w R2C(g) with the other sign
    @staticmethod
    def forward(ctx, a, dims, n, inv, scale):
        x = a._data
        ctx.args = (dims, inv, scale, n)
        if not inv:
            x = np.conjugate(x)
        sizes = [x.shape[d] for d in dims[:-1]] + [n]
        out = np.fft.irfftn(x, s=sizes, axes=dims, norm="forward")
        if scale != 1:
            out *= scale
        return out.astype(_real_of(x.dtype), copy=False)

    @staticmethod
    def backward(ctx, g):
        dims, inv, scale, n = ctx.args
        w = _weights(n, dims[-1], g.dim(), g._data.dtype)
        return FftR2C.apply(g, dims, not inv, scale) * w, None, None, None, None
