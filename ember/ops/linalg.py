"""Matrix products: mm, bmm, mv, dot, outer, matmul, addmm and friends, einsum, tensordot.

Each product checks shapes and dtypes with PyTorch's messages; ``matmul`` dispatches the way
torch.matmul does (dot, mv, mm, folded mm, batched) so that errors read the same. Backward
formulas are products themselves, so gradients are differentiable again."""
import numpy as np

from .. import _tensor
from ..autograd.function import Function
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
    return _out(Addmm.apply(input, mat1, mat2, beta, alpha), out)


def addmv(input, mat, vec, *, beta=1, alpha=1, out=None):
    if input._data.dtype != mat._data.dtype or mat._data.dtype != vec._data.dtype:
        raise RuntimeError(f"addmv input tensors must have the same dtype, but got "
                           f"{input.dtype._short}, {mat.dtype._short}, and {vec.dtype._short}")
    prod = Mv.apply(mat, vec)
    _expanded_shape(input._data.shape, prod._data.shape)
    return _out(_combine(input, prod, beta, alpha), out)


def baddbmm(input, batch1, batch2, *, beta=1, alpha=1, out=None):
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


# -- einsum ---------------------------------------------------------------------------------
# An equation is parsed into integer labels per operand: letters are 0..51 (A-Z, then a-z, so
# that sorting by label is ASCII order as in the implicit output); the k-th dimension covered
# by the ellipsis (aligned to the right, as broadcasting) is ``_ELL + k``.

_ELL = 1000


def _label_of(c):
    return ord(c) - 65 if c <= "Z" else ord(c) - 97 + 26


def _char_of(label):
    return chr(label + 65) if label < 26 else chr(label - 26 + 97)


def _parse_equation(eq):
    """Split an equation into per-operand token lists (labels or "...") and the output list
    (None when implicit), with PyTorch's messages for malformed strings."""
    terms, cur, out = [], [], None
    i, n = 0, len(eq)
    while i < n:
        c = eq[i]
        who = f"operand {len(terms)}" if out is None else "output"
        if c == " ":
            i += 1
        elif c == "-" and out is None and eq[i + 1:i + 2] == ">":
            terms.append(cur)
            cur = out = []
            i += 2
        elif c == "," and out is None:
            terms.append(cur)
            cur = []
            i += 1
        elif c == ".":
            if "..." in cur:
                raise RuntimeError(f"einsum(): found '.' for {who} for which an ellipsis was "
                                   "already found" if out is None else
                                   "einsum(): found '.' for output but an ellipsis (...) was "
                                   "already found")
            if eq[i:i + 3] != "...":
                raise RuntimeError(f"einsum(): found '.' for {who} that is not part of any "
                                   "ellipsis" + (" (...)" if out is not None else ""))
            cur.append("...")
            i += 3
        elif ("a" <= c <= "z") or ("A" <= c <= "Z"):
            cur.append(_label_of(c))
            i += 1
        else:
            raise RuntimeError(f"einsum(): invalid subscript given at index {i} in the equation "
                               "string, subscripts must be in [a-zA-Z]")
    if out is None:
        terms.append(cur)
    return terms, out


def _sublist(sub):
    res = []
    for s in sub:
        if s is Ellipsis:
            res.append("...")
        elif not 0 <= int(s) < 52:
            raise ValueError("einsum(): subscript in subscript list is not within the valid "
                             "range [0, 52)")
        else:
            res.append(int(s))
    return res


def _einsum_spec(terms, out, ops):
    """Check ``terms``/``out`` against the operands; return (labels per operand, output
    labels) with ellipsis dims expanded."""
    if len(terms) < len(ops):
        raise RuntimeError("einsum(): more operands were provided than specified in the equation")
    if len(terms) > len(ops):
        raise RuntimeError("einsum(): fewer operands were provided than specified in the "
                           "equation")
    n_ell = 0
    for k, (term, t) in enumerate(zip(terms, ops)):
        nd, nlab = t._data.ndim, len(term) - ("..." in term)
        if "..." not in term and nlab != nd:
            raise RuntimeError(f"einsum(): the number of subscripts in the equation ({nlab}) does "
                               f"not match the number of dimensions ({nd}) for operand {k} and "
                               "no ellipsis was given")
        if nlab > nd:
            raise RuntimeError(f"einsum(): the number of subscripts in the equation ({nlab}) is "
                               f"more than the number of dimensions ({nd}) for operand {k}")
        if "..." in term:
            n_ell = max(n_ell, nd - nlab)
    ins, sizes, counts = [], {}, {}
    for k, (term, t) in enumerate(zip(terms, ops)):
        shape, labels = t._data.shape, []
        for tok in term:
            if tok == "...":
                m = len(shape) - len(term) + 1
                labels.extend(range(_ELL + n_ell - m, _ELL + n_ell))
            else:
                labels.append(tok)
        own = {}
        for d, (lab, s) in enumerate(zip(labels, shape)):
            counts[lab] = counts.get(lab, 0) + 1
            if lab in own:
                if own[lab] != s:
                    raise RuntimeError(f"einsum(): subscript {_char_of(lab)} is repeated for "
                                       f"operand {k} but the sizes don't match, {s} != {own[lab]}")
                continue
            own[lab] = s
            prev = sizes.get(lab)
            if prev is not None and prev != s and prev != 1 and s != 1:
                if lab >= _ELL:
                    raise RuntimeError(f"einsum(): dimension {d - term.index('...')} covered by "
                                       f"ellipsis in operand {k}has size {s} which does not "
                                       f"broadcast with previously seen ellipsis with size {prev} "
                                       "for the respective dimension")
                raise RuntimeError(f"einsum(): subscript {_char_of(lab)} has size {s} for operand "
                                   f"{k} which does not broadcast with previously seen size {prev}")
            if prev is None or prev == 1:
                sizes[lab] = s
        ins.append(tuple(labels))
    if out is None:   # implicit output: the ellipsis, then labels seen once, sorted
        res = list(range(_ELL, _ELL + n_ell))
        res += sorted(lab for lab, c in counts.items() if c == 1 and lab < _ELL)
    else:
        res = []
        for tok in out:
            if tok == "...":
                res.extend(range(_ELL, _ELL + n_ell))
                continue
            if tok not in sizes:
                raise RuntimeError(f"einsum(): output subscript {_char_of(tok)} does not appear in "
                                   "the equation for any input operand")
            if tok in res:
                raise RuntimeError(f"einsum(): output subscript {_char_of(tok)} appears more than "
                                   "once in the output")
            res.append(tok)
    return tuple(ins), tuple(res)


