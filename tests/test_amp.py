"""ember.amp against torch.amp on the CPU: autocast's dtypes, values and gradients, and
GradScaler's scale trajectory, skipped steps, errors and state_dict."""
import warnings

import numpy as np
import pytest
import torch
from helpers import check_error
from test_programs import LIBS, close, twin

import ember


def _net(lib):
    lib.manual_seed(0)
    return lib.nn.Sequential(lib.nn.Linear(6, 5), lib.nn.ReLU(), lib.nn.Linear(5, 3))


def _copy(src, dst):
    dst.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in src.state_dict().items()})


def _autocast_step(lib, net, x, y):
    with lib.autocast(device_type="cpu", dtype=lib.float16):
        out = net(x)
        loss = lib.nn.functional.mse_loss(out, y)
        ce = lib.nn.functional.cross_entropy(out, y.argmax(1))
        mm = x @ x.T
        soft = out.softmax(1)
        plain = out + 1
        with lib.autocast(device_type="cpu", enabled=False):
            inner = net(x)
    (loss + ce).backward()
    return out, loss, ce, mm, soft, plain, inner


def test_autocast_matches_torch_dtypes_values_and_grads():
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((4, 6)).astype(np.float32), rng.standard_normal((4, 3)).astype(np.float32)
    tn, en = _net(torch), _net(ember)
    _copy(tn, en)
    t = _autocast_step(torch, tn, torch.tensor(x), torch.tensor(y))
    e = _autocast_step(ember, en, ember.tensor(x), ember.tensor(y))
    for a, b in zip(e, t):
        assert str(a.dtype).split(".")[1] == str(b.dtype).split(".")[1]
        np.testing.assert_allclose(a.detach().float().numpy(), b.detach().float().numpy(), rtol=2e-3,
                                   atol=2e-3)
    for (n, p), (_, q) in zip(en.named_parameters(), tn.named_parameters()):
        assert p.grad.dtype is ember.float32, n
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-2, atol=1e-3)
    assert not ember.is_autocast_enabled("cpu") and ember.is_autocast_enabled() is False


def test_autocast_state_decorator_and_errors():
    @ember.autocast("cpu")
    def f(a, b):
        return a @ b, ember.is_autocast_enabled("cpu")

    out, on = f(ember.ones(2, 2), ember.ones(2, 2))
    assert out.dtype is ember.float16 and on and not ember.is_autocast_enabled("cpu")
    with ember.autocast("cpu"):
        assert ember.is_autocast_enabled("cpu")
        assert (ember.ones(2, 2, dtype=ember.float64) @ ember.ones(2, 2)).dtype is ember.float16
        assert (ember.ones(2, dtype=ember.int64) + 1).dtype is ember.int64
    check_error(lambda: ember.autocast("tpu"), RuntimeError,
                "User specified an unsupported autocast device_type 'tpu'")
    check_error(lambda: ember.autocast("cpu", dtype=ember.int32), RuntimeError,
                "In autocast, but the target dtype is not supported")
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        with ember.autocast("cuda"):
            assert (ember.ones(2, 2) @ ember.ones(2, 2)).dtype is ember.float32
    if not ember.cuda.is_available():
        assert any("Disabling autocast" in str(m.message) for m in w)


