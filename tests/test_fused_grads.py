"""Ops whose gradient is a fused Function (forward on arrays, backward in ember ops): the plain
gradient and the one recorded under ``create_graph=True`` agree, and the second order matches
PyTorch's, so the fused node cannot drift from the op's formula."""
import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from torch.nn.utils.rnn import pack_padded_sequence as pt_pack

import ember
import ember.nn.functional as F
from ember.nn.utils.rnn import pack_padded_sequence as pe_pack

RNG = np.random.default_rng(14)   # its own stream: other files draw from helpers.RNG

# name -> (ember fn, torch fn, input shapes); every op whose backward is a fused gradient node
CASES = {
    "linear": (F.linear, TF.linear, [(3, 4), (5, 4), (5,)]),
    "linear_batched": (F.linear, TF.linear, [(2, 3, 4), (5, 4), (5,)]),
    "linear_1d": (lambda x, w: F.linear(x, w), lambda x, w: TF.linear(x, w), [(4,), (5, 4)]),
    "mm": (ember.mm, torch.mm, [(3, 4), (4, 2)]),
    "bmm": (ember.bmm, torch.bmm, [(2, 3, 4), (2, 4, 2)]),
    "matmul_broadcast": (ember.matmul, torch.matmul, [(2, 1, 3, 4), (3, 4, 2)]),
    "batch_norm": (lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True),
                   lambda x, w, b: TF.batch_norm(x, None, None, w, b, training=True),
                   [(4, 3, 2), (3,), (3,)]),
    "batch_norm_eval": (
        lambda x, w, b: F.batch_norm(x, ember.linspace(-1, 1, 3, dtype=ember.float64),
                                     ember.linspace(0.5, 2, 3, dtype=ember.float64), w, b),
        lambda x, w, b: TF.batch_norm(x, torch.linspace(-1, 1, 3, dtype=torch.float64),
                                      torch.linspace(0.5, 2, 3, dtype=torch.float64), w, b),
        [(4, 3, 2), (3,), (3,)]),
    "layer_norm": (lambda x, w, b: F.layer_norm(x, (2, 4), w, b),
                   lambda x, w, b: TF.layer_norm(x, (2, 4), w, b), [(3, 2, 4), (2, 4), (2, 4)]),
    "group_norm": (lambda x, w, b: F.group_norm(x, 2, w, b),
                   lambda x, w, b: TF.group_norm(x, 2, w, b), [(2, 4, 3), (4,), (4,)]),
    "instance_norm": (lambda x: F.instance_norm(x), lambda x: TF.instance_norm(x), [(2, 3, 5)]),
    "conv2d": (lambda x, w: F.conv2d(x, w, padding=1), lambda x, w: TF.conv2d(x, w, padding=1),
               [(2, 2, 4, 4), (3, 2, 3, 3)]),
    "tanh": (ember.tanh, torch.tanh, [(3, 4)]),
    "sigmoid": (ember.sigmoid, torch.sigmoid, [(3, 4)]),
    "gelu": (F.gelu, TF.gelu, [(3, 4)]),
    "elu": (F.elu, TF.elu, [(3, 4)]),
    "softmax": (lambda x: F.softmax(x, 1), lambda x: TF.softmax(x, 1), [(3, 4)]),
    "log_softmax": (lambda x: F.log_softmax(x, 1), lambda x: TF.log_softmax(x, 1), [(3, 4)]),
    "cross_entropy": (lambda x: F.cross_entropy(x, ember.tensor([0, 3, 1])),
                      lambda x: TF.cross_entropy(x, torch.tensor([0, 3, 1])), [(3, 4)]),
    "nll_loss": (lambda x: F.nll_loss(x, ember.tensor([0, 3, 1])),
                 lambda x: TF.nll_loss(x, torch.tensor([0, 3, 1])), [(3, 4)]),
    "bce_with_logits": (F.binary_cross_entropy_with_logits, TF.binary_cross_entropy_with_logits,
                        [(3, 4), (3, 4)]),
    "binary_cross_entropy": (lambda x, y: F.binary_cross_entropy(x.sigmoid(), y.sigmoid()),
                             lambda x, y: TF.binary_cross_entropy(x.sigmoid(), y.sigmoid()),
                             [(3, 4), (3, 4)]),
    "binary_cross_entropy_weighted_sum": (
        lambda x, y: F.binary_cross_entropy(x.sigmoid(), y.sigmoid(),
                                            ember.linspace(0.5, 2, 4, dtype=ember.float64),
                                            reduction="sum"),
        lambda x, y: TF.binary_cross_entropy(x.sigmoid(), y.sigmoid(),
                                             torch.linspace(0.5, 2, 4, dtype=torch.float64),
                                             reduction="sum"), [(3, 4), (3, 4)]),
    "mse_loss": (F.mse_loss, TF.mse_loss, [(3, 4), (3, 4)]),
    "l1_loss": (F.l1_loss, TF.l1_loss, [(3, 4), (3, 4)]),
    "mul": (ember.mul, torch.mul, [(3, 4), (4,)]),
    "mul_scalar": (lambda x: 2.5 * x * x, lambda x: 2.5 * x * x, [(3, 4)]),
    "mul_self": (lambda x: x * x, lambda x: x * x, [(3, 4)]),
    "mul_chain": (lambda x, y: x * y * x, lambda x, y: x * y * x, [(3, 4), (3, 1)]),
}


