"""Comparisons, logical and bitwise ops, NaN/inf tests and closeness: no gradient flows here."""
import numpy as np

from .. import _dtype as D
from .. import _tensor
from ..autograd.function import Function
from ._util import call, check_tensor, operands

__all__ = ["eq", "ne", "lt", "le", "gt", "ge", "greater", "greater_equal", "less", "less_equal",
           "not_equal", "logical_and", "logical_or", "logical_xor", "logical_not", "bitwise_and",
           "bitwise_or", "bitwise_xor", "bitwise_not", "bitwise_left_shift",
           "bitwise_right_shift", "isnan", "isinf", "isfinite", "isposinf", "isneginf", "isreal",
           "isclose", "allclose", "equal", "CompareMethods"]
_CTX_AUDITED = True   # every array a Function here keeps on ctx is in its _ctx_arrays

_NUMBERS = (int, float, complex, np.number, np.bool_)


def _operand(x):
    """Whether ``x`` can take part in an elementwise op (a Tensor or a number)."""
    return isinstance(x, (_tensor.Tensor,) + _NUMBERS)


def _onnx_dtype(a, b):
    """The dtype both sides of a comparison meet in (PyTorch's promotion, in short: a float
    tensor wins over an int one, a Python number adopts the tensor's kind)."""
    ta, tb = isinstance(a, str), isinstance(b, str)
    if ta and tb:
        ka, kb = a.dtype.kind == "f", b.dtype.kind == "f"
        if ka != kb:
            return a.dtype if ka else b.dtype
        return np.promote_types(a.dtype, b.dtype)
    t, n = (a, b) if ta else (b, a)
    if isinstance(n, float) and t.dtype.kind in "biu":
        return np.dtype(D.get_default_dtype().np)
    if isinstance(n, int) and not isinstance(n, bool) and t.dtype.kind == "b":
        return np.dtype(np.int64)
    return t.dtype


def _onnx_bool(graph, x):
    return graph.cast(x, np.bool_) if isinstance(x, str) else graph.scalar(bool(x), np.bool_)


class _Compare(Function):
    _builtin = True
    ufunc = None

    @classmethod
    def forward(cls, ctx, a, b):
        x, y, _ = operands(a, b)
        return call(cls.ufunc, x, y)

    @staticmethod
    def backward(ctx, *g):
        return (None,) * len(ctx.needs_input_grad)

    onnx_op = None   # the ONNX op of a comparison; "!Equal" negates Equal

    @classmethod
    def onnx(cls, graph, ctx, a, b):
        dt = _onnx_dtype(a, b)
        x, y = graph.operand(a, dt), graph.operand(b, dt)
        if cls.onnx_op == "!Equal":
            return graph.op("Not", graph.op("Equal", x, y))
        return graph.op(cls.onnx_op, x, y)


class Eq(_Compare):
    ufunc = staticmethod(np.equal)

    onnx_op = "Equal"


class Ne(_Compare):
    ufunc = staticmethod(np.not_equal)

    onnx_op = "!Equal"


class Lt(_Compare):
    ufunc = staticmethod(np.less)

    onnx_op = "Less"


class Le(_Compare):
    ufunc = staticmethod(np.less_equal)

    onnx_op = "LessOrEqual"


class Gt(_Compare):
    ufunc = staticmethod(np.greater)

    onnx_op = "Greater"


class Ge(_Compare):
    ufunc = staticmethod(np.greater_equal)

    onnx_op = "GreaterOrEqual"


class _Logical(_Compare):
    """Truth-value ops: any dtypes, no promotion needed (NumPy tests each side for != 0)."""

    @classmethod
    def forward(cls, ctx, a, b):
        _check_other(b, cls.fname, tensor_only=True)
        return call(cls.ufunc, a._data, b._data)

    @classmethod
    def onnx(cls, graph, ctx, a, b):
        op = {"LogicalAnd": "And", "LogicalOr": "Or", "LogicalXor": "Xor"}[cls.__name__]
        return graph.op(op, _onnx_bool(graph, a), _onnx_bool(graph, b))


