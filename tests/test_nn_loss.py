"""Loss functions (nn.functional) and loss modules against torch.nn."""
import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from helpers import RNG, assert_close, check_op, randn

import ember
import ember.nn.functional as F
from ember import nn

REDUCTIONS = ["mean", "sum", "none"]


def same_error(ember_call, torch_call):
    """Both calls raise the same exception type with the same message."""
    with pytest.raises(Exception) as te:
        torch_call()
    with pytest.raises(type(te.value)) as ee:
        ember_call()
    assert str(ee.value) == str(te.value)


def both(name, **kw):
    return (lambda *a: getattr(F, name)(*a, **kw)), (lambda *a: getattr(TF, name)(*a, **kw))


def labels(*shape, n=5):
    return RNG.integers(0, n, size=shape)


def probs(*shape):
    p = randn(*shape, low=0.0, high=1.0)
    return p / p.sum(axis=1, keepdims=True)


# -- cross-entropy ------------------------------------------------------------------------

@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("ignore_index,smoothing", [(-100, 0.0), (2, 0.0), (-100, 0.25),
                                                    (1, 0.1)])
def test_cross_entropy_indices(reduction, weighted, ignore_index, smoothing):
    x, t = randn(4, 5), np.array([0, 2, 4, 1])
    w = randn(5, low=0.5, high=2.0) if weighted else None
    ef, tf = both("cross_entropy", reduction=reduction, ignore_index=ignore_index,
                  label_smoothing=smoothing)
    if weighted:
        check_op(ef, tf, x, t, w, nondiff=(2,), gradgradcheck=reduction == "mean")
    else:
        check_op(ef, tf, x, t, gradgradcheck=reduction == "sum")


@pytest.mark.parametrize("shape", [(2, 3, 3), (2, 3, 3, 2), (2, 3, 2, 1, 2)])
def test_cross_entropy_k_dim(shape):
    x = randn(*shape)
    t = labels(shape[0], *shape[2:], n=3)
    t.flat[0] = -100
    w = randn(3, low=0.5, high=2.0)
    for reduction in REDUCTIONS:
        ef, tf = both("cross_entropy", reduction=reduction, label_smoothing=0.2)
        check_op(ef, tf, x, t, w, nondiff=(2,),
                 gradgradcheck=reduction == "sum" and len(shape) == 3)
    ef, tf = both("nll_loss", reduction="none")
    check_op(ef, tf, x, t, w, nondiff=(2,))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("smoothing", [0.0, 0.3])
def test_cross_entropy_probabilities(reduction, smoothing):
    ef, tf = both("cross_entropy", reduction=reduction, label_smoothing=smoothing)
    x, p = randn(3, 4), probs(3, 4)
    check_op(ef, tf, x, p, gradgradcheck=True)                    # target grads too
    check_op(ef, tf, x, p, randn(4, low=0.5, high=2.0), gradgradcheck=reduction == "mean")
    check_op(ef, tf, randn(2, 3, 2), probs(2, 3, 2), randn(3, low=0.5, high=2.0))
    check_op(ef, tf, randn(5), probs(1, 5)[0])                    # unbatched


def test_cross_entropy_float32_and_dtypes():
    x, t = randn(8, 10).astype(np.float32), labels(8, n=10)
    check_op(*both("cross_entropy"), x, t, rtol=1e-5, atol=1e-6, gradcheck=False)
    check_op(*both("cross_entropy", reduction="none", label_smoothing=0.1), x, t, rtol=1e-5,
             atol=1e-6, gradcheck=False)
    check_op(*both("cross_entropy"), x, t.astype(np.uint8), rtol=1e-5, gradcheck=False)
    # float32 logits, float64 probabilities: the loss is float64, the grad float32
    check_op(*both("cross_entropy"), x, probs(8, 10), rtol=1e-5, atol=1e-6, gradcheck=False)


