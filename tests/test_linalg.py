import math
import warnings

import numpy as np
import pytest
import torch
from helpers import check_error, check_op, randn, to_ember

import ember

# -- matmul and the products ----------------------------------------------------------------

MATMUL_SHAPES = [
    ((3,), (3,)),             # dot -> 0-d
    ((2, 3), (3,)),           # mv
    ((3,), (3, 2)),           # vector @ matrix
    ((2, 3), (3, 4)),         # mm
    ((2, 2, 3), (3, 2)),      # folded into one mm
    ((2, 2, 3), (3,)),        # folded into one mv
    ((3,), (2, 3, 2)),        # vector @ batch
    ((2, 3), (2, 3, 2)),      # matrix @ batch (broadcast)
    ((2, 1, 2, 3), (3, 3, 2)),  # broadcast batch dims on both sides
    ((0, 2, 3), (3, 2)),      # empty batch
    ((2, 0), (0, 3)),         # empty inner dim
]


@pytest.mark.parametrize("sa,sb", MATMUL_SHAPES)
def test_matmul(sa, sb):
    out = check_op(lambda a, b: a @ b, lambda a, b: a @ b, randn(*sa), randn(*sb),
                   gradgradcheck=0 not in sa + sb)
    assert out.shape == torch.Size(np.matmul(np.ones(sa), np.ones(sb)).shape)


def test_matmul_function_forms_and_dtypes():
    check_op(ember.matmul, torch.matmul, randn(2, 3), randn(3, 2))
    check_op(lambda a, b: a.matmul(b), lambda a, b: a.matmul(b), randn(2, 3), randn(3))
    check_op(ember.linalg.matmul, torch.linalg.matmul, randn(2, 3), randn(3))
    for dt in (np.int64, np.int32, np.float32, np.float16):
        a, b = (randn(2, 3) * 3).astype(dt), (randn(3, 4) * 3).astype(dt)
        check_op(ember.matmul, torch.matmul, a, b, grad=False, rtol=1e-2, atol=1e-2)
        check_op(ember.matmul, torch.matmul, a[None].repeat(2, 0), b, grad=False, rtol=1e-2,
                 atol=1e-2)
    check_op(ember.matmul, torch.matmul, randn(2, 3, dtype=np.float32),
             randn(2, 3, 4, dtype=np.float32), rtol=1e-5, atol=1e-5)


def test_matmul_noncontiguous():
    check_op(lambda a, b: a.t() @ b.mT, lambda a, b: a.t() @ b.mT, randn(3, 2), randn(2, 4, 3),
             gradgradcheck=True)
    check_op(lambda a, b: a[:, ::2] @ b, lambda a, b: a[:, ::2] @ b, randn(2, 6), randn(3, 2))


def test_matmul_rmatmul_and_grad_fn():
    a = ember.ones(2, 3, requires_grad=True)
    assert (a @ ember.ones(3, 4)).grad_fn.name() == "MmBackward0"
    assert (ember.ones(3) @ ember.ones(3)).shape == ()
    assert ember.ones(3).__rmatmul__(ember.ones(2, 3)).shape == (2,)


def test_matmul_errors():
    e = ember.ones
    check_error(lambda: e(2, 3) @ e(4, 5), RuntimeError,
                "mat1 and mat2 shapes cannot be multiplied (2x3 and 4x5)")
    check_error(lambda: e(2, 3) @ e(3, 5, dtype=ember.float64), RuntimeError,
                "expected m1 and m2 to have the same dtype, but got: float != double")
    check_error(lambda: e(2, 3, dtype=ember.int64) @ e(3, 5), RuntimeError,
                "expected m1 and m2 to have the same dtype, but got: long int != float")
    check_error(lambda: e(3) @ e(4), RuntimeError,
                "inconsistent tensor size, expected tensor [3] and src [4] to have the same number"
                " of elements, but got 3 and 4 elements respectively")
    check_error(lambda: e(3) @ e(3, dtype=ember.float64), RuntimeError,
                "dot : expected both vectors to have same dtype, but found Float and Double")
    check_error(lambda: e(2, 3) @ e(4), RuntimeError,
                "size mismatch, got input (2), mat (2x3), vec (4)")
    check_error(lambda: e(2, 3) @ e(3, dtype=ember.float64), RuntimeError,
                "addmv input tensors must have the same dtype, but got Double, Float, and Double")
    check_error(lambda: e(3) @ e(4, 5), RuntimeError,
                "mat1 and mat2 shapes cannot be multiplied (1x3 and 4x5)")
    check_error(lambda: ember.matmul(ember.tensor(1.0), e(3)), RuntimeError,
                "both arguments to matmul need to be at least 1D, but they are 0D and 1D")
    check_error(lambda: e(2, 3, 4) @ e(3, 4, 5), RuntimeError,
                "The size of tensor a (2) must match the size of tensor b (3) at non-singleton "
                "dimension 0")
    check_error(lambda: e(2, 3, 4) @ e(2, 5, 5), RuntimeError,
                "Expected size for first two dimensions of batch2 tensor to be: [2, 4] but got: "
                "[2, 5].")
    check_error(lambda: e(2, 3, 4) @ e(5, 5), RuntimeError,
                "mat1 and mat2 shapes cannot be multiplied (6x4 and 5x5)")
    check_error(lambda: e(2, 3, 4) @ e(5), RuntimeError,
                "size mismatch, got input (6), mat (6x4), vec (5)")
    check_error(lambda: e(2, 3, 4) @ e(2, 4, 5, dtype=ember.float64), RuntimeError,
                "expected scalar type Float but found Double")
    check_error(lambda: e(2, 3, dtype=ember.bool) @ e(3, 2, dtype=ember.bool),
                NotImplementedError, "\"addmm_impl_cpu_\" not implemented for 'Bool'")
    check_error(lambda: ember.matmul(e(3), [1.0, 2.0, 3.0]), TypeError,
                "matmul(): argument 'other' (position 2) must be Tensor, not list")


