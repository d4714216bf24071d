"""Complex numbers: real and imaginary parts (views, as PyTorch's), conj, angle, and the
conversions between a complex tensor and a real one with a trailing dim of 2.

Gradients follow PyTorch's convention for complex inputs: the gradient of a real loss L at z =
x + iy is dL/dx + i dL/dy. So real(z) sends g back as g, imag(z) as i g, conj as conj(g), and
angle(z) = atan2(y, x) as g (-y + i x) / |z|^2."""
import numpy as np

from .. import _dtype as D
from .. import _tensor
from ..autograd.function import Function
from ._util import check_tensor

__all__ = ["real", "imag", "conj", "conj_physical", "resolve_conj", "resolve_neg", "is_conj",
           "angle", "view_as_real", "view_as_complex", "complex", "polar"]
_CTX_AUDITED = True   # every array a Function here keeps on ctx is in its _ctx_arrays


def _need_complex(t, name):
    if not t.is_complex():
        raise RuntimeError(f"{name} is not implemented for tensors with non-complex dtypes.")


class Real(Function):
    _builtin = True

    # d real(z) = g (a real gradient is a complex one with no imaginary part)
    @staticmethod
    def forward(ctx, z):
        return z._view_of(z._data.real)

    @staticmethod
    def backward(ctx, g):
        return complex(g, g.new_zeros(()).expand_as(g))


class Imag(Function):
    _builtin = True

    # d imag(z) = i g
    @staticmethod
    def forward(ctx, z):
        return z._view_of(z._data.imag)

    @staticmethod
    def backward(ctx, g):
        return complex(g.new_zeros(()).expand_as(g), g)


class Conj(Function):
    _builtin = True

    # d conj(z) = conj(g)
    @staticmethod
    def forward(ctx, z):
        return np.conj(z._data)

    @staticmethod
    def backward(ctx, g):
        return Conj.apply(g)


class Angle(Function):
    _builtin = True

    # d angle(z) = g (-y + i x) / |z|^2 = g i z / |z|^2; for real input, 0 (it is piecewise constant)
    @staticmethod
    def forward(ctx, z):
        ctx.save_for_backward(z)
        out = np.angle(z._data)
        if not z.is_complex():
            out = out.astype((z.dtype if z.is_floating_point() else D.get_default_dtype()).np)
        return out

    @staticmethod
    def backward(ctx, g):
        (z,) = ctx.saved_tensors
        if not z.is_complex():
            return g * 0
        mag2 = real(z * Conj.apply(z))
        return (g * z * 1j) / mag2


class ViewAsReal(Function):
    _builtin = True

    # the adjoint is view_as_complex
    @staticmethod
    def forward(ctx, z):
        d = z._data
        real = np.float32 if d.dtype == np.complex64 else np.float64
        return z._view_of(d.view(real).reshape(d.shape + (2,)))

    @staticmethod
    def backward(ctx, g):
        return ViewAsComplex.apply(g.contiguous())


class ViewAsComplex(Function):
    _builtin = True

    # the adjoint is view_as_real
    @staticmethod
    def forward(ctx, x):
        d = x._data
        if d.dtype not in (np.float32, np.float64):
            raise RuntimeError(f"view_as_complex is only supported for float and double tensors, "
                               f"but got a tensor of scalar type: {x.dtype._short}")
        if not d.ndim or d.shape[-1] != 2:
            raise RuntimeError("Tensor must have a last dimension of size 2")
        if d.strides[-1] != d.itemsize:
            raise RuntimeError("Tensor must have a last dimension with stride 1")
        if any(s % (2 * d.itemsize) for s in d.strides[:-1]):
            raise RuntimeError("Tensor must have a stride divisible by 2 for all but last dimension")
        cplx = np.complex64 if d.dtype == np.float32 else np.complex128
        return x._view_of(d.view(cplx)[..., 0])

    @staticmethod
    def backward(ctx, g):
        return ViewAsReal.apply(g)


def real(input):
    check_tensor(input, "real")
    return Real.apply(input) if input.is_complex() else input


def imag(input):
    check_tensor(input, "imag")
    _need_complex(input, "imag")
    return Imag.apply(input)


def conj(input):
    check_tensor(input, "conj")
    return Conj.apply(input) if input.is_complex() else input


def conj_physical(input):
    check_tensor(input, "conj_physical")
    return Conj.apply(input) if input.is_complex() else input.clone()


def resolve_conj(input):
    return input        # ember's conj is never lazy: there is no conjugate bit to resolve


resolve_neg = resolve_conj


def is_conj(input):
    return False


def angle(input):
    check_tensor(input, "angle")
    return Angle.apply(input)


def view_as_real(input):
    check_tensor(input, "view_as_real")
    if not input.is_complex():
        raise RuntimeError("view_as_real is only supported for complex tensors")
    return ViewAsReal.apply(input)


def view_as_complex(input):
    check_tensor(input, "view_as_complex")
    return ViewAsComplex.apply(input)


def complex(real, imag):    # noqa: A001 - PyTorch's name
    """real + i imag, both float tensors of the same dtype (broadcast)."""
    for name, t in (("real", real), ("imag", imag)):
        if not isinstance(t, _tensor.Tensor):
            raise TypeError(f"complex(): argument '{name}' must be Tensor, not {type(t).__name__}")
    if real.dtype is not imag.dtype:
        raise RuntimeError(f"Expected object of scalar type {real.dtype._short} but got scalar "
                           f"type {imag.dtype._short} for second argument")
    if real.dtype not in (D.float16, D.float32, D.float64):
        raise RuntimeError(f"Expected both inputs to be Half, Float or Double tensors but got "
                           f"{real.dtype._short} and {imag.dtype._short}")
    return real + imag * 1j


def polar(abs, angle):    # noqa: A002 - PyTorch's names
    """abs * (cos(angle) + i sin(angle))."""
    return complex(abs * angle.cos(), abs * angle.sin())


class ComplexMethods:
    __slots__ = ()

    @property
    def real(self):
        return real(self)

    @real.setter
    def real(self, value):
        real(self).copy_(value)

    @property
    def imag(self):
        return imag(self)

    @imag.setter
    def imag(self, value):
        imag(self).copy_(value)

    def conj(self):
        return conj(self)

    def conj_physical(self):
        return conj_physical(self)

    def resolve_conj(self):
        return resolve_conj(self)

    def resolve_neg(self):
        return resolve_neg(self)

    def is_conj(self):
        return False

    def angle(self):
        return angle(self)
