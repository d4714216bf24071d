"""What runs inside a DataLoader worker process, and the pieces it shares with the main one:
fetchers (indices → collated batch), WorkerInfo, ExceptionWrapper.

A worker reads ``(task_idx, indices)`` from its own task queue and writes pickled
``(task_idx, batch)`` to its own pipe. A sender thread does the writing, so the worker goes on
to the next batch while the main process is busy; the main process watches the pipes and the
worker sentinels together, so a worker that dies is noticed at once.
"""
import dataclasses
import os
import pickle
import queue
import random
import signal
import sys
import threading
import traceback
from multiprocessing.reduction import ForkingPickler

import numpy as np

from ..._random import manual_seed
from .collate import default_collate
from .dataset import TensorDataset

# How often an idle worker checks that the main process is still there (seconds).
_PARENT_POLL = 1.0

_worker_info = None


@dataclasses.dataclass(frozen=True)
class WorkerInfo:
    """What ``get_worker_info()`` returns inside a worker."""

    id: int
    num_workers: int
    seed: int
    dataset: object


def get_worker_info():
    """The current worker's WorkerInfo (id, num_workers, seed, dataset); None in the main
    process."""
    return _worker_info


class KeyErrorMessage(str):
    """A str whose repr is itself: KeyError reprs its argument, which would escape the
    traceback's newlines."""

    def __repr__(self):
        return self


class ExceptionWrapper:
    """An exception caught in a worker, carried to the main process as its type and the text
    of its traceback (the traceback itself cannot cross a process boundary)."""

    def __init__(self, exc_info=None, where="in background"):
        exc_info = exc_info or sys.exc_info()
        self.exc_type = exc_info[0]
        self.exc_msg = "".join(traceback.format_exception(*exc_info))
        self.where = where

    def __reduce__(self):
        # an exception class defined where the main process cannot import it still arrives,
        # re-raised as RuntimeError with the same text
        try:
            pickle.dumps(self.exc_type)
            kind = self.exc_type
        except Exception:
            kind = None
        return _rebuild_wrapper, (kind, self.exc_type.__name__, self.exc_msg, self.where)

    def reraise(self):
        msg = f"Caught {self.exc_type.__name__} {self.where}.\nOriginal {self.exc_msg}"
        if self.exc_type is KeyError:
            msg = KeyErrorMessage(msg)
        elif getattr(self.exc_type, "message", None):
            raise self.exc_type(message=msg)
        try:
            exc = self.exc_type(msg)
        except Exception:
            raise RuntimeError(msg) from None
        raise exc


def _rebuild_wrapper(kind, name, msg, where):
    w = ExceptionWrapper.__new__(ExceptionWrapper)
    w.exc_type = kind or type(name, (RuntimeError,), {})
    w.exc_msg, w.where = msg, where
    return w


# -- fetchers: indices → one (collated) batch ---------------------------------------------------
class _MapFetcher:
    def __init__(self, dataset, auto_collation, collate_fn, drop_last):
        self.dataset, self.auto, self.collate_fn = dataset, auto_collation, collate_fn
        # a TensorDataset batched by default_collate: each tensor indexed once by the batch
        self.whole = auto_collation and collate_fn is default_collate and \
            type(dataset) is TensorDataset

    def fetch(self, index):
        if not self.auto:
            return self.collate_fn(self.dataset[index])
        if self.whole:
            batch = self.dataset._collated(index)
            if batch is not None:
                return batch
        getitems = getattr(self.dataset, "__getitems__", None)
        data = getitems(index) if getitems else [self.dataset[i] for i in index]
        return self.collate_fn(data)


class _IterableFetcher:
    def __init__(self, dataset, auto_collation, collate_fn, drop_last):
        self.it = iter(dataset)
        self.auto, self.collate_fn, self.drop_last = auto_collation, collate_fn, drop_last
        self.ended = False

    def fetch(self, index):
        if self.ended:
            raise StopIteration
        if not self.auto:
            return self.collate_fn(next(self.it))
        data = []
        for _ in index:
            try:
                data.append(next(self.it))
            except StopIteration:
                self.ended = True
                break
        if not data or (self.drop_last and len(data) < len(index)):
            raise StopIteration
        return self.collate_fn(data)


def make_fetcher(iterable, dataset, auto_collation, collate_fn, drop_last):
    kind = _IterableFetcher if iterable else _MapFetcher
    return kind(dataset, auto_collation, collate_fn, drop_last)


