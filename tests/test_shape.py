import numpy as np
import pytest
import torch
from helpers import check_error, check_op, randn

import ember


def both(f, *inputs, **kw):
    """check_op of ``f(lib, *tensors)`` with lib = ember, then torch; gradgradcheck by default."""
    kw.setdefault("gradgradcheck", kw.get("grad", True))
    return check_op(lambda *a: f(ember, *a), lambda *a: f(torch, *a), *inputs, **kw)


def assert_view(make, shape=(3, 4)):
    """``make(base)`` is a view: writing through it changes the base and bumps the shared
    version counter, as in PyTorch."""
    base_e = ember.tensor(np.arange(np.prod(shape), dtype=np.float64).reshape(shape))
    base_t = torch.tensor(base_e.numpy().copy())
    ve, vt = make(base_e), make(base_t)
    assert vt._is_view() and ve._base is base_e
    v0 = base_e._version
    ve.add_(100)
    vt.add_(100)
    assert base_e._version == ve._version == v0 + 1
    np.testing.assert_array_equal(base_e.numpy(), base_t.numpy())


# -- the existing movement ops ---------------------------------------------------------------------
@pytest.mark.parametrize("f", [
    lambda M, a: a.view(4, 3), lambda M, a: a.view(-1), lambda M, a: a.view(2, -1, 2),
    lambda M, a: M.reshape(a, (2, 6)), lambda M, a: a.t().reshape(-1),
    lambda M, a: a.permute(1, 0), lambda M, a: M.permute(a, (-1, 0)),
    lambda M, a: a.transpose(0, -1), lambda M, a: M.swapaxes(a, 0, 1), lambda M, a: a.swapdims(1, 0),
    lambda M, a: a.t(), lambda M, a: a.T, lambda M, a: a.mT, lambda M, a: a.unsqueeze(-1),
    lambda M, a: a.unsqueeze(0).squeeze(), lambda M, a: a.view(3, 1, 4).squeeze(-2),
    lambda M, a: a.flatten(), lambda M, a: a.view(3, 2, 2).flatten(1), lambda M, a: M.ravel(a.t()),
    lambda M, a: a.view(1, 3, 1, 4).squeeze((0, 2)),
])
def test_movement(f):
    both(f, randn(3, 4))


@pytest.mark.parametrize("f", [lambda M, a: a.view(1), lambda M, a: a.reshape(1, 1),
                               lambda M, a: a.unsqueeze(0), lambda M, a: a.flatten(),
                               lambda M, a: a.t(), lambda M, a: a.squeeze(),
                               lambda M, a: a.permute(())])
def test_movement_0d(f):
    both(f, randn())


def test_movement_size0_and_views():
    both(lambda M, a: a.view(2, 0, 2).transpose(0, 1), randn(4, 0))
    both(lambda M, a: a.reshape(2, 0).unsqueeze(1), randn(0, 2))
    assert_view(lambda a: a.view(4, 3))
    assert_view(lambda a: a.transpose(0, 1))
    assert_view(lambda a: a.permute(1, 0))
    assert_view(lambda a: a.unsqueeze(1).squeeze(1))
    assert_view(lambda a: a.reshape(2, 6))
    assert_view(lambda a: a.flatten())


def test_view_errors():
    x = ember.zeros(3, 4)
    check_error(lambda: x.t().view(12), RuntimeError,
                "view size is not compatible with input tensor's size and stride (at least one "
                "dimension spans across two contiguous subspaces). Use .reshape(...) instead.")
    check_error(lambda: x.view(5, -1), RuntimeError, "shape '[5, -1]' is invalid for input of size 12")
    check_error(lambda: x.view(-1, -1), RuntimeError, "only one dimension can be inferred")
    check_error(lambda: x.permute(0, 0), RuntimeError, "permute(): duplicate dims are not allowed.")
    check_error(lambda: x.transpose(0, 2), IndexError,
                "Dimension out of range (expected to be in range of [-2, 1], but got 2)")
    check_error(lambda: x.flatten(1, 0), RuntimeError,
                "flatten() has invalid args: start_dim cannot come after end_dim")
    # a reshape that cannot be a view copies
    y = x.t().reshape(12)
    assert y._base is None and not np.shares_memory(y.numpy(), x.numpy())


