"""Elementwise functions of two tensors: maximum, minimum, fmax, fmin, atan2, hypot, copysign,
logaddexp, logaddexp2 and lerp. Broadcasting and type promotion as PyTorch."""
import numpy as np

from .. import _dtype as D
from .. import _tensor
from ..autograd.function import Function
from ._util import broadcast_error, call, check_tensor, float_dtype, operands
from ._util import conj as _conj

__all__ = ["maximum", "minimum", "fmax", "fmin", "atan2", "arctan2", "hypot", "copysign",
           "logaddexp", "logaddexp2", "lerp", "addcmul", "addcdiv", "xlogy", "heaviside",
           "BinaryMethods"]
_CTX_AUDITED = True   # every array a Function here keeps on ctx is in its _ctx_arrays

def _check_other(other, op):
    if not isinstance(other, _tensor.Tensor):
        raise TypeError(f"{op}(): argument 'other' (position 2) must be Tensor, not "
                        f"{type(other).__name__}")


def _not_for(op, dt):
    return NotImplementedError(f'"{op}_cpu" not implemented for \'{dt._short}\'')


class Maximum(Function):
    _builtin = True
    ufunc = staticmethod(np.maximum)

    # d max(a, b): to the larger input; a tie splits the gradient half and half; NaN: to both
    @classmethod
    def forward(cls, ctx, a, b):
        x, y, _ = operands(a, b)
        ctx.save_for_backward(a, b)
        return call(cls.ufunc, x, y)

    @classmethod
    def backward(cls, ctx, g):
        a, b = ctx.saved_tensors
        x, y = a._data, b._data
        wrap = _tensor.Tensor._wrap
        tie = x == y
        if tie.any():
            g = g * wrap(np.where(tie, 0.5, 1.0).astype(g._data.dtype))
        lose_a, lose_b = (x < y, x > y) if cls is Maximum else (x > y, x < y)
        need = ctx.needs_input_grad
        return (g.masked_fill(wrap(lose_a), 0.0) if need[0] else None,
                g.masked_fill(wrap(lose_b), 0.0) if need[1] else None)

    @classmethod
    def onnx(cls, graph, ctx, a, b):
        dt = graph.out[0].dtype
        return graph.op("Max" if cls is Maximum else "Min", graph.operand(a, dt), graph.operand(b, dt))


class Minimum(Maximum):
    ufunc = staticmethod(np.minimum)


class Fmax(Function):
    _builtin = True
    ufunc = staticmethod(np.fmax)

    # d fmax(a, b): to a where a wins (ties included) or b is NaN, else to b
    @classmethod
    def forward(cls, ctx, a, b):
        x, y, _ = operands(a, b)
        out = call(cls.ufunc, x, y)
        if ctx.needs_input_grad[0] or ctx.needs_input_grad[1]:
            pick_a = (x >= y) if cls is Fmax else (x <= y)
            pick_a |= np.isnan(y)
            ctx.save_for_backward(_tensor.Tensor._wrap(np.asarray(pick_a)))
        return out

    @staticmethod
    def backward(ctx, g):
        (m,) = ctx.saved_tensors
        need = ctx.needs_input_grad
        return (g.masked_fill(~m, 0.0) if need[0] else None,
                g.masked_fill(m, 0.0) if need[1] else None)

    # NaN loses: where one side is NaN, the other
    @classmethod
    def onnx(cls, graph, ctx, a, b):
        dt = graph.out[0].dtype
        x, y = graph.operand(a, dt), graph.operand(b, dt)
        m = graph.op("Max" if cls is Fmax else "Min", x, y)
        if dt.kind != "f":
            return m
        return graph.op("Where", graph.op("IsNaN", x), y, graph.op("Where", graph.op("IsNaN", y), x, m))


class Fmin(Fmax):
    ufunc = staticmethod(np.fmin)


def _float_operands(a, b):
    x, y, dt = operands(a, b)
    fdt = float_dtype(dt)
    if fdt is not dt:
        x, y = x.astype(fdt.np), (y.astype(fdt.np) if isinstance(y, np.ndarray) else y)
    return x, y


