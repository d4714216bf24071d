"""Matrix products: mm, bmm, mv, dot, outer, matmul, addmm and friends, einsum, tensordot.

Each product checks shapes and dtypes with PyTorch's messages; ``matmul`` dispatches the way
torch.matmul does (dot, mv, mm, folded mm, batched) so that errors read the same. Backward
formulas are products themselves, so gradients are differentiable again."""
import numpy as np

from .. import _tensor
from ..autograd.function import Function
from ._number import number
from ._util import broadcast_error
from ._util import conj as _conj
from .broadcast import _expanded_shape

__all__ = ["mm", "bmm", "mv", "dot", "vdot", "outer", "ger", "matmul", "addmm", "addmv",
           "baddbmm", "einsum", "tensordot", "det", "inverse", "slogdet", "logdet", "trace",
           "cdist", "cross", "inner", "matrix_power", "LinalgMethods"]
_CTX_AUDITED = True   # every array a Function here keeps on ctx is in its _ctx_arrays

# the C++ type names PyTorch prints in "expected m1 and m2 to have the same dtype"
_CNAME = {"float32": "float", "float64": "double", "float16": "c10::Half", "int64": "long int",
          "int32": "int", "int16": "short int", "int8": "signed char", "uint8": "unsigned char",
          "bool": "bool", "complex64": "c10::complex<float>",
          "complex128": "c10::complex<double>"}


def _check_tensor(x, op, name, pos):
    if not isinstance(x, _tensor.Tensor):
        raise TypeError(f"{op}(): argument '{name}' (position {pos}) must be Tensor, not "
                        f"{type(x).__name__}")


def _no_bool(t, kernel):
    if t._data.dtype == np.bool_:
        raise NotImplementedError(f"\"{kernel}\" not implemented for 'Bool'")


def _check_mm(a, b):
    if a._data.ndim != 2:
        raise RuntimeError("self must be a matrix")
    if b._data.ndim != 2:
        raise RuntimeError("mat2 must be a matrix")
    (n, m), (k, p) = a._data.shape, b._data.shape
    if m != k:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({n}x{m} and {k}x{p})")
    if a._data.dtype != b._data.dtype:
        raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: "
                           f"{_CNAME[a.dtype.name]} != {_CNAME[b.dtype.name]}")
    _no_bool(a, "addmm_impl_cpu_")


def _check_bmm(a, b, batch):
    """``a`` (..., n, m) and ``b`` (..., k, p) with broadcast batch ``batch``: inner sizes and
    dtypes as bmm checks them."""
    nb = int(np.prod(batch))
    if a._data.shape[-1] != b._data.shape[-2]:
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{nb}, {a._data.shape[-1]}] but got: [{nb}, {b._data.shape[-2]}].")
    if a._data.dtype != b._data.dtype:
        raise RuntimeError(f"expected scalar type {a.dtype._short} but found {b.dtype._short}")
    _no_bool(a, "bmm")


def _broadcast_batch(sa, sb):
    """Broadcast two batch shapes with PyTorch's message."""
    n = max(len(sa), len(sb))
    sa, sb = (1,) * (n - len(sa)) + tuple(sa), (1,) * (n - len(sb)) + tuple(sb)
    out = []
    for i, (x, y) in enumerate(zip(sa, sb)):
        if x != y and x != 1 and y != 1:
            raise RuntimeError(f"The size of tensor a ({x}) must match the size of tensor b ({y}) "
                               f"at non-singleton dimension {i}")
        out.append(y if x == 1 else x)
    return tuple(out)


def _adjoint(m):
    """The conjugate transpose of a matrix array (a view for real dtypes)."""
    return m.conj().T if m.dtype.kind == "c" else m.T


class Mm(Function):
    _builtin = True

    # d(A @ B) = (G @ B^T, A^T @ G)
    @staticmethod
    def forward(ctx, a, b):
        _check_mm(a, b)
        ctx.save_for_backward(a, b)
        return a._data @ b._data

    @staticmethod
    def backward(ctx, g):
        return _product_backward(Mm, ctx, g)

    @staticmethod
    def onnx(graph, ctx, a, b):
        return graph.op("MatMul", a, b)


