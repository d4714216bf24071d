"""NAdam: Adam with Nesterov momentum (and momentum decay)."""
import numpy as np

from .optimizer import Optimizer, adam_moments, check_hparams, new_scalar, real, scalar, zeros_state

__all__ = ["NAdam"]


class NAdam(Optimizer):
    """NAdam, as ``torch.optim.NAdam``: with ``mu_t = beta1 * (1 - 0.5 * 0.96^(t * psi))`` and
    ``mu_product`` their running product (kept, as PyTorch keeps it, in a 0-d float state),
    ``p -= lr * ((1 - mu_t) / (1 - prod) * g + mu_{t+1} / (1 - prod * mu_{t+1}) * m) / denom``
    with ``denom = sqrt(v / (1 - beta2^t)) + eps``."""

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 momentum_decay=4e-3, decoupled_weight_decay=False, *, foreach=None,
                 maximize=False, capturable=False, differentiable=False):
        check_hparams(lr, differentiable, epsilon=eps, betas=betas, weight_decay=weight_decay,
                      momentum_decay=momentum_decay)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                        momentum_decay=momentum_decay,
                        decoupled_weight_decay=decoupled_weight_decay, maximize=maximize,
                        foreach=foreach, capturable=capturable, differentiable=differentiable)
        super().__init__(params, defaults)

    def _init_state(self, state, p, group):
        state["step"] = new_scalar()
        state["mu_product"] = new_scalar(1.0)
        state["exp_avg"] = zeros_state(p)
        state["exp_avg_sq"] = zeros_state(p)

    def _step_group(self, group):
        lr, eps, (beta1, beta2) = scalar(group["lr"]), group["eps"], group["betas"]
        psi = group["momentum_decay"]
        for p, state, g, owned, step in self._params_with_grad(group):
            d, g = real(p._data), real(g)
            m, v = real(state["exp_avg"]._data), real(state["exp_avg_sq"]._data)
            mu = beta1 * (1.0 - 0.5 * 0.96 ** (step * psi))
            mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((step + 1) * psi))
            mp = state["mu_product"]._data
            mp *= mu                        # in the state's own (0-d) precision
            mp = float(mp)
            t = adam_moments(g, m, v, beta1, beta2)
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