# -- unflatten / movedim ---------------------------------------------------------------------------
def test_unflatten():
    both(lambda M, a: a.unflatten(1, (2, 2)), randn(3, 4))
    both(lambda M, a: M.unflatten(a, -1, (2, -1)), randn(3, 4))
    both(lambda M, a: a.t().unflatten(0, [2, 1, 2]), randn(3, 4))
    both(lambda M, a: a.unflatten(0, (3, 0)), randn(0, 2))
    assert_view(lambda a: a.unflatten(1, (2, 2)))
    assert_view(lambda a: a.t().unflatten(0, (2, 2)))
    x = ember.zeros(3, 4)
    check_error(lambda: x.unflatten(1, (3, -1)), RuntimeError,
                "unflatten: Provided sizes [3, -1] don't multiply up to the size of dim 1 (4) in "
                "the input tensor")
    check_error(lambda: x.unflatten(1, (2, 3)), RuntimeError,
                "unflatten: Provided sizes [2, 3] don't multiply up to the size of dim 1 (4)")
    check_error(lambda: x.unflatten(1, ()), RuntimeError, "unflatten: sizes must be non-empty")
    check_error(lambda: ember.tensor(1.0).unflatten(0, (1,)), IndexError,
                "Dimension specified as 0 but tensor has no dimensions")


@pytest.mark.parametrize("src,dst", [(0, 1), (-1, 0), ((0, 1), (2, 0)), ([2], [-3]), ((), ())])
def test_movedim(src, dst):
    both(lambda M, a: M.movedim(a, src, dst), randn(2, 3, 4))
    both(lambda M, a: a.moveaxis(src, dst), randn(2, 3, 4))


def test_movedim_views_and_errors():
    both(lambda M, a: a.t().movedim(0, 1), randn(3, 4))
    both(lambda M, a: a.movedim(0, 0), randn())
    assert_view(lambda a: a.movedim(0, 1))
    x = ember.zeros(3, 4)
    check_error(lambda: x.movedim((0, 1), (1,)), RuntimeError,
                "movedim: Invalid source or destination dims: source ([0, 1] dims) should contain "
                "the same number of dims as destination ([1] dims)")
    check_error(lambda: x.movedim((0, 0), (1, 0)), RuntimeError,
                "movedim: repeated dim in `source` ([0, 0])")
    check_error(lambda: x.movedim((0, 1), (1, 1)), RuntimeError,
                "movedim: repeated dim in `destination` ([1, 1])")
    check_error(lambda: x.movedim(2, 1), IndexError, "Dimension out of range")


# -- repeat / tile ---------------------------------------------------------------------------------
@pytest.mark.parametrize("shape,reps", [((3, 4), (2, 1)), ((3, 4), (2, 1, 3)), ((3,), (0,)),
                                        ((), ()), ((), (2, 3)), ((2, 0), (2, 2))])
def test_repeat(shape, reps):
    both(lambda M, a: a.repeat(reps), randn(*shape))
    if reps:
        both(lambda M, a: a.repeat(*reps), randn(*shape))


@pytest.mark.parametrize("shape,reps", [((3, 4), (2,)), ((3, 4), ()), ((3,), (2, 2)), ((), (3,)),
                                        ((2, 3), (2, 1, 2))])
def test_tile(shape, reps):
    both(lambda M, a: M.tile(a, reps), randn(*shape))
    both(lambda M, a: a.tile(*reps) if reps else a.tile(()), randn(*shape))


def test_repeat_variants_and_errors():
    both(lambda M, a: a.t().repeat(2, 2), randn(3, 4))
    both(lambda M, a: a.repeat(2, 2), np.arange(6).reshape(2, 3), grad=False)
    x = ember.zeros(3, 4, requires_grad=True)
    assert x.repeat(2, 1).grad_fn.name() == "RepeatBackward0"
    assert x.repeat(2, 1)._base is None
    check_error(lambda: x.repeat(2), RuntimeError,
                "Number of dimensions of repeat dims can not be smaller than number of dimensions "
                "of tensor")
    check_error(lambda: x.repeat(-1, 1), RuntimeError,
                "Trying to create tensor with negative dimension -3: [-3, 4]")


# -- narrow / slice_scatter ------------------------------------------------------------------------
@pytest.mark.parametrize("dim,start,length", [(0, 1, 2), (0, -1, 1), (1, 0, 4), (-1, 3, 0), (1, 4, 0)])
def test_narrow(dim, start, length):
    both(lambda M, a: a.narrow(dim, start, length), randn(3, 4))
    both(lambda M, a: M.narrow(a.t(), dim, start, length), randn(4, 3))


