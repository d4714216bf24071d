"""PyTorch checkpoints: the zip format of ``torch.save`` (read and write) and the legacy
pickle-stream format (read).

Zip: ``<prefix>/data.pkl`` is the pickled object, whose storages are persistent ids
``('storage', torch.FloatStorage, key, location, numel)`` with bytes in ``<prefix>/data/<key>``;
``<prefix>/byteorder`` says the bytes' order, ``<prefix>/version`` the format version.

Legacy (``_use_new_zipfile_serialization=False``): five pickles back to back — the magic number,
the protocol version 1001, a sys-info dict, the object (persistent ids as above plus a view
field) and the list of storage keys — then, per key, an 8-byte little-endian element count and
the storage's little-endian bytes.

Both pickles go through ``_unpickle`` with the globals below: what ``torch.load(weights_only=True)``
admits, each mapped to ember's own rebuild function. Tensors are NumPy views of their storage
(tensors sharing a storage share memory, as in PyTorch).
"""
import io
import math
import struct
import zipfile
import zlib
from collections import OrderedDict

import numpy as np

from .. import _dtype as D
from .._device import device
from .._tensor import Size, Tensor
from . import _objects, _pickle
from ._budget import inflate_limit
from ._common import CheckpointError, readinto_exact
from ._unpickle import Global, refuse, unpickle

__all__ = ["load_zip", "load_legacy", "save_zip", "prepare_zip"]

LEGACY_MAGIC = 0x1950a86a20f9469cfc6c
LEGACY_PROTOCOL = 1001


def _bf16(a):  # bfloat16 is the top half of a float32
    return (a.astype(np.uint32) << 16).view(np.float32)


def _u64(a):
    if a.size and a.max() > np.iinfo(np.int64).max:
        raise ValueError("uint64 values beyond int64, which ember cannot represent")
    return a.astype(np.int64)


class _Kind:
    """An element type as stored: its NumPy type and the conversion to an ember dtype
    (None when ember holds it as is)."""

    __slots__ = ("name", "np", "convert")

    def __init__(self, name, np_dtype, convert=None):
        self.name, self.np, self.convert = name, np.dtype(np_dtype), convert


_KINDS = {d.name: _Kind(d.name, d.np) for d in D.ALL}
_KINDS.update(bfloat16=_Kind("bfloat16", "<u2", _bf16),
              uint16=_Kind("uint16", "<u2", lambda a: a.astype(np.int32)),
              uint32=_Kind("uint32", "<u4", lambda a: a.astype(np.int64)),
              uint64=_Kind("uint64", "<u8", _u64))
_STORAGE_KINDS = {v: _KINDS[d.name] for d, v in _pickle.STORAGE_OF.items()}
_STORAGE_KINDS.update(BFloat16Storage=_KINDS["bfloat16"], UntypedStorage=_KINDS["uint8"])
_UNSUPPORTED_REBUILDS = {
    "_rebuild_sparse_tensor": "sparse", "_rebuild_sparse_csr": "sparse",
    "_rebuild_nested_tensor": "nested", "_rebuild_qtensor": "quantized",
    "_rebuild_meta_tensor_no_storage": "meta", "_rebuild_wrapper_subclass": "subclass",
    "_rebuild_device_tensor_from_numpy": "device", "_rebuild_device_tensor_from_cpu_tensor": "device",
    "_rebuild_xla_tensor": "XLA", "_rebuild_mtia_tensor": "MTIA"}


class _Storage:
    __slots__ = ("key", "kind", "raw", "location", "objs", "root", "filled")

    def __init__(self, key, kind, raw, location, root=None, filled=False):
        self.key, self.kind, self.raw, self.location = key, kind, raw, location
        self.objs = []       # the tensors (and Parameters) built on it
        self.root = root or self  # very old files have views of storages
        self.filled = filled  # legacy files bring the bytes after the pickle

    @property
    def ready(self):
        return self.root.filled


