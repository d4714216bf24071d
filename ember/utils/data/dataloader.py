"""DataLoader: batches from a dataset, in the main process or in worker processes.

With ``num_workers > 0`` each worker gets index batches through its own queue and sends back
collated batches through its own pipe; the main process hands out at most
``prefetch_factor * num_workers`` batches at a time, round-robin, and yields results in
sampler order. Workers are shut down when an epoch ends (unless ``persistent_workers``), when
the iterator is garbage-collected (a ``break`` out of the loop), or at interpreter exit.
"""
import itertools
import math
import multiprocessing as mp
import os
import sys
import time
import warnings
import weakref
from multiprocessing.connection import wait

from . import _worker
from .collate import default_collate, default_convert
from .dataset import IterableDataset
from .sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler, _draw_seed

__all__ = ["DataLoader", "get_worker_info"]

get_worker_info = _worker.get_worker_info

# How long a shutdown waits for workers to leave on their own before terminating them.
_JOIN_TIMEOUT = 2.0


class _InfiniteConstantSampler(Sampler):
    """``None`` forever: the 'indices' of an IterableDataset."""

    def __iter__(self):
        return itertools.repeat(None)


def _default_context():
    # fork is the fast way to start workers (nothing to pickle, nothing to re-import); elsewhere
    # than Linux it is unsafe or missing, so the platform's default start method is used there
    linux = sys.platform.startswith("linux")
    return mp.get_context("fork" if linux and "fork" in mp.get_all_start_methods() else None)


