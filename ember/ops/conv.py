"""Convolution of any spatial rank (1-, 2- and 3-d alike) as three Functions that are closed under
differentiation, so gradients of gradients come for free:

    Conv(x, w)           y = x * w (cross-correlation, as PyTorch's conv)
    ConvTranspose(g, w)  the adjoint of Conv in x: conv_transpose, and d/dx of Conv
    ConvWeight(x, g)     the adjoint of Conv in w: d/dw of Conv

All three work channels-last inside, whatever the layout at the boundary, because that is where
the copies are cheap:

- Conv copies the input once into a channels-last padded array (B, *P, C) and then once more
  into columns (B * O, K * C) — the window view of that array, whose innermost runs are kw * C
  contiguous floats instead of one output row — and one GEMM against the weight as a
  (K * C, C_out) matrix lands the output channels-last (B, *O, C_out).
- ConvTranspose at stride 1 is a Conv of the padded gradient with the flipped, transposed
  kernel (no scatter at all); strided, it is one GEMM giving each kernel offset's contribution
  contiguously, added as shifted blocks into a buffer split by stride phase, and one copy per
  phase interleaving them into the channels-last result (see _transpose_strided).
- ConvWeight is one GEMM of the gradient (as a (B * O, C_out) matrix) with the columns: the
  forward's own when they were small enough to keep, else rebuilt from the channels-last padded
  input the forward kept.

The columns are built and consumed a block of the batch at a time in one reused workspace
(see _BLOCK): cheaper than keeping them, because they are still in cache for the GEMM. The
backward lays the incoming gradient out channels-last once for both of its GEMMs, and the input
gradient goes on channels-last to the layers below (which keep the layout), except into a
leaf, whose ``.grad`` keeps the leaf's layout.

The layout copies between NCHW and channels-last (the padded input copy, the NCHW result, a
gradient laid out for the GEMMs) run through NumPy's copy by blocks of 8 channels on 4 KiB
planes (``cl_blocks``), or by channel for RGB inputs. Batch norm's and ReLU's backwards work in
the layout of the gradient they receive, so a channels-last gradient flows down a conv-BN-ReLU
stack without being laid out again.

The result is handed back in PyTorch's memory format: channels-last (a transposed view of the
(B, *O, C) array) when the input or the weight is channels-last, as PyTorch's
``memory_format=torch.channels_last`` rule has it, else NCHW-contiguous (one layout copy). Groups
are a leading batch dim of the GEMMs.
"""
import itertools
import math
import threading
from typing import NamedTuple

from .._flags import CAPTURING
from ..autograd.function import Function
from . import _parallel
from ._transpose import copy_layout
from .memory_format import channels_last, channels_last_3d, to_format

__all__ = []

_CTX_AUDITED = True   # every array a Function here keeps on ctx is in its _ctx_arrays


class Geom(NamedTuple):
    """Where the windows of a convolution lie, per spatial dim."""
    stride: tuple
    lo: tuple        # zero padding before each spatial dim
    hi: tuple        # ... and after (differs from lo only for padding='same' with an even kernel)
    dilation: tuple
    groups: int


def conv_out_size(size, ksize, geom):
    """Spatial output size of a convolution of input ``size`` with kernel ``ksize``."""
    return tuple((n + a + b - d * (k - 1) - 1) // s + 1 for n, k, s, a, b, d in
                 zip(size, ksize, geom.stride, geom.lo, geom.hi, geom.dilation))


def pad(xp, a, lo, hi, value=0):
    """``a`` with its trailing ``len(lo)`` dims padded by ``value`` (no copy when no padding)."""
    if not any(lo) and not any(hi):
        return a
    n = len(lo)
    inner = a.shape[-n:]
    shape = a.shape[:-n] + tuple(s + p + q for s, p, q in zip(inner, lo, hi))
    out = xp.zeros(shape, a.dtype) if value == 0 else xp.full(shape, value, a.dtype)
    out[(Ellipsis,) + tuple(slice(p, p + s) for p, s in zip(lo, inner))] = a
    return out


def _as_strided(xp, a, shape, strides):
    if xp.__name__ == "numpy":
        return xp.lib.stride_tricks.as_strided(a, shape, strides, writeable=False)
    return xp.lib.stride_tricks.as_strided(a, shape, strides)     # CuPy has no ``writeable``


# -- memory format ------------------------------------------------------------------------------
def is_channels_last(a):
    """Whether a 4-d or 5-d array's strides say channels-last: PyTorch's suggest_memory_format
    (strides non-decreasing in the order C, W, H, (D), N, counting size-1 dims as their
    neighbours), which settles the ambiguous shapes (one channel, 1x1 planes) the same way."""
    if a.ndim not in (4, 5) or a.strides[1] == 0:
        return False
    low = 0
    for d in (1, *range(a.ndim - 1, 1, -1), 0):
        if a.shape[d] == 0 or a.strides[d] < low or (d == 0 and low == a.strides[1]):
            return False
        low = a.strides[d] * (a.shape[d] if a.shape[d] > 1 else 1)
    return True


