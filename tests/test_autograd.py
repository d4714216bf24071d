"""The autograd engine and Function mechanism, against PyTorch's behaviour and messages."""
import numpy as np
import pytest
import torch
from helpers import assert_close, check_error, randn
from test_programs import both as run_both

import ember


def both(a, requires_grad=True):
    return (ember.tensor(a, requires_grad=requires_grad),
            torch.tensor(a, requires_grad=requires_grad))


def test_accumulates_into_leaves():
    a = randn(3, 4)
    e, t = both(a)
    for _ in range(2):
        (e * e).sum().backward()
        (t * t).sum().backward()
    assert_close(e.grad, t.grad)


def test_shared_subexpression_and_diamond():
    a = randn(5)
    e, t = both(a)
    ze = (e.exp() * e.exp() + e.exp().exp()).sum()
    zt = (t.exp() * t.exp() + t.exp().exp()).sum()
    ze.backward()
    zt.backward()
    assert_close(e.grad, t.grad, rtol=1e-10)


def test_add_grad_is_not_aliased_between_leaves():
    a, b = ember.ones(3, requires_grad=True), ember.ones(3, requires_grad=True)
    (a + b).sum().backward()
    a.grad += 1
    assert b.grad.tolist() == [1.0, 1.0, 1.0]


def test_second_backward_without_retain_graph():
    x = ember.ones(3, requires_grad=True)
    y = (x * x).sum()
    y.backward()
    check_error(y.backward, RuntimeError, "Trying to backward through the graph a second time")


def test_retain_graph_allows_second_backward():
    x = ember.ones(3, requires_grad=True)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    assert x.grad.tolist() == [4.0, 4.0, 4.0]


def test_nonscalar_backward_needs_gradient():
    x = ember.ones(3, requires_grad=True)
    check_error(lambda: (x * 2).backward(), RuntimeError,
                "grad can be implicitly created only for scalar outputs")
    (x * 2).backward(ember.ones(3))
    assert x.grad.tolist() == [2.0, 2.0, 2.0]


def test_backward_gradient_shape_mismatch():
    x = ember.ones(3, requires_grad=True)
    check_error(lambda: (x * 2).backward(ember.ones(4)), RuntimeError, "Mismatch in shape")


def test_backward_on_tensor_without_grad():
    check_error(lambda: ember.ones(2).sum().backward(), RuntimeError,
                "element 0 of tensors does not require grad and does not have a grad_fn")


def test_inplace_on_saved_tensor_detected():
    x = ember.ones(3, requires_grad=True)
    y = x.exp()
    z = y.sum() * 1
    (y * y).sum()
    w = y * 2
    y.add_(1)
    check_error(lambda: (y.exp().sum() + z).backward(), RuntimeError,
                "one of the variables needed for gradient computation has been modified by an "
                "inplace operation")
    _ = w
    tx = torch.ones(3, requires_grad=True)
    ty = tx.exp()
    ty.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        ty.sum().backward()
    x2 = ember.ones(3, requires_grad=True)
    y2 = x2.exp()
    y2.add_(1)
    check_error(lambda: y2.sum().backward(), RuntimeError, "is at version 1; expected version 0")


def test_inplace_on_leaf_requiring_grad():
    x = ember.ones(3, requires_grad=True)
    check_error(lambda: x.add_(1), RuntimeError,
                "a leaf Variable that requires grad is being used in an in-place operation.")
    with ember.no_grad():
        x.add_(1)
    assert x.tolist() == [2.0, 2.0, 2.0]


def test_inplace_on_nonleaf_records_graph():
    a = randn(4)
    e, t = both(a)
    for x in (e, t):
        y = x * 2
        y.mul_(x)
        y += 1
        y.sum().backward()
    assert_close(e.grad, t.grad)


def test_setitem_autograd():
    a, v = randn(4, 3), randn(3)
    e, t = both(a)
    ev, tv = both(v)
    for x, val in ((e, ev), (t, tv)):
        y = x * 1
        y[1] = val * 2
        y[y > 1] = 0.0
        (y * y).sum().backward()
    assert_close(e.grad, t.grad)
    assert_close(ev.grad, tv.grad)


