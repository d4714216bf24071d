from functools import partial

import numpy as np
import pytest
import torch
from helpers import check_error, check_op, randn, to_ember

import ember


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
    check_op(partial(f, ember), partial(f, torch), randn(3, 4), gradgradcheck=True)


@pytest.mark.parametrize("f", [lambda M, a: a.view(1), lambda M, a: a.reshape(1, 1),
                               lambda M, a: a.unsqueeze(0), lambda M, a: a.flatten(),
                               lambda M, a: a.t(), lambda M, a: a.squeeze(),
                               lambda M, a: a.permute(())])
def test_movement_0d(f):
    check_op(partial(f, ember), partial(f, torch), randn(), gradgradcheck=True)


def test_movement_size0_and_views():
    check_op(lambda a: a.view(2, 0, 2).transpose(0, 1),
             lambda a: a.view(2, 0, 2).transpose(0, 1), randn(4, 0), gradgradcheck=True)
    check_op(lambda a: a.reshape(2, 0).unsqueeze(1),
             lambda a: a.reshape(2, 0).unsqueeze(1), randn(0, 2), gradgradcheck=True)
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
    check_op(lambda a: a.unflatten(1, (2, 2)),
             lambda a: a.unflatten(1, (2, 2)), randn(3, 4), gradgradcheck=True)
    check_op(lambda a: ember.unflatten(a, -1, (2, -1)),
             lambda a: torch.unflatten(a, -1, (2, -1)), randn(3, 4), gradgradcheck=True)
    check_op(lambda a: a.t().unflatten(0, [2, 1, 2]),
             lambda a: a.t().unflatten(0, [2, 1, 2]), randn(3, 4), gradgradcheck=True)
    check_op(lambda a: a.unflatten(0, (3, 0)),
             lambda a: a.unflatten(0, (3, 0)), randn(0, 2), gradgradcheck=True)
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
    check_op(lambda a: ember.movedim(a, src, dst),
             lambda a: torch.movedim(a, src, dst), randn(2, 3, 4), gradgradcheck=True)
    check_op(lambda a: a.moveaxis(src, dst),
             lambda a: a.moveaxis(src, dst), randn(2, 3, 4), gradgradcheck=True)


def test_movedim_views_and_errors():
    check_op(lambda a: a.t().movedim(0, 1), lambda a: a.t().movedim(0, 1), randn(3, 4), gradgradcheck=True)
    check_op(lambda a: a.movedim(0, 0), lambda a: a.movedim(0, 0), randn(), gradgradcheck=True)
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
    check_op(lambda a: a.repeat(reps), lambda a: a.repeat(reps), randn(*shape), gradgradcheck=True)
    if reps:
        check_op(lambda a: a.repeat(*reps), lambda a: a.repeat(*reps), randn(*shape), gradgradcheck=True)


@pytest.mark.parametrize("shape,reps", [((3, 4), (2,)), ((3, 4), ()), ((3,), (2, 2)), ((), (3,)),
                                        ((2, 3), (2, 1, 2))])
def test_tile(shape, reps):
    check_op(lambda a: ember.tile(a, reps), lambda a: torch.tile(a, reps), randn(*shape), gradgradcheck=True)
    check_op(lambda a: a.tile(*reps) if reps else a.tile(()),
             lambda a: a.tile(*reps) if reps else a.tile(()), randn(*shape), gradgradcheck=True)


def test_repeat_variants_and_errors():
    check_op(lambda a: a.t().repeat(2, 2), lambda a: a.t().repeat(2, 2), randn(3, 4), gradgradcheck=True)
    check_op(lambda a: a.repeat(2, 2), lambda a: a.repeat(2, 2), np.arange(6).reshape(2, 3), grad=False)
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
    check_op(lambda a: a.narrow(dim, start, length),
             lambda a: a.narrow(dim, start, length), randn(3, 4), gradgradcheck=True)
    check_op(lambda a: ember.narrow(a.t(), dim, start, length),
             lambda a: torch.narrow(a.t(), dim, start, length), randn(4, 3), gradgradcheck=True)


