"""The backward of a fused gradient node whose formula is written once for arrays and Tensors.

A recurrent cell's gradient (and cumprod's through zeros) is a long chain of elementwise steps
and matmuls. Its fused node (``LSTMLayerGrad`` & co) runs that formula on arrays in ``forward``,
on the activations the op kept, so a plain backward is array speed. Its own ``backward`` (needed
only for double backward) runs the same formula on Tensors, with the activations recomputed from
the op's inputs in ember ops, and lets autograd differentiate it: the second derivative comes
from the one formula, and it is recorded when the outer backward is (``create_graph``), so every
further order is exact too.
"""
from ..autograd.function import Function
from ..autograd.grad_mode import STATE, enable_grad

__all__ = []


class _Alias(Function):
    """An input as itself, behind a node of its own: autograd.grad stops there (it captures
    this node's gradient and runs nothing of the outer graph above it)."""
    _builtin = True

    @staticmethod
    def forward(ctx, a):
        return a

    @staticmethod
    def backward(ctx, g):
        return g


def vjp_of(formula, inputs, need, upstream):
    """The gradients, for the inputs where ``need`` is true, of ``sum(u * out)`` over the outputs
    of ``formula(*inputs)`` (Tensors or None) and their ``upstream`` gradients ``u`` (Tensors or
    None); None for the other inputs and where nothing connects."""
    from ..autograd import grad
    create = STATE.enabled
    # not recorded: fresh leaves keep autograd.grad's walk inside the recomputed formula;
    # recorded: aliases, so that the gradients are functions of the inputs themselves
    with enable_grad():
        xs = [(_Alias.apply(x) if create else x.detach().requires_grad_()) if n else x
              for x, n in zip(inputs, need)]
        outs = formula(*xs)
    pairs = [(o, u) for o, u in zip(outs, upstream)
             if o is not None and u is not None and o.requires_grad]
    targets = [x for x, n in zip(xs, need) if n]
    if not pairs or not targets:
        return [None] * len(inputs)
    got = iter(grad([o for o, _ in pairs], targets, [u for _, u in pairs],
                    create_graph=create, allow_unused=True))
    return [next(got) if n else None for n in need]
