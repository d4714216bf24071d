"""dtype objects and PyTorch's type-promotion rules.

NumPy's promotion differs from PyTorch's in two ways that matter: a float of any size beats an
integer of any size (int64 * float16 is float16, not float64), and the "weight" of an operand
depends on whether it is a dimensioned tensor, a 0-d tensor or a Python number.
"""
import builtins

import numpy as np

__all__ = [
    "dtype", "float16", "float32", "float64", "complex64", "complex128", "int8", "uint8",
    "int16", "int32", "int64", "bool", "half", "float", "double", "short", "int", "long",
    "cfloat", "cdouble", "promote_types", "get_default_dtype", "set_default_dtype", "finfo",
    "iinfo",
]

_BOOL, _INT, _FLOAT, _COMPLEX = 0, 1, 2, 3


class dtype:
    """A tensor element type: ``ember.float32`` and friends. Compare with ``is`` or ``==``."""

    __slots__ = ("name", "np", "category", "itemsize", "is_signed", "_short")

    def __init__(self, name, np_dtype, category, short):
        self.name = name
        self.np = np.dtype(np_dtype)
        self.category = category
        self.itemsize = self.np.itemsize
        self.is_signed = category != _BOOL and name != "uint8"
        self._short = short  # the name in legacy type strings: torch.FloatTensor

    @property
    def is_floating_point(self):
        return self.category == _FLOAT

    @property
    def is_complex(self):
        return self.category == _COMPLEX

    def to_real(self):
        return {"complex64": float32, "complex128": float64}.get(self.name, self)

    def to_complex(self):
        return {"float16": complex64, "float32": complex64, "float64": complex128}.get(
            self.name, self)

    def __repr__(self):
        return "ember." + self.name

    def __reduce__(self):
        return (_by_name, (self.name,))


float16 = dtype("float16", np.float16, _FLOAT, "Half")
float32 = dtype("float32", np.float32, _FLOAT, "Float")
float64 = dtype("float64", np.float64, _FLOAT, "Double")
complex64 = dtype("complex64", np.complex64, _COMPLEX, "ComplexFloat")
complex128 = dtype("complex128", np.complex128, _COMPLEX, "ComplexDouble")
int8 = dtype("int8", np.int8, _INT, "Char")
uint8 = dtype("uint8", np.uint8, _INT, "Byte")
int16 = dtype("int16", np.int16, _INT, "Short")
int32 = dtype("int32", np.int32, _INT, "Int")
int64 = dtype("int64", np.int64, _INT, "Long")
bool = dtype("bool", np.bool_, _BOOL, "Bool")  # noqa: A001 - PyTorch's public name

half, float, double = float16, float32, float64  # noqa: A001
short, int, long = int16, int32, int64  # noqa: A001
cfloat, cdouble = complex64, complex128

ALL = (float16, float32, float64, complex64, complex128, int8, uint8, int16, int32, int64, bool)
_FROM_NP = {d.np: d for d in ALL}
_BY_NAME = {d.name: d for d in ALL}


def _by_name(name):
    return _BY_NAME[name]


def from_numpy_dtype(np_dtype):
    """The ember dtype for a NumPy dtype, or a TypeError naming it."""
    try:
        return _FROM_NP[np.dtype(np_dtype)]
    except (KeyError, TypeError):
        raise TypeError(
            f"can't convert np.ndarray of type numpy.{np.dtype(np_dtype)}. The only supported "
            "types are: float64, float32, float16, complex64, complex128, int64, int32, int16, "
            "int8, uint8, and bool.") from None


def to_dtype(d):
    """Accept an ember dtype, a NumPy dtype, a Python type or a name; return an ember dtype."""
    if d.__class__ is dtype:
        return d
    if d is None:
        return None
    import builtins
    if d is builtins.float:
        return _default[0]
    if d is builtins.int:
        return int64
    if d is builtins.bool:
        return bool
    if d is builtins.complex:
        return _default[0].to_complex()
    if isinstance(d, str) and d.startswith(("torch.", "ember.")):
        d = d.split(".", 1)[1]
    if isinstance(d, str) and d in _BY_NAME:
        return _BY_NAME[d]
    if isinstance(d, str) and d in _ALIASES:
        return _ALIASES[d]
    if type(d).__module__ == "torch" and str(d).startswith("torch."):
        return _BY_NAME[str(d).split(".", 1)[1]]  # a torch.dtype: map by name
    return from_numpy_dtype(d)


_ALIASES = {"half": float16, "float": float32, "double": float64, "short": int16, "int": int32,
            "long": int64, "cfloat": complex64, "cdouble": complex128}

_default = [float32]


def get_default_dtype():
    """The dtype of Python floats turned into tensors (float32 unless changed)."""
    return _default[0]