class Atan2(Function):
    _builtin = True

    # d atan2(a, b) = (b, -a) / (a^2 + b^2), taken as 0 where a = b = 0
    @staticmethod
    def forward(ctx, a, b):
        x, y = _float_operands(a, b)
        ctx.save_for_backward(a, b)
        return call(np.arctan2, x, y)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        denom = a * a + b * b
        recip = denom.reciprocal().masked_fill(denom == 0, 0.0)
        need = ctx.needs_input_grad
        return (g * b * recip if need[0] else None), (g * -a * recip if need[1] else None)

    # atan(a/b) moved to the right quadrant; b = 0 gives +-pi/2 (0 where a = 0 too)
    @staticmethod
    def onnx(graph, ctx, a, b):
        dt = graph.out[0].dtype
        y, x = graph.operand(a, dt), graph.operand(b, dt)
        zero, pi = graph.scalar(0, dt), graph.scalar(np.pi, dt)
        r = graph.op("Atan", graph.op("Div", y, x))
        neg_x = graph.op("Less", x, zero)
        turn = graph.op("Where", graph.op("Less", y, zero), graph.op("Neg", pi), pi)
        r = graph.op("Where", neg_x, graph.op("Add", r, turn), r)
        half = graph.op("Mul", graph.op("Sign", y), graph.scalar(np.pi / 2, dt))
        return graph.op("Where", graph.op("Equal", x, zero), half, r)


class Hypot(Function):
    _builtin = True

    # d hypot(a, b) = (a, b) / hypot(a, b)
    @staticmethod
    def forward(ctx, a, b):
        x, y, dt = operands(a, b)
        if dt.category < D._FLOAT:
            raise _not_for("hypot", dt)
        out = _tensor.Tensor._wrap(call(np.hypot, x, y))
        ctx.save_for_backward(a, b, out)
        return out

    @staticmethod
    def backward(ctx, g):
        a, b, out = ctx.saved_tensors
        need = ctx.needs_input_grad
        go = g / out
        return (go * a if need[0] else None), (go * b if need[1] else None)

    @staticmethod
    def onnx(graph, ctx, a, b):
        dt = graph.out[0].dtype
        x, y = graph.operand(a, dt), graph.operand(b, dt)
        return graph.op("Sqrt", graph.op("Add", graph.op("Mul", x, x), graph.op("Mul", y, y)))


class Copysign(Function):
    _builtin = True

    # d copysign(a, b) / da = copysign(a, b) / a (0 where a = 0); b gets a zero gradient
    @staticmethod
    def forward(ctx, a, b):
        x, y = _float_operands(a, b)
        out = _tensor.Tensor._wrap(call(np.copysign, x, y))
        ctx.save_for_backward(a, out)
        ctx.scalar_b = not isinstance(b, _tensor.Tensor)
        return out

    @staticmethod
    def backward(ctx, g):
        a, out = ctx.saved_tensors
        ga = gb = None
        if ctx.needs_input_grad[0]:
            ga = g * (out / a).masked_fill(a == 0, 0.0)
        if ctx.needs_input_grad[1]:
            gb = _tensor.Tensor._wrap(np.zeros_like(g._data))   # sign(b) is piecewise constant
        return ga, gb

    def name(self):
        return "CopysignBackward1" if self.__dict__.get("scalar_b") else "CopysignBackward0"

    @staticmethod
    def onnx(graph, ctx, a, b):
        dt = graph.out[0].dtype
        x, y = graph.operand(a, dt), graph.operand(b, dt)
        return graph.op("Where", graph.op("Less", y, graph.scalar(0, dt)),
                        graph.op("Neg", graph.op("Abs", x)), graph.op("Abs", x))


