"""ember's intra-op threads on the CPU.

NumPy runs its elementwise loops and copies on one core, and OpenBLAS's own threads, once a
multi-threaded call has woken them, spin for up to a tenth of a second (2^28 cycles, its
THREAD_TIMEOUT) before they sleep, holding a core against whatever runs next: on two cores a
ResNet step spent more time with BLAS's threads than without them. So where an op has big work
that splits — a convolution's blocks of images, batch norm's and ReLU's passes over a batch, a
layout copy — it runs the parts on ember's own threads: ``get_num_threads()`` of them, the
calling thread taking the first share, with OpenBLAS held at one thread meanwhile (each part's
GEMM runs on its own core, and no BLAS thread is woken to spin). NumPy releases the GIL inside
its loops, copies and BLAS calls, so the parts do run side by side.

Results come back in part order and partial sums are added in that order, so the numbers do
not depend on the threads' timing (a sum split into more blocks on more threads may differ in
its last bits from the one-thread sum, as PyTorch's do). Nothing splits on the GPU or inside a
part (no nesting); while ``ember.compile`` records, work is split as eager splits it and the
parts run in order on one thread, so that a replay's numbers are eager's bit for bit."""
import os
import threading
import time

from .._flags import CAPTURING

__all__ = []

_LOCAL = threading.local()
_BLAS = []      # OpenBLAS's (get, set) thread-count functions, looked up once
_POOL = []      # (workers, pid, ThreadPoolExecutor)
_SPLIT = [-1e9]  # time.monotonic() of the last split work
_SPIN_S = 0.1    # seconds: about how long an OpenBLAS thread spins after its last job (2^28 cycles)

# Below this many bytes of work a pass is not worth a hand-off to another thread (~20 us).
MIN_BYTES = 1 << 19


def blas_fns():
    """OpenBLAS's (get, set) thread-count functions ((None, None): not OpenBLAS)."""
    if not _BLAS:
        from .._threads import _GET, _SET, _openblas
        lib = _openblas()

        def pick(names):
            return next((getattr(lib, n) for n in names if hasattr(lib, n)), None)
        _BLAS.extend((pick(_GET), pick(_SET)) if lib is not None else (None, None))
    return _BLAS


class hold:
    """``with hold(big):`` — OpenBLAS at one thread for the block when ember has several (they
    are counted here meanwhile) and ``big`` is true: an op with work to split holds it for its
    whole run, so that neither its parts nor its small unsplit GEMMs wake BLAS's threads to spin
    against ember's. As a decorator, ``hold(size=f)`` holds where ``f(*args)`` (bytes of work)
    reaches MIN_BYTES, or while ember's threads have split work lately (within BLAS's spin
    time): a program of small ops only keeps BLAS's own threads, cheaper for a small GEMM than
    ember's, but one small multi-threaded GEMM between big split ops would leave a BLAS thread
    spinning through them. Nested holds do nothing."""

    def __init__(self, big=True, size=None):
        self.big, self.size = big, size

    def __enter__(self):
        self.n = 0
        if not self.big or getattr(_LOCAL, "held", 0) or inside():
            return self
        get, set_ = blas_fns()
        n = get() if get is not None and set_ is not None else 1
        if n > 1:
            _set_blas(1)
            self.n = _LOCAL.held = n
        return self

    def __exit__(self, *exc):
        if self.n:
            _LOCAL.held = 0
            _set_blas(self.n)

    def __call__(self, fn):
        size = self.size

        def held(*args, **kwargs):
            with hold(size is None or size(*args) >= MIN_BYTES
                      or time.monotonic() - _SPLIT[0] < _SPIN_S):
                return fn(*args, **kwargs)
        held.__name__, held.__doc__, held.__wrapped__ = fn.__name__, fn.__doc__, fn
        return held


def _set_blas(n):
    """OpenBLAS's thread count to ``n``; while ember.compile records, a recorded call, so that
    a replay runs each GEMM on as many BLAS threads as the capture did (OpenBLAS's threaded
    sums may differ in the last bit)."""
    rec = CAPTURING[0]
    if rec is not None and rec.thread == threading.get_ident():
        rec.call(_blas_threads, (n,), {})
    else:
        _blas_threads(n)


def _blas_threads(n):
    blas_fns()[1](n)


def inside():
    """Whether this thread is running a part of split work."""
    return getattr(_LOCAL, "inside", False)


