"""ember's default format: a safetensors file whose tensors are the object's tensors and whose
``__metadata__`` holds the object's nesting as a JSON tree (key ``ember.tree``). Nothing is pickled.

In the tree, JSON null/true/false/numbers/strings/arrays stand for None, bools, ints, finite
floats, strs and lists; every JSON object is a tagged node with exactly one of these keys:

    {"tensor": name, "requires_grad": b, "parameter": b, "dtype": d, "device": d}
    {"ndarray": name, "dtype": d}           {"numpy": "float32", "value": v}   (NumPy scalar)
    {"tuple": [..]}  {"set": [..]}  {"frozenset": [..]}
    {"dict": {str: node}, "ordered": b, "attrs": {..}}   (all keys are str)
    {"items": [[key, value], ..], "ordered": b, "attrs": {..}}   (other keys)
    {"float": "nan" | "inf" | "-inf"}  {"complex": [re, im]}  {"bytes": base64}
    {"bytearray": base64}  {"size": [..]}  {"dtype": "float32"}  {"device": "cuda:0"}

A tensor's name is its path in the object ("model.fc.weight" for
``{"model": state_dict}``; a bare state_dict keeps its own keys), so ``safetensors.numpy.load_file``
on an ember file gives the tensors under familiar names. A tensor that appears twice is stored
once and comes back as one object. complex128, which safetensors lacks, is stored as float64
with a trailing dimension of 2 and its dtype in the node.
"""
import base64
import json
import math
from collections import OrderedDict

import numpy as np

from .. import _dtype as D
from .._device import device
from .._tensor import Size, Tensor
from . import _safetensors as ST
from ._budget import MAX_DEPTH, check_json
from ._common import CheckpointError, host_array

__all__ = ["TREE_KEY", "CRC_KEY", "save", "prepare", "build"]

TREE_KEY, VERSION_KEY, CRC_KEY = "ember.tree", "ember.format", "ember.crc32"
# Format 1 had checksums over the tensor bytes only; format 2 adds the header's own checksum
# (ST.HEAD_CRC_KEY), which a format-2 file must carry.
VERSION, _KNOWN_VERSIONS = "2", ("1", "2")
_MAX_NESTING = MAX_DEPTH // 2 - 1
_FLOATS = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}


