"""Adam (optionally AMSGrad, L2 or decoupled weight decay)."""
import numpy as np

from .optimizer import Optimizer, adam_moments, check_hparams, new_scalar, real, scalar, zeros_state

__all__ = ["Adam"]


class Adam(Optimizer):
    """Adam, as ``torch.optim.Adam``: ``m = lerp(m, g, 1 - beta1)``,
    ``v = beta2 * v + (1 - beta2) * g * g``, then
    ``p -= lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)`` (``v`` replaced by its
    running maximum under ``amsgrad``)."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 amsgrad=False, *, foreach=None, maximize=False, capturable=False,
                 differentiable=False, fused=None, decoupled_weight_decay=False):
        check_hparams(lr, differentiable, epsilon=eps, betas=betas, weight_decay=weight_decay)
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

    def _init_state(self, state, p, group):
        state["step"] = new_scalar()
        state["exp_avg"] = zeros_state(p)
        state["exp_avg_sq"] = zeros_state(p)
        if group["amsgrad"]:
            state["max_exp_avg_sq"] = zeros_state(p)

    def _step_group(self, group):
        lr, eps, amsgrad = scalar(group["lr"]), group["eps"], group["amsgrad"]
        beta1, beta2 = (scalar(b) for b in group["betas"])
        for p, state, g, _, step in self._params_with_grad(group):
            d, m, v = p._data, state["exp_avg"]._data, state["exp_avg_sq"]._data
            if d.dtype.kind == "c":
                d, g, m, v = real(d), real(g), real(m), real(v)
            t = adam_moments(g, m, v, beta1, beta2)
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