class LogicalAnd(_Logical):
    ufunc, fname = staticmethod(np.logical_and), "logical_and"


class LogicalOr(_Logical):
    ufunc, fname = staticmethod(np.logical_or), "logical_or"


class LogicalXor(_Logical):
    ufunc, fname = staticmethod(np.logical_xor), "logical_xor"


class LogicalNot(_Compare):
    @staticmethod
    def forward(ctx, a):
        return np.logical_not(a._data)

    @staticmethod
    def onnx(graph, ctx, a):
        return graph.op("Not", _onnx_bool(graph, a))


class _Bitwise(_Compare):
    kernel = ""
    lowest = D._BOOL    # the lowest dtype category the op accepts (shifts refuse bools)

    @classmethod
    def forward(cls, ctx, a, b):
        x, y, dt = operands(a, b)
        if not cls.lowest <= dt.category <= D._INT:
            raise NotImplementedError(f'"{cls.kernel}" not implemented for \'{dt._short}\'')
        return call(cls.ufunc, x, y)

    @classmethod
    def onnx(cls, graph, ctx, a, b):
        dt = graph.out[0].dtype
        name = cls.__name__
        if dt.kind == "b":
            op = {"BitwiseAnd": "And", "BitwiseOr": "Or", "BitwiseXor": "Xor"}[name]
            return graph.op(op, _onnx_bool(graph, a), _onnx_bool(graph, b))
        x, y = graph.operand(a, dt), graph.operand(b, dt)
        if name in ("BitwiseLeftShift", "BitwiseRightShift"):
            if dt.kind != "u":
                raise graph.unsupported("ONNX shifts only unsigned integers")
            return graph.op("BitShift", x, y, direction="LEFT" if "Left" in name else "RIGHT")
        if graph.opset < 18:
            raise graph.unsupported("bitwise ops on integers need opset_version 18")
        return graph.op(name, x, y)


class BitwiseAnd(_Bitwise):
    ufunc, kernel = staticmethod(np.bitwise_and), "bitwise_and_cpu"


class BitwiseOr(_Bitwise):
    ufunc, kernel = staticmethod(np.bitwise_or), "bitwise_or_cpu"


class BitwiseXor(_Bitwise):
    ufunc, kernel = staticmethod(np.bitwise_xor), "bitwise_xor_cpu"


# NumPy's shifts agree with PyTorch's past the bit width (0, or -1 for a negative right shift)
class BitwiseLeftShift(_Bitwise):
    ufunc, kernel, lowest = staticmethod(np.left_shift), "lshift_cpu", D._INT


class BitwiseRightShift(_Bitwise):
    ufunc, kernel, lowest = staticmethod(np.right_shift), "rshift_cpu", D._INT


class BitwiseNot(_Compare):
    @staticmethod
    def forward(ctx, a, operator=False):
        if a.dtype.category > D._INT:
            if operator:
                raise TypeError("~ (operator.invert) is only implemented on integer and "
                                "Boolean-type tensors")
            raise NotImplementedError(f"\"bitwise_not_cpu\" not implemented for "
                                      f"'{a.dtype._short}'")
        return np.invert(a._data)

    @staticmethod
    def onnx(graph, ctx, a, operator=False):
        if a.dtype.kind == "b":
            return graph.op("Not", a)
        if graph.opset < 18:
            raise graph.unsupported("bitwise ops on integers need opset_version 18")
        return graph.op("BitwiseNot", a)


# -- functions ----------------------------------------------------------------------------

def _check_other(other, op, tensor_only=False):
    if not (isinstance(other, _tensor.Tensor) if tensor_only else _operand(other)):
        raise TypeError(f"{op}(): argument 'other' (position 2) must be Tensor, not "
                        f"{type(other).__name__}")


def _binary_fn(op, name, tensor_only=False):
    def f(input, other):
        check_tensor(input, name)
        _check_other(other, name, tensor_only)
        return op.apply(input, other)
    f.__name__ = f.__qualname__ = name
    return f