def test_mm_bmm_mv_dot():
    check_op(ember.mm, torch.mm, randn(2, 3), randn(3, 4), gradgradcheck=True)
    check_op(lambda a, b: a.mm(b), lambda a, b: a.mm(b), randn(0, 3), randn(3, 2))
    check_op(ember.bmm, torch.bmm, randn(2, 2, 3), randn(2, 3, 2), gradgradcheck=True)
    check_op(lambda a, b: a.bmm(b.mT), lambda a, b: a.bmm(b.mT), randn(2, 2, 3), randn(2, 2, 3))
    check_op(ember.mv, torch.mv, randn(2, 3), randn(3), gradgradcheck=True)
    check_op(lambda a, b: a.t().mv(b), lambda a, b: a.t().mv(b), randn(3, 2), randn(3))
    check_op(ember.dot, torch.dot, randn(4), randn(4), gradgradcheck=True)
    check_op(lambda a, b: a.dot(b), lambda a, b: a.dot(b), randn(0), randn(0))
    check_op(ember.vdot, torch.vdot, randn(4), randn(4))
    i = (randn(3) * 4).astype(np.int64)
    check_op(ember.dot, torch.dot, i, i, grad=False)
    check_op(ember.bmm, torch.bmm, (randn(2, 2, 3) * 3).astype(np.int32),
             (randn(2, 3, 2) * 3).astype(np.int32), grad=False)


def test_products_errors():
    e = ember.ones
    check_error(lambda: ember.mm(e(3), e(3, 4)), RuntimeError, "self must be a matrix")
    check_error(lambda: ember.mm(e(2, 3), e(3)), RuntimeError, "mat2 must be a matrix")
    check_error(lambda: ember.bmm(e(2, 3), e(3, 4)), RuntimeError, "batch1 must be a 3D tensor")
    check_error(lambda: ember.bmm(e(2, 2, 3), e(3, 4)), RuntimeError,
                "batch2 must be a 3D tensor")
    check_error(lambda: ember.bmm(e(2, 2, 3), e(3, 3, 4)), RuntimeError,
                "Expected size for first two dimensions of batch2 tensor to be: [2, 3] but got: "
                "[3, 3].")
    check_error(lambda: ember.bmm(e(2, 2, 3), e(2, 3, 4, dtype=ember.float64)), RuntimeError,
                "expected scalar type Float but found Double")
    check_error(lambda: ember.bmm(e(2, 2, 3, dtype=ember.bool), e(2, 3, 4, dtype=ember.bool)),
                NotImplementedError, "\"bmm\" not implemented for 'Bool'")
    check_error(lambda: ember.mv(e(3), e(3)), RuntimeError,
                "vector + matrix @ vector expected, got 1, 1, 1")
    check_error(lambda: ember.mv(e(2, 3, dtype=ember.float64), e(3)), RuntimeError,
                "addmv input tensors must have the same dtype, but got Float, Double, and Float")
    check_error(lambda: ember.dot(e(3, 1), e(3)), RuntimeError,
                "1D tensors expected, but got 2D and 1D tensors")
    check_error(lambda: ember.dot(e(3, dtype=ember.bool), e(3, dtype=ember.bool)),
                NotImplementedError, "\"dot\" not implemented for 'Bool'")
    check_error(lambda: ember.outer(e(3, 1), e(3)), RuntimeError,
                "outer: Expected 1-D argument self, but got 2-D")
    check_error(lambda: ember.outer(e(3), ember.tensor(1.0)), RuntimeError,
                "outer: Expected 1-D argument vec2, but got 0-D")


def test_outer_and_addmm_family():
    check_op(ember.outer, torch.outer, randn(3), randn(2), gradgradcheck=True)
    check_op(ember.ger, torch.ger, randn(3), randn(0))
    check_op(ember.outer, torch.outer, (randn(3) * 3).astype(np.int64), randn(2, dtype=np.float32),
             nondiff=(0,), rtol=1e-5, atol=1e-5)
    for shape in [(2, 4), (4,), (1, 4), ()]:
        check_op(lambda c, a, b: ember.addmm(c, a, b, beta=0.5, alpha=2),
                 lambda c, a, b: torch.addmm(c, a, b, beta=0.5, alpha=2),
                 randn(*shape), randn(2, 3), randn(3, 4), gradgradcheck=shape == (4,))
    check_op(lambda c, a, b: c.addmm(a, b), lambda c, a, b: c.addmm(a, b),
             randn(2, 4), randn(2, 3), randn(4, 3).T)
    nan = np.full((2, 4), np.nan)
    check_op(lambda c, a, b: ember.addmm(c, a, b, beta=0), lambda c, a, b: torch.addmm(
        c, a, b, beta=0), nan, randn(2, 3), randn(3, 4), gradcheck=False, nondiff=(0,))
    check_op(lambda c, a, b: ember.addmv(c, a, b, beta=2, alpha=0.5),
             lambda c, a, b: torch.addmv(c, a, b, beta=2, alpha=0.5),
             randn(2), randn(2, 3), randn(3))
    check_op(lambda c, a, b: ember.baddbmm(c, a, b, beta=0.5, alpha=2),
             lambda c, a, b: torch.baddbmm(c, a, b, beta=0.5, alpha=2),
             randn(3, 4), randn(2, 3, 5), randn(2, 5, 4))
    c = ember.zeros(2, 2)
    c.addmm_(ember.ones(2, 3), ember.ones(3, 2))
    assert c.tolist() == [[3.0, 3.0], [3.0, 3.0]]


def test_addmm_errors():
    e = ember.ones
    check_error(lambda: ember.addmm(e(2, 4), e(2, 3), e(4, 4)), RuntimeError,
                "mat1 and mat2 shapes cannot be multiplied (2x3 and 4x4)")
    check_error(lambda: ember.addmm(e(3), e(2, 3), e(3, 4)), RuntimeError,
                "The expanded size of the tensor (4) must match the existing size (3) at "
                "non-singleton dimension 1.  Target sizes: [2, 4].  Tensor sizes: [3]")
    check_error(lambda: ember.addmm(e(2, 4, dtype=ember.float64), e(2, 3), e(3, 4)),
                RuntimeError, "self and mat2 must have the same dtype, but got Double and Float")
    check_error(lambda: ember.addmm(e(2, 4), e(2, 3, dtype=ember.float64), e(3, 4)),
                RuntimeError, "mat1 and mat2 must have the same dtype, but got Double and Float")
    check_error(lambda: ember.addmm(e(2, 4), e(3), e(3, 4)), RuntimeError,
                "mat1 must be a matrix, got 1-D tensor")
    check_error(lambda: ember.addmv(e(2), e(2, 3), e(4)), RuntimeError,
                "size mismatch, got input (2), mat (2x3), vec (4)")


