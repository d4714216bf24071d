"""SGD with momentum, dampening, Nesterov momentum, L2 weight decay and maximize."""
import numpy as np

from .._tensor import Tensor
from .optimizer import Optimizer, check_lr, check_unsupported, scalar

__all__ = ["SGD"]


class SGD(Optimizer):
    """Stochastic gradient descent (optionally with momentum), as ``torch.optim.SGD``:
    ``buf = momentum * buf + (1 - dampening) * g`` (``buf = g`` on the first step), then
    ``p -= lr * (g + momentum * buf if nesterov else buf)``."""

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False,
                 *, maximize=False, foreach=None, differentiable=False, fused=None):
        check_lr(lr)
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        check_unsupported(differentiable)
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                        nesterov=nesterov, maximize=maximize, foreach=foreach,
                        differentiable=differentiable, fused=fused)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, defaults)

    def _step_group(self, group):
        lr, momentum, dampening = scalar(group["lr"]), group["momentum"], group["dampening"]
        nesterov = group["nesterov"]
        # without momentum SGD keeps no state at all (not even empty dicts), as PyTorch
        for p, state, g, owned, _ in self._params_with_grad(group, stateful=momentum != 0):
            if momentum != 0:
                buf = state.get("momentum_buffer")
                if buf is None:          # the first step: the buffer is the gradient itself
                    b = g if owned else g.copy()
                    state["momentum_buffer"] = Tensor._wrap(b)
                else:
                    b = buf._data
                    b *= momentum
                    b += g if dampening == 0 else np.multiply(g, 1 - dampening)
                if nesterov:
                    t = np.multiply(b, momentum, out=np.empty_like(b))
                    t += g
                    g, owned = t, True
                else:
                    g, owned = b, False
            d = p._data
            if owned:
                g *= -lr
                d += g
            else:
                d += np.multiply(g, -lr)
            p._vc.value += 1