class Bmm(Function):
    _builtin = True

    # d(A @ B) = (G @ B^T, A^T @ G), per batch item
    @staticmethod
    def forward(ctx, a, b):
        if a._data.ndim != 3:
            raise RuntimeError("batch1 must be a 3D tensor")
        if b._data.ndim != 3:
            raise RuntimeError("batch2 must be a 3D tensor")
        na, nb = a._data.shape[0], b._data.shape[0]
        if na != nb or a._data.shape[2] != b._data.shape[1]:
            raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                               f"[{na}, {a._data.shape[2]}] but got: [{nb}, {b._data.shape[1]}].")
        _check_bmm(a, b, (na,))
        ctx.save_for_backward(a, b)
        return a._xp.matmul(a._data, b._data)

    @staticmethod
    def backward(ctx, g):
        return _product_backward(Bmm, ctx, g)

    @staticmethod
    def onnx(graph, ctx, a, b):
        return graph.op("MatMul", a, b)


class Matmul(Function):
    _builtin = True

    # batched d(A @ B) = (G @ B^T, A^T @ G); the engine sums broadcast batch dims
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a._xp.matmul(a._data, b._data)

    @staticmethod
    def backward(ctx, g):
        return _product_backward(Matmul, ctx, g)

    @staticmethod
    def onnx(graph, ctx, a, b):
        return graph.op("MatMul", a, b)


def _product_backward(op, ctx, g):
    """The gradient of ``op`` (Mm, Bmm or Matmul) at (A, B): one ProductGrad node."""
    a, b = ctx.saved_tensors
    return ProductGrad.apply(g, a, b, ctx.needs_input_grad, op)


def _adjoint_last2(m):
    """The conjugate transpose of the last two dims of an array (a view for real dtypes)."""
    m = m.swapaxes(-1, -2)
    return m.conj() if m.dtype.kind == "c" else m


class ProductGrad(Function):
    """(gA, gB) = (G B^H, A^H G): the gradient of a matrix product ``op`` for ``want``; batch
    dims broadcast (the engine sums them down to A's and B's shapes).

    It is bilinear, so its own gradient for (uA, uB) is
    dG = uA B + A uB,  dA = G uB^H,  dB = uA^H G  (products by ``op`` again)."""
    _builtin = True

    @staticmethod
    def forward(ctx, g, a, b, want, op):
        xp, gd = g._xp, g._data
        ga = xp.matmul(gd, _adjoint_last2(b._data)) if want[0] else None
        gb = xp.matmul(_adjoint_last2(a._data), gd) if want[1] else None
        ctx.save_for_backward(g, a, b)
        ctx.op = op
        ctx.set_materialize_grads(False)
        return ga, gb

    @staticmethod
    def backward(ctx, ua, ub):
        g, a, b = ctx.saved_tensors
        op, need = ctx.op, ctx.needs_input_grad
        dg = da = db = None
        if need[0]:
            if ua is not None:
                dg = op.apply(ua, b)
            if ub is not None:
                t = op.apply(a, ub)
                dg = t if dg is None else dg + t
        if need[1] and ub is not None:
            da = op.apply(g, ub.mH)
        if need[2] and ua is not None:
            db = op.apply(ua.mH, g)
        return dg, da, db, None, None


