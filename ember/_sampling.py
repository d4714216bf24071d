"""PyTorch's CPU samplers on NumPy: each function turns a Generator's MT19937 words into one
distribution exactly as ATen's CPU kernels do (DistributionsHelper / TransformationHelper /
cpu/DistributionTemplates), in the same order of consumption, vectorised.

Every sampler takes ``target``: a shape (a fresh contiguous tensor) or the NumPy array about to
be overwritten (an in-place fill), whose memory order is the order PyTorch's TensorIterator
visits, and returns an array of that shape.

What is exact and what is not (on an x86-64 CPU with AVX2, where PyTorch's float32 normal_
uses its AVX2 Box-Muller): uniform, integer, permutation, Bernoulli, multinomial and float32
normal draws are bit for bit PyTorch's. float64 normal, exponential, log-normal and Cauchy
values can differ from PyTorch's in the last bit, because glibc's log/log1p/sin/cos/tan are
not NumPy's; rounded to float32 they agree.
"""
import bisect
import math
import threading

import numpy as np

from . import _dtype as D
from ._avx_mathfun import chunk_rows, normal_fill_16_avx2

__all__ = ["draw", "uniform", "normal", "normal_values", "random_", "bernoulli_scalar",
           "bernoulli_tensor", "exponential", "geometric", "cauchy", "log_normal", "randperm",
           "multinomial_with_replacement", "uniform01_double", "poisson"]

_M24 = np.uint32((1 << 24) - 1)
_M53 = np.uint64((1 << 53) - 1)
_LD = np.longdouble


# -- iteration order ------------------------------------------------------------------------------
def _plan(target):
    """(shape, n, axes, contiguous): ``axes`` orders the dimensions as TensorIterator walks an
    existing tensor (outermost = largest stride); None for C order."""
    if isinstance(target, tuple):
        return target, math.prod(target), None, True
    shape = target.shape
    if target.flags.c_contiguous:
        return shape, target.size, None, True
    strides = [abs(s) if n > 1 else 0 for s, n in zip(target.strides, shape)]
    axes = sorted(range(len(shape)), key=lambda d: -strides[d])   # stable: ties keep order
    return shape, target.size, (None if axes == list(range(len(shape))) else axes), False


def _place(flat, shape, axes):
    """Values drawn in iteration order, laid out in ``shape``."""
    if axes is None:
        return flat.reshape(shape)
    return flat.reshape([shape[a] for a in axes]).transpose(np.argsort(axes))


# -- uniform reals --------------------------------------------------------------------------------
def uniform01_float(g, n):
    """uniform_real_distribution<float>(0, 1): 24 bits of one word."""
    x = (g._words(n) & _M24).astype(np.float32)
    x *= np.float32(2.0 ** -24)
    return x


def uniform01_double(g, n):
    """uniform_real_distribution<double>(0, 1): 53 bits of a 64-bit draw (two words)."""
    x = (g._words64(n) & _M53).astype(np.float64)
    x *= 2.0 ** -53
    return x


def _fma32(x, a, b):
    """x * a + b rounded once to float32 (the fused multiply-add the AVX build emits); the
    float32 product is exact in float64."""
    return (x.astype(np.float64) * np.float64(a) + np.float64(b)).astype(np.float32)


def _fma64(x, a, b):
    """x * a + b in float64 with one rounding (long double carries the product)."""
    if a == 1.0 and b == 0.0:
        return x
    return (x.astype(_LD) * _LD(a) + _LD(b)).astype(np.float64)


def _real_view(target, dt):
    """Complex tensors are filled through their real view (shape + (2,)): PyTorch's
    view_as_real, real and imaginary parts interleaved in memory."""
    if isinstance(target, tuple):
        return target + (2,)
    re = target.real
    return np.lib.stride_tricks.as_strided(re, target.shape + (2,),
                                           re.strides + (re.itemsize,), writeable=False)


