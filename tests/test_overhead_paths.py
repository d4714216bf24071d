"""The per-op overhead fast paths give what the general paths give (issue 15, item 1).

Each test compares a fast path with the path it short-cuts (or with PyTorch), on inputs that
take the fast path, so a fast path that computed something else would fail here."""
import gc
import warnings
import weakref

import numpy as np
import pytest
import torch

import ember
import ember.utils.data as eud
from ember.autograd.function import AccumulateGrad
from ember.ops._accumulate import accurate_sum
from ember.ops._util import zero_where
from ember.ops.broadcast import broadcast_view
from ember.utils.data.collate import default_collate


# -- DataLoader: a TensorDataset batch as one indexing per tensor -------------------------------
def _per_sample(ds, idx):
    return default_collate([ds[i] for i in idx])


@pytest.mark.parametrize("idx", [[3, 0], [7], [9, 9, 1, 4], [-1, 2]])
def test_tensor_dataset_batch_equals_the_per_sample_collate(idx):
    rng = np.random.default_rng(0)
    ds = eud.TensorDataset(ember.tensor(rng.standard_normal((10, 3, 2)).astype(np.float32)),
                           ember.tensor(rng.integers(0, 5, 10)),
                           ember.tensor(rng.random(10) < 0.5))
    fast = ds._collated(idx)
    slow = _per_sample(ds, idx)
    assert len(fast) == len(slow) == 3
    for f, s in zip(fast, slow):
        assert f.dtype is s.dtype and f.shape == s.shape and f.grad_fn is None
        assert np.array_equal(f.numpy(), s.numpy())
        assert f.numpy().flags.c_contiguous


def test_loader_batches_match_torch_loader_batches():
    x = np.random.default_rng(1).standard_normal((11, 2)).astype(np.float32)
    y = np.arange(11, dtype=np.float32)
    ember.manual_seed(3)
    torch.manual_seed(3)
    ours = eud.DataLoader(eud.TensorDataset(ember.tensor(x), ember.tensor(y)), 4, shuffle=True)
    ref = torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(torch.tensor(x), torch.tensor(y)), 4, shuffle=True)
    for (xb, yb), (xt, yt) in zip(ours, ref, strict=True):
        assert isinstance(xb, ember.Tensor) and xb.shape == tuple(xt.shape)
        assert np.array_equal(xb.numpy(), xt.numpy()) and np.array_equal(yb.numpy(), yt.numpy())


def test_tensor_dataset_general_path_where_the_fast_one_does_not_apply():
    w = ember.ones(4, 2, requires_grad=True)
    ds = eud.TensorDataset(w, ember.arange(4))
    assert ds._collated([0, 1]) is None           # requires grad: collate keeps the graph
    xb, _ = next(iter(eud.DataLoader(ds, 2)))
    assert xb.grad_fn is not None
    ds = eud.TensorDataset(ember.ones(4, 2), ember.arange(4))
    assert ds._collated([True, False, True, True]) is None   # not an index list
    assert ds._collated([0, 4]) is None           # out of range: the per-sample error
    with pytest.raises(IndexError):
        next(iter(eud.DataLoader(ds, batch_sampler=[[0, 4]])))


def test_custom_collate_and_subclassed_dataset_still_see_samples():
    seen = []

    def collate(batch):
        seen.append(batch)
        return batch

    ds = eud.TensorDataset(ember.arange(6).reshape(3, 2), ember.arange(3))
    out = next(iter(eud.DataLoader(ds, 2, collate_fn=collate)))
    assert len(out) == 2 and isinstance(out[0], tuple) and out[0][1].item() == 0

    class Doubled(eud.TensorDataset):
        def __getitem__(self, i):
            return tuple(t[i] * 2 for t in self.tensors)

    xb, yb = next(iter(eud.DataLoader(Doubled(*ds.tensors), 3)))
    assert yb.tolist() == [0, 2, 4]


