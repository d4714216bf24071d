"""Adagrad (with learning-rate decay and an initial accumulator value)."""
import numpy as np

from .._tensor import Tensor
from .optimizer import Optimizer, check_hparams, new_scalar, real, scalar

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    """Adagrad, as ``torch.optim.Adagrad``: ``sum += g * g``,
    ``p -= lr / (1 + (t - 1) * lr_decay) * g / (sqrt(sum) + eps)``. Its state is created at
    construction (``sum`` starts at ``initial_accumulator_value``)."""

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0,
                 eps=1e-10, foreach=None, *, maximize=False, differentiable=False, fused=None):
        check_hparams(lr, differentiable, lr_decay=lr_decay, weight_decay=weight_decay,
                      initial_accumulator_value=initial_accumulator_value, epsilon=eps)
        defaults = dict(lr=lr, lr_decay=lr_decay, eps=eps, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value, foreach=foreach,
                        maximize=maximize, differentiable=differentiable, fused=fused)
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                self._init_state(self.state[p], p, group)

    def _init_state(self, state, p, group):
        # the constructor's value (PyTorch's), also for groups added later, whatever they say
        value = self.defaults["initial_accumulator_value"]
        state["step"] = new_scalar()
        fill = complex(value, value) if p.is_complex() else value
        state["sum"] = Tensor._wrap(p._xp.full_like(p._data, fill))

    def _step_group(self, group):
        lr, lr_decay, eps = scalar(group["lr"]), group["lr_decay"], group["eps"]
        for p, state, g, _, step in self._params_with_grad(group):
            clr = lr / (1 + (step - 1) * lr_decay)
            d, g, s = real(p._data), real(g), real(state["sum"]._data)
            t = np.multiply(g, g, out=np.empty_like(g))
            s += t
            np.sqrt(s, out=t)
            t += eps
            np.divide(g, t, out=t)
            t *= -clr
            d += t
            p._vc.value += 1