def uniform(g, target, dt, low=0.0, high=1.0):
    """``uniform_(low, high)``: float32/float16 from one word each, float64 from two."""
    if dt.category == D._COMPLEX:
        real = D.float64 if dt is D.complex128 else D.float32
        v = uniform(g, _real_view(target, dt), real, low, high)
        return (v[..., 0] + 1j * v[..., 1]).astype(dt.np)
    shape, n, axes, _ = _plan(target)
    if dt is D.float64:
        x = uniform01_double(g, n)
        if low != 0.0 or high != 1.0:
            x = _fma64(x, high - low, low)
        return _place(x, shape, axes)
    x = uniform01_float(g, n)
    lo, hi = dt.np.type(low), dt.np.type(high)
    if low != 0.0 or high != 1.0:
        x = _fma32(x, np.float32(dt.np.type(hi - lo)), np.float32(lo))
    x = x.astype(dt.np, copy=False)
    if dt is not D.float32 or low != 0.0 or high != 1.0:
        x[x >= hi] = lo      # a draw that rounds up to ``to`` becomes ``from``, as PyTorch
    return _place(x, shape, axes)


# -- normal ---------------------------------------------------------------------------------------
def normal_values(g, n, mean=0.0, std=1.0):
    """``n`` draws of at::normal_distribution<double>: Box-Muller on two double uniforms per pair,
    the second value of a pair cached in the generator for the next draw."""
    out = np.empty(n, np.float64)
    k = 0
    if n and g._next_double is not None:
        out[0], g._next_double, k = g._next_double, None, 1
    pairs = (n - k + 1) // 2
    if pairs:
        u = uniform01_double(g, 2 * pairs).reshape(pairs, 2)
        r = np.sqrt(-2.0 * np.log1p(-u[:, 1]))
        theta = 2.0 * math.pi * u[:, 0]
        z = np.empty((pairs, 2))
        z[:, 0] = r * np.cos(theta)
        z[:, 1] = r * np.sin(theta)
        z = z.ravel()
        out[k:] = z[:n - k]
        if len(z) > n - k:
            g._next_double = float(z[-1])
    return _fma64(out, std, mean)


def _fill_double(g, n, mean, std):
    """normal_fill<double>: all uniforms first, Box-Muller on blocks of 16 (u1 = 1 - u[i],
    u2 = u[i + 8]); a ragged tail redraws the last 16."""
    u = uniform01_double(g, n)
    k = n // 16

    def block(v):
        u1, u2 = 1.0 - v[:, :8], v[:, 8:]
        r = np.sqrt(-2.0 * np.log(u1))
        theta = 2.0 * math.pi * u2
        return np.concatenate([_fma64(r * np.cos(theta), std, mean),
                               _fma64(r * np.sin(theta), std, mean)], 1).ravel()

    u[:k * 16] = block(u[:k * 16].reshape(k, 16))
    if n % 16:
        u[n - 16:] = block(uniform01_double(g, 16).reshape(1, 16))
    return u


def _fill_half(g, n, mean, std):
    """float16: the float32 blocks, but uniforms drawn block by block (a ragged tail draws only
    its own 16), rounded to half at the end."""
    k = n // 16
    u = uniform01_float(g, 16 * (k + (n % 16 > 0))).reshape(-1, 16)
    z = normal_fill_16_avx2(u, mean, std).ravel()
    out = np.empty(n, np.float32)
    out[:k * 16] = z[:k * 16]
    if n % 16:
        out[n - 16:] = z[k * 16:]
    return out.astype(np.float16)