class Logaddexp(Function):
    _builtin = True
    ufunc, op = staticmethod(np.logaddexp), "logaddexp"

    # d log(e^a + e^b) / da = 1 / (1 + e^(b - a))
    @classmethod
    def forward(cls, ctx, a, b):
        x, y, dt = operands(a, b)
        if dt.category < D._FLOAT:
            raise _not_for(cls.op, dt)
        ctx.save_for_backward(a, b)
        with np.errstate(invalid="ignore"):     # NaN inputs
            return call(cls.ufunc, x, y)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        need = ctx.needs_input_grad
        return (g / ((b - a).exp() + 1) if need[0] else None,
                g / ((a - b).exp() + 1) if need[1] else None)

    # m + log(e^(a-m) + e^(b-m)), m = max(a, b) (base 2 for logaddexp2)
    @classmethod
    def onnx(cls, graph, ctx, a, b):
        dt = graph.out[0].dtype
        x, y = graph.operand(a, dt), graph.operand(b, dt)
        m = graph.op("Max", x, y)
        m = graph.op("Where", graph.op("IsInf", m), graph.scalar(0, dt), m)
        if cls is Logaddexp:
            s = graph.op("Add", graph.op("Exp", graph.op("Sub", x, m)),
                         graph.op("Exp", graph.op("Sub", y, m)))
            return graph.op("Add", m, graph.op("Log", s))
        two = graph.scalar(2, dt)
        s = graph.op("Add", graph.op("Pow", two, graph.op("Sub", x, m)),
                     graph.op("Pow", two, graph.op("Sub", y, m)))
        return graph.op("Add", m, graph.op("Div", graph.op("Log", s), graph.scalar(np.log(2), dt)))


class Logaddexp2(Logaddexp):
    ufunc, op = staticmethod(np.logaddexp2), "logaddexp2"

    # d log2(2^a + 2^b) / da = 1 / (1 + 2^(b - a))
    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        need = ctx.needs_input_grad
        return (g / ((b - a).exp2() + 1) if need[0] else None,
                g / ((a - b).exp2() + 1) if need[1] else None)


def _lerp_arrays(a, b, w, kernel):
    dt = a.dtype
    if dt.category < D._FLOAT:
        raise NotImplementedError(f'"{kernel}" not implemented for \'{dt._short}\'')
    if b.dtype is not dt:
        raise RuntimeError(f"expected dtype {_cname(dt)} for `end` but got dtype "
                           f"{_cname(b.dtype)}")
    if isinstance(w, _tensor.Tensor):
        if w.dtype is not dt and w._data.ndim:
            raise RuntimeError(f"expected dtype {_cname(dt)} for `weight` but got dtype "
                               f"{_cname(w.dtype)}")
        w = w._data.astype(dt.np, copy=False)
    return a._data, b._data, w


def _cname(dt):
    # the C++ scalar type name PyTorch uses in lerp's dtype message
    return {"float32": "float", "float64": "double", "float16": "c10::Half"}.get(dt.name, dt.name)


class Lerp(Function):
    _builtin = True

    # lerp(a, b, w) = a + w (b - a): d = (1 - w, w, b - a)
    @staticmethod
    def forward(ctx, a, b, w):
        kernel = "lerp_kernel_tensor" if isinstance(w, _tensor.Tensor) else "lerp_kernel_scalar"
        x, y, wa = _lerp_arrays(a, b, w, kernel)
        ctx.tensor_w = isinstance(w, _tensor.Tensor)
        ctx.save_for_backward(a, b, w if ctx.tensor_w else None)
        ctx.w = None if ctx.tensor_w else w
        try:
            d = y - x
            # PyTorch's two-sided form: exact at both ends (w = 0 gives a, w = 1 gives b)
            if isinstance(wa, np.ndarray):
                low = np.abs(wa) < 0.5
                out = np.where(low, x + wa * d, y - d * (1 - wa))
            else:
                out = x + wa * d if abs(wa) < 0.5 else y - d * (1 - wa)
        except ValueError:
            raise broadcast_error(x.shape, y.shape, np.shape(wa)) from None
        return out.astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        a, b, wt = ctx.saved_tensors
        w = wt if wt is not None else ctx.w
        need = ctx.needs_input_grad
        ga = g * _conj(1 - w) if need[0] else None
        gb = g * _conj(w) if need[1] else None
        gw = g * _conj(b - a) if need[2] else None
        return ga, gb, gw

    def name(self):
        return "LerpBackward1" if self.__dict__.get("tensor_w") else "LerpBackward0"

    @staticmethod
    def onnx(graph, ctx, a, b, w):
        dt = graph.out[0].dtype
        x, y = graph.operand(a, dt), graph.operand(b, dt)
        return graph.op("Add", x, graph.op("Mul", graph.operand(w, dt), graph.op("Sub", y, x)))


