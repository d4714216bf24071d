"""The safetensors byte format, read and written here (the ``safetensors`` package is only a test
oracle): an unsigned 64-bit little-endian header length N, N bytes of UTF-8 JSON
``{name: {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, "__metadata__": {str: str}}``
(padded with spaces to a multiple of 8), then the tensors' raw little-endian bytes, back to back,
offsets relative to the end of the header.
"""
import json
import math
import os
import re
import struct
import zlib
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from ._budget import check_json
from ._common import CheckpointError, read_exact, readinto_exact

__all__ = ["DTYPES", "NAMES", "write", "read", "HEAD_CRC_KEY"]

DTYPES = {"BOOL": np.dtype(bool), "U8": np.dtype("u1"), "I8": np.dtype("i1"), "I16": np.dtype("<i2"),
          "U16": np.dtype("<u2"), "I32": np.dtype("<i4"), "U32": np.dtype("<u4"), "I64": np.dtype("<i8"),
          "U64": np.dtype("<u8"), "F16": np.dtype("<f2"), "BF16": np.dtype("<u2"), "F32": np.dtype("<f4"),
          "F64": np.dtype("<f8"), "C64": np.dtype("<c8")}
# NumPy dtype ("f4", byte order aside) -> safetensors name (BF16 only comes in: NumPy has none)
NAMES = {v.str[1:]: k for k, v in DTYPES.items() if k != "BF16"}
_MAX_HEADER = 100_000_000  # the safetensors limit; a larger length means a corrupted file
_PARALLEL = 1 << 24  # bytes of tensor data from which checksums run in worker threads
# The CRC-32 of the whole header (the JSON bytes with this field's eight digits as zeros),
# stored in the metadata: it covers the tensor table and every metadata value, so one flipped
# bit in a header ember wrote is an error, never a changed value.
HEAD_CRC_KEY = "ember.header_crc32"
_HEAD_CRC = re.compile(rb'"ember\.header_crc32":"([0-9a-f]{8})"')


def write(f, entries, metadata, checksum_key=None, header_checksum=False):
    """Write ``entries`` — (name, safetensors dtype, shape, C-contiguous little-endian array) —
    and the ``metadata`` str->str map to the binary file ``f``. With ``checksum_key`` the CRC-32
    of each tensor's bytes goes into the metadata under that key (a JSON map); with
    ``header_checksum`` the CRC-32 of the header itself under ``HEAD_CRC_KEY``. Larger items
    come first so every tensor sits at an offset that is a multiple of its item size."""
    order = sorted(range(len(entries)), key=lambda i: -entries[i][3].itemsize)
    header, offset = {}, 0
    for i in order:
        name, dt, shape, arr = entries[i]
        header[name] = {"dtype": dt, "shape": list(shape),
                        "data_offsets": [offset, offset + arr.nbytes]}
        offset += arr.nbytes
    metadata = dict(metadata)
    if checksum_key is not None:
        with _Checksums(offset) as crcs:
            for name, _, _, arr in entries:
                crcs.add(name, _bytes_of(arr))
            metadata[checksum_key] = json.dumps(crcs.result(), separators=(",", ":"),
                                                ensure_ascii=False)
    if header_checksum:
        metadata[HEAD_CRC_KEY] = "0" * 8
    head = json.dumps({"__metadata__": metadata, **header}, separators=(",", ":"),
                      ensure_ascii=False).encode()
    head += b" " * (-len(head) % 8)
    if header_checksum:  # the field's unescaped quotes make it unique in the header
        at = _HEAD_CRC.search(head).start(1)
        head = head[:at] + f"{zlib.crc32(head):08x}".encode() + head[at + 8:]
    f.write(struct.pack("<Q", len(head)))
    f.write(head)
    for i in order:
        arr = entries[i][3]
        if arr.nbytes:
            f.write(_bytes_of(arr))


class _Checksums:
    """CRC-32s of many buffers; in worker threads when there is enough data to gain (zlib
    releases the GIL), so a load checks one tensor while it reads the next."""

    def __init__(self, total):
        workers = min(4, os.cpu_count() or 1)
        self.pool = ThreadPoolExecutor(workers) if total >= _PARALLEL and workers > 1 else None
        self.out = {}

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.pool is not None:
            self.pool.shutdown(cancel_futures=exc[0] is not None)

    def add(self, name, buf):
        self.out[name] = self.pool.submit(_crc, buf) if self.pool is not None else _crc(buf)

    def result(self):
        return {k: v if isinstance(v, str) else v.result() for k, v in self.out.items()}


def _crc(buf):
    return f"{zlib.crc32(buf):08x}"


def _bytes_of(arr):
    return arr.reshape(-1).view(np.uint8)


def _bad(fname, why):
    return CheckpointError(f"{fname} is not a valid safetensors file (corrupted?): {why}")


class _Duplicate(ValueError):
    pass


def _no_duplicates(pairs):
    d = dict(pairs)
    if len(d) != len(pairs):
        seen = set()
        for k, _ in pairs:
            if k in seen:
                raise _Duplicate(k)
            seen.add(k)
    return d


