"""Recurrent cells as single ops: one time step of each cell (RNNCell, LSTMCell, GRUCell), and
a whole LSTM layer (LSTMLayer) with its time loop inside.

A recurrent layer projects its whole input sequence at once (one BLAS call, outside these ops):
``gi`` is (a step's slice of) that projection ``x W_ih^T + b_ih``, ``h`` (and ``c``) the previous
state. Forward is one matmul ``h W_hh^T`` per step plus the gate nonlinearities in NumPy, in
place where it can be.

Backward: the gradient of the gates is one formula per cell, written once for NumPy arrays and
ember Tensors alike (the ``_*_pointwise`` functions; LSTMLayer's loop back over time,
``_lstm_reverse``, too). Each op's backward is a fused gradient node (``LSTMCellGrad``,
``LSTMLayerGrad``, ``GRUCellGrad``) whose forward runs the formula on the activations forward
kept, at array speed, in plain and ``create_graph`` backward alike. Its own backward (double
backward) runs the same formula on Tensors, the activations recomputed from the inputs with
ember ops, and differentiates it (``_vjp.vjp_of``), so every order is exact.
"""
import numpy as np

from ..autograd.function import Function
from ._vjp import vjp_of
from .join import cat, stack
from .unary import TanhBackward

__all__ = []
_CTX_AUDITED = True   # every array a Function here keeps on ctx is in its _ctx_arrays


def _sigmoid_(xp, x):
    """sigmoid in place on an array view (callers silence overflow: e^-x = inf gives 0)."""
    xp.negative(x, out=x)
    xp.exp(x, out=x)
    x += 1
    xp.reciprocal(x, out=x)


def _activate_gates_(xp, gates, n, scratch):
    """LSTM gates (i, f, g, o blocks of n) in place: sigmoid on all four, tanh on g (taken into
    ``scratch`` first). One sigmoid over the contiguous block is twice as fast as two over the
    strided i|f and o slices."""
    g = gates[..., 2 * n:3 * n]
    xp.tanh(g, out=scratch)
    with np.errstate(over="ignore"):
        _sigmoid_(xp, gates)
    g[...] = scratch


def _hidden_matmul(h, w_hh, b_hh):
    """h W_hh^T (+ b_hh) as a fresh array."""
    out = h._data @ w_hh._data.T
    if b_hh is not None:
        out += b_hh._data
    return out


def _array_cat(xp):
    return lambda parts: xp.concatenate(parts, -1)


def _tensor_cat(parts):
    return cat(parts, -1)


def _wrap(t, arr):
    return t._wrap(arr)


def _weight_grads(dg, h, w_hh, need_h, need_w, need_b):
    """Gradients of ``h W_hh^T + b_hh`` with upstream ``dg``, for the ones needed:
    dh = dg W, dW = dg^T h, db = the sum of dg over the batch."""
    return (dg.matmul(w_hh) if need_h else None, dg.t().matmul(h) if need_w else None,
            dg.sum(0) if need_b else None)


def _onnx_hidden(graph, h, w_hh, b_hh):
    """ONNX form of h W_hh^T (+ b_hh)."""
    if len(h.shape) == 2:
        return graph.op("Gemm", h, w_hh, b_hh, transB=1)
    y = graph.op("MatMul", h, graph.op("Transpose", w_hh, perm=[1, 0]))
    return y if b_hh is None else graph.op("Add", y, b_hh)


# -- LSTM ------------------------------------------------------------------------------------

def _lstm_pointwise(gh, gc, c, i, f, g, o, tc, cat):
    """Gradients of the gate pre-activations (i, f, g, o order) and of c for
    c' = f c + i g and h' = o tanh(c'), given those of h' (gh) and c' (gc)."""
    dcn = gh * o * (1 - tc * tc) + gc
    dgates = cat([dcn * g * i * (1 - i), dcn * c * f * (1 - f), dcn * i * (1 - g * g),
                  gh * tc * o * (1 - o)])
    return dgates, dcn * f


