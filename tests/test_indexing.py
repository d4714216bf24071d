from functools import partial

import numpy as np
import pytest
import torch
from helpers import check_error, check_op, randn

import ember

A = np.arange(60.0).reshape(3, 4, 5)


# Each index is built per library (tensor indices need the library's tensor type).
INDICES = [
    lambda M: 1, lambda M: -1, lambda M: (1, 2), lambda M: (-1, -2, -3),
    lambda M: slice(1, None), lambda M: slice(None, None, 2), lambda M: (slice(None), slice(1, 4, 2)),
    lambda M: (slice(10, 20),), lambda M: (slice(-10, 2), 0), lambda M: slice(0, 0),
    lambda M: (Ellipsis, 1), lambda M: (1, Ellipsis), lambda M: Ellipsis, lambda M: None,
    lambda M: (None, 1), lambda M: (1, None, slice(None), None), lambda M: (Ellipsis, None),
    lambda M: M.tensor([0, 2]), lambda M: M.tensor([[0, 1], [2, 2]]), lambda M: [0, 2],
    lambda M: M.tensor([-1, -3]), lambda M: M.tensor([0, 2]).int(), lambda M: M.tensor(1),
    lambda M: (M.tensor([0, 2]), M.tensor([1, 3])),
    lambda M: (M.tensor([0, 2]), slice(None), M.tensor([1, 3])),
    lambda M: (slice(None), M.tensor([1, 3])), lambda M: (slice(None), M.tensor([1, 3]), M.tensor([0, 4])),
    lambda M: (1, M.tensor([1, 3])), lambda M: (M.tensor([0, 2]), 1, M.tensor([1, 3])),
    lambda M: (Ellipsis, M.tensor([1, 3])), lambda M: (None, M.tensor([0, 1])),
    lambda M: (0, slice(None), M.tensor([1, 0])), lambda M: (M.tensor([1, 0]), slice(None), 0),
    lambda M: (1, slice(None), [0, 1]), lambda M: (slice(None), [[0, 1]], slice(None)),
    lambda M: (M.tensor([[0], [1]]), M.tensor([0, 1, 2])),
    lambda M: (M.tensor([0, 1]), None, M.tensor([1, 2])),
    lambda M: M.tensor([True, False, True]), lambda M: M.tensor(A[:, :, 0] > 10),
    lambda M: M.tensor(A > 30), lambda M: (slice(None), M.tensor([True, False, True, True])),
    lambda M: (M.tensor(A[:, 0, 0] > 10), 2), lambda M: (1, M.tensor([[True, False, True, True, False]] * 4)),
    lambda M: (M.tensor(A[:, :, 0] > 10), M.tensor([1, 2, 3, 4, 0, 1, 2, 3, 4])),
    lambda M: M.tensor(True), lambda M: M.tensor(False), lambda M: (Ellipsis, M.tensor(False)),
    lambda M: True, lambda M: [True, False, True], lambda M: M.tensor([]).long(),
    lambda M: M.tensor([1, 0, 2], dtype=M.uint8),
    lambda M: [[0, 1], [1, 2]],          # a list of lists is a tuple in PyTorch
    lambda M: [M.tensor([0, 1]), M.tensor([1, 2])],
]


@pytest.mark.filterwarnings("ignore")
@pytest.mark.parametrize("k", range(len(INDICES)))
def test_getitem(k):
    make = INDICES[k]
    check_op(lambda a: a[make(ember)],
             lambda a: a[make(torch)], A.copy(), gradgradcheck=k % 3 == 0, gradcheck=k % 3 == 1)


def test_getitem_noncontiguous_0d_size0_and_dtypes():
    check_op(lambda a: a.t()[1:, ember.tensor([0, 2])],
             lambda a: a.t()[1:, torch.tensor([0, 2])], randn(3, 4), gradgradcheck=True)
    check_op(lambda a: a.transpose(0, 2)[ember.tensor([[0], [1]]), 1:3],
             lambda a: a.transpose(0, 2)[torch.tensor([[0], [1]]), 1:3], randn(2, 3, 4))
    check_op(lambda a: a[None], lambda a: a[None], randn())
    check_op(lambda a: a[...], lambda a: a[...], randn())
    check_op(lambda a: a[ember.tensor(True)], lambda a: a[torch.tensor(True)], randn())
    check_op(lambda a: a[:, 1], lambda a: a[:, 1], randn(0, 3))
    check_op(lambda a: a[ember.tensor([], dtype=ember.int64)],
             lambda a: a[torch.tensor([], dtype=torch.int64)], randn(0, 3))
    check_op(lambda a: a[ember.tensor([0, 0, 1])],
             lambda a: a[torch.tensor([0, 0, 1])], randn(3, 2), gradgradcheck=True)   # repeated rows
    check_op(lambda a: a[a > 0], lambda a: a[a > 0], randn(3, 4), gradgradcheck=True)
    check_op(lambda a: a[1, ember.tensor([0, 2])],
             lambda a: a[1, torch.tensor([0, 2])], np.arange(12).reshape(3, 4), grad=False)
    check_op(lambda a: a[ember.tensor([True, False, True])],
             lambda a: a[torch.tensor([True, False, True])], np.array([True, False, True]), grad=False)