def _fill_float(g, n, mean, std):
    """normal_fill_AVX2 (PyTorch's float32 path on AVX2 CPUs).

    With ember's intra-op threads (ops/_parallel), one thread draws the words (in order) and
    turns them into uniforms, block by block, ahead of another that runs the Box-Muller math
    on each block as it comes: the words cost about a third of the math. The math itself is
    not split: its NumPy calls are short (a few microseconds on cache-sized chunks), and two
    threads taking turns at the GIL between such calls ran no faster than one. On one thread
    the words are all drawn first; the values are the same either way."""
    from .ops import _parallel
    out = np.empty(n, np.float32)
    k = n // 16
    rows = out[:k * 16].reshape(k, 16)
    blocks, a, step = [], 0, chunk_rows()
    while a < k:               # growing blocks: the math starts soon, the drawer wakes rarely
        blocks.append((a, min(k, a + step)))
        a, step = a + step, 2 * step
    ends = [b for _, b in blocks]
    ready = [threading.Event() for _ in blocks]
    failed = []

    def draw():
        try:
            for (a, b), done in zip(blocks, ready):
                w = g._words((b - a) * 16).reshape(b - a, 16)
                np.bitwise_and(w, _M24, out=w)        # uniform01_float, into the output
                np.multiply(w, np.float32(2.0 ** -24), out=rows[a:b], dtype=np.float32,
                            casting="same_kind")
                done.set()
        except BaseException as e:
            failed.append(e)
            for done in ready:                        # (the other part must not wait forever)
                done.set()
            raise

    def wait(stop):
        ready[bisect.bisect_left(ends, stop)].wait()
        if failed:
            raise RuntimeError("randn: drawing the uniforms failed") from failed[0]

    def compute():
        normal_fill_16_avx2(rows, mean, std, out=rows, wait=wait)

    _parallel.run(np, [(draw,), (compute,)], lambda fn: fn(), out.nbytes)
    if n % 16:      # PyTorch draws all n uniforms first, then 16 fresh ones for the last 16
        g._words(n % 16)
        out[n - 16:] = normal_fill_16_avx2(uniform01_float(g, 16).reshape(1, 16), mean,
                                           std).ravel()
    return out


def normal(g, target, dt, mean=0.0, std=1.0):
    """``normal_(mean, std)``: contiguous tensors of 16 or more elements take the vectorised
    16-at-a-time fill, the others the scalar Box-Muller path (with its cached second value)."""
    if dt.category == D._COMPLEX:
        real = D.float64 if dt is D.complex128 else D.float32
        v = normal(g, _real_view(target, dt), real, mean, std / math.sqrt(2))
        return (v[..., 0] + 1j * v[..., 1]).astype(dt.np)
    shape, n, axes, contiguous = _plan(target)
    if n >= 16 and contiguous:
        fill = _fill_float if dt is D.float32 else _fill_double if dt is D.float64 else \
            _fill_half
        return fill(g, n, mean, std).reshape(shape)
    with np.errstate(over="ignore"):
        return _place(normal_values(g, n, mean, std).astype(dt.np), shape, axes)


# -- integers -------------------------------------------------------------------------------------
def _mod(v, d):
    """``v % d`` for an unsigned array and a scalar divisor, in place: NumPy divides by a scalar
    with libdivide's multiply and shift, several times faster than its remainder."""
    d = v.dtype.type(d)
    q = v // d
    q *= d
    return np.subtract(v, q, out=v)


def _from_to(g, n, dt, span, base):
    """uniform_int_from_to_distribution: ``draw % span + base``, the draw a 64-bit one (two
    words) when the span is 2^28 or more (what PyTorch 2.13 does, found by experiment), else
    one word."""
    if span >= 1 << 28:
        v = _mod(g._words64(n), span)
        return v.astype(np.int64) + np.int64(base) if base else v.astype(np.int64)
    v = g._words(n)
    v = _mod(v, span)
    v = v.astype(np.int64)
    if base:
        v += np.int64(base)
    return v