class Mv(Function):
    _builtin = True

    # d(A @ v) = (g v^T, A^T g)
    @staticmethod
    def forward(ctx, a, v):
        if a._data.ndim != 2 or v._data.ndim != 1:
            raise RuntimeError(f"vector + matrix @ vector expected, got 1, {a._data.ndim}, "
                               f"{v._data.ndim}")
        (n, m), k = a._data.shape, v._data.shape[0]
        if m != k:
            raise RuntimeError(f"size mismatch, got input ({n}), mat ({n}x{m}), vec ({k})")
        if a._data.dtype != v._data.dtype:
            raise RuntimeError(f"addmv input tensors must have the same dtype, but got "
                               f"{v.dtype._short}, {a.dtype._short}, and {v.dtype._short}")
        _no_bool(a, "addmv_impl_cpu")
        ctx.save_for_backward(a, v)
        return a._data @ v._data

    @staticmethod
    def backward(ctx, g):
        a, v = ctx.saved_tensors
        need = ctx.needs_input_grad
        return (g.unsqueeze(1) * _conj(v) if need[0] else None,
                Mv.apply(a.mH, g) if need[1] else None)

    @staticmethod
    def onnx(graph, ctx, a, v):
        return graph.op("MatMul", a, v)


class Dot(Function):
    _builtin = True

    # d(a . b) = (g b, g a)
    @staticmethod
    def forward(ctx, a, b):
        if a._data.ndim != 1 or b._data.ndim != 1:
            raise RuntimeError(f"1D tensors expected, but got {a._data.ndim}D and "
                               f"{b._data.ndim}D tensors")
        if a._data.dtype != b._data.dtype:
            raise RuntimeError(f"dot : expected both vectors to have same dtype, but found "
                               f"{a.dtype._short} and {b.dtype._short}")
        n, m = a._data.shape[0], b._data.shape[0]
        if n != m:
            raise RuntimeError(f"inconsistent tensor size, expected tensor [{n}] and src [{m}] "
                               f"to have the same number of elements, but got {n} and {m} "
                               "elements respectively")
        _no_bool(a, "dot")
        ctx.save_for_backward(a, b)
        return a._xp.asarray(a._xp.dot(a._data, b._data))

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        need = ctx.needs_input_grad
        return (g * _conj(b) if need[0] else None), (g * _conj(a) if need[1] else None)

    @staticmethod
    def onnx(graph, ctx, a, b):
        return graph.op("MatMul", a, b)


class Addmm(Function):
    _builtin = True

    # d(beta*C + alpha*A@B) = (beta*G, alpha*G@B^T, alpha*A^T@G); the engine sums C's broadcast
    @staticmethod
    def forward(ctx, c, a, b, beta, alpha):
        if a._data.ndim != 2:
            raise RuntimeError(f"mat1 must be a matrix, got {a._data.ndim}-D tensor")
        if b._data.ndim != 2:
            raise RuntimeError(f"mat2 must be a matrix, got {b._data.ndim}-D tensor")
        (n, m), (k, p) = a._data.shape, b._data.shape
        if m != k:
            raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({n}x{m} and {k}x{p})")
        if c._data.dtype != b._data.dtype:
            raise RuntimeError(f"self and mat2 must have the same dtype, but got {c.dtype._short} "
                               f"and {b.dtype._short}")
        if a._data.dtype != b._data.dtype:
            raise RuntimeError(f"mat1 and mat2 must have the same dtype, but got "
                               f"{a.dtype._short} and {b.dtype._short}")
        _no_bool(a, "addmm_impl_cpu_")
        _expanded_shape(c._data.shape, (n, p))
        ctx.save_for_backward(a, b)
        ctx.scale = (beta, alpha)
        out = a._data @ b._data
        if alpha != 1:
            out *= alpha
        if beta != 0:   # beta == 0 ignores C entirely, nan and inf included (as PyTorch)
            out += c._data if beta == 1 else beta * c._data
        return out

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        beta, alpha = ctx.scale
        need = ctx.needs_input_grad
        gc = (g if beta == 1 else g * beta) if need[0] else None
        ga = gb = None
        if need[1]:
            ga = Mm.apply(g, b.mH)
            ga = ga if alpha == 1 else ga * alpha
        if need[2]:
            gb = Mm.apply(a.mH, g)
            gb = gb if alpha == 1 else gb * alpha
        return gc, ga, gb, None, None

    @staticmethod
    def onnx(graph, ctx, c, a, b, beta, alpha):
        if a.dtype.kind == "f":
            return graph.op("Gemm", a, b, c if beta != 0 else None, alpha=float(alpha),
                        beta=float(beta))
        y = graph.op("MatMul", a, b)
        if alpha != 1:
            y = graph.op("Mul", y, graph.scalar(alpha, a.dtype))
        if beta != 0:
            y = graph.op("Add", y, c if beta == 1 else graph.op("Mul", c, graph.scalar(beta, a.dtype)))
        return y