# -- einsum and tensordot -------------------------------------------------------------------

EINSUM_CASES = [
    ("ij,jk->ik", [(2, 3), (3, 4)]),
    ("ij,jk", [(2, 3), (3, 4)]),                      # implicit output
    ("ba", [(2, 3)]),                                 # implicit: sorted labels -> transpose
    ("ii->i", [(3, 3)]),                              # diagonal
    ("ii", [(3, 3)]),                                 # trace
    ("iji->j", [(2, 3, 2)]),                          # repeated label around another
    ("ij->i", [(2, 3)]),                              # summed-away label
    ("ij,ij->", [(2, 3), (2, 3)]),
    ("i,j->ij", [(3,), (2,)]),                        # outer
    ("i,i->i", [(1,), (3,)]),                         # size-1 label broadcasts
    ("ij,jk->ik", [(2, 1), (3, 4)]),
    ("bij,bjk,bkl->bil", [(2, 2, 3), (2, 3, 2), (2, 2, 2)]),
    ("...ij,...jk->...ik", [(2, 1, 2, 3), (3, 3, 2)]),  # ellipsis broadcasting
    ("...ij->ij", [(2, 2, 3)]),                       # ellipsis summed away
    ("i...->...", [(2, 3)]),
    ("b i j , b j -> b i", [(2, 2, 3), (2, 3)]),      # spaces
    (",i->i", [(), (3,)]),                            # 0-d operand
    ("ij,jk->ik", [(0, 3), (3, 2)]),                  # size-0 dims
    ("ij,jk->ik", [(2, 0), (0, 2)]),
    ("ijk,ik->j", [(2, 3, 2), (2, 2)]),
    ("Ab,bA->A", [(2, 3), (3, 2)]),                   # upper-case labels
]


@pytest.mark.parametrize("eq,shapes", EINSUM_CASES)
def test_einsum(eq, shapes):
    arrays = [randn(*s) for s in shapes]
    empty = any(0 in s for s in shapes)
    check_op(lambda *x: ember.einsum(eq, *x), lambda *x: torch.einsum(eq, *x), *arrays,
             gradgradcheck=not empty)


def test_einsum_forms_dtypes_views():
    a, b = randn(2, 3), randn(3, 4)
    check_op(lambda x, y: ember.einsum("ij,jk->ik", [x, y]),
             lambda x, y: torch.einsum("ij,jk->ik", [x, y]), a, b)
    check_op(lambda x, y: ember.einsum(x, [0, 1], y, [1, 2], [0, 2]),
             lambda x, y: torch.einsum(x, [0, 1], y, [1, 2], [0, 2]), a, b)
    check_op(lambda x, y: ember.einsum(x, [..., 1], y, [1, 2]),
             lambda x, y: torch.einsum(x, [..., 1], y, [1, 2]), randn(2, 2, 3), b)
    check_op(lambda x: ember.einsum("ij->ji", x.t()), lambda x: torch.einsum("ij->ji", x.t()), b)
    i = (randn(2, 3) * 3).astype(np.int32)
    for eq in ("ij->i", "ij->ji", "ij,ij->i", "ii->i"):
        x = i[:, :2] if eq == "ii->i" else i
        check_op(lambda *t: ember.einsum(eq, *t), lambda *t: torch.einsum(eq, *t),
                 *([x] * eq.split("->")[0].count(",") + [x]), grad=False)
    check_op(lambda x: ember.einsum("i->", x), lambda x: torch.einsum("i->", x),
             np.array([True, False, True]), grad=False)
    h = randn(2, 3, dtype=np.float16)
    check_op(lambda x, y: ember.einsum("ij,kj->ik", x, y),
             lambda x, y: torch.einsum("ij,kj->ik", x, y), h, h, grad=False, rtol=1e-2,
             atol=1e-2)
    x = ember.ones(3, 3)
    d = ember.einsum("ii->i", x)
    assert d._base is x and d._version == x._version
    x.add_(1)
    assert d.tolist() == [2.0, 2.0, 2.0]


