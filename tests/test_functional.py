"""ember.autograd.functional against torch.autograd.functional on small functions."""
import numpy as np
import pytest
import torch
import torch.autograd.functional as TF
from helpers import assert_close, check_error, randn

import ember
import ember.autograd.functional as EF


def both(*arrays):
    return tuple(ember.tensor(a) for a in arrays), tuple(torch.tensor(a) for a in arrays)


# The same functions written once for each library: ``lib`` is ember or torch.
def exp_reducer(lib):
    return lambda x: x.exp().sum(dim=1)


def adder(lib):
    return lambda x, y: 2 * x + 3 * y


def pair(lib):
    return lambda x, y: (x * y, (x ** 2).sum())


def pow_reducer(lib):
    return lambda x: x.pow(3).sum()


def pow_adder_reducer(lib):
    return lambda x, y: (2 * x.pow(2)).sum() + (3 * y.pow(2)).sum() + x.sum() * (y * y).sum()


def matfn(lib):
    return lambda a, v: lib.tanh(a @ v)


def close(e, t):
    assert_close(e, t, rtol=1e-7, atol=1e-9)


def test_vjp():
    (x,), (tx,) = both(randn(3, 2))
    (v,), (tv,) = both(randn(3))
    close(EF.vjp(exp_reducer(ember), x, v), TF.vjp(exp_reducer(torch), tx, tv))
    (a, b), (ta, tb) = both(randn(2), randn(2))
    (v,), (tv,) = both(randn(2))
    close(EF.vjp(adder(ember), (a, b), v), TF.vjp(adder(torch), (ta, tb), tv))
    (v1, v2), (tv1, tv2) = both(randn(2), np.array(1.5))
    close(EF.vjp(pair(ember), (a, b), (v1, v2)), TF.vjp(pair(torch), (ta, tb), (tv1, tv2)))
    # a single-element output needs no v
    close(EF.vjp(pow_reducer(ember), a), TF.vjp(pow_reducer(torch), ta))


def test_jvp():
    (x,), (tx,) = both(randn(3, 2))
    (v,), (tv,) = both(randn(3, 2))
    close(EF.jvp(exp_reducer(ember), x, v), TF.jvp(exp_reducer(torch), tx, tv))
    (a, b), (ta, tb) = both(randn(2), randn(2))
    (u1, u2), (tu1, tu2) = both(randn(2), randn(2))
    close(EF.jvp(adder(ember), (a, b), (u1, u2)), TF.jvp(adder(torch), (ta, tb), (tu1, tu2)))
    close(EF.jvp(pair(ember), (a, b), (u1, u2)), TF.jvp(pair(torch), (ta, tb), (tu1, tu2)))
    (s,), (ts,) = both(np.array(0.7))
    close(EF.jvp(lambda z: z * z, s), TF.jvp(lambda z: z * z, ts))   # 1-element input: no v


@pytest.mark.parametrize("name", ["exp_reducer", "adder", "pair", "matfn"])
def test_jacobian(name):
    fn = globals()[name]
    shapes = {"exp_reducer": [(2, 3)], "adder": [(2,), (2,)], "pair": [(3,), (3,)],
              "matfn": [(2, 3), (3,)]}[name]
    ins, tins = both(*[randn(*s) for s in shapes])
    e = EF.jacobian(fn(ember), ins if len(ins) > 1 else ins[0])
    t = TF.jacobian(fn(torch), tins if len(tins) > 1 else tins[0])
    close(e, t)
    # vectorize and forward-mode are other routes to the same numbers (torch's own are slow to
    # warm up, so compare with its reverse mode)
    t = TF.jacobian(fn(torch), tins)
    close(EF.jacobian(fn(ember), ins, vectorize=True), t)
    close(EF.jacobian(fn(ember), ins, vectorize=True, strategy="forward-mode"), t)