def _inputs(shapes):
    arrays = [RNG.standard_normal(s) for s in shapes]
    return ([ember.tensor(a, requires_grad=True) for a in arrays],
            [torch.tensor(a, requires_grad=True) for a in arrays])


@pytest.mark.parametrize("name", sorted(CASES))
def test_plain_and_create_graph_gradients_agree(name):
    fe, ft, shapes = CASES[name]
    xe, xt = _inputs(shapes)
    ye = fe(*xe)
    g = RNG.standard_normal(tuple(ye.shape))
    plain = ember.autograd.grad(ye, xe, ember.tensor(g), retain_graph=True)
    graphed = ember.autograd.grad(ye, xe, ember.tensor(g), create_graph=True)
    for p, q in zip(plain, graphed):
        np.testing.assert_allclose(p.numpy(), q.detach().numpy(), rtol=1e-12, atol=1e-12)
    # the second order (through the fused node's own backward) matches PyTorch's
    yt = ft(*xt)
    gt = torch.autograd.grad(yt, xt, torch.tensor(g), create_graph=True)
    for p, q in zip(graphed, gt):
        np.testing.assert_allclose(p.detach().numpy(), q.detach().numpy(), rtol=1e-9, atol=1e-9)
    w = [RNG.standard_normal(tuple(p.shape)) for p in graphed]
    se = sum((p * ember.tensor(v)).sum() for p, v in zip(graphed, w))
    st = sum((p * torch.tensor(v)).sum() for p, v in zip(gt, w))
    he = ember.autograd.grad(se, xe, allow_unused=True) if se.requires_grad else [None] * len(xe)
    ht = torch.autograd.grad(st, xt, allow_unused=True)
    for p, q, x in zip(he, ht, xt):
        # a zero second derivative (l1, a bias) may be left unconnected: None or zeros
        p = np.zeros(tuple(x.shape)) if p is None else p.numpy()
        q = np.zeros(tuple(x.shape)) if q is None else q.detach().numpy(force=True)
        np.testing.assert_allclose(p, q, rtol=1e-8, atol=1e-8)


@pytest.mark.parametrize("name", ["linear", "mm", "batch_norm", "layer_norm", "group_norm",
                                  "mul"])
def test_fused_gradient_gradgradcheck(name):
    fe, _, shapes = CASES[name]
    xe, _ = _inputs(shapes)
    assert ember.autograd.gradgradcheck(fe, tuple(xe))


def _copy_params(em, tm):
    with torch.no_grad():
        for (_, p), (_, q) in zip(em.named_parameters(), tm.named_parameters()):
            q.copy_(torch.from_numpy(p.detach().numpy()))