def test_narrow_views_and_errors():
    assert_view(lambda a: a.narrow(1, 1, 2))
    assert_view(lambda a: a.narrow(0, -2, 2))
    check_op(lambda a: a.narrow(0, ember.tensor(1), 2),
             lambda a: a.narrow(0, torch.tensor(1), 2), randn(3, 4), gradgradcheck=True)
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
    check_op(lambda a, s: ember.slice_scatter(a, s, 0, 1, 2),
             lambda a, s: torch.slice_scatter(a, s, 0, 1, 2), randn(3, 4), randn(1, 4), gradgradcheck=True)
    check_op(lambda a, s: ember.slice_scatter(a, s, -1, 0, None, 2),
             lambda a, s: torch.slice_scatter(a, s, -1, 0, None, 2), randn(3, 4), randn(3, 2),
             gradgradcheck=True)
    check_op(lambda a, s: a.t().slice_scatter(s, 1),
             lambda a, s: a.t().slice_scatter(s, 1), randn(3, 4), randn(4, 3), gradgradcheck=True)
    check_error(lambda: ember.slice_scatter(ember.zeros(3, 4), ember.ones(3), 0), RuntimeError,
                "expected src to have a size equal to the slice of self. src size = [3], slice "
                "size = [3, 4]")


# -- diagonal / diag / diagonal_scatter ------------------------------------------------------------
@pytest.mark.parametrize("shape,args", [((3, 4), ()), ((3, 4), (1,)), ((3, 4), (-2,)),
                                        ((3, 4), (5,)), ((3, 4), (-5,)), ((3, 4), (1, 1, 0)),
                                        ((2, 3, 4), (1, -1, 0)), ((2, 3, 4), (0, 2, 1)),
                                        ((0, 3), ()), ((2, 3, 4), (-1, 0, 2))])
def test_diagonal(shape, args):
    check_op(lambda a: a.diagonal(*args), lambda a: a.diagonal(*args), randn(*shape), gradgradcheck=True)
    check_op(lambda a: ember.diagonal(a.transpose(0, -1), *args),
             lambda a: torch.diagonal(a.transpose(0, -1), *args), randn(*shape[::-1]), gradgradcheck=True)


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
    check_op(lambda a: ember.diag(a, k), lambda a: torch.diag(a, k), randn(*shape), gradgradcheck=True)
    check_op(lambda a: a.diag(k),
             lambda a: a.diag(k), np.arange(int(np.prod(shape))).reshape(shape), grad=False)


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
    check_op(lambda a, s: ember.diagonal_scatter(a, s),
             lambda a, s: torch.diagonal_scatter(a, s), randn(3, 4), randn(3), gradgradcheck=True)
    check_op(lambda a, s: ember.diagonal_scatter(a, s, 1),
             lambda a, s: torch.diagonal_scatter(a, s, 1), randn(3, 4), randn(3), gradgradcheck=True)
    check_op(lambda a, s: a.diagonal_scatter(s, -1, 2, 0),
             lambda a, s: a.diagonal_scatter(s, -1, 2, 0), randn(2, 3, 4), randn(3, 2), gradgradcheck=True)
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
    check_op(lambda a: ember.tril(a, k), lambda a: torch.tril(a, k), randn(*shape), gradgradcheck=True)
    check_op(lambda a: a.triu(k), lambda a: a.triu(k), randn(*shape), gradgradcheck=True)
    check_op(lambda a: a.mT.triu(diagonal=k),
             lambda a: a.mT.triu(diagonal=k), randn(*shape), gradgradcheck=True)
    check_op(lambda a: a.tril(k), lambda a: a.tril(k), (randn(*shape) > 0), grad=False)


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
    check_op(lambda a: ember.flip(a, dims), lambda a: torch.flip(a, dims), randn(3, 4), gradgradcheck=True)
    check_op(lambda a: a.t().flip(dims), lambda a: a.t().flip(dims), randn(3, 4), gradgradcheck=True)
    if dims:
        check_op(lambda a: a.t().flip(*dims), lambda a: a.t().flip(*dims), randn(3, 4), gradgradcheck=True)


def test_flip_variants_and_errors():
    check_op(lambda a: a.flip(0), lambda a: a.flip(0), randn(), gradgradcheck=True)
    check_op(lambda a: a.flip(0), lambda a: a.flip(0), randn(0, 2), gradgradcheck=True)
    check_op(lambda a: a.fliplr(), lambda a: a.fliplr(), randn(3, 4), gradgradcheck=True)
    check_op(lambda a: ember.flipud(a), lambda a: torch.flipud(a), randn(3, 4), gradgradcheck=True)
    check_op(lambda a: a.flip(1), lambda a: a.flip(1), np.arange(6).reshape(2, 3), grad=False)
    x = ember.zeros(3, 4, requires_grad=True)
    y = x.flip(0)
    assert y._base is None and y.grad_fn.name() == "FlipBackward0"
    check_error(lambda: x.flip((0, 0)), RuntimeError, "dim 0 appears multiple times in the list of dims")
    check_error(lambda: ember.ones(3).fliplr(), RuntimeError, "Input must be >= 2-d.")
    check_error(lambda: ember.tensor(1.0).flipud(), RuntimeError, "Input must be >= 1-d.")


