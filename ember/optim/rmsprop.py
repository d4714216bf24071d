"""RMSprop (optionally centered, with momentum)."""
import numpy as np

from .optimizer import (
    Optimizer,
    check_lr,
    check_nonneg,
    check_unsupported,
    grad_of,
    new_scalar,
    real,
    scalar,
    zeros_state,
)

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    """RMSprop, as ``torch.optim.RMSprop``: ``v = alpha * v + (1 - alpha) * g * g``; the
    denominator is ``sqrt(v - mean_g^2) + eps`` when ``centered`` (``mean_g`` a running mean of
    ``g``), else ``sqrt(v) + eps``; with momentum ``buf = momentum * buf + g / denom`` and
    ``p -= lr * buf``, otherwise ``p -= lr * g / denom``."""

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0,
                 centered=False, capturable=False, foreach=None, maximize=False,
                 differentiable=False):
        check_lr(lr)
        check_nonneg("epsilon", eps)
        check_nonneg("momentum", momentum)
        check_nonneg("weight_decay", weight_decay)
        check_nonneg("alpha", alpha)
        check_unsupported(differentiable)
        defaults = dict(lr=lr, momentum=momentum, alpha=alpha, eps=eps, centered=centered,
                        weight_decay=weight_decay, capturable=capturable, foreach=foreach,
                        maximize=maximize, differentiable=differentiable)
        super().__init__(params, defaults)

    def step(self, closure=None):
        loss = self._eval_closure(closure)
        for group in self.param_groups:
            lr, alpha, eps = scalar(group["lr"]), group["alpha"], group["eps"]
            wd, momentum, centered = group["weight_decay"], group["momentum"], group["centered"]
            maximize = group["maximize"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = new_scalar()
                    state["square_avg"] = zeros_state(p)
                    if momentum > 0:
                        state["momentum_buffer"] = zeros_state(p)
                    if centered:
                        state["grad_avg"] = zeros_state(p)
                step_t = state["step"]._data
                step_t += 1
                g, _ = grad_of(p, maximize, wd)
                d, g, sq = real(p._data), real(g), real(state["square_avg"]._data)
                sq *= alpha
                t = np.multiply(g, g, out=np.empty_like(g))
                t *= 1 - alpha
                sq += t
                if centered:
                    ga = real(state["grad_avg"]._data)
                    np.subtract(g, ga, out=t)       # lerp towards g
                    t *= 1 - alpha
                    ga += t
                    np.multiply(ga, ga, out=t)
                    np.subtract(sq, t, out=t)
                    np.sqrt(t, out=t)
                else:
                    np.sqrt(sq, out=t)
                t += eps
                np.divide(g, t, out=t)
                if momentum > 0:
                    buf = real(state["momentum_buffer"]._data)
                    buf *= momentum
                    buf += t
                    np.multiply(buf, -lr, out=t)
                else:
                    t *= -lr
                d += t
                p._vc.value += 1
        return loss