def test_einsum_errors():
    e = ember.ones
    msgs = [
        (lambda: ember.einsum("ij->i", e(2, 3), e(3)), RuntimeError,
         "einsum(): more operands were provided than specified in the equation"),
        (lambda: ember.einsum("ij,jk->i", e(2, 3)), RuntimeError,
         "einsum(): fewer operands were provided than specified in the equation"),
        (lambda: ember.einsum("ij->i", e(2, 3, 4)), RuntimeError,
         "einsum(): the number of subscripts in the equation (2) does not match the number of "
         "dimensions (3) for operand 0 and no ellipsis was given"),
        (lambda: ember.einsum("...ijk->i", e(2, 3)), RuntimeError,
         "einsum(): the number of subscripts in the equation (3) is more than the number of "
         "dimensions (2) for operand 0"),
        (lambda: ember.einsum("ij->k", e(2, 3)), RuntimeError,
         "einsum(): output subscript k does not appear in the equation for any input operand"),
        (lambda: ember.einsum("ij->ii", e(2, 3)), RuntimeError,
         "einsum(): output subscript i appears more than once in the output"),
        (lambda: ember.einsum("i1->i", e(2, 3)), RuntimeError,
         "einsum(): invalid subscript given at index 1 in the equation string, subscripts must "
         "be in [a-zA-Z]"),
        (lambda: ember.einsum("i->i->i", e(2)), RuntimeError,
         "invalid subscript given at index 4"),
        (lambda: ember.einsum("ii->i", e(3, 4)), RuntimeError,
         "einsum(): subscript i is repeated for operand 0 but the sizes don't match, 4 != 3"),
        (lambda: ember.einsum("ij,jk->ik", e(2, 3), e(4, 4)), RuntimeError,
         "einsum(): subscript j has size 4 for operand 1 which does not broadcast with "
         "previously seen size 3"),
        (lambda: ember.einsum("...i,...i->...i", e(4, 2, 3), e(5, 3)), RuntimeError,
         "einsum(): dimension 0 covered by ellipsis in operand 1has size 5 which does not "
         "broadcast with previously seen ellipsis with size 2 for the respective dimension"),
        (lambda: ember.einsum("...i,...i->...i", e(5, 3), e(4, 2, 3)), RuntimeError,
         "einsum(): dimension 1 covered by ellipsis"),
        (lambda: ember.einsum("...i...->i", e(2, 3)), RuntimeError,
         "einsum(): found '.' for operand 0 for which an ellipsis was already found"),
        (lambda: ember.einsum("i.->i", e(2, 3)), RuntimeError,
         "einsum(): found '.' for operand 0 that is not part of any ellipsis"),
        (lambda: ember.einsum("...i->......", e(2, 3)), RuntimeError,
         "einsum(): found '.' for output but an ellipsis (...) was already found"),
        (lambda: ember.einsum("...i->.i", e(2, 3)), RuntimeError,
         "einsum(): found '.' for output that is not part of any ellipsis (...)"),
        (lambda: ember.einsum("i,i->", e(3), e(3, dtype=ember.float64)), RuntimeError,
         "expected scalar type Float but found Double"),
        (lambda: ember.einsum("i,i->", e(3), [1, 2, 3]), TypeError,
         "expected Tensor as element 1 in argument 1, but got list"),
        (lambda: ember.einsum(e(2, 3), [0, 60]), ValueError,
         "einsum(): subscript in subscript list is not within the valid range [0, 52)"),
        (lambda: ember.einsum(3, e(2)), TypeError,
         "einsum(): argument 'equation' (position 1) must be str, not int"),
        (lambda: ember.einsum("i->i"), ValueError,
         "einsum(): must specify the equation string and at least one operand"),
    ]
    for fn, exc, msg in msgs:
        check_error(fn, exc, msg)


def test_tensordot():
    a, b = randn(2, 3, 2), randn(3, 2, 2)
    check_op(lambda x, y: ember.tensordot(x, y, dims=2), lambda x, y: torch.tensordot(x, y, 2),
             randn(2, 3, 2), randn(3, 2, 2), gradgradcheck=True)
    check_op(lambda x, y: ember.tensordot(x, y, dims=([1, 0], [0, 2])),
             lambda x, y: torch.tensordot(x, y, dims=([1, 0], [0, 2])), a, b,
             gradgradcheck=True)
    check_op(lambda x, y: ember.tensordot(x, y, dims=0), lambda x, y: torch.tensordot(x, y, 0),
             randn(2), randn(3))
    check_op(lambda x, y: ember.tensordot(x, y, dims=([-1], [1])),
             lambda x, y: torch.tensordot(x, y, dims=([-1], [1])), a, b)
    check_op(lambda x, y: ember.tensordot(x, y, dims=[[1], [0]]),
             lambda x, y: torch.tensordot(x, y, dims=[[1], [0]]), randn(2, 1), randn(3, 2))
    check_op(lambda x, y: ember.tensordot(x, y, dims=ember.tensor(1)),
             lambda x, y: torch.tensordot(x, y, dims=torch.tensor(1)), randn(2, 3), randn(3, 2))
    e = ember.ones
    check_error(lambda: ember.tensordot(e(2, 3, 4), e(3, 4, 5), dims=([1], [1])), RuntimeError,
                "contracted dimensions need to match, but first has size 3 in dim 1 and second "
                "has size 4 in dim 1")
    check_error(lambda: ember.tensordot(e(2, 3, 4), e(3, 4, 5), dims=([1, 2], [0])),
                RuntimeError, "both dimension lists should have same length")
    check_error(lambda: ember.tensordot(e(2, 3), e(3, 4), dims=-1), RuntimeError,
                "tensordot expects dims >= 0, but got dims=-1")
    check_error(lambda: ember.tensordot(e(2, 3), e(3, 4), dims=3), RuntimeError,
                "tensordot expects dims < ndim_a or ndim_b, but got dims=3")
    check_error(lambda: ember.tensordot(e(2, 3), e(3, 4, dtype=ember.float64), dims=1),
                RuntimeError, "both inputs should have same dtype")
    check_error(lambda: ember.tensordot(e(2, 3, 3), e(3, 3, 5), dims=([1, 1], [0, 1])),
                RuntimeError, "dim 1 appears multiple times in the list of dims")


# -- torch.linalg ---------------------------------------------------------------------------

def _well_conditioned(*shape):
    n = shape[-1]
    return randn(*shape) + 3 * np.eye(n)


SINGULAR = np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1.0, 0.0, 1.0]])


@pytest.mark.parametrize("shape", [(3, 3), (2, 2, 2), (1, 1)])
def test_inv_det_slogdet(shape):
    a = _well_conditioned(*shape)
    check_op(ember.linalg.inv, torch.linalg.inv, a, gradgradcheck=True)
    check_op(ember.linalg.det, torch.linalg.det, a, gradgradcheck=True)
    check_op(lambda x: ember.linalg.slogdet(x)[1], lambda x: torch.linalg.slogdet(x)[1], a,
             gradgradcheck=True)
    check_op(lambda x: tuple(ember.linalg.slogdet(x)), lambda x: tuple(torch.linalg.slogdet(x)),
             -a)