@pytest.mark.parametrize("shifts,dims", [(1, None), (-5, None), (1, 0), (2, -1), ((1, 2), (0, 1)),
                                         ((3,), (1,)), ((1, 1), (0, 0))])
def test_roll(shifts, dims):
    check_op(lambda a: ember.roll(a, shifts, dims),
             lambda a: torch.roll(a, shifts, dims), randn(3, 4), gradgradcheck=True)
    check_op(lambda a: a.t().roll(shifts, dims),
             lambda a: a.t().roll(shifts, dims), randn(4, 3), gradgradcheck=True)


def test_roll_variants_and_errors():
    check_op(lambda a: a.roll(1), lambda a: a.roll(1), randn(), gradgradcheck=True)
    check_op(lambda a: a.roll(1, 0), lambda a: a.roll(1, 0), randn(0, 3), gradgradcheck=True)
    check_op(lambda a: a.roll(2, 1), lambda a: a.roll(2, 1), np.arange(6).reshape(2, 3), grad=False)
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
    check_op(lambda a: ember.rot90(a, k, dims),
             lambda a: torch.rot90(a, k, dims), randn(2, 3, 4), gradgradcheck=True)


def test_rot90_errors():
    x = ember.zeros(3, 4)
    check_error(lambda: x.rot90(2, (0, 0)), RuntimeError,
                "expected rotation dims to be different, but got dim0 = 0 and dim1 = 0")
    check_error(lambda: x.rot90(1, (0,)), RuntimeError,
                "expected total rotation dims == 2, but got dims = 1")
    check_error(lambda: ember.zeros(3).rot90(), RuntimeError,
                "expected total dims >= 2, but got total dims = 1")


# -- repeat_interleave, meshgrid ---------------------------------------------------------------------
@pytest.mark.parametrize("reps,dim", [(2, None), (2, 0), (3, 1), (3, -1), (np.array([1, 0, 2]), 1),
                                      (np.array([2]), 0), (np.array(2), -1),
                                      (np.array([1, 0, 2, 1, 0, 3]), None)])
def test_repeat_interleave(reps, dim):
    check_op(lambda a, r: ember.repeat_interleave(a, r, dim),
             lambda a, r: torch.repeat_interleave(a, r, dim), randn(2, 3), reps,
             gradgradcheck=True)


def test_repeat_interleave_forms():
    check_op(lambda a: a.t().repeat_interleave(2, 0), lambda a: a.t().repeat_interleave(2, 0),
             randn(2, 3))
    check_op(lambda a: ember.repeat_interleave(a, 3), lambda a: torch.repeat_interleave(a, 3),
             randn(), gradgradcheck=True)
    check_op(lambda a: ember.repeat_interleave(a, 2, 1), lambda a: torch.repeat_interleave(a, 2, 1),
             randn(0, 2))
    check_op(ember.repeat_interleave, torch.repeat_interleave, np.array([1, 0, 3], dtype=np.int32),
             grad=False)
    check_op(lambda a, r: ember.repeat_interleave(a, r, 0, output_size=3),
         lambda a, r: torch.repeat_interleave(a, r, 0, output_size=3),
         np.array([[1, 2], [3, 4]]), np.array([1, 2]), grad=False)


def test_repeat_interleave_errors():
    x = ember.tensor([[1, 2], [3, 4]])
    ri = ember.repeat_interleave
    check_error(lambda: ri(x, ember.tensor([1, 2]), 0, output_size=4), RuntimeError,
                "allocated size does not match required size")
    check_error(lambda: ri(x, ember.tensor([1, 2, 3]), 0), RuntimeError,
                "repeats must have the same size as input along dim, but got repeats.size(0) = 3 "
                "and input.size(0) = 2")
    check_error(lambda: ri(x, ember.tensor([1, -2]), 0), RuntimeError,
                "repeats can not be negative")
    check_error(lambda: ri(x, -1), RuntimeError, "Repeats must be non-negative")
    check_error(lambda: ri(x, ember.tensor([[1, 2]]), 0), RuntimeError,
                "repeats must be 0-dim or 1-dim tensor")
    check_error(lambda: ri(x, ember.tensor([1.0, 2.0]), 0), NotImplementedError,
                "\"repeat_interleave_cpu\" not implemented for 'Float'")
    check_error(lambda: ri(x, 2, 2), IndexError, "Dimension out of range")
    check_error(lambda: ri(ember.tensor([[1, 2]])), RuntimeError,
                "repeat_interleave only accept 1D vector as repeat")