class _Encoder:
    def __init__(self):
        self.entries = []        # (name, safetensors dtype, shape, array) for _safetensors.write
        self.names = {"__metadata__"}
        self.stored = {}         # id(tensor or array) -> (name, extra node fields)
        self.keep = []           # the objects behind those ids, alive until the save ends
        self.open = set()        # ids of the containers being encoded (to refuse cycles)

    def _name(self, path):
        base = ".".join(path) or "tensor"
        name, n = base, 1
        while name in self.names:
            name, n = f"{base}#{n}", n + 1
        self.names.add(name)
        return name

    def _store(self, obj, arr, path):
        """Put one array in the file (once per object); return its name and dtype note."""
        key = id(obj)
        if key not in self.stored:
            extra = {}
            if arr.dtype == np.complex128:  # no safetensors dtype: float64 pairs
                arr = arr.reshape(-1).view(np.float64).reshape(arr.shape + (2,))
                extra["dtype"] = "complex128"
            dt = ST.NAMES.get(arr.dtype.str[1:])
            if dt is None:
                raise TypeError(f"ember.save: cannot save a NumPy array of dtype {arr.dtype} "
                                f"(at {'.'.join(path) or 'the top level'})")
            name = self._name(path)
            self.entries.append((name, dt, arr.shape, arr))
            self.stored[key] = (name, extra)
            self.keep.append(obj)
        return self.stored[key]

    def node(self, obj, path):
        if obj is None or obj is True or obj is False or type(obj) is str:
            return obj
        if isinstance(obj, Tensor):
            name, extra = self._store(obj, host_array(obj), path)
            node = {"tensor": name, **extra}
            from ..nn.parameter import Parameter
            if isinstance(obj, Parameter):
                node["parameter"] = True
                node["requires_grad"] = obj.requires_grad
            elif obj.requires_grad:
                node["requires_grad"] = True
            if obj.device.type != "cpu":
                node["device"] = str(obj.device)
            return node
        if isinstance(obj, np.ndarray):
            name, extra = self._store(obj, host_array(obj), path)
            return {"ndarray": name, **extra}
        if isinstance(obj, (np.bool_, np.number)):
            return {"numpy": obj.dtype.name, "value": self.node(obj.item(), path)}
        if isinstance(obj, int) and not isinstance(obj, bool):
            return int(obj)
        if isinstance(obj, float):
            return float(obj) if math.isfinite(obj) else {"float": str(obj)}
        if isinstance(obj, complex):
            return {"complex": [self.node(obj.real, path), self.node(obj.imag, path)]}
        if isinstance(obj, str):
            return str(obj)
        if isinstance(obj, (bytes, bytearray)):
            return {"bytearray" if isinstance(obj, bytearray) else "bytes":
                    base64.b64encode(obj).decode()}
        if isinstance(obj, D.dtype):
            return {"dtype": obj.name}
        if isinstance(obj, device):
            return {"device": str(obj)}
        if isinstance(obj, Size):
            return {"size": [int(s) for s in obj]}
        if not isinstance(obj, (list, tuple, dict, set, frozenset)):
            raise TypeError(
                f"ember.save: cannot save an object of type {type(obj).__module__}."
                f"{type(obj).__qualname__} (at {'.'.join(path) or 'the top level'}); ember saves "
                "tensors, NumPy arrays, numbers, strings, bytes, bools, None, dtypes, devices and "
                "dicts, lists, tuples and sets of them in this format; without format= ember.save "
                "pickles other objects (as torch.save does).")
        if id(obj) in self.open:
            raise ValueError(f"ember.save: the object contains itself (at {'.'.join(path)})")
        if len(self.open) >= _MAX_NESTING:  # load refuses deeper trees (each level is 2 in JSON)
            raise ValueError(f"ember.save: the object nests containers more than {_MAX_NESTING} "
                             f"levels deep (at {'.'.join(path)}), which ember.load refuses")
        self.open.add(id(obj))
        try:
            if isinstance(obj, list):
                return [self.node(v, path + [str(i)]) for i, v in enumerate(obj)]
            if isinstance(obj, tuple):
                return {"tuple": [self.node(v, path + [str(i)]) for i, v in enumerate(obj)]}
            if isinstance(obj, (set, frozenset)):
                kind = "frozenset" if isinstance(obj, frozenset) else "set"
                return {kind: [self.node(v, path) for v in obj]}
            return self._dict(obj, path)
        finally:
            self.open.discard(id(obj))

    def _dict(self, obj, path):
        if all(type(k) is str for k in obj):
            node = {"dict": {k: self.node(v, path + [k]) for k, v in obj.items()}}
        else:
            node = {"items": [[self.node(k, path), self.node(v, path + [str(k)])]
                              for k, v in obj.items()]}
        if isinstance(obj, OrderedDict):
            node["ordered"] = True
            attrs = getattr(obj, "__dict__", None)
            if attrs:  # e.g. a PyTorch state_dict's _metadata
                node["attrs"] = {str(k): self.node(v, path + [str(k)]) for k, v in attrs.items()}
        return node


def prepare(obj):
    """A function writing ``obj`` in ember's format (TypeError first if it holds something the
    format cannot)."""
    enc = _Encoder()
    tree = enc.node(obj, [])
    meta = {"format": "pt", VERSION_KEY: VERSION,
            TREE_KEY: json.dumps(tree, separators=(",", ":"), ensure_ascii=False, allow_nan=False)}
    return lambda f: ST.write(f, enc.entries, meta, checksum_key=CRC_KEY, header_checksum=True)


def save(obj, f):
    prepare(obj)(f)


# -- loading -------------------------------------------------------------------------------------
def to_ember_array(dt, arr, name, fname):
    """A NumPy array read as safetensors dtype ``dt`` in a dtype ember tensors can hold:
    bfloat16 widens to float32, unsigned 16/32-bit to the next signed type."""
    if dt == "BF16":
        return (arr.astype(np.uint32) << 16).view(np.float32)
    if dt == "U16":
        return arr.astype(np.int32)
    if dt == "U32":
        return arr.astype(np.int64)
    if dt == "U64":
        if arr.size and arr.max() > np.iinfo(np.int64).max:
            raise CheckpointError(f"{fname}: tensor {name!r} holds uint64 values beyond int64, "
                                  "which ember cannot represent")
        return arr.astype(np.int64)
    return arr


