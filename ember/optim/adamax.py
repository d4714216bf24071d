"""Adamax: Adam with the infinity norm."""
import numpy as np

from .optimizer import Optimizer, check_hparams, new_scalar, real, scalar, zeros_state

__all__ = ["Adamax"]


class Adamax(Optimizer):
    """Adamax, as ``torch.optim.Adamax``: ``m = lerp(m, g, 1 - beta1)``,
    ``u = max(beta2 * u, |g| + eps)``, ``p -= lr / (1 - beta1^t) * m / u``."""

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 foreach=None, *, maximize=False, differentiable=False, capturable=False):
        check_hparams(lr, differentiable, epsilon=eps, betas=betas, weight_decay=weight_decay)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, foreach=foreach,
                        maximize=maximize, differentiable=differentiable, capturable=capturable)
        super().__init__(params, defaults)

    def _init_state(self, state, p, group):
        state["step"] = new_scalar()
        state["exp_avg"] = zeros_state(p)
        state["exp_inf"] = zeros_state(p)

    def _step_group(self, group):
        lr, eps, (beta1, beta2) = scalar(group["lr"]), group["eps"], group["betas"]
        for p, state, g, _, step in self._params_with_grad(group):
            d, g = real(p._data), real(g)
            m, u = real(state["exp_avg"]._data), real(state["exp_inf"]._data)
            t = np.subtract(g, m, out=np.empty_like(g))
            t *= 1 - beta1
            m += t
            u *= beta2
            np.abs(g, out=t)
            t += eps
            np.maximum(u, t, out=u)
            np.divide(m, u, out=t)
            t *= -lr / (1 - beta1 ** step)
            d += t
            p._vc.value += 1