def _check_orders(pe, pt, ye, yt, x_shape):
    """Plain and create_graph gradients of ``ye`` agree; they, and the second order through
    the first input's gradient, match PyTorch's."""
    g = RNG.standard_normal(tuple(ye.shape))
    plain = ember.autograd.grad(ye, pe, ember.tensor(g), retain_graph=True)
    graphed = ember.autograd.grad(ye, pe, ember.tensor(g), create_graph=True)
    gt = torch.autograd.grad(yt, pt, torch.tensor(g), create_graph=True)
    for p, q, r in zip(plain, graphed, gt):
        np.testing.assert_allclose(p.numpy(), q.detach().numpy(), rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(q.detach().numpy(), r.detach().numpy(), rtol=1e-8, atol=1e-10)
    w = RNG.standard_normal(x_shape)
    he = ember.autograd.grad((graphed[0] * ember.tensor(w)).sum(), pe[1:])
    ht = torch.autograd.grad((gt[0] * torch.tensor(w)).sum(), pt[1:])
    for p, q in zip(he, ht):
        np.testing.assert_allclose(p.numpy(), q.numpy(), rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("cell,kw", [("LSTM", {}), ("GRU", {}), ("RNN", {}),
                                     ("LSTM", {"proj_size": 2, "bidirectional": True}),
                                     ("GRU", {"bidirectional": True})])
def test_recurrent_plain_and_create_graph_gradients_agree(cell, kw):
    # the recurrent ops' fused gradient nodes (LSTMLayerGrad, GRUCellGrad): plain and
    # create_graph gradients agree, and the second order (their own backward) is PyTorch's
    em = getattr(ember.nn, cell)(3, 4, num_layers=2, **kw).double()
    tm = getattr(torch.nn, cell)(3, 4, num_layers=2, **kw).double()
    _copy_params(em, tm)
    x = RNG.standard_normal((5, 2, 3))
    xe, xt = ember.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    _check_orders([xe] + list(em.parameters()), [xt] + list(tm.parameters()), em(xe)[0],
                  tm(xt)[0], x.shape)


@pytest.mark.parametrize("cell", ["LSTMCell", "GRUCell", "RNNCell"])
def test_recurrent_cell_plain_and_create_graph_gradients_agree(cell):
    em = getattr(ember.nn, cell)(3, 4).double()
    tm = getattr(torch.nn, cell)(3, 4).double()
    _copy_params(em, tm)
    x, h = RNG.standard_normal((2, 3)), RNG.standard_normal((2, 4))
    xe, xt = ember.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    he, ht = ember.tensor(h, requires_grad=True), torch.tensor(h, requires_grad=True)
    pe, pt = [xe, he] + list(em.parameters()), [xt, ht] + list(tm.parameters())
    if cell == "LSTMCell":
        c = RNG.standard_normal((2, 4))
        ce, ct = ember.tensor(c, requires_grad=True), torch.tensor(c, requires_grad=True)
        pe.insert(2, ce)
        pt.insert(2, ct)
        ye, yt = em(xe, (he, ce)), tm(xt, (ht, ct))
        # h' and c' together: both outputs' upstream gradients reach the fused node
        ye, yt = ye[0] * 2 + ye[1], yt[0] * 2 + yt[1]
    else:
        ye, yt = em(xe, he), tm(xt, ht)
    _check_orders(pe, pt, ye, yt, x.shape)


def test_packed_lstm_plain_and_create_graph_gradients_agree():
    em, tm = ember.nn.LSTM(3, 4).double(), torch.nn.LSTM(3, 4).double()
    _copy_params(em, tm)
    x = RNG.standard_normal((4, 3, 3))
    xe, xt = ember.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    ye = em(pe_pack(xe, [4, 2, 1]))[1][0]
    yt = tm(pt_pack(xt, torch.tensor([4, 2, 1])))[1][0]
    _check_orders([xe] + list(em.parameters()), [xt] + list(tm.parameters()), ye, yt, x.shape)


def test_cumprod_with_zeros_plain_and_create_graph_agree():
    x = RNG.standard_normal((3, 5))
    x[1, 2] = x[2, 0] = 0.0
    xe = ember.tensor(x, requires_grad=True)
    y = ember.cumprod(xe, 1)
    g = ember.tensor(RNG.standard_normal((3, 5)))
    plain = ember.autograd.grad(y, xe, g, retain_graph=True)[0]
    graphed = ember.autograd.grad(y, xe, g, create_graph=True)[0]
    np.testing.assert_allclose(plain.numpy(), graphed.detach().numpy(), rtol=1e-12, atol=1e-12)
    xt = torch.tensor(x, requires_grad=True)
    gt = torch.autograd.grad(torch.cumprod(xt, 1), xt, torch.tensor(g.numpy()))[0]
    np.testing.assert_allclose(plain.numpy(), gt.numpy(), rtol=1e-10, atol=1e-12)
    # second order through CumprodGrad's own backward (the exact form), against PyTorch's
    gg = ember.autograd.grad(y, xe, g, create_graph=True)[0]
    gtt = torch.autograd.grad(torch.cumprod(xt, 1), xt, torch.tensor(g.numpy()),
                              create_graph=True)[0]
    w = RNG.standard_normal((3, 5))
    he = ember.autograd.grad((gg * ember.tensor(w)).sum(), xe)[0]
    ht = torch.autograd.grad((gtt * torch.tensor(w)).sum(), xt)[0]
    np.testing.assert_allclose(he.numpy(), ht.numpy(), rtol=1e-9, atol=1e-10)
    assert ember.autograd.gradgradcheck(lambda v: ember.cumprod(v, 1),
                                        (ember.tensor(x, requires_grad=True),))


@pytest.mark.parametrize("op", ["lstm_cell", "cumprod"])
def test_third_order_through_fused_nodes_matches_torch(op):
    # the fused node's own backward is recorded under create_graph: a third derivative is exact
    x = RNG.standard_normal((2, 3))
    if op == "lstm_cell":
        x[0, 1] = 0.0
        em, tm = ember.nn.LSTMCell(3, 2).double(), torch.nn.LSTMCell(3, 2).double()
        _copy_params(em, tm)
        fe, ft = (lambda v: em(v)[0].sum()), (lambda v: tm(v)[0].sum())
    else:
        x[1, 1] = 0.0
        fe, ft = (lambda v: ember.cumprod(v, 1).sum()), (lambda v: torch.cumprod(v, 1).sum())
    xe, xt = ember.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    w = RNG.standard_normal(x.shape)
    results = []
    for f, v, T, grad in ((fe, xe, ember.tensor, ember.autograd.grad),
                          (ft, xt, torch.tensor, torch.autograd.grad)):
        (g1,) = grad(f(v), v, create_graph=True)
        (g2,) = grad((g1 * T(w)).sum(), v, create_graph=True)
        (g3,) = grad((g2 * g2).sum(), v)
        results.append(g3.detach().numpy())
    np.testing.assert_allclose(results[0], results[1], rtol=1e-8, atol=1e-10)


def test_complex_mul_first_and_second_order_match_pytorch():
    # MulGrad multiplies by the conjugates (PyTorch's convention for holomorphic ops)
    za = RNG.standard_normal((3, 4)) + 1j * RNG.standard_normal((3, 4))
    zb = RNG.standard_normal(4) + 1j * RNG.standard_normal(4)
    g = RNG.standard_normal((3, 4)) + 1j * RNG.standard_normal((3, 4))
    w = RNG.standard_normal((3, 4)) + 1j * RNG.standard_normal((3, 4))
    res = []
    for lib in (ember, torch):
        a, b = lib.tensor(za, requires_grad=True), lib.tensor(zb, requires_grad=True)
        y = a * b * (0.5 - 2j)
        ga, gb = lib.autograd.grad(y, (a, b), lib.tensor(g), create_graph=True)
        s = (ga * lib.tensor(w)).abs().sum() + gb.real.sum()
        h = lib.autograd.grad(s, (a, b))
        res.append([t.detach().resolve_conj().numpy() for t in (ga, gb) + tuple(h)])
    for p, q in zip(*res):
        np.testing.assert_allclose(p, q, rtol=1e-10, atol=1e-12)


def test_mul_gradient_dtypes_follow_pytorch_promotion():
    x = RNG.standard_normal(5).astype(np.float32)
    res = []
    for lib in (ember, torch):
        a = lib.tensor(x, requires_grad=True)
        b = lib.tensor(1.5, dtype=lib.float64, requires_grad=True)   # 0-d: does not promote
        c = lib.tensor([1, 2, 3, 4, 5])                               # int: float result
        (a * b * c).sum().backward()
        res.append((a.grad, b.grad))
    for p, q in zip(*res):
        assert str(p.dtype).split(".")[-1] == str(q.dtype).split(".")[-1]
        np.testing.assert_allclose(p.numpy(), q.numpy(), rtol=1e-6)
