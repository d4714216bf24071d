"""Activation checkpointing: ``checkpoint(fn, *args)`` keeps only a segment's inputs for
backward and runs the segment again, with the same random state, when its gradient is needed —
memory for compute, as ``torch.utils.checkpoint``.

The segment's forward runs once with grad on to find the parameters (leaves) it uses; then its
graph is dropped, and one node, ``CheckpointFunction``, stands for the whole segment with edges to its
tensor inputs and those parameters. Its backward reruns the segment and asks ``autograd.grad``
for the gradients of exactly those tensors."""
import warnings

from .. import _random
from .._tensor import Tensor
from ..autograd import Function, enable_grad, grad, is_grad_enabled
from ..autograd.function import AccumulateGrad

__all__ = ["checkpoint", "checkpoint_sequential"]

_NO_REENTRANT_FLAG = (
    "torch.utils.checkpoint: the use_reentrant parameter should be passed explicitly. Starting "
    "in PyTorch 2.9, calling checkpoint without use_reentrant will raise an exception. "
    "use_reentrant=False is recommended, but if you need to preserve the current default "
    "behavior, you can pass use_reentrant=True. Refer to docs for more details on the "
    "differences between the two variants.")


def _leaves(outputs):
    """The tensors requiring grad at the leaves of the graph behind ``outputs``."""
    seen, found, stack = set(), [], [o.grad_fn for o in outputs if o.grad_fn is not None]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, AccumulateGrad):
            found.append(node.variable)
            continue
        stack.extend(e[0] for e in getattr(node, "_next", ()) if e is not None)
    return found


def _as_tuple(out):
    return out if isinstance(out, tuple) else (out,)


class CheckpointFunction(Function):
    """One node for a whole checkpointed segment: inputs are the segment's tensor arguments
    followed by the parameters it uses."""

    @staticmethod
    def forward(ctx, segment, outputs, *tensors):
        ctx.segment = segment
        return tuple(o._data for o in outputs)

    @staticmethod
    def backward(ctx, *grad_outputs):
        fn, args, kwargs, rng, leaves = ctx.segment
        tensors = ctx.needs_input_grad[2:]
        inputs = [a.detach().requires_grad_(a.requires_grad) if isinstance(a, Tensor) else a
                  for a in args]
        saved_rng = _random.get_rng_state() if rng is not None else None
        if rng is not None:
            _random.set_rng_state(rng)
        try:
            with enable_grad():
                outs = _as_tuple(fn(*inputs, **kwargs))
        finally:
            if saved_rng is not None:
                _random.set_rng_state(saved_rng)
        tensor_inputs = [a for a in inputs if isinstance(a, Tensor)]
        targets = [t for t, need in zip(tensor_inputs + leaves, tensors) if need]
        pairs = [(o, g) for o, g in zip(outs, grad_outputs)
                 if isinstance(o, Tensor) and o.requires_grad and g is not None]
        got = iter(grad([o for o, _ in pairs], targets, [g for _, g in pairs],
                        allow_unused=True) if pairs and targets else [None] * len(targets))
        return (None, None) + tuple(next(got) if need else None for need in tensors)


def checkpoint(function, *args, use_reentrant=None, context_fn=None, determinism_check="default",
               debug=False, preserve_rng_state=True, **kwargs):
    if use_reentrant is None:
        warnings.warn(_NO_REENTRANT_FLAG, stacklevel=2)
        use_reentrant = True
    if use_reentrant and kwargs:
        raise ValueError("Unexpected keyword arguments: " + ",".join(kwargs))
    if not is_grad_enabled():
        return function(*args, **kwargs)
    tensor_args = [a for a in args if isinstance(a, Tensor)]
    if use_reentrant and not any(a.requires_grad for a in tensor_args):
        # the reentrant variant ties the segment to its inputs only: no input needing grad
        # means no gradient for anything inside (PyTorch's behaviour and warning)
        warnings.warn("None of the inputs have requires_grad=True. Gradients will be None",
                      stacklevel=2)
        from ..autograd import no_grad
        with no_grad():
            return function(*args, **kwargs)
    rng = _random.get_rng_state() if preserve_rng_state else None
    out = function(*args, **kwargs)
    outs = _as_tuple(out)
    inputs = {id(a) for a in tensor_args}
    leaves = [t for t in _leaves([o for o in outs if isinstance(o, Tensor)])
              if id(t) not in inputs]
    if not any(isinstance(o, Tensor) and o.requires_grad for o in outs):
        return out
    segment = (function, args, kwargs, rng, leaves)
    new = CheckpointFunction.apply(segment, [o.detach() for o in outs], *tensor_args, *leaves)
    return new if isinstance(out, tuple) else new[0]


def checkpoint_sequential(functions, segments, input, use_reentrant=None, **kwargs):
    """Run ``functions`` (a Sequential or a list of modules) in ``segments`` checkpointed
    chunks; the last chunk runs normally, as PyTorch."""
    if use_reentrant is None:
        warnings.warn(_NO_REENTRANT_FLAG, stacklevel=2)
        use_reentrant = True
    fns = list(functions.children()) if hasattr(functions, "children") else list(functions)
    size = len(fns) // segments

    def run(start, end):
        def forward(x):
            for f in fns[start:end + 1]:
                x = f(x)
            return x
        return forward

    end = -1
    for start in range(0, size * (segments - 1), size):
        end = start + size - 1
        input = checkpoint(run(start, end), input, use_reentrant=use_reentrant, **kwargs)
    return run(end + 1, len(fns) - 1)(input)