class _Loader:
    """The globals a checkpoint may name and the storages it uses, for one load."""

    def __init__(self, fname, placement, read_storage=None, big_endian=False, trusted=False,
                 data_budget=None):
        self.fname, self.placement = fname, placement
        self.read_storage = read_storage  # zip: key, kind, numel -> uint8 array; legacy: None
        self.big = big_endian
        self.trusted = trusted  # weights_only=False: the file may name any class
        self.data_budget = data_budget  # legacy: the bytes the file has room for
        self.storages = {}
        self.views = {}
        self.owner = {}      # id(tensor) -> its storage
        self.converted = {}  # (id(storage), kind) -> the storage in ember's dtype
        self.pending = []    # legacy: (converted storage, raw storage, kind) to fill after the data

    def corrupt(self, why):
        return CheckpointError(f"{self.fname} is corrupted: {why}")

    # -- globals ---------------------------------------------------------------------------------
    def find_global(self, module, name):
        full = f"{module}.{name}"
        if module == "torch._utils":
            fn = {"_rebuild_tensor_v2": self.rebuild_v2, "_rebuild_tensor": self.rebuild,
                  "_rebuild_tensor_v3": self.rebuild_v3, "_rebuild_parameter": self.rebuild_parameter,
                  "_rebuild_parameter_with_state": self.rebuild_parameter}.get(name)
            if fn is not None:
                return Global(full, fn)
            if name in _UNSUPPORTED_REBUILDS:
                return Global(full, self.unsupported(f"{_UNSUPPORTED_REBUILDS[name]} tensors"))
        elif full == "torch._tensor._rebuild_from_type_v2":
            return Global(full, self.rebuild_from_type)
        elif full in ("torch.nn.parameter.Parameter", "torch.Tensor"):
            return Global(full, info=name)
        elif full == "collections.OrderedDict":
            return Global(full, _ordered_dict)
        elif full == "torch.Size":
            return Global(full, lambda dims=(): Size(_ints(dims)))
        elif full == "torch.device":
            return Global(full, _device)
        elif module in ("torch", "torch.cuda", "torch.storage") and name.endswith("Storage"):
            kind = _STORAGE_KINDS.get(name)
            if kind is not None:
                return Global(full, info=kind)
            if name.startswith("Q") or name in ("TypedStorage",):
                return Global(full, info=None)  # quantized: refused when used, with a clear error
        elif module == "torch" and name in _KINDS:
            return D._BY_NAME.get(name) or Global(full, info=_KINDS[name])
        elif module == "torch" and (name.startswith(("float8", "qint", "quint", "per_", "complex32",
                                                     "uint", "int", "float4"))):
            return Global(full, self.unsupported(f"values of type torch.{name}"))
        elif full == "torch.serialization._get_layout":
            return Global(full, lambda layout: str(layout))
        elif full == "_codecs.encode":
            return Global(full, _encode)
        elif full == "builtins.set":
            return Global(full, lambda items=(): set(_items(items)))
        elif full == "builtins.frozenset":
            return Global(full, lambda items=(): frozenset(_items(items)))
        elif full == "builtins.bytearray":
            return Global(full, _bytearray)
        elif full == "builtins.bytes":
            return Global(full, _empty_bytes)
        elif full == "builtins.complex":
            return Global(full, _complex)
        user = _objects.user_globals()
        if full in user:
            return Global(full, user[full], _objects.USER)
        if module.startswith("torch.") and user:  # PyTorch's path of an allow-listed ember class
            try:
                obj = _objects.resolve_torch(module, name, self.fname)
            except CheckpointError:
                obj = None
            if obj is not None and any(obj is v for v in user.values()):
                return Global(full, obj, _objects.USER)
        raise refuse(self.fname, _objects.unsupported_global(full))

    def unsupported(self, what):
        def fail(*args):
            raise CheckpointError(f"{self.fname}: ember cannot load {what}")
        return fail

    # -- storages --------------------------------------------------------------------------------
    def persistent_load(self, pid):
        if type(pid) is not tuple or len(pid) not in (5, 6) or pid[0] not in ("storage", b"storage"):
            raise self.corrupt(f"unexpected persistent id {pid!r}")
        _, stype, key, location, numel = pid[:5]
        view = pid[5] if len(pid) == 6 else None
        if type(stype) is not Global or not isinstance(stype.info, _Kind):
            if type(stype) is Global and stype.info is None:
                raise CheckpointError(f"{self.fname}: ember cannot load quantized or typed storages "
                                      f"({stype.name})")
            raise self.corrupt(f"persistent id names {stype!r}, not a storage type")
        if not (type(key) is str and type(location) is str and type(numel) is int and numel >= 0):
            raise self.corrupt(f"malformed storage id {pid!r}")
        kind = stype.info
        storage = self.storages.get(key)
        if storage is None:
            if self.read_storage is not None:
                raw = self.read_storage(key, kind, numel)
            else:
                nbytes = numel * kind.np.itemsize
                if self.data_budget is not None and nbytes > self.data_budget:
                    raise CheckpointError(
                        f"{self.fname} is truncated or corrupted: storage {key} needs {nbytes} "
                        f"bytes but the file has only {self.data_budget} bytes left")
                self.data_budget = None if self.data_budget is None else self.data_budget - nbytes
                raw = np.empty(nbytes, np.uint8)
            storage = self.storages[key] = _Storage(key, kind, raw, location,
                                                    filled=self.read_storage is not None)
        if view is None:
            return storage
        # very old files: a view (view_key, offset, numel) of a storage
        try:
            vkey, offset, vsize = view
            item = kind.np.itemsize
            part = storage.raw[offset * item:(offset + vsize) * item]
            if part.size != vsize * item or offset < 0 or vsize < 0:
                raise ValueError
        except (TypeError, ValueError):
            raise self.corrupt(f"malformed storage view {view!r}") from None
        return self.views.setdefault(vkey, _Storage(vkey, kind, part, location, root=storage))

    def register(self):
        for s in list(self.storages.values()) + list(self.views.values()):
            kind = s.kind if s.kind.convert is None else _KINDS["uint8"]
            self.placement.add(lambda s=s: s.objs, Tensor._wrap(s.raw.view(kind.np)), s.location)

    # -- tensors ---------------------------------------------------------------------------------
    def make(self, storage, offset, size, stride, kind):
        if not isinstance(storage, _Storage):
            raise self.corrupt(f"a tensor is built on {type(storage).__name__}, not a storage")
        size, stride = _ints(size), _ints(stride)
        if type(offset) is not int or offset < 0 or len(size) != len(stride) or \
                any(s < 0 for s in size) or any(s < 0 for s in stride) or len(size) > 64:
            raise self.corrupt(f"bad tensor geometry: offset {offset}, size {size}, stride {stride}")
        numel = math.prod(size)  # Python ints: [2**32, 2**32] does not wrap around to 0
        if numel >= 1 << 62 or any(s >= 1 << 62 for s in size + stride):
            raise self.corrupt(f"a tensor of shape {list(size)} is too large to exist")
        npdt = kind.np.newbyteorder(">") if self.big else kind.np
        raw = storage.raw
        if raw.size % npdt.itemsize:
            raise self.corrupt(f"storage {storage.key} is not a whole number of {kind.name} items")
        typed = self.storage_array(storage, kind, npdt)
        if numel == 0:
            arr = np.empty(size, typed.dtype)
        else:
            extent = offset + sum((n - 1) * st for n, st in zip(size, stride)) + 1
            if extent > typed.size:
                raise CheckpointError(
                    f"{self.fname}: size mismatch: a tensor of shape {list(size)} (offset {offset}, "
                    f"stride {list(stride)}) needs {extent} elements of storage {storage.key} but it "
                    f"holds {typed.size} (corrupted file?)")
            # a view of the storage (converted once per storage, never per view: a tensor with
            # zero strides stays a view however many elements it claims)
            arr = np.lib.stride_tricks.as_strided(
                typed[offset:], size, tuple(st * typed.itemsize for st in stride))
        t = Tensor._wrap(arr)
        self.adopt(t, storage)
        return t

    def storage_array(self, storage, kind, npdt):
        """The storage's items in the dtype ember holds (a view of its bytes when that is the
        stored dtype and byte order, else converted once)."""
        typed = storage.raw.view(npdt)
        if kind.convert is None and npdt.isnative:
            return typed
        key = (id(storage.raw), kind.name)
        if key not in self.converted:
            if storage.ready:
                self.converted[key] = self.convert(typed, kind)
            else:  # legacy: the bytes come after the pickle; fill this array then
                native = kind.np.newbyteorder("=")
                out_dt = native if kind.convert is None else kind.convert(np.empty(0, native)).dtype
                out = np.empty(typed.size, out_dt)
                self.pending.append((out, typed, kind))
                self.converted[key] = out
        return self.converted[key]

    def convert(self, view, kind):
        if not view.dtype.isnative:
            view = view.astype(view.dtype.newbyteorder("="))
        if kind.convert is None:
            return view
        try:
            return kind.convert(view)
        except ValueError as e:
            raise CheckpointError(f"{self.fname}: {e}") from None

    def adopt(self, t, storage):
        storage.objs.append(t)
        self.owner[id(t)] = storage

    def fill_pending(self):
        for arr, view, kind in self.pending:
            np.copyto(arr, self.convert(view, kind))

    def grad(self, t, requires_grad):
        if requires_grad:
            if not (t.is_floating_point() or t.is_complex()):
                raise self.corrupt(f"a {t.dtype} tensor is marked as requiring grad")
            t.requires_grad = True
        return t

    def rebuild(self, storage, offset, size, stride):
        return self.make(storage, offset, size, stride, getattr(storage, "kind", None))

    def rebuild_v2(self, storage, offset, size, stride, requires_grad=False, hooks=None,
                   metadata=None):
        return self.grad(self.rebuild(storage, offset, size, stride), requires_grad)

    def rebuild_v3(self, storage, offset, size, stride, requires_grad, hooks, dtype, metadata=None):
        if isinstance(dtype, D.dtype):
            kind = _KINDS[dtype.name]
        elif type(dtype) is Global and isinstance(dtype.info, _Kind):
            kind = dtype.info
        elif type(dtype) is Global:
            raise CheckpointError(f"{self.fname}: ember cannot load tensors of dtype {dtype.name}")
        else:
            raise self.corrupt(f"_rebuild_tensor_v3 got dtype {dtype!r}")
        return self.grad(self.make(storage, offset, size, stride, kind), requires_grad)

    def rebuild_parameter(self, data, requires_grad, hooks=None, state=None):
        if not isinstance(data, Tensor):
            raise self.corrupt(f"a Parameter is built on {type(data).__name__}")
        from ..nn.parameter import Parameter
        p = Parameter(data, requires_grad=bool(requires_grad))
        self.adopt(p, self.owner[id(data)])
        return p

    def rebuild_from_type(self, func, new_type, args, state):
        call = func.call if type(func) is Global else func if self.trusted and callable(func) else None
        if call is None or type(new_type) is not Global or \
                new_type.info not in ("Tensor", "Parameter") or type(args) is not tuple:
            raise refuse(self.fname, f"Unsupported tensor subclass rebuild {new_type!r}")
        t = call(*args)
        if new_type.info == "Parameter" and isinstance(t, Tensor):
            t = self.rebuild_parameter(t, t.requires_grad)
        if isinstance(state, dict) and isinstance(t, Tensor):
            for k, v in state.items():  # plain attributes that PyTorch kept on the tensor
                if type(k) is str and not k.startswith("_") and not hasattr(type(t), k):
                    t.__dict__[k] = v
        return t