class LSTMCell(Function):
    """(h', c') for gates = gi + h W_hh^T + b_hh split as i, f, g, o (PyTorch's order)."""

    _builtin = True

    @staticmethod
    def forward(ctx, gi, h, c, w_hh, b_hh=None):
        xp = gi._xp
        gates = _hidden_matmul(h, w_hh, b_hh)
        gates += gi._data
        n = c._data.shape[-1]
        _activate_gates_(xp, gates, n, xp.empty(gates.shape[:-1] + (n,), gates.dtype))
        i, f, g, o = (gates[..., k * n:(k + 1) * n] for k in range(4))
        c_new = f * c._data
        c_new += i * g
        tc = xp.tanh(c_new)
        # the activations go through the saved-tensor channel too (freed after backward)
        ctx.save_for_backward(gi, h, c, w_hh, b_hh, _wrap(gi, gates), _wrap(gi, tc))
        return o * tc, c_new

    @staticmethod
    def backward(ctx, gh, gc):
        gi, h, c, w_hh, b_hh, gates, tc = ctx.saved_tensors
        dg, dc = LSTMCellGrad.apply(gh, gc, gi, h, c, w_hh, b_hh, gates._data, tc._data)
        need = tuple(ctx.needs_input_grad) + (False, False)   # b_hh, relu may be left out
        dh, dw, db = _weight_grads(dg, h, w_hh, need[1], need[3], need[4])
        return (dg if need[0] else None), dh, (dc if need[2] else None), dw, db

    @staticmethod
    def onnx(graph, ctx, gi, h, c, w_hh, b_hh=None):
        i, f, gg, o = graph.split(graph.op("Add", gi, _onnx_hidden(graph, h, w_hh, b_hh)), [c.shape[-1]] * 4,
                              len(gi.shape) - 1)
        i, f = graph.op("Sigmoid", i), graph.op("Sigmoid", f)
        gg, o = graph.op("Tanh", gg), graph.op("Sigmoid", o)
        c_new = graph.op("Add", graph.op("Mul", f, c), graph.op("Mul", i, gg))
        return graph.op("Mul", o, graph.op("Tanh", c_new)), c_new


class LSTMCellGrad(Function):
    """(d gates, dc): ``_lstm_pointwise`` on the activations LSTMCell kept (arrays). Its own
    gradient: the same formula on Tensors, activations recomputed from the inputs (``vjp_of``)."""
    _builtin = True

    @staticmethod
    def forward(ctx, gh, gc, gi, h, c, w_hh, b_hh, gates, tc):
        n = c._data.shape[-1]
        a = gates
        ctx.save_for_backward(gh, gc, gi, h, c, w_hh, b_hh)
        ctx.set_materialize_grads(False)
        return _lstm_pointwise(gh._data, gc._data, c._data, a[..., :n], a[..., n:2 * n],
                               a[..., 2 * n:3 * n], a[..., 3 * n:], tc, _array_cat(gi._xp))

    @staticmethod
    def backward(ctx, u_dg, u_dc):
        return tuple(vjp_of(_lstm_cell_grad, ctx.saved_tensors, ctx.needs_input_grad[:7],
                            (u_dg, u_dc))) + (None, None)


def _lstm_cell_grad(gh, gc, gi, h, c, w_hh, b_hh):
    """LSTMCellGrad's outputs in ember ops, the activations recomputed from the inputs."""
    pre = gi + h.matmul(w_hh.t())
    i, f, g, o = (pre if b_hh is None else pre + b_hh).chunk(4, -1)
    i, f, g, o = i.sigmoid(), f.sigmoid(), g.tanh(), o.sigmoid()
    return _lstm_pointwise(gh, gc, c, i, f, g, o, (f * c + i * g).tanh(), _tensor_cat)


