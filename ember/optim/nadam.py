"""NAdam: Adam with Nesterov momentum (and momentum decay)."""
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

__all__ = ["NAdam"]


class NAdam(Optimizer):
    """NAdam, as ``torch.optim.NAdam``: with ``mu_t = beta1 * (1 - 0.5 * 0.96^(t * psi))`` and
    ``mu_product`` their running product (kept, as PyTorch keeps it, in a 0-d float state),
    ``p -= lr * ((1 - mu_t) / (1 - prod) * g + mu_{t+1} / (1 - prod * mu_{t+1}) * m) / denom``
    with ``denom = sqrt(v / (1 - beta2^t)) + eps``."""

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 momentum_decay=4e-3, decoupled_weight_decay=False, *, foreach=None,
                 maximize=False, capturable=False, differentiable=False):
        check_lr(lr)
        check_nonneg("epsilon", eps)
        check_betas(betas)
        check_nonneg("weight_decay", weight_decay)
        check_nonneg("momentum_decay", momentum_decay)
        check_unsupported(differentiable)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                        momentum_decay=momentum_decay,
                        decoupled_weight_decay=decoupled_weight_decay, maximize=maximize,
                        foreach=foreach, capturable=capturable, differentiable=differentiable)
        super().__init__(params, defaults)

    def step(self, closure=None):
        loss = self._eval_closure(closure)
        for group in self.param_groups:
            lr, eps, (beta1, beta2) = scalar(group["lr"]), group["eps"], group["betas"]
            wd, psi, maximize = group["weight_decay"], group["momentum_decay"], group["maximize"]
            decoupled = group["decoupled_weight_decay"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = new_scalar()
                    state["mu_product"] = new_scalar(1.0)
                    state["exp_avg"] = zeros_state(p)
                    state["exp_avg_sq"] = zeros_state(p)
                step_t = state["step"]._data
                step_t += 1
                step = float(step_t)
                if wd and decoupled:
                    p._data *= 1 - lr * wd
                    g, owned = grad_of(p, maximize, 0)
                else:
                    g, owned = grad_of(p, maximize, wd)
                d, g = real(p._data), real(g)
                m, v = real(state["exp_avg"]._data), real(state["exp_avg_sq"]._data)
                mu = beta1 * (1.0 - 0.5 * 0.96 ** (step * psi))
                mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((step + 1) * psi))
                mp = state["mu_product"]._data
                mp *= mu                        # in the state's own (0-d) precision
                mp = float(mp)
                t = np.subtract(g, m, out=np.empty_like(g))
                t *= 1 - beta1
                m += t
                v *= beta2
                np.multiply(g, g, out=t)
                t *= 1 - beta2
                v += t
                np.divide(v, 1 - beta2 ** step, out=t)
                np.sqrt(t, out=t)
                t += eps                        # denom
                u = g if owned else np.empty_like(t)
                np.divide(g, t, out=u)
                u *= -lr * (1.0 - mu) / (1.0 - mp)
                d += u
                np.divide(m, t, out=u)
                u *= -lr * mu_next / (1.0 - mp * mu_next)
                d += u
                p._vc.value += 1
        return loss
