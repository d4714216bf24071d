"""Errors, atomic writes, exact reads and ``map_location`` — shared by every format."""
import os
import pickle
import secrets
import zlib
from contextlib import contextmanager

import numpy as np

from .._device import CPU, cuda_available, device

__all__ = ["CheckpointError", "WeightsOnlyError", "describe", "atomic_writer", "read_exact",
           "readinto_exact", "Placement", "host_array"]


class CheckpointError(RuntimeError):
    """A file that is truncated, corrupted, of an unknown format or inconsistent."""


class WeightsOnlyError(CheckpointError, pickle.UnpicklingError):
    """A pickle that asks for something a weights-only load refuses (code, arbitrary classes).
    Also a ``pickle.UnpicklingError``, as PyTorch raises for the same refusal."""


def describe(f):
    """How an error names the file: its path, or the file object's name, or its type."""
    if isinstance(f, (str, bytes, os.PathLike)):
        return repr(os.fsdecode(f))
    name = getattr(f, "name", None)
    if isinstance(name, (str, bytes)):
        return repr(os.fsdecode(name))
    return f"<{type(f).__module__}.{type(f).__qualname__}>"


# -- atomic writes -------------------------------------------------------------------------------
# A save to a path writes ``.<name>.tmp-<host>-<pid>-<random>`` in the target's folder, flushes and
# fsyncs it, then renames it over the target (``os.replace`` is atomic on POSIX and Windows) and
# fsyncs the folder so the rename itself survives a power cut. The target is never opened for
# writing, so a process killed at any moment leaves either the old or the new file. The temporary
# name starts with a dot and does not end in the target's extension, so nothing that globs for
# checkpoints takes it for one; a killed process's leftover is removed by the next save of the
# same target on the same host once that process is gone.
_HOST = f"{zlib.crc32(os.uname().nodename.encode()) if hasattr(os, 'uname') else 0:08x}"


def _temp_prefix(base):
    return f".{base}.tmp-"


def _remove_stale(folder, base):
    if os.name == "nt":  # os.kill(pid, 0) would terminate the process there
        return
    prefix = _temp_prefix(base)
    try:
        entries = [e for e in os.listdir(folder) if e.startswith(prefix)]
    except OSError:
        return
    for entry in entries:
        parts = entry[len(prefix):].split("-")
        if len(parts) != 3 or parts[0] != _HOST or not parts[1].isdigit():
            continue
        pid = int(parts[1])
        if pid == os.getpid():
            continue
        try:
            os.kill(pid, 0)
        except ProcessLookupError:  # that process is gone: its temporary file is garbage
            try:
                os.unlink(os.path.join(folder, entry))
            except OSError:
                pass
        except OSError:  # alive (or not ours to signal): leave it
            pass


def _fsync_dir(folder):
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # Windows cannot open a folder; its rename is durable enough
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _target_error(e, target):
    """The OSError ``e`` (about the temporary file) re-aimed at the file being saved."""
    err = type(e)(e.errno, e.strerror, target) if e.errno is not None else type(e)(
        f"{e} (saving to {target!r})")
    return err


@contextmanager
def atomic_writer(path):
    """Yield a binary file whose content replaces ``path`` atomically when the block ends
    without an exception; on an exception the temporary file is removed and ``path`` is
    untouched. OS errors name ``path``, not the temporary file."""
    path = os.fspath(path)
    if isinstance(path, bytes):
        path = os.fsdecode(path)
    target = os.path.realpath(path) if os.path.islink(path) else os.path.abspath(path)
    folder, base = os.path.split(target)
    if not os.path.isdir(folder):
        raise RuntimeError(f"Parent directory {folder} does not exist.")  # PyTorch's words
    _remove_stale(folder, base)
    tmp = os.path.join(folder, f"{_temp_prefix(base)}{_HOST}-{os.getpid()}-{secrets.token_hex(4)}")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    except OSError as e:
        raise _target_error(e, path) from None
    try:
        try:
            with os.fdopen(fd, "wb") as f:
                yield f
                f.flush()
                os.fsync(f.fileno())
            try:  # keep the permissions of the file being replaced
                os.chmod(tmp, os.stat(target).st_mode & 0o7777)
            except OSError:
                pass
            os.replace(tmp, target)
        except OSError as e:
            if e.filename in (tmp, None) or e.filename2 == target:
                raise _target_error(e, path) from None
            raise
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    _fsync_dir(folder)