# -- functional forms ---------------------------------------------------------------------

def mm(input, mat2):
    return Mm.apply(input, mat2)


def bmm(input, mat2):
    return Bmm.apply(input, mat2)


def mv(input, vec):
    return Mv.apply(input, vec)


def dot(input, tensor):
    return Dot.apply(input, tensor)


def vdot(input, other):
    return Dot.apply(input.conj() if input.is_complex() else input, other)


def outer(input, vec2):
    for t, name in ((input, "self"), (vec2, "vec2")):
        if t._data.ndim != 1:
            raise RuntimeError(f"outer: Expected 1-D argument {name}, but got {t._data.ndim}-D")
    return input.unsqueeze(1) * vec2


ger = outer


def matmul(input, other):
    _check_tensor(input, "matmul", "input", 1)
    _check_tensor(other, "matmul", "other", 2)
    da, db = input._data.ndim, other._data.ndim
    if da == 0 or db == 0:
        raise RuntimeError(f"both arguments to matmul need to be at least 1D, but they are "
                           f"{da}D and {db}D")
    if da <= 2 and db <= 2:
        if da == 1 and db == 1:
            return Dot.apply(input, other)
        if db == 1:
            return Mv.apply(input, other)
        if da == 1:
            return Mm.apply(input.unsqueeze(0), other).squeeze(0)
        return Mm.apply(input, other)
    if db <= 2:
        # fold the batch into the rows: one mm, and the gradient of ``other`` needs no sum
        batch, m = input._data.shape[:-1], input._data.shape[-1]
        flat = input.reshape(int(np.prod(batch)), m)
        if db == 1:
            return Mv.apply(flat, other).reshape(batch)
        return Mm.apply(flat, other).reshape(batch + (other._data.shape[-1],))
    a = input.unsqueeze(0) if da == 1 else input
    b = other.unsqueeze(-1) if db == 1 else other
    batch = _broadcast_batch(a._data.shape[:-2], b._data.shape[:-2])
    _check_bmm(a, b, batch)
    out = Matmul.apply(a, b)
    if db == 1:
        out = out.squeeze(-1)
    if da == 1:
        out = out.squeeze(-2 if db != 1 else -1)
    return out


def addmm(input, mat1, mat2, *, beta=1, alpha=1, out=None):
    beta, alpha = number(beta, "addmm", "beta"), number(alpha, "addmm", "alpha")
    return _out(Addmm.apply(input, mat1, mat2, beta, alpha), out)


def addmv(input, mat, vec, *, beta=1, alpha=1, out=None):
    beta, alpha = number(beta, "addmv", "beta"), number(alpha, "addmv", "alpha")
    if input._data.dtype != mat._data.dtype or mat._data.dtype != vec._data.dtype:
        raise RuntimeError(f"addmv input tensors must have the same dtype, but got "
                           f"{input.dtype._short}, {mat.dtype._short}, and {vec.dtype._short}")
    prod = Mv.apply(mat, vec)
    _expanded_shape(input._data.shape, prod._data.shape)
    return _out(_combine(input, prod, beta, alpha), out)


def baddbmm(input, batch1, batch2, *, beta=1, alpha=1, out=None):
    beta, alpha = number(beta, "baddbmm", "beta"), number(alpha, "baddbmm", "alpha")
    prod = Bmm.apply(batch1, batch2)
    if input._data.dtype != batch1._data.dtype:
        raise RuntimeError(f"Input dtypes must be the same, got: input {_CNAME[input.dtype.name]}, "
                           f"batch1: {_CNAME[batch1.dtype.name]}, "
                           f"batch2: {_CNAME[batch2.dtype.name]}")
    _expanded_shape(input._data.shape, prod._data.shape)
    return _out(_combine(input, prod, beta, alpha), out)


