"""Fused, numerically stable loss Functions: cross-entropy (class indices or probabilities,
with weights, ignore_index and label smoothing, over N x C x d1 x ...), NLL, binary
cross-entropy (with and without logits) and the elementwise regression losses (MSE, L1,
smooth L1, Huber).

Each is one node forward (reduction included) and one fused node backward, computed in NumPy;
the backward nodes' own backwards are written in ember ops, so double backward works. Shape and
dtype checks live in nn.functional; these take checked, canonical arguments."""
import numpy as np

from .. import _dtype as D
from .. import _tensor
from ..autograd.function import Function
from ._util import operands, quiet
from .activation import LogSoftmax, Softmax, SoftmaxBackward, Softplus, _log_softmax_np, _sigmoid

__all__ = []
_CTX_AUDITED = True   # every array a Function here keeps on ctx is in its _ctx_arrays


def _wrap(arr):
    return _tensor.Tensor._wrap(arr)


def _reduce_np(loss, reduction, denom=None):
    if reduction == "none":
        return loss
    s = loss.sum()
    if reduction == "sum":
        return s
    n = loss.size if denom is None else denom
    if n:
        return s / n
    with np.errstate(invalid="ignore", divide="ignore"):
        return s / n     # NaN (or inf), as PyTorch's mean over nothing


def _scale_np(g, reduction, denom):
    """The upstream gradient as a factor per position (an array that broadcasts against
    N x C x d... for reduction 'none', else 0-d)."""
    if reduction == "none":
        return g[:, None]
    if reduction == "mean":
        if denom:
            return g / denom
        with np.errstate(invalid="ignore", divide="ignore"):
            return g / denom
    return g


def _grad_scale(g, reduction, denom):
    """The same as ember ops (for the double-backward paths)."""
    if reduction == "mean":
        return g / denom
    return g


def _not_differentiable(ctx, i, fn, name):
    if ctx.needs_input_grad[i]:
        raise RuntimeError(f"The function '{fn}' is not differentiable with respect to argument "
                           f"'{name}'. This input cannot have requires_grad True.")


def _onnx_reduce(graph, loss, reduction):
    if reduction == "none":
        return loss
    return graph.reduce("ReduceSum" if reduction == "sum" else "ReduceMean", loss, None, False)


def _onnx_nll(graph, logp, target, wb, ignore_index, reduction):
    """ONNX's NegativeLogLikelihoodLoss (its 'mean' divides by the picked weights' sum, as
    PyTorch's)."""
    w = None if wb is None else graph.op("Reshape", graph.cast(wb, logp.dtype), graph.ints([-1]))
    return graph.op("NegativeLogLikelihoodLoss", logp, graph.cast(target, np.int64), w,
                reduction=reduction, ignore_index=int(ignore_index))


def _onnx_softplus(graph, v):
    """log(1 + e^v) without overflow: max(v, 0) + log(1 + e^-|v|)."""
    dt = v.dtype
    t = graph.op("Exp", graph.op("Neg", graph.op("Abs", v)))
    return graph.op("Add", graph.op("Max", v, graph.scalar(0, dt)),
                    graph.op("Log", graph.op("Add", t, graph.scalar(1, dt))))


# -- cross-entropy and NLL ----------------------------------------------------------------
# Per sample i (and spatial position), with Q_ic the weight of log p_ic in the loss,
#   l_i = -sum_c Q_ic log_softmax(x)_ic,  dl_i/dx_ic = p_ic S_i - Q_ic,  S_i = sum_c Q_ic.
# Class indices t_i: Q_ic = m_i ((1 - eps) w_t_i [c = t_i] + eps/C w_c), m_i = [t_i != ignore].
# Probabilities T: Q_ic = ((1 - eps) T_ic + eps/C) w_c.
# 'mean' divides by sum_i m_i w_t_i (indices, as PyTorch's nll_loss) or by N d1 ... (probs).