def _addc_arrays(op, a, t1, t2, value):
    """The three arrays of addcmul/addcdiv in their common dtype, and ``value`` as that type."""
    dt = D.result_type_of((a, t1, t2))
    if dt is D.bool:
        raise NotImplementedError(f"\"{op}_cpu_out\" not implemented for 'Bool'")
    if isinstance(value, (complex, np.complexfloating)) and dt.category < D._COMPLEX:
        raise RuntimeError(f"value cannot be converted to type {_cname(dt)} without overflow")
    if dt.category == D._INT:
        value = int(value)     # PyTorch casts the scalar to the tensor type: 2.5 -> 2
    elif dt.category == D._FLOAT:
        value = float(value)
    arrays = [t._data if t._data.dtype == dt.np else t._data.astype(dt.np) for t in (a, t1, t2)]
    return arrays, value, dt


class Addcmul(Function):
    _builtin = True

    # input + value * t1 * t2: d = (1, value * t2, value * t1)
    @staticmethod
    def forward(ctx, a, t1, t2, value):
        (x, y, z), v, dt = _addc_arrays("addcmul", a, t1, t2, value)
        ctx.save_for_backward(t1, t2)
        ctx.value = v
        prod = call(np.multiply, y, z)
        return call(np.add, x, (prod * v).astype(dt.np, copy=False) if v != 1 else prod)

    @staticmethod
    def backward(ctx, g):
        t1, t2 = ctx.saved_tensors
        need, v = ctx.needs_input_grad, ctx.value
        gv = g * _conj(v) if v != 1 else g
        return (g if need[0] else None, gv * _conj(t2) if need[1] else None,
                gv * _conj(t1) if need[2] else None, None)


class Addcdiv(Function):
    _builtin = True

    # input + value * t1 / t2: d = (1, value / t2, -value * t1 / t2^2)
    @staticmethod
    def forward(ctx, a, t1, t2, value):
        if t1.dtype.category < D._FLOAT and t2.dtype.category < D._FLOAT:
            raise RuntimeError(
                "Integer division with addcdiv is no longer supported, and in a future  release "
                "addcdiv will perform a true division of tensor1 and tensor2. The historic addcdiv "
                "behavior can be implemented as (input + value * torch.trunc(tensor1 / tensor2))"
                ".to(input.dtype) for integer inputs and as (input + value * tensor1 / tensor2) "
                "for float inputs. The future addcdiv behavior is just the latter implementation: "
                "(input + value * tensor1 / tensor2), for all dtypes.")
        (x, y, z), v, dt = _addc_arrays("addcdiv", a, t1, t2, value)
        ctx.save_for_backward(t1, t2)
        ctx.value = v
        with np.errstate(divide="ignore", invalid="ignore"):
            q = call(np.divide, y, z)
        return call(np.add, x, (q * v).astype(dt.np, copy=False) if v != 1 else q)

    @staticmethod
    def backward(ctx, g):
        t1, t2 = ctx.saved_tensors
        need, v = ctx.needs_input_grad, ctx.value
        gq = (g * _conj(v) if v != 1 else g) / _conj(t2)
        return (g if need[0] else None, gq if need[1] else None,
                -gq * _conj(t1 / t2) if need[2] else None, None)


def _check_addc(op, input, tensor1, tensor2):
    check_tensor(input, op)
    for name, pos, t in (("tensor1", 2, tensor1), ("tensor2", 3, tensor2)):
        if not isinstance(t, _tensor.Tensor):
            raise TypeError(f"{op}(): argument '{name}' (position {pos}) must be Tensor, not "
                            f"{type(t).__name__}")


