"""normalize, cosine_similarity and pairwise_distance, composed of ember ops."""


from ... import _dtype as D

__all__ = ['normalize', 'cosine_similarity', 'pairwise_distance']


# -- distances ----------------------------------------------------------------------------------------

def normalize(input, p=2.0, dim=1, eps=1e-12, out=None):
    denom = input.norm(p, dim, keepdim=True).clamp_min(eps).expand_as(input)
    result = input / denom
    if out is not None:
        out.copy_(result)
        return out
    return result


def _broadcast_shape(a, b):
    """Broadcast two shapes, with PyTorch's infer_size message."""
    n = max(len(a), len(b))
    a, b = (1,) * (n - len(a)) + a, (1,) * (n - len(b)) + b
    for i, (p, q) in enumerate(zip(a, b)):
        if p != q and p != 1 and q != 1:
            raise RuntimeError(f"The size of tensor a ({p}) must match the size of tensor b ({q}) "
                               f"at non-singleton dimension {i}")
    return tuple(q if p == 1 else p for p, q in zip(a, b))


def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    """<x1, x2> / (max(||x1||, eps) max(||x2||, eps)), each input divided by its norm first (as
    PyTorch, for range and stability); the clamp does not change the gradient's path."""
    from ... import broadcast_tensors, result_type
    from ...linalg import vector_norm
    common = result_type(x1, x2)
    if common.category != D._FLOAT:
        raise RuntimeError(f"expected common dtype to be floating point, yet common dtype is "
                           f"{common._short}")
    shape = _broadcast_shape(tuple(x1.shape), tuple(x2.shape))
    x1, x2 = x1.to(common), x2.to(common)
    if tuple(x1.shape) != shape or tuple(x2.shape) != shape:
        x1, x2 = broadcast_tensors(x1, x2)
    n1 = vector_norm(x1, 2, dim, keepdim=True)
    n2 = vector_norm(x2, 2, dim, keepdim=True)
    n1 = n1 + (n1.clamp_min(eps) - n1).detach()
    n2 = n2 + (n2.clamp_min(eps) - n2).detach()
    return ((x1 / n1) * (x2 / n2)).sum(dim)


def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    nd = max(x1.dim(), x2.dim())
    return (x1 - x2 + eps).norm(p, nd - 1 if nd else None, keepdim)