def threads(xp, nbytes=None):
    """How many threads work of ``nbytes`` may split over: ember's thread count (BLAS's) for
    NumPy arrays, else 1 (on the GPU, inside a part, or for less than MIN_BYTES of work). The
    same while ember.compile records: a capture splits work as eager does, so that its sums
    are eager's bit for bit, and ``run`` then runs the parts in order on the calling thread."""
    if (xp.__name__ != "numpy" or inside()
            or (nbytes is not None and nbytes < MIN_BYTES)):
        return 1
    held = getattr(_LOCAL, "held", 0)
    if held:
        return held
    get, set_ = blas_fns()
    return get() if get is not None and set_ is not None else 1


def spans(total, step):
    """(start, stop) pairs covering range(total) in steps of ``step``."""
    step = max(1, step)
    return [(a, min(a + step, total)) for a in range(0, total, step)]


def run(xp, parts, work, nbytes=None):
    """[work(*part) for part in parts], in order. On several threads (see ``threads``) each
    thread, the calling one among them, takes the next part not yet taken until none is left;
    ``work`` must then write only what its own part owns."""
    n = min(threads(xp, nbytes), len(parts))
    if n < 2:
        return [work(*p) for p in parts]
    _SPLIT[0] = time.monotonic()
    if CAPTURING[0] is not None:
        return [work(*p) for p in parts]
    out = [None] * len(parts)
    queue = iter(range(len(parts)))      # next() on a shared iterator, under the GIL
    pool = _pool(n - 1)
    futures = []
    with hold():
        try:
            futures = [pool.submit(_share, work, parts, queue, out) for _ in range(n - 1)]
            _share(work, parts, queue, out)
            for f in futures:
                f.result()
            return out
        finally:
            for f in futures:      # a failed share: let the others finish before returning
                f.exception()


def over_batch(xp, a, work):
    """work(b0, b1) over the first dim of ``a``, for elementwise work and copies (whose results
    do not depend on the split): one call on one thread or for a small ``a``, else blocks of
    about MIN_BYTES split over the threads. Results in order."""
    B = a.shape[0] if a.ndim else 1
    if threads(xp, a.nbytes) < 2 or B < 2:
        return [work(0, B)]
    return run(xp, spans(B, MIN_BYTES // max(a.nbytes // B, 1)), work)


def binary(xp, ufunc, x, y):
    """ufunc(x, y) split over the threads by blocks of the first dim, for two big NumPy arrays
    of one shape, layout and dtype (a residual sum, two gradients meeting); None otherwise."""
    if (x.__class__ is not y.__class__ or x.shape != y.shape or x.dtype != y.dtype or not x.ndim
            or x.strides != y.strides
            or xp.__name__ != "numpy" or threads(xp, x.nbytes) < 2):
        return None
    import numpy as np
    out = np.empty_like(x)
    over_batch(xp, x, lambda b0, b1: ufunc(x[b0:b1], y[b0:b1], out=out[b0:b1]))
    return out


_SCRATCH_MAX = 1 << 22   # elements: a bigger scratch is not kept for later calls


def scratch(n, dtype, slot=0):
    """A flat scratch array of ``n`` elements of this thread's own, reused across calls
    (overwritten by the next call on the same thread with the same ``slot``: a helper that may
    run while its caller holds slot 0 takes another); a fresh one while ember.compile records
    (a replay must not share memory with eager calls)."""
    import numpy as np
    if CAPTURING[0] is not None or n > _SCRATCH_MAX:
        return np.empty(n, dtype)
    cache = _LOCAL.__dict__.setdefault("scratch", {})
    buf = cache.get((dtype, slot))
    if buf is None or buf.size < n:
        buf = cache[(dtype, slot)] = np.empty(n, dtype)
    return buf[:n]


def _share(work, parts, queue, out):
    was = inside()
    _LOCAL.inside = True
    try:
        for i in queue:
            out[i] = work(*parts[i])
    finally:
        _LOCAL.inside = was


def _pool(workers):
    if not _POOL or _POOL[0][:2] != (workers, os.getpid()):   # a forked child has no threads
        from concurrent.futures import ThreadPoolExecutor
        _POOL[:] = [(workers, os.getpid(),
                     ThreadPoolExecutor(workers, thread_name_prefix="ember-intraop"))]
    return _POOL[0][2]