def test_inv_det_forms():
    a = _well_conditioned(3, 3)
    check_op(lambda x: x.t().inverse(), lambda x: x.t().inverse(), a)
    check_op(lambda x: ember.det(x.mT), lambda x: torch.det(x.mT), a)
    check_op(lambda x: x.det(), lambda x: x.det(), _well_conditioned(2, 3, 3))
    check_op(ember.logdet, torch.logdet, a @ a.T)
    check_op(lambda x: ember.logdet(x), lambda x: torch.logdet(x), -np.eye(3), grad=False)
    r = ember.linalg.slogdet(ember.tensor(-np.eye(3)))
    assert r.sign.item() == -1 and r.logabsdet.item() == 0
    check_op(ember.linalg.inv, torch.linalg.inv, a.astype(np.float32), rtol=1e-4, atol=1e-5)
    check_op(ember.linalg.inv, torch.linalg.inv, randn(0, 2, 2))
    check_op(ember.linalg.det, torch.linalg.det, randn(0, 0), grad=False)
    # det at a singular matrix: value 0 and the gradient is the cofactor matrix (PyTorch 2.13
    # returns 0 there, which finite differences contradict: compare with gradcheck instead)
    check_op(ember.linalg.det, torch.linalg.det, SINGULAR, grad=False)
    s = ember.tensor(np.stack([SINGULAR, np.eye(3)]), requires_grad=True)
    assert ember.autograd.gradcheck(ember.linalg.det, (s,))


def test_inv_det_errors():
    inv = ember.linalg.inv
    assert issubclass(ember.linalg.LinAlgError, RuntimeError)
    check_error(lambda: inv(ember.tensor(SINGULAR)), ember.linalg.LinAlgError,
                "linalg.inv: The diagonal element 3 is zero, the inversion could not be completed "
                "because the input matrix is singular.")
    check_error(lambda: inv(ember.zeros(3, 3)), ember.linalg.LinAlgError,
                "The diagonal element 1 is zero")
    batch = ember.tensor(np.stack([np.eye(3), SINGULAR, SINGULAR]))
    check_error(lambda: inv(batch), ember.linalg.LinAlgError,
                "linalg.inv: (Batch element 1): The diagonal element 3 is zero")
    check_error(lambda: inv(ember.ones(2, 3)), RuntimeError,
                "linalg.inv: A must be batches of square matrices, but they are 2 by 3 matrices")
    check_error(lambda: inv(ember.ones(3)), RuntimeError,
                "linalg.inv: The input tensor A must have at least 2 dimensions.")
    check_error(lambda: inv(ember.ones(3, 3, dtype=ember.int64)), RuntimeError,
                "linalg.inv: Expected a floating point or complex tensor as input. Got Long")
    check_error(lambda: inv(ember.ones(3, 3, dtype=ember.float16)), RuntimeError,
                "linalg.inv: Low precision dtypes not supported. Got Half")
    check_error(lambda: ember.linalg.det(ember.ones(3, 3, dtype=ember.float16)),
                NotImplementedError, "\"lu_cpu\" not implemented for 'Half'")
    check_error(lambda: ember.linalg.det(ember.ones(2, 3)), RuntimeError,
                "linalg.det: A must be batches of square matrices, but they are 2 by 3 matrices")
    check_error(lambda: ember.linalg.slogdet(ember.ones(3, 3, dtype=ember.int64)), RuntimeError,
                "linalg.slogdet: Expected a floating point or complex tensor as input. Got Long")


SOLVE_CASES = [
    ((3, 3), (3,)),            # vector
    ((3, 3), (3, 2)),          # matrix
    ((2, 3, 3), (2, 3)),       # batch of vectors (B's shape is A's without the last dim)
    ((2, 3, 3), (3,)),         # one vector for the whole batch
    ((2, 1, 2, 2), (3, 2, 1)),  # broadcast batch dims
    ((2, 2), (3, 2, 2)),       # one A for a batch of B
]


@pytest.mark.parametrize("sa,sb", SOLVE_CASES)
def test_solve(sa, sb):
    check_op(ember.linalg.solve, torch.linalg.solve, _well_conditioned(*sa), randn(*sb),
             gradgradcheck=sa == (3, 3))


def test_solve_left_and_errors():
    check_op(lambda a, b: ember.linalg.solve(a, b, left=False),
             lambda a, b: torch.linalg.solve(a, b, left=False), _well_conditioned(3, 3),
             randn(2, 3), gradgradcheck=True)
    check_op(lambda a, b: ember.linalg.solve(a.mT, b),
             lambda a, b: torch.linalg.solve(a.mT, b), _well_conditioned(3, 3), randn(3, 3))
    solve, e = ember.linalg.solve, ember.ones
    check_error(lambda: solve(ember.tensor(SINGULAR), e(3, dtype=ember.float64)),
                ember.linalg.LinAlgError,
                "torch.linalg.solve: The solver failed because the input matrix is singular.")
    batch = ember.tensor(np.stack([np.eye(3), SINGULAR]))
    check_error(lambda: solve(batch, e(2, 3, dtype=ember.float64)), ember.linalg.LinAlgError,
                "torch.linalg.solve: (Batch element 1): The solver failed because the input "
                "matrix is singular.")
    check_error(lambda: solve(e(2, 3), e(2)), RuntimeError,
                "linalg.solve: A must be batches of square matrices, but they are 2 by 3 matrices")
    check_error(lambda: solve(e(3, 3), e(4)), RuntimeError,
                "linalg.solve: Incompatible shapes of A and B for the equation AX = B (3x3 and 4x1)")
    check_error(lambda: solve(e(3, 3), e(4, 2)), RuntimeError,
                "linalg.solve: Incompatible shapes of A and B for the equation AX = B (3x3 and 4x2)")
    check_error(lambda: solve(e(3, 3), e(3), left=False), RuntimeError,
                "linalg.solve: Incompatible shapes of A and B for the equation XA = B (3x3 and 3x1)")
    check_error(lambda: solve(e(3, 3), e(3, dtype=ember.float64)), RuntimeError,
                "linalg.solve: Expected A and B to have the same dtype, but found A of type Float "
                "and B of type Double instead")
    check_error(lambda: solve(e(3, 3, dtype=ember.int64), e(3, dtype=ember.int64)),
                RuntimeError, "linalg.solve: Expected a floating point or complex tensor as "
                "input. Got Long")
    check_error(lambda: solve(e(2, 3, 3), e(4, 3, 1)), RuntimeError,
                "The size of tensor a (4) must match the size of tensor b (2) at non-singleton "
                "dimension 0")


VECTOR_ORDS = [2, 1, math.inf, -math.inf, 0, 3, 0.5, -1]