class DataLoader:
    """Iterate over ``dataset`` in batches: ``torch.utils.data.DataLoader``'s arguments and
    behaviour (``pin_memory`` is accepted and does nothing on the CPU)."""

    __initialized = False

    def __init__(self, dataset, batch_size=1, shuffle=None, sampler=None, batch_sampler=None,
                 num_workers=0, collate_fn=None, pin_memory=False, drop_last=False, timeout=0,
                 worker_init_fn=None, multiprocessing_context=None, generator=None, *,
                 prefetch_factor=None, persistent_workers=False, pin_memory_device="",
                 in_order=True):
        if num_workers < 0:
            raise ValueError("num_workers option should be non-negative; use num_workers=0 to "
                             "disable multiprocessing.")
        if timeout < 0:
            raise ValueError("timeout option should be non-negative")
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError("prefetch_factor option could only be specified in multiprocessing."
                             "let num_workers > 0 to enable multiprocessing, otherwise set "
                             "prefetch_factor to None.")
        if num_workers > 0 and prefetch_factor is None:
            prefetch_factor = 2
        elif prefetch_factor is not None and prefetch_factor < 0:
            raise ValueError("prefetch_factor option should be non-negative")
        if persistent_workers and num_workers == 0:
            raise ValueError("persistent_workers option needs num_workers > 0")

        self.dataset = dataset
        self.num_workers = num_workers
        self.prefetch_factor = prefetch_factor
        self.pin_memory = pin_memory
        self.pin_memory_device = pin_memory_device
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.multiprocessing_context = multiprocessing_context
        self.in_order = in_order

        self._iterable = isinstance(dataset, IterableDataset)
        if self._iterable:
            if shuffle not in (False, None):
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified shuffle "
                                 f"option, but got shuffle={shuffle}")
            if sampler is not None:
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified sampler "
                                 f"option, but got sampler={sampler}")
            if batch_sampler is not None:
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified "
                                 f"batch_sampler option, but got batch_sampler={batch_sampler}")
        else:
            shuffle = bool(shuffle)
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("batch_sampler option is mutually exclusive with batch_size, "
                                 "shuffle, sampler, and drop_last")
            batch_size, drop_last = None, False
        elif batch_size is None and drop_last:
            raise ValueError("batch_size=None option disables auto-batching and is mutually "
                             "exclusive with drop_last")
        if sampler is None:
            if self._iterable:
                sampler = _InfiniteConstantSampler()
            elif shuffle:
                sampler = RandomSampler(dataset, generator=generator)
            else:
                sampler = SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)

        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.generator = generator
        if collate_fn is None:
            collate_fn = default_collate if batch_sampler is not None else default_convert
        self.collate_fn = collate_fn
        self.persistent_workers = persistent_workers
        self.__initialized = True
        self._iterator = None
        self._check_worker_number()

    @property
    def multiprocessing_context(self):
        return self.__multiprocessing_context

    @multiprocessing_context.setter
    def multiprocessing_context(self, context):
        if context is not None:
            if self.num_workers == 0:
                raise ValueError(f"multiprocessing_context can only be used with multi-process "
                                 f"loading (num_workers > 0), but got num_workers={self.num_workers}")
            if isinstance(context, str):
                methods = mp.get_all_start_methods()
                if context not in methods:
                    raise ValueError(f"multiprocessing_context option should specify a valid start "
                                     f"method in {methods!r}, but got "
                                     f"multiprocessing_context={context!r}")
                context = mp.get_context(context)
            if not isinstance(context, mp.context.BaseContext):
                raise TypeError(f"multiprocessing_context option should be a valid context object "
                                f"or a string specifying the start method, but got "
                                f"multiprocessing_context={context}")
        self.__multiprocessing_context = context

    def __setattr__(self, attr, val):
        if self.__initialized and attr in ("batch_size", "batch_sampler", "sampler", "drop_last",
                                           "dataset", "persistent_workers"):
            raise ValueError(f"{attr} attribute should not be set after {type(self).__name__} is "
                             f"initialized")
        super().__setattr__(attr, val)

    @property
    def _auto_collation(self):
        return self.batch_sampler is not None

    @property
    def _index_sampler(self):
        return self.batch_sampler if self._auto_collation else self.sampler

    def __iter__(self):
        if self.num_workers == 0:
            return _SingleProcessIter(self)
        if not self.persistent_workers:
            return _MultiProcessIter(self)
        # persistent workers live in one iterator, reset at each epoch
        if self._iterator is None or not self._iterator._finalizer.alive:
            self._iterator = _MultiProcessIter(self)
        else:
            self._iterator._reset(self)
        return self._iterator

    def __len__(self):
        if self._iterable:
            n = len(self.dataset)
            if self.batch_size is not None:
                n = n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)
            return n
        return len(self._index_sampler)

    def _check_worker_number(self):
        if not self.num_workers:
            return
        cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
        if cpus and self.num_workers > cpus:
            warnings.warn(f"This DataLoader will create {self.num_workers} worker processes in "
                          f"total. Our suggested max number of worker in current system is {cpus}, "
                          f"which is smaller than what this DataLoader is going to create. Please "
                          f"be aware that excessive worker creation might get DataLoader running "
                          f"slow or even freeze, lower the worker number to avoid potential "
                          f"slowness/freeze if necessary.", stacklevel=3)


class _BaseIter:
    def __init__(self, loader):
        self._dataset = loader.dataset
        self._iterable = loader._iterable
        self._auto_collation = loader._auto_collation
        self._drop_last = loader.drop_last
        self._index_sampler = loader._index_sampler
        self._collate_fn = loader.collate_fn
        self._timeout = loader.timeout
        self._sampler_iter = iter(self._index_sampler)
        # drawn whatever num_workers is, so the shuffle order depends only on the seed
        self._base_seed = _draw_seed(loader.generator)

    def __iter__(self):
        return self

    def __len__(self):
        return len(self._index_sampler)

    def _reset(self, loader):
        self._sampler_iter = iter(self._index_sampler)

    def __getstate__(self):
        raise NotImplementedError(f"{type(self).__name__} cannot be pickled")