eq, ne = _binary_fn(Eq, "eq"), _binary_fn(Ne, "ne")
lt, le = _binary_fn(Lt, "lt"), _binary_fn(Le, "le")
gt, ge = _binary_fn(Gt, "gt"), _binary_fn(Ge, "ge")
greater, greater_equal, less, less_equal, not_equal = gt, ge, lt, le, ne
logical_and = _binary_fn(LogicalAnd, "logical_and", True)
logical_or = _binary_fn(LogicalOr, "logical_or", True)
logical_xor = _binary_fn(LogicalXor, "logical_xor", True)
bitwise_and = _binary_fn(BitwiseAnd, "bitwise_and")
bitwise_or = _binary_fn(BitwiseOr, "bitwise_or")
bitwise_xor = _binary_fn(BitwiseXor, "bitwise_xor")
bitwise_left_shift = _binary_fn(BitwiseLeftShift, "bitwise_left_shift")
bitwise_right_shift = _binary_fn(BitwiseRightShift, "bitwise_right_shift")


def logical_not(input):
    check_tensor(input, "logical_not")
    return LogicalNot.apply(input)


def bitwise_not(input):
    check_tensor(input, "bitwise_not")
    return BitwiseNot.apply(input)


def _test(fn, input, name):
    check_tensor(input, name)
    return _tensor.Tensor._wrap(np.asarray(fn(input._data)))


def _real_only(fn):
    # ints and bools hold no NaN or infinity
    return lambda x: fn(x) if x.dtype.kind in "fc" else np.zeros(x.shape, bool)


def isnan(input):
    return _test(_real_only(np.isnan), input, "isnan")


def isinf(input):
    return _test(_real_only(np.isinf), input, "isinf")


def isfinite(input):
    return _test(lambda x: np.isfinite(x) if x.dtype.kind in "fc" else np.ones(x.shape, bool),
                 input, "isfinite")


def isposinf(input):
    return _test(_real_only(lambda x: x == np.inf), input, "isposinf")


def isneginf(input):
    return _test(_real_only(lambda x: x == -np.inf), input, "isneginf")


def isreal(input):
    return _test(lambda x: x.imag == 0 if x.dtype.kind == "c" else np.ones(x.shape, bool),
                 input, "isreal")


def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    """|input - other| <= atol + rtol |other|, elementwise (equal values, infinities included,
    are always close; NaNs only with ``equal_nan``)."""
    check_tensor(input, "isclose")
    _check_other(other, "isclose", tensor_only=True)
    if input.dtype is not other.dtype:
        raise RuntimeError(f"{input.dtype._short} did not match {other.dtype._short}")
    if rtol < 0:
        raise RuntimeError(f"rtol must be greater than or equal to zero, but got {rtol}")
    if atol < 0:
        raise RuntimeError(f"atol must be greater than or equal to zero, but got {atol}")
    x, y = input._data, other._data
    close = call(np.equal, x, y)
    inexact = x.dtype.kind in "fc"
    if equal_nan and inexact:
        close |= np.isnan(x) & np.isnan(y)
    if rtol or atol:
        # as PyTorch: bools compare in the default float dtype; for ints only the allowed
        # error is a float (the difference stays an integer)
        fdt = D.get_default_dtype().np
        if x.dtype.kind == "b":
            x, y = x.astype(fdt), y.astype(fdt)
        with np.errstate(invalid="ignore", over="ignore"):
            actual = np.abs(x - y)
            allowed = np.abs(rtol * (y.astype(fdt) if y.dtype.kind in "iu" else y))
            allowed += atol
            ok = actual <= allowed
            if inexact:
                ok &= np.isfinite(actual)
        close |= ok
    return _tensor.Tensor._wrap(np.asarray(close))


def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    """Whether every element of ``input`` is close to ``other`` (a Python bool)."""
    return bool(isclose(input, other, rtol, atol, equal_nan)._data.all())