def _combine(c, prod, beta, alpha):
    """beta*c + alpha*prod, with beta == 0 ignoring c (nan and inf included) as PyTorch does."""
    if alpha != 1:
        prod = prod * alpha
    if beta == 0:
        return prod
    return prod + (c if beta == 1 else c * beta)


def _out(result, out):
    if out is None:
        return result
    out.copy_(result)
    return out


# -- top-level forms of torch.linalg functions (torch.det, torch.inverse, torch.slogdet) -----

def det(input):
    from .decomp import Det
    return Det.apply(input)


def inverse(input):
    from .decomp import Inv
    return Inv.apply(input)


def slogdet(input):
    from .decomp import Slogdet, _SlogdetResult
    return _SlogdetResult(*Slogdet.apply(input))


def logdet(input):
    """log det A: nan for a negative determinant, -inf for a singular matrix."""
    sign, logabs = slogdet(input)
    return logabs.masked_fill(sign < 0, float("nan"))


# -- trace, cdist ------------------------------------------------------------------------------

class Trace(Function):
    _builtin = True

    # d trace(A) = the identity (of A's possibly non-square shape) times g
    @staticmethod
    def forward(ctx, a):
        x = a._data
        ctx.shape = x.shape
        # integer and bool sums widen to int64, as PyTorch's
        return np.asarray(np.trace(x, dtype=np.int64 if x.dtype.kind in "iub" else None))

    @staticmethod
    def backward(ctx, g):
        eye = np.eye(*ctx.shape, dtype=g._data.dtype)
        return g * _tensor.Tensor._wrap(eye)


def trace(input):
    _check_tensor(input, "trace", "input", 1)
    if input._data.ndim != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {input._data.ndim}")
    _no_bool(input, "trace")
    return Trace.apply(input)


_CDIST_MODES = ("use_mm_for_euclid_dist_if_necessary", "use_mm_for_euclid_dist",
                "donot_use_mm_for_euclid_dist")


class Cdist(Function):
    _builtin = True

    # d ||x1_i - x2_j||_p / d x1_i = w(diff) with diff = x1_i - x2_j: sign(diff) |diff|^(p-1) /
    # dist^(p-1), 0 where dist = 0 (and, for p < 1, where diff = 0); p = inf: sign(diff) where
    # |diff| is the max (every tie gets it, as PyTorch); x2 gets the negative summed over i
    @staticmethod
    def forward(ctx, x1, x2, p, use_mm):
        a, b = x1._data, x2._data
        ctx.p = p
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            if use_mm:    # |a|^2 + |b|^2 - 2 a.b: no (P, R, M) intermediate
                d2 = ((a * a).sum(-1)[..., :, None] + (b * b).sum(-1)[..., None, :]
                      - 2 * np.matmul(a, np.swapaxes(b, -1, -2)))
                out = np.sqrt(np.maximum(d2, 0))
            else:
                diff = np.abs(a[..., :, None, :] - b[..., None, :, :])
                if p == 0:
                    out = (diff != 0).sum(-1).astype(a.dtype)
                elif p == 1:
                    out = diff.sum(-1)
                elif p == 2:
                    out = np.sqrt((diff * diff).sum(-1))
                elif p == np.inf:
                    out = diff.max(-1, initial=0)
                else:
                    out = (diff ** p).sum(-1) ** (1 / p)
        out = x1._wrap(np.asarray(out, dtype=a.dtype))
        ctx.save_for_backward(x1, x2, out)
        return out

    @staticmethod
    def backward(ctx, g):
        x1, x2, out = ctx.saved_tensors
        p = ctx.p
        diff = x1.unsqueeze(-2) - x2.unsqueeze(-3)
        d = out.unsqueeze(-1)
        if p == 0:
            w = diff * 0
        elif p == 1:
            w = diff.sign()
        elif p == 2:
            w = diff / d.masked_fill(d == 0, 1)
        elif p == np.inf:
            w = diff.sign() * (diff.abs() == d).to(diff.dtype)
        elif p < 1:
            w = (diff.sign() * diff.abs().pow(p - 1)).masked_fill(diff == 0, 0) * d.pow(1 - p)
        else:
            mag = diff * diff.abs().pow(p - 2) if p >= 2 else diff.sign() * diff.abs().pow(p - 1)
            w = (mag / d.pow(p - 1)).masked_fill(d == 0, 0)
        gw = g.unsqueeze(-1) * w
        need = ctx.needs_input_grad
        return (gw.sum(-2) if need[0] else None, -gw.sum(-3) if need[1] else None, None, None)