def _compact(ins, out):
    """Renumber labels 0..K-1 (NumPy's sublist form takes labels below 52)."""
    ids = {}
    for lab in [x for t in ins for x in t] + list(out):
        ids.setdefault(lab, len(ids))
    if len(ids) > 52:
        raise RuntimeError("einsum(): too many subscripts (more than 52) in the equation")
    return tuple(tuple(ids[x] for x in t) for t in ins), tuple(ids[x] for x in out)


class Einsum(Function):
    _builtin = True

    # d/d op_k: einsum of g with the other operands onto op_k's labels; labels op_k alone has
    # are broadcast back, repeated labels are scattered onto the diagonal (see _einsum_grad)
    @staticmethod
    def forward(ctx, spec, *ops):
        ins, out = spec
        x0 = ops[0]._data
        xp = ops[0]._xp
        kind = x0.dtype.kind
        summed = len(set(x for lab in ins for x in lab)) > len(out)
        if kind == "b" and summed and len(ops) > 1:
            raise NotImplementedError("\"bmm\" not implemented for 'Bool'")
        # integers summed by a lone operand accumulate in int64 (it is a sum in PyTorch); half
        # accumulates in float32
        cast = np.int64 if kind in "biu" and summed and len(ops) == 1 else \
            np.float32 if x0.dtype == np.float16 else None
        args, big = [], 0
        for t, lab in zip(ops, ins):
            x = t._data
            if x.dtype != x0.dtype:
                raise RuntimeError(f"expected scalar type {ops[0].dtype._short} but found "
                                   f"{t.dtype._short}")
            args += [x if cast is None else x.astype(cast), list(lab)]
            big += x.size
        args.append(list(out))
        ctx.spec = spec
        ctx.save_for_backward(*ops)
        res = xp.einsum(*args, optimize=len(ops) > 2 or (len(ops) == 2 and big > 512))
        if x0.dtype == np.float16:
            res = res.astype(np.float16)
        if len(ops) == 1 and isinstance(res, np.ndarray) and np.may_share_memory(res, x0):
            return ops[0]._view_of(res)   # a permutation or diagonal: a view, as in PyTorch
        return xp.asarray(res)

    @staticmethod
    def backward(ctx, g):
        ops = ctx.saved_tensors
        need = ctx.needs_input_grad
        return (None,) + tuple(_einsum_grad(k, g, ops, ctx.spec) if need[k + 1] else None
                               for k in range(len(ops)))

    @staticmethod
    def onnx(graph, ctx, spec, *ops):
        ins, out = ctx.spec
        letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
        eq = ",".join("".join(letters[i] for i in t) for t in ins) + "->" + \
            "".join(letters[i] for i in out)
        return graph.op("Einsum", *ops, equation=eq)


def _einsum_grad(k, g, ops, spec):
    ins, out = spec
    t, lab = ops[k], ins[k]
    own = dict(zip(lab, t._data.shape))
    uniq = tuple(dict.fromkeys(lab))
    others = [j for j in range(len(ops)) if j != k]
    avail = set(out).union(*(ins[j] for j in others))
    kept = tuple(x for x in uniq if x in avail)
    r = Einsum.apply(((out,) + tuple(ins[j] for j in others), kept), g, *(_conj(ops[j]) for j in others))
    shape = tuple(own[x] for x in kept)
    if r._data.shape != shape:
        # a label of size 1 here and n elsewhere sums down; of size n here, 1 elsewhere expands
        mid = tuple(1 if o == 1 else s for s, o in zip(r._data.shape, shape))
        if mid != r._data.shape:
            r = r.sum_to_size(mid)
        if mid != shape:
            r = r.expand(shape)
    if len(kept) < len(uniq):    # labels only op_k has were summed away: broadcast back
        r = r.reshape(tuple(own[x] if x in avail else 1 for x in uniq))
        r = r.expand(tuple(own[x] for x in uniq))
    if len(uniq) < len(lab):
        r = DiagScatter.apply(r, lab, uniq)
    return r


