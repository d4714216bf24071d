"""Budgets that keep a small hostile file from costing gigabytes or crashing the reader.

- ``check_json``: before ``json.loads`` turns a header into Python objects (each ``[]`` of
  three bytes becomes a ~60-byte list), scan its bytes with NumPy — strings, escapes and
  nesting tracked exactly, a chunk at a time — and refuse a text nested deeper than
  ``MAX_DEPTH`` (the parser and the tree decoder recurse) or whose objects would take more
  memory than ``memory_limit(file size)``.
- ``memory_limit``: what loading a file of a given size may allocate beyond the data the file
  itself holds: a fixed allowance plus a multiple of the size.
- ``INFLATE_RATIO`` / ``inflate_limit``: decompressed bytes allowed for a compressed zip record,
  against its compressed size (a deflate bomb reaches 1000:1).
"""
import numpy as np

from ._common import CheckpointError

__all__ = ["MAX_DEPTH", "memory_limit", "inflate_limit", "check_json"]

MAX_DEPTH = 200           # nesting of a JSON header / ember tree (Python recursion stays safe)
_ALLOWANCE = 64 << 20     # bytes any load may spend on objects, whatever the file's size
_PER_BYTE = 8             # ... plus this many per byte of the file
INFLATE_RATIO = 100       # decompressed : compressed bytes allowed in a zip record
_CHUNK = 1 << 18
# Estimated Python memory per JSON element (a list or dict with its pointer, a str, a number)
_COST_CONTAINER, _COST_STRING, _COST_ITEM = 160, 64, 40
_QUOTE, _BACKSLASH = 34, 92
_OPEN = np.zeros(256, np.int8)
_OPEN[[ord("["), ord("{")]] = 1
_OPEN[[ord("]"), ord("}")]] = -1


def memory_limit(file_size):
    return _ALLOWANCE + _PER_BYTE * max(int(file_size), 0)


def inflate_limit(compressed_size):
    return max(_ALLOWANCE, INFLATE_RATIO * int(compressed_size))


def check_json(raw, fname, what, file_size):
    """Refuse the JSON text ``raw`` (bytes) when parsing it would nest deeper than
    ``MAX_DEPTH`` or cost more than ``memory_limit(file_size)``."""
    data = np.frombuffer(raw, np.uint8)
    in_string, run, depth, max_depth = False, 0, 0, 0
    containers = strings = items = 0
    for start in range(0, data.size, _CHUNK):
        b = data[start:start + _CHUNK]
        n = b.size
        idx = np.arange(n)
        is_bs = b == _BACKSLASH
        # a quote is escaped when an odd run of backslashes precedes it (inside a string;
        # outside one a backslash is a syntax error that stops the parser there anyway)
        last_plain = np.maximum.accumulate(np.where(is_bs, -1, idx))
        q = np.flatnonzero(b == _QUOTE)
        prev = np.where(q > 0, last_plain[np.maximum(q - 1, 0)], -1)
        runs = np.where(prev >= 0, q - 1 - prev, q + run)
        q = q[runs % 2 == 0]
        # positions inside a string: an odd number of real quotes at or before them (the
        # closing quote itself counts as inside; it is no structural character either way)
        toggles = np.zeros(n + 1, np.int32)
        toggles[q + 1] = 1
        inside = (np.cumsum(toggles[:n]) + (1 if in_string else 0)) % 2 == 1
        inside[q] = True
        outside = ~inside
        delta = np.where(outside, _OPEN[b], 0).astype(np.int32)
        if delta.size:
            depth_here = depth + np.cumsum(delta, dtype=np.int64)
            max_depth = max(max_depth, int(depth_here.max()))
            depth = int(depth_here[-1])
        containers += int(np.count_nonzero(delta > 0))
        sep = outside & ((b == ord(",")) | (b == ord(":")))
        items += int(np.count_nonzero(sep))
        strings += q.size
        in_string = (in_string + q.size) % 2 == 1
        tail = n - 1 - int(last_plain[-1]) if n else 0
        run = run + n if tail == n else tail
    if max_depth > MAX_DEPTH:
        raise CheckpointError(f"{fname} is corrupted or hostile: its {what} nests {max_depth} levels "
                              f"deep (ember reads at most {MAX_DEPTH})")
    cost = (containers * _COST_CONTAINER + (strings // 2) * _COST_STRING
            + (items + 1) * _COST_ITEM + 2 * data.size)
    limit = memory_limit(file_size)
    if cost > limit:
        raise CheckpointError(
            f"{fname} is corrupted or hostile: its {what} ({data.size} bytes) holds "
            f"{containers + items + 1} elements that would take about {cost >> 20} MiB of memory, "
            f"more than ember allows for a file of {file_size} bytes ({limit >> 20} MiB)")
