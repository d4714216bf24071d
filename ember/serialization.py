"""``ember.save`` and ``ember.load``: checkpoints that never run code when loaded.

The default format is safetensors with the object's nesting (dicts, lists, tuples, numbers,
strings…) as JSON in its ``__metadata__``; nothing is pickled. ``format="torch"`` writes
PyTorch's zip format, which ``torch.load(f, weights_only=True)`` reads. ``load`` reads ember's
files, any safetensors file, and PyTorch's zip and legacy checkpoints — the latter through a
pickle machine that admits only tensors, storages, containers and plain values (the rule of
``torch.load(weights_only=True)``).

Saving to a path is atomic: the data goes to a temporary file in the same folder, which is
flushed, fsynced and renamed over the target, so a crash mid-save leaves the previous file.

Deliberate differences from PyTorch: ``load`` is always weights-only (``weights_only=False`` is
accepted and ignored: ember never unpickles arbitrary objects); ``mmap`` is accepted and ignored;
bfloat16 tensors load as float32 and uint16/uint32/uint64 as int32/int64/int64 (ember has no
such dtypes); a ``map_location`` callable receives each storage as a 1-d tensor and only the
device of what it returns is used.
"""
import io
import os
import struct

from ._serialize import _safetensors, _torch, _tree
from ._serialize._common import CheckpointError, Placement, WeightsOnlyError, atomic_writer, describe

__all__ = ["save", "load", "CheckpointError", "WeightsOnlyError"]

_FORMATS = {"safetensors": _tree.save, "torch": _torch.save_zip}


def _is_path(f):
    return isinstance(f, (str, bytes, os.PathLike))


def save(obj, f, *, format="safetensors"):
    """Save ``obj`` — tensors (and Parameters), NumPy arrays, numbers, strings, bytes, bools,
    None, dtypes, devices, and dicts (incl. OrderedDict), lists, tuples and sets of them — to
    ``f``, a path (written atomically) or a binary file object.

    ``format="safetensors"`` (default) writes a safetensors file that other tools read as a
    dict of tensors; ``format="torch"`` writes a PyTorch zip checkpoint (tensors saved
    contiguous) that ``torch.load(f, weights_only=True)`` reads."""
    writer = _FORMATS.get(format)
    if writer is None:
        raise ValueError(f"ember.save: unknown format {format!r}; expected 'safetensors' or 'torch'")
    if _is_path(f):
        with atomic_writer(f) as fh:
            writer(obj, fh)
        return
    if isinstance(f, io.TextIOBase) or not hasattr(f, "write"):
        raise TypeError(f"ember.save: f must be a path or a binary file object, not "
                        f"{type(f).__name__}")
    writer(obj, f)
    if hasattr(f, "flush"):
        f.flush()


def load(f, map_location=None, *, weights_only=True, mmap=None):
    """Load what ``save`` (or ``torch.save``, or a safetensors writer) wrote to ``f`` (a path or
    a binary file object). Tensors go to their saved device unless ``map_location`` (a device,
    a str, a dict from saved to wanted locations, or a callable ``f(storage, location)``) says
    otherwise. A truncated, corrupted or unknown file raises ``CheckpointError`` (a
    RuntimeError) naming the file; a pickle asking for code raises ``WeightsOnlyError``."""
    fname = describe(f)
    placement = Placement(map_location, fname)
    if _is_path(f):
        with open(f, "rb") as fh:
            obj = _load(fh, fname, placement)
    else:
        if isinstance(f, io.TextIOBase) or not hasattr(f, "read"):
            raise TypeError(f"ember.load: f must be a path or a binary file object, not "
                            f"{type(f).__name__}")
        obj = _load(f, fname, placement)
    placement.finish()
    return obj


def _load(f, fname, placement):
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
        return _torch.load_zip(f, fname, placement)
    if head[:1] == b"\x80":
        return _torch.load_legacy(f, fname, placement)
    if len(head) >= 9 and head[8:9] == b"{":
        (n,) = struct.unpack("<Q", head[:8])
        end = f.seek(0, io.SEEK_END)
        f.seek(start + 8)
        meta, arrays = _safetensors.read(f, fname, n, end - start - 8, checksum=_tree.CRC_KEY)
        return _tree.build(meta, arrays, placement, fname)
    if len(head) < 9:
        raise CheckpointError(f"{fname} is truncated or not a checkpoint: it holds only {len(head)} "
                              "bytes")
    raise CheckpointError(
        f"{fname} is not a checkpoint ember can read: unrecognised magic number 0x{head[:8].hex()} "
        "(expected a safetensors header, a PyTorch zip archive or a legacy PyTorch pickle); the file "
        "is corrupted or of another format")