def _to_cl(a):
    """(B, C, *S) -> the (B, *S, C) view of the same array."""
    return a.transpose(0, *range(2, a.ndim), 1)


def _from_cl(xp, y, channels_last):
    """(B, *S, C) channels-last contiguous -> (B, C, *S): a view if ``channels_last`` (PyTorch's
    channels_last tensor), else an NCHW-contiguous copy."""
    out = y.transpose(0, y.ndim - 1, *range(1, y.ndim - 1))
    if channels_last:
        return out
    res = xp.empty(out.shape, y.dtype)
    _parallel.over_batch(xp, res, lambda b0, b1: _rows_to_nchw(xp, y[b0:b1], res[b0:b1]))
    return res


def _rows_to_nchw(xp, y, res):
    """res[...] = y for a channels-last contiguous (B, *S, C) ``y`` and an NCHW ``res``."""
    n = y.ndim
    if copy_layout(xp, res.transpose(0, *range(2, n), 1), y):
        return
    if _aliasing(y, y.shape[1:-1]):
        # through (B, *S[:-1], C, W): both copies stride by a row, never by a whole plane
        tmp = xp.empty(y.shape[:-2] + y.shape[-1:] + y.shape[-2:-1], y.dtype)
        tmp[...] = y.swapaxes(-1, -2)
        res[...] = tmp.transpose(0, n - 2, *range(1, n - 2), n - 1)
    else:
        res[...] = y.transpose(0, n - 1, *range(1, n - 1))


def _aliasing(a, size):
    """Whether a copy between layouts (B, C, *S) and (B, *S, C) of ``a`` would step by whole
    planes of ``size`` of 4 KiB or more in its inner loop, which maps every element to the same
    cache set (2.5 times slower at 32x32 floats), so that it pays to go through a copy that
    swaps only a row with the channels."""
    return (a.__class__.__module__ == "numpy" and len(size) >= 2 and a.shape[0] > 0
            and math.prod(size) * a.itemsize >= 4096 and size[-1] >= 8)


def _copy_cl(xp, dst, src):
    """dst[...] = src for a channels-last ``dst``, split over ember's threads by images when big.
    With a handful of channels (an RGB input) and a ``src`` that is not channels-last, NumPy's
    copy would run one tiny strided loop per pixel; a copy per channel runs along whole rows
    instead (four times faster at three channels)."""
    if dst.ndim > 2:
        _parallel.over_batch(xp, dst, lambda b0, b1: _copy_cl_part(xp, dst[b0:b1], src[b0:b1]))
    else:
        _copy_cl_part(xp, dst, src)


def _copy_cl_part(xp, dst, src):
    C = src.shape[-1]
    if copy_layout(xp, dst, src):
        return
    if C <= 4 and src.strides[-1] != src.itemsize and src.ndim > 2:
        for c in range(C):                    # a loop over at most four channels
            dst[..., c] = src[..., c]
    elif len(blocks := cl_blocks(src)) > 1:
        for c in blocks:
            dst[..., c] = src[..., c]
    elif src.ndim > 3 and src.strides[-2] == src.itemsize and _aliasing(src, src.shape[1:-1]):
        # an NCHW src: through (B, *S[:-1], C, W), see _aliasing
        tmp = xp.empty(src.shape[:-2] + src.shape[-1:] + src.shape[-2:-1], src.dtype)
        tmp[...] = src.swapaxes(-1, -2)
        dst[...] = tmp.swapaxes(-1, -2)
    else:
        dst[...] = src


def cl_blocks(src):
    """Channel slices to run a copy from the NCHW-strided (B, *S, C) view ``src`` into
    channels-last memory by: when a plane is a multiple of 4 KiB, every channel of a pixel maps
    to the same cache set (see _aliasing) and a run over all channels thrashes it; eight channels
    at a time stay within the cache's ways (1.2-1.9 times faster at 32x32 planes, whether the
    source is in cache or not). One slice, the whole, otherwise."""
    C = src.shape[-1]
    plane = src.strides[-1]
    if (src.__class__.__module__ != "numpy" or src.ndim < 4 or C <= 8 or plane % 4096
            or plane != math.prod(src.shape[1:-1]) * src.itemsize):
        return [slice(None)]
    return [slice(c, c + _CL_BLOCK) for c in range(0, C, _CL_BLOCK)]


_CL_BLOCK = 8


def _cl_padded(xp, a, lo, hi):
    """A channels-last copy (B, *P, C) of the (B, C, *S) array ``a``, zero-padded by ``lo`` /
    ``hi`` per spatial dim (negative amounts crop). No copy when nothing changes and ``a`` is
    channels-last already."""
    out, fill = _cl_padded_lazy(xp, a, lo, hi)
    if fill is not None:
        _parallel.over_batch(xp, out, fill)
    return out