def addcmul(input, tensor1, tensor2, *, value=1):
    _check_addc("addcmul", input, tensor1, tensor2)
    return Addcmul.apply(input, tensor1, tensor2, value)


def addcdiv(input, tensor1, tensor2, *, value=1):
    _check_addc("addcdiv", input, tensor1, tensor2)
    return Addcdiv.apply(input, tensor1, tensor2, value)


def maximum(input, other):
    check_tensor(input, "maximum")
    _check_other(other, "maximum")
    return Maximum.apply(input, other)


def minimum(input, other):
    check_tensor(input, "minimum")
    _check_other(other, "minimum")
    return Minimum.apply(input, other)


def fmax(input, other):
    check_tensor(input, "fmax")
    _check_other(other, "fmax")
    return Fmax.apply(input, other)


def fmin(input, other):
    check_tensor(input, "fmin")
    _check_other(other, "fmin")
    return Fmin.apply(input, other)


def atan2(input, other):
    check_tensor(input, "atan2")
    _check_other(other, "atan2")
    return Atan2.apply(input, other)


def arctan2(input, other):
    check_tensor(input, "arctan2")
    _check_other(other, "arctan2")
    return Atan2.apply(input, other)


def hypot(input, other):
    check_tensor(input, "hypot")
    _check_other(other, "hypot")
    return Hypot.apply(input, other)


def copysign(input, other):
    check_tensor(input, "copysign")
    return Copysign.apply(input, other)


def logaddexp(input, other):
    check_tensor(input, "logaddexp")
    _check_other(other, "logaddexp")
    return Logaddexp.apply(input, other)


def logaddexp2(input, other):
    check_tensor(input, "logaddexp2")
    _check_other(other, "logaddexp2")
    return Logaddexp2.apply(input, other)


def lerp(input, end, weight):
    check_tensor(input, "lerp")
    if not isinstance(end, _tensor.Tensor) or not isinstance(weight, (_tensor.Tensor, int, float)):
        raise TypeError(f"lerp() received an invalid combination of arguments - got "
                        f"({type(input).__name__}, {type(end).__name__}, "
                        f"{type(weight).__name__}), but expected one of:\n"
                        " * (Tensor input, Tensor end, Tensor weight)\n"
                        " * (Tensor input, Tensor end, Number weight)")
    return Lerp.apply(input, end, weight)


class Xlogy(Function):
    _builtin = True

    # x log(y), 0 where x = 0 unless y is NaN: d/dx = xlogy(x != 0, y), d/dy = x / y
    @staticmethod
    def forward(ctx, a, b):
        x, y, dt = operands(a, b)
        dt = float_dtype(dt).np     # Python numbers take on the tensor's float dtype
        x, y = np.asarray(x, dt), np.asarray(y, dt)
        with np.errstate(all="ignore"):
            out = call(np.multiply, x, np.log(y))
            zero = call(np.logical_and, np.equal(x, 0), ~np.isnan(y))
        out = np.where(zero, out.dtype.type(0), out)
        ctx.save_for_backward(*(t if isinstance(t, _tensor.Tensor) else None for t in (a, b)))
        ctx.scalars = a, b
        return out

    @staticmethod
    def backward(ctx, g):
        ta, tb = ctx.saved_tensors
        a = ta if ta is not None else ctx.scalars[0]
        b = tb if tb is not None else ctx.scalars[1]
        need = ctx.needs_input_grad
        ga = gb = None
        if need[0]:     # PyTorch's: xlogy(g, y), 0 where x = 0 and y <= 0
            ga = Xlogy.apply(g, b)
            drop = (a == 0) & (b <= 0) if tb is not None else (a == 0) if b <= 0 else None
            if drop is not None:
                ga = ga.masked_fill(drop, 0.0)
        if need[1]:
            gb = g * a / b
        return ga, gb


