"""Arithmetic: + - * / // % ** and negation. Gradients are written in ember ops."""
import numpy as np

from .. import _dtype as D
from .. import _tensor
from ..autograd.function import Function
from ..autograd.grad_mode import STATE
from . import _parallel
from ._number import number
from ._util import broadcast_error, call, float_dtype, operands, quiet, result_dtype
from ._util import conj as _conj

__all__ = ["add", "sub", "mul", "div", "neg", "pow", "floor_divide", "remainder", "fmod",
           "true_divide", "subtract", "multiply", "divide", "negative", "rsub", "square",
           "float_power", "ArithMethods"]
_CTX_AUDITED = True   # every array a Function here keeps on ctx is in its _ctx_arrays
_SPLIT_BYTES = _parallel.MIN_BYTES


class Add(Function):
    _builtin = True
    alpha = 1   # forward sets another

    # d(a + alpha*b) = (1, alpha)
    @staticmethod
    def forward(ctx, a, b, alpha=1):
        x, y, _ = operands(a, b)
        if alpha != 1:
            ctx.alpha = alpha
        try:
            if alpha != 1:
                return x + alpha * y
            if x.__class__ is np.ndarray and x.nbytes >= _SPLIT_BYTES:
                z = _parallel.binary(np, np.add, x, y)
                if z is not None:
                    return z
            return x + y
        except ValueError:
            raise broadcast_error(np.shape(x), np.shape(y)) from None

    @staticmethod
    def backward(ctx, g):
        if not ctx.needs_input_grad[1]:
            return g, None
        return g, (g if ctx.alpha == 1 else g * ctx.alpha)

    @staticmethod
    def onnx(graph, ctx, a, b, alpha=1):
        dt = graph.out[0].dtype
        y = graph.operand(b, dt)
        if alpha != 1:
            y = graph.op("Mul", y, graph.scalar(alpha, dt))
        return graph.op("Add", graph.operand(a, dt), y)


class Sub(Function):
    _builtin = True

    # d(a - alpha*b) = (1, -alpha)
    @staticmethod
    def forward(ctx, a, b, alpha=1):
        x, y, dt = operands(a, b)
        if dt is D.bool:
            raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not "
                               "supported. Use the `^` or `logical_xor()` operator instead.")
        if D.bool in (getattr(a, "dtype", None), getattr(b, "dtype", None)):
            raise RuntimeError("Subtraction, the `-` operator, with a bool tensor is not "
                               "supported. If you are trying to invert a mask, use the `~` or "
                               "`logical_not()` operator instead.")
        ctx.alpha = alpha
        try:
            return x - y if alpha == 1 else x - alpha * y
        except ValueError:
            raise broadcast_error(np.shape(x), np.shape(y)) from None

    @staticmethod
    def backward(ctx, g):
        if not ctx.needs_input_grad[1]:
            return g, None
        return g, (-g if ctx.alpha == 1 else g * -ctx.alpha)

    @staticmethod
    def onnx(graph, ctx, a, b, alpha=1):
        dt = graph.out[0].dtype
        y = graph.operand(b, dt)
        if alpha != 1:
            y = graph.op("Mul", y, graph.scalar(alpha, dt))
        return graph.op("Sub", graph.operand(a, dt), y)


class Mul(Function):
    _builtin = True
    scalars = (None, None)   # the operands that are Python numbers (forward sets any)

    # d(a*b) = (b, a)
    @staticmethod
    def forward(ctx, a, b):
        x, y, _ = operands(a, b)
        # keep only what backward reads: b for a's gradient, a for b's (as PyTorch does, so
        # an in-place change to the operand whose gradient is not needed is allowed)
        need = ctx.needs_input_grad
        Tensor = _tensor.Tensor
        ta, tb = isinstance(a, Tensor), isinstance(b, Tensor)
        ctx.save_for_backward(a if need[1] and ta else None, b if need[0] and tb else None)
        if not (ta and tb):   # (two tensors: the class's (None, None))
            ctx.scalars = (None if ta else a, None if tb else b)
        try:
            return quiet(np.multiply, x, y)
        except ValueError:
            raise broadcast_error(np.shape(x), np.shape(y)) from None

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        sa, sb = ctx.scalars
        need = ctx.needs_input_grad
        return MulGrad.apply(g, sa if a is None else a, sb if b is None else b, need[0], need[1])

    @staticmethod
    def onnx(graph, ctx, a, b):
        dt = graph.out[0].dtype
        return graph.op("Mul", graph.operand(a, dt), graph.operand(b, dt))