def random_(g, target, dt, low=None, high=None, full=False):
    """``random_``: ``[low, high)``; ``high=None``: up to the dtype's top; ``full``: the whole
    int64 range. ``low=None`` and ``high=None``: ``random_()``'s default range. Bounds are the
    caller's to check."""
    shape, n, axes, _ = _plan(target)
    if full:
        v = g._words64(n).view(np.int64)
    elif low is None:
        v = _default_ints(g, n, dt)
    else:
        v = _from_to(g, n, dt, high - low, low)
    return _place(v.astype(dt.np, copy=False), shape, axes)


def _default_ints(g, n, dt):
    """uniform_int_distribution: int64 and float64 from 64-bit draws, the rest from words,
    reduced modulo (max + 1) (integers) or 2^digits + 1 (floats)."""
    if dt is D.int64:
        return _mod(g._words64(n), 1 << 63).astype(np.int64)
    if dt is D.float64:
        return _mod(g._words64(n), (1 << 53) + 1).astype(np.int64)
    w = g._words(n)
    if dt is D.bool:
        return (w & np.uint32(1)).astype(np.int64)
    if dt.category == D._FLOAT:
        digits = 24 if dt is D.float32 else 11
        return _mod(w, (1 << digits) + 1).astype(np.int64)
    top = int(np.iinfo(dt.np).max) + 1
    return (w if top == 1 << 32 else _mod(w, top)).astype(np.int64)


# -- Bernoulli ------------------------------------------------------------------------------------
def bernoulli_scalar(g, target, dt, p):
    """``bernoulli_(p)`` with a number: one double uniform per element, ``u < p`` (PyTorch's
    portable kernel; MKL builds on Intel CPUs draw from MKL's own stream instead)."""
    shape, n, axes, _ = _plan(target)
    return _place((uniform01_double(g, n) < p).astype(dt.np), shape, axes)


def bernoulli_tensor(g, target, dt, p):
    """``bernoulli_(p_tensor)``: per element, ``u < p`` with a float uniform (one word) for
    float p and a double one (two words) for double p. ``p`` is broadcast to the target."""
    shape, n, axes, _ = _plan(target)
    pv = np.broadcast_to(p, shape)
    if axes is not None:
        pv = pv.transpose(axes)
    pv = pv.ravel()
    u = uniform01_double(g, n) if p.dtype == np.float64 else uniform01_float(g, n)
    return _place((u < pv).astype(dt.np), shape, axes)


# -- the other continuous distributions (double draws, cast to the dtype) -------------------------
def exponential(g, target, dt, lambd):
    shape, n, axes, _ = _plan(target)
    x = (-1.0 / lambd) * np.log1p(-uniform01_double(g, n))
    return _place(x.astype(dt.np), shape, axes)


def geometric(g, target, dt, p):
    shape, n, axes, _ = _plan(target)
    with np.errstate(divide="ignore"):
        x = np.ceil(np.log(uniform01_double(g, n)) / math.log(1.0 - p))
    return _place(x.astype(dt.np), shape, axes)


def cauchy(g, target, dt, median, sigma):
    shape, n, axes, _ = _plan(target)
    t = np.tan((math.pi * (uniform01_double(g, n) - 0.5)).astype(_LD)).astype(np.float64)
    return _place((median + sigma * t).astype(dt.np), shape, axes)


def log_normal(g, target, dt, mean, std):
    shape, n, axes, _ = _plan(target)
    with np.errstate(over="ignore"):
        return _place(np.exp(normal_values(g, n, mean, std)).astype(dt.np), shape, axes)