class _Targets:
    """What forward learnt about class-index targets, for the backward nodes. ``valid`` (the
    mask m) and ``wm`` (m_i w_t_i) are None in the common case of no weights and nothing
    ignored, which keeps the hot path to a few NumPy calls."""

    __slots__ = ("idx", "valid", "wm", "rows", "denom")

    def __init__(self, t, ignore_index, n_classes, wb, dtype):
        idx = t if t.dtype == np.intp else t.astype(np.intp)
        valid = None
        # one yes/no read of the data (not min/max values): ember.compile keeps it as a guard
        # that holds from batch to batch
        if ((idx < 0) | (idx >= n_classes)).any() or \
                (0 <= ignore_index < n_classes and (idx == ignore_index).any()):
            valid = idx != ignore_index
            bad = valid & ((idx < 0) | (idx >= n_classes))
            if bad.any():
                raise IndexError(f"Target {int(idx[bad][0])} is out of bounds.")
            if valid.all():
                valid = None
            else:
                idx = np.where(valid, idx, 0)
        self.idx, self.valid = idx, valid
        self.rows = np.arange(idx.shape[0]) if idx.ndim == 1 else None
        wm = None
        if wb is not None:
            wm = wb._data.reshape(-1)[idx].astype(dtype, copy=False)
            if valid is not None:
                wm = np.where(valid, wm, 0)
        elif valid is not None:
            wm = valid.astype(dtype)
        self.wm = wm
        self.denom = idx.size if wm is None else float(wm.sum())

    def mask(self):
        return np.ones(self.idx.shape, bool) if self.valid is None else self.valid

    def weights(self, dtype):
        return np.ones(self.idx.shape, dtype) if self.wm is None else self.wm

    def pick(self, arr):
        """arr[i, t_i, ...] for every sample / position."""
        if self.rows is not None:
            return arr[self.rows, self.idx]
        return np.take_along_axis(arr, self.idx[:, None], 1)[:, 0]

    def sub_at(self, arr, vals):
        """arr[i, t_i, ...] -= vals (each position has one target: no collisions)."""
        if self.rows is not None:
            arr[self.rows, self.idx] -= vals
            return
        i = self.idx[:, None]
        vals = np.asarray(vals)
        np.put_along_axis(arr, i, np.take_along_axis(arr, i, 1) -
                          (vals[:, None] if vals.ndim else vals), 1)

    def dense(self, vals, shape, dtype):
        """A zero array of ``shape`` with vals at [i, t_i, ...]."""
        out = np.zeros(shape, dtype)
        self.sub_at(out, -vals)
        return out


def _prob_q(td, wb, eps, C):
    q = td * (1 - eps) + eps / C if eps else td
    return q if wb is None else q * wb._data


def _smooth_part(info, wb, eps, C, dtype):
    """The eps/C m_i w_c part of Q (N x C x d...)."""
    m = info.mask()[:, None] * dtype.type(eps / C)
    return m if wb is None else m * wb._data


def _index_s(info, wb, eps, C, dtype):
    """S_i = m_i ((1 - eps) w_t_i + eps/C sum_c w_c); None when it is 1 everywhere."""
    if not eps:
        return info.wm
    wsum = C if wb is None else float(wb._data.sum())
    return info.weights(dtype) * (1 - eps) + info.mask() * (eps / C * wsum)


