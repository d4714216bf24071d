"""``OptimizedModule``: what ``ember.compile(module)`` returns, as PyTorch's.

It holds the model as its sub-module ``_orig_mod`` (so state-dict keys read
``_orig_mod.<name>``, as after ``torch.compile``), forwards attribute reads to it, and calls the
model's ``forward`` through a ``CompiledFunction``. A forward that records a graph (grad mode on
and something requiring grad) runs eagerly: the backward that follows needs the autograd graph,
which a replay does not build (compile the whole training step with ``ember.compile(step)`` to
replay the backward too). Under ``no_grad`` / ``inference_mode`` / for inputs and parameters
without grad, the forward is captured and replayed.
"""
from .._tensor import Tensor
from ..autograd.grad_mode import STATE
from ..nn.modules.module import Module

__all__ = ["OptimizedModule"]

_GRAD_REASON = ("a module's forward with grad mode on: its backward needs the autograd graph "
                "(compile the whole training step with ember.compile(step_fn) instead)")


class OptimizedModule(Module):
    def __init__(self, mod, capture=True, fullgraph=False):
        super().__init__()
        self._orig_mod = mod
        from . import CompiledFunction
        object.__setattr__(self, "_compiled", CompiledFunction(mod.forward, capture, fullgraph,
                                                               module=mod))

    def forward(self, *args, **kwargs):
        from . import counters
        mod = self._orig_mod
        if STATE.enabled and self._compiled._capture and (
                any(p.requires_grad for p in mod.parameters()) or
                any(isinstance(a, Tensor) and a.requires_grad
                    for a in list(args) + list(kwargs.values()))):
            counters["eager"][_GRAD_REASON] += 1
            return mod(*args, **kwargs)
        if mod._forward_hooks or mod._forward_pre_hooks:
            return mod(*args, **kwargs)     # hooks are Python run around forward: eager
        return self._compiled(*args, **kwargs)

    def __getattr__(self, name):
        try:
            return super().__getattr__(name)
        except AttributeError:
            return getattr(self.__dict__["_modules"]["_orig_mod"], name)