@pytest.mark.parametrize("ord", VECTOR_ORDS)
def test_vector_norm(ord):
    x = randn(3, 4)
    check_op(lambda a: ember.linalg.vector_norm(a, ord), lambda a: torch.linalg.vector_norm(a, ord),
             x, gradgradcheck=ord not in (math.inf, -math.inf, 0))
    check_op(lambda a: ember.linalg.vector_norm(a, ord, dim=-1, keepdim=True),
             lambda a: torch.linalg.vector_norm(a, ord, dim=-1, keepdim=True), x)
    check_op(lambda a: ember.linalg.vector_norm(a.t(), ord, dim=(0, 1)),
             lambda a: torch.linalg.vector_norm(a.t(), ord, dim=(0, 1)), x)


def test_vector_norm_edge_cases():
    vn, tvn = ember.linalg.vector_norm, torch.linalg.vector_norm
    # a zero vector: the gradient is 0 (not nan) for the 2-norm and p-norms
    for ord in (2, 3, 1):
        check_op(lambda a: vn(a, ord), lambda a: tvn(a, ord), np.zeros(3), gradcheck=False)
    # ties at the max share the gradient
    check_op(lambda a: vn(a, math.inf), lambda a: tvn(a, math.inf), np.array([3.0, -3.0, 1.0]),
             gradcheck=False)
    check_op(lambda a: vn(a), lambda a: tvn(a), np.array(-3.0))
    check_op(lambda a: vn(a, 1, dim=0), lambda a: tvn(a, 1, dim=0), np.array(-3.0))
    check_op(lambda a: vn(a), lambda a: tvn(a), randn(0, 3), gradcheck=False)
    check_op(lambda a: vn(a, 2, dim=1), lambda a: tvn(a, 2, dim=1), randn(2, 0))
    check_op(lambda a: vn(a, dtype=ember.float64), lambda a: tvn(a, dtype=torch.float64),
             randn(3, dtype=np.float32))
    check_op(lambda a: vn(a), lambda a: tvn(a), randn(4, dtype=np.float16), rtol=1e-3,
             atol=1e-3, gradcheck=False)
    check_error(lambda: vn(ember.arange(3)), RuntimeError,
                "linalg.vector_norm: Expected a floating point or complex tensor as input. Got "
                "Long")
    check_error(lambda: vn(ember.ones(0), math.inf), RuntimeError,
                "linalg.vector_norm cannot compute the inf norm on an empty tensor because the "
                "operation does not have an identity")
    check_error(lambda: vn(ember.ones(0), -1), RuntimeError, "compute the -1 norm on an empty")
    check_error(lambda: vn(ember.ones(3, dtype=ember.float64), dtype=ember.float32),
                RuntimeError, "linalg.vector_norm: the dtype of the input (Double) should be "
                "convertible without narrowing to the specified dtype (Float)")
    check_error(lambda: vn(ember.ones(3, 3), dim=(0, 0)), RuntimeError,
                "dim 0 appears multiple times in the list of dims")
    check_error(lambda: vn(ember.ones(3, 3), dim=2), IndexError,
                "Dimension out of range (expected to be in range of [-2, 1], but got 2)")
    check_error(lambda: vn(ember.ones(3), "fro"), TypeError,
                "linalg_vector_norm(): argument 'ord' must be Number, not str")


@pytest.mark.parametrize("ord", ["fro", 1, -1, math.inf, -math.inf, 2, -2, "nuc"])
def test_matrix_norm(ord):
    x = randn(3, 4)
    check_op(lambda a: ember.linalg.matrix_norm(a, ord), lambda a: torch.linalg.matrix_norm(
        a, ord), x, gradgradcheck=ord == "fro")
    check_op(lambda a: ember.linalg.matrix_norm(a, ord, dim=(2, 0), keepdim=True),
             lambda a: torch.linalg.matrix_norm(a, ord, dim=(2, 0), keepdim=True), randn(3, 2, 4))
    check_op(lambda a: ember.linalg.norm(a, ord), lambda a: torch.linalg.norm(a, ord), x)


def test_norm_dispatch_and_errors():
    x = randn(2, 3, 4)
    for kw in [{}, {"dim": 1}, {"dim": (0, 2)}, {"ord": 1, "dim": -1}, {"ord": 2, "dim": (0, 1)},
               {"keepdim": True}, {"ord": "nuc", "dim": (1, 2)}]:
        check_op(lambda a: ember.linalg.norm(a, **kw), lambda a: torch.linalg.norm(a, **kw), x)
    check_op(lambda a: ember.linalg.norm(a, 3), lambda a: torch.linalg.norm(a, 3), randn(5))
    mn = ember.linalg.matrix_norm
    check_op(lambda a: mn(a, math.inf), lambda a: torch.linalg.matrix_norm(a, math.inf),
             randn(0, 3), grad=False)
    check_op(lambda a: mn(a, 1), lambda a: torch.linalg.matrix_norm(a, 1), randn(3, 0),
             grad=False)
    check_op(lambda a: mn(a, 2), lambda a: torch.linalg.matrix_norm(a, 2), randn(0, 3),
             grad=False)
    check_error(lambda: mn(ember.ones(3, 0), -1), IndexError,
                "amin(): Expected reduction dim 0 to have non-zero size.")
    check_error(lambda: mn(ember.ones(3)), RuntimeError,
                "linalg.matrix_norm: The input tensor A must have at least 2 dimensions.")
    check_error(lambda: mn(ember.ones(3, 3), 3), RuntimeError,
                "linalg.matrix_norm: Order 3 not supported.")
    check_error(lambda: mn(ember.ones(3, 3), dim=(0, 0)), RuntimeError,
                "linalg.matrix_norm: dims must be different. Got (0, 0)")
    check_error(lambda: mn(ember.ones(2, 3, 4), dim=(0, 1, 2)), RuntimeError,
                "linalg.matrix_norm: dim must be a 2-tuple. Got 0 1 2")
    check_error(lambda: mn(ember.ones(3, 3, dtype=ember.int64)), RuntimeError,
                "linalg.matrix_norm: Expected a floating point or complex tensor as input. Got "
                "Long")
    norm = ember.linalg.norm
    check_error(lambda: norm(ember.ones(3, 3, 3), 2), RuntimeError,
                "linalg.norm: If dim is not specified but ord is, the input must be 1D or 2D. "
                "Got 3D.")
    check_error(lambda: norm(ember.ones(3, 3, 3), dim=(0, 1, 2)), RuntimeError,
                "linalg.norm: If dim is specified, it must be of length 1 or 2. Got [0, 1, 2]")
    check_error(lambda: norm(ember.ones(3, 3), "fro", dim=1), RuntimeError,
                "linalg.matrix_norm: dim must be a 2-tuple. Got 1")
    check_error(lambda: norm(ember.ones(3, 3), "abc"), RuntimeError,
                "linalg.matrix_norm: Order abc not supported.")
    check_error(lambda: mn(ember.ones(3, 3, dtype=ember.float16), "nuc"), RuntimeError,
                "linalg.matrix_norm: Low precision dtypes not supported. Got Half")
    check_error(lambda: norm(ember.ones(3), "fro"), RuntimeError,
                "linalg.matrix_norm: The input tensor A must have at least 2 dimensions.")
    check_error(lambda: norm(ember.arange(3)), RuntimeError,
                "linalg.vector_norm: Expected a floating point or complex tensor as input. Got "
                "Long")