class Heaviside(Function):
    _builtin = True

    # piecewise constant; PyTorch has no derivative for it and says so on backward
    @staticmethod
    def forward(ctx, a, b):
        if a.dtype is not b.dtype:
            raise RuntimeError("heaviside is not yet implemented for tensors with different dtypes.")
        if a.dtype.category == D._COMPLEX:
            raise RuntimeError("heaviside is not yet implemented for complex tensors.")
        x, v = a._data, b._data
        with np.errstate(invalid="ignore"):
            return call(lambda p, q: np.where(p == 0, q, p > 0).astype(x.dtype, copy=False), x, v)

    @staticmethod
    def backward(ctx, g):
        raise RuntimeError("derivative for aten::heaviside is not implemented")


def xlogy(input, other, *, out=None):
    """``torch.xlogy``: input * log(other), 0 where input is 0 (NaN where other is NaN);
    either side may be a Python number."""
    if not isinstance(input, _tensor.Tensor) and not isinstance(other, _tensor.Tensor):
        raise TypeError(
            f"xlogy() received an invalid combination of arguments - got "
            f"({type(input).__name__}, {type(other).__name__}), but expected one of:\n"
            " * (Tensor input, Tensor other, *, Tensor out = None)\n"
            " * (Number self, Tensor other, *, Tensor out = None)\n"
            " * (Tensor input, Number other, *, Tensor out = None)\n")
    r = Xlogy.apply(input, other)
    if out is None:
        return r
    from .arith import _out
    return _out(r, out)


def heaviside(input, values, *, out=None):
    """``torch.heaviside``: 0 for x < 0, 1 for x > 0, ``values`` where x == 0."""
    check_tensor(input, "heaviside")
    if not isinstance(values, _tensor.Tensor):
        raise TypeError(f"heaviside(): argument 'values' (position 2) must be Tensor, not "
                        f"{type(values).__name__}")
    r = Heaviside.apply(input, values)
    if out is None:
        return r
    from .arith import _out
    return _out(r, out)


class BinaryMethods:
    """Tensor methods of this family."""

    __slots__ = ()

    def maximum(self, other):
        return maximum(self, other)

    def minimum(self, other):
        return minimum(self, other)

    def fmax(self, other):
        return fmax(self, other)

    def fmin(self, other):
        return fmin(self, other)

    def atan2(self, other):
        return atan2(self, other)

    def atan2_(self, other):
        _check_other(other, "atan2_")
        return self._inplace(Atan2, other)

    def arctan2(self, other):
        return arctan2(self, other)

    def arctan2_(self, other):
        _check_other(other, "arctan2_")
        return self._inplace(Atan2, other)

    def hypot(self, other):
        return hypot(self, other)

    def hypot_(self, other):
        _check_other(other, "hypot_")
        return self._inplace(Hypot, other)

    def copysign(self, other):
        return copysign(self, other)

    def copysign_(self, other):
        return self._inplace(Copysign, other)

    def logaddexp(self, other):
        return logaddexp(self, other)

    def logaddexp2(self, other):
        return logaddexp2(self, other)

    def lerp(self, end, weight):
        return lerp(self, end, weight)

    def lerp_(self, end, weight):
        return self._inplace(Lerp, end, weight)

    def addcmul(self, tensor1, tensor2, *, value=1):
        return addcmul(self, tensor1, tensor2, value=value)

    def addcmul_(self, tensor1, tensor2, *, value=1):
        _check_addc("addcmul_", self, tensor1, tensor2)
        return self._inplace(Addcmul, tensor1, tensor2, value)

    def addcdiv(self, tensor1, tensor2, *, value=1):
        return addcdiv(self, tensor1, tensor2, value=value)

    def addcdiv_(self, tensor1, tensor2, *, value=1):
        _check_addc("addcdiv_", self, tensor1, tensor2)
        return self._inplace(Addcdiv, tensor1, tensor2, value)

    def xlogy(self, other):
        return xlogy(self, other)

    def xlogy_(self, other):
        return self._inplace(Xlogy, other)

    def heaviside(self, values):
        return heaviside(self, values)

    def heaviside_(self, values):
        if not isinstance(values, _tensor.Tensor):
            raise TypeError(f"heaviside_(): argument 'values' (position 1) must be Tensor, not "
                            f"{type(values).__name__}")
        return self._inplace(Heaviside, values)
