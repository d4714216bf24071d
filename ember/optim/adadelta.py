"""Adadelta."""
import numpy as np

from .optimizer import Optimizer, check_hparams, new_scalar, real, scalar, zeros_state

__all__ = ["Adadelta"]


class Adadelta(Optimizer):
    """Adadelta, as ``torch.optim.Adadelta``: ``v = rho * v + (1 - rho) * g * g``,
    ``delta = sqrt(u + eps) / sqrt(v + eps) * g``, ``u = rho * u + (1 - rho) * delta^2``,
    ``p -= lr * delta``."""

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, foreach=None, *,
                 capturable=False, maximize=False, differentiable=False):
        check_hparams(lr, differentiable, rho=rho, epsilon=eps, weight_decay=weight_decay)
        defaults = dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize,
                        capturable=capturable, foreach=foreach, differentiable=differentiable)
        super().__init__(params, defaults)

    def _init_state(self, state, p, group):
        state["step"] = new_scalar()
        state["square_avg"] = zeros_state(p)
        state["acc_delta"] = zeros_state(p)

    def _step_group(self, group):
        lr, rho, eps = scalar(group["lr"]), group["rho"], group["eps"]
        for p, state, g, _, _ in self._params_with_grad(group):
            d, g = real(p._data), real(g)
            sq, acc = real(state["square_avg"]._data), real(state["acc_delta"]._data)
            sq *= rho
            t = np.multiply(g, g, out=np.empty_like(g))
            t *= 1 - rho
            sq += t
            np.add(sq, eps, out=t)
            np.sqrt(t, out=t)               # std
            delta = np.add(acc, eps, out=np.empty_like(acc))
            np.sqrt(delta, out=delta)
            delta /= t
            delta *= g
            acc *= rho
            np.multiply(delta, delta, out=t)
            t *= 1 - rho
            acc += t
            delta *= -lr
            d += delta
            p._vc.value += 1
