"""Learning-rate schedulers against torch.optim.lr_scheduler: the whole lr (and momentum /
beta1, where it cycles) sequence of every scheduler, state_dict round trips mid-schedule, the
closed forms behind step(epoch), ReduceLROnPlateau on scripted metrics, and errors."""
import math
import warnings

import numpy as np
import pytest
import torch
from helpers import check_error

import ember
import ember.optim
from ember import nn


def _optimizer(lib, kind):
    """An optimizer with two parameter groups (different lrs)."""
    P = nn.Parameter if lib is ember else torch.nn.Parameter
    a, b = P(lib.ones(2)), P(lib.ones(3))
    groups = [{"params": [a]}, {"params": [b], "lr": 0.05}]
    optim = ember.optim if lib is ember else torch.optim
    if kind == "adam":
        return optim.Adam(groups, lr=0.1)
    if kind == "sgd":
        return optim.SGD(groups, lr=0.1)
    return optim.SGD(groups, lr=0.1, momentum=0.9)


def _record(opt, sched):
    lr = list(sched.get_last_lr())
    mom = [g["betas"][0] if "betas" in g else g["momentum"] for g in opt.param_groups]
    return lr + [g["lr"] for g in opt.param_groups] + mom


def _run(lib, make, steps, kind, resume_at=None):
    S = ember.optim.lr_scheduler if lib is ember else torch.optim.lr_scheduler
    opt = _optimizer(lib, kind)
    sched = make(S, opt)
    seq = [_record(opt, sched)]
    for i in range(steps):
        opt.step()
        sched.step()
        seq.append(_record(opt, sched))
        if i == resume_at:
            # resume in a fresh optimizer + scheduler: build, then load the scheduler's state and
            # the optimizer's (which restores lr and momentum in the groups)
            osd, ssd = opt.state_dict(), sched.state_dict()
            opt = _optimizer(lib, kind)
            sched = make(S, opt)
            sched.load_state_dict(ssd)
            opt.load_state_dict(osd)
            assert _record(opt, sched) == seq[-1]
    return seq


def _same(e, t):
    np.testing.assert_allclose(np.array(e, dtype=float), np.array(t, dtype=float), rtol=1e-12,
                               atol=1e-15)


def _lam(e):
    return 0.95 ** e


