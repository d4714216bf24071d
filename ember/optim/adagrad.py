"""Adagrad (with learning-rate decay and an initial accumulator value)."""
import numpy as np

from .._tensor import Tensor
from .optimizer import Optimizer, check_lr, check_nonneg, check_unsupported, grad_of, new_scalar, real, scalar

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    """Adagrad, as ``torch.optim.Adagrad``: ``sum += g * g``,
    ``p -= lr / (1 + (t - 1) * lr_decay) * g / (sqrt(sum) + eps)``. Its state is created at
    construction (``sum`` starts at ``initial_accumulator_value``)."""

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0,
                 eps=1e-10, foreach=None, *, maximize=False, differentiable=False, fused=None):
        check_lr(lr)
        check_nonneg("lr_decay", lr_decay)
        check_nonneg("weight_decay", weight_decay)
        check_nonneg("initial_accumulator_value", initial_accumulator_value)
        check_nonneg("epsilon", eps)
        check_unsupported(differentiable)
        defaults = dict(lr=lr, lr_decay=lr_decay, eps=eps, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value, foreach=foreach,
                        maximize=maximize, differentiable=differentiable, fused=fused)
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                self._init_state(p, initial_accumulator_value)

    def _init_state(self, p, value):
        state = self.state[p]
        state["step"] = new_scalar()
        fill = complex(value, value) if p.is_complex() else value
        state["sum"] = Tensor._wrap(p._xp.full_like(p._data, fill))

    def step(self, closure=None):
        loss = self._eval_closure(closure)
        for group in self.param_groups:
            lr, lr_decay, eps = scalar(group["lr"]), group["lr_decay"], group["eps"]
            wd, maximize = group["weight_decay"], group["maximize"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if len(state) == 0:     # added by add_param_group after construction
                    self._init_state(p, self.defaults["initial_accumulator_value"])
                step_t = state["step"]._data
                step_t += 1
                clr = lr / (1 + (float(step_t) - 1) * lr_decay)
                g, _ = grad_of(p, maximize, wd)
                d, g, s = real(p._data), real(g), real(state["sum"]._data)
                t = np.multiply(g, g, out=np.empty_like(g))
                s += t
                np.sqrt(s, out=t)
                t += eps
                np.divide(g, t, out=t)
                t *= -clr
                d += t
                p._vc.value += 1
        return loss
