"""Tensor attributes and conversions, against PyTorch."""
import copy
import math
import pickle

import numpy as np
import torch
from helpers import assert_close, check_error, randn
from test_programs import check_idioms

import ember


def test_attributes():
    a = randn(2, 3, 4).astype(np.float32)
    e, t = ember.tensor(a), torch.tensor(a)
    assert e.shape == t.shape and e.size() == tuple(t.size()) and e.size(-1) == t.size(-1)
    assert repr(e.shape) == repr(t.shape)
    assert e.dim() == e.ndim == 3 and e.numel() == 24 and len(e) == 2
    assert e.stride() == t.stride() and e.element_size() == 4
    assert e.is_contiguous() and not e.transpose(0, 2).is_contiguous()
    assert e.transpose(0, 2).contiguous().is_contiguous()
    assert_close(e.mT, t.mT)
    m = ember.tensor(a[0])
    assert_close(m.T, torch.tensor(a[0]).T)
    assert e.device == ember.device("cpu") and str(e.device) == "cpu"
    check_error(lambda: e.size(3), IndexError, "Dimension out of range (expected to be in range "
                                               "of [-3, 2], but got 3)")


def test_item_tolist_numpy_scalars():
    e = ember.tensor([[1.5, 2.0]])
    assert e.tolist() == [[1.5, 2.0]]
    assert ember.tensor(3.5).item() == 3.5 and isinstance(ember.tensor(3).item(), int)
    check_error(lambda: e.item(), RuntimeError, "a Tensor with 2 elements cannot be converted "
                                                "to Scalar")
    check_error(lambda: bool(e), RuntimeError, "Boolean value of Tensor with more than one "
                                               "value is ambiguous")
    assert float(ember.tensor([2.5])) == 2.5 and int(ember.tensor(7)) == 7
    assert [1, 2, 3][ember.tensor(1)] == 2


def test_from_numpy_shares_memory_and_numpy_roundtrip():
    a = np.zeros(3, dtype=np.float32)
    e = ember.from_numpy(a)
    e.add_(1)
    assert a.tolist() == [1.0, 1.0, 1.0]
    assert np.shares_memory(e.numpy(), a)
    check_error(lambda: ember.from_numpy([1, 2]), TypeError, "expected np.ndarray")


def test_clone_detach_data():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    c = x.clone()
    assert c.grad_fn is not None and not np.shares_memory(c._data, x._data)
    d = x.data
    assert not d.requires_grad and np.shares_memory(d._data, x._data)
    x.data = ember.tensor([5.0, 6.0])
    assert x.tolist() == [5.0, 6.0] and x.requires_grad


def test_view_of_noncontiguous_raises_pytorch_error():
    e = ember.zeros(3, 4).t()
    check_error(lambda: e.view(12), RuntimeError,
                "view size is not compatible with input tensor's size and stride")
    assert e.reshape(12).shape == (12,)


def test_pickle_and_deepcopy():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    y = pickle.loads(pickle.dumps(x))
    assert y.tolist() == [1.0, 2.0] and y.requires_grad
    z = copy.deepcopy(x)
    assert z.tolist() == [1.0, 2.0] and not np.shares_memory(z._data, x._data)
    check_error(lambda: copy.deepcopy(x * 2), RuntimeError, "Only Tensors created explicitly")


def test_iteration_and_unbind():
    e = ember.tensor([[1, 2], [3, 4]])
    assert [r.tolist() for r in e] == [[1, 2], [3, 4]]
    check_error(lambda: iter(ember.tensor(1)), TypeError, "iteration over a 0-d tensor")


def test_version_shared_with_views():
    x = ember.zeros(4)
    v = x[1:3]
    v.add_(1)
    assert x._version == v._version == 1
    assert x.tolist() == [0.0, 1.0, 1.0, 0.0]


def test_to_and_type():
    x = ember.tensor([1.7, -2.2])
    assert x.to(ember.int64).tolist() == [1, -2]
    assert x.to("cpu") is x
    assert x.to(ember.float64).dtype is ember.float64
    assert x.type() == "torch.FloatTensor" and x.long().type() == "torch.LongTensor"
    assert x.type("torch.DoubleTensor").dtype is ember.float64
    assert x.to(torch.float64).dtype is ember.float64   # a torch dtype is understood too
    if not ember.cuda.is_available():
        check_error(lambda: x.to("cuda"), AssertionError, "Torch not compiled with CUDA enabled")


def test_tensor_constructor_forms():
    assert ember.Tensor(2, 3).shape == (2, 3) and ember.Tensor(2, 3).dtype is ember.float32
    assert ember.Tensor([1, 2]).dtype is ember.float32


def test_new_constructors_follow_dtype():
    for name, args in [("new_zeros", (2, 3)), ("new_ones", ((2,),)), ("new_full", ((2,), 7)),
                       ("new_tensor", ([1, 2],)), ("new_empty", (0,))]:
        e = getattr(ember.ones(1, dtype=ember.float64), name)(*args)
        t = getattr(torch.ones(1, dtype=torch.float64), name)(*args)
        assert tuple(e.shape) == tuple(t.shape) and e.dtype.name == "float64"
        if name != "new_empty":
            assert e.tolist() == t.tolist()
    assert ember.ones(1).new_zeros(2, dtype=ember.int64).dtype is ember.int64
    x = ember.arange(12).reshape(3, 4)
    assert x[1:, 2:].storage_offset() == torch.arange(12).reshape(3, 4)[1:, 2:].storage_offset()