def test_requires_grad_only_for_float():
    check_error(lambda: ember.tensor([1, 2], requires_grad=True), RuntimeError,
                "Only Tensors of floating point and complex dtype can require gradients")
    check_error(lambda: ember.tensor([1, 2]).requires_grad_(), RuntimeError,
                "only Tensors of floating point dtype can require gradients")


def test_requires_grad_on_nonleaf():
    y = ember.ones(2, requires_grad=True) * 2

    def f():
        y.requires_grad = False
    check_error(f, RuntimeError, "you can only change requires_grad flags of leaf variables.")


def test_grad_modes():
    x = ember.ones(2, requires_grad=True)
    with ember.no_grad():
        assert not (x * 2).requires_grad
        with ember.enable_grad():
            assert (x * 2).requires_grad
    with ember.set_grad_enabled(False):
        assert not ember.is_grad_enabled()
    assert ember.is_grad_enabled()
    with ember.inference_mode():
        assert not (x * 2).requires_grad

    @ember.no_grad()
    def f(t):
        return t * 2

    assert not f(x).requires_grad
    assert ember.is_grad_enabled()
    ember.set_grad_enabled(False)
    assert not ember.is_grad_enabled()
    ember.set_grad_enabled(True)


def test_is_leaf_grad_fn_repr_and_detach():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    assert x.is_leaf and not y.is_leaf
    assert repr(x) == "tensor([1., 2.], requires_grad=True)"
    assert repr(y) == "tensor([2., 4.], grad_fn=<MulBackward0>)"
    d = y.detach()
    assert d.is_leaf and not d.requires_grad and d.grad_fn is None
    assert np.shares_memory(d.numpy(), y._data)
    check_error(lambda: x.numpy(), RuntimeError, "Can't call numpy() on Tensor that requires grad")
    assert y.grad_fn.next_functions[0][0].name() == "torch::autograd::AccumulateGrad"


def test_autograd_grad_and_higher_order():
    a = randn(4)
    e, t = both(a)
    outs = []
    for mod, x in ((ember, e), (torch, t)):
        y = (x ** 3).sum()
        (g,) = mod.autograd.grad(y, x, create_graph=True)
        (gg,) = mod.autograd.grad(g.sum(), x)
        outs.append((g, gg))
    assert_close(outs[0][0], outs[1][0])
    assert_close(outs[0][1], outs[1][1])
    assert e.grad is None


def test_grad_allow_unused():
    x, z = ember.ones(2, requires_grad=True), ember.ones(2, requires_grad=True)
    y = (x * 2).sum()
    check_error(lambda: ember.autograd.grad(y, [x, z], retain_graph=True), RuntimeError,
                "One of the differentiated Tensors appears to not have been used in the graph")
    gx, gz = ember.autograd.grad(y, [x, z], allow_unused=True)
    assert gz is None and gx.tolist() == [2.0, 2.0]


def test_grad_of_nonleaf_input():
    a = randn(3)
    e, t = both(a)
    res = []
    for mod, x in ((ember, e), (torch, t)):
        h = x.exp()
        y = (h * h).sum()
        res.append(mod.autograd.grad(y, h)[0])
    assert_close(res[0], res[1])


def test_backward_inputs_restricts_accumulation():
    x, z = ember.ones(2, requires_grad=True), ember.ones(2, requires_grad=True)
    (x * z).sum().backward(inputs=[x])
    assert x.grad is not None and z.grad is None


def test_hooks_and_retain_grad():
    a = randn(3)
    e, t = both(a)
    seen = {}
    for name, x in (("e", e), ("t", t)):
        h = x * 2
        h.retain_grad()
        h.register_hook(lambda g, n=name: seen.__setitem__(n, g.clone()))
        handle = x.register_hook(lambda g: g * 10)
        (h * h).sum().backward()
        handle.remove()
        seen[name + "h"] = h.grad
    assert_close(seen["e"], seen["t"])
    assert_close(seen["eh"], seen["th"])
    assert_close(e.grad, t.grad)