class MulGrad(Function):
    """Mul's gradient as one node: ``(g * conj(b), g * conj(a))``, each only where asked
    (``need_a``, ``need_b``), in the dtype ``g * b`` would have. Its own gradient, written in
    ember ops, is that of the two products."""
    _builtin = True

    @staticmethod
    def forward(ctx, g, a, b, need_a, need_b):
        if True in ctx.needs_input_grad:   # only a recorded (create_graph) node reads them
            ctx.save_for_backward(g, a if isinstance(a, _tensor.Tensor) else None,
                                  b if isinstance(b, _tensor.Tensor) else None)
            ctx.scalars = (a, b)
        return (_times_conj(g, b) if need_a else None), (_times_conj(g, a) if need_b else None)

    @staticmethod
    def backward(ctx, gga, ggb):
        g, a, b = ctx.saved_tensors
        sa, sb = ctx.scalars
        a = sa if a is None else a
        b = sb if b is None else b
        # ga = g * conj(b), gb = g * conj(a): each is linear in g; through conj, the
        # gradient reaching b (a) is conj(gga * conj(g)) = conj(gga) * g
        dg = None
        if gga is not None:
            dg = gga * b
        if ggb is not None:
            dg = ggb * a if dg is None else dg + ggb * a
        da = _conj(ggb) * g if ggb is not None else None
        db = _conj(gga) * g if gga is not None else None
        return dg, da, db, None, None


def _times_conj(g, v):
    """The array ``g * conj(v)`` for a Tensor ``g`` and a Tensor or number ``v``, promoted as
    ember's ``*`` promotes."""
    if v.__class__ is _tensor.Tensor:
        x, y = g._data, v._data
        if x.dtype is y.dtype and x.dtype.kind == "f":   # one real dtype: nothing to promote
            return quiet(np.multiply, x, y)
    x, y, dt = operands(g, v)
    if dt.category == D._COMPLEX:
        y = y.conjugate()   # an array's, or a Python number's (np.conjugate would make it strong)
    return quiet(call, np.multiply, x, y)


class Div(Function):
    _builtin = True

    # d(a/b) = (1/b, -a/b^2)
    @staticmethod
    def forward(ctx, a, b):
        dt = float_dtype(result_dtype(a, b))
        x, y, _ = operands(a, b, dt)
        need = ctx.needs_input_grad
        Tensor = _tensor.Tensor
        ctx.save_for_backward(a if need[1] and isinstance(a, Tensor) else None,
                              b if isinstance(b, Tensor) else None)
        ctx.scalars = (None if isinstance(a, Tensor) else a,
                       None if isinstance(b, Tensor) else b)
        return quiet(call, np.true_divide, x, y)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        sa, sb = ctx.scalars
        a = sa if a is None else a
        b = sb if b is None else b
        need = ctx.needs_input_grad
        ga = g / _conj(b) if need[0] else None
        gb = -g * _conj(a / (b * b)) if need[1] else None
        return ga, gb

    @staticmethod
    def onnx(graph, ctx, a, b):
        dt = graph.out[0].dtype
        return graph.op("Div", graph.operand(a, dt), graph.operand(b, dt))


class Neg(Function):
    _builtin = True

    # d(-a) = -1
    @staticmethod
    def forward(ctx, a):
        if a.dtype is D.bool:
            raise RuntimeError("Negation, the `-` operator, on a bool tensor is not supported. "
                               "If you are trying to invert a mask, use the `~` or "
                               "`logical_not()` operator instead.")
        return -a._data

    @staticmethod
    def backward(ctx, g):
        return -g

    @staticmethod
    def onnx(graph, ctx, a):
        return graph.op("Neg", a)


