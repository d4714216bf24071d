import numpy as np
import pytest
import torch
from helpers import check_error, check_op, randn

import ember


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_cat(dim):
    f = lambda a, b, c: torch.cat([a, b, c], dim) if isinstance(a, torch.Tensor) \
        else ember.cat([a, b, c], dim)  # noqa: E731
    shapes = {0: [(2, 3), (1, 3), (4, 3)], 1: [(2, 1), (2, 3), (2, 2)], -1: [(2, 1), (2, 3), (2, 2)]}
    check_op(f, f, *[randn(*s) for s in shapes[dim]], gradgradcheck=True)


def test_cat_promotes_and_skips_legacy_empty():
    f = lambda a, b: (torch if isinstance(a, torch.Tensor) else ember).cat([a, b])  # noqa: E731
    check_op(f, f, randn(2).astype(np.int64), randn(3).astype(np.float32), grad=False)
    check_op(f, f, randn(0), randn(2, 3), gradgradcheck=True)
    check_op(f, f, randn(0, 3), randn(2, 3))
    check_op(lambda a: ember.concat([a.t(), a.t()], 1), lambda a: torch.concat([a.t(), a.t()], 1),
             randn(3, 2))


@pytest.mark.parametrize("dim", [0, 1, 2, -1])
def test_stack(dim):
    f = lambda a, b: (torch if isinstance(a, torch.Tensor) else ember).stack([a, b], dim)  # noqa
    check_op(f, f, randn(2, 3), randn(2, 3), gradgradcheck=True)


@pytest.mark.parametrize("name", ["hstack", "vstack", "dstack"])
@pytest.mark.parametrize("shape", [(3,), (2, 3), (2, 3, 1), ()])
def test_hvdstack(name, shape):
    f = lambda a, b: getattr(torch if isinstance(a, torch.Tensor) else ember, name)([a, b])  # noqa
    check_op(f, f, randn(*shape), randn(*shape))


def test_unbind_split_chunk():
    a = randn(5, 4)
    for dim in (0, 1, -1):
        check_op(lambda x: x.unbind(dim), lambda x: x.unbind(dim), a, gradgradcheck=True)
    for args in [(2,), (2, 1), ([1, 3, 1],), ([4], 1), (10,), (3, -1)]:
        check_op(lambda x: x.split(*args), lambda x: x.split(*args), a, gradgradcheck=True)
    for args in [(2,), (3,), (4, 1), (5,), (3, -1)]:
        check_op(lambda x: x.chunk(*args), lambda x: x.chunk(*args), a, gradgradcheck=True)
    # only some pieces used: the rest get zero gradient
    check_op(lambda x: x.split(2)[1] * 2, lambda x: x.split(2)[1] * 2, a)
    check_op(lambda x: ember.unbind(x)[0], lambda x: torch.unbind(x)[0], a)


def test_split_empty_and_views():
    assert [tuple(p.shape) for p in ember.zeros(0).chunk(3)] == [(0,)] * 3
    assert [tuple(p.shape) for p in ember.zeros(0).split(2)] == [(0,)]
    x = ember.zeros(4, 2)
    a, b = x.split(2)
    b.fill_(1)
    assert x[2:].sum().item() == 4 and x._version == b._version
    r = x.unbind(1)
    assert np.shares_memory(r[0].numpy(), x.numpy())