@pytest.mark.parametrize("indexing", ["ij", "xy"])
def test_meshgrid(indexing):
    def run(lib):
        return lambda a, b, c: lib.meshgrid(a, b, c, indexing=indexing)
    check_op(run(ember), run(torch), randn(3), randn(2), randn(), gradgradcheck=True)
    check_op(lambda a, b: ember.meshgrid([a, b], indexing=indexing),
             lambda a, b: torch.meshgrid([a, b], indexing=indexing), randn(3), randn(0))
    check_op(lambda a: ember.meshgrid(a, indexing=indexing),
             lambda a: torch.meshgrid(a, indexing=indexing), randn(4))
    a, b = ember.arange(3), ember.arange(2)
    ta, tb = torch.arange(3), torch.arange(2)
    for e, t in zip(ember.meshgrid(a, b, indexing=indexing),
                    torch.meshgrid(ta, tb, indexing=indexing)):
        assert e.stride() == t.stride()      # expanded views, no copies
    assert ember.meshgrid(a, b, indexing=indexing)[0]._base is a


def test_meshgrid_default_and_errors():
    a = ember.arange(3)
    with pytest.warns(UserWarning, match="it will be required to pass the indexing argument"):
        check_op(lambda x, y: ember.meshgrid(x, y), lambda x, y: torch.meshgrid(x, y, indexing="ij"),
             np.arange(3), np.arange(2), grad=False)
    check_error(lambda: ember.meshgrid(a, a, indexing="foo"), RuntimeError,
                'torch.meshgrid: indexing must be one of "xy" or "ij", but received: foo')
    check_error(lambda: ember.meshgrid(indexing="ij"), RuntimeError,
                "meshgrid expects a non-empty TensorList")
    check_error(lambda: ember.meshgrid(a, a.double(), indexing="ij"), RuntimeError,
                "meshgrid expects all tensors to have the same dtype")
    check_error(lambda: ember.meshgrid(a, ember.ones(2, 2, dtype=ember.int64), indexing="ij"),
                RuntimeError, "torch.meshgrid: Expected 0D or 1D tensor in the tensor list")
    check_error(lambda: ember.meshgrid(a, 3, indexing="ij"), TypeError,
                "expected Tensor as element 1 in argument 0, but got int")


# -- diag_embed, diagflat, atleast_nd, tensor_split and friends, tril/triu_indices -------------------
def T(x):
    return ember.tensor(np.asarray(x))


@pytest.mark.parametrize("args", [(), (1,), (-1, 0, 2), (2, 2, 0)])
def test_diag_embed(args):
    check_op(lambda a: ember.diag_embed(a, *args), lambda a: torch.diag_embed(a, *args),
             randn(2, 3), gradgradcheck=True)


def test_diag_embed_errors_and_diagflat():
    check_op(lambda a: ember.diag_embed(a.t()), lambda a: torch.diag_embed(a.t()), randn(3, 2))
    check_error(lambda: ember.diag_embed(T(np.ones((2, 3))), 0, 0, -3), RuntimeError,
                "diagonal dimensions cannot be identical 0, -3")
    for off in (0, 1, -2):
        check_op(lambda a: ember.diagflat(a, off), lambda a: torch.diagflat(a, off), randn(2, 2))
        check_op(lambda a: a.diagflat(off), lambda a: a.diagflat(off), randn(3))
    check_op(ember.diagflat, torch.diagflat, randn())


@pytest.mark.parametrize("n", [1, 2, 3])
def test_atleast(n):
    ef, tf = getattr(ember, f"atleast_{n}d"), getattr(torch, f"atleast_{n}d")
    for shape in [(), (3,), (2, 3), (2, 3, 4)]:
        check_op(ef, tf, randn(*shape))
    x = to_ember(randn(2, 3, 4))
    assert ef(x) is x
    check_op(lambda a, b: ef(a, b), lambda a, b: tf(a, b), randn(), randn(2))
    check_op(lambda a, b: ef([a, b]), lambda a, b: tf([a, b]), randn(3), randn(2, 2))
    v = to_ember(randn(3))
    out = ef(v)
    out[...] = 0   # a view of the input
    assert not v.numpy().any()