class Pow(Function):
    _builtin = True

    # d(a^b) = (b * a^(b-1), a^b * log(a))
    @staticmethod
    def forward(ctx, a, b):
        x, y, dt = operands(a, b)
        if dt.category == D._INT and (np.any(np.asarray(y) < 0)):
            raise RuntimeError("Integers to negative integer powers are not allowed.")
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            out = call(np.power, x, y)
        Tensor = _tensor.Tensor
        out = Tensor._wrap(out)
        ctx.save_for_backward(a if isinstance(a, Tensor) else None,
                              b if isinstance(b, _tensor.Tensor) else None, out)
        ctx.scalars = (None if isinstance(a, Tensor) else a,
                       None if isinstance(b, Tensor) else b)
        return out

    @staticmethod
    def backward(ctx, g):
        a, b, out = ctx.saved_tensors
        sa, sb = ctx.scalars
        need = ctx.needs_input_grad
        ga = gb = None
        if need[0]:
            if b is None:
                if sb == 0:
                    ga = g * 0.0
                elif sb == 2:
                    ga = g * _conj(2.0 * a)
                else:
                    ga = g * _conj(sb * a ** (sb - 1))
            else:
                ga = g * _conj((b * a ** (b - 1)).masked_fill(b == 0, 0.0))
        if need[1]:
            base = a if a is not None else sa
            if a is None:
                if isinstance(sa, complex):
                    logb = np.log(sa) if sa != 0 else -np.inf
                else:
                    logb = np.log(sa) if sa > 0 else (np.nan if sa < 0 else -np.inf)
                gb = g * _conj(out * logb)
                if sa == 0:
                    gb = gb.masked_fill(b >= 0, 0.0)
            else:
                gb = (g * _conj(out * base.log())).masked_fill((base == 0) & (b >= 0), 0.0)
        return ga, gb

    @staticmethod
    def onnx(graph, ctx, a, b):
        dt = graph.out[0].dtype
        x = graph.operand(a, dt)
        if not isinstance(b, str) and b == 2:
            return graph.op("Mul", x, x)     # exact, as NumPy's x ** 2
        return graph.op("Pow", x, graph.operand(b, dt))


class FloorDivide(Function):
    _builtin = True

    # floor(a/b) is piecewise constant: zero gradient
    @staticmethod
    def forward(ctx, a, b):
        x, y, dt = operands(a, b)
        if dt.category == D._INT and np.any(np.asarray(y) == 0):
            raise RuntimeError("ZeroDivisionError")
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.floor_divide(x, y) if dt.category == D._INT else np.floor(x / y)

    @staticmethod
    def backward(ctx, g):
        return g * 0, None

    @staticmethod
    def onnx(graph, ctx, a, b):
        dt = graph.out[0].dtype
        x, y = graph.operand(a, dt), graph.operand(b, dt)
        if dt.kind == "f":
            return graph.op("Floor", graph.op("Div", x, y))
        return graph.op("Div", graph.op("Sub", x, graph.op("Mod", x, y, fmod=0)), y)   # exact for ints


class TruncDivide(Function):
    _builtin = True

    # trunc(a/b) is piecewise constant: zero gradient
    @staticmethod
    def forward(ctx, a, b):
        x, y, dt = operands(a, b)
        with np.errstate(divide="ignore", invalid="ignore"):
            if dt.category == D._INT:
                if np.any(np.asarray(y) == 0):
                    raise RuntimeError("ZeroDivisionError")
                q = np.abs(x) // np.abs(y)
                return (np.sign(x) * np.sign(y) * q).astype(dt.np)
            return np.trunc(x / y)

    @staticmethod
    def backward(ctx, g):
        return g * 0, None

    @staticmethod
    def onnx(graph, ctx, a, b):
        dt = graph.out[0].dtype
        q = graph.op("Div", graph.operand(a, dt), graph.operand(b, dt))   # integer Div truncates
        if dt.kind == "f":
            q = graph.op("Sub", q, graph.op("Mod", q, graph.scalar(1, dt), fmod=1))
        return q


class Remainder(Function):
    _builtin = True

    # a - floor(a/b)*b: d/da = 1, d/db = -floor(a/b)
    @staticmethod
    def forward(ctx, a, b):
        x, y, dt = operands(a, b)
        if dt.category == D._INT and np.any(np.asarray(y) == 0):
            raise RuntimeError("ZeroDivisionError")
        ctx.save_for_backward(a if isinstance(a, _tensor.Tensor) else None,
                              b if isinstance(b, _tensor.Tensor) else None)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.remainder(x, y)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        gb = None
        if ctx.needs_input_grad[1]:
            gb = -g * floor_divide(a, b) if a is not None else None
        return g, gb

    @staticmethod
    def onnx(graph, ctx, a, b):
        dt = graph.out[0].dtype
        x, y = graph.operand(a, dt), graph.operand(b, dt)
        if dt.kind != "f":
            return graph.op("Mod", x, y, fmod=0)
        # ONNX's Mod takes floats only as fmod: a - floor(a/b) b instead
        return graph.op("Sub", x, graph.op("Mul", graph.op("Floor", graph.op("Div", x, y)), y))