def test_join_errors():
    check_error(lambda: ember.cat([]), ValueError, "expected a non-empty list of Tensors")
    check_error(lambda: ember.cat([ember.zeros(2, 3), ember.zeros(2, 4)]), RuntimeError,
                "Sizes of tensors must match except in dimension 0. Expected size 3 but got size 4 "
                "for tensor number 1 in the list.")
    check_error(lambda: ember.cat([ember.zeros(2, 3), ember.zeros(3)]), RuntimeError,
                "Tensors must have same number of dimensions: got 2 and 1")
    check_error(lambda: ember.cat([ember.tensor(1.0)]), RuntimeError,
                "zero-dimensional tensor (at position 0) cannot be concatenated")
    check_error(lambda: ember.cat(ember.zeros(2)), TypeError, "must be tuple of Tensors")
    check_error(lambda: ember.cat([ember.zeros(2)], 2), IndexError, "Dimension out of range")
    check_error(lambda: ember.stack([ember.zeros(2, 3), ember.zeros(2, 4)]), RuntimeError,
                "stack expects each tensor to be equal size, but got [2, 3] at entry 0 and [2, 4] "
                "at entry 1")
    check_error(lambda: ember.stack([]), RuntimeError, "stack expects a non-empty TensorList")
    check_error(lambda: ember.zeros(3).split([1, 1]), RuntimeError,
                "split_with_sizes expects split_sizes to sum exactly to 3")
    check_error(lambda: ember.zeros(3).split(0), RuntimeError,
                "split_size can only be 0 if dimension size is 0")
    check_error(lambda: ember.zeros(3).chunk(0), RuntimeError, "chunk expects `chunks` to be greater")


# -- column_stack / row_stack, block_diag, cartesian_prod, kron --------------------------------------
def T(x):
    return ember.tensor(np.asarray(x))


def test_column_row_stack():
    check_op(lambda a, b, c: ember.column_stack([a, b, c]),
             lambda a, b, c: torch.column_stack([a, b, c]), randn(2), randn(2, 3), randn(2, 1))
    check_op(lambda a, b: ember.column_stack((a, b)), lambda a, b: torch.column_stack((a, b)),
             randn(), randn())
    check_op(lambda a, b: ember.row_stack([a, b]), lambda a, b: torch.row_stack([a, b]),
             randn(3), randn(2, 3))
    check_error(lambda: ember.column_stack([]), RuntimeError,
                "column_stack expects a non-empty TensorList")


def test_block_diag():
    check_op(lambda a, b, c: ember.block_diag(a, b, c), lambda a, b, c: torch.block_diag(a, b, c),
             randn(), randn(2), randn(2, 3), gradgradcheck=True)
    check_op(lambda a, b: ember.block_diag(a, b), lambda a, b: torch.block_diag(a, b),
             np.arange(3), randn(2, 2).astype(np.float32))
    check_op(lambda a: ember.block_diag(a, a), lambda a: torch.block_diag(a, a), randn(0, 2))
    check_op(lambda: ember.block_diag(), lambda: torch.block_diag())
    check_error(lambda: ember.block_diag(T(np.ones((1, 2, 2)))), RuntimeError,
                "torch.block_diag: Input tensors must have 2 or fewer dimensions. Input 0 has 3 "
                "dimensions")


def test_cartesian_prod():
    check_op(lambda a, b, c: ember.cartesian_prod(a, b, c),
             lambda a, b, c: torch.cartesian_prod(a, b, c), randn(2), randn(3), randn(1),
             gradgradcheck=True)
    check_op(lambda a: ember.cartesian_prod(a), lambda a: torch.cartesian_prod(a), np.arange(3))
    check_error(lambda: ember.cartesian_prod(T(np.ones((2, 2)))), RuntimeError,
                "Expect a 1D vector, but got shape [2, 2]")
    check_error(lambda: ember.cartesian_prod(T(np.ones(2)), T(np.arange(2))), RuntimeError,
                "meshgrid expects all tensors to have the same dtype")


@pytest.mark.parametrize("sa, sb", [((2, 3), (3, 2)), ((2,), (2, 3)), ((2, 1, 2), (3,)), ((), (2,)),
                                    ((0, 2), (2, 2))])
def test_kron(sa, sb):
    check_op(ember.kron, torch.kron, randn(*sa), randn(*sb), gradgradcheck=True)
    check_op(lambda a, b: a.kron(b), lambda a, b: a.kron(b), randn(*sa), np.arange(int(np.prod(sb)))
             .reshape(sb))