# -- messages between the main process and the workers -------------------------------------------
@dataclasses.dataclass(frozen=True)
class IterableEnd:
    """A worker's IterableDataset copy is exhausted."""

    worker_id: int


class ResumeIteration:
    """Start a new epoch (persistent workers); a worker echoes it back once it has reset."""


def _numpy_worker_seed(base_seed, worker_id):
    """The four 32-bit words PyTorch seeds NumPy with in a worker: NumPy's SeedSequence
    hashing (hashmix / mix rounds) of (worker_id, base_seed low, base_seed high, 0)."""
    m32 = 0xFFFFFFFF
    mult = [0x43B0D7E5]

    def hashmix(v):
        v = (v ^ mult[0]) & m32
        mult[0] = (mult[0] * 0x931E8875) & m32
        v = (v * mult[0]) & m32
        return v ^ (v >> 16)

    def mix(x, y):
        r = (0xCA01F9DD * x - 0x4973F715 * y) & m32
        return r ^ (r >> 16)

    pool = [hashmix(v) for v in (worker_id, base_seed & m32, base_seed >> 32, 0)]
    for src in range(4):
        for dst in range(4):
            if src != dst:
                pool[dst] = mix(pool[dst], hashmix(pool[src]))
    out, mult_b = [], 0x8B51F9DD
    for v in pool:
        v = (v ^ mult_b) & m32
        mult_b = (mult_b * 0x58F38DED) & m32
        v = (v * mult_b) & m32
        out.append(v ^ (v >> 16))
    return out


def _seed_worker(base_seed, worker_id):
    """Seed ember, ``random`` and NumPy's global RNG as PyTorch does: ``base_seed + worker_id``
    (NumPy gets the four words PyTorch derives from both, so workers' streams differ and match
    PyTorch's)."""
    seed = base_seed + worker_id
    random.seed(seed)
    manual_seed(seed)
    np.random.seed(_numpy_worker_seed(base_seed, worker_id))
    return seed


class _Sender:
    """Pickles results in the worker's thread (so a batch that cannot be pickled becomes an
    error the main process sees) and writes them from a daemon thread."""

    def __init__(self, conn, worker_id):
        self.conn, self.where = conn, f"in DataLoader worker process {worker_id}"
        self.q = queue.SimpleQueue()
        threading.Thread(target=self._run, daemon=True).start()

    def put(self, msg):
        try:
            payload = ForkingPickler.dumps(msg)
        except Exception:
            payload = ForkingPickler.dumps((msg[0], ExceptionWrapper(where=self.where)))
        self.q.put(payload)

    def _run(self):
        while True:
            payload = self.q.get()
            try:
                self.conn.send_bytes(payload)
            except OSError:  # the main process closed its end: nobody is listening
                return


def worker_loop(iterable, dataset, task_queue, out_conn, auto_collation, collate_fn, drop_last,
                base_seed, init_fn, worker_id, num_workers):
    global _worker_info
    # Ctrl-C is the main process's to handle; it then shuts the workers down
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    parent = os.getppid()
    sender = _Sender(out_conn, worker_id)
    where = f"in DataLoader worker process {worker_id}"
    seed = _seed_worker(base_seed, worker_id)
    _worker_info = WorkerInfo(id=worker_id, num_workers=num_workers, seed=seed, dataset=dataset)
    fetcher, init_error = None, None
    try:
        if init_fn is not None:
            init_fn(worker_id)
        fetcher = make_fetcher(iterable, dataset, auto_collation, collate_fn, drop_last)
    except Exception:
        init_error = ExceptionWrapper(where=where)
    ended = False
    while True:
        try:
            task = task_queue.get(timeout=_PARENT_POLL)
        except queue.Empty:
            if os.getppid() != parent:  # the main process is gone
                return
            continue
        if task is None:
            return
        idx, index = task
        if isinstance(index, ResumeIteration):
            ended = False
            if init_error is None:
                try:
                    fetcher = make_fetcher(iterable, dataset, auto_collation, collate_fn, drop_last)
                except Exception:
                    init_error = ExceptionWrapper(where=where)
            sender.put((idx, index))
            continue
        if ended:
            continue  # the main process drops tasks it gave an exhausted worker
        if init_error is not None:
            data = init_error
        else:
            try:
                data = fetcher.fetch(index)
            except StopIteration:
                if not iterable:
                    data = ExceptionWrapper(where=where)
                else:
                    ended = True
                    data = IterableEnd(worker_id)
            except Exception:
                data = ExceptionWrapper(where=where)
        sender.put((idx, data))
        del data  # do not hold the last batch while waiting