def _ints(v):
    if type(v) not in (tuple, list, Size) or not all(type(i) is int for i in v):
        raise TypeError(f"expected a tuple of ints, got {v!r}")
    return tuple(v)


def _items(v):
    if type(v) not in (list, tuple, set, frozenset):
        raise TypeError(f"expected a list, got {type(v).__name__}")
    return v


def _ordered_dict(items=()):
    return OrderedDict(_items(items))


def _device(kind, index=None):
    if type(kind) is not str or not (index is None or type(index) is int):
        raise TypeError(f"bad device {kind!r}, {index!r}")
    return device(kind, index)


def _encode(text, encoding="utf-8"):
    if type(text) is not str or encoding not in ("latin1", "latin-1", "utf-8", "utf8"):
        raise TypeError("_codecs.encode takes a str and latin1 / utf-8")
    return text.encode(encoding)


def _bytearray(data=b""):
    if type(data) is not bytes:
        raise TypeError("bytearray takes bytes here")
    return bytearray(data)


def _empty_bytes(*args):
    if args:
        raise TypeError("bytes() takes no arguments here")
    return b""


def _complex(real=0.0, imag=0.0):
    if type(real) not in (int, float) or type(imag) not in (int, float):
        raise TypeError("complex takes two numbers here")
    return complex(real, imag)