# -- the engine and Function.apply --------------------------------------------------------------
def test_tiny_loop_gradients_match_torch():
    rng = np.random.default_rng(2)
    an, bn = rng.standard_normal(10).astype(np.float32), rng.standard_normal(10).astype(np.float32)
    grads = []
    for lib in (ember, torch):
        a = lib.tensor(an, requires_grad=True)
        b = lib.tensor(bn, requires_grad=True)
        c = lib.tensor(bn)
        for _ in range(3):
            (a * b + a).relu().sum().backward()
            (a * c).sigmoid().mean().backward()
        grads.append((a.grad.numpy().copy(), b.grad.numpy().copy()))
    for e, t in zip(*grads):
        np.testing.assert_allclose(e, t, rtol=1e-6, atol=1e-7)


def test_forward_made_tensor_is_connected_and_an_input_handed_back_is_aliased():
    class Same(ember.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x

        @staticmethod
        def backward(ctx, g):
            return 2 * g

    class Made(ember.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            out = ember.Tensor._wrap(x._data * 3)
            ctx.save_for_backward(out)
            return out

        @staticmethod
        def backward(ctx, g):
            (out,) = ctx.saved_tensors
            return g * out

    x = ember.tensor([1.0, 2.0], requires_grad=True)
    y = Same.apply(x)
    assert y is not x and y.grad_fn is not None and y._vc is x._vc
    z = Made.apply(x)
    assert z.grad_fn is not None and z.grad_fn._saved[0].__class__.__name__ == "_SavedOutput"
    (y.sum() + z.sum()).backward()
    assert x.grad.tolist() == [2 + 3.0, 2 + 6.0]
    z2 = Made.apply(x)
    z2.add_(1)               # the saved output changed in place: backward refuses, as PyTorch
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        z2.sum().backward()


def test_leaf_accumulator_is_kept_without_a_cycle():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    n1 = (x * 2).grad_fn.next_functions[0][0]
    n2 = (x * 3).grad_fn.next_functions[0][0]
    assert type(n1) is AccumulateGrad and n1 is n2 and n1.variable is x
    ref = weakref.ref(x)
    enabled = gc.isenabled()
    gc.disable()
    try:
        del x, n1, n2
        assert ref() is None     # freed by reference counting alone: no leaf <-> node cycle
    finally:
        if enabled:
            gc.enable()


def test_graph_keeps_a_dropped_leaf_and_its_hooks():
    seen = []
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    x.register_hook(lambda g: seen.append(g.tolist()))
    loss = (x * x).sum()
    ref = weakref.ref(x)
    del x
    gc.collect()
    assert ref() is not None        # the graph's edge keeps the leaf, as in PyTorch
    loss.backward()
    assert seen == [[2.0, 4.0]] and ref().grad.tolist() == [2.0, 4.0]


def test_accumulator_hooks_and_retain_graph_through_the_fast_walk():
    x = ember.tensor([1.0, -2.0, 3.0], requires_grad=True)
    calls = []
    acc = (x * 1).grad_fn.next_functions[0][0]
    h = acc.register_prehook(lambda go: calls.append(go[0].tolist()))
    y = (x * x).relu().sum()
    y.backward(retain_graph=True)
    y.backward()
    assert calls == [[2.0, -4.0, 6.0]] * 2 and x.grad.tolist() == [4.0, -8.0, 12.0]
    h.remove()
    (x * 1).sum().backward()
    assert len(calls) == 2


def test_backward_is_quiet_and_restores_numpys_error_state():
    before = np.geterr()
    x = ember.tensor([3e38, 1.0], requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        (x * x * 10).sum().backward()       # overflow in the gradient: inf, no warning
    assert np.isinf(x.grad.numpy()[0])
    assert np.geterr() == before
    with np.errstate(over="raise"), pytest.raises(FloatingPointError):
        np.float32(3e38) * np.float32(10)   # the user's own NumPy setting still holds


# -- array helpers on their fast branches -------------------------------------------------------
def test_zero_where_small_floats_equal_np_where():
    rng = np.random.default_rng(3)
    for dt in (np.float16, np.float32, np.float64):
        x = rng.standard_normal(37).astype(dt)
        x[[1, 5]] = np.nan
        x[2] = -0.0
        mask = rng.random(37) < 0.5
        mask[1] = True
        got = zero_where(x, mask)
        want = np.where(mask, dt(0), x)
        assert got.dtype == want.dtype
        assert np.array_equal(got.view(f"u{x.itemsize}"), want.view(f"u{x.itemsize}"))
        assert got is not x and x[1] != x[1]     # the input is untouched


def test_zero_where_large_floats_equal_np_where():
    # the bitwise branch (a few thousand floats and more): NaN, -0.0 and infinities kept bit
    # for bit where unmasked, +0.0 where masked; a transposed mask; into ``out``
    rng = np.random.default_rng(4)
    for dt in (np.float16, np.float32, np.float64):
        x = rng.standard_normal((64, 96)).astype(dt)
        x[0, :4] = [np.nan, -0.0, np.inf, -np.inf]
        x[1, :4] = [np.nan, -0.0, np.inf, -np.inf]
        mask = (rng.random((96, 64)) < 0.5).T
        mask[0, :4], mask[1, :4] = False, True
        want = np.where(mask, dt(0), x)
        for out in (None, np.empty_like(x)):
            got = zero_where(x, mask, out=out)
            assert got.dtype == want.dtype and (out is None or got.base is out or got is out)
            assert np.array_equal(got.view(f"u{x.itemsize}"), want.view(f"u{x.itemsize}"))


def test_broadcast_view_of_0d_equals_broadcast_to():
    s = np.asarray(np.float32(2.5))
    v = broadcast_view(s, (3, 4))
    w = np.broadcast_to(s, (3, 4))
    assert v.shape == w.shape and v.strides == w.strides and np.array_equal(v, w)
    assert not v.flags.writeable and np.shares_memory(v, s)


def test_full_sums_equal_numpy_sum():
    rng = np.random.default_rng(4)
    for x in (rng.standard_normal(10).astype(np.float32), rng.integers(0, 9, (3, 4)),
              rng.random(5) < 0.5, rng.standard_normal((2, 3)) + 1j):
        got = accurate_sum(x, tuple(range(x.ndim)), False)
        want = x.sum()
        assert np.asarray(got).dtype == np.asarray(want).dtype and got == want


def test_linear_matrix_product_equals_matmul():
    rng = np.random.default_rng(5)
    for shape in ((2, 3), (5, 3), (2, 4, 3)):
        x = ember.tensor(rng.standard_normal(shape).astype(np.float32), requires_grad=True)
        lin = ember.nn.Linear(3, 4)
        y = lin(x)
        want = x.detach().numpy() @ lin.weight.detach().numpy().T + lin.bias.detach().numpy()
        assert np.array_equal(y.detach().numpy(), want)
        g = rng.standard_normal(y.shape).astype(np.float32)
        y.backward(ember.tensor(g))
        g2 = g.reshape(-1, 4)
        assert np.array_equal(lin.weight.grad.numpy(), g2.T @ x.detach().numpy().reshape(-1, 3))
        assert np.array_equal(x.grad.numpy(), g @ lin.weight.detach().numpy())


def test_module_hooks_still_run_after_the_no_hook_fast_call():
    lin = ember.nn.Linear(2, 2)
    x = ember.ones(1, 2)
    y0 = lin(x)
    h = lin.register_forward_hook(lambda m, a, out: out * 0)
    assert lin(x).abs().sum().item() == 0
    h.remove()
    assert np.array_equal(lin(x).detach().numpy(), y0.detach().numpy())


def test_mean_of_nothing_is_nan_without_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        m = ember.zeros(0).mean()
    assert torch.zeros(0).mean().isnan() and m.isnan().item()


def test_hooked_accumulator_lives_only_while_held_as_in_torch():
    for lib in (ember, torch):
        calls = []
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        acc = (x * 1).grad_fn.next_functions[0][0]
        acc.register_hook(lambda gi, go: calls.append(1))
        (x * 2).sum().backward()
        assert len(calls) == 1
        del acc                      # nobody holds the hooked node: the next graph has none
        gc.collect()
        (x * 2).sum().backward()
        assert len(calls) == 1, lib.__name__
        acc2 = (x * 1).grad_fn.next_functions[0][0]
        assert acc2.variable is x


def test_accumulator_held_alone_lets_its_leaf_go():
    # a documented difference: PyTorch's AccumulateGrad keeps its leaf alive; ember's refers to
    # it weakly (the leaf keeps the node, so a strong reference back would be a cycle)
    x = ember.ones(3, requires_grad=True)
    node = (x * 2).grad_fn.next_functions[0][0]
    assert node.variable is x
    del x
    gc.collect()
    assert node.variable is None