class CrossEntropyLoss(Function):
    """cross_entropy(x, target, wb, ignore_index, eps, reduction): x is N x C x d..., target
    class indices (N x d...) or probabilities (like x), wb the class weights shaped C x 1 ..."""

    _builtin = True

    @staticmethod
    def forward(ctx, x, target, wb, ignore_index, eps, reduction):
        xd = x._data
        C = xd.shape[1]
        probs = target._data.dtype.kind == "f"
        info = None
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            if probs:
                xd, td, _ = operands(x, target)
                logp = _log_softmax_np(xd, 1)
                loss = -(_prob_q(td, wb, eps, C) * logp).sum(1)
                denom = loss.size
            else:
                _not_differentiable(ctx, 2, "nll_loss_forward", "weight")
                logp = _log_softmax_np(xd, 1)
                info = _Targets(target._data, ignore_index, C, wb, xd.dtype)
                loss = info.pick(logp)
                if info.wm is None:
                    np.negative(loss, out=loss)
                else:
                    loss *= -info.wm
                if eps:
                    smooth = -(logp if wb is None else logp * wb._data).sum(1)
                    if info.valid is not None:
                        smooth *= info.valid
                    loss *= 1 - eps
                    loss += smooth * (eps / C)
                denom = info.denom
            out = _reduce_np(loss, reduction, denom)
        ctx.meta = (eps, reduction, denom, probs)
        ctx.info = info
        ctx.save_for_backward(x, _wrap(logp), target, wb)
        return out

    @staticmethod
    def backward(ctx, g):
        x, logp, target, wb = ctx.saved_tensors
        eps, reduction, denom, probs = ctx.meta
        need = ctx.needs_input_grad
        gx = gt = gw = None
        if need[0]:
            gx = CrossEntropyBackward.apply(g, x, target if probs else None, wb, logp,
                                            ctx.info, ctx.meta)
        if probs and (need[1] or need[2]):
            # rare paths (a target or weight that requires grad): plain ember ops
            G = _grad_scale(g, reduction, denom)
            G = G.unsqueeze(1) if reduction == "none" else G
            lp = LogSoftmax.apply(x, 1)
            if need[1]:
                gt = -G * (1 - eps) * lp
                if wb is not None:
                    gt = gt * wb
            if need[2]:
                gw = -G * (target * (1 - eps) + eps / x.shape[1]) * lp
        return gx, gt, gw, None, None, None

    @staticmethod
    def onnx(graph, ctx, x, target, wb, ignore_index, eps, reduction):
        eps, reduction, denom, probs = ctx.meta
        logp = graph.op("LogSoftmax", x, axis=1)
        if not probs:
            if eps:
                raise graph.unsupported("cross-entropy with label smoothing and class indices")
            return _onnx_nll(graph, logp, target, wb, ignore_index, reduction)
        dt = graph.out[0].dtype
        C = x.shape[1]
        q = graph.cast(target, dt)
        if eps:
            q = graph.op("Add", graph.op("Mul", q, graph.scalar(1 - eps, dt)), graph.scalar(eps / C, dt))
        if wb is not None:
            q = graph.op("Mul", q, graph.cast(wb, dt))
        loss = graph.op("Neg", graph.reduce("ReduceSum", graph.op("Mul", q, logp), [1], False))
        return _onnx_reduce(graph, loss, reduction)