def cdist(x1, x2, p=2.0, compute_mode="use_mm_for_euclid_dist_if_necessary"):
    """Pairwise p-norm distances between the rows of x1 (..., P, M) and x2 (..., R, M)."""
    _check_tensor(x1, "cdist", "x1", 1)
    _check_tensor(x2, "cdist", "x2", 2)
    if compute_mode not in _CDIST_MODES:
        raise ValueError(f"{compute_mode} is not a valid value for compute_mode")
    for name, t in (("X1", x1), ("X2", x2)):
        if t._data.ndim < 2:
            raise RuntimeError(f"cdist only supports at least 2D tensors, {name} got: "
                               f"{t._data.ndim}D")
    for name, t in (("X1", x1), ("X2", x2)):
        if t.dtype.category != 2:   # real floating only
            raise RuntimeError(f"cdist only supports floating-point dtypes, {name} got: "
                               f"{t.dtype._short}")
    m1, m2 = x1._data.shape[-1], x2._data.shape[-1]
    if m1 != m2:
        raise RuntimeError(f"X1 and X2 must have the same number of columns. X1: {m1} X2: {m2}")
    if x1.dtype is not x2.dtype:
        raise RuntimeError(f"expected scalar type {x1.dtype._short} but found {x2.dtype._short}")
    p = float(p)
    if p < 0 or np.isnan(p):
        raise RuntimeError("cdist only supports non-negative p values")
    try:
        batch = np.broadcast_shapes(x1._data.shape[:-2], x2._data.shape[:-2])
    except ValueError:
        raise broadcast_error(x1._data.shape[:-2], x2._data.shape[:-2]) from None
    r1, r2 = x1._data.shape[-2], x2._data.shape[-2]
    x1 = x1.expand(*batch, r1, m1) if x1._data.shape[:-2] != batch else x1
    x2 = x2.expand(*batch, r2, m2) if x2._data.shape[:-2] != batch else x2
    use_mm = p == 2 and (compute_mode == _CDIST_MODES[1]
                         or (compute_mode == _CDIST_MODES[0] and (r1 > 25 or r2 > 25)))
    return Cdist.apply(x1, x2, p, use_mm)


# -- cross, inner, matrix_power: compositions of ember ops (their gradients come for free) ----

def cross(input, other, dim=None):
    """The cross product along ``dim`` (by default, with PyTorch's deprecation warning, the first
    dim of size 3 of the broadcast shape)."""
    import warnings
    sa, sb = input._data.shape, other._data.shape
    if len(sa) != len(sb):
        raise RuntimeError("linalg.cross: inputs must have the same number of dimensions.")
    if input._data.dtype != other._data.dtype:
        raise RuntimeError(f"expected scalar type {input.dtype._short} but found "
                           f"{other.dtype._short}")
    try:
        shape = np.broadcast_shapes(sa, sb)
    except ValueError:
        raise broadcast_error(sa, sb) from None
    if dim is None:
        warnings.warn("Using torch.cross without specifying the dim arg is deprecated.\nPlease "
                      "either pass the dim explicitly or simply use torch.linalg.cross.\nThe "
                      "default value of dim will change to agree with that of linalg.cross in a "
                      "future release.", UserWarning, stacklevel=2)
        if 3 not in shape:
            raise RuntimeError("no dimension of size 3 in input")
        d = shape.index(3)
    else:
        from ._util import canon_dim
        d = canon_dim(dim, len(shape))
        if sa[d] != 3 or sb[d] != 3:
            raise RuntimeError(f"linalg.cross: inputs dimension {dim} must have length 3. Got "
                               f"{sa[d]} and {sb[d]}")
    a = [input.narrow(d, i, 1) for i in range(3)]
    b = [other.narrow(d, i, 1) for i in range(3)]
    from .join import cat
    return cat([a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2],
                a[0] * b[1] - a[1] * b[0]], d)