class _Decoder:
    def __init__(self, arrays, placement, fname):
        self.arrays, self.placement, self.fname = arrays, placement, fname
        self.made = {}

    def bad(self, why):
        return CheckpointError(f"{self.fname} is corrupted: its ember tree {why}")

    def array(self, node, key):
        name = node[key]
        if name not in self.arrays:
            raise self.bad(f"names a tensor {name!r} that the file does not hold")
        dt, arr = self.arrays[name]
        if node.get("dtype") == "complex128":
            if dt != "F64" or arr.ndim == 0 or arr.shape[-1] != 2:
                raise self.bad(f"says {name!r} is complex128 but it is stored as {dt} "
                               f"{list(arr.shape)}")
            return name, arr.view(np.complex128).reshape(arr.shape[:-1])
        return name, arr

    def tensor(self, node):
        name, arr = self.array(node, "tensor")
        cache = ("tensor", name, bool(node.get("parameter")))
        if cache in self.made:
            return self.made[cache]
        t = Tensor._wrap(to_ember_array(self.arrays[name][0], arr, name, self.fname))
        rg = bool(node.get("requires_grad", False))
        if rg and not (t.is_floating_point() or t.is_complex()):
            raise self.bad(f"marks the {t.dtype} tensor {name!r} as requiring grad")
        if node.get("parameter"):
            from ..nn.parameter import Parameter
            t = Parameter(t, requires_grad=rg)
        elif rg:
            t.requires_grad = True
        self.placement.add(lambda t=t: [t], t, node.get("device", "cpu"))
        self.made[cache] = t
        return t

    def node(self, n):
        if n is None or isinstance(n, (bool, int, float, str)):
            return n
        if isinstance(n, list):
            return [self.node(v) for v in n]
        if not isinstance(n, dict):
            raise self.bad(f"holds an unexpected value {n!r}")
        try:
            return self._tagged(n)
        except CheckpointError:
            raise
        except (KeyError, TypeError, ValueError, AttributeError, IndexError, RuntimeError) as e:
            raise self.bad(f"holds a malformed node {json.dumps(n)[:200]} ({e!r})") from None

    def _tagged(self, n):
        if "tensor" in n:
            return self.tensor(n)
        if "ndarray" in n:
            name, arr = self.array(n, "ndarray")
            key = ("ndarray", name)
            if key not in self.made:
                dt = self.arrays[name][0]
                self.made[key] = to_ember_array(dt, arr, name, self.fname) if dt == "BF16" else arr
            return self.made[key]
        if "dict" in n or "items" in n:
            if "dict" in n:
                pairs = [(k, self.node(v)) for k, v in n["dict"].items()]
            else:
                pairs = [(self._key(k), self.node(v)) for k, v in n["items"]]
            if not n.get("ordered"):
                return dict(pairs)
            d = OrderedDict(pairs)
            for k, v in n.get("attrs", {}).items():
                if not k.startswith("__"):
                    d.__dict__[k] = self.node(v)
            return d
        if "tuple" in n:
            return tuple(self.node(v) for v in n["tuple"])
        if "set" in n:
            return {self._key(v) for v in n["set"]}
        if "frozenset" in n:
            return frozenset(self._key(v) for v in n["frozenset"])
        if "float" in n:
            return _FLOATS[n["float"]]
        if "complex" in n:
            re, im = (self.node(v) for v in n["complex"])
            return complex(float(re), float(im))
        if "numpy" in n:
            dt = np.dtype(n["numpy"])
            if dt.kind not in "biufc":
                raise ValueError(f"not a NumPy number type: {dt}")
            return dt.type(self.node(n["value"]))
        if "bytes" in n:
            return base64.b64decode(n["bytes"], validate=True)
        if "bytearray" in n:
            return bytearray(base64.b64decode(n["bytearray"], validate=True))
        if "size" in n:
            return Size(int(s) for s in n["size"])
        if "dtype" in n:
            return D._BY_NAME[n["dtype"]]
        if "device" in n:
            return device(n["device"])
        raise self.bad(f"holds an unknown node {json.dumps(n)[:200]}")

    def _key(self, k):
        k = self.node(k)
        hash(k)  # an unhashable key is a corrupted tree (TypeError, reported by node())
        return k


def build(meta, arrays, placement, fname, header_checked=False, file_size=0):
    """The object a safetensors file holds: ember's tree when it has one, else a dict of
    tensors in header order (a file from another tool). ``header_checked``: the header's
    checksum was present and matched (format 2 requires it)."""
    ours = any(k in meta for k in (TREE_KEY, VERSION_KEY, CRC_KEY))
    if ours:
        version = meta.get(VERSION_KEY, "1")
        if version not in _KNOWN_VERSIONS:
            raise CheckpointError(f"{fname} is corrupted or written by a newer ember: unknown ember "
                                  f"format {version!r} (this ember reads {', '.join(_KNOWN_VERSIONS)})")
        if version != "1" and not header_checked:
            raise CheckpointError(f"{fname} is corrupted: its header lacks the checksum that ember "
                                  f"format {version} files carry")
    if TREE_KEY not in meta:
        dec = _Decoder(arrays, placement, fname)
        return {name: dec.tensor({"tensor": name}) for name in arrays}
    text = meta[TREE_KEY].encode("utf-8", "surrogatepass")
    check_json(text, fname, "ember tree", file_size)
    try:
        tree = json.loads(text)
    except (ValueError, RecursionError) as e:
        raise CheckpointError(f"{fname} is corrupted: its ember tree is not valid JSON ({e})") from None
    del text
    return _Decoder(arrays, placement, fname).node(tree)
