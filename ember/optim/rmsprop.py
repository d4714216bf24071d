"""RMSprop (optionally centered, with momentum)."""
import numpy as np

from .optimizer import Optimizer, check_hparams, new_scalar, real, scalar, zeros_state

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    """RMSprop, as ``torch.optim.RMSprop``: ``v = alpha * v + (1 - alpha) * g * g``; the
    denominator is ``sqrt(v - mean_g^2) + eps`` when ``centered`` (``mean_g`` a running mean of
    ``g``), else ``sqrt(v) + eps``; with momentum ``buf = momentum * buf + g / denom`` and
    ``p -= lr * buf``, otherwise ``p -= lr * g / denom``."""

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0,
                 centered=False, capturable=False, foreach=None, maximize=False,
                 differentiable=False):
        check_hparams(lr, differentiable, epsilon=eps, momentum=momentum,
                      weight_decay=weight_decay, alpha=alpha)
        defaults = dict(lr=lr, momentum=momentum, alpha=alpha, eps=eps, centered=centered,
                        weight_decay=weight_decay, capturable=capturable, foreach=foreach,
                        maximize=maximize, differentiable=differentiable)
        super().__init__(params, defaults)

    def _init_state(self, state, p, group):
        state["step"] = new_scalar()
        state["square_avg"] = zeros_state(p)
        if group["momentum"] > 0:
            state["momentum_buffer"] = zeros_state(p)
        if group["centered"]:
            state["grad_avg"] = zeros_state(p)

    def _step_group(self, group):
        lr, alpha, eps = scalar(group["lr"]), group["alpha"], group["eps"]
        momentum, centered = group["momentum"], group["centered"]
        for p, state, g, _, _ in self._params_with_grad(group):
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