def _lstm_reverse(order, g_out, dh, dc, acts, w_hh, w_hr, cat, keep, mask=None):
    """Back through the steps of a layer, last processed first: ``acts(k)`` gives step k's
    (c_prev, i, f, g, o, tanh c), ``keep(k, dgates, dh)`` stores what the weight gradients need.
    ``mask(t)`` (packed sequences) is 1 for the rows that ran at step t, 0 for those whose
    state went through unchanged. Written with arithmetic, ``@`` and indexing only, so it runs
    on arrays and on Tensors alike. Returns the gradients of h0 and c0."""
    for k in range(len(order) - 1, -1, -1):
        t = order[k]
        dh = dh + g_out[t]
        dg, dcp = _lstm_pointwise(dh if w_hr is None else dh @ w_hr, dc, *acts(k), cat)
        if mask is None:
            keep(k, dg, dh)
            dh, dc = dg @ w_hh, dcp
        else:
            m = mask(t)
            dg = dg * m
            keep(k, dg, dh * m)
            dh, dc = dg @ w_hh + dh * (1 - m), dcp * m + dc * (1 - m)
    return dh, dc


class LSTMLayer(Function):
    """One direction of an LSTM layer over a whole sequence, the time loop inside the op.

    gi (T, B, 4H) is the input projection of every step (both biases folded in), h0 (B, P),
    c0 (B, H), w_hh (4H, P), w_hr (P, H) the projection or None (then P = H). Returns
    (output (T, B, P), h_n, c_n). Forward keeps every step's gate activations; backward runs
    the steps back with one matmul each and gets W_hh's gradient (and W_hr's) in one matmul
    over all steps. ``mask`` (T, B) bool, for packed sequences: where False the step leaves
    that row's state as it was."""
    _ctx_arrays = ('mask',)   # freed with the saved tensors

    _builtin = True

    @staticmethod
    def forward(ctx, gi, h0, c0, w_hh, w_hr=None, reverse=False, mask=None):
        xp, x, w = gi._xp, gi._data, w_hh._data
        T, B, G = x.shape
        n, p, dt = G // 4, h0._data.shape[-1], x.dtype
        gates = xp.empty((T, B, G), dt)
        hs = xp.empty((T + 1, B, p), dt)     # in processing order: hs[k] goes into step k
        cs = xp.empty((T + 1, B, n), dt)
        tcs = xp.empty((T, B, n), dt)
        raw = xp.empty((T, B, n), dt) if w_hr is not None else None   # o tanh(c), unprojected
        hs[0], cs[0] = h0._data, c0._data
        order = range(T - 1, -1, -1) if reverse else range(T)
        wt = xp.ascontiguousarray(w.T)   # BLAS runs small h W^T faster on a contiguous W^T
        scratch, ig = xp.empty((B, n), dt), xp.empty((B, n), dt)
        with np.errstate(over="ignore"):
            for k, t in enumerate(order):
                g = gates[k]
                xp.matmul(hs[k], wt, out=g)
                g += x[t]
                _activate_gates_(xp, g, n, scratch)
                c = cs[k + 1]
                xp.multiply(g[:, n:2 * n], cs[k], out=c)
                xp.multiply(g[:, :n], g[:, 2 * n:3 * n], out=ig)
                c += ig
                xp.tanh(c, out=tcs[k])
                if raw is None:
                    xp.multiply(g[:, 3 * n:], tcs[k], out=hs[k + 1])
                else:
                    xp.multiply(g[:, 3 * n:], tcs[k], out=raw[k])
                    xp.matmul(raw[k], w_hr._data.T, out=hs[k + 1])
                if mask is not None and not mask[t].all():
                    keep = ~mask[t][:, None]
                    xp.copyto(hs[k + 1], hs[k], where=keep)
                    xp.copyto(cs[k + 1], cs[k], where=keep)
        ctx.reverse, ctx.mask = reverse, mask
        ctx.save_for_backward(gi, h0, c0, w_hh, w_hr, *(None if a is None else _wrap(gi, a)
                                                         for a in (gates, hs, cs, tcs, raw)))
        # copies: the outputs may be changed in place, the buffers are needed by backward
        out = hs[:0:-1] if reverse else hs[1:]
        return xp.ascontiguousarray(out), hs[T].copy(), cs[T].copy()

    @staticmethod
    def backward(ctx, g_out, g_h, g_c):
        gi, h0, c0, w_hh, w_hr, *kept = ctx.saved_tensors
        need = tuple(ctx.needs_input_grad) + (False, False)   # w_hr, reverse may be left out
        grads = LSTMLayerGrad.apply(g_out, g_h, g_c, gi, h0, c0, w_hh, w_hr, ctx.reverse,
                                    ctx.mask, need[:5], *(None if a is None else a._data
                                                          for a in kept))
        return tuple(v if n else None for v, n in zip(grads, need[:5])) + (None, None)

    # ONNX's LSTM node over gi as its input: W is the permutation from PyTorch's gate order
    # (i, f, g, o) to ONNX's (i, o, f, c), so gi W^T just reorders gi (exactly); R is W_hh in
    # ONNX's order; the biases are already in gi. The sequence length may then be dynamic.
    @staticmethod
    def onnx(graph, ctx, gi, h0, c0, w_hh, w_hr=None, reverse=False, mask=None):
        if w_hr is not None or mask is not None:
            raise graph.unsupported("LSTM with proj_size or packed sequences")
        G = gi.shape[-1]
        n = G // 4
        perm = np.concatenate([np.arange(k * n, (k + 1) * n) for k in (0, 3, 1, 2)])
        W = np.eye(G, dtype=gi.dtype)[perm][None]
        R = graph.unsqueeze(graph.op("Gather", w_hh, graph.ints(perm), axis=0), [0])
        y, hn, cn = graph.op("LSTM", gi, graph.const(W), R, None, None, graph.unsqueeze(h0, [0]),
                         graph.unsqueeze(c0, [0]), hidden_size=n, outputs=3,
                         direction="reverse" if reverse else "forward")
        return graph.squeeze(y, [1]), graph.squeeze(hn, [0]), graph.squeeze(cn, [0])