# -- zip ------------------------------------------------------------------------------------------
class _Inflation:
    """The bytes a zip's records may produce, against what the file holds: a record is read
    only when its declared size fits (and zipfile never yields more than declared): a stored
    record within the file, a deflated one within ``inflate_limit`` of its compressed size and
    all of them together within ``inflate_limit`` of the file's size."""

    def __init__(self, fname, file_size, end):
        self.fname, self.file_size, self.end, self.used = fname, file_size, end, 0

    def claim(self, info):
        if info.compress_type == zipfile.ZIP_STORED:
            if info.compress_size != info.file_size or \
                    info.header_offset + info.compress_size > self.end:
                raise CheckpointError(
                    f"{self.fname} is truncated or corrupted: the record {info.filename} claims "
                    f"{info.file_size} bytes that the file ({self.file_size} bytes) cannot hold")
            return
        self.used += info.file_size
        if info.file_size > inflate_limit(info.compress_size) or \
                self.used > inflate_limit(self.file_size):
            raise CheckpointError(
                f"{self.fname} is corrupted or hostile: its record {info.filename} inflates from "
                f"{info.compress_size} to {info.file_size} bytes, beyond what ember allows for "
                "compressed records (a zip bomb?); PyTorch writes its records uncompressed")


def _zip_reader(f, zf, prefix, fname, inflation):
    seekable = f.seekable()

    def read_storage(key, kind, numel):
        name = f"{prefix}data/{key}"
        nbytes = numel * kind.np.itemsize
        try:
            info = zf.getinfo(name)
        except KeyError:
            raise CheckpointError(f"{fname} is corrupted: the record {name} is missing") from None
        if info.file_size != nbytes:
            raise CheckpointError(
                f"{fname}: size mismatch for storage {key}: {numel} {kind.name} elements need "
                f"{nbytes} bytes but its record holds {info.file_size} (corrupted file?)")
        stored = info.compress_type == zipfile.ZIP_STORED
        inflation.claim(info)  # before allocating: declared sizes are not trusted
        buf = np.empty(nbytes, np.uint8)
        try:
            if stored and seekable:
                # read straight into the array (zipfile would copy through bytes objects)
                f.seek(info.header_offset)
                head = f.read(30)
                if len(head) != 30 or head[:4] != b"PK\x03\x04":
                    raise zipfile.BadZipFile(f"bad local header for {name}")
                n_name, n_extra = struct.unpack("<HH", head[26:30])
                f.seek(info.header_offset + 30 + n_name + n_extra)
                got = readinto_exact(f, buf)
                if got != nbytes:
                    raise CheckpointError(f"{fname} is truncated: the record {name} ends after "
                                          f"{got} of {nbytes} bytes")
                if zlib.crc32(buf) != info.CRC:
                    raise zipfile.BadZipFile(f"Bad CRC-32 for file {name!r}")
            else:
                with zf.open(info) as r:
                    if readinto_exact(r, buf) != nbytes:
                        raise zipfile.BadZipFile(f"record {name} is short")
        except (zipfile.BadZipFile, EOFError, OSError, zlib.error, NotImplementedError,
                RuntimeError) as e:
            if isinstance(e, CheckpointError):
                raise
            raise CheckpointError(f"{fname} is corrupted: {e}") from None
        return buf

    return read_storage


