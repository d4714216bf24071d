"""The one helper every op test uses: run an op in ember and in PyTorch on the same random
inputs, compare forward values and dtypes, then gradients for a random upstream gradient, then
(optionally) gradcheck / gradgradcheck in float64."""
import numpy as np
import torch

import ember

RNG = np.random.default_rng(1234)
DEVICE = "cpu"    # where ember's tensors live: ``pytest --device cuda`` sets it (conftest.py)


def randn(*shape, dtype=np.float64, low=None, high=None):
    if low is not None:
        return RNG.uniform(low, high, size=shape).astype(dtype)
    return RNG.standard_normal(shape).astype(dtype)


def to_torch(a, requires_grad=False):
    t = torch.from_numpy(np.array(a, copy=True))
    if requires_grad and t.is_floating_point():
        t.requires_grad_()
    return t


def to_ember(a, requires_grad=False):
    t = ember.tensor(np.array(a, copy=True), device=DEVICE)
    if requires_grad and t.is_floating_point():
        t.requires_grad_()
    return t


def assert_close(e, t, rtol=1e-6, atol=1e-6, check_dtype=True, msg=""):
    """Compare an ember result with a PyTorch result (tensors, or nested tuples of them)."""
    if isinstance(t, (tuple, list)):
        assert len(e) == len(t), f"{msg}: {len(e)} results vs torch's {len(t)}"
        for a, b in zip(e, t):
            assert_close(a, b, rtol, atol, check_dtype, msg)
        return
    if isinstance(t, torch.Tensor):
        assert isinstance(e, ember.Tensor), f"{msg}: expected a Tensor, got {type(e)}"
        assert tuple(e.shape) == tuple(t.shape), f"{msg}: shape {tuple(e.shape)} vs torch " \
                                                 f"{tuple(t.shape)}"
        if check_dtype:
            assert e.dtype.name == str(t.dtype).split(".")[1], \
                f"{msg}: dtype {e.dtype.name} vs torch {t.dtype}"
        np.testing.assert_allclose(np.asarray(e.detach().cpu().numpy(), dtype=np.complex128
                                              if t.is_complex() else np.float64),
                                   t.detach().numpy().astype(np.complex128 if t.is_complex()
                                                             else np.float64),
                                   rtol=rtol, atol=atol, equal_nan=True, err_msg=msg)
    else:
        assert e == t, f"{msg}: {e} vs torch {t}"


def check_op(ember_fn, torch_fn, *inputs, grad=True, rtol=1e-6, atol=1e-6, gradcheck=True,
             gradgradcheck=False, check_dtype=True, nondiff=()):
    """``inputs`` are NumPy arrays (or plain Python values passed through unchanged).

    Float arrays get ``requires_grad`` unless their position is in ``nondiff``. Returns the
    ember output for extra checks."""
    def make(conv):
        return [conv(a, requires_grad=grad and i not in nondiff) if isinstance(a, np.ndarray)
                else a for i, a in enumerate(inputs)]

    e_in, t_in = make(to_ember), make(to_torch)
    e_out, t_out = ember_fn(*e_in), torch_fn(*t_in)
    assert_close(e_out, t_out, rtol, atol, check_dtype, "forward")
    if not grad:
        return e_out
    e_outs = e_out if isinstance(e_out, (tuple, list)) else (e_out,)
    t_outs = t_out if isinstance(t_out, (tuple, list)) else (t_out,)
    pairs = [(e, t) for e, t in zip(e_outs, t_outs)
             if isinstance(t, torch.Tensor) and t.requires_grad]
    if not pairs:
        return e_out
    ups = [randn(*t.shape, dtype=t.detach().numpy().dtype) for _, t in pairs]
    torch.autograd.backward([t for _, t in pairs], [torch.from_numpy(u) for u in ups])
    ember.autograd.backward([e for e, _ in pairs], [ember.tensor(u, device=DEVICE) for u in ups])
    for i, (e, t) in enumerate(zip(e_in, t_in)):
        if isinstance(t, torch.Tensor) and t.requires_grad:
            if t.grad is None:
                assert e.grad is None or not np.any(e.grad.cpu().numpy()), f"grad of input {i}"
            else:
                assert e.grad is not None, f"input {i}: ember gave no gradient, torch did"
                assert_close(e.grad, t.grad, rtol * 10, atol * 10, check_dtype,
                             f"grad of input {i}")
    if gradcheck or gradgradcheck:
        g_in = [to_ember(a.astype(np.float64) if a.dtype.kind == "f" else a,
                         requires_grad=i not in nondiff) if isinstance(a, np.ndarray) else a
                for i, a in enumerate(inputs)]
        if gradcheck:
            assert ember.autograd.gradcheck(ember_fn, tuple(g_in))
        if gradgradcheck:
            assert ember.autograd.gradgradcheck(ember_fn, tuple(g_in))
    return e_out


def check_error(fn, exc, match):
    """``fn()`` raises ``exc`` whose message contains ``match``."""
    import pytest
    with pytest.raises(exc) as info:
        fn()
    assert match in str(info.value), f"message {str(info.value)!r} lacks {match!r}"