def test_svdvals_and_double_backward_refusal():
    check_op(ember.linalg.svdvals, torch.linalg.svdvals, randn(2, 3, 2))
    x = ember.tensor(randn(3, 3), requires_grad=True)
    (g,) = ember.autograd.grad(ember.linalg.matrix_norm(x, "nuc"), x, create_graph=True)
    check_error(lambda: g.sum().backward(), RuntimeError,
                "double backward through singular values")


# -- dist, cdist, trace ------------------------------------------------------------------------------
INF = float("inf")




MODES = ["use_mm_for_euclid_dist_if_necessary", "use_mm_for_euclid_dist",
         "donot_use_mm_for_euclid_dist"]


@pytest.mark.parametrize("p", [0, 0.5, 1, 1.5, 2, 3, INF, -INF, -1])
def test_dist(p):
    check_op(lambda a, b: ember.dist(a, b, p), lambda a, b: torch.dist(a, b, p),
             randn(3, 4), randn(4), grad=p != 0,   # torch's p=0 backward raises
             gradgradcheck=p not in (0, INF, -INF))


def test_dist_dtypes_and_forms():
    check_op(lambda a, b: a.dist(b), lambda a, b: a.dist(b), randn(2, 3, dtype=np.float32),
             randn(2, 3))
    check_op(lambda a, b: ember.dist(a, b), lambda a, b: torch.dist(a, b), randn(), randn())
    check_op(lambda a, b: ember.dist(a, b, True), lambda a, b: torch.dist(a, b, True),
         randn(3), randn(3), grad=False)
    z = np.zeros(3)
    for p in (0.5, 2, 3):   # a zero distance has a zero (not nan) gradient
        check_op(lambda a, b: ember.dist(a, b, p), lambda a, b: torch.dist(a, b, p), z, z,
                 gradcheck=False)
    check_op(lambda a, b: ember.dist(a, b), lambda a, b: torch.dist(a, b), randn(0, 2), randn(2), grad=False)


def test_dist_errors():
    a = ember.ones(3)
    check_error(lambda: ember.dist(ember.arange(2), ember.arange(2)), RuntimeError,
                "norm(): input dtype should be either floating point or complex. Got Long")
    check_error(lambda: ember.dist(a, 2.0), TypeError,
                "dist(): argument 'other' (position 2) must be Tensor, not float")
    check_error(lambda: ember.dist(a, a, "fro"), TypeError,
                "dist(): argument 'p' (position 3) must be Number, not str")
    check_error(lambda: ember.dist(a, ember.ones(4)), RuntimeError,
                "The size of tensor a (3) must match the size of tensor b (4)")
    check_error(lambda: ember.dist(ember.ones(0), ember.ones(0), INF), RuntimeError,
                "cannot compute the inf norm on an empty tensor")


@pytest.mark.parametrize("p", [0, 0.5, 1, 1.5, 2, 3, INF])
def test_cdist(p):
    def run(lib):
        return lambda a, b: lib.cdist(a, b, p=p)
    check_op(run(ember), run(torch), randn(2, 3, 4), randn(2, 5, 4), gradgradcheck=p != 0)
    check_op(run(ember), run(torch), randn(3, 2), randn(4, 2), gradcheck=False)
    check_op(run(ember), run(torch), randn(2, 1, 3, 4), randn(5, 4), gradcheck=False)


@pytest.mark.parametrize("mode", MODES)
def test_cdist_modes(mode):
    def run(lib, p=2.0):
        return lambda a, b: lib.cdist(a, b, p, compute_mode=mode)
    check_op(run(ember), run(torch), randn(30, 3), randn(4, 3), gradgradcheck=True)
    check_op(run(ember), run(torch), randn(2, 3, dtype=np.float32),
             randn(4, 3, dtype=np.float32), gradcheck=False, rtol=1e-5, atol=1e-5)
    # coincident points: distance 0, gradient 0 (not nan), as torch
    pts = np.array([[0.0, 0.0], [1.0, 1.0], [2.0, -1.0]])
    for p in (0.5, 1.0, 2.0, 3.0, INF):
        check_op(run(ember, p), run(torch, p), pts, pts.copy(), gradcheck=False)


def test_cdist_empty_and_errors():
    for sa, sb in (((0, 4), (3, 4)), ((2, 0), (3, 0)), ((0, 2, 4), (0, 3, 4))):
        check_op(lambda a, b: ember.cdist(a, b), lambda a, b: torch.cdist(a, b), randn(*sa),
             randn(*sb), grad=False)
    a, b = ember.randn(2, 3, 4, dtype=ember.float64), ember.randn(2, 5, 4, dtype=ember.float64)
    check_error(lambda: ember.cdist(a.long(), b.long()), RuntimeError,
                "cdist only supports floating-point dtypes, X1 got: Long")
    check_error(lambda: ember.cdist(a.float(), b), RuntimeError,
                "expected scalar type Float but found Double")
    check_error(lambda: ember.cdist(a, b[..., :3]), RuntimeError,
                "X1 and X2 must have the same number of columns. X1: 4 X2: 3")
    check_error(lambda: ember.cdist(a[0, 0], b[0]), RuntimeError,
                "cdist only supports at least 2D tensors, X1 got: 1D")
    check_error(lambda: ember.cdist(a, b, p=-1), RuntimeError,
                "cdist only supports non-negative p values")
    check_error(lambda: ember.cdist(a, b, compute_mode="foo"), ValueError,
                "foo is not a valid value for compute_mode")
    check_error(lambda: ember.cdist(a, ember.randn(3, 5, 4, dtype=ember.float64)), RuntimeError,
                "The size of tensor a (2) must match the size of tensor b (3) at non-singleton "
                "dimension 0")


