"""RAdam: Adam with a rectified adaptive learning rate."""
import math

import numpy as np

from .optimizer import Optimizer, adam_moments, check_hparams, new_scalar, real, scalar, zeros_state

__all__ = ["RAdam"]


class RAdam(Optimizer):
    """RAdam, as ``torch.optim.RAdam``: Adam's moments; while the variance estimate is
    untrustworthy (``rho_t <= 5``) the step is plain momentum ``p -= lr * m / (1 - beta1^t)``,
    afterwards it is the adaptive step scaled by the rectification term ``r_t``."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 decoupled_weight_decay=False, *, foreach=None, maximize=False, capturable=False,
                 differentiable=False):
        check_hparams(lr, differentiable, epsilon=eps, betas=betas, weight_decay=weight_decay)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, maximize=maximize,
                        foreach=foreach, capturable=capturable,
                        decoupled_weight_decay=decoupled_weight_decay,
                        differentiable=differentiable)
        super().__init__(params, defaults)

    def _init_state(self, state, p, group):
        state["step"] = new_scalar()
        state["exp_avg"] = zeros_state(p)
        state["exp_avg_sq"] = zeros_state(p)

    def _step_group(self, group):
        lr, eps, (beta1, beta2) = scalar(group["lr"]), group["eps"], group["betas"]
        rho_inf = 2 / (1 - beta2) - 1
        for p, state, g, _, step in self._params_with_grad(group):
            d, g = real(p._data), real(g)
            m, v = real(state["exp_avg"]._data), real(state["exp_avg_sq"]._data)
            t = adam_moments(g, m, v, beta1, beta2)
            bc1 = 1 - beta1 ** step
            bc2 = 1 - beta2 ** step
            rho_t = rho_inf - 2 * step * (beta2 ** step) / bc2
            if rho_t > 5.0:
                rect = math.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf
                                 / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
                np.sqrt(v, out=t)
                t += eps
                np.divide(m, t, out=t)
                t *= -lr * bc2 ** 0.5 * rect / bc1
            else:
                np.multiply(m, -lr / bc1, out=t)
            d += t
            p._vc.value += 1