def _check_header_crc(raw, fname):
    """True when the header carries ember's checksum and it matches; False when it has none."""
    found = list(_HEAD_CRC.finditer(raw))
    if not found:
        return False
    if len(found) > 1:
        raise _bad(fname, f"the header holds {HEAD_CRC_KEY} {len(found)} times")
    m = found[0]
    crc = zlib.crc32(raw[:m.start(1)] + b"0" * 8 + raw[m.end(1):])
    if f"{crc:08x}".encode() != m.group(1):
        raise CheckpointError(f"{fname} is corrupted: its header does not match its checksum "
                              f"(stored {m.group(1).decode()}, computed {crc:08x})")
    return True


def read_header(f, fname, n, file_size=None):
    """Parse the JSON header of length ``n`` (its 8-byte length already read). Returns
    (entries, metadata, data size, whether ember's header checksum was present and verified)."""
    if n > _MAX_HEADER:
        raise _bad(fname, f"header length {n} is larger than the safetensors limit")
    if file_size is not None and n > file_size:
        raise CheckpointError(f"{fname} is truncated: its header length says {n} bytes but the "
                              f"file holds {file_size}")
    raw = read_exact(f, n, fname, "safetensors header")
    checked = _check_header_crc(raw, fname)
    check_json(raw, fname, "safetensors header", n if file_size is None else file_size)
    try:
        header = json.loads(raw.decode("utf-8"), object_pairs_hook=_no_duplicates)
    except _Duplicate as e:
        raise _bad(fname, f"the header holds the key {e.args[0]!r} twice") from None
    except (UnicodeDecodeError, ValueError, RecursionError) as e:
        raise _bad(fname, f"the header is not valid JSON ({e})") from None
    if not isinstance(header, dict):
        raise _bad(fname, "the header is not a JSON object")
    meta = header.pop("__metadata__", None) or {}
    if not isinstance(meta, dict) or not all(isinstance(v, str) for v in meta.values()):
        raise _bad(fname, "__metadata__ is not a map of strings")
    entries = []
    for name, info in header.items():
        try:
            dt, shape, (begin, end) = info["dtype"], info["shape"], info["data_offsets"]
            ok = (dt in DTYPES and isinstance(shape, list)
                  and all(type(s) is int and s >= 0 for s in shape)
                  and type(begin) is int and type(end) is int and 0 <= begin <= end)
        except (TypeError, KeyError, ValueError):
            ok = False
        if not ok:
            raise _bad(fname, f"bad entry for tensor {name!r}: {info!r}")
        nbytes = math.prod(shape) * DTYPES[dt].itemsize  # Python ints: no int64 overflow
        if end - begin != nbytes:
            raise CheckpointError(
                f"{fname}: size mismatch for tensor {name!r}: shape {shape} of dtype {dt} needs "
                f"{nbytes} bytes but the file stores {end - begin} (corrupted file?)")
        entries.append((name, dt, tuple(shape), begin, end))
    pos = 0
    for name, _, _, begin, end in sorted(entries, key=lambda e: (e[3], e[4])):
        if begin != pos:
            raise _bad(fname, f"tensor {name!r} starts at byte {begin} of the data, expected {pos} "
                              "(overlapping or missing data)")
        pos = end
    return entries, meta, pos, checked


def read(f, fname, n, remaining=None, checksum=None, trailing_ok=True):
    """Read a safetensors file whose header length ``n`` was just read from ``f``. Returns
    (metadata, {name: (dtype name, NumPy array)}, whether the header checksum was verified) in
    header order. ``remaining`` is the number of bytes left in the file after the 8-byte length
    when known (to report truncation before reading), ``checksum`` the metadata key of a CRC-32
    to verify; ``trailing_ok=False`` refuses bytes after the data (as the reference reader
    does for a whole file)."""
    entries, meta, total, checked = read_header(
        f, fname, n, None if remaining is None else remaining + 8)
    if remaining is not None and remaining - n < total:
        raise CheckpointError(f"{fname} is truncated: its header announces {total} bytes of "
                              f"tensor data but only {max(remaining - n, 0)} follow")
    if remaining is not None and not trailing_ok and remaining - n > total:
        raise _bad(fname, f"{remaining - n - total} bytes follow the {total} bytes of tensor data "
                          "that its header announces")
    want = None
    if checksum and checksum in meta:
        try:
            want = json.loads(meta[checksum])
            if not isinstance(want, dict):
                raise ValueError("not a map")
        except ValueError as e:
            raise _bad(fname, f"bad checksum record ({e})") from None
    arrays = {}
    with _Checksums(total if want is not None else 0) as crcs:
        for name, dt, shape, begin, end in sorted(entries, key=lambda e: (e[3], e[4])):
            npdt = DTYPES[dt]
            buf = np.empty(end - begin, np.uint8)
            got = readinto_exact(f, buf)
            if got != buf.size:
                raise CheckpointError(f"{fname} is truncated: the data of tensor {name!r} ends "
                                      f"after {got} of {buf.size} bytes")
            if want is not None and name in want:
                crcs.add(name, buf)
            if dt == "BOOL" and buf.size and buf.max() > 1:
                arr = (buf != 0).reshape(shape)
            else:
                arr = buf.view(npdt).reshape(shape)
                if not npdt.isnative:
                    arr = arr.astype(npdt.newbyteorder("="))
            arrays[name] = (dt, arr)
        for name, crc in crcs.result().items():
            if crc != want[name]:
                raise CheckpointError(f"{fname} is corrupted: the data of tensor {name!r} does not "
                                      f"match its checksum (stored {want[name]}, computed {crc})")
    return meta, {e[0]: arrays[e[0]] for e in entries}, checked