class LSTMLayerGrad(Function):
    """(d gi, d h0, d c0, d W_hh, d W_hr) of LSTMLayer for ``want``: ``_lstm_reverse`` on the
    activations forward kept (arrays), then W_hh's gradient (and W_hr's) in one matmul over all
    steps. Its own gradient: the same recurrence on Tensors, the activations recomputed from
    the inputs (``_lstm_layer_graph``, ``vjp_of``)."""
    _ctx_arrays = ('mask',)   # freed with the saved tensors

    _builtin = True

    @staticmethod
    def forward(ctx, g_out, g_h, g_c, gi, h0, c0, w_hh, w_hr, reverse, mask, want,
                gates, hs, cs, tcs, raw):
        ctx.reverse, ctx.mask = reverse, mask
        ctx.save_for_backward(g_out, g_h, g_c, gi, h0, c0, w_hh, w_hr)
        ctx.set_materialize_grads(False)
        xp = gi._xp
        T, _, G = gi._data.shape
        n = G // 4
        order = range(T - 1, -1, -1) if reverse else range(T)
        dG = xp.empty_like(gates)
        dH = xp.empty(hs[1:].shape, gates.dtype) if w_hr is not None else None

        def acts(k):
            g = gates[k]
            return cs[k], g[:, :n], g[:, n:2 * n], g[:, 2 * n:3 * n], g[:, 3 * n:], tcs[k]

        def keep(k, dg, dh):
            dG[k] = dg
            if dH is not None:
                dH[k] = dh
        step_mask = None
        if mask is not None:
            rows = mask.astype(gates.dtype)[:, :, None]

            def step_mask(t):
                return rows[t]
        dh, dc = _lstm_reverse(order, g_out._data, g_h._data, g_c._data, acts, w_hh._data,
                               None if w_hr is None else w_hr._data, _array_cat(xp), keep,
                               step_mask)
        dw = dG.reshape(-1, G).T @ hs[:-1].reshape(-1, hs.shape[-1]) if want[3] else None
        dwr = dH.reshape(-1, dH.shape[-1]).T @ raw.reshape(-1, n) \
            if w_hr is not None and want[4] else None
        dgi = (xp.ascontiguousarray(dG[::-1]) if reverse else dG) if want[0] else None
        return dgi, (dh if want[1] else None), (dc if want[2] else None), dw, dwr

    @staticmethod
    def backward(ctx, *us):
        def formula(g_out, g_h, g_c, gi, h0, c0, w_hh, w_hr):
            return _lstm_layer_graph(gi, h0, c0, w_hh, w_hr, ctx.reverse, ctx.mask,
                                     g_out, g_h, g_c)
        return tuple(vjp_of(formula, ctx.saved_tensors, ctx.needs_input_grad[:8], us)) + \
            (None,) * 8


