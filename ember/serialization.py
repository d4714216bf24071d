"""``ember.save`` and ``ember.load``: checkpoints that never run code when loaded (unless asked).

The default format is safetensors with the object's nesting (dicts, lists, tuples, numbers,
strings…) as JSON in its ``__metadata__``; nothing is pickled. ``format="torch"`` writes
PyTorch's zip format, which ``torch.load(f, weights_only=True)`` reads. An object that is more
than tensors and plain values (a whole module, an optimizer, a user's class) is pickled into
PyTorch's zip layout, as ``torch.save`` does. ``load`` reads ember's files, any safetensors
file, and PyTorch's zip and legacy checkpoints — the latter through a pickle machine that
admits only tensors, storages, containers and plain values (the rule of
``torch.load(weights_only=True)``) plus the globals allow-listed with ``add_safe_globals``.
``weights_only=False`` unpickles anything: only for files you trust.

Saving to a path is atomic: the data goes to a temporary file in the same folder, which is
flushed, fsynced and renamed over the target, so a crash mid-save leaves the previous file.

Loading is checked: CRC-32s cover the tensor data and (since ember format 2) the header of
ember's own files; a damaged, truncated or hostile file — one that would nest too deep, hold
too many objects for its size, inflate too far or claim more bytes than it has — raises
``CheckpointError`` naming the file before the memory is spent.

Deliberate differences from PyTorch: ``mmap`` is accepted and ignored; bfloat16 tensors load as
float32 and uint16/uint32/uint64 as int32/int64/int64 (ember has no such dtypes); a
``map_location`` callable receives each storage as a 1-d tensor and only the device of what it
returns is used.
"""
import io
import os
import pickle
import struct
import zipfile
import zlib

from ._serialize import _safetensors, _torch, _tree
from ._serialize._common import CheckpointError, Placement, WeightsOnlyError, atomic_writer, describe
from ._serialize._objects import add_safe_globals, clear_safe_globals, get_safe_globals, safe_globals

__all__ = ["save", "load", "CheckpointError", "WeightsOnlyError", "add_safe_globals",
           "clear_safe_globals", "get_safe_globals", "safe_globals"]

_FORMATS = (None, "safetensors", "torch")
# what a damaged or hostile file can make the readers raise: reported as CheckpointError
_READ_ERRORS = (ValueError, TypeError, KeyError, IndexError, AttributeError, OverflowError,
                RecursionError, NotImplementedError, MemoryError, EOFError, struct.error,
                zlib.error, zipfile.BadZipFile, pickle.UnpicklingError, UnicodeError)


def _is_path(f):
    return isinstance(f, (str, bytes, os.PathLike))


def _prepare(obj, format):
    """A function that writes ``obj`` to a binary file; TypeError (before anything is
    written) when ``format`` cannot hold it."""
    if format not in _FORMATS:
        raise ValueError(f"ember.save: unknown format {format!r}; expected 'safetensors' or 'torch'")
    if format != "torch":
        try:
            tree = _tree.prepare(obj)
            return tree
        except TypeError:
            if format == "safetensors":
                raise
    prepared = _torch.prepare_zip(obj)
    return lambda fh: _torch.save_zip(obj, fh, prepared)


def save(obj, f, pickle_module=None, pickle_protocol=2, _use_new_zipfile_serialization=True,
         _disable_byteorder_record=False, *, format=None):
    """Save ``obj`` to ``f``, a path (written atomically) or a binary file object.

    Tensors (and Parameters), NumPy arrays, numbers, strings, bytes, bools, None, dtypes,
    devices, and dicts (incl. OrderedDict), lists, tuples and sets of them go by default to a
    safetensors file that other tools read as a dict of tensors (``format="safetensors"``
    insists on it). Any other picklable object — a whole module, an optimizer, a user's class —
    is pickled into PyTorch's zip layout, as ``torch.save`` does; ``ember.load`` reads it back
    only with ``weights_only=False`` or the classes allow-listed with ``add_safe_globals``.
    ``format="torch"`` writes the zip layout in every case (plain data then pickled so that
    ``torch.load(f, weights_only=True)`` reads it). PyTorch's other arguments
    (``pickle_module``, ``pickle_protocol``, ``_use_new_zipfile_serialization``) are accepted
    for its programs and ignored: ember always writes protocol 2 in the zip layout."""
    write = _prepare(obj, format)
    if _is_path(f):
        with atomic_writer(f) as fh:
            write(fh)
        return
    if not hasattr(f, "write"):  # PyTorch's type and words
        raise AttributeError("expected 'f' to be string, path, or a file-like object with a "
                             f"'write' attribute (got {type(f).__name__})")
    if isinstance(f, io.TextIOBase):
        raise TypeError(f"ember.save: f must be a path or a binary file object, not "
                        f"{type(f).__name__}")
    write(f)
    if hasattr(f, "flush"):
        f.flush()


