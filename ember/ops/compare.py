"""Comparisons, logical and bitwise ops: their results carry no gradient."""
import numpy as np

from .. import _dtype as D
from ..autograd.function import Function
from ._util import operands

__all__ = ["eq", "ne", "lt", "le", "gt", "ge", "CompareMethods"]


class _Compare(Function):
    _builtin = True
    ufunc = None

    @classmethod
    def forward(cls, ctx, a, b):
        x, y, _ = operands(a, b)
        return cls.ufunc(x, y)

    @staticmethod
    def backward(ctx, g):
        return None, None


class Eq(_Compare):
    ufunc = staticmethod(np.equal)


class Ne(_Compare):
    ufunc = staticmethod(np.not_equal)


class Lt(_Compare):
    ufunc = staticmethod(np.less)


class Le(_Compare):
    ufunc = staticmethod(np.less_equal)


class Gt(_Compare):
    ufunc = staticmethod(np.greater)


class Ge(_Compare):
    ufunc = staticmethod(np.greater_equal)


class _Bitwise(_Compare):
    name_ = ""

    @classmethod
    def forward(cls, ctx, a, b):
        x, y, dt = operands(a, b)
        if dt.category > D._INT:
            raise RuntimeError(f'"{cls.name_}_cpu" not implemented for \'{dt._short}\'')
        return cls.ufunc(x, y)


class BitwiseAnd(_Bitwise):
    ufunc, name_ = staticmethod(np.bitwise_and), "bitwise_and"


class BitwiseOr(_Bitwise):
    ufunc, name_ = staticmethod(np.bitwise_or), "bitwise_or"


class BitwiseXor(_Bitwise):
    ufunc, name_ = staticmethod(np.bitwise_xor), "bitwise_xor"


class BitwiseNot(Function):
    _builtin = True

    @staticmethod
    def forward(ctx, a):
        if a.dtype.category > D._INT:
            raise TypeError("~ (operator.invert) is only implemented on integer and Boolean-type "
                            "tensors")
        return np.invert(a._data)

    @staticmethod
    def backward(ctx, g):
        return None


def eq(input, other):
    return Eq.apply(input, other)


def ne(input, other):
    return Ne.apply(input, other)


def lt(input, other):
    return Lt.apply(input, other)


def le(input, other):
    return Le.apply(input, other)


def gt(input, other):
    return Gt.apply(input, other)


def ge(input, other):
    return Ge.apply(input, other)


class CompareMethods:
    __slots__ = ()

    def __eq__(self, other):
        return Eq.apply(self, other)

    def __ne__(self, other):
        return Ne.apply(self, other)

    def __lt__(self, other):
        return Lt.apply(self, other)

    def __le__(self, other):
        return Le.apply(self, other)

    def __gt__(self, other):
        return Gt.apply(self, other)

    def __ge__(self, other):
        return Ge.apply(self, other)

    eq = __eq__
    ne = __ne__
    lt = __lt__
    le = __le__
    gt = __gt__
    ge = __ge__

    def __and__(self, other):
        return BitwiseAnd.apply(self, other)

    def __rand__(self, other):
        return BitwiseAnd.apply(other, self)

    def __or__(self, other):
        return BitwiseOr.apply(self, other)

    def __ror__(self, other):
        return BitwiseOr.apply(other, self)

    def __xor__(self, other):
        return BitwiseXor.apply(self, other)

    def __rxor__(self, other):
        return BitwiseXor.apply(other, self)

    def __invert__(self):
        return BitwiseNot.apply(self)