def test_narrow_views_and_errors():
    assert_view(lambda a: a.narrow(1, 1, 2))
    assert_view(lambda a: a.narrow(0, -2, 2))
    both(lambda M, a: a.narrow(0, M.tensor(1), 2), randn(3, 4))
    x = ember.zeros(3, 4, requires_grad=True)
    assert x.narrow(1, 1, 2).grad_fn.name() == "SliceBackward0"
    check_error(lambda: x.narrow(0, 4, 1), IndexError,
                "start out of range (expected to be in range of [-3, 3], but got 4)")
    check_error(lambda: x.narrow(0, -4, 1), IndexError,
                "start out of range (expected to be in range of [-3, 3], but got -4)")
    check_error(lambda: x.narrow(0, 2, 3), RuntimeError,
                "start (2) + length (3) exceeds dimension size (3).")
    check_error(lambda: x.narrow(0, 1, -1), RuntimeError, "narrow(): length must be non-negative.")
    check_error(lambda: ember.tensor(1.0).narrow(0, 0, 1), RuntimeError,
                "narrow() cannot be applied to a 0-dim tensor.")


def test_slice_scatter():
    both(lambda M, a, s: M.slice_scatter(a, s, 0, 1, 2), randn(3, 4), randn(1, 4))
    both(lambda M, a, s: M.slice_scatter(a, s, -1, 0, None, 2), randn(3, 4), randn(3, 2))
    both(lambda M, a, s: a.t().slice_scatter(s, 1), randn(3, 4), randn(4, 3))
    check_error(lambda: ember.slice_scatter(ember.zeros(3, 4), ember.ones(3), 0), RuntimeError,
                "expected src to have a size equal to the slice of self. src size = [3], slice "
                "size = [3, 4]")


# -- diagonal / diag / diagonal_scatter ------------------------------------------------------------
@pytest.mark.parametrize("shape,args", [((3, 4), ()), ((3, 4), (1,)), ((3, 4), (-2,)),
                                        ((3, 4), (5,)), ((3, 4), (-5,)), ((3, 4), (1, 1, 0)),
                                        ((2, 3, 4), (1, -1, 0)), ((2, 3, 4), (0, 2, 1)),
                                        ((0, 3), ()), ((2, 3, 4), (-1, 0, 2))])
def test_diagonal(shape, args):
    both(lambda M, a: a.diagonal(*args), randn(*shape))
    both(lambda M, a: M.diagonal(a.transpose(0, -1), *args), randn(*shape[::-1]))


def test_diagonal_views_and_errors():
    assert_view(lambda a: a.diagonal())
    assert_view(lambda a: a.diagonal(1, 1, 0))
    assert_view(lambda a: a.t().diagonal(-1))
    assert_view(lambda a: a.diagonal(0, 0, 2), shape=(3, 2, 4))
    check_error(lambda: ember.zeros(3, 4).diagonal(0, 0, 0), RuntimeError,
                "diagonal dimensions cannot be identical 0, 0")
    check_error(lambda: ember.zeros(3).diagonal(), IndexError,
                "Dimension out of range (expected to be in range of [-1, 0], but got 1)")


@pytest.mark.parametrize("shape,k", [((3, 4), 0), ((3, 4), 1), ((4, 3), -2), ((3,), 0), ((3,), -1),
                                     ((2,), 2), ((0,), 0), ((3, 4), 7)])
def test_diag(shape, k):
    both(lambda M, a: M.diag(a, k), randn(*shape))
    both(lambda M, a: a.diag(k), np.arange(int(np.prod(shape))).reshape(shape), grad=False)


def test_diag_errors_and_copy():
    x = ember.zeros(3, 4)
    d = x.diag()
    d.add_(1)
    assert x.sum().item() == 0   # diag of a matrix is a copy
    check_error(lambda: ember.zeros(2, 3, 4).diag(), RuntimeError,
                "diag(): Supports 1D or 2D tensors. Got 3D")
    check_error(lambda: ember.tensor(1.0).diag(), RuntimeError,
                "diag(): Supports 1D or 2D tensors. Got 0D")


def test_diagonal_scatter():
    both(lambda M, a, s: M.diagonal_scatter(a, s), randn(3, 4), randn(3))
    both(lambda M, a, s: M.diagonal_scatter(a, s, 1), randn(3, 4), randn(3))
    both(lambda M, a, s: a.diagonal_scatter(s, -1, 2, 0), randn(2, 3, 4), randn(3, 2))
    check_error(lambda: ember.diagonal_scatter(ember.zeros(3, 4), ember.ones(2)), RuntimeError,
                "expected src to have a size equal to the slice of self. src size = [2], slice "
                "size = [3]")


def test_inplace_through_diagonal_view():
    a0 = randn(3, 3)
    grads = []
    for M in (ember, torch):
        a = M.tensor(a0, requires_grad=True)
        x = a.clone()
        x.diagonal().mul_(3)
        (x * x).sum().backward()
        grads.append(a.grad.numpy())
    np.testing.assert_allclose(*grads)