# -- reading -------------------------------------------------------------------------------------
def readinto_exact(f, buf):
    """Fill ``buf`` (a writable uint8 array) from ``f``; return the number of bytes read (less
    than ``buf.size`` only at the end of the file)."""
    n, total = 0, buf.size
    readinto = getattr(f, "readinto", None)
    while n < total:
        if readinto is not None:
            got = readinto(buf[n:])
        else:
            chunk = f.read(total - n)
            got = len(chunk)
            buf[n:n + got] = np.frombuffer(chunk, np.uint8)
        if not got:
            break
        n += got
    return n


def read_exact(f, n, fname, what):
    data = f.read(n)
    if len(data) != n:
        raise CheckpointError(f"{fname} is truncated: it ends inside the {what} "
                              f"({len(data)} of {n} bytes)")
    return data


def host_array(t):
    """A tensor's values as a C-contiguous little-endian NumPy array (no copy when it already
    is one): what every writer puts in the file."""
    a = t.numpy(force=True) if not isinstance(t, np.ndarray) else t
    if not a.flags.c_contiguous:  # (np.ascontiguousarray would make a 0-d array 1-d)
        a = a.copy(order="C")
    if a.dtype.byteorder == ">":
        a = a.astype(a.dtype.newbyteorder("<"))
    return a


# -- map_location --------------------------------------------------------------------------------
class Placement:
    """Where each stored tensor goes, by ``map_location`` (PyTorch's rules): None keeps the
    saved location, a str/device sends everything there, a dict renames locations and a
    callable ``f(storage, location)`` returns a tensor on the wanted device (or None for the
    default). Tensors are always built on the CPU first; ``finish`` moves those that go
    elsewhere, in place (so shared and nested references stay intact)."""

    def __init__(self, map_location, fname):
        self.fname = fname
        if type(map_location).__module__ == "torch" and type(map_location).__name__ == "device":
            map_location = str(map_location)  # a torch.device from code written for PyTorch
        if not (map_location is None or callable(map_location)
                or isinstance(map_location, (str, device, dict))):
            raise TypeError("map_location should be a str, ember.device, dict, callable or None, "
                            f"not {type(map_location).__name__}")
        self.map = map_location
        self.moves = []  # (objects sharing one storage, that storage as a tensor, its location)

    def add(self, objs, storage, location):
        if self.map is None and location == "cpu":
            return
        self.moves.append((objs, storage, location))

    def target(self, storage, location):
        m = self.map
        if m is None or (isinstance(m, dict) and location not in m):
            try:  # the file's own location string: a bad one is a damaged file
                return self._device(location)
            except (RuntimeError, TypeError, ValueError) as e:
                if isinstance(e, RuntimeError) and "CUDA" in str(e):
                    raise
                raise CheckpointError(f"{self.fname} is corrupted: its storage location "
                                      f"{location!r} is not a device ({e})") from None
        if isinstance(m, (str, device)):
            loc = str(m)
        elif isinstance(m, dict):
            loc = str(m[location])
        else:
            r = m(storage, location)
            loc = location if r is None else str(getattr(r, "device", r))
        return self._device(loc)

    def _device(self, loc):
        d = device(loc) if isinstance(loc, str) else loc
        if d.type == "cpu":
            return CPU
        if d.type == "cuda":
            if not cuda_available():
                raise RuntimeError(
                    f"Attempting to deserialize object on a CUDA device but "
                    f"ember.cuda.is_available() is False (loading {self.fname}). If you are "
                    "running on a CPU-only machine, please use ember.load with "
                    "map_location=ember.device('cpu') to map your storages to the CPU.")
            return d
        raise RuntimeError(f"don't know how to restore data location of {self.fname} "
                           f"(tagged with {loc})")

    def finish(self):
        from .._tensor import Tensor
        moved = {}
        for objs, storage, location in self.moves:
            dev = self.target(storage, location)
            if dev.type == "cpu":
                continue
            for obj in objs():
                key = id(obj._data)
                if key not in moved:
                    moved[key] = (obj._data, Tensor._wrap(obj._data).to(dev)._data)
                obj._data = moved[key][1]