def test_custom_function():
    class MyExp(ember.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            y = x.exp()
            ctx.save_for_backward(y)
            return y

        @staticmethod
        def backward(ctx, g):
            (y,) = ctx.saved_tensors
            return g * y

    x = ember.tensor([0.0, 1.0], requires_grad=True)
    y = MyExp.apply(x)
    assert "MyExpBackward" in repr(y)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.exp([0.0, 1.0]), rtol=1e-6)
    xd = ember.tensor(randn(3), requires_grad=True)
    assert ember.autograd.gradcheck(MyExp.apply, (xd,))
    assert ember.autograd.gradgradcheck(MyExp.apply, (xd,))


def test_custom_function_ctx_features():
    class Split(ember.autograd.Function):
        @staticmethod
        def forward(ctx, x, k):
            ctx.set_materialize_grads(False)
            idx = ember.tensor([1, 2])
            ctx.mark_non_differentiable(idx)
            assert ctx.needs_input_grad == (True, False)
            return x * k, idx

        @staticmethod
        def backward(ctx, g, g_idx):
            assert g_idx is None
            return g * 3, None

    x = ember.ones(2, requires_grad=True)
    y, idx = Split.apply(x, 3)
    assert not idx.requires_grad
    y.sum().backward()
    assert x.grad.tolist() == [3.0, 3.0]


def test_function_wrong_number_of_grads():
    class Bad(ember.autograd.Function):
        @staticmethod
        def forward(ctx, x, y):
            return x * y

        @staticmethod
        def backward(ctx, g):
            return g

    x = ember.ones(2, requires_grad=True)
    check_error(lambda: Bad.apply(x, x).sum().backward(), RuntimeError,
                "returned an incorrect number of gradients (expected 2, got 1)")


def test_node_hooks():
    x = ember.ones(2, requires_grad=True)
    y = x * 2
    calls = []
    y.grad_fn.register_prehook(lambda go: calls.append("pre"))
    y.grad_fn.register_hook(lambda gi, go: calls.append("post"))
    y.sum().backward()
    assert calls == ["pre", "post"]


def test_broadcast_grad_reduced_by_engine():
    a, b = randn(4, 1, 3), randn(5, 1)
    e1, t1 = both(a)
    e2, t2 = both(b)
    (e1 * e2).sum().backward()
    (t1 * t2).sum().backward()
    assert_close(e1.grad, t1.grad)
    assert_close(e2.grad, t2.grad)


def test_dtype_of_grad_follows_input():
    x = ember.ones(2, requires_grad=True)
    w = ember.ones(2, dtype=ember.float64, requires_grad=True)
    (x * w).sum().backward()
    assert x.grad.dtype is ember.float32 and w.grad.dtype is ember.float64


def test_two_layer_net_loss_falls():
    ember.manual_seed(0)
    x, y = ember.randn(64, 100), ember.randn(64, 10)
    w1 = ember.randn(100, 50, requires_grad=True)
    w2 = ember.randn(50, 10, requires_grad=True)
    losses = []
    for _ in range(200):
        loss = (x.mm(w1).clamp(min=0).mm(w2) - y).pow(2).sum()
        losses.append(loss.item())
        loss.backward()
        with ember.no_grad():
            w1 -= 1e-5 * w1.grad
            w2 -= 1e-5 * w2.grad
            w1.grad.zero_()
            w2.grad.zero_()
    assert losses[-1] < losses[0] * 0.05


@pytest.mark.parametrize("case", ["slice_mul", "row_add", "view_then_base", "diag_like"])
def test_inplace_through_view(case):
    a, b = randn(4, 3), randn(3)
    e, t = both(a)
    eb, tb = both(b)
    outs = []
    for x, v in ((e, eb), (t, tb)):
        y = x * 1
        if case == "slice_mul":
            y[1:3].mul_(2)
        elif case == "row_add":
            y[0].add_(v)
        elif case == "view_then_base":
            r = y.view(12)
            r[::2].mul_(v.sum())
            y = y + 1
        else:
            y.t()[1].mul_(3)
        outs.append(y)
        (y * y).sum().backward()
    assert_close(outs[0], outs[1])
    assert_close(e.grad, t.grad)
    assert_close(eb.grad, tb.grad)