# -- tril / triu / flip / roll / rot90 -------------------------------------------------------------
@pytest.mark.parametrize("shape,k", [((3, 4), 0), ((3, 4), 1), ((3, 4), -2), ((2, 3, 4), 1),
                                     ((0, 3), 0), ((3, 4), 9)])
def test_tril_triu(shape, k):
    both(lambda M, a: M.tril(a, k), randn(*shape))
    both(lambda M, a: a.triu(k), randn(*shape))
    both(lambda M, a: a.mT.triu(diagonal=k), randn(*shape))
    both(lambda M, a: a.tril(k), (randn(*shape) > 0), grad=False)


def test_tril_inplace_and_errors():
    x, t = ember.ones(3, 3), torch.ones(3, 3)
    x.tril_(-1)
    t.tril_(-1)
    x.triu_()
    t.triu_()
    assert x.tolist() == t.tolist()
    check_error(lambda: ember.ones(3).tril(), RuntimeError,
                "tril: input tensor must have at least 2 dimensions")
    check_error(lambda: ember.ones(3).triu(), RuntimeError,
                "triu: input tensor must have at least 2 dimensions")


@pytest.mark.parametrize("dims", [(0,), (1,), (0, 1), (-1,), ()])
def test_flip(dims):
    both(lambda M, a: M.flip(a, dims), randn(3, 4))
    both(lambda M, a: a.t().flip(dims), randn(3, 4))
    if dims:
        both(lambda M, a: a.t().flip(*dims), randn(3, 4))


def test_flip_variants_and_errors():
    both(lambda M, a: a.flip(0), randn())
    both(lambda M, a: a.flip(0), randn(0, 2))
    both(lambda M, a: a.fliplr(), randn(3, 4))
    both(lambda M, a: M.flipud(a), randn(3, 4))
    both(lambda M, a: a.flip(1), np.arange(6).reshape(2, 3), grad=False)
    x = ember.zeros(3, 4, requires_grad=True)
    y = x.flip(0)
    assert y._base is None and y.grad_fn.name() == "FlipBackward0"
    check_error(lambda: x.flip((0, 0)), RuntimeError, "dim 0 appears multiple times in the list of dims")
    check_error(lambda: ember.ones(3).fliplr(), RuntimeError, "Input must be >= 2-d.")
    check_error(lambda: ember.tensor(1.0).flipud(), RuntimeError, "Input must be >= 1-d.")


@pytest.mark.parametrize("shifts,dims", [(1, None), (-5, None), (1, 0), (2, -1), ((1, 2), (0, 1)),
                                         ((3,), (1,)), ((1, 1), (0, 0))])
def test_roll(shifts, dims):
    both(lambda M, a: M.roll(a, shifts, dims), randn(3, 4))
    both(lambda M, a: a.t().roll(shifts, dims), randn(4, 3))


def test_roll_variants_and_errors():
    both(lambda M, a: a.roll(1), randn())
    both(lambda M, a: a.roll(1, 0), randn(0, 3))
    both(lambda M, a: a.roll(2, 1), np.arange(6).reshape(2, 3), grad=False)
    x = ember.zeros(3, 4)
    check_error(lambda: x.roll((1, 2), (0,)), RuntimeError,
                "shifts and dimensions must align. shifts: 2, dims:1")
    check_error(lambda: x.roll((1, 2)), RuntimeError,
                "shifts and dimensions must align. shifts: 2, dims:0")
    check_error(lambda: x.roll((), ()), RuntimeError, "`shifts` required")
    check_error(lambda: x.roll(1, 2), IndexError, "Dimension out of range")
    check_error(lambda: ember.tensor(1.0).roll(1, 0), IndexError,
                "Dimension specified as 0 but tensor has no dimensions")


@pytest.mark.parametrize("k,dims", [(1, (0, 1)), (2, (0, 1)), (3, (1, 0)), (-1, (0, 2)), (4, (0, 1))])
def test_rot90(k, dims):
    both(lambda M, a: M.rot90(a, k, dims), randn(2, 3, 4))


def test_rot90_errors():
    x = ember.zeros(3, 4)
    check_error(lambda: x.rot90(2, (0, 0)), RuntimeError,
                "expected rotation dims to be different, but got dim0 = 0 and dim1 = 0")
    check_error(lambda: x.rot90(1, (0,)), RuntimeError,
                "expected total rotation dims == 2, but got dims = 1")
    check_error(lambda: ember.zeros(3).rot90(), RuntimeError,
                "expected total dims >= 2, but got total dims = 1")