def test_cross_entropy_edge_cases():
    ef, tf = both("cross_entropy", reduction="none")
    check_op(ef, tf, randn(5), np.array(3))                        # unbatched, 0-d target
    check_op(*both("cross_entropy"), randn(5), np.array(3))
    # (torch's own backward fails for this case, so forward only)
    check_op(*both("nll_loss", reduction="none"), randn(5), np.array([3]), grad=False)
    for red in REDUCTIONS:                                         # empty batch: nan mean
        check_op(*both("cross_entropy", reduction=red), randn(0, 5), labels(0), gradcheck=False)
        check_op(*both("cross_entropy", reduction=red), randn(0, 5), probs(0, 5),
                 gradcheck=False)
    x, t = randn(3, 5), np.array([-100, -100, -100])               # everything ignored
    check_op(*both("cross_entropy"), x, t, gradcheck=False)
    check_op(*both("cross_entropy", reduction="sum", label_smoothing=0.2), x, t)
    # huge logits stay finite (logsumexp)
    big = np.array([[1000.0, -1000.0, 0.0], [-5e4, 5e4, 1.0]])
    check_op(*both("cross_entropy"), big, np.array([1, 0]), gradcheck=False)
    check_op(*both("cross_entropy"), big, probs(2, 3), gradcheck=False)


def test_cross_entropy_is_one_node():
    x = ember.randn(64, 10, requires_grad=True)
    loss = F.cross_entropy(x, ember.randint(0, 10, (64,)))
    (node, _), = loss.grad_fn.next_functions[:1]
    assert type(node).__name__ == "AccumulateGrad"
    loss.backward()
    assert x.grad.shape == x.shape


def test_cross_entropy_double_backward_through_grad():
    """A penalty on the input gradient (create_graph=True), as torch."""
    a, t = randn(4, 5), np.array([1, 0, 4, 2])
    res = []
    for lib, mk in ((ember, lambda v, **k: ember.tensor(v, **k)),
                    (torch, lambda v, **k: torch.tensor(v, **k))):
        f = F if lib is ember else TF
        x = mk(a, requires_grad=True)
        loss = f.cross_entropy(x, mk(t), label_smoothing=0.1)
        (g,) = lib.autograd.grad(loss, x, create_graph=True)
        (g * g).sum().backward()
        res.append(x.grad)
    assert_close(res[0], res[1], 1e-10, 1e-12)


# -- NLL ----------------------------------------------------------------------------------

@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_nll_loss(reduction):
    x, t = randn(6, 5), np.array([0, 2, 4, 1, 2, 3])
    for kw in ({}, dict(ignore_index=2)):
        check_op(*both("nll_loss", reduction=reduction, **kw), x, t, gradgradcheck=True)
        check_op(*both("nll_loss", reduction=reduction, **kw), x, t,
                 randn(5, low=0.5, high=2.0), nondiff=(2,), gradgradcheck=True)
    check_op(*both("nll_loss", reduction=reduction), randn(2, 5, 3, 4), labels(2, 3, 4))
    check_op(*both("nll_loss", reduction=reduction), randn(5), np.array(1))