def equal(input, other):
    """True when both have the same shape and the same values (NaN is never equal)."""
    check_tensor(input, "equal")
    _check_other(other, "equal", tensor_only=True)
    if input._data.shape != other._data.shape:
        return False
    x, y, _ = operands(input, other)
    return bool(np.array_equal(x, y))


# -- methods ------------------------------------------------------------------------------

def _cmp_method(op):
    def m(self, other):
        return op.apply(self, other) if _operand(other) else NotImplemented
    return m


def _inplace_method(op):
    def m_(self, other):
        return self._inplace(op, other)
    return m_


class CompareMethods:
    __slots__ = ()

    __eq__, __ne__ = _cmp_method(Eq), _cmp_method(Ne)
    __lt__, __le__ = _cmp_method(Lt), _cmp_method(Le)
    __gt__, __ge__ = _cmp_method(Gt), _cmp_method(Ge)
    eq, ne, lt, le, gt, ge = eq, ne, lt, le, gt, ge
    greater, greater_equal, less, less_equal, not_equal = gt, ge, lt, le, ne
    eq_, ne_ = _inplace_method(Eq), _inplace_method(Ne)
    lt_, le_ = _inplace_method(Lt), _inplace_method(Le)
    gt_, ge_ = _inplace_method(Gt), _inplace_method(Ge)
    greater_, greater_equal_, less_, less_equal_, not_equal_ = gt_, ge_, lt_, le_, ne_

    logical_and, logical_or, logical_xor = logical_and, logical_or, logical_xor
    logical_and_, logical_or_ = _inplace_method(LogicalAnd), _inplace_method(LogicalOr)
    logical_xor_ = _inplace_method(LogicalXor)

    def logical_not(self):
        return LogicalNot.apply(self)

    def logical_not_(self):
        return self._inplace(LogicalNot)

    bitwise_and, bitwise_or, bitwise_xor = bitwise_and, bitwise_or, bitwise_xor
    bitwise_left_shift, bitwise_right_shift = bitwise_left_shift, bitwise_right_shift
    __and__, __or__, __xor__ = _cmp_method(BitwiseAnd), _cmp_method(BitwiseOr), \
        _cmp_method(BitwiseXor)
    __lshift__, __rshift__ = _cmp_method(BitwiseLeftShift), _cmp_method(BitwiseRightShift)
    bitwise_and_ = __iand__ = _inplace_method(BitwiseAnd)
    bitwise_or_ = __ior__ = _inplace_method(BitwiseOr)
    bitwise_xor_ = __ixor__ = _inplace_method(BitwiseXor)
    bitwise_left_shift_ = __ilshift__ = _inplace_method(BitwiseLeftShift)
    bitwise_right_shift_ = __irshift__ = _inplace_method(BitwiseRightShift)

    def __rand__(self, other):
        return BitwiseAnd.apply(other, self) if _operand(other) else NotImplemented

    def __ror__(self, other):
        return BitwiseOr.apply(other, self) if _operand(other) else NotImplemented

    def __rxor__(self, other):
        return BitwiseXor.apply(other, self) if _operand(other) else NotImplemented

    def __rlshift__(self, other):
        return BitwiseLeftShift.apply(other, self) if _operand(other) else NotImplemented

    def __rrshift__(self, other):
        return BitwiseRightShift.apply(other, self) if _operand(other) else NotImplemented

    def __invert__(self):
        return BitwiseNot.apply(self, True)

    def bitwise_not(self):
        return BitwiseNot.apply(self)

    def bitwise_not_(self):
        return self._inplace(BitwiseNot)

    def isnan(self):
        return isnan(self)

    def isinf(self):
        return isinf(self)

    def isfinite(self):
        return isfinite(self)

    def isposinf(self):
        return isposinf(self)

    def isneginf(self):
        return isneginf(self)

    def isreal(self):
        return isreal(self)

    def isclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False):
        return isclose(self, other, rtol, atol, equal_nan)

    def allclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False):
        return allclose(self, other, rtol, atol, equal_nan)

    def equal(self, other):
        return equal(self, other)