def test_inplace_on_view_of_leaf():
    x = ember.ones(3, requires_grad=True)
    check_error(lambda: x[0:2].mul_(2), RuntimeError,
                "a view of a leaf Variable that requires grad is being used in an in-place "
                "operation.")


def test_mul_keeps_only_what_backward_needs():
    # torch saves only the other operand: changing x in place after y = x[:2] * 3 is fine
    for lib in (ember, torch):
        a = lib.ones(3, requires_grad=True)
        x = a * 2
        y = x[:2] * 3
        x[0] = 1.0
        y.sum().backward()
        assert a.grad.tolist() == [6.0, 6.0, 0.0]


# -- the engine's data model (autograd/README.md) -----------------------------------------------

def test_worked_example_of_the_readme():
    a = ember.tensor([1., 2.], requires_grad=True)
    b = ember.tensor([3., 4.], requires_grad=True)
    c = a * b
    e = c + a
    d = e.sum()
    add = d.grad_fn._next[0].node
    mul, acc_a = add._next[0].node, add._next[1].node
    assert (add.name(), mul.name(), acc_a.variable is a) == ("AddBackward0", "MulBackward0", True)
    edge = mul._next[1]
    assert (edge.node.variable is b, edge.out_idx, edge.shape, edge.dtype) == \
        (True, 0, (2,), ember.float32)
    # creation order is topological: each node is newer than the nodes it points to
    assert d.grad_fn._seq > add._seq > mul._seq > acc_a._seq
    d.backward()
    assert a.grad.tolist() == [4., 5.] and b.grad.tolist() == [1., 2.]


def test_release_frees_saved_tensors_and_declared_arrays():
    # ops that keep index/mask arrays on ctx: after backward none is left on any node
    from ember.autograd.function import _holds_array
    x = ember.tensor(randn(4, 5), requires_grad=True)
    lstm = ember.nn.LSTM(5, 3).double()
    outs = [x.sort(1)[0], x.max(1)[0], x.clamp(-0.5, 0.5), x[ember.tensor([0, 2])],
            x.topk(2)[0], x.median(1)[0], ember.fmax(x, x.flip(0)), lstm(x[None])[0]]
    nodes = [o.grad_fn for o in outs]
    sum(o.sum() for o in outs).backward()
    for n in nodes:
        assert n._saved is None
        left = [k for k, v in n.__dict__.items() if k[0] != "_" and _holds_array(v)]
        assert not left, (n.name(), left)


# -- programs: ember.testing and anomaly detection ---------------------------------------------------
def test_testing_assert_close_and_detect_anomaly():
    def prog(torch, nn, F):
        a = torch.tensor([1.0, 2.0, 3.0])
        torch.testing.assert_close(a, a + 1e-7)
        torch.testing.assert_close(a.double(), a.double(), rtol=0, atol=0)
        errs = []
        for args, kw in (((a, a + 0.1), {}), ((a, a.double()), {}), ((a, torch.tensor([1, 2, 3])), {}),
                         ((a, a.double()), {"check_dtype": False}), ((a, a[:2]), {})):
            try:
                torch.testing.assert_close(*args, **kw)
                errs.append(None)
            except (AssertionError, TypeError, ValueError) as ex:
                errs.append(type(ex).__name__)
        x = torch.tensor([-1.0, 4.0], requires_grad=True)
        with torch.autograd.detect_anomaly():
            y = torch.sqrt(x)  # forward gives nan for -1 -> backward returns nan
            try:
                y.sum().backward()
                anomaly = None
            except RuntimeError as ex:
                anomaly = str(ex).split("\n")[0]
        with torch.autograd.set_detect_anomaly(False):
            torch.sqrt(torch.tensor([4.0], requires_grad=True)).sum().backward()
        return errs, anomaly, torch.is_anomaly_enabled()

    with pytest.warns(UserWarning):  # PyTorch warns that anomaly detection slows programs down
        e, t = run_both(prog)
    assert e == t