class CrossEntropyBackward(Function):
    """G (p S - Q) (see above), G the scaled upstream gradient, p = exp(logp) (saved by
    forward, not an input); differentiable in g, x and (probabilities) the target and weights."""

    _builtin = True

    @staticmethod
    def forward(ctx, g, x, target, wb, logp, info, meta):
        eps, reduction, denom, probs = meta
        ctx.save_for_backward(g, x, target, wb)
        ctx.info, ctx.meta = info, meta
        G = _scale_np(g._data, reduction, denom)
        with np.errstate(invalid="ignore", over="ignore"):   # G is NaN when all is ignored
            return _ce_grad(G, x, target, wb, logp, info, eps, probs, reduction)

    @staticmethod
    def backward(ctx, gg):
        g, x, target, wb = ctx.saved_tensors
        info = ctx.info
        eps, reduction, denom, probs = ctx.meta
        need = ctx.needs_input_grad
        C = x.shape[1]
        p = Softmax.apply(x, 1)
        G = _grad_scale(g, reduction, denom)
        G = G.unsqueeze(1) if reduction == "none" else G
        if probs:
            tq = target * (1 - eps) + eps / C if eps else target
            q = tq if wb is None else tq * wb
            s = q.sum(1, keepdim=True)
        else:
            xd = x._data
            dt = xd.dtype
            s = _index_s(info, wb, eps, C, dt)
            s = _wrap((np.ones(info.idx.shape, dt) if s is None else s)[:, None].astype(dt))
            q = info.dense(info.weights(dt) * (1 - eps), xd.shape, dt)
            if eps:
                q += _smooth_part(info, wb, eps, C, dt)
            q = _wrap(q)
        gx = gg_g = gt = gw = None
        if need[0]:
            r = gg * (p * s - q)
            gg_g = r.sum(1) if reduction == "none" else r.sum()
            if reduction == "mean":
                gg_g = gg_g / denom
        if need[1]:
            gx = SoftmaxBackward.apply(gg * G * s, p, 1)
        if probs and (need[2] or need[3]):
            ggp = (gg * p).sum(1, keepdim=True) - gg
            if need[2]:
                gt = G * (1 - eps) * ggp
                if wb is not None:
                    gt = gt * wb
            if need[3]:
                gw = G * tq * ggp
        return gg_g, gx, gt, gw, None, None, None


def _ce_grad(G, x, target, wb, logp, info, eps, probs, reduction):
    """dl/dx = G (p S - Q) as an array in x's dtype (see the comment above)."""
    xd = x._data
    C = xd.shape[1]
    grad = np.exp(logp._data)
    if probs:
        q = _prob_q(operands(x, target)[1], wb, eps, C)
        grad *= q.sum(1, keepdims=True)
        grad -= q
        grad *= G
        return grad.astype(xd.dtype, copy=False)
    s = _index_s(info, wb, eps, C, xd.dtype)
    grad *= G if s is None else G * s[:, None]
    gsq = G[:, 0] if reduction == "none" else G
    wm = info.wm
    if eps:
        wm = info.weights(xd.dtype) * (1 - eps)
    info.sub_at(grad, gsq if wm is None else gsq * wm)
    if eps:
        grad -= G * _smooth_part(info, wb, eps, C, xd.dtype)
    if info.valid is not None:
        # ignored positions get exactly 0, even when G is not finite (all ignored: 0/0)
        np.copyto(grad, 0, where=~info.valid[:, None])
    return grad.astype(xd.dtype, copy=False)


class NllLoss(Function):
    """nll_loss(x, target, wb, ignore_index, reduction): -m_i w_t_i x[i, t_i]."""

    _builtin = True

    @staticmethod
    def forward(ctx, x, target, wb, ignore_index, reduction):
        _not_differentiable(ctx, 2, "nll_loss_forward", "weight")
        xd = x._data
        info = _Targets(target._data, ignore_index, xd.shape[1], wb, xd.dtype)
        loss = info.pick(xd)
        loss = -loss if info.wm is None else loss * -info.wm
        ctx.info, ctx.meta = info, (reduction, info.denom, xd.shape, xd.dtype)
        return _reduce_np(loss, reduction, info.denom)

    @staticmethod
    def backward(ctx, g):
        return NllBackward.apply(g, ctx.info, ctx.meta), None, None, None, None

    @staticmethod
    def onnx(graph, ctx, x, target, wb, ignore_index, reduction):
        return _onnx_nll(graph, x, target, wb, ignore_index, ctx.meta[0])