def test_basic_indexing_gives_views():
    for make in (lambda t: t[1], lambda t: t[:, 1:3], lambda t: t[..., ::2], lambda t: t[None, 0],
                 lambda t: t.t()[1]):
        base = ember.tensor(np.arange(12.0).reshape(3, 4))
        tb = torch.tensor(np.arange(12.0).reshape(3, 4))
        v = make(base)
        assert v._base is base
        v.mul_(-1)
        make(tb).mul_(-1)
        assert base._version == v._version == 1
        np.testing.assert_array_equal(base.numpy(), tb.numpy())
    # advanced indices copy
    base = ember.zeros(3, 4)
    c = base[ember.tensor([0, 1])]
    c.add_(1)
    assert base.sum().item() == 0 and c._base is None


def test_getitem_errors():
    x = ember.zeros(3, 4, 5)
    check_error(lambda: x[3], IndexError, "index 3 is out of bounds for dimension 0 with size 3")
    check_error(lambda: x[-4], IndexError, "index -4 is out of bounds for dimension 0 with size 3")
    check_error(lambda: x[0, 7], IndexError, "index 7 is out of bounds for dimension 1 with size 4")
    check_error(lambda: x[ember.tensor([5])], IndexError,
                "index 5 is out of bounds for dimension 0 with size 3")
    check_error(lambda: x[ember.tensor([0]), 7], IndexError,
                "index 7 is out of bounds for dimension 1 with size 4")
    check_error(lambda: x[ember.tensor([0]), :, 7], IndexError,
                "index 7 is out of bounds for dimension 2 with size 5")
    check_error(lambda: x[0, 1, 2, 3], IndexError, "too many indices for tensor of dimension 3")
    check_error(lambda: x[0, :, ember.tensor([1]), 0], IndexError,
                "too many indices for tensor of dimension 3")
    check_error(lambda: x[:, ember.tensor([True, False])], IndexError,
                "The shape of the mask [2] at index 0 does not match the shape of the indexed "
                "tensor [3, 4, 5] at index 1")
    check_error(lambda: x[0, ember.ones(4, 4, dtype=ember.bool)], IndexError,
                "The shape of the mask [4, 4] at index 1 does not match the shape of the indexed "
                "tensor [4, 5] at index 1")
    check_error(lambda: x[ember.tensor([[0, 1]]), ember.tensor([0, 1, 2])], IndexError,
                "shape mismatch: indexing tensors could not be broadcast together with shapes "
                "[1, 2], [3]")
    check_error(lambda: x[::-1], ValueError, "step must be greater than zero")
    check_error(lambda: x[::0], ValueError, "slice step cannot be zero")
    check_error(lambda: x[1.0], IndexError,
                "only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables "
                "are valid indices (got float)")
    check_error(lambda: x[ember.tensor([0.0])], IndexError,
                "tensors used as indices must be long, int, byte or bool tensors")


# -- setitem ---------------------------------------------------------------------------------------
# (index, value shape or None for a Python number); values broadcast to the indexed region
SET_CASES = [
    (lambda M: 0, None), (lambda M: 0, (5,)), (lambda M: 0, (4, 5)), (lambda M: 0, (1, 4, 5)),
    (lambda M: (slice(None), 1), (3, 1)), (lambda M: (Ellipsis, slice(1, 4, 2)), (2,)),
    (lambda M: (1, slice(None), 2), ()), (lambda M: (None, 0), (1, 4, 5)),
    (lambda M: M.tensor([0, 2]), (4, 5)), (lambda M: M.tensor([0, 2]), None),
    (lambda M: (M.tensor([0, 2]), slice(None), M.tensor([1, 3])), (2, 4)),
    (lambda M: (slice(None), M.tensor([1, 3])), (3, 1, 5)),
    (lambda M: (0, slice(None), M.tensor([1, 0])), (2,)),
    (lambda M: M.tensor(A[:, :, 0] > 10), (5,)), (lambda M: M.tensor(A > 30), None),
    (lambda M: M.tensor(A > 30), (29,)),
    (lambda M: (slice(None), M.tensor([True, False, True, True])), (3, 3, 1)),
    (lambda M: [0, 2], (1,)), (lambda M: (1, [0, 3], slice(1, 3)), (2, 2)),
]


@pytest.mark.parametrize("k", range(len(SET_CASES)))
def test_setitem(k):
    make, vshape = SET_CASES[k]

    def f(M, a, *b):
        x = a.clone()
        x[make(M)] = b[0] if b else 2.5
        return x

    inputs = (randn(3, 4, 5),) + (() if vshape is None else (randn(*vshape),))
    check_op(partial(f, ember), partial(f, torch), *inputs, gradgradcheck=k % 4 == 0)


def test_setitem_repeated_index_leaves_the_last():
    # no grads here: which write wins for a repeated index is unspecified in PyTorch
    x, t = ember.zeros(4), torch.zeros(4)
    x[ember.tensor([1, 1, 2])] = ember.tensor([1.0, 1.0, 3.0])
    t[torch.tensor([1, 1, 2])] = torch.tensor([1.0, 1.0, 3.0])
    assert x.tolist() == t.tolist()