CASES = {
    "LambdaLR": (lambda S, o: S.LambdaLR(o, _lam), 30, "sgd"),
    "LambdaLR-list": (lambda S, o: S.LambdaLR(o, [_lam, lambda e: 1 / (1 + e)]), 30, "sgd"),
    "MultiplicativeLR": (lambda S, o: S.MultiplicativeLR(o, lambda e: 0.9), 30, "sgd"),
    "StepLR": (lambda S, o: S.StepLR(o, step_size=7, gamma=0.5), 30, "sgd"),
    "MultiStepLR": (lambda S, o: S.MultiStepLR(o, milestones=[5, 12, 12, 20], gamma=0.3), 30, "sgd"),
    "ConstantLR": (lambda S, o: S.ConstantLR(o, factor=0.5, total_iters=6), 20, "sgd"),
    "LinearLR": (lambda S, o: S.LinearLR(o, start_factor=0.2, end_factor=0.9, total_iters=10),
                 20, "sgd"),
    "ExponentialLR": (lambda S, o: S.ExponentialLR(o, gamma=0.93), 30, "sgd"),
    "PolynomialLR": (lambda S, o: S.PolynomialLR(o, total_iters=15, power=2.0), 25, "sgd"),
    "CosineAnnealingLR": (lambda S, o: S.CosineAnnealingLR(o, T_max=10, eta_min=0.001), 45,
                          "sgd"),
    "CosineAnnealingWarmRestarts": (
        lambda S, o: S.CosineAnnealingWarmRestarts(o, T_0=5, T_mult=2, eta_min=0.01), 40, "sgd"),
    "CyclicLR-triangular": (lambda S, o: S.CyclicLR(o, 0.01, 0.1, step_size_up=4,
                                                    step_size_down=6), 45, "momentum"),
    "CyclicLR-triangular2": (lambda S, o: S.CyclicLR(o, [0.01, 0.02], [0.1, 0.3], step_size_up=3,
                                                     mode="triangular2"), 40, "momentum"),
    "CyclicLR-exp_range-adam": (lambda S, o: S.CyclicLR(o, 0.01, 0.1, step_size_up=5,
                                                        mode="exp_range", gamma=0.97), 40, "adam"),
    "CyclicLR-scale_fn-no-momentum": (
        lambda S, o: S.CyclicLR(o, 0.01, 0.1, step_size_up=3, scale_fn=lambda x: 0.5 ** x,
                                scale_mode="iterations", cycle_momentum=False), 30, "sgd"),
    "OneCycleLR-cos": (lambda S, o: S.OneCycleLR(o, max_lr=[0.5, 0.2], total_steps=40), 39,
                       "momentum"),
    "OneCycleLR-linear-adam": (lambda S, o: S.OneCycleLR(o, max_lr=0.3, epochs=4,
                                                         steps_per_epoch=10,
                                                         anneal_strategy="linear"), 39, "adam"),
    "OneCycleLR-three-phase": (
        lambda S, o: S.OneCycleLR(o, max_lr=0.5, total_steps=50, pct_start=0.25, div_factor=10.0,
                                  final_div_factor=100.0, three_phase=True, base_momentum=0.8,
                                  max_momentum=0.92), 49, "momentum"),
    "SequentialLR": (lambda S, o: S.SequentialLR(
        o, [S.LinearLR(o, start_factor=0.1, total_iters=4), S.ExponentialLR(o, gamma=0.9)],
        milestones=[5]), 20, "sgd"),
    "SequentialLR-three": (lambda S, o: S.SequentialLR(
        o, [S.ConstantLR(o, factor=0.5, total_iters=2), S.StepLR(o, 3, 0.5),
            S.CosineAnnealingLR(o, T_max=8)], milestones=[3, 10]), 25, "sgd"),
    "ChainedScheduler": (lambda S, o: S.ChainedScheduler(
        [S.ConstantLR(o, factor=0.1, total_iters=2), S.ExponentialLR(o, gamma=0.9)]), 20, "sgd"),
}