class NllBackward(Function):
    """-G m_i w_t_i at [i, t_i], 0 elsewhere: linear in g."""

    _builtin = True

    @staticmethod
    def forward(ctx, g, info, meta):
        reduction, denom, shape, dtype = meta
        ctx.info, ctx.meta = info, meta
        G = _scale_np(g._data, reduction, denom)
        G = G[:, 0] if reduction == "none" else G
        vals = -G if info.wm is None else G * -info.wm
        if info.valid is not None:
            vals = np.where(info.valid, vals, 0)
        return info.dense(np.asarray(vals, dtype), shape, dtype)

    @staticmethod
    def backward(ctx, gg):
        info = ctx.info
        reduction, denom, shape, dtype = ctx.meta
        picked = _wrap(np.ascontiguousarray(info.idx[:, None]))
        r = gg.gather(1, picked).squeeze(1) * _wrap(-info.weights(dtype))
        if reduction == "none":
            return r, None, None
        r = r.sum()
        return (r / denom if reduction == "mean" else r), None, None


# -- binary cross-entropy -----------------------------------------------------------------

class BinaryCrossEntropy(Function):
    """-w (y log x + (1 - y) log(1 - x)), each log clamped at -100 (as PyTorch)."""

    _builtin = True

    # d/dx = w (x - y) / max(x (1 - x), 1e-12); d/dy = w (log(1 - x) - log x)
    @staticmethod
    def forward(ctx, x, y, w, reduction):
        _not_differentiable(ctx, 2, "binary_cross_entropy", "weight")
        xd, yd = x._data, y._data
        if xd.size:
            # min and max: two passes, not four (a nan fails both, as PyTorch's check)
            if not (xd.min() >= 0 and xd.max() <= 1):
                raise RuntimeError("all elements of input should be between 0 and 1")
            if not (yd.min() >= 0 and yd.max() <= 1):
                raise RuntimeError("all elements of target should be between 0 and 1")
        loss = quiet(_bce_np, xd, yd)
        if w is not None:
            loss = loss * w._data
        out = _reduce_np(loss, reduction)
        ctx.meta = (reduction, loss.size)
        ctx.save_for_backward(x, y, w)
        return out

    @staticmethod
    def backward(ctx, g):
        x, y, w = ctx.saved_tensors
        reduction, n = ctx.meta
        need = ctx.needs_input_grad
        if w is not None:
            G, denom = _grad_scale(g, reduction, n) * w, 1
        else:   # the mean's division happens inside BceBackward: one node less
            G, denom = g, (n if reduction == "mean" else 1)
        gx, gy = BceBackward.apply(G, x, y, (need[0], need[1]), denom)
        return gx, gy, None, None

    @staticmethod
    def onnx(graph, ctx, x, y, w, reduction):
        dt = x.dtype
        low = graph.scalar(-100, dt)
        lx = graph.op("Max", graph.op("Log", x), low)
        l1x = graph.op("Max", graph.op("Log", graph.op("Sub", graph.scalar(1, dt), x)), low)
        loss = graph.op("Sub", graph.op("Mul", graph.cast(y, dt), graph.op("Sub", l1x, lx)), l1x)
        if w is not None:
            loss = graph.op("Mul", loss, w)
        return _onnx_reduce(graph, loss, ctx.meta[0])