def inner(input, other):
    """Sum over the last dims: ``input``'s other dims first, then ``other``'s."""
    if input._data.ndim == 0 or other._data.ndim == 0:
        return input * other
    sa, sb = input._data.shape, other._data.shape
    if sa[-1] != sb[-1]:
        raise RuntimeError(f"inner() the last dimension must match on both input tensors but got "
                           f"shapes {list(sa)} and {list(sb)}")
    return tensordot(input, other, ([-1], [-1]))


def matrix_power(input, n):
    """A^n by repeated squaring; A^0 is the identity, A^-n = inv(A)^n."""
    shape = input._data.shape
    if len(shape) < 2:
        raise RuntimeError("linalg.matrix_power: The input tensor A must have at least 2 "
                           "dimensions.")
    if shape[-1] != shape[-2]:
        raise RuntimeError(f"linalg.matrix_power: A must be batches of square matrices, but they "
                           f"are {shape[-2]} by {shape[-1]} matrices")
    if n == 0:
        # the identity, but tied to the graph (a zero gradient) as PyTorch's copy_ is
        from .gather import where
        eye = np.broadcast_to(np.eye(shape[-1], dtype=input._data.dtype), shape)
        return where(input._wrap(np.ones(shape, bool)), input._wrap(np.ascontiguousarray(eye)),
                     input)
    base = inverse(input) if n < 0 else input
    n = abs(n)
    result = None
    while True:
        if n & 1:
            result = base if result is None else matmul(result, base)
        n >>= 1
        if not n:
            break
        base = matmul(base, base)
    return result.clone() if result is input else result


from .einsum import einsum, tensordot  # noqa: E402 - their own file, below what they use


class LinalgMethods:
    __slots__ = ()

    def __matmul__(self, other):
        return matmul(self, other)

    def __rmatmul__(self, other):
        return matmul(other, self)

    def matmul(self, other):
        return matmul(self, other)

    def mm(self, mat2):
        return Mm.apply(self, mat2)

    def bmm(self, mat2):
        return Bmm.apply(self, mat2)

    def mv(self, vec):
        return Mv.apply(self, vec)

    def dot(self, other):
        return Dot.apply(self, other)

    def vdot(self, other):
        return vdot(self, other)

    def outer(self, vec2):
        return outer(self, vec2)

    ger = outer

    def addmm(self, mat1, mat2, *, beta=1, alpha=1):
        return addmm(self, mat1, mat2, beta=beta, alpha=alpha)

    def addmm_(self, mat1, mat2, *, beta=1, alpha=1):
        beta, alpha = number(beta, "addmm_", "beta"), number(alpha, "addmm_", "alpha")
        return self._inplace(Addmm, mat1, mat2, beta, alpha)

    def addmv(self, mat, vec, *, beta=1, alpha=1):
        return addmv(self, mat, vec, beta=beta, alpha=alpha)

    def baddbmm(self, batch1, batch2, *, beta=1, alpha=1):
        return baddbmm(self, batch1, batch2, beta=beta, alpha=alpha)

    def det(self):
        return det(self)

    def inverse(self):
        return inverse(self)

    def slogdet(self):
        return slogdet(self)

    def logdet(self):
        return logdet(self)

    def trace(self):
        return trace(self)

    def cross(self, other, dim=None):
        return cross(self, other, dim)

    def inner(self, other):
        return inner(self, other)

    def matrix_power(self, n):
        return matrix_power(self, n)
