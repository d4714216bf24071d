"""The legacy typed-tensor constructors: ``ember.FloatTensor([1, 2])``, ``LongTensor(3)`` …,
and ``isinstance(t, ember.FloatTensor)`` testing the dtype, as PyTorch's do."""
from . import _dtype as D
from ._tensor import Tensor

__all__ = ["FloatTensor", "DoubleTensor", "HalfTensor", "LongTensor", "IntTensor", "ShortTensor",
           "CharTensor", "ByteTensor", "BoolTensor"]


class _TypedMeta(type):
    def __instancecheck__(cls, obj):
        return isinstance(obj, Tensor) and obj.dtype is cls.dtype

    def __call__(cls, *args, device=None):
        return Tensor(*args, dtype=cls.dtype, device=device)


def _typed(name, dt):
    return _TypedMeta(name, (), {"dtype": dt, "__doc__": f"A {dt.name} tensor (legacy form)."})


FloatTensor = _typed("FloatTensor", D.float32)
DoubleTensor = _typed("DoubleTensor", D.float64)
HalfTensor = _typed("HalfTensor", D.float16)
LongTensor = _typed("LongTensor", D.int64)
IntTensor = _typed("IntTensor", D.int32)
ShortTensor = _typed("ShortTensor", D.int16)
CharTensor = _typed("CharTensor", D.int8)
ByteTensor = _typed("ByteTensor", D.uint8)
BoolTensor = _typed("BoolTensor", D.bool)