def _read_record(zf, info, fname, inflation):
    inflation.claim(info)
    try:
        with zf.open(info) as r:
            data = r.read()
    except (zipfile.BadZipFile, EOFError, OSError, zlib.error, NotImplementedError,
            RuntimeError) as e:
        raise CheckpointError(f"{fname} is corrupted: {e}") from None
    if len(data) != info.file_size:
        raise CheckpointError(f"{fname} is corrupted: the record {info.filename} is short")
    return data


def load_zip(f, fname, placement, trusted=False):
    start = f.tell()
    file_size = f.seek(0, io.SEEK_END) - start
    f.seek(start)
    try:
        zf = zipfile.ZipFile(f)
        infos = zf.infolist()
    except (zipfile.BadZipFile, EOFError, OSError, ValueError, NotImplementedError) as e:
        raise CheckpointError(f"{fname} is truncated or corrupted: it starts like a PyTorch zip "
                              f"checkpoint but is not a readable zip archive ({e})") from None
    names = [i.filename for i in infos]
    if len(set(names)) != len(names):
        dup = next(n for n in names if names.count(n) > 1)
        raise CheckpointError(f"{fname} is corrupted: the zip holds two records named {dup}")
    pkl = [n for n in names if n.endswith("/data.pkl") and n.count("/") == 1]
    if not pkl:
        if any(n.endswith("constants.pkl") for n in names):
            raise CheckpointError(f"{fname} is a TorchScript archive (torch.jit.save), which "
                                  "ember cannot load; save the state_dict with torch.save instead")
        raise CheckpointError(f"{fname} is not a PyTorch checkpoint: the zip holds no data.pkl")
    if len(pkl) > 1:
        raise CheckpointError(f"{fname} is corrupted: the zip holds {len(pkl)} data.pkl records "
                              f"({', '.join(pkl)}); a checkpoint has one")
    prefix = pkl[0][:-len("data.pkl")]
    inflation = _Inflation(fname, file_size, start + file_size)
    order = "little"
    if prefix + "byteorder" in names:
        info = zf.getinfo(prefix + "byteorder")
        if info.file_size > 16:
            raise CheckpointError(f"{fname} is corrupted: its byteorder record holds "
                                  f"{info.file_size} bytes")
        try:
            order = _read_record(zf, info, fname, inflation).decode()
        except UnicodeDecodeError:
            order = "?"
    if order not in ("little", "big"):
        raise CheckpointError(f"{fname} is corrupted: unknown byteorder {order!r}")
    data = _read_record(zf, zf.getinfo(pkl[0]), fname, inflation)
    loader = _Loader(fname, placement, _zip_reader(f, zf, prefix, fname, inflation),
                     order == "big", trusted)
    if trusted:
        obj = _objects.TrustingUnpickler(io.BytesIO(data), loader).load()
    else:
        obj = unpickle(io.BytesIO(data), loader.find_global, loader.persistent_load, fname)
    loader.register()
    return obj