class DiagScatter(Function):
    """Place ``x`` (labels ``uniq``) onto the diagonal of a zero tensor with labels ``lab``
    (some repeated): the adjoint of einsum's diagonal extraction ``lab -> uniq``."""

    _builtin = True

    # adjoint of a diagonal extraction: extract the diagonal again
    @staticmethod
    def forward(ctx, x, lab, uniq):
        size = dict(zip(uniq, x._data.shape))
        shape = tuple(size[u] for u in lab)
        xp = x._xp
        out = xp.zeros(shape, x._data.dtype)
        st = {u: 0 for u in uniq}
        for u, s in zip(lab, out.strides):
            st[u] += s
        diag = xp.lib.stride_tricks.as_strided(out, x._data.shape, tuple(st[u] for u in uniq))
        diag[...] = x._data
        ctx.labels = (lab, uniq)
        return out

    @staticmethod
    def backward(ctx, g):
        lab, uniq = ctx.labels
        return Einsum.apply(((lab,), uniq), g), None, None


def einsum(*args):
    """``einsum(equation, *operands)``, ``einsum(equation, [operands])`` or the sublist form
    ``einsum(op0, sub0, op1, sub1, ..., [out])``."""
    if not args:
        raise ValueError("einsum(): must specify the equation string and at least one operand, "
                         "or at least one operand and its subscripts list")
    if isinstance(args[0], _tensor.Tensor):
        ops = list(args[0::2][:len(args) // 2])
        terms = [_sublist(s) for s in args[1::2]]
        out = _sublist(args[-1]) if len(args) % 2 else None
        terms = terms[:len(ops)]
    else:
        eq = args[0]
        if not isinstance(eq, str):
            raise TypeError(f"einsum(): argument 'equation' (position 1) must be str, not "
                            f"{type(eq).__name__}")
        ops = list(args[1:])
        if len(ops) == 1 and isinstance(ops[0], (list, tuple)):
            ops = list(ops[0])
        if not ops:
            raise ValueError("einsum(): must specify the equation string and at least one "
                             "operand, or at least one operand and its subscripts list")
        terms, out = _parse_equation(eq)
    for i, t in enumerate(ops):
        if not isinstance(t, _tensor.Tensor):
            raise TypeError(f"expected Tensor as element {i} in argument 1, but got "
                            f"{type(t).__name__}")
    ins, res = _einsum_spec(terms, out, ops)
    return Einsum.apply(_compact(ins, res), *ops)


def tensordot(a, b, dims=2, out=None):
    """Contract ``dims`` (an int: the last dims of ``a`` with the first of ``b``; or a pair of
    dim lists) and keep the rest, ``a``'s free dims first."""
    na, nb = a._data.ndim, b._data.ndim
    if isinstance(dims, _tensor.Tensor):
        dims = dims.item() if dims.ndim == 0 else dims.tolist()
    if isinstance(dims, (int, np.integer)):
        if dims < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
        if dims > na or dims > nb:
            raise RuntimeError(f"tensordot expects dims < ndim_a or ndim_b, but got dims={dims}")
        da, db = list(range(na - dims, na)), list(range(dims))
    else:
        da, db = dims
        for d, name, pos in ((da, "dims_self", 3), (db, "dims_other", 4)):
            if isinstance(d, (int, np.integer)):
                raise TypeError(f"tensordot(): argument '{name}' (position {pos}) must be tuple "
                                "of ints, not int")
        da, db = list(da), list(db)
    from ._util import canon_dim
    da = [canon_dim(d, na) for d in da]
    db = [canon_dim(d, nb) for d in db]
    if len(da) != len(db):
        raise RuntimeError("both dimension lists should have same length")
    for dl in (da, db):
        for d in dl:
            if dl.count(d) > 1:
                raise RuntimeError(f"dim {d} appears multiple times in the list of dims")
    if a._data.dtype != b._data.dtype:
        raise RuntimeError("both inputs should have same dtype")
    for x, y in zip(da, db):
        sx, sy = a._data.shape[x], b._data.shape[y]
        if sx != sy and sx != 1 and sy != 1:
            raise RuntimeError(f"contracted dimensions need to match, but first has size {sx} "
                               f"in dim {x} and second has size {sy} in dim {y}")
    la = list(range(na))
    lb = [na + j for j in range(nb)]
    for x, y in zip(da, db):
        lb[y] = x
    res = [x for x in la if x not in da] + [y for j, y in enumerate(lb) if j not in db]
    return _out(Einsum.apply(_compact((tuple(la), tuple(lb)), tuple(res)), a, b), out)


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
        return Addmm.apply(self, mat1, mat2, beta, alpha)

    def addmm_(self, mat1, mat2, *, beta=1, alpha=1):
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