def test_jacobian_nesting_and_unused_inputs():
    (x, y), (tx, ty) = both(randn(2), randn(3))
    close(EF.jacobian(lambda a, b: a * 2, (x, y)), TF.jacobian(lambda a, b: a * 2, (tx, ty)))
    close(EF.jacobian(lambda a: (a * 2, a.sum()), x),
          TF.jacobian(lambda a: (a * 2, a.sum()), tx))
    j = EF.jacobian(lambda a, b: a * 2, (x, y))
    assert isinstance(j, tuple) and j[1].shape == (2, 3) and not j[1].numpy().any()
    check_error(lambda: EF.jacobian(lambda a, b: a * 2, (x, y), strict=True), RuntimeError,
                "Output 0 of the user-provided function is independent of input 1. This is not "
                "allowed in strict mode.")


def test_hessian():
    (x,), (tx,) = both(randn(3))
    close(EF.hessian(pow_reducer(ember), x), TF.hessian(pow_reducer(torch), tx))
    (a, b), (ta, tb) = both(randn(2), randn(3))
    e = EF.hessian(pow_adder_reducer(ember), (a, b))
    t = TF.hessian(pow_adder_reducer(torch), (ta, tb))
    close(e, t)
    assert e[0][1].shape == (2, 3) and e[1][0].shape == (3, 2)
    close(EF.hessian(pow_reducer(ember), x, vectorize=True, outer_jacobian_strategy="forward-mode"),
          TF.hessian(pow_reducer(torch), tx))
    check_error(lambda: EF.hessian(lambda z: z * 2, x), RuntimeError,
                "The Tensor returned by the function given to hessian should contain a single "
                "element")
    check_error(lambda: EF.hessian(lambda z: (z.sum(), z.sum()), x), RuntimeError,
                "The function given to hessian should return a single Tensor")


def test_hvp_vhp():
    (x,), (tx,) = both(randn(3))
    (v,), (tv,) = both(randn(3))
    close(EF.hvp(pow_reducer(ember), x, v), TF.hvp(pow_reducer(torch), tx, tv))
    close(EF.vhp(pow_reducer(ember), x, v), TF.vhp(pow_reducer(torch), tx, tv))
    (a, b), (ta, tb) = both(randn(2), randn(3))
    (va, vb), (tva, tvb) = both(randn(2), randn(3))
    close(EF.hvp(pow_adder_reducer(ember), (a, b), (va, vb)),
          TF.hvp(pow_adder_reducer(torch), (ta, tb), (tva, tvb)))
    close(EF.vhp(pow_adder_reducer(ember), (a, b), (va, vb)),
          TF.vhp(pow_adder_reducer(torch), (ta, tb), (tva, tvb)))
    check_error(lambda: EF.hvp(lambda z: z * 2, x, v), RuntimeError,
                "The Tensor returned by the function given to hvp should contain a single element")


def test_create_graph_and_detaching():
    x = ember.tensor(randn(3), requires_grad=True)
    out, g = EF.vjp(lambda z: (z ** 3).sum(), x, create_graph=True)
    assert g.requires_grad and out.requires_grad
    (h,) = ember.autograd.grad(g.sum(), x)
    np.testing.assert_allclose(h.numpy(), 6 * x.detach().numpy())
    out, g = EF.vjp(lambda z: (z ** 3).sum(), x)
    assert not g.requires_grad and not out.requires_grad and g.grad_fn is None
    hs = EF.hessian(lambda z: (z ** 3).sum(), x, create_graph=True)
    assert hs.requires_grad
    j = EF.jacobian(lambda z: z ** 2, x, create_graph=True)
    (gj,) = ember.autograd.grad(j.sum(), x)
    np.testing.assert_allclose(gj.numpy(), np.full(3, 2.0))
    # the caller's tensor does not receive gradients from these calls
    assert x.grad is None
    _, jv = EF.jvp(lambda z: z ** 3, x, ember.ones(3), create_graph=True)
    (gjv,) = ember.autograd.grad(jv.sum(), x)
    np.testing.assert_allclose(gjv.numpy(), 6 * x.detach().numpy())