def _aligned_record(zf, f, start, name, data, align=64):
    """Write one stored record whose data starts at a multiple of ``align`` bytes from the
    start of the archive (as PyTorch does, so its mmap loads work), padding the local header's
    extra field."""
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_STORED
    nbytes = data.nbytes if isinstance(data, np.ndarray) else len(data)
    if start is not None:
        zip64 = 20 if nbytes * 1.05 > zipfile.ZIP64_LIMIT else 0
        base = f.tell() - start + 30 + len(name.encode()) + zip64
        pad = -(base + 4) % align
        info.extra = struct.pack("<HH", 0x454D, pad) + b"\0" * pad  # a private "EM" padding field
    zf.writestr(info, data)


def prepare_zip(obj, whole=True):
    """The pickle and storages for ``obj``: a weights-only pickle when ``obj`` is plain data
    (``torch.load(weights_only=True)`` reads it), else, with ``whole``, the whole object
    pickled (a TypeError before anything is written when it is not picklable)."""
    try:
        return _pickle.dumps(obj)
    except TypeError:
        if not whole:
            raise
    return _objects.dumps(obj)


def save_zip(obj, f, prepared=None):
    data, storages = prepared if prepared is not None else prepare_zip(obj)
    try:
        start = f.tell() if f.seekable() else None
    except (AttributeError, OSError):
        start = None
    with zipfile.ZipFile(f, "w", zipfile.ZIP_STORED, allowZip64=True) as zf:
        _aligned_record(zf, f, start, "archive/data.pkl", data)
        _aligned_record(zf, f, start, "archive/.format_version", b"1")
        _aligned_record(zf, f, start, "archive/.storage_alignment", b"64")
        _aligned_record(zf, f, start, "archive/byteorder", b"little")
        for key, arr in storages:
            _aligned_record(zf, f, start, f"archive/data/{key}", arr.reshape(-1).view(np.uint8))
        _aligned_record(zf, f, start, "archive/version", b"3\n")