class BinaryCrossEntropyWithLogits(Function):
    """(1 - y) x + (1 + (pw - 1) y) softplus(-x), times w: softplus(-x) = -log sigmoid(x) never
    overflows, so the loss is exact for any logit."""

    _builtin = True

    # d/dx = w (L sigmoid(x) - pw y), L = 1 + (pw - 1) y; d/dy = w (-x + (pw - 1) softplus(-x))
    @staticmethod
    def forward(ctx, x, y, w, pw, reduction):
        _not_differentiable(ctx, 2, "binary_cross_entropy_with_logits", "weight")
        _not_differentiable(ctx, 3, "binary_cross_entropy_with_logits", "pos_weight")
        xd, yd, _ = operands(x, y)
        sp = np.logaddexp(0, -xd)          # softplus(-x)
        if pw is not None:
            pwd = pw._data
            sp = sp * (1 + (pwd - 1) * yd)
        loss = (1 - yd) * xd
        loss += sp
        if w is not None:
            loss = loss * w._data
        ctx.meta = (reduction, loss.size)
        ctx.save_for_backward(x, y, w, pw)
        return _reduce_np(loss, reduction)

    @staticmethod
    def backward(ctx, g):
        x, y, w, pw = ctx.saved_tensors
        reduction, n = ctx.meta
        need = ctx.needs_input_grad
        G = _grad_scale(g, reduction, n)
        if w is not None:
            G = G * w
        gx = gy = None
        if need[0]:
            gx = BceLogitsBackward.apply(G, x, y, pw)
        if need[1]:
            gy = -x if pw is None else (pw - 1) * _softplus_neg(x) - x
            gy = G * gy
        return gx, gy, None, None, None

    @staticmethod
    def onnx(graph, ctx, x, y, w, pw, reduction):
        dt = graph.out[0].dtype
        x, y = graph.cast(x, dt), graph.cast(y, dt)
        one = graph.scalar(1, dt)
        sp = _onnx_softplus(graph, graph.op("Neg", x))
        if pw is not None:
            sp = graph.op("Mul", sp, graph.op("Add", one, graph.op("Mul", graph.op("Sub", pw, one), y)))
        loss = graph.op("Add", graph.op("Mul", graph.op("Sub", one, y), x), sp)
        if w is not None:
            loss = graph.op("Mul", loss, w)
        return _onnx_reduce(graph, loss, ctx.meta[0])


def _softplus_neg(x):
    return Softplus.apply(-x, 1.0, 20.0)


class BceLogitsBackward(Function):
    """G (L sigmoid(x) - pw y) in one pass; d/dG is the factor, d/dx = G L s (1 - s),
    d/dy = G ((pw - 1) s - pw)."""

    _builtin = True

    @staticmethod
    def forward(ctx, G, x, y, pw):
        ctx.save_for_backward(G, x, y, pw)
        xd, yd, _ = operands(x, y)
        with np.errstate(over="ignore"):    # e^-x overflowing to inf just gives sigmoid 0
            s = _sigmoid(xd) if xd.ndim else _sigmoid(xd.reshape(1)).reshape(())
        if pw is None:
            out = s - yd
        else:
            pwd = pw._data
            out = s * (1 + (pwd - 1) * yd) - pwd * yd
        return (out * G._data).astype(x._data.dtype, copy=False)

    @staticmethod
    def backward(ctx, gg):
        G, x, y, pw = ctx.saved_tensors
        need = ctx.needs_input_grad
        s = x.sigmoid()
        L = 1 if pw is None else 1 + (pw - 1) * y
        gG = gx = gy = None
        if need[0]:
            gG = gg * (s * L - (y if pw is None else pw * y))
        if need[1]:
            gx = gg * G * L * s * (1 - s)
        if need[2]:
            gy = gg * G * (-1 if pw is None else (pw - 1) * s - pw)
        return gG, gx, gy, None


_CONSTS = {}


def _const(v, x):
    """The number ``v`` as a 0-d array of ``x``'s dtype, for a NumPy ``x`` (NumPy takes an array
    operand of the right dtype faster than a Python number, with the same result)."""
    if x.__class__ is not np.ndarray:
        return v
    key = (v, x.dtype)
    c = _CONSTS.get(key)
    if c is None:
        c = _CONSTS[key] = np.full((), v, x.dtype)
        c.setflags(write=False)
    return c


def _bce_np(x, y):
    """-(y log x + (1 - y) log(1 - x)) elementwise, each log clamped at -100."""
    low = _const(-100, x)
    lx = np.maximum(np.log(x), low)
    l1x = np.maximum(np.log1p(-x), low)
    loss = y * (l1x - lx)
    loss -= l1x
    return loss