def _cl_padded_lazy(xp, a, lo, hi):
    """(the padded channels-last array of _cl_padded, fill): ``fill(b0, b1)`` copies images
    b0:b1 into it (None when ``a`` itself serves), so a caller can copy each block of images
    just before it reads them, while they are in cache."""
    src = _to_cl(a)
    if any(p < 0 for p in lo + hi):
        src = src[(slice(None),) + tuple(slice(-min(p, 0), s + min(q, 0)) for p, q, s in
                                         zip(lo, hi, src.shape[1:-1]))]
        lo, hi = tuple(max(p, 0) for p in lo), tuple(max(q, 0) for q in hi)
    if not any(lo) and not any(hi):
        if src.flags.c_contiguous:
            return src, None
        out = xp.empty(src.shape, a.dtype)
        return out, lambda b0, b1: _copy_cl_part(xp, out[b0:b1], src[b0:b1])
    inner = src.shape[1:-1]
    out = xp.zeros((src.shape[0], *(s + p + q for s, p, q in zip(inner, lo, hi)), src.shape[-1]),
                   a.dtype)
    dst = out[(slice(None),) + tuple(slice(p, p + s) for p, s in zip(lo, inner))]
    return out, lambda b0, b1: _copy_cl_part(xp, dst[b0:b1], src[b0:b1])


def _cl_matrix(xp, a):
    """(B, C, *S) -> the (G-less) matrix (B * S, C), channels-last contiguous."""
    src = _to_cl(a)
    if not src.flags.c_contiguous:
        out = xp.empty(src.shape, a.dtype)
        _copy_cl(xp, out, src)
        src = out
    return src.reshape(-1, a.shape[1])


# -- the kernels --------------------------------------------------------------------------------
def _windows_cl(xp, a, ksize, osize, geom):
    """A read-only view (G, B, *O, *K, C/G) of ``a``, the input's channels-last padded copy:
    element [g, b, *o, *k, c] is a[b, *(o * stride + k * dilation), g * C/G + c]. Copied into
    columns (rows b, *o; columns *k, c) its innermost runs are kw * C/G contiguous floats."""
    st, n, G = a.strides, len(ksize), geom.groups
    Cg = a.shape[-1] // G
    kst = tuple(st[1 + j] * geom.dilation[j] for j in range(n))
    ost = tuple(st[1 + j] * geom.stride[j] for j in range(n))
    return _as_strided(xp, a, (G, a.shape[0], *osize, *ksize, Cg),
                       (Cg * st[-1], st[0], *ost, *kst, st[-1]))


# Columns are built and multiplied a block of the batch at a time, in one reused workspace of
# about _BLOCK elements: the block's columns are still in cache when the GEMM reads them, and no
# multi-megabyte array is allocated (and page-faulted in) per call, which measured twice as fast
# as columns for the whole batch at once on one thread. A multi-threaded BLAS wants fewer,
# larger GEMMs (each call synchronises its threads, which stalls badly on a busy machine), so
# the block grows to _BLOCK_THREADED there. The loop runs over a handful of blocks, each one
# vectorised work on many images; on the GPU the whole batch is one block.
_BLOCK, _BLOCK_THREADED = 1 << 20, 1 << 23
_LOCAL = threading.local()


def _block_size():
    get = _parallel.blas_fns()[0]
    return _BLOCK if get is None or get() == 1 else _BLOCK_THREADED


