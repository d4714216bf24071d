"""Adam (optionally AMSGrad, L2 or decoupled weight decay)."""
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

__all__ = ["Adam"]


class Adam(Optimizer):
    """Adam, as ``torch.optim.Adam``: ``m = lerp(m, g, 1 - beta1)``,
    ``v = beta2 * v + (1 - beta2) * g * g``, then
    ``p -= lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)`` (``v`` replaced by its
    running maximum under ``amsgrad``)."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 amsgrad=False, *, foreach=None, maximize=False, capturable=False,
                 differentiable=False, fused=None, decoupled_weight_decay=False):
        check_lr(lr)
        check_nonneg("epsilon", eps)
        check_betas(betas)
        check_nonneg("weight_decay", weight_decay)
        check_unsupported(differentiable)
        betas = tuple(scalar(b) for b in betas)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
                        maximize=maximize, foreach=foreach, capturable=capturable,
                        differentiable=differentiable, fused=fused,
                        decoupled_weight_decay=decoupled_weight_decay)
        super().__init__(params, defaults)

    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:
            for k, v in (("amsgrad", False), ("maximize", False), ("foreach", None),
                         ("capturable", False), ("differentiable", False), ("fused", None),
                         ("decoupled_weight_decay", False)):
                group.setdefault(k, v)

    def step(self, closure=None):
        loss = self._eval_closure(closure)
        for group in self.param_groups:
            lr = scalar(group["lr"])
            beta1, beta2 = (scalar(b) for b in group["betas"])
            eps, wd, amsgrad = group["eps"], group["weight_decay"], group["amsgrad"]
            maximize, decoupled = group["maximize"], group["decoupled_weight_decay"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = new_scalar()
                    state["exp_avg"] = zeros_state(p)
                    state["exp_avg_sq"] = zeros_state(p)
                    if amsgrad:
                        state["max_exp_avg_sq"] = zeros_state(p)
                step_t = state["step"]._data
                step_t += 1
                step = float(step_t)
                d = p._data
                if wd and decoupled:
                    d *= 1 - lr * wd
                    g, _ = grad_of(p, maximize, 0)
                else:
                    g, _ = grad_of(p, maximize, wd)
                m, v = state["exp_avg"]._data, state["exp_avg_sq"]._data
                if d.dtype.kind == "c":
                    d, g, m, v = real(d), real(g), real(m), real(v)
                t = np.subtract(g, m, out=np.empty_like(g))     # lerp: m += (1 - beta1) * (g - m)
                t *= 1 - beta1
                m += t
                v *= beta2
                np.multiply(g, g, out=t)
                t *= 1 - beta2
                v += t
                if amsgrad:
                    mx = real(state["max_exp_avg_sq"]._data)
                    np.maximum(mx, v, out=mx)
                    v = mx
                np.sqrt(v, out=t)
                t /= (1 - beta2 ** step) ** 0.5
                t += eps
                np.divide(m, t, out=t)
                t *= -lr / (1 - beta1 ** step)
                d += t
                p._vc.value += 1
        return loss
