"""RAdam: Adam with a rectified adaptive learning rate."""
import math

import numpy as np

from .optimizer import (
    Optimizer,
    check_betas,
    check_lr,
    check_nonneg,
    check_unsupported,
    grad_of,
    new_scalar,
    real,
    scalar,
    zeros_state,
)

__all__ = ["RAdam"]


class RAdam(Optimizer):
    """RAdam, as ``torch.optim.RAdam``: Adam's moments; while the variance estimate is
    untrustworthy (``rho_t <= 5``) the step is plain momentum ``p -= lr * m / (1 - beta1^t)``,
    afterwards it is the adaptive step scaled by the rectification term ``r_t``."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 decoupled_weight_decay=False, *, foreach=None, maximize=False, capturable=False,
                 differentiable=False):
        check_lr(lr)
        check_nonneg("epsilon", eps)
        check_betas(betas)
        check_nonneg("weight_decay", weight_decay)
        check_unsupported(differentiable)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, maximize=maximize,
                        foreach=foreach, capturable=capturable,
                        decoupled_weight_decay=decoupled_weight_decay,
                        differentiable=differentiable)
        super().__init__(params, defaults)

    def step(self, closure=None):
        loss = self._eval_closure(closure)
        for group in self.param_groups:
            lr, eps, (beta1, beta2) = scalar(group["lr"]), group["eps"], group["betas"]
            wd, maximize = group["weight_decay"], group["maximize"]
            decoupled = group["decoupled_weight_decay"]
            rho_inf = 2 / (1 - beta2) - 1
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = new_scalar()
                    state["exp_avg"] = zeros_state(p)
                    state["exp_avg_sq"] = zeros_state(p)
                step_t = state["step"]._data
                step_t += 1
                step = float(step_t)
                if wd and decoupled:
                    p._data *= 1 - lr * wd
                    g, _ = grad_of(p, maximize, 0)
                else:
                    g, _ = grad_of(p, maximize, wd)
                d, g = real(p._data), real(g)
                m, v = real(state["exp_avg"]._data), real(state["exp_avg_sq"]._data)
                t = np.subtract(g, m, out=np.empty_like(g))
                t *= 1 - beta1
                m += t
                v *= beta2
                np.multiply(g, g, out=t)
                t *= 1 - beta2
                v += t
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
        return loss