def test_trace():
    check_op(ember.trace, torch.trace, randn(3, 4), gradgradcheck=True)
    check_op(lambda a: a.t().trace(), lambda a: a.t().trace(), randn(3, 2), gradgradcheck=True)
    check_op(ember.trace, torch.trace, randn(0, 3, dtype=np.float32))
    for dt in (np.int64, np.int32, np.uint8):
        check_op(ember.trace, torch.trace, np.arange(6).reshape(2, 3).astype(dt), grad=False)
    check_error(lambda: ember.trace(ember.ones(3)), RuntimeError,
                "trace: expected a matrix, but got tensor with dim 1")
    check_error(lambda: ember.trace(ember.tensor(1.0)), RuntimeError,
                "trace: expected a matrix, but got tensor with dim 0")
    check_error(lambda: ember.trace(ember.ones(2, 2, dtype=ember.bool)), NotImplementedError,
                "\"trace\" not implemented for 'Bool'")


# -- cross, inner, matrix_power ----------------------------------------------------------------------
def T(x):
    return ember.tensor(np.asarray(x))


@pytest.mark.parametrize("sa, sb, dim", [((3,), (3,), 0), ((4, 3), (1, 3), 1), ((3, 2), (3, 2), -2),
                                         ((2, 3, 3), (2, 3, 3), 1)])
def test_cross(sa, sb, dim):
    check_op(lambda a, b: ember.cross(a, b, dim), lambda a, b: torch.cross(a, b, dim),
             randn(*sa), randn(*sb), gradgradcheck=True)
    check_op(lambda a, b: a.cross(b, dim=dim), lambda a, b: a.cross(b, dim=dim),
             np.arange(int(np.prod(sa))).reshape(sa), np.ones(sb, np.int64))


def test_cross_default_dim_and_errors():
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        check_op(ember.cross, lambda a, b: torch.linalg.cross(a, b, dim=0), randn(3, 3), randn(3, 3))
    assert any("Using torch.cross without specifying the dim arg is deprecated" in str(x.message)
               for x in w)
    a2 = T(np.ones((2, 2)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check_error(lambda: ember.cross(a2, a2), RuntimeError, "no dimension of size 3 in input")
    check_error(lambda: ember.cross(a2, a2, dim=1), RuntimeError,
                "linalg.cross: inputs dimension 1 must have length 3. Got 2 and 2")
    check_error(lambda: ember.cross(T(np.ones((3, 2))), T(np.ones(3)), dim=0), RuntimeError,
                "linalg.cross: inputs must have the same number of dimensions.")
    check_error(lambda: ember.cross(T(np.ones((4, 3))), T(np.ones((2, 3))), dim=1), RuntimeError,
                "The size of tensor a (4) must match the size of tensor b (2) at non-singleton "
                "dimension 0")
    check_error(lambda: ember.cross(T(np.ones(3, np.float32)), T(np.ones(3)), dim=0), RuntimeError,
                "expected scalar type Float but found Double")


@pytest.mark.parametrize("sa, sb", [((3,), (3,)), ((2, 3), (4, 3)), ((2, 1, 3), (3,)), ((), (2, 3)),
                                    ((2, 0), (3, 0))])
def test_inner(sa, sb):
    check_op(ember.inner, torch.inner, randn(*sa), randn(*sb), gradgradcheck=True)


def test_inner_errors():
    check_error(lambda: ember.inner(T(np.ones((2, 3))), T(np.ones((2, 4)))), RuntimeError,
                "inner() the last dimension must match on both input tensors but got shapes [2, 3] "
                "and [2, 4]")
    check_op(lambda a, b: a.inner(b), lambda a, b: a.inner(b), np.arange(6).reshape(2, 3),
             np.arange(3))


@pytest.mark.parametrize("n", [0, 1, 2, 3, 5, -1, -2])
def test_matrix_power(n):
    m = randn(2, 3, 3) + 3 * np.eye(3)
    check_op(lambda a: ember.matrix_power(a, n), lambda a: torch.matrix_power(a, n), m,
             gradgradcheck=n in (2, -1), rtol=1e-5, atol=1e-5)
    check_op(lambda a: a.matrix_power(n), lambda a: a.matrix_power(n), m[0].astype(np.float32),
             rtol=1e-4, atol=1e-4, gradcheck=False)


def test_matrix_power_int_copy_errors():
    for n in (0, 1, 3):
        check_op(lambda a: ember.matrix_power(a, n), lambda a: torch.matrix_power(a, n),
                 np.arange(4).reshape(2, 2))
    x = to_ember(randn(2, 2))
    assert ember.matrix_power(x, 1)._base is None
    check_error(lambda: ember.matrix_power(T(np.ones((2, 3))), 2), RuntimeError,
                "linalg.matrix_power: A must be batches of square matrices, but they are 2 by 3 "
                "matrices")
    check_error(lambda: ember.matrix_power(T(np.ones(3)), 2), RuntimeError,
                "linalg.matrix_power: The input tensor A must have at least 2 dimensions.")


# -- torch.linalg aliases ----------------------------------------------------------------------------
RNG = np.random.default_rng(3)


def test_linalg_cross_and_matrix_power_aliases():
    a, b = RNG.standard_normal((3, 2, 3)), RNG.standard_normal((3, 2, 3))
    check_op(ember.linalg.cross, torch.linalg.cross, a, b)
    m = RNG.standard_normal((3, 3))
    check_op(lambda x: ember.linalg.matrix_power(x, 3), lambda x: torch.linalg.matrix_power(x, 3), m)