def _scaler_run(lib):
    out = []
    s = lib.amp.GradScaler("cpu", init_scale=4.0, growth_interval=2)
    p = lib.nn.Parameter(lib.ones(2))
    opt = lib.optim.SGD([p], lr=0.1)
    for g in [1.0, float("inf"), 1.0, float("nan"), 1.0, 1.0, 1.0]:
        s.scale((p * g).sum()).backward()
        s.unscale_(opt)
        lib.nn.utils.clip_grad_norm_([p], 10.0)
        s.step(opt)
        s.update()
        out.append((s.get_scale(), p.tolist(), s.state_dict()["_growth_tracker"]))
        opt.zero_grad()
    s.update(16.0)
    out.append(s.state_dict())

    def err(f):
        try:
            f()
        except Exception as e:  # noqa: BLE001 - the exception itself is what is compared
            return type(e).__name__, str(e)

    fresh = lib.amp.GradScaler("cpu")
    out += [err(lambda: fresh.step(opt)), err(lambda: fresh.update()), fresh.state_dict()]
    s.scale(p.sum()).backward()
    s.unscale_(opt)
    out.append(err(lambda: s.unscale_(opt)))
    s.step(opt)
    out += [err(lambda: s.step(opt)), err(lambda: s.unscale_(opt)),
            err(lambda: s.step(opt, closure=lambda: 0))]
    s.update()
    out.append(err(lambda: s.update()))
    loaded = lib.amp.GradScaler("cpu")
    loaded.load_state_dict(s.state_dict())
    out += [loaded.state_dict(), err(lambda: loaded.load_state_dict({}))]
    off = lib.amp.GradScaler("cpu", enabled=False)
    out += [off.state_dict(), off.get_scale(), off.scale(3.0), off.is_enabled()]
    return out


def test_grad_scaler_matches_torch():
    for a, b in zip(_scaler_run(ember), _scaler_run(torch)):
        assert a == b


@pytest.mark.parametrize("enabled", [False, True])
def test_amp_recipe_trains(enabled):
    ember.manual_seed(0)
    net = ember.nn.Sequential(ember.nn.Linear(8, 16), ember.nn.ReLU(), ember.nn.Linear(16, 4))
    opt = ember.optim.SGD(net.parameters(), lr=0.05)
    scaler = ember.amp.GradScaler("cpu", enabled=enabled)
    x, y = ember.randn(32, 8), ember.randn(32, 4)
    losses = []
    for _ in range(30):
        with ember.autocast("cpu", enabled=enabled):
            loss = ember.nn.functional.mse_loss(net(x), y)
        scaler.scale(loss).backward()
        scaler.step(opt)
        scaler.update()
        opt.zero_grad()
        losses.append(loss.item())
    assert loss.dtype is ember.float32 and losses[-1] < 0.9 * losses[0]


def test_cuda_amp_spellings_warn_and_disable_without_cuda():
    if ember.cuda.is_available():
        pytest.skip("CUDA present")
    with pytest.warns(FutureWarning, match="torch.cuda.amp.GradScaler"):
        s = ember.cuda.amp.GradScaler()
    assert not s.is_enabled()
    with pytest.warns(FutureWarning, match="torch.cuda.amp.autocast"):
        ember.cuda.amp.autocast()


# -- programs: autocast on the CPU -------------------------------------------------------------------
def _np(shape, seed=0, scale=1.0):
    return (np.random.default_rng(seed).standard_normal(shape) * scale).astype(np.float32)


X8 = _np((32, 8), seed=10)


Y4 = np.random.default_rng(11).integers(0, 4, 32)


def test_autocast_cpu_float16_enabled():
    def build(torch, nn, F):
        return nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 4))

    def prog(torch, nn, F, net):
        x = torch.from_numpy(X8)
        with torch.autocast(device_type="cpu", dtype=torch.float16):
            out = net(x)
            mm = torch.mm(x, x.T)
            soft = torch.softmax(out, dim=1)  # runs in float32 under autocast
            added = out + 1.0
            loss = F.cross_entropy(out, torch.from_numpy(Y4))
            enabled = torch.is_autocast_enabled("cpu") if torch.__name__ == "torch" else \
                torch.is_autocast_enabled("cpu")
        loss.backward()
        return (out.dtype, mm.dtype, soft.dtype, added.dtype, loss.dtype, net[0].weight.grad.dtype, enabled,
                torch.is_autocast_enabled("cpu"), out.float(), loss.float(), net[0].weight.grad)

    e_m, t_m = twin(build)
    e, t = prog(*LIBS["ember"], e_m), prog(*LIBS["torch"], t_m)
    close(e[:8], t[:8])
    close(e[8:], t[8:], rtol=2e-2, atol=2e-3)