class Fmod(Function):
    _builtin = True

    # a - trunc(a/b)*b: d/da = 1, d/db = -trunc(a/b)
    @staticmethod
    def forward(ctx, a, b):
        x, y, dt = operands(a, b)
        ctx.save_for_backward(a if isinstance(a, _tensor.Tensor) else None,
                              b if isinstance(b, _tensor.Tensor) else None)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.fmod(x, y)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        gb = None
        if ctx.needs_input_grad[1] and a is not None:
            gb = -g * div(a, b, rounding_mode="trunc")
        return g, gb

    @staticmethod
    def onnx(graph, ctx, a, b):
        dt = graph.out[0].dtype
        return graph.op("Mod", graph.operand(a, dt), graph.operand(b, dt), fmod=1)


# -- functional forms ---------------------------------------------------------------------

def add(input, other, *, alpha=1, out=None):
    if alpha.__class__ is not int:    # a 0-d tensor alpha is its value
        alpha = number(alpha, "add", "alpha")
    return _out(Add.apply(input, other, alpha) if alpha != 1 else Add.apply(input, other), out)


def sub(input, other, *, alpha=1, out=None):
    if alpha.__class__ is not int:    # a 0-d tensor alpha is its value
        alpha = number(alpha, "sub", "alpha")
    return _out(Sub.apply(input, other, alpha) if alpha != 1 else Sub.apply(input, other), out)


subtract = sub


def rsub(input, other, *, alpha=1):
    if alpha.__class__ is not int:    # a 0-d tensor alpha is its value
        alpha = number(alpha, "rsub", "alpha")
    return sub(other, input, alpha=alpha) if alpha == 1 else Sub.apply(other, input, alpha)


def mul(input, other, *, out=None):
    return _out(Mul.apply(input, other), out)


multiply = mul


def div(input, other, *, rounding_mode=None, out=None):
    if rounding_mode is None:
        r = Div.apply(input, other)
    elif rounding_mode == "floor":
        r = FloorDivide.apply(input, other)
    elif rounding_mode == "trunc":
        r = TruncDivide.apply(input, other)
    else:
        raise ValueError("div expected rounding_mode to be one of None, 'trunc', or 'floor' but "
                         f"found '{rounding_mode}'")
    return _out(r, out)


divide = div


def true_divide(input, other):
    return Div.apply(input, other)


def floor_divide(input, other):
    return FloorDivide.apply(input, other)


def remainder(input, other):
    if not isinstance(input, _tensor.Tensor):
        input = _tensor.Tensor._wrap(np.asarray(input))
    return Remainder.apply(input, other)


def fmod(input, other):
    return Fmod.apply(input, other)


def neg(input):
    return Neg.apply(input)


negative = neg


def pow(input, exponent):  # noqa: A001 - PyTorch's name
    return Pow.apply(input, exponent)


def float_power(input, exponent):
    dt = D.complex128 if (getattr(input, "is_complex", lambda: False)() or
                          isinstance(exponent, complex)) else D.float64
    a = input.to(dt) if isinstance(input, _tensor.Tensor) else input
    b = exponent.to(dt) if isinstance(exponent, _tensor.Tensor) else exponent
    return Pow.apply(a, b)


def square(input):
    return Pow.apply(input, 2)


def _out(result, out):
    if out is None:
        return result
    if out._rg and STATE.enabled:
        raise RuntimeError("functions with out=... arguments don't support automatic "
                           "differentiation, but one of the arguments requires grad.")
    if out._data.shape != result._data.shape:
        out._data = out._xp.empty(result._data.shape, out._data.dtype)
    out._data[...] = result._data
    out._vc.value += 1
    return out