def _lstm_layer_graph(gi, h0, c0, w_hh, w_hr, reverse, mask, g_out, g_h, g_c):
    """LSTMLayerGrad's outputs in ember ops: the activations recomputed from the inputs, then
    the same backward recurrence on Tensors."""
    from .gather import where
    T = gi.shape[0]
    order = range(T - 1, -1, -1) if reverse else range(T)
    rows = None if mask is None else gi._wrap(mask[:, :, None])
    steps, h, c = [], h0, c0
    for t in order:
        i, f, g, o = (gi[t] + h.matmul(w_hh.t())).chunk(4, -1)
        i, f, g, o = i.sigmoid(), f.sigmoid(), g.tanh(), o.sigmoid()
        c_new = f * c + i * g
        tc = c_new.tanh()
        raw = o * tc
        steps.append((h, c, i, f, g, o, tc, raw))
        h_new = raw if w_hr is None else raw.matmul(w_hr.t())
        if rows is None:
            h, c = h_new, c_new
        else:
            h, c = where(rows[t], h_new, h), where(rows[t], c_new, c)
    dgs, dhs = [None] * len(steps), [None] * len(steps)

    def keep(k, dg, dh):
        dgs[k], dhs[k] = dg, dh
    m = None if rows is None else (lambda t: rows[t].to(gi.dtype))
    dh, dc = _lstm_reverse(order, g_out, g_h, g_c, lambda k: steps[k][1:7], w_hh, w_hr,
                           _tensor_cat, keep, m)
    dG = stack(dgs)
    # W_hh's (and W_hr's) gradient: one matmul over the steps' rows put end to end
    dw = cat(dgs, 0).t().matmul(cat([s[0] for s in steps], 0))
    dwr = None if w_hr is None else cat(dhs, 0).t().matmul(cat([s[7] for s in steps], 0))
    return (dG.flip(0) if reverse else dG), dh, dc, dw, dwr


# -- GRU -------------------------------------------------------------------------------------

def _gru_pointwise(g, h, r, z, n, hn, cat):
    """For h' = (1 - z) n + z h with n = tanh(gi_n + r hn) (hn = h W_hn^T + b_hn): gradients of
    the input-side pre-activations (r, z, n), of the hidden-side ones (r, z, hn), and the direct
    part z g of the gradient of h."""
    dpn = g * (1 - z) * (1 - n * n)
    dpr = dpn * hn * r * (1 - r)
    dpz = g * (h - n) * z * (1 - z)
    return cat([dpr, dpz, dpn]), cat([dpr, dpz, dpn * r]), g * z


class GRUCell(Function):
    """h' for r, z = sigmoid(gi_rz + h W_hrz^T + b_hrz), n = tanh(gi_n + r (h W_hn^T + b_hn))."""

    _builtin = True

    @staticmethod
    def forward(ctx, gi, h, w_hh, b_hh=None):
        xp = gi._xp
        hg = _hidden_matmul(h, w_hh, b_hh)
        x, hd = gi._data, h._data
        k = hd.shape[-1]
        rz = x[..., :2 * k] + hg[..., :2 * k]
        with np.errstate(over="ignore"):
            _sigmoid_(xp, rz)
        r, z = rz[..., :k], rz[..., k:]
        hn = hg[..., 2 * k:]
        n = r * hn
        n += x[..., 2 * k:]
        xp.tanh(n, out=n)
        out = hd - n
        out *= z
        out += n
        ctx.save_for_backward(gi, h, w_hh, b_hh, *(_wrap(gi, a) for a in (rz, n, hn)))
        return out

    @staticmethod
    def backward(ctx, g):
        gi, h, w_hh, b_hh, rz, n, hn = ctx.saved_tensors
        dgi, dhg, dh = GRUCellGrad.apply(g, gi, h, w_hh, b_hh, rz._data, n._data, hn._data)
        need = tuple(ctx.needs_input_grad) + (False, False)   # b_hh, relu may be left out
        dh2, dw, db = _weight_grads(dhg, h, w_hh, need[1], need[2], need[3])
        if dh2 is not None:
            dh = dh + dh2
        return (dgi if need[0] else None), (dh if need[1] else None), dw, db

    @staticmethod
    def onnx(graph, ctx, gi, h, w_hh, b_hh=None):
        k = h.shape[-1]
        ax = len(gi.shape) - 1
        xr, xz, xn = graph.split(gi, [k] * 3, ax)
        hr, hz, hn = graph.split(_onnx_hidden(graph, h, w_hh, b_hh), [k] * 3, ax)
        r = graph.op("Sigmoid", graph.op("Add", xr, hr))
        z = graph.op("Sigmoid", graph.op("Add", xz, hz))
        nn_ = graph.op("Tanh", graph.op("Add", xn, graph.op("Mul", r, hn)))
        return graph.op("Add", graph.op("Mul", graph.op("Sub", h, nn_), z), nn_)