def test_legacy_typed_constructors():
    for name in ("FloatTensor", "DoubleTensor", "LongTensor", "IntTensor", "ByteTensor",
                 "BoolTensor"):
        for args in (([1, 0],), (2, 3), ()):
            e, t = getattr(ember, name)(*args), getattr(torch, name)(*args)
            assert tuple(e.shape) == tuple(t.shape) and e.dtype.name == str(t.dtype)[6:]
            if args and isinstance(args[0], list):
                assert e.tolist() == t.tolist()
    assert isinstance(ember.ones(2), ember.FloatTensor)
    assert not isinstance(ember.ones(2), ember.LongTensor)
    assert tuple(ember.Tensor().shape) == tuple(torch.Tensor().shape)


# -- programs: tensor idioms -------------------------------------------------------------------------
def _v(torch):
    return torch.from_numpy(np.array([3.0, -1.0, 4.0, 1.0, -5.0, 9.0], dtype=np.float32))


def test_misc_tensor_idioms():
    def index_copy(torch, nn, F):
        y = torch.zeros(5, 2)
        return y.index_copy(0, torch.tensor([4, 0, 2]), torch.arange(6.0).view(3, 2))

    def addcmul_(torch, nn, F):
        p, g = torch.ones(4), torch.arange(4.0)
        return p.addcmul_(g, g, value=-0.1)

    check_idioms({
        "diag_embed": lambda torch, nn, F: torch.diag_embed(_v(torch).view(2, 3)),
        "diag_embed offset": lambda torch, nn, F: torch.diag_embed(_v(torch).view(2, 3), offset=1),
        "kron": lambda torch, nn, F: torch.kron(torch.eye(2), _v(torch).view(2, 3)),
        "cummax": lambda torch, nn, F: tuple(torch.cummax(_v(torch), dim=0)),
        "cummin": lambda torch, nn, F: tuple(_v(torch).cummin(0)),
        "logcumsumexp": lambda torch, nn, F: torch.logcumsumexp(_v(torch), dim=0),
        "diff": lambda torch, nn, F: (torch.diff(_v(torch)), torch.diff(_v(torch).view(2, 3), n=2, dim=1),
                                      torch.diff(_v(torch), prepend=torch.zeros(1))),
        "tensor_split": lambda torch, nn, F: (torch.tensor_split(_v(torch), 4),
                                              torch.tensor_split(_v(torch), [1, 4])),
        "take": lambda torch, nn, F: torch.take(_v(torch).view(2, 3), torch.tensor([[0, 5], [2, 3]])),
        "index_copy": index_copy,
        "cross": lambda torch, nn, F: torch.linalg.cross(_v(torch).view(2, 3), _v(torch).view(2, 3).flip(0)),
        "torch.cross dim": lambda torch, nn, F: torch.cross(_v(torch).view(2, 3), torch.ones(2, 3), dim=1),
        "matrix_power": lambda torch, nn, F: (torch.matrix_power(torch.tensor([[1.0, 1.0], [1.0, 0.0]]), 10),
                                              torch.linalg.matrix_power(torch.eye(2) * 2, -2)),
        "searchsorted right": lambda torch, nn, F: torch.searchsorted(torch.tensor([1.0, 3.0, 5.0]),
                                                                      torch.tensor([3.0, 6.0]), right=True),
        "bucketize": lambda torch, nn, F: torch.bucketize(_v(torch), torch.tensor([0.0, 2.0, 5.0])),
        "unique counts": lambda torch, nn, F: torch.unique(torch.tensor([3, 1, 3, 2, 1, 3]),
                                                           return_counts=True, return_inverse=True),
        "unique dim": lambda torch, nn, F: torch.unique(torch.tensor([[1, 2], [1, 2], [0, 1]]), dim=0),
        "bincount weights": lambda torch, nn, F: torch.bincount(torch.tensor([0, 2, 2]),
                                                                weights=torch.tensor([0.5, 1.0, 2.0])),
        "repeat_interleave tensor": lambda torch, nn, F: torch.repeat_interleave(
            _v(torch).view(2, 3), torch.tensor([1, 2]), dim=0),
        "meshgrid xy": lambda torch, nn, F: torch.meshgrid(torch.arange(2), torch.arange(3), indexing='xy'),
        "cdist p=1": lambda torch, nn, F: torch.cdist(_v(torch).view(2, 3), torch.ones(4, 3), p=1),
        "addcmul_": addcmul_,
        "addcdiv": lambda torch, nn, F: torch.addcdiv(torch.ones(3), torch.ones(3), torch.arange(1.0, 4.0),
                                                      value=2),
        "trace/tril_indices": lambda torch, nn, F: (torch.trace(_v(torch).view(2, 3)[:, :2]),
                                                    torch.tril_indices(3, 3)),
        "histc": lambda torch, nn, F: torch.histc(_v(torch), bins=4, min=-5, max=9),
        "rot90/roll": lambda torch, nn, F: (torch.rot90(_v(torch).view(2, 3)), torch.roll(_v(torch), 2)),
        "block_diag": lambda torch, nn, F: torch.block_diag(torch.ones(1, 2), torch.eye(2)),
        "cartesian_prod": lambda torch, nn, F: torch.cartesian_prod(torch.arange(2), torch.arange(2)),
        "nan_to_num/clamp": lambda torch, nn, F: torch.nan_to_num(torch.tensor([math.nan, math.inf, 1.0]),
                                                                  posinf=5.0),
    })


def test_ember_and_torch_tensors_not_mixed():
    # a sanity check that the suite's helpers keep the two libraries apart
    assert isinstance(ember.tensor([1.0]), ember.Tensor) and not isinstance(torch.tensor([1.0]),
                                                                              ember.Tensor)