def test_index_target_errors():
    L = np.int64
    cases = [
        ((2, 5, 3), np.zeros(2, L), {}), ((2, 5, 3), np.zeros((2, 4), L), {}),
        ((2, 5), np.zeros(2), {}), ((2, 5), np.zeros(2, np.int32), {}),
        ((2, 5), np.array([7, 1]), {}), ((2, 5), np.array([-3, 1]), {}),
        ((2, 5), np.array([1, 1, 1]), {}), ((2, 5), np.zeros((2, 5), L), {}),
        ((2, 5), np.zeros((2, 3), L), {}), ((2, 5), np.array([1, 1]), dict(weight=np.ones(3))),
        ((2, 5), np.array([1, 1]), dict(weight=np.ones((5, 1)))),
        ((2, 5), np.array([1, 1]), dict(label_smoothing=1.5)),
        ((2, 5), np.array([1, 1]), dict(reduction="avg")),
        ((2, 5), probs(2, 5), dict(ignore_index=1)), ((2, 5), probs(2, 5), dict(weight=np.ones(3))),
        ((2, 5), probs(3, 5), {}), ((3,), np.array([1, 1]), {}), ((2, 3, 4, 5), np.zeros((2, 4), L), {}),
        ((2, 3, 4, 5), np.zeros((2, 4, 6), L), {}), ((2, 3, 4, 5, 2), np.zeros((2, 4, 6, 2), L), {}),
        ((2, 3, 4), np.zeros((3, 4), L), {}), ((), np.array(0), {}), ((2, 5), np.array(1), {}),
    ]
    for name in ("cross_entropy", "nll_loss"):
        for shape, t, kw in cases:
            if name == "nll_loss" and ("label_smoothing" in kw or t.dtype.kind == "f" and
                                       t.shape == shape):
                continue
            x = randn(*shape) if shape else np.array(0.5)
            ekw = {k: ember.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kw.items()}
            tkw = {k: torch.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kw.items()}
            same_error(lambda: getattr(F, name)(ember.tensor(x), ember.tensor(t), **ekw),
                       lambda: getattr(TF, name)(torch.tensor(x), torch.tensor(t), **tkw))
    x = np.ones((2, 5), np.int64)
    for name in ("cross_entropy", "nll_loss"):
        same_error(lambda: getattr(F, name)(ember.tensor(x), ember.tensor([1, 1])),
                   lambda: getattr(TF, name)(torch.tensor(x), torch.tensor([1, 1])))


def test_weight_requiring_grad_is_refused():
    x, t = np.zeros((2, 3)), np.array([1, 2])
    for name, args in (("cross_entropy", (t,)), ("nll_loss", (t,)),
                       ("binary_cross_entropy", (np.full((2, 3), 0.5),)),
                       ("binary_cross_entropy_with_logits", (np.full((2, 3), 0.5),))):
        w = np.ones(3)
        xe = ember.tensor(np.full((2, 3), 0.5)) if name.startswith("binary") else ember.tensor(x)
        xt = torch.tensor(xe.numpy())
        same_error(lambda: getattr(F, name)(xe, *map(ember.tensor, args),
                                            weight=ember.tensor(w, requires_grad=True)),
                   lambda: getattr(TF, name)(xt, *map(torch.tensor, args),
                                             weight=torch.tensor(w, requires_grad=True)))


# -- binary cross-entropy -----------------------------------------------------------------

@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_binary_cross_entropy(reduction):
    ef, tf = both("binary_cross_entropy", reduction=reduction)
    x, y = randn(3, 4, low=0.05, high=0.95), randn(3, 4, low=0.0, high=1.0)
    check_op(ef, tf, x, y, gradgradcheck=True)
    check_op(ef, tf, x, y, randn(4, low=0.5, high=2.0), nondiff=(2,))      # broadcast weight
    check_op(ef, tf, x.astype(np.float32), y.astype(np.float32), rtol=1e-5, gradcheck=False)
    # exactly 0 and 1: logs clamped at -100, the gradient's denominator at 1e-12
    check_op(ef, tf, np.array([0.0, 1.0, 0.0, 1.0, 0.5]), np.array([0.0, 1.0, 1.0, 0.0, 0.5]),
             gradcheck=False)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_binary_cross_entropy_with_logits(reduction):
    ef, tf = both("binary_cross_entropy_with_logits", reduction=reduction)
    x, y = randn(3, 4) * 3, randn(3, 4, low=0.0, high=1.0)
    check_op(ef, tf, x, y, gradgradcheck=True)
    check_op(lambda a, b, w, pw: F.binary_cross_entropy_with_logits(
                 a, b, w, pos_weight=pw, reduction=reduction),
             lambda a, b, w, pw: TF.binary_cross_entropy_with_logits(
                 a, b, w, pos_weight=pw, reduction=reduction),
             x, y, randn(3, 1, low=0.5, high=2.0), randn(4, low=0.5, high=2.0),
             nondiff=(2, 3), gradgradcheck=True)
    # weight and pos_weight as keywords
    check_op(lambda a, b, pw: F.binary_cross_entropy_with_logits(a, b, pos_weight=pw,
                                                                  reduction=reduction),
             lambda a, b, pw: TF.binary_cross_entropy_with_logits(a, b, pos_weight=pw,
                                                                  reduction=reduction),
             x, y, randn(4, low=0.5, high=3.0), nondiff=(2,))
    big = np.array([-1e4, -800.0, -30.0, 0.0, 30.0, 800.0, 1e4])   # no overflow anywhere
    for dt in (np.float64, np.float32):
        check_op(ef, tf, big.astype(dt), np.linspace(0, 1, 7).astype(dt), gradcheck=False)
    check_op(ef, tf, x.astype(np.float32), y, rtol=1e-5, gradcheck=False)   # promotes