@pytest.mark.parametrize("ios, dim", [(3, 1), (2, 0), (7, 1), ([2, 1, 5], 1), ([-1], -1), ([], 0),
                                      ([1, 1], 0)])
def test_tensor_split(ios, dim):
    check_op(lambda a: ember.tensor_split(a, ios, dim), lambda a: torch.tensor_split(a, ios, dim),
             randn(2, 5))
    check_op(lambda a: a.tensor_split(ios, dim), lambda a: a.tensor_split(ios, dim), randn(2, 5))


def test_tensor_split_tensor_arg_views_and_errors():
    check_op(lambda a: ember.tensor_split(a, T(np.int64(2)), 1),
             lambda a: torch.tensor_split(a, torch.tensor(2), 1), randn(2, 5))
    check_op(lambda a: ember.tensor_split(a, T(np.array([1, 3])), 1),
             lambda a: torch.tensor_split(a, torch.tensor([1, 3]), 1), randn(2, 5))
    x = to_ember(randn(4))
    p = ember.tensor_split(x, 2)[1]
    p[0] = 100.0
    assert x[2].item() == 100.0
    check_error(lambda: ember.tensor_split(T(1.0), 2), RuntimeError,
                "tensor_split expected at least a 1-dimensional tensor, but got a tensor with 0 dims")
    check_error(lambda: ember.tensor_split(x, 0), RuntimeError,
                "number of sections must be larger than 0, got 0")
    check_error(lambda: ember.tensor_split(x, T(np.array([[1]]))), RuntimeError,
                "zero-dimensional or one-dimensional tensor, but got a tensor with 2 dims")
    check_error(lambda: ember.tensor_split(x, T(np.array([1.0], np.float32))), RuntimeError,
                "tensor_split expected tensor_indices_or_sections to have dtype of long, but got "
                "Float")


@pytest.mark.parametrize("name, shape, ios", [("hsplit", (6,), 3), ("hsplit", (2, 4), [1, 3]),
                                              ("vsplit", (4, 2), 2), ("dsplit", (1, 2, 4), 2),
                                              ("dsplit", (1, 2, 4), [3])])
def test_hvdsplit(name, shape, ios):
    check_op(lambda a: getattr(ember, name)(a, ios), lambda a: getattr(torch, name)(a, ios),
             randn(*shape))
    check_op(lambda a: getattr(a, name)(ios), lambda a: getattr(a, name)(ios), randn(*shape))


def test_hvdsplit_errors():
    check_error(lambda: ember.hsplit(T(np.ones((2, 8))), 3), RuntimeError,
                "torch.hsplit attempted to split along dimension 1, but the size of the dimension 8 "
                "is not divisible by the split_size 3!")
    check_error(lambda: ember.vsplit(T(np.ones(8)), 2), RuntimeError,
                "torch.vsplit requires a tensor with at least 2 dimension, but got a tensor with 1 "
                "dimensions!")
    check_error(lambda: ember.dsplit(T(np.ones((8, 2))), 2), RuntimeError,
                "torch.dsplit requires a tensor with at least 3 dimension")
    check_error(lambda: ember.hsplit(T(1.0), 2), RuntimeError,
                "torch.hsplit requires a tensor with at least 1 dimension, but got a tensor with 0 "
                "dimensions!")


@pytest.mark.parametrize("args", [(3, 4), (3, 4, 1), (4, 3, -1), (0, 0), (3, 0), (3, 3, -5)])
def test_tril_triu_indices(args):
    for name in ("tril_indices", "triu_indices"):
        check_op(lambda: getattr(ember, name)(*args), lambda: getattr(torch, name)(*args))
    check_op(lambda: ember.triu_indices(*args, dtype=ember.int32),
             lambda: torch.triu_indices(*args, dtype=torch.int32))
    check_error(lambda: ember.tril_indices(3, 4, dtype=ember.float32), NotImplementedError,
                '"tril_indices" not implemented for \'Float\'')
    check_error(lambda: ember.tril_indices(-1, 4), RuntimeError, "row must be non-negative, got-1")