def load(f, map_location=None, pickle_module=None, *, weights_only=True, mmap=None,
         **pickle_load_args):
    """Load what ``save`` (or ``torch.save``, or a safetensors writer) wrote to ``f`` (a path or
    a binary file object). Tensors go to their saved device unless ``map_location`` (a device,
    a str, a dict from saved to wanted locations, or a callable ``f(storage, location)``) says
    otherwise.

    ``weights_only=True`` (the default, as in PyTorch >= 2.6) never runs code from the file:
    a pickle naming anything but tensors, containers, plain values and the globals allow-listed
    with ``add_safe_globals`` / ``safe_globals`` raises ``WeightsOnlyError`` (a
    ``pickle.UnpicklingError``). ``weights_only=False`` unpickles whole objects (modules,
    optimizers, your classes; PyTorch's ``torch.*`` classes resolve to ember's): the file can
    then run arbitrary code, so use it only for files you trust.

    A truncated, corrupted, hostile or unknown file raises ``CheckpointError`` (a
    RuntimeError) naming the file. ``pickle_module``, ``mmap`` and ``pickle_load_args`` (e.g.
    ``encoding``) are accepted for PyTorch's programs and ignored."""
    trusted = weights_only is False  # (None means the default, as in PyTorch)
    fname = describe(f)
    placement = Placement(map_location, fname)
    if _is_path(f):
        with open(f, "rb") as fh:
            obj = _checked(fh, fname, placement, trusted, False)
    else:
        if not hasattr(f, "read"):  # PyTorch's type
            raise AttributeError(f"'{type(f).__name__}' object has no attribute 'read': ember.load "
                                 "reads a path or a binary file object")
        if isinstance(f, io.TextIOBase):
            raise TypeError(f"ember.load: f must be a path or a binary file object, not "
                            f"{type(f).__name__}")
        obj = _checked(f, fname, placement, trusted, True)
    placement.finish()
    return obj


def _checked(f, fname, placement, trusted, trailing_ok):
    if trusted:  # the file's own classes may raise anything: their errors are theirs
        return _load(f, fname, placement, trusted, trailing_ok)
    try:
        return _load(f, fname, placement, trusted, trailing_ok)
    except CheckpointError:
        raise
    except _READ_ERRORS as e:
        raise CheckpointError(f"{fname} is corrupted: reading it failed with "
                              f"{type(e).__name__}: {e}") from None


def _load(f, fname, placement, trusted, trailing_ok):
    try:
        seekable = f.seekable()
    except (AttributeError, OSError, ValueError):
        seekable = False
    if not seekable:  # zip needs to seek; a pipe's checkpoint is read whole
        f = io.BytesIO(f.read())
    start = f.tell()
    head = f.read(16)
    f.seek(start)
    if not head:
        raise CheckpointError(f"{fname} is empty (truncated?)")
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return _torch.load_zip(f, fname, placement, trusted)
    if head[:1] == b"\x80" and head[8:9] != b"{":  # (a header of 128 + 256k bytes starts so)
        return _torch.load_legacy(f, fname, placement, trusted)
    if len(head) >= 9 and head[8:9] == b"{":
        (n,) = struct.unpack("<Q", head[:8])
        end = f.seek(0, io.SEEK_END)
        f.seek(start + 8)
        meta, arrays, checked = _safetensors.read(f, fname, n, end - start - 8,
                                                  checksum=_tree.CRC_KEY, trailing_ok=trailing_ok)
        return _tree.build(meta, arrays, placement, fname, checked, end - start)
    if len(head) < 9:
        raise CheckpointError(f"{fname} is truncated or not a checkpoint: it holds only {len(head)} "
                              "bytes")
    raise CheckpointError(
        f"{fname} is not a checkpoint ember can read: unrecognised magic number 0x{head[:8].hex()} "
        "(expected a safetensors header, a PyTorch zip archive or a legacy PyTorch pickle); the file "
        "is corrupted or of another format")