# -- legacy ---------------------------------------------------------------------------------------
def load_legacy(f, fname, placement, trusted=False):
    def no_globals(module, name):
        raise refuse(fname, f"Unsupported global: GLOBAL {module}.{name} is not allowed")

    def no_ids(pid):
        raise CheckpointError(f"{fname} is corrupted: unexpected persistent id {pid!r}")

    def plain():
        return unpickle(f, no_globals, no_ids, fname)

    magic = plain()
    if type(magic) is not int or magic != LEGACY_MAGIC:
        raise CheckpointError(f"{fname}: Invalid magic number; corrupt file? (a pickle stream that is "
                              "not a PyTorch checkpoint)")
    version = plain()
    if version != LEGACY_PROTOCOL:
        raise CheckpointError(f"{fname}: Invalid protocol version: {version!r}")
    if not isinstance(plain(), dict):  # sys info; the data is little-endian whatever it says
        raise CheckpointError(f"{fname} is corrupted: bad sys info record")
    pos = f.tell()
    loader = _Loader(fname, placement, trusted=trusted, data_budget=f.seek(0, io.SEEK_END) - pos)
    f.seek(pos)
    if trusted:
        obj = _objects.TrustingUnpickler(f, loader).load()
    else:
        obj = unpickle(f, loader.find_global, loader.persistent_load, fname)
    keys = plain()
    if type(keys) is not list:
        raise CheckpointError(f"{fname} is corrupted: bad storage key list")
    for key in keys:
        s = loader.storages.get(key)
        if s is None or s.filled:
            raise CheckpointError(f"{fname} is corrupted: unexpected storage key {key!r}")
        head = f.read(8)
        if len(head) != 8:
            raise CheckpointError(f"{fname} is truncated: it ends before the data of storage {key}")
        numel = int.from_bytes(head, "little")
        if numel * s.kind.np.itemsize != s.raw.size:
            raise CheckpointError(
                f"{fname}: size mismatch for storage {key}: the pickle says {s.raw.size} bytes "
                f"but the data record holds {numel} {s.kind.name} elements (corrupted file?)")
        got = readinto_exact(f, s.raw)
        if got != s.raw.size:
            raise CheckpointError(f"{fname} is truncated: the data of storage {key} ends after "
                                  f"{got} of {s.raw.size} bytes")
        s.filled = True
    missing = [k for k, s in loader.storages.items() if not s.filled]
    if missing:
        raise CheckpointError(f"{fname} is truncated or corrupted: no data for storages {missing}")
    loader.fill_pending()
    loader.register()
    return obj
