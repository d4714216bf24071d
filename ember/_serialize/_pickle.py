"""A minimal protocol-2 pickler that writes PyTorch's ``data.pkl``: tensors as
``torch._utils._rebuild_tensor_v2(storage, offset, size, stride, requires_grad, OrderedDict())``
with the storage as a persistent id ``('storage', torch.FloatStorage, key, location, numel)``,
Parameters through ``torch._utils._rebuild_parameter``, and only the globals that
``torch.load(weights_only=True)`` admits. The storages' bytes are returned for the zip writer.
"""
import struct
from collections import OrderedDict

import numpy as np

from .. import _dtype as D
from .._device import device
from .._tensor import Size, Tensor
from ._common import host_array

__all__ = ["dumps", "STORAGE_OF"]

STORAGE_OF = {D.float16: "HalfStorage", D.float32: "FloatStorage", D.float64: "DoubleStorage",
              D.complex64: "ComplexFloatStorage", D.complex128: "ComplexDoubleStorage",
              D.int8: "CharStorage", D.uint8: "ByteStorage", D.int16: "ShortStorage",
              D.int32: "IntStorage", D.int64: "LongStorage", D.bool: "BoolStorage"}
_BATCH = 1000  # items per APPENDS / SETITEMS, as Python's pickler does


class _Pickler:
    def __init__(self):
        self.out = []
        self.memo = {}       # ("global", module, name) or ("tensor", id) -> memo index
        self.keep = []       # tensors whose ids are memo keys, alive until the end
        self.storages = []   # (key, C-contiguous little-endian array)
        self.open = set()    # containers being written (to refuse cycles)

    # -- opcodes -------------------------------------------------------------------------------
    def w(self, b):
        self.out.append(b)

    def put(self, key):
        i = self.memo[key] = len(self.memo)
        self.w(b"q" + bytes([i]) if i < 256 else b"r" + struct.pack("<I", i))

    def get(self, key):
        i = self.memo[key]
        self.w(b"h" + bytes([i]) if i < 256 else b"j" + struct.pack("<I", i))

    def glob(self, module, name):
        key = ("global", module, name)
        if key in self.memo:
            self.get(key)
        else:
            self.w(f"c{module}\n{name}\n".encode())
            self.put(key)

    def call(self, module, name, *args):
        """module.name(*args) via REDUCE."""
        self.glob(module, name)
        self.w_tuple(args)
        self.w(b"R")

    def w_tuple(self, items):
        if not items:
            self.w(b")")
            return
        if len(items) > 3:
            self.w(b"(")
        for v in items:
            if type(v) is _Child:
                self.save(v.obj, v.path)
            else:
                self.save(v)
        self.w(b"t" if len(items) > 3 else b"\x84\x85\x86\x87"[len(items):len(items) + 1])

    def w_int(self, v):
        if 0 <= v < 256:
            self.w(b"K" + bytes([v]))
        elif 0 <= v < 65536:
            self.w(b"M" + struct.pack("<H", v))
        elif -2**31 <= v < 2**31:
            self.w(b"J" + struct.pack("<i", v))
        else:
            data = v.to_bytes((v.bit_length() >> 3) + 1, "little", signed=True)
            self.w((b"\x8a" + bytes([len(data)]) if len(data) < 256
                    else b"\x8b" + struct.pack("<I", len(data))) + data)

    def w_str(self, v):
        data = v.encode("utf-8", "surrogatepass")
        self.w(b"X" + struct.pack("<I", len(data)) + data)

    # -- objects -------------------------------------------------------------------------------
    def save(self, obj, path="the top level"):
        if obj is None:
            self.w(b"N")
        elif obj is True or obj is False:
            self.w(b"\x88" if obj else b"\x89")
        elif isinstance(obj, Tensor):
            self.tensor(obj)
        elif isinstance(obj, (np.bool_, np.number)):
            self.save(obj.item(), path)  # PyTorch's weights-only load refuses NumPy scalars
        elif isinstance(obj, int):
            self.w_int(int(obj))
        elif isinstance(obj, float):
            self.w(b"G" + struct.pack(">d", obj))
        elif isinstance(obj, str):
            self.w_str(str(obj))
        elif isinstance(obj, complex):
            self.call("builtins", "complex", obj.real, obj.imag)
        elif isinstance(obj, bytes):
            self.call("_codecs", "encode", obj.decode("latin1"), "latin1")
        elif isinstance(obj, bytearray):
            self.call("builtins", "bytearray", bytes(obj))
        elif isinstance(obj, D.dtype):
            self.glob("torch", obj.name)
        elif isinstance(obj, device):
            self.call("torch", "device", *((obj.type,) if obj.index is None else (obj.type, obj.index)))
        elif isinstance(obj, Size):
            self.call("torch", "Size", tuple(int(s) for s in obj))
        elif isinstance(obj, (list, tuple, dict, set)):
            self.container(obj, path)
        else:
            what = ("NumPy arrays (convert them with ember.from_numpy)"
                    if isinstance(obj, np.ndarray) else
                    f"an object of type {type(obj).__module__}.{type(obj).__qualname__}")
            raise TypeError(
                f"ember.save(format='torch'): cannot save {what} (at {path}); a file that "
                "torch.load(weights_only=True) reads holds tensors, numbers, strings, bytes, bools, "
                "None, dtypes, devices, sizes and dicts, lists, tuples and sets of them.")

    def container(self, obj, path):
        if id(obj) in self.open:
            raise ValueError(f"ember.save: the object contains itself (at {path})")
        self.open.add(id(obj))
        if isinstance(obj, tuple):
            self.w_tuple([_Child(v, f"{path}[{i}]") for i, v in enumerate(obj)])
        elif isinstance(obj, list):
            self.w(b"]")
            self.batches(b"e", [[_Child(v, f"{path}[{i}]")] for i, v in enumerate(obj)])
        elif isinstance(obj, set):
            self.glob("builtins", "set")
            self.w(b"]")
            self.batches(b"e", [[_Child(v, path)] for v in obj])
            self.w(b"\x85R")
        else:
            if isinstance(obj, OrderedDict):
                self.call("collections", "OrderedDict")
            else:
                self.w(b"}")
            self.batches(b"u", [[_Child(k, path), _Child(v, f"{path}[{k!r}]")] for k, v in obj.items()])
            attrs = getattr(obj, "__dict__", None) if isinstance(obj, OrderedDict) else None
            if attrs:  # a PyTorch state_dict's _metadata: set by BUILD, which torch allows here
                self.save(dict(attrs), path)
                self.w(b"b")
        self.open.discard(id(obj))

    def batches(self, op, groups):
        for i in range(0, len(groups), _BATCH):
            self.w(b"(")
            for group in groups[i:i + _BATCH]:
                for child in group:
                    self.save(child.obj, child.path)
            self.w(op)

    def tensor(self, t):
        key = ("tensor", id(t))
        if key in self.memo:
            self.get(key)
            return
        from ..nn.parameter import Parameter
        param = isinstance(t, Parameter)
        if param:
            self.glob("torch._utils", "_rebuild_parameter")
            self.w(b"(")
        arr = host_array(t)
        skey = str(len(self.storages))
        self.storages.append((skey, arr))
        self.glob("torch._utils", "_rebuild_tensor_v2")
        self.w(b"((")
        self.w_str("storage")
        self.glob("torch", STORAGE_OF[t.dtype])
        self.w_str(skey)
        self.w_str(str(t.device))
        self.w_int(arr.size)
        self.w(b"tQ")
        self.w_int(0)
        self.w_tuple(list(arr.shape))
        self.w_tuple(_contiguous_strides(arr.shape))
        self.save(False if param else t.requires_grad)
        self.call("collections", "OrderedDict")
        self.w(b"tR")
        if param:
            self.save(t.requires_grad)
            self.call("collections", "OrderedDict")
            self.w(b"tR")
        self.put(key)
        self.keep.append(t)


class _Child:
    """An item with the path that error messages name."""

    __slots__ = ("obj", "path")

    def __init__(self, obj, path):
        self.obj, self.path = obj, path


def _contiguous_strides(shape):
    strides, step = [], 1
    for s in reversed(shape):
        strides.append(step)
        step *= max(s, 1)
    return strides[::-1]


def dumps(obj):
    """(pickle bytes, [(storage key, array)]) for ``obj``; raises TypeError before anything is
    written when ``obj`` holds something PyTorch's weights-only load would refuse."""
    p = _Pickler()
    p.w(b"\x80\x02")
    p.save(obj)
    p.w(b".")
    return b"".join(p.out), p.storages