class BceBackward(Function):
    """(gx, gy) = (G (x - y) / D, G (log(1 - x) - log x)), D = max(x (1 - x), 1e-12), in a few
    array passes, with G the incoming gradient divided by ``denom`` (the mean's count, or 1).
    Its own gradient for (ux, uy):
    dG = (ux (x - y) / D + uy (log(1 - x) - log x)) / denom,
    dx = ux G (1 / D - (x - y) (1 - 2x) [x (1 - x) > 1e-12] / D^2) - uy G (1 / (1 - x) + 1 / x),
    dy = -ux G / D."""

    _builtin = True

    @staticmethod
    def forward(ctx, G, x, y, want, denom=1):
        ctx.save_for_backward(G, x, y)
        ctx.set_materialize_grads(False)
        ctx.denom = denom
        xd, yd, Gd = x._data, y._data, G._data
        if denom != 1:
            Gd = quiet(np.true_divide, Gd, denom)   # as G / denom in ember ops (0: inf/nan)
        gx = gy = None
        if want[0]:
            gx = xd - yd
            gx *= Gd
            gx /= np.maximum(xd * (_const(1, xd) - xd), _const(1e-12, xd))
        if want[1]:
            gy = quiet(_log_ratio, xd)
            gy *= Gd
        return gx, gy

    @staticmethod
    def backward(ctx, ux, uy):
        G, x, y = ctx.saved_tensors
        denom = ctx.denom
        if denom != 1:
            G = G / denom
        need = ctx.needs_input_grad
        p = x * (1 - x)
        D = p.clamp_min(1e-12)
        dG = dx = dy = None
        if ux is not None:
            if need[0]:
                dG = ux * (x - y) / D
            if need[1]:
                dD = (1 - 2 * x) * (p > 1e-12)
                dx = ux * G * (1 / D - (x - y) * dD / (D * D))
            if need[2]:
                dy = -ux * G / D
        if uy is not None:
            if need[0]:
                t = uy * ((-x).log1p() - x.log())
                dG = t if dG is None else dG + t
            if need[1]:
                t = -uy * G * (1 / (1 - x) + 1 / x)
                dx = t if dx is None else dx + t
        if dG is not None and denom != 1:
            dG = dG / denom
        return dG, dx, dy, None, None


def _log_ratio(x):
    return np.log1p(-x) - np.log(x)


# -- elementwise regression losses --------------------------------------------------------

class _PairLoss(Function):
    """l(x - y; param) elementwise over the broadcast inputs, reduced. Subclasses give ``f``
    and ``df`` (NumPy) and ``df_t`` / ``d2_t`` (ember ops; ``d2_t`` None: piecewise linear)."""

    _builtin = True
    kernel = ""

    def __init_subclass__(cls, **kw):
        super().__init_subclass__(**kw)
        cls.Grad = type(cls.__name__ + "Backward", (_PairGrad,),
                        {"op": cls, "__module__": cls.__module__})

    @classmethod
    def forward(cls, ctx, x, y, reduction, param):
        xd, yd, dt = operands(x, y)
        if dt.category < D._FLOAT:
            raise NotImplementedError(f"\"{cls.kernel}\" not implemented for '{dt._short}'")
        with np.errstate(over="ignore", invalid="ignore"):
            loss = cls.f(xd - yd, param)
        ctx.meta = (reduction, param, loss.size)
        ctx.save_for_backward(x, y)
        return _reduce_np(loss, reduction)

    @classmethod
    def backward(cls, ctx, g):
        x, y = ctx.saved_tensors
        need = ctx.needs_input_grad
        gx = cls.Grad.apply(g, x, y, *ctx.meta)
        return gx if need[0] else None, -gx if need[1] else None, None, None

    @staticmethod
    def d2_t(d, param):
        return None

    @classmethod
    def onnx(cls, graph, ctx, x, y, reduction, param):
        dt = graph.out[0].dtype
        d = graph.op("Sub", graph.operand(x, dt), graph.operand(y, dt))
        a = graph.op("Abs", d)
        name = cls.__name__
        if name == "MseLoss":
            loss = graph.op("Mul", d, d)
        elif name == "L1Loss":
            loss = a
        else:
            p = graph.scalar(param, dt)
            sq = graph.op("Mul", graph.op("Mul", d, d), graph.scalar(0.5, dt))
            half = graph.op("Mul", p, graph.scalar(0.5, dt))
            if name == "SmoothL1Loss":
                inside, outside = graph.op("Div", sq, p), graph.op("Sub", a, half)
            else:
                inside, outside = sq, graph.op("Mul", p, graph.op("Sub", a, half))
            loss = graph.op("Where", graph.op("Less", a, p), inside, outside)
        return _onnx_reduce(graph, loss, ctx.meta[0])