@pytest.mark.filterwarnings("ignore")
def test_setitem_dtypes_and_versions():
    cases = [
        ("float32", lambda M: (0,), lambda M: 1.5),
        ("int64", lambda M: (0,), lambda M: 2.7),
        ("float32", lambda M: (0,), lambda M: M.tensor([1.0, 2, 3, 4], dtype=M.float64)),
        ("int64", lambda M: slice(0, 2), lambda M: M.tensor([1.5, 2, 3, 4])),
        ("bool", lambda M: M.tensor([0, 2]), lambda M: True),
        ("float32", lambda M: M.tensor([0, 2]), lambda M: M.tensor([1.0, 2, 3, 4])),
        ("int64", lambda M: M.tensor([[True, False, True, True]] * 3), lambda M: 7),
        # a lone mask with a one-element value is a masked_fill: the value is cast
        ("float32", lambda M: M.tensor([True, False, True]), lambda M: M.tensor(2, dtype=M.float64)),
        ("float32", lambda M: M.tensor([True, False, True]), lambda M: M.tensor([3])),
    ]
    for dt, idx, val in cases:
        out = []
        for M in (ember, torch):
            x = M.zeros(3, 4, dtype=getattr(M, dt))
            x[idx(M)] = val(M)
            out.append(x)
        assert out[0].tolist() == out[1].tolist() and out[0].dtype.name == dt
    x = ember.zeros(3, 4)
    v = x._version
    x[0] = 1.0
    x[ember.tensor([1])] = 2.0
    x[x > 1] = 3.0
    assert x._version == v + 3
    # writing through a view writes the base
    base = ember.zeros(3, 4)
    view = base[1:]
    view[0, 1:3] = 5.0
    assert base[1].tolist() == [0, 5, 5, 0] and base._version == view._version == 1


def test_setitem_autograd_mixed():
    a0, b0 = randn(3, 4), randn(2)
    grads = []
    for M in (ember, torch):
        a = M.tensor(a0, requires_grad=True)
        b = M.tensor(b0, requires_grad=True)
        x = a * 2
        x[0, M.tensor([1, 3])] = b * b
        x[1:] = x[:2].exp()
        x[x > 1] = 0.0
        (x * x).sum().backward()
        grads.append((a.grad.numpy(), b.grad.numpy()))
    for e, t in zip(*grads):
        np.testing.assert_allclose(e, t, rtol=1e-10)


def test_setitem_errors():
    x = ember.zeros(3, 4, 5)
    check_error(lambda: x.__setitem__(ember.tensor([0, 1]), ember.ones(2, 3, 5)), RuntimeError,
                "shape mismatch: value tensor of shape [2, 3, 5] cannot be broadcast to indexing "
                "result of shape [2, 4, 5]")
    check_error(lambda: x.__setitem__(0, ember.ones(3, 5)), RuntimeError,
                "The expanded size of the tensor (4) must match the existing size (3) at "
                "non-singleton dimension 0.  Target sizes: [4, 5].  Tensor sizes: [3, 5]")
    check_error(lambda: x.__setitem__(0, ember.ones(2, 4, 5)), RuntimeError,
                "the number of sizes provided (2) must be greater or equal to the number of "
                "dimensions in the tensor (3)")
    check_error(lambda: x.__setitem__(ember.tensor([0]), ember.tensor(2.0, dtype=ember.float64)),
                RuntimeError, "Index put requires the source and destination dtypes match, got "
                "Float for the destination and Double for the source.")
    check_error(lambda: x.__setitem__(5, 1.0), IndexError,
                "index 5 is out of bounds for dimension 0 with size 3")
    check_error(lambda: x.__setitem__(ember.tensor([5]), 1.0), IndexError,
                "index 5 is out of bounds for dimension 0 with size 3")
    check_error(lambda: x.__setitem__((0, 0, 0, 0), 1.0), IndexError,
                "too many indices for tensor of dimension 3")
    check_error(lambda: x.__setitem__(ember.tensor([True, False]), 1.0), IndexError,
                "The shape of the mask [2] at index 0 does not match")
    check_error(lambda: x.__setitem__(slice(None, None, -1), 1.0), ValueError,
                "step must be greater than zero")
    check_error(lambda: x.__setitem__(0, [1.0, 2.0]), TypeError,
                "can't assign a list to a torch.FloatTensor")
    leaf = ember.zeros(3, requires_grad=True)
    check_error(lambda: leaf.__setitem__(0, 1.0), RuntimeError,
                "a leaf Variable that requires grad is being used in an in-place operation.")


def test_range_index_like_torch():
    a, t = ember.arange(12.).reshape(3, 4), torch.arange(12.).reshape(3, 4)
    assert a[range(3), ember.tensor([0, 1, 2])].tolist() == t[range(3), torch.tensor([0, 1, 2])].tolist()
    assert a[range(0, 3, 2)].tolist() == t[range(0, 3, 2)].tolist()