def test_strict_and_unused():
    (x, y), (tx, ty) = both(randn(2), randn(2))
    close(EF.vjp(lambda a, b: a * 2, (x, y), ember.ones(2)),
          TF.vjp(lambda a, b: a * 2, (tx, ty), torch.ones(2, dtype=torch.float64)))
    check_error(lambda: EF.vjp(lambda a, b: a * 2, (x, y), ember.ones(2), strict=True),
                RuntimeError, "The output of the user-provided function is independent of input "
                "1. This is not allowed in strict mode.")
    check_error(lambda: EF.vjp(lambda a: ember.ones(2), x, ember.ones(2), strict=True),
                RuntimeError, "Output 0 of the user-provided function does not require "
                "gradients.")
    close(EF.jvp(lambda a, b: a * 2, (x, y), (x, y)),
          TF.jvp(lambda a, b: a * 2, (tx, ty), (tx, ty)))
    close(EF.hessian(lambda a: (a * 2).sum(), x), TF.hessian(lambda a: (a * 2).sum(), tx))
    check_error(lambda: EF.hessian(lambda a: (a * 2).sum(), x, strict=True), RuntimeError,
                "While computing the hessian, found that the jacobian of the user-provided "
                "function with respect to input 0 is independent of the input.")


def test_argument_errors():
    x = ember.tensor(randn(3))
    check_error(lambda: EF.vjp(lambda a: a, [x], x), TypeError,
                "The inputs given to vjp must be either a Tensor or a tuple of Tensors but the "
                "given inputs has type <class 'list'>.")
    check_error(lambda: EF.vjp(lambda a: a, (x, 3), x), TypeError,
                "The inputs given to vjp must be either a Tensor or a tuple of Tensors but the "
                "value at index 1 has type <class 'int'>.")
    check_error(lambda: EF.vjp(lambda a: 3, x, x), TypeError,
                "The outputs of the user-provided function given to vjp must be either a Tensor "
                "or a tuple of Tensors but the given outputs of the user-provided function has "
                "type <class 'int'>.")
    check_error(lambda: EF.vjp(lambda a: a * 2, x), RuntimeError,
                "The vector v can only be None if the user-provided function returns a single "
                "Tensor with a single element.")
    check_error(lambda: EF.jvp(lambda a: a * 2, x), RuntimeError,
                "The vector v can only be None if the input to the user-provided function is a "
                "single Tensor with a single element.")
    check_error(lambda: EF.vjp(lambda a: a * 2, x, ember.ones(2)), RuntimeError,
                "v has invalid size: should be torch.Size([3]) but got torch.Size([2]).")
    check_error(lambda: EF.vjp(lambda a: (a, a), x, (x,)), RuntimeError,
                "v is a tuple of invalid length: should be 2 but got 1.")
    check_error(lambda: EF.vjp(lambda a: (a, a), x, (x, ember.ones(2))), RuntimeError,
                "Entry 1 in v has invalid size: should be torch.Size([3]) but got "
                "torch.Size([2]).")
    check_error(lambda: EF.jvp(lambda a: a, x, (x, x)), RuntimeError,
                "The given v should contain a single Tensor.")
    check_error(lambda: EF.jacobian(lambda a: a, x, strategy="sideways"), AssertionError,
                'Expected strategy to be either "forward-mode" or "reverse-mode".')
    check_error(lambda: EF.jacobian(lambda a: a, x, strict=True, vectorize=True), RuntimeError,
                "`strict=True` and `vectorized=True` are not supported together.")
    check_error(lambda: EF.jacobian(lambda a: a, x, strategy="forward-mode"), NotImplementedError,
                "Computing Jacobian using forward-AD or forward-over-reverse Hessian isonly "
                "implemented for `vectorize=True`.")
    check_error(lambda: EF.jacobian(lambda a: a, x, strategy="forward-mode", vectorize=True,
                                    create_graph=True), NotImplementedError,
                '`create_graph=True` and `strategy="forward-mode"` are not supported together')