def _for_blocks(xp, B, per_image, work):
    """[work(b0, b1) for the blocks of the batch], in block order. With several threads the
    blocks (of _BLOCK elements, as on one thread) are split over ember's threads (ops/_parallel),
    each block's column copy and GEMM on one core: building columns runs in parallel too, and no
    GEMM waits for BLAS threads to synchronise (a ResNet step on two threads: 0.44 -> 0.34 s).
    The parts are summed in block order, so the result does not depend on the threads."""
    n = _parallel.threads(xp)
    if n < 2 or B * per_image < _BLOCK // 2:     # (less is not worth a hand-off)
        return [work(b0, b1) for b0, b1 in _batch_blocks(xp, B, per_image)]
    parts = -(-max(B * per_image, 1) // _BLOCK)     # blocks of at most _BLOCK elements,
    parts = -(-parts // n) * n                      # as many for each thread, of equal size
    return _parallel.run(xp, _parallel.spans(B, -(-B // parts)), work)


def _workspace(xp, n, dtype):
    """A scratch array of ``n`` elements, reused across calls on the CPU (per thread); a fresh
    one while ember.compile records (a replay must not share memory with eager calls)."""
    if xp.__name__ != "numpy" or n > 2 * _BLOCK_THREADED or CAPTURING[0] is not None:
        return xp.empty(n, dtype)
    cache = _LOCAL.__dict__.setdefault("ws", {})
    buf = cache.get(dtype)
    if buf is None or buf.size < n:
        buf = cache[dtype] = xp.empty(max(n, _BLOCK), dtype)
    return buf[:n]


def _batch_blocks(xp, B, per_image):
    """(start, stop) pairs covering the batch in blocks of about a block's elements of columns."""
    step = B if xp.__name__ != "numpy" else max(1, min(B, _block_size() // max(per_image, 1)))
    return [(b, min(b + step, B)) for b in range(0, B, step)]


def _cols_block(xp, win, b0, b1, fresh=False, base=None, into=None):
    """Columns (G, (b1 - b0) * O, K * C/G) of images b0:b1 from the window view of ``base``
    (the padded input), in the workspace (overwritten by the next call), in an array of their
    own if ``fresh``, or in ``into`` (contiguous, of that shape)."""
    G, n = win.shape[0], (win.ndim - 3) // 2
    shape = (G, b1 - b0) + win.shape[2:]
    size = math.prod(shape)
    cols = (into if into is not None else xp.empty(size, win.dtype) if fresh
            else _workspace(xp, size, win.dtype)).reshape(shape)
    run = win.shape[-1] * win.shape[-2] * win.itemsize       # bytes of one window row (kw, C)
    if (base is not None and xp.__name__ == "numpy" and CAPTURING[0] is None and G == 1
            and run and win.strides[-1] == win.itemsize
            and win.strides[-2] == win.shape[-1] * win.itemsize and base.flags.c_contiguous):
        # each window row is kw * C contiguous floats: copy rows as opaque items of that many
        # bytes, so that NumPy moves a row per step instead of running a float loop per row
        # (twice as fast at three channels). Not while ember.compile records: a view built
        # from raw bytes is beyond what it can follow (it takes the plain copy below).
        raw = xp.lib.stride_tricks.as_strided(
            base.reshape(-1).view(xp.uint8), win.shape[1:-2] + (run,), win.strides[1:-2] + (1,),
            writeable=False)[b0:b1]
        item = xp.dtype(f"S{run}")   # (bytes items: their copy releases the GIL; V does not)
        cols.reshape(shape[1:-2] + (-1,)).view(item)[..., 0] = raw.view(item)[..., 0]
    else:
        cols[...] = win[:, b0:b1]
    return cols.reshape(G, (b1 - b0) * math.prod(win.shape[2:2 + n]), -1)


def _weight_matrix(xp, wd, G):
    """Conv's weight (C_out, C/G, *K) as the GEMM wants it: (G, K * C/G, C_out/G), the
    transposed view of a (G, C_out/G, *K, C/G) copy: that copy gathers runs of K's last size
    (five times faster than laying out (G, *K, C/G, C_out) at 256 channels), and BLAS reads a
    transposed operand as fast."""
    Co, Cg, n = wd.shape[0], wd.shape[1], wd.ndim - 2
    w = wd.reshape(G, Co // G, Cg, *wd.shape[2:])
    m = xp.ascontiguousarray(w.transpose(0, 1, *range(3, n + 3), 2)).reshape(G, Co // G, -1)
    return m.transpose(0, 2, 1)


def _grouped_rows(xp, g, G):
    """A (B, C, *O) gradient as the GEMMs' (G, B * O, C/G) row blocks."""
    m = _cl_matrix(xp, g)
    if G == 1:
        return m[None]
    return xp.ascontiguousarray(m.reshape(m.shape[0], G, -1).transpose(1, 0, 2))


# Columns of at most this many elements are built once for the whole batch and kept for the
# weight gradient, which then skips building them again (a third of a small conv's copying);
# larger ones are rebuilt block by block from the kept padded input, as the memory they would
# hold grows with the batch.
_KEEP_COLS = 2 * _BLOCK


@_parallel.hold(size=lambda xp, xd, wd, *a, **k: xd.nbytes * math.prod(wd.shape[2:]) // 4)
def _conv_cl(xp, xd, wd, bd, geom, osize, channels_last, keep_cols=False):
    """The convolution of arrays: (output (B, C_out, *O), computed as (B * O, C_out) rows; the
    input's channels-last padded copy, which the weight gradient reads again; the columns, when
    ``keep_cols`` asks for them and they are small, else None).

    A block of images at a time, each block start to end while its data is in cache: its
    images' padded copy, their columns, the GEMM, and (for an NCHW result) the rows laid out
    into the result; on several threads the blocks go to ember's threads."""
    B, Co, G = xd.shape[0], wd.shape[0], geom.groups
    xpad, fill = _cl_padded_lazy(xp, xd, geom.lo, geom.hi)
    win = _windows_cl(xp, xpad, wd.shape[2:], osize, geom)
    wm = _weight_matrix(xp, wd, G)
    O, KC = math.prod(osize), wm.shape[1]
    keep = keep_cols and 0 < B * O * KC * G <= _KEEP_COLS
    kept = xp.empty((G, B * O, KC), xd.dtype) if keep else None
    # the bias goes where its broadcast runs longer: along the planes of an NCHW result with
    # more pixels than channels, else along the channels-last rows
    late = bd is not None and not channels_last and O > Co
    y = xp.empty((B * O, Co), xd.dtype) if channels_last else None
    out = xp.empty((B, Co, *osize), xd.dtype) if not channels_last else None

    def block(b0, b1):
        if fill is not None:
            fill(b0, b1)
        rows = slice(b0 * O, b1 * O)
        cols = _cols_block(xp, win, b0, b1, False, xpad,
                           kept[:, rows] if kept is not None and G == 1 else None)
        if kept is not None and G > 1:
            kept[:, rows] = cols
        yb = y[rows] if y is not None else _parallel.scratch(
            (b1 - b0) * O * Co, xd.dtype).reshape(-1, Co) if xp.__name__ == "numpy" else None
        if G == 1:
            yb = xp.matmul(cols[0], wm[0], out=yb)
        elif yb is not None:
            yb[...] = xp.matmul(cols, wm).transpose(1, 0, 2).reshape(-1, Co)
        else:
            yb = xp.matmul(cols, wm).transpose(1, 0, 2).reshape(-1, Co)
        if bd is not None and not late:
            yb += bd
        if out is not None:
            _rows_to_nchw(xp, yb.reshape(b1 - b0, *osize, Co), out[b0:b1])
            if late:
                out[b0:b1] += bd.reshape((Co,) + (1,) * len(osize))
    if keep and G > 1:
        block(0, B)              # (the kept columns of all groups, one block)
    else:
        _for_blocks(xp, B, O * KC * G, block)
    if out is None:
        out = y.reshape(B, *osize, Co).transpose(0, len(osize) + 1, *range(1, len(osize) + 1))
    return out, xpad, kept


@_parallel.hold(size=lambda xp, xd, gd, geom, ksize, *a, **k: xd.nbytes * math.prod(ksize) // 4)
def _conv_weight(xp, xd, gd, geom, ksize, xpad=None, cols=None):
    """The weight gradient of arrays: sum over the batch of g's rows (transposed) times the
    columns (``cols`` when the forward kept them, else rebuilt block by block from the padded
    input): (C_out, C/G, *K)."""
    G, n, B = geom.groups, len(ksize), xd.shape[0]
    rows = _grouped_rows(xp, gd, G)                       # (G, B * O, Co/G)
    O, Cg, Co = math.prod(gd.shape[2:]), xd.shape[1] // G, gd.shape[1]
    if cols is not None and _parallel.threads(xp, cols.nbytes) < 2:
        gw = xp.matmul(rows.transpose(0, 2, 1), cols)
    else:
        # block by block of the batch, summed in block order (on several threads the kept
        # columns too, a block per thread)
        if cols is None:
            if xpad is None:
                xpad = _cl_padded(xp, xd, geom.lo, geom.hi)
            win = _windows_cl(xp, xpad, ksize, gd.shape[2:], geom)

        # OpenBLAS runs the (K * C/G, C_out/G) product 3-10 % faster than its transpose below
        # 256 output channels, 2 % slower above
        flip = Co // G < 256

        def block(b0, b1):
            c = cols[:, b0 * O:b1 * O] if cols is not None else \
                _cols_block(xp, win, b0, b1, base=xpad)
            r = rows[:, b0 * O:b1 * O]
            return xp.matmul(c.transpose(0, 2, 1), r) if flip else \
                xp.matmul(r.transpose(0, 2, 1), c)
        K = math.prod(ksize) * Cg
        gw = xp.zeros((G, K, Co // G) if flip else (G, Co // G, K), xd.dtype)
        for part in _for_blocks(xp, B, O * K * G, block):
            gw += part
        if flip:
            gw = gw.transpose(0, 2, 1)
    gw = gw.reshape(Co, *ksize, Cg).transpose(0, n + 1, *range(1, n + 1))
    return xp.ascontiguousarray(gw)


@_parallel.hold(size=lambda xp, gd, wd, *a: gd.nbytes * math.prod(wd.shape[1:]) // (4 * wd.shape[0]))
def _transpose_strided(xp, gd, wd, bd, geom, xsize, channels_last):
    """conv_transpose of arrays at stride > 1, by phases: padded position p = o * s + k * d
    lies in phase p % s at p // s, so each kernel offset adds a plain shifted block (runs of
    O_w * C contiguous floats, not C strided ones) into a (B, *phase, *Q, C) buffer; one GEMM per
    block of the batch gives every offset's contribution contiguously (K, rows, C), and one
    strided copy per phase (s_h * s_w of them) interleaves the phases into the channels-last
    result, cropping the padding on the way."""
    G, n, s, d = geom.groups, len(xsize), geom.stride, geom.dilation
    Co, Cg, ksize = wd.shape[0], wd.shape[1], wd.shape[2:]
    B, osize = gd.shape[0], gd.shape[2:]
    O, K = math.prod(osize), math.prod(ksize)
    # (G, K, C_out/G, C/G): offset k's matrix for group g
    wk = wd.reshape(G, Co // G, Cg, K).transpose(0, 3, 1, 2)
    wk = xp.ascontiguousarray(wk)
    rows = _grouped_rows(xp, gd, G)[:, None]                 # (G, 1, B * O, Co/G)
    padded = tuple(x + p + q for x, p, q in zip(xsize, geom.lo, geom.hi))
    Q = tuple(max(dj * (k - 1) // sj + o, -(-P // sj))
              for dj, k, sj, o, P in zip(d, ksize, s, osize, padded))
    buf = xp.zeros((B, *s, *Q, G, Cg), gd.dtype)
    offsets = list(itertools.product(*map(range, ksize)))

    def block(b0, b1):       # (writes only its own images' rows of buf)
        m = (b1 - b0) * O
        cols = _workspace(xp, G * K * m * Cg, gd.dtype).reshape(G, K, m, Cg)
        xp.matmul(rows[:, :, b0 * O:b1 * O], wk, out=cols)
        cv = cols.reshape(G, K, b1 - b0, *osize, Cg)
        cv = cv.transpose(1, 2, *range(3, n + 3), 0, n + 3)   # (K, b, *O, G, Cg)
        for j, k in enumerate(offsets):       # a loop over kernel offsets only
            at = tuple(i * dd for i, dd in zip(k, d))
            where = (tuple(a % sj for a, sj in zip(at, s))
                     + tuple(slice(a // sj, a // sj + o) for a, sj, o in zip(at, s, osize)))
            buf[(slice(b0, b1),) + where] += cv[j]
    _for_blocks(xp, B, O * K * Cg * G, block)
    y = xp.empty((B, *xsize, G * Cg), gd.dtype)

    def interleave(b0, b1):
        ys, bs = y[b0:b1], buf[b0:b1].reshape((b1 - b0,) + buf.shape[1:-2] + (G * Cg,))
        if xp.__name__ == "numpy" and CAPTURING[0] is None and G * Cg:
            # each pixel's C floats moved as one opaque item: NumPy then steps per pixel, not
            # per float (as in _cols_block; not while ember.compile records)
            item = xp.dtype(f"S{G * Cg * y.itemsize}")
            ys, bs = ys.view(item)[..., 0], bs.view(item)[..., 0]
        for r in itertools.product(*map(range, s)):   # one copy per phase
            first = tuple((rj - p) % sj for rj, p, sj in zip(r, geom.lo, s))
            count = tuple(len(range(f, x, sj)) for f, x, sj in zip(first, xsize, s))
            if 0 in count:
                continue
            dst = tuple(slice(f, None, sj) for f, sj in zip(first, s))
            src = tuple(slice((f + p) // sj, (f + p) // sj + c)
                        for f, p, sj, c in zip(first, geom.lo, s, count))
            ys[(slice(None),) + dst] = bs[(slice(None),) + r + src]
    _parallel.over_batch(xp, y, interleave)
    if bd is not None:
        y += bd
    return _from_cl(xp, y, channels_last)


def _transpose_as_conv(xp, gd, wd, bd, geom, xsize, channels_last):
    """conv_transpose of arrays at stride 1: the correlation of the gradient, padded by
    (K - 1) * dilation - padding, with the kernel flipped and its two channel dims swapped."""
    G, n = geom.groups, len(xsize)
    Co, Cg, ksize = wd.shape[0], wd.shape[1], wd.shape[2:]
    wf = wd.reshape(G, Co // G, Cg, *ksize).swapaxes(1, 2)
    wf = wf[(slice(None),) * 3 + (slice(None, None, -1),) * n].reshape(G * Cg, Co // G, *ksize)
    lo = tuple(d * (k - 1) - p for d, k, p in zip(geom.dilation, ksize, geom.lo))
    hi = tuple(x + d * (k - 1) - o - p for x, d, k, o, p in
               zip(xsize, geom.dilation, ksize, gd.shape[2:], lo))
    flipped = Geom((1,) * n, lo, hi, geom.dilation, G)
    return _conv_cl(xp, gd, wf, bd, flipped, xsize, channels_last)[0]


class ChannelSum(Function):
    """The bias gradient: g (B, C, *S) summed over all dims but the channels, as one GEMV
    (``ones @ g`` over the (B * S, C) matrix of a channels-last g, or ``g @ ones`` over the
    (B * C, S) rows of a contiguous one): NumPy's strided reduction is several times slower."""
    _builtin = True

    def name(self):
        return "SumBackward1"

    # d/dg = u broadcast back over the summed dims
    @staticmethod
    def forward(ctx, g):
        xp, gd = g._xp, g._data
        ctx.shape = gd.shape
        return _channel_sums(xp, gd)

    @staticmethod
    def backward(ctx, u):
        return u.reshape((1, -1) + (1,) * (len(ctx.shape) - 2)).expand(ctx.shape)


@_parallel.hold(size=lambda xp, gd: gd.nbytes)
def _channel_sums(xp, gd):
    C = gd.shape[1]
    if gd.dtype.kind != "f" or gd.size == 0:
        return gd.sum((0,) + tuple(range(2, gd.ndim)))
    if _to_cl(gd).flags.c_contiguous:
        return xp.ones(gd.size // C, gd.dtype) @ _to_cl(gd).reshape(-1, C)
    rows = xp.ascontiguousarray(gd).reshape(gd.shape[0], C, -1)
    return (rows.reshape(-1, rows.shape[2]) @ xp.ones(rows.shape[2], gd.dtype)).reshape(
        gd.shape[0], C).sum(0)


def _spatial_sum(t):
    return ChannelSum.apply(t)


class Conv(Function):
    _ctx_arrays = ("cols", "xpad")   # freed with the saved tensors after backward
    """y = x * w + b over the spatial dims, with ``geom`` and the output size ``osize``."""
    _builtin = True

    def name(self):
        return "ConvolutionBackward0"

    # dy/dx = conv_transpose(g, w);  dy/dw = ConvWeight(x, g);  dy/db = sum of g
    @staticmethod
    def forward(ctx, x, w, b, geom, osize):
        xp, xd, wd = x._xp, x._data, w._data
        cl = is_channels_last(xd) or is_channels_last(wd)
        out, xpad, cols = _conv_cl(xp, xd, wd, b._data if b is not None else None, geom, osize,
                                   cl, keep_cols=w.requires_grad)
        ctx.save_for_backward(x, w)
        ctx.geom = geom
        # the weight gradient reads the input channels-last and padded again: keep that copy
        # (the size of x) rather than make it twice, or the columns themselves when small
        ctx.cols = cols
        ctx.xpad = xpad if w.requires_grad and cols is None else None
        return out

    @staticmethod
    def backward(ctx, g):
        x, w = ctx.saved_tensors
        geom, need = ctx.geom, ctx.needs_input_grad
        if g.dim() in (4, 5) and (need[0] or need[1]):
            # both gradients read g channels-last: lay it out so once, and let the input
            # gradient flow on channels-last (the layers below keep the layout) unless it
            # lands in a leaf, whose .grad takes the leaf's layout as in PyTorch
            g = to_format(g, channels_last if g.dim() == 4 else channels_last_3d)
        gx = gw = None
        if need[0]:
            gx = ConvTranspose.apply(g, w, None, geom, tuple(x.shape[2:]))
            if x.grad_fn is None and not is_channels_last(x._data):
                gx = gx.contiguous()
        if need[1]:
            gw = ConvWeight.apply(x, g, geom, tuple(w.shape[2:]), ctx.xpad, ctx.cols)
        gb = _spatial_sum(g) if need[2] else None
        return gx, gw, gb, None, None

    @staticmethod
    def onnx(g, ctx, x, w, b, geom, osize):
        return g.op("Conv", x, w, b, kernel_shape=list(w.shape[2:]), strides=list(geom.stride),
                    pads=list(geom.lo) + list(geom.hi), dilations=list(geom.dilation),
                    group=geom.groups)


class ConvTranspose(Function):
    """y = conv_transpose(g, w) + b: the adjoint of Conv in its input, of spatial size ``xsize``;
    ``w`` has Conv's layout (C_g, C_y / groups, *K)."""
    _builtin = True

    def name(self):
        return "ConvolutionBackward0"

    # d/dg = Conv(u, w);  d/dw = ConvWeight(u, g);  d/db = sum of u
    @staticmethod
    def forward(ctx, g, w, b, geom, xsize):
        xp, gd, wd = g._xp, g._data, w._data
        cl = is_channels_last(gd) or is_channels_last(wd)
        bd = b._data if b is not None else None
        kernel = _transpose_as_conv if all(s == 1 for s in geom.stride) else _transpose_strided
        out = kernel(xp, gd, wd, bd, geom, xsize, cl)
        ctx.save_for_backward(g, w)
        ctx.geom = geom
        return out

    @staticmethod
    def backward(ctx, u):
        g, w = ctx.saved_tensors
        geom, need = ctx.geom, ctx.needs_input_grad
        gg = Conv.apply(u, w, None, geom, tuple(g.shape[2:])) if need[0] else None
        gw = ConvWeight.apply(u, g, geom, tuple(w.shape[2:])) if need[1] else None
        gb = _spatial_sum(u) if need[2] else None
        return gg, gw, gb, None, None

    @staticmethod
    def onnx(g, ctx, x, w, b, geom, xsize):
        ksize = w.shape[2:]
        # the output_padding that makes ONNX's size formula give ``xsize``
        extra = [n - ((i - 1) * s + d * (k - 1) + 1 - lo - hi) for n, i, s, d, k, lo, hi in
                 zip(xsize, x.shape[2:], geom.stride, geom.dilation, ksize, geom.lo, geom.hi)]
        return g.op("ConvTranspose", x, w, b, kernel_shape=list(ksize), strides=list(geom.stride),
                    pads=list(geom.lo) + list(geom.hi), dilations=list(geom.dilation),
                    group=geom.groups, output_padding=extra if any(extra) else None)


class ConvWeight(Function):
    """dw = the correlation of x with g, summed over the batch: the adjoint of Conv in its
    weight, of kernel size ``ksize``."""
    _builtin = True

    # d/dx = conv_transpose(g, u);  d/dg = Conv(x, u)
    @staticmethod
    def forward(ctx, x, g, geom, ksize, xpad=None, cols=None):
        ctx.save_for_backward(x, g)
        ctx.geom = geom
        return _conv_weight(x._xp, x._data, g._data, geom, ksize, xpad, cols)

    @staticmethod
    def backward(ctx, u):
        x, g = ctx.saved_tensors
        geom, need = ctx.geom, ctx.needs_input_grad
        gx = ConvTranspose.apply(g, u, None, geom, tuple(x.shape[2:])) if need[0] else None
        gg = Conv.apply(x, u, None, geom, tuple(g.shape[2:])) if need[1] else None
        return gx, gg, None, None, None, None


# -- F.unfold / F.fold ---------------------------------------------------------------------------
def _windows(xp, x, ksize, osize, geom):
    """A read-only view (B, C, *K, *O) of the padded input: element [b, c, *k, *o] is
    xpad[b, c, *(o * stride + k * dilation)]. Nothing is copied until it is reshaped."""
    a = pad(xp, x, geom.lo, geom.hi)
    st, n = a.strides, len(ksize)
    kst = tuple(st[2 + j] * geom.dilation[j] for j in range(n))
    ost = tuple(st[2 + j] * geom.stride[j] for j in range(n))
    return _as_strided(xp, a, (*a.shape[:2], *ksize, *osize), (st[0], st[1], *kst, *ost))


def _col2im(xp, cv, xsize, geom):
    """The adjoint of the window view: ``cv`` (C, *K, B, *O), any strides, added back where each
    element was read from, then the padding cropped. Returns a contiguous (B, C, *xsize)."""
    n = len(xsize)
    C, ksize, B, osize = cv.shape[0], cv.shape[1:n + 1], cv.shape[n + 1], cv.shape[n + 2:]
    padded = tuple(s + p + q for s, p, q in zip(xsize, geom.lo, geom.hi))
    if osize[-1] <= 4 < B:
        # rows of a few elements make NumPy's strided adds slow: add with the batch innermost
        cv = cv.transpose((0, *range(1, n + 1), *range(n + 2, 2 * n + 2), n + 1))
        buf, lead = xp.zeros((C, *padded, B), cv.dtype), (slice(None),)
        back = (n + 1, 0, *range(1, n + 1))
    else:
        buf, lead = xp.zeros((C, B, *padded), cv.dtype), (slice(None), slice(None))
        back = (1, 0, *range(2, n + 2))
    for k in itertools.product(*map(range, ksize)):   # a loop over kernel offsets only
        where = tuple(slice(i * d, i * d + (o - 1) * s + 1, s)
                      for i, d, o, s in zip(k, geom.dilation, osize, geom.stride))
        buf[lead + where] += cv[(slice(None),) + k]
    crop = tuple(slice(p, p + s) for p, s in zip(geom.lo, xsize))
    return xp.ascontiguousarray(buf[lead + crop].transpose(back))


class Im2Col(Function):
    """F.unfold: (N, C, *S) -> (N, C * K, L), the sliding blocks as columns (a copy of the
    window view Conv uses); its adjoint is Col2Im."""
    _builtin = True

    @staticmethod
    def forward(ctx, x, ksize, osize, geom):
        win = _windows(x._xp, x._data, ksize, osize, geom)
        ctx.args = (tuple(x.shape[2:]), ksize, geom)
        return win.reshape(x.shape[0], x.shape[1] * math.prod(ksize), math.prod(osize))

    @staticmethod
    def backward(ctx, g):
        xsize, ksize, geom = ctx.args
        osize = conv_out_size(xsize, ksize, geom)
        return Col2Im.apply(g, xsize, ksize, osize, geom), None, None, None


class Col2Im(Function):
    """F.fold: (N, C * K, L) -> (N, C, *xsize), overlapping blocks summed; its adjoint is
    Im2Col."""
    _builtin = True

    @staticmethod
    def forward(ctx, cols, xsize, ksize, osize, geom):
        cd, n = cols._data, len(ksize)
        N, C = cd.shape[0], cd.shape[1] // math.prod(ksize)
        cv = cd.reshape((N, C, *ksize, *osize)).transpose(
            (1, *range(2, n + 2), 0, *range(n + 2, 2 * n + 2)))
        ctx.args = (ksize, osize, geom)
        return _col2im(cols._xp, cv, xsize, geom)

    @staticmethod
    def backward(ctx, g):
        ksize, osize, geom = ctx.args
        return Im2Col.apply(g, ksize, osize, geom), None, None, None, None