def poisson(g, lam):
    """Poisson counts with rates ``lam`` (a float array), one double uniform per element,
    inverted through the Poisson CDF (a loop over count values, vectorised over elements).

    Not PyTorch's stream: ATen's sampler rejects a variable number of uniforms per element,
    which chains every element's draws to all earlier ones and has no vectorised form."""
    from .ops.special_functions import _lgamma_np
    lam = np.asarray(lam, np.float64)
    u = uniform01_double(g, lam.size).reshape(lam.shape)
    out = np.zeros(lam.shape)
    live = lam > 0
    if not live.any():
        return out
    spread = np.sqrt(lam)
    k = np.where(live, np.maximum(0.0, np.floor(lam - 10 * spread - 10)), 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        pmf = np.where(live, np.exp(k * np.log(lam) - lam - _lgamma_np(k + 1)), 0.0)
    cdf = pmf.copy()
    todo = live & (cdf <= u)
    out[live & ~todo] = k[live & ~todo]
    top = np.where(live, lam + 10 * spread + 20, 0.0)
    while todo.any():
        k = k + 1
        pmf = np.where(todo, pmf * lam / k, pmf)
        cdf = np.where(todo, cdf + pmf, cdf)
        hit = todo & ((cdf > u) | (k >= top))
        out[hit] = k[hit]
        todo &= ~hit
    return out


# -- permutations and categorical draws -----------------------------------------------------------
def _split(n, work):
    """work(start, stop) over range(n) in a few big parts, run over ember's intra-op threads
    (ops/_parallel): for elementwise passes and gathers whose NumPy calls are long enough
    (about a millisecond) for threads to pay; one call on one thread."""
    from .ops import _parallel
    if 4 * n < _parallel.MIN_BYTES:
        return [work(0, n)]
    return _parallel.run(np, _parallel.spans(n, max(1 << 17, -(-n // 4))), work, 4 * n)


def _drawn_ahead(g, n, work):
    """work(start, stop, words) over range(n) in a few big blocks, each with its block of the
    generator's next ``n`` words. The words are drawn in order by one part of split work
    (ops/_parallel) while the other threads run ``work`` on the blocks already drawn, then
    that thread joins them; on one thread, all words first, then the blocks in turn."""
    from .ops import _parallel
    if 4 * n < _parallel.MIN_BYTES:
        return work(0, n, g._words(n))
    blocks = _parallel.spans(n, max(1 << 17, -(-n // 4)))
    words = [None] * len(blocks)
    ready = [threading.Event() for _ in blocks]

    def draw():
        try:
            for i, (a, b) in enumerate(blocks):
                words[i] = g._words(b - a)
                ready[i].set()
        finally:
            for done in ready:                  # (a failed draw must not leave a part waiting)
                done.set()

    def part(i):
        if i < 0:
            return draw()
        ready[i].wait()
        if words[i] is None:
            raise RuntimeError("randperm: drawing the words failed")
        work(*blocks[i], words[i])
        words[i] = None

    _parallel.run(np, [(i,) for i in range(-1, len(blocks))], part, 4 * n)


def _sort(a):
    """``a.sort()`` in place. With several of ember's intra-op threads, a partition (an O(n)
    selection, an eighth of the sort's time) cuts ``a`` into one segment per thread, each
    then sorted on its own thread: np.sort is one long call that releases the GIL, so the
    threads do run side by side. The result is the same sorted array."""
    from .ops import _parallel
    k = _parallel.threads(np, a.nbytes)
    if k < 2:
        a.sort()
        return
    cuts = [len(a) * i // k for i in range(1, k)]
    a.partition(cuts)
    ends = [0] + cuts + [len(a)]
    _parallel.run(np, list(zip(ends[:-1], ends[1:])), lambda s, e: a[s:e].sort())


def randperm(g, n):
    """PyTorch's randperm for n < 2^32 / 20: the forward Fisher-Yates shuffle of 0 … n-1 that
    swaps r[i] with r[i + z_i], z_i = word_i % (n - i), for i = 0 … n-2.

    The swaps are sequential, but their effect has a closed form, computed here without a loop
    over elements: step i writes its final value r[i] from position t_i = i + z_i, which holds
    either t_i itself (no earlier step targeted it) or the value the last earlier step k with
    t_k = t_i carried there, i.e. h[k], the value position k held just before step k. And h[p]
    is, by the same argument, p itself or h of the last step before p's own that targeted p
    (its parent, always an earlier position): chains whose roots are found by pointer
    jumping. One sort of (target, step) keys groups the steps by target; the rest runs on
    int32 with branch-free selects (a random mask makes ``np.where`` slow).

    PyTorch runs the shuffle on one thread. With ember's intra-op threads (ops/_parallel) the
    long passes are split: the words are drawn ahead of the key building, the sort runs as
    one partition and a sort per thread, and the big gathers and the scatter are cut in
    parts. The permutation does not depend on the split."""
    if n >= (1 << 32) // 20:
        raise RuntimeError(f"randperm: n={n} is too large for ember (PyTorch switches to 64-bit "
                           "draws there)")
    if n < 2:
        return np.arange(n, dtype=np.int64)
    m = n - 1
    idx = np.arange(n, dtype=np.uint32)
    # the sort keys: (step, target) as the low and high words of one uint64, so that a uint64
    # sort orders by target, then step, and the sorted halves are read back as views
    key = np.empty((m, 2), np.uint32)
    span = np.arange(n, 1, -1, dtype=np.uint32)                 # n - i

    def keys(a, b, z):
        np.remainder(z, span[a:b], out=z)                      # z_i = word_i % (n - i)
        np.add(z, idx[a:b], out=key[a:b, 1])                   # the target t_i = i + z_i
        key[a:b, 0] = idx[a:b]
    _drawn_ahead(g, m, keys)
    _sort(key.view(np.uint64).reshape(m))
    kv = key.view(np.int32)
    ks, ts = kv[:, 0].copy(), kv[:, 1]                  # steps grouped by target, in order
    d = np.empty(m, np.int32)                          # (d[0] is not used)
    np.subtract(ts[:-1], ts[1:], out=d[1:])            # < 0 where a new target starts
    ends = np.flatnonzero(d[1:].astype(bool))          # (a boolean nonzero does not branch)
    ends = np.append(ends, m - 1)                      # the last step of each target
    te, par = ts.take(ends), ks.take(ends)
    # the parent of position te is its group's last step, or the one before where the last
    # is te's own step (z = 0, which swaps nothing: about ln n of them, fixed apart)
    own = np.flatnonzero(par == te)
    if own.size:
        e = ends[own]
        before = np.maximum(e - 1, 0)
        par[own] = np.where((e > 0) & (ts[before] == te[own]), ks[before], te[own])
    jump = np.arange(n, dtype=np.int32)
    jump[te] = par
    # pointer jumping over the targeted positions only: each to the root of its chain (h)
    live = np.flatnonzero(par != te)
    pos, up = te.take(live), par.take(live)
    while pos.size:
        upup = np.empty_like(up)
        _split(len(up), lambda a, b: jump.take(up[a:b], out=upup[a:b]))
        live = np.flatnonzero(upup != up)              # (faster than a boolean index)
        pos, up = pos.take(live), upup.take(live)
        jump[pos] = up
    # r[step] = the target for a group's first step, else h of the step before it
    hv = np.empty(n, np.int32)
    vals = np.empty(m, np.int32)
    _split(m, lambda a, b: jump.take(ks[a:b], out=hv[a:b]))

    def select(a, b):
        a = max(a, 1)
        np.right_shift(d[a:b], 31, out=d[a:b])         # -1 at a group's first step
        t = np.bitwise_xor(hv[a - 1:b - 1], ts[a:b])
        np.bitwise_and(t, d[a:b], out=t)
        np.bitwise_xor(hv[a - 1:b - 1], t, out=vals[a:b])

    vals[0] = ts[0]
    _split(m, select)
    # the scatter into step order goes into hv, free now and already in memory: a fresh
    # array's pages, faulted in by a random scatter, cost as much as the scatter itself
    r = hv

    def scatter(a, b):
        r[ks[a:b]] = vals[a:b]                          # (disjoint: ks is a permutation)
    _split(m, scatter)
    r[m] = jump[m]                                      # the last position: what it holds
    return r.astype(np.int64)


def multinomial_with_replacement(g, rows, n):
    """Row by row, ``n`` double uniforms each, located in the row's normalised running sum
    (summed in the row's dtype, the last entry set to 1) by the first entry >= u."""
    acc = np.float32 if rows.dtype == np.float16 else rows.dtype
    cum = np.cumsum(rows.astype(acc), axis=1)
    cum /= cum[:, -1:]
    cum[:, -1] = 1
    nrows, k = rows.shape
    u = uniform01_double(g, nrows * n).reshape(nrows, n)
    # the kernel's binary search (first entry not below u), run for every draw at once
    row = np.arange(nrows)[:, None]
    lo = np.zeros(u.shape, np.int64)
    hi = np.full(u.shape, k, np.int64)
    while True:
        open_ = hi > lo
        if not open_.any():
            return lo
        mid = (lo + hi) // 2
        right = open_ & (cum[row, np.minimum(mid, k - 1)] < u)
        lo = np.where(right, mid + 1, lo)
        hi = np.where(open_ & ~right, mid, hi)


# -- CUDA tensors: CuPy's stream ------------------------------------------------------------------
def gpu_draw(g, kind, shape, dt, *args):
    """A draw for a CUDA tensor, from CuPy's stream (a CUDA Generator's own, else CuPy's global
    one): PyTorch's CUDA (Philox) numbers are not reproduced."""
    from ._device import _load_cupy
    cp = _load_cupy()
    rs = g._cupy_rs if g is not None and g._cupy_rs is not None else cp.random.get_random_state()
    if dt.category == D._COMPLEX:
        real = D.float64 if dt is D.complex128 else D.float32
        if kind == "normal":
            args = (args[0], args[1] / math.sqrt(2))
        v = gpu_draw(g, kind, tuple(shape) + (2,), real, *args)
        return (v[..., 0] + 1j * v[..., 1]).astype(dt.np)
    real = np.float64 if dt is D.float64 else np.float32
    if kind == "uniform":
        x = rs.uniform(args[0], args[1], shape, dtype=real)
    elif kind == "normal":
        x = rs.normal(args[0], args[1], shape, dtype=real)
    elif kind == "ints":
        x = rs.randint(args[0], args[1], shape, dtype=np.int64)
    elif kind in ("bernoulli", "bernoulli_tensor"):
        p = cp.asarray(args[0]) if kind == "bernoulli_tensor" else args[0]
        x = rs.random_sample(shape, dtype=np.float64) < p
    elif kind == "exponential":
        x = rs.standard_exponential(shape, dtype=real) / args[0]
    elif kind == "geometric":
        x = rs.geometric(args[0], shape)
    elif kind == "cauchy":
        x = args[0] + args[1] * rs.standard_cauchy(shape, dtype=real)
    elif kind == "log_normal":
        x = rs.lognormal(args[0], args[1], shape, dtype=real)
    elif kind == "perm":
        x = rs.permutation(args[0])
    else:
        raise ValueError(f"unknown draw {kind!r}")
    return x.astype(dt.np, copy=False)


def draw(kind, generator, target, dt, *args, gpu=False):
    """The one entry point: ``kind`` drawn for ``target`` (a shape, or the array to overwrite)
    from ``generator`` (None: the default one). CUDA targets draw from CuPy's stream."""
    from ._random import rng
    if gpu or not isinstance(target, (tuple, np.ndarray)):
        shape = target if isinstance(target, tuple) else tuple(target.shape)
        return gpu_draw(generator, kind, shape, dt, *args)
    return _KINDS[kind](rng(generator), target, dt, *args)


_KINDS = {"uniform": uniform, "normal": normal, "ints": random_, "bernoulli": bernoulli_scalar,
          "bernoulli_tensor": bernoulli_tensor, "exponential": exponential,
          "geometric": geometric, "cauchy": cauchy, "log_normal": log_normal}