class _PairGrad(Function):
    """G l'(x - y): d/dG = sum gg l'(d), d/dx = -d/dy = gg G l''(d)."""

    _builtin = True
    op = None

    @classmethod
    def forward(cls, ctx, g, x, y, reduction, param, n):
        ctx.meta = (reduction, param, n)
        ctx.save_for_backward(g, x, y)
        xd, yd, _ = operands(x, y)
        G = _scale_np(g._data, "mean" if reduction == "mean" else "sum", n)
        with np.errstate(over="ignore", invalid="ignore"):
            out = cls.op.df(xd - yd, param)
            out = out * G
        return out

    @classmethod
    def backward(cls, ctx, gg):
        g, x, y = ctx.saved_tensors
        reduction, param, n = ctx.meta
        need = ctx.needs_input_grad
        d = x - y
        gG = gd = None
        if need[0]:
            gG = gg * cls.op.df_t(d, param)
            if reduction != "none":
                gG = gG.sum()
                if reduction == "mean":
                    gG = gG / n
        if need[1] or need[2]:
            d2 = cls.op.d2_t(d, param)
            if d2 is not None:
                gd = gg * _grad_scale(g, reduction, n) * d2
        return (gG, gd if need[1] else None,
                -gd if need[2] and gd is not None else None, None, None, None)


class MseLoss(_PairLoss):
    kernel = "mse_cpu"

    @staticmethod
    def f(d, param):
        return d * d

    @staticmethod
    def df(d, param):
        return d * 2

    @staticmethod
    def df_t(d, param):
        return d * 2

    @staticmethod
    def d2_t(d, param):
        return 2


class L1Loss(_PairLoss):
    kernel = "l1_cpu"

    @staticmethod
    def f(d, param):
        return np.abs(d)

    @staticmethod
    def df(d, param):
        return np.sign(d)

    @staticmethod
    def df_t(d, param):
        return d.sign()


class SmoothL1Loss(_PairLoss):
    """0.5 d^2 / beta inside |d| < beta, |d| - beta / 2 outside."""

    kernel = "smooth_l1_cpu"

    @staticmethod
    def f(d, beta):
        a = np.abs(d)
        return np.where(a < beta, 0.5 * d * d / beta, a - 0.5 * beta)

    @staticmethod
    def df(d, beta):
        return np.clip(d / beta, -1, 1)

    @staticmethod
    def df_t(d, beta):
        return (d / beta).clamp(-1, 1)

    @staticmethod
    def d2_t(d, beta):
        return _wrap((np.abs(d._data) < beta).astype(d._data.dtype) / d._data.dtype.type(beta))


class HuberLoss(_PairLoss):
    """0.5 d^2 inside |d| < delta, delta (|d| - delta / 2) outside."""

    kernel = "huber_cpu"

    @staticmethod
    def f(d, delta):
        a = np.abs(d)
        return np.where(a < delta, 0.5 * d * d, delta * (a - 0.5 * delta))

    @staticmethod
    def df(d, delta):
        return np.clip(d, -delta, delta)

    @staticmethod
    def df_t(d, delta):
        return d.clamp(-delta, delta)

    @staticmethod
    def d2_t(d, delta):
        return _wrap((np.abs(d._data) < delta).astype(d._data.dtype))