@pytest.mark.parametrize("name", list(CASES))
def test_schedule_matches_torch(name):
    make, steps, kind = CASES[name]
    t = _run(torch, make, steps, kind)
    e = _run(ember, make, steps, kind)
    _same(e, t)
    _same(_run(ember, make, steps, kind, resume_at=steps // 2), t)


def test_initial_lr_and_construction_step():
    opt = _optimizer(ember, "sgd")
    sched = ember.optim.lr_scheduler.StepLR(opt, 3)
    assert [g["initial_lr"] for g in opt.param_groups] == [0.1, 0.05]
    assert sched.get_last_lr() == [0.1, 0.05] and sched.last_epoch == 0
    topt = _optimizer(torch, "sgd")
    tsched = torch.optim.lr_scheduler.StepLR(topt, 3)
    assert sched.state_dict().keys() == tsched.state_dict().keys()
    one = ember.optim.lr_scheduler.OneCycleLR(_optimizer(ember, "momentum"), 1.0, total_steps=10)
    tone = torch.optim.lr_scheduler.OneCycleLR(_optimizer(torch, "momentum"), 1.0, total_steps=10)
    assert one.state_dict() == tone.state_dict()


@pytest.mark.parametrize("name,make,epochs", [
    ("StepLR", lambda S, o: S.StepLR(o, 4, 0.5), [0, 3, 4, 9, 2]),
    ("MultiStepLR", lambda S, o: S.MultiStepLR(o, [2, 5, 5], 0.5), [1, 2, 6, 3]),
    ("ExponentialLR", lambda S, o: S.ExponentialLR(o, 0.9), [3, 7, 1]),
    ("CosineAnnealingLR", lambda S, o: S.CosineAnnealingLR(o, 10, 0.01), [2, 8, 15]),
    ("LinearLR", lambda S, o: S.LinearLR(o, 0.25, 1.0, 8), [1, 4, 12]),
    ("ConstantLR", lambda S, o: S.ConstantLR(o, 0.25, 4), [1, 4, 2]),
    ("PolynomialLR", lambda S, o: S.PolynomialLR(o, 6, 1.5), [2, 5, 9]),
    ("CosineAnnealingWarmRestarts", lambda S, o: S.CosineAnnealingWarmRestarts(o, 4, 2),
     [0.5, 1.25, 3.9, 4.0, 5.5, 13.0, 2.0]),
])
def test_step_with_epoch_uses_closed_form(name, make, epochs):
    out = []
    for lib in (ember, torch):
        S = ember.optim.lr_scheduler if lib is ember else torch.optim.lr_scheduler
        opt = _optimizer(lib, "sgd")
        sched = make(S, opt)
        seq = []
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for e in epochs:
                opt.step()
                sched.step(e)
                seq.append(list(sched.get_last_lr()))
        out.append(seq)
    _same(out[0], out[1])


METRICS = [1.0, 0.9, 0.95, 0.95, 0.96, 0.97, 0.89, 0.9, 0.9, 0.9, 0.9, 0.9, 0.5, 0.6, 0.6, 0.7,
           0.7, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2]


@pytest.mark.parametrize("kwargs", [
    dict(patience=2),
    dict(mode="max", patience=1, factor=0.5, threshold=0.01, threshold_mode="abs", cooldown=2),
    dict(patience=0, factor=0.3, min_lr=[0.01, 0.004]),
    dict(patience=1, factor=0.5, threshold=0.2, min_lr=0.02, eps=1e-3),
])
def test_reduce_lr_on_plateau_matches_torch(kwargs):
    seqs = []
    for lib in (ember, torch):
        S = ember.optim.lr_scheduler if lib is ember else torch.optim.lr_scheduler
        opt = _optimizer(lib, "momentum")
        sched = S.ReduceLROnPlateau(opt, **kwargs)
        seq = []
        for i, m in enumerate(METRICS):
            opt.step()
            sched.step(lib.tensor(m) if i % 2 else m)
            seq.append(list(sched.get_last_lr()) + [sched.num_bad_epochs, sched.cooldown_counter,
                                                     sched.best])
            if lib is ember and i == 10:
                sd = sched.state_dict()
                sched = S.ReduceLROnPlateau(opt, **kwargs)
                sched.load_state_dict(sd)
        seqs.append(seq)
    _same(seqs[0], seqs[1])
    e, t = (S.ReduceLROnPlateau(_optimizer(lib, "sgd"), **kwargs).state_dict()
            for lib, S in ((ember, ember.optim.lr_scheduler), (torch, torch.optim.lr_scheduler)))
    assert e.keys() == t.keys()


def test_cycle_momentum_state_dict_keys():
    for kind in ("momentum", "adam"):
        e = ember.optim.lr_scheduler.CyclicLR(_optimizer(ember, kind), 0.01, 0.1)
        t = torch.optim.lr_scheduler.CyclicLR(_optimizer(torch, kind), 0.01, 0.1)
        assert e.state_dict() == t.state_dict()
        assert e.optimizer.param_groups[0].keys() == t.optimizer.param_groups[0].keys()


def test_errors_match_torch():
    S = ember.optim.lr_scheduler
    opt = _optimizer(ember, "sgd")
    check_error(lambda: S.StepLR("opt", 3), TypeError, "str is not an Optimizer")
    check_error(lambda: S.StepLR(opt, 3, last_epoch=5), KeyError,
                "param 'initial_lr' is not specified in param_groups[0] when resuming scheduler")
    check_error(lambda: S.ConstantLR(opt, factor=2.0), ValueError,
                "Constant multiplicative factor expected to be between 0 and 1.")
    check_error(lambda: S.LinearLR(opt, start_factor=0), ValueError,
                "Starting multiplicative factor expected to be greater than 0")
    check_error(lambda: S.LambdaLR(opt, [_lam]), ValueError, "Expected 2 lr_lambdas, but got 1")
    check_error(lambda: S.ReduceLROnPlateau(opt, factor=1.0), ValueError, "Factor should be < 1.0.")
    check_error(lambda: S.ReduceLROnPlateau(opt, mode="up"), ValueError, "mode up is unknown!")
    check_error(lambda: S.ReduceLROnPlateau(opt, min_lr=[0.1]), ValueError,
                "expected 2 min_lrs, got 1")
    ada = ember.optim.Adagrad([nn.Parameter(ember.ones(1))])
    check_error(lambda: S.CyclicLR(ada, 0.01, 0.1), ValueError,
                "optimizer must support momentum or beta1 with `cycle_momentum` option enabled")
    check_error(lambda: S.CyclicLR(opt, [0.1], 0.1, cycle_momentum=False), ValueError,
                "base_lr must have the same length as optimizer.param_groups")
    check_error(lambda: S.OneCycleLR(opt, 0.1), ValueError,
                "You must define either total_steps OR (epochs AND steps_per_epoch)")
    check_error(lambda: S.OneCycleLR(opt, 0.1, total_steps=10, pct_start=2.0, cycle_momentum=False),
                ValueError, "Expected float between 0 and 1 pct_start, but got 2.0")
    check_error(lambda: S.CosineAnnealingWarmRestarts(opt, T_0=0), ValueError,
                "Expected positive integer T_0, but got 0")
    check_error(lambda: S.SequentialLR(opt, [S.StepLR(opt, 2)], milestones=[3]), ValueError,
                "Sequential Schedulers expects number of schedulers provided to be one more than "
                "the number of milestone points")
    check_error(lambda: S.ChainedScheduler([]), ValueError,
                "ChainedScheduler expects at least one scheduler to be chained, but got no scheduler.")
    one = S.OneCycleLR(_optimizer(ember, "sgd"), 0.1, total_steps=3, cycle_momentum=False)
    with pytest.raises(ValueError, match="Tried to step 4 times. The specified number of total "
                                         "steps is 3"):
        for _ in range(4):
            one.optimizer.step()
            one.step()


def test_warns_when_scheduler_steps_before_optimizer():
    sched = ember.optim.lr_scheduler.StepLR(_optimizer(ember, "sgd"), 3)
    with pytest.warns(UserWarning, match="before `optimizer.step\\(\\)`"):
        sched.step()
    opt = _optimizer(ember, "sgd")
    sched = ember.optim.lr_scheduler.ExponentialLR(opt, 0.5)
    with pytest.warns(UserWarning, match="please use `get_last_lr\\(\\)`"):
        sched.get_lr()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        opt.step()
        sched.step()
    assert sched.get_last_lr() == [0.05, 0.025]


def test_one_cycle_in_a_training_loop():
    """The one-cycle policy driving Adam on a small regression: lr and beta1 move in opposite
    directions and training converges."""
    ember.manual_seed(0)
    x = ember.randn(64, 3)
    y = x.matmul(ember.tensor([[1.0], [-2.0], [0.5]])) + 0.3
    model = nn.Linear(3, 1)
    opt = ember.optim.Adam(model.parameters(), lr=0.01)
    sched = ember.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.1, total_steps=200)
    lrs, betas, losses = [], [], []
    for _ in range(200):
        loss = ((model(x) - y) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step() if len(lrs) < 199 else None
        lrs.append(opt.param_groups[0]["lr"])
        betas.append(opt.param_groups[0]["betas"][0])
        losses.append(loss.item())
    peak = max(range(len(lrs)), key=lrs.__getitem__)
    assert 55 <= peak <= 62 and math.isclose(lrs[peak], 0.1, rel_tol=1e-3)
    assert betas[peak] == pytest.approx(0.85, abs=1e-3) and betas[0] > 0.94
    assert losses[-1] < 1e-3 * losses[0]