def test_bce_errors():
    cases = [("binary_cross_entropy", (np.random.rand(2, 5), np.random.rand(2)), {}),
             ("binary_cross_entropy", (np.random.rand(2) + 1, np.random.rand(2)), {}),
             ("binary_cross_entropy", (np.random.rand(2), np.random.rand(2) + 1), {}),
             ("binary_cross_entropy", (np.random.rand(2).astype(np.float32), np.ones(2, np.int64)),
              {}),
             ("binary_cross_entropy", (np.random.rand(2).astype(np.float32), np.random.rand(2)),
              {}),
             ("binary_cross_entropy", (np.random.rand(2, 3), np.random.rand(2, 3)),
              dict(weight=np.ones(2))),
             ("binary_cross_entropy_with_logits", (np.random.rand(2, 5), np.random.rand(2)), {}),
             ("binary_cross_entropy_with_logits", (np.random.rand(2), np.ones(2, np.int64)), {}),
             ("binary_cross_entropy_with_logits", (np.random.rand(2, 3), np.random.rand(2, 3)),
              dict(pos_weight=np.ones(2)))]
    for name, args, kw in cases:
        same_error(lambda: getattr(F, name)(*map(ember.tensor, args),
                                            **{k: ember.tensor(v) for k, v in kw.items()}),
                   lambda: getattr(TF, name)(*map(torch.tensor, args),
                                             **{k: torch.tensor(v) for k, v in kw.items()}))


# -- regression losses --------------------------------------------------------------------

PAIR = [("mse_loss", {}), ("l1_loss", {}), ("smooth_l1_loss", {}),
        ("smooth_l1_loss", dict(beta=0.3)), ("smooth_l1_loss", dict(beta=0.0)),
        ("huber_loss", {}), ("huber_loss", dict(delta=0.4))]