class _SingleProcessIter(_BaseIter):
    def __init__(self, loader):
        super().__init__(loader)
        if self._timeout != 0:
            raise AssertionError("_SingleProcessDataLoaderIter requires timeout == 0")
        self._fetcher = _worker.make_fetcher(self._iterable, self._dataset, self._auto_collation,
                                             self._collate_fn, self._drop_last)

    def __next__(self):
        return self._fetcher.fetch(next(self._sampler_iter))


def _shutdown_workers(owner_pid, workers, task_queues, conns, opts):
    """Stop the workers: ask, wait up to ``opts["join"]`` seconds, then terminate. Run by a
    finalizer (once; also at interpreter exit), so it holds no reference to the iterator."""
    if os.getpid() != owner_pid:  # a forked child holding a copy of the iterator
        return
    for q in task_queues:
        try:
            q.put(None)
        except Exception:
            pass
    deadline = time.monotonic() + opts["join"]
    for w in workers:
        w.join(max(0.0, deadline - time.monotonic()))
    for w in workers:
        if w.is_alive():
            w.terminate()
            w.join(1.0)
            if w.is_alive():
                w.kill()
                w.join()
    for q in task_queues:
        q.close()
    for c in conns:
        c.close()


class _MultiProcessIter(_BaseIter):
    def __init__(self, loader):
        super().__init__(loader)
        n = self._num_workers = loader.num_workers
        self._prefetch = loader.prefetch_factor
        self._persistent = loader.persistent_workers
        ctx = loader.multiprocessing_context or _default_context()
        self._workers, self._task_queues, self._conns = [], [], []
        self._stop_opts = {"join": _JOIN_TIMEOUT}
        self._finalizer = weakref.finalize(self, _shutdown_workers, os.getpid(), self._workers,
                                           self._task_queues, self._conns, self._stop_opts)
        for wid in range(n):
            q = ctx.Queue()
            q.cancel_join_thread()  # never let a full pipe to a dead worker block exit
            reader, writer = ctx.Pipe(duplex=False)
            w = ctx.Process(target=_worker.worker_loop, daemon=True,
                            args=(self._iterable, self._dataset, q, writer, self._auto_collation,
                                  self._collate_fn, self._drop_last, self._base_seed,
                                  loader.worker_init_fn, wid, n))
            with warnings.catch_warnings():  # Python 3.12+ warns about fork with threads
                warnings.filterwarnings("ignore", message=".*fork.*", category=DeprecationWarning)
                w.start()
            writer.close()  # the worker holds the only write end: its death reads as EOF
            self._workers.append(w)
            self._task_queues.append(q)
            self._conns.append(reader)
        self._start_epoch()

    def _start_epoch(self):
        self._send_idx = 0  # next task to hand out
        self._rcvd_idx = 0  # next task to yield
        self._task_info = {}  # task -> [worker] or [worker, data] once it arrived early
        self._active = [True] * self._num_workers
        self._cycle = itertools.cycle(range(self._num_workers))
        for _ in range(self._prefetch * self._num_workers):
            self._put_task()

    def _reset(self, loader):
        super()._reset(loader)
        if self._finalizer.alive:
            # every worker resets and echoes; anything that arrives before is a stale batch
            for q in self._task_queues:
                q.put((None, _worker.ResumeIteration()))
            self._active = [True] * self._num_workers
            pending = self._num_workers
            while pending:
                _, data = self._get_data()
                pending -= isinstance(data, _worker.ResumeIteration)
            self._start_epoch()

    def _put_task(self):
        for _ in range(self._num_workers):
            wid = next(self._cycle)
            if self._active[wid]:
                break
        else:
            return
        try:
            index = next(self._sampler_iter)
        except StopIteration:
            return
        self._task_queues[wid].put((self._send_idx, index))
        self._task_info[self._send_idx] = [wid]
        self._send_idx += 1

    def _watched(self):
        """Workers that should be running: all persistent ones, else those not yet retired."""
        return [i for i in range(self._num_workers) if self._persistent or self._active[i]]

    def _get_data(self):
        deadline = time.monotonic() + self._timeout if self._timeout else None
        while True:
            ids = self._watched()
            conns = {self._conns[i]: i for i in ids}
            sentinels = {self._workers[i].sentinel: i for i in ids}
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            ready = wait(list(conns) + list(sentinels), left)
            if not ready:
                self._stop_now()
                raise RuntimeError(f"DataLoader timed out after {self._timeout} seconds")
            dead = set()
            for r in ready:
                if r in conns:
                    try:
                        return r.recv()
                    except (EOFError, OSError):
                        dead.add(conns[r])
            dead |= {sentinels[r] for r in ready if r in sentinels}
            self._fail(dead)

    def _fail(self, dead):
        ws = [self._workers[i] for i in sorted(dead)]
        for w in ws:
            w.join(1.0)  # reap it, so its exit code is known
        pids = ", ".join(str(w.pid) for w in ws)
        self._stop_now()
        raise RuntimeError(_death_message(ws, pids))

    def _stop_now(self):
        """Shut down without waiting: after a timeout or a death the workers may be stuck."""
        self._stop_opts["join"] = 0.0
        self._finalizer()

    def _retire(self, wid):
        """Worker ``wid``'s IterableDataset is exhausted: give it no more tasks, forget the ones
        it will not answer, and (unless persistent) let it go."""
        self._active[wid] = False
        for idx in [i for i, info in self._task_info.items() if info[0] == wid and len(info) == 1]:
            del self._task_info[idx]
        if not self._persistent:
            self._task_queues[wid].put(None)

    def __next__(self):
        while True:
            if not self._finalizer.alive:
                raise StopIteration
            while self._rcvd_idx < self._send_idx and self._rcvd_idx not in self._task_info:
                self._rcvd_idx += 1  # tasks of a retired worker
            if self._rcvd_idx >= self._send_idx:
                if not self._persistent:
                    self._finalizer()
                raise StopIteration
            info = self._task_info[self._rcvd_idx]
            if len(info) == 2:
                del self._task_info[self._rcvd_idx]
                return self._deliver(info[1])
            idx, data = self._get_data()
            if idx not in self._task_info:
                continue  # stale: from a retired worker or an earlier epoch
            wid = self._task_info[idx][0]
            if isinstance(data, _worker.IterableEnd):
                del self._task_info[idx]
                self._retire(wid)
                self._put_task()
            elif idx == self._rcvd_idx:
                del self._task_info[idx]
                return self._deliver(data)
            else:
                self._task_info[idx].append(data)

    def _deliver(self, data):
        self._rcvd_idx += 1
        self._put_task()
        if isinstance(data, _worker.ExceptionWrapper):
            data.reraise()
        return data

    def __del__(self):
        fin = getattr(self, "_finalizer", None)
        if fin is not None:
            fin()


def _death_message(workers, pids):
    """PyTorch's words for a worker's death: the signal that killed it (by its description
    and name) or its exit code."""
    import signal
    for w in workers:
        code = w.exitcode
        if code is not None and code < 0:
            try:
                sig = signal.Signals(-code)
                what = f"{signal.strsignal(sig) or sig.name} ({sig.name})"
            except ValueError:
                what = f"signal {-code}"
            msg = f"DataLoader worker (pid {w.pid}) is killed by signal: {what}. "
            if -code == getattr(signal, "SIGBUS", None):
                msg += ("It is possible that dataloader's workers are out of shared memory. "
                        "Please try to raise your shared memory limit.")
            return msg
        if code:
            return (f"DataLoader worker (pid {w.pid}) exited unexpectedly with exit code {code}. "
                    "Details are lost due to multiprocessing. Rerunning with num_workers=0 may "
                    "give better error trace.")
    return f"DataLoader worker (pid(s) {pids}) exited unexpectedly"