def set_default_dtype(d):
    d = to_dtype(d)
    if d not in (float16, float32, float64):
        raise TypeError("only floating-point types are supported as the default type")
    _default[0] = d


def _promote_pair(a, b):
    if a is b:
        return a
    ca, cb = a.category, b.category
    if ca != cb:
        hi, lo = (a, b) if ca > cb else (b, a)
        if hi.category == _COMPLEX and lo.category == _FLOAT:
            return complex128 if lo is float64 or hi is complex128 else complex64
        return hi
    return _FROM_NP[np.promote_types(a.np, b.np)]


_PAIR_CACHE = {}


def promote_types(type1, type2):
    """The smallest dtype both ``type1`` and ``type2`` convert to, by PyTorch's table."""
    key = (type1, type2)
    r = _PAIR_CACHE.get(key)
    if r is None:
        r = _PAIR_CACHE[key] = _promote_pair(to_dtype(type1), to_dtype(type2))
    return r


def _combine(higher, lower):
    # PyTorch's combine_categories: a lower-priority operand only changes the result when it is
    # of a higher category (a 0-d float tensor makes an int tensor's result float).
    if higher is None:
        return lower
    if lower is None:
        return higher
    if higher.category == _COMPLEX:
        return higher
    if lower.category == _COMPLEX:
        return higher.to_complex() if higher.category == _FLOAT else lower
    if higher.category == _FLOAT:
        return higher
    if higher is bool or lower.category == _FLOAT:
        return promote_types(higher, lower)
    return higher


def scalar_dtype(x):
    """The dtype a Python number takes in promotion (a 'wrapped number')."""
    import builtins
    if isinstance(x, builtins.bool) or isinstance(x, np.bool_):
        return bool
    if isinstance(x, (builtins.int, np.integer)):
        return int64
    if isinstance(x, (builtins.float, np.floating)):
        return _default[0]
    if isinstance(x, (builtins.complex, np.complexfloating)):
        return _default[0].to_complex()
    raise TypeError(f"expected a number, got {type(x).__name__}")


def result_type_of(operands):
    """PyTorch's result_type over Tensors and Python numbers."""
    dim = zero = wrapped = None
    for x in operands:
        d = getattr(x, "dtype", None)
        if d.__class__ is dtype:
            if x.ndim:
                dim = d if dim is None else promote_types(dim, d)
            else:
                zero = d if zero is None else promote_types(zero, d)
        else:
            s = scalar_dtype(x)
            wrapped = s if wrapped is None else promote_types(wrapped, s)
    return _combine(dim, _combine(zero, wrapped))


class finfo:
    """Machine limits of a floating dtype (``ember.finfo(ember.float32).eps``), as NumPy's."""

    def __init__(self, type=None):   # noqa: A002 - PyTorch's keyword
        type = get_default_dtype() if type is None else type
        if not isinstance(type, dtype):
            raise TypeError(f"finfo(): argument 'type' (position 1) must be torch.dtype, not "
                            f"{type.__class__.__name__}")
        if type.category not in (_FLOAT, _COMPLEX):
            raise TypeError("torch.finfo() requires a floating point input type. Use torch.iinfo "
                            "to handle 'torch.finfo'")
        info = np.finfo(type.to_real().np)
        self.bits, self.dtype = info.bits, type.to_real().name
        f = builtins.float
        self.eps, self.max, self.min = f(info.eps), f(info.max), f(info.min)
        self.tiny = self.smallest_normal = f(info.smallest_normal)
        self.resolution = 10.0 ** -info.precision

    def __repr__(self):
        return (f"finfo(resolution={self.resolution:g}, min={self.min:g}, max={self.max:g}, "
                f"eps={self.eps:g}, smallest_normal={self.smallest_normal:g}, "
                f"tiny={self.tiny:g}, dtype={self.dtype})")


class iinfo:
    """Machine limits of an integer dtype (``ember.iinfo(ember.int64).max``)."""

    def __init__(self, type):   # noqa: A002 - PyTorch's keyword
        if not isinstance(type, dtype):
            raise TypeError(f"iinfo(): argument 'type' (position 1) must be torch.dtype, not "
                            f"{type.__class__.__name__}")
        if type is bool:
            raise TypeError("torch.bool is not supported by torch.iinfo")
        if type.category != _INT:
            raise TypeError("torch.iinfo() requires an integer input type. Use torch.finfo to "
                            "handle 'torch.iinfo'")
        info = np.iinfo(type.np)
        self.bits, self.dtype = info.bits, type.name
        self.max, self.min = builtins.int(info.max), builtins.int(info.min)

    def __repr__(self):
        return f"iinfo(min={self.min:g}, max={self.max:g}, dtype={self.dtype})"