@pytest.mark.parametrize("name,kw", PAIR, ids=[n + str(kw) for n, kw in PAIR])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_pair_losses(name, kw, reduction):
    ef, tf = both(name, reduction=reduction, **kw)
    x, y = randn(3, 4), randn(3, 4)
    check_op(ef, tf, x, y, gradgradcheck=name == "mse_loss" or reduction == "mean")
    check_op(ef, tf, x.astype(np.float32), y.astype(np.float32), rtol=1e-5, gradcheck=False)
    check_op(ef, tf, np.array(0.3), np.array(-1.2))
    if name != "huber_loss":        # (torch's huber backward refuses an int target)
        check_op(ef, tf, x, np.arange(12).reshape(3, 4), gradcheck=False)   # int target promotes
    with pytest.warns(UserWarning, match="different to the input size"):   # broadcasting
        e = ef(ember.tensor(x), ember.tensor(y[0]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert_close(e, tf(torch.tensor(x), torch.tensor(y[0])))
    if name != "smooth_l1_loss":
        check_op(lambda a, b, w: getattr(F, name)(a, b, weight=w, reduction=reduction),
                 lambda a, b, w: getattr(TF, name)(a, b, weight=w, reduction=reduction),
                 x, y, randn(3, 4, low=0.5, high=2.0), nondiff=(2,))


def test_pair_loss_errors():
    a = np.ones(2, np.int64)
    for name in ("mse_loss", "smooth_l1_loss", "huber_loss", "l1_loss"):
        same_error(lambda: getattr(F, name)(ember.tensor(a), ember.tensor(a)),
                   lambda: getattr(TF, name)(torch.tensor(a), torch.tensor(a)))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            same_error(lambda: getattr(F, name)(ember.ones(2, 3), ember.ones(4)),
                       lambda: getattr(TF, name)(torch.ones(2, 3), torch.ones(4)))
        same_error(lambda: getattr(F, name)(ember.ones(2), ember.ones(2), reduction="x"),
                   lambda: getattr(TF, name)(torch.ones(2), torch.ones(2), reduction="x"))
    check_op(*both("l1_loss", reduction="sum"), a, a * 3, grad=False)
    for name in ("mse_loss", "l1_loss", "huber_loss"):
        same_error(lambda: getattr(F, name)(ember.ones(2, 3), ember.ones(2, 3),
                                            weight=ember.ones(3)),
                   lambda: getattr(TF, name)(torch.ones(2, 3), torch.ones(2, 3),
                                             weight=torch.ones(3)))
    same_error(lambda: F.huber_loss(ember.ones(2), ember.ones(2), delta=0),
               lambda: TF.huber_loss(torch.ones(2), torch.ones(2), delta=0))
    same_error(lambda: F.smooth_l1_loss(ember.ones(2), ember.ones(2), beta=-1),
               lambda: TF.smooth_l1_loss(torch.ones(2), torch.ones(2), beta=-1))


# -- divergences, embedding and ranking losses --------------------------------------------

@pytest.mark.parametrize("reduction", REDUCTIONS + ["batchmean"])
def test_kl_div(reduction):
    x, y = np.log(probs(3, 4)), probs(3, 4)
    y[0, 0] = 0.0                                                  # 0 log 0 = 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check_op(*both("kl_div", reduction=reduction), x, y, nondiff=(1,), gradgradcheck=True)
        check_op(*both("kl_div", reduction=reduction), x, probs(3, 4), gradgradcheck=True)
        check_op(*both("kl_div", reduction=reduction, log_target=True), x, np.log(probs(3, 4)),
                 gradgradcheck=True)
    if reduction == "mean":
        with pytest.warns(UserWarning, match="'batchmean' divides only by the batch size"):
            F.kl_div(ember.tensor(x), ember.tensor(y))
    same_error(lambda: F.kl_div(ember.ones(2), ember.ones(2, dtype=ember.int64), reduction="sum"),
               lambda: TF.kl_div(torch.ones(2), torch.ones(2, dtype=torch.int64), reduction="sum"))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_embedding_and_ranking_losses(reduction):
    y = np.array([1.0, -1.0, 1.0, -1.0])
    check_op(*both("cosine_embedding_loss", margin=0.1, reduction=reduction), randn(4, 3),
             randn(4, 3), y, nondiff=(2,), gradgradcheck=reduction == "mean")
    check_op(*both("cosine_embedding_loss", reduction=reduction), randn(5), randn(5),
             np.array(-1.0), nondiff=(2,))
    check_op(*both("margin_ranking_loss", margin=0.2, reduction=reduction), randn(4), randn(4),
             y, nondiff=(2,))
    for kw in ({}, dict(p=1, swap=True, margin=0.5), dict(p=3.0, eps=1e-3)):
        check_op(*both("triplet_margin_loss", reduction=reduction, **kw), randn(3, 4),
                 randn(3, 4), randn(3, 4))
    check_op(*both("triplet_margin_loss", reduction=reduction), randn(2, 2, 3), randn(2, 2, 3),
             randn(2, 2, 3))
    check_op(*both("soft_margin_loss", reduction=reduction), randn(4), y, nondiff=(1,),
             gradgradcheck=True)
    check_op(*both("hinge_embedding_loss", margin=0.5, reduction=reduction), randn(4), y,
             nondiff=(1,))
    for kw in ({}, dict(log_input=False), dict(full=True)):
        check_op(*both("poisson_nll_loss", reduction=reduction, **kw),
                 randn(6, low=0.1, high=2.0), np.array([0.0, 1.0, 2.0, 3.5, 0.5, 7.0]),
                 nondiff=(1,))
    for v in (randn(4, 3, low=0.5, high=2.0), randn(4, low=0.5, high=2.0),
              randn(4, 1, low=0.5, high=2.0)):
        check_op(*both("gaussian_nll_loss", reduction=reduction, full=True), randn(4, 3),
                 randn(4, 3), v, nondiff=(1,))


def test_embedding_loss_errors():
    cases = [("cosine_embedding_loss", ((2, 3), (2, 3), (3,))),
             ("cosine_embedding_loss", ((2, 3, 1), (2, 3, 1), (2,))),
             ("cosine_embedding_loss", ((2, 3), (2, 3), ())),
             ("cosine_embedding_loss", ((3,), (3,), (1,))),
             ("margin_ranking_loss", ((2,), (3,), (2,))),
             ("margin_ranking_loss", ((), (2,), (2,))),
             ("triplet_margin_loss", ((2, 3), (3,), (2, 3))),
             ("triplet_margin_loss", ((2, 3), (2, 4), (2, 3)))]
    for name, shapes in cases:
        same_error(lambda: getattr(F, name)(*(ember.ones(*s) for s in shapes)),
                   lambda: getattr(TF, name)(*(torch.ones(*s) for s in shapes)))
    same_error(lambda: F.triplet_margin_loss(*[ember.ones(2, 3)] * 3, margin=0),
               lambda: TF.triplet_margin_loss(*[torch.ones(2, 3)] * 3, margin=0))


def test_legacy_reduction_flags():
    x, y = randn(3, 4), randn(3, 4)
    for sa, rd in ((None, False), (False, None), (True, True), (False, True), (None, True)):
        with pytest.warns(UserWarning, match="size_average and reduce args will be deprecated"):
            e = F.mse_loss(ember.tensor(x), ember.tensor(y), sa, rd)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t = TF.mse_loss(torch.tensor(x), torch.tensor(y), sa, rd)
            assert_close(e, t)
            assert_close(F.cross_entropy(ember.tensor(x), ember.tensor([0, 1, 2]), None, sa,
                                         reduce=rd),
                         TF.cross_entropy(torch.tensor(x), torch.tensor([0, 1, 2]), None, sa,
                                          reduce=rd))
            m = nn.L1Loss(sa, rd)
            assert m.reduction == torch.nn.L1Loss(sa, rd).reduction


# -- modules ------------------------------------------------------------------------------

def _inputs(name):
    """(numpy inputs, which of them are differentiable) for each loss module."""
    x, y = randn(4, 5), randn(4, 5)
    s = np.array([1.0, -1.0, 1.0, -1.0])
    return {
        "L1Loss": ([x, y], (0, 1)), "MSELoss": ([x, y], (0, 1)),
        "SmoothL1Loss": ([x, y], (0, 1)), "HuberLoss": ([x, y], (0, 1)),
        "NLLLoss": ([x, labels(4)], (0,)), "CrossEntropyLoss": ([x, labels(4)], (0,)),
        "KLDivLoss": ([np.log(probs(4, 5)), probs(4, 5)], (0, 1)),
        "BCELoss": ([randn(4, 5, low=0.1, high=0.9), probs(4, 5)], (0, 1)),
        "BCEWithLogitsLoss": ([x, probs(4, 5)], (0, 1)),
        "HingeEmbeddingLoss": ([randn(4), s], (0,)), "SoftMarginLoss": ([randn(4), s], (0,)),
        "CosineEmbeddingLoss": ([x, y, s], (0, 1)), "MarginRankingLoss": ([randn(4), randn(4), s],
                                                                          (0, 1)),
        "TripletMarginLoss": ([x, y, randn(4, 5)], (0, 1, 2)),
        "PoissonNLLLoss": ([x, randn(4, 5, low=0.0, high=3.0)], (0,)),
        "GaussianNLLLoss": ([x, y, randn(4, 5, low=0.5, high=2.0)], (0, 1, 2)),
    }[name]


LOSS_MODULES = [("L1Loss", {}), ("MSELoss", dict(reduction="sum")), ("SmoothL1Loss", dict(beta=0.5)),
                ("HuberLoss", dict(delta=0.5, reduction="none")), ("NLLLoss", dict(ignore_index=2)),
                ("NLLLoss", dict(weight=np.arange(1.0, 6.0))),
                ("CrossEntropyLoss", {}), ("CrossEntropyLoss", dict(reduction="sum")),
                ("CrossEntropyLoss", dict(weight=np.arange(1.0, 6.0), label_smoothing=0.1,
                                          ignore_index=0)),
                ("KLDivLoss", dict(reduction="batchmean", log_target=False)),
                ("BCELoss", dict(weight=np.arange(1.0, 6.0))), ("BCEWithLogitsLoss", {}),
                ("BCEWithLogitsLoss", dict(weight=np.ones(5), pos_weight=np.arange(1.0, 6.0))),
                ("HingeEmbeddingLoss", dict(margin=2.0)), ("SoftMarginLoss", {}),
                ("CosineEmbeddingLoss", dict(margin=0.2)), ("MarginRankingLoss", dict(margin=0.1)),
                ("TripletMarginLoss", dict(p=1.0, swap=True)), ("PoissonNLLLoss", dict(full=True)),
                ("GaussianNLLLoss", dict(full=True))]


@pytest.mark.parametrize("name,kw", LOSS_MODULES, ids=[n + str(kw) for n, kw in LOSS_MODULES])
def test_loss_modules(name, kw):
    conv = {k: (v if not isinstance(v, np.ndarray) else (ember.tensor(v), torch.tensor(v)))
            for k, v in kw.items()}
    e = getattr(nn, name)(**{k: v[0] if isinstance(v, tuple) else v for k, v in conv.items()})
    t = getattr(torch.nn, name)(**{k: v[1] if isinstance(v, tuple) else v for k, v in conv.items()})
    assert repr(e) == repr(t)
    assert list(e.state_dict()) == list(t.state_dict())
    assert e.reduction == t.reduction
    arrays, diff = _inputs(name)
    nondiff = tuple(i for i in range(len(arrays)) if i not in diff)
    check_op(e, t, *arrays, nondiff=nondiff, gradcheck=False)


def test_loss_module_state_dict_round_trip():
    t = torch.nn.CrossEntropyLoss(weight=torch.rand(5))
    e = nn.CrossEntropyLoss(weight=ember.zeros(5))
    e.load_state_dict({k: ember.tensor(v.numpy()) for k, v in t.state_dict().items()})
    x, y = randn(3, 5).astype(np.float32), labels(3)
    assert_close(e(ember.tensor(x), ember.tensor(y)), t(torch.tensor(x), torch.tensor(y)), 1e-6,
                 1e-6)
    with pytest.raises(ValueError, match="expected margin to be greater than 0"):
        nn.TripletMarginLoss(margin=0)