class GRUCellGrad(Function):
    """(d gi, d hg, the direct part of d h): ``_gru_pointwise`` on the activations GRUCell kept
    (arrays), hg = h W_hh^T + b_hh. Its own gradient: the same formula on Tensors, activations
    recomputed from the inputs (``vjp_of``)."""
    _builtin = True

    @staticmethod
    def forward(ctx, g, gi, h, w_hh, b_hh, rz, n, hn):
        k = h._data.shape[-1]
        ctx.save_for_backward(g, gi, h, w_hh, b_hh)
        ctx.set_materialize_grads(False)
        return _gru_pointwise(g._data, h._data, rz[..., :k], rz[..., k:], n, hn,
                              _array_cat(gi._xp))

    @staticmethod
    def backward(ctx, *us):
        return tuple(vjp_of(_gru_cell_grad, ctx.saved_tensors, ctx.needs_input_grad[:5], us)) \
            + (None,) * 3


def _gru_cell_grad(g, gi, h, w_hh, b_hh):
    """GRUCellGrad's outputs in ember ops, the activations recomputed from the inputs."""
    hg = h.matmul(w_hh.t())
    if b_hh is not None:
        hg = hg + b_hh
    xr, xz, xn = gi.chunk(3, -1)
    hr, hz, hn = hg.chunk(3, -1)
    r, z = (xr + hr).sigmoid(), (xz + hz).sigmoid()
    return _gru_pointwise(g, h, r, z, (xn + r * hn).tanh(), hn, _tensor_cat)


# -- Elman RNN -------------------------------------------------------------------------------

class RNNCell(Function):
    """h' = tanh or relu of (gi + h W_hh^T + b_hh). Backward reads only the output, which is a
    node of the graph itself, so one form serves plain and double backward."""

    _builtin = True

    @staticmethod
    def forward(ctx, gi, h, w_hh, b_hh=None, relu=False):
        xp = gi._xp
        out = _hidden_matmul(h, w_hh, b_hh)
        out += gi._data
        if relu:
            xp.maximum(out, 0, out=out)
        else:
            xp.tanh(out, out=out)
        out = gi._wrap(out)
        ctx.relu = relu
        ctx.save_for_backward(h, w_hh, out)
        return out

    @staticmethod
    def backward(ctx, g):
        h, w_hh, out = ctx.saved_tensors
        if ctx.relu:
            dpre = g * (out > 0)
        else:
            dpre = TanhBackward.apply(g, out)
        need = tuple(ctx.needs_input_grad) + (False, False)   # b_hh, relu may be left out
        dh, dw, db = _weight_grads(dpre, h, w_hh, need[1], need[2], need[3])
        return (dpre if need[0] else None), dh, dw, db, None

    @staticmethod
    def onnx(graph, ctx, gi, h, w_hh, b_hh=None, relu=False):
        pre = graph.op("Add", gi, _onnx_hidden(graph, h, w_hh, b_hh))
        return graph.op("Relu" if relu else "Tanh", pre)