def _fast_inplace(self, ufunc, other, fn):
    """``self op= other``: straight into memory when no graph is recorded, else via ``fn``."""
    if STATE.enabled and (self._rg or (isinstance(other, _tensor.Tensor) and other._rg)):
        return self._inplace(fn, other)
    x, y, dt = operands(self, other)
    if dt is not self.dtype:
        from .._tensor import _can_cast
        if not _can_cast(dt, self.dtype):
            raise RuntimeError(f"result type {dt._short} can't be cast to the desired output "
                               f"type {self.dtype._short}")
        if dt.category != self.dtype.category or ufunc is np.true_divide:
            return self._inplace(fn, other)
    try:
        ufunc(self._data, y, out=self._data, casting="unsafe")
    except ValueError:
        raise RuntimeError(f"output with shape {list(self._data.shape)} doesn't match the "
                           f"broadcast shape {list(np.broadcast_shapes(self._data.shape, np.shape(y)))}"
                           ) from None
    self._vc.value += 1
    return self


class ArithMethods:
    """Tensor methods of the arithmetic family."""

    __slots__ = ()

    def __add__(self, other):
        return Add.apply(self, other)

    def __radd__(self, other):
        return Add.apply(other, self)

    def __iadd__(self, other):
        return _fast_inplace(self, np.add, other, Add)

    def add(self, other, *, alpha=1):
        return add(self, other, alpha=alpha)

    def add_(self, other, *, alpha=1):
        if alpha.__class__ is not int:
            alpha = number(alpha, "add_", "alpha")
        if alpha != 1:
            other = other * alpha
        return _fast_inplace(self, np.add, other, Add)

    def __sub__(self, other):
        return Sub.apply(self, other)

    def __rsub__(self, other):
        return Sub.apply(other, self)

    def __isub__(self, other):
        return _fast_inplace(self, np.subtract, other, Sub)

    def sub(self, other, *, alpha=1):
        return sub(self, other, alpha=alpha)

    subtract = sub

    def sub_(self, other, *, alpha=1):
        if alpha.__class__ is not int:
            alpha = number(alpha, "sub_", "alpha")
        if alpha != 1:
            other = other * alpha
        return _fast_inplace(self, np.subtract, other, Sub)

    def __mul__(self, other):
        return Mul.apply(self, other)

    def __rmul__(self, other):
        return Mul.apply(other, self)

    def __imul__(self, other):
        return _fast_inplace(self, np.multiply, other, Mul)

    def mul(self, other):
        return Mul.apply(self, other)

    multiply = mul

    def mul_(self, other):
        return _fast_inplace(self, np.multiply, other, Mul)

    def __truediv__(self, other):
        return Div.apply(self, other)

    def __rtruediv__(self, other):
        return Div.apply(other, self)

    def __itruediv__(self, other):
        return _fast_inplace(self, np.true_divide, other, Div)

    def div(self, other, *, rounding_mode=None):
        return div(self, other, rounding_mode=rounding_mode)

    divide = div
    true_divide = __truediv__

    def div_(self, other, *, rounding_mode=None):
        if rounding_mode is None:
            return _fast_inplace(self, np.true_divide, other, Div)
        fn = FloorDivide if rounding_mode == "floor" else TruncDivide
        return self._inplace(fn, other)

    def __floordiv__(self, other):
        return FloorDivide.apply(self, other)

    def __rfloordiv__(self, other):
        return FloorDivide.apply(other, self)

    def __ifloordiv__(self, other):
        return self._inplace(FloorDivide, other)

    def floor_divide(self, other):
        return FloorDivide.apply(self, other)

    def __mod__(self, other):
        return Remainder.apply(self, other)

    def __rmod__(self, other):
        return Remainder.apply(_tensor.Tensor._wrap(np.asarray(other, self._data.dtype)), self)

    def __imod__(self, other):
        return self._inplace(Remainder, other)

    def remainder(self, other):
        return Remainder.apply(self, other)

    def fmod(self, other):
        return Fmod.apply(self, other)

    def __neg__(self):
        return Neg.apply(self)

    def neg(self):
        return Neg.apply(self)

    negative = neg

    def neg_(self):
        return self._inplace(Neg)

    def __pos__(self):
        return self

    def __pow__(self, other):
        return Pow.apply(self, other)

    def __rpow__(self, other):
        return Pow.apply(other, self)

    def __ipow__(self, other):
        return self._inplace(Pow, other)

    def pow(self, exponent):
        return Pow.apply(self, exponent)

    def pow_(self, exponent):
        return self._inplace(Pow, exponent)

    def float_power(self, exponent):
        return float_power(self, exponent)

    def square(self):
        return Pow.apply(self, 2)

    def square_(self):
        return self._inplace(Pow, 2)
