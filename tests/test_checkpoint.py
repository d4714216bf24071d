"""ember.utils.checkpoint against plain backward and against torch.utils.checkpoint."""
import gc
import importlib
import weakref

import numpy as np
import pytest
import torch
from helpers import check_error
from test_programs import LIBS, close, twin

import ember


def _net(lib):
    lib.manual_seed(0)
    return lib.nn.Sequential(lib.nn.Linear(4, 8), lib.nn.Dropout(0.5), lib.nn.Tanh(),
                             lib.nn.Linear(8, 3))


def _grads(lib, use_reentrant, checkpointed, input_grad=True):
    cp = importlib.import_module(lib.__name__ + ".utils.checkpoint")
    net = _net(lib)
    x = lib.tensor(np.linspace(-1, 1, 20, dtype=np.float32).reshape(5, 4),
                   requires_grad=input_grad)
    lib.manual_seed(1)
    y = cp.checkpoint(net, x, use_reentrant=use_reentrant) if checkpointed else net(x)
    (y * y).sum().backward()
    return ([y.detach().numpy()] + [p.grad.numpy() if p.grad is not None else None
                                    for p in net.parameters()]
            + [x.grad.numpy() if x.grad is not None else None])


@pytest.mark.parametrize("use_reentrant", [True, False])
def test_checkpoint_equals_plain_backward_and_torch(use_reentrant):
    plain = _grads(ember, use_reentrant, False)
    got = _grads(ember, use_reentrant, True)      # dropout: the rerun must draw the same mask
    theirs = _grads(torch, use_reentrant, True)
    for a, b, c in zip(got, plain, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
        assert c.shape == a.shape


def test_inputs_without_grad():
    # non-reentrant: parameters inside still get gradients; reentrant: none, with a warning
    got = _grads(ember, False, True, input_grad=False)
    assert all(g is not None for g in got[1:-1]) and got[-1] is None
    with pytest.warns(UserWarning, match="None of the inputs have requires_grad=True"):
        ember.utils.checkpoint.checkpoint(ember.nn.Linear(2, 2), ember.ones(1, 2),
                                          use_reentrant=True)
    with pytest.warns(UserWarning, match="use_reentrant parameter should be passed explicitly"):
        ember.utils.checkpoint.checkpoint(lambda a: a * 2, ember.ones(2, requires_grad=True))
    check_error(lambda: ember.utils.checkpoint.checkpoint(lambda a, k=1: a, ember.ones(1), k=2,
                                                          use_reentrant=True),
                ValueError, "Unexpected keyword arguments: k")


def test_segment_activations_are_not_kept():
    kept = []

    class Probe(ember.nn.Module):
        def forward(self, x):
            y = x.tanh() * 3
            kept.append(weakref.ref(y))
            return y

    lin = ember.nn.Linear(3, 3)
    x = ember.randn(2, 3, requires_grad=True)
    y = ember.utils.checkpoint.checkpoint(lambda a: lin(Probe()(a)), x, use_reentrant=False)
    gc.collect()
    assert kept[0]() is None          # the segment's inner activation was freed after forward
    y.sum().backward()
    assert x.grad is not None and lin.weight.grad is not None
    assert type(y.grad_fn).__name__ == "CheckpointFunctionBackward"


def test_tuple_outputs_and_sequential():
    a = ember.randn(3, requires_grad=True)
    u, v = ember.utils.checkpoint.checkpoint(lambda t: (t * 2, t.exp()), a, use_reentrant=False)
    (u.sum() + v.sum()).backward()
    np.testing.assert_allclose(a.grad.numpy(), 2 + np.exp(a.detach().numpy()), rtol=1e-6)
    net = ember.nn.Sequential(*[ember.nn.Linear(4, 4) for _ in range(4)])
    x = ember.randn(2, 4, requires_grad=True)
    ember.utils.checkpoint.checkpoint_sequential(net, 2, x, use_reentrant=False).sum().backward()
    g = [p.grad.numpy().copy() for p in net.parameters()] + [x.grad.numpy().copy()]
    net.zero_grad()
    x.grad = None
    net(x).sum().backward()
    for a, b in zip(g, [p.grad.numpy() for p in net.parameters()] + [x.grad.numpy()]):
        np.testing.assert_allclose(a, b, rtol=1e-6)


# -- programs: activation checkpointing --------------------------------------------------------------
def _np(shape, seed=0, scale=1.0):
    return (np.random.default_rng(seed).standard_normal(shape) * scale).astype(np.float32)


X8 = _np((32, 8), seed=10)


def test_activation_checkpointing_non_reentrant():
    def build(torch, nn, F):
        return nn.ModuleList([nn.Sequential(nn.Linear(8, 8), nn.GELU(), nn.LayerNorm(8)) for _ in range(3)])

    def prog(torch, nn, F, blocks, ckpt):
        from importlib import import_module
        checkpoint = import_module(torch.__name__ + ".utils.checkpoint").checkpoint
        x = torch.from_numpy(X8).requires_grad_()
        h = x
        for blk in blocks:
            h = checkpoint(blk, h, use_reentrant=False) if ckpt else blk(h)
        loss = h.pow(2).mean()
        loss.backward()
        grads = [p.grad.clone() for p in blocks.parameters()]
        blocks.zero_grad()
        return loss, x.grad, grads, h.requires_grad

    e_m, t_m = twin(build)
    t = prog(*LIBS["torch"], t_m, True)
    close(prog(*LIBS["ember"], e_m, True), t, rtol=1e-4, atol=1e-6)
    close(prog(*LIBS["ember"], e_m, False), t, rtol=1e-4, atol=1e-6)
