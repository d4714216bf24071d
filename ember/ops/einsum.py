"""einsum (with PyTorch's equation and sublist forms, one fused node whose gradients are einsums
again, repeated labels through a diagonal scatter) and tensordot."""
import numpy as np

from .. import _tensor
from ..autograd.function import Function
from ._util import conj as _conj
from .linalg import _out

_CTX_AUDITED = True   # every array a Function here keeps on ctx is in its _ctx_arrays


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
