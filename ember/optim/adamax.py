"""Adamax: Adam with the infinity norm."""
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

__all__ = ["Adamax"]


class Adamax(Optimizer):
    """Adamax, as ``torch.optim.Adamax``: ``m = lerp(m, g, 1 - beta1)``,
    ``u = max(beta2 * u, |g| + eps)``, ``p -= lr / (1 - beta1^t) * m / u``."""

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 foreach=None, *, maximize=False, differentiable=False, capturable=False):
        check_lr(lr)
        check_nonneg("epsilon", eps)
        check_betas(betas)
        check_nonneg("weight_decay", weight_decay)
        check_unsupported(differentiable)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, foreach=foreach,
                        maximize=maximize, differentiable=differentiable, capturable=capturable)
        super().__init__(params, defaults)

    def step(self, closure=None):
        loss = self._eval_closure(closure)
        for group in self.param_groups:
            lr, eps = scalar(group["lr"]), group["eps"]
            beta1, beta2 = group["betas"]
            wd, maximize = group["weight_decay"], group["maximize"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = new_scalar()
                    state["exp_avg"] = zeros_state(p)
                    state["exp_inf"] = zeros_state(p)
                step_t = state["step"]._data
                step_t += 1
                g, _ = grad_of(p, maximize, wd)
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
                t *= -lr / (1 - beta1 ** float(step_t))
                d += t
                p._vc.value += 1
        return loss
