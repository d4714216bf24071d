"""0-d tensors where PyTorch takes numbers (torchvision's RandomResizedCrop calls
``uniform_(from_, to)`` with 0-d tensor bounds): each op against torch, plus the errors for
tensors PyTorch refuses there (more than 0 dims, or requiring grad)."""
import numpy as np
import pytest
import torch

import ember


def T(lib, v):
    return lib.tensor(v)


def F(lib):
    return lib.nn.functional


# name → f(lib): the same call on torch and ember, with 0-d tensors where numbers go
DETERMINISTIC = {
    "clamp": lambda L: L.arange(5.).clamp(T(L, 1.), T(L, 3.)),
    "clamp_min_kw": lambda L: L.arange(5.).clamp(min=T(L, 1.)),
    "clamp_int": lambda L: L.arange(5).clamp(T(L, 1), T(L, 3)),
    "clamp_": lambda L: L.arange(5.).clamp_(T(L, 1.), T(L, 3.)),
    "clamp_max_": lambda L: L.arange(3.).clamp_max_(T(L, 1.)),
    "clip": lambda L: L.clip(L.arange(5.), T(L, 1.), T(L, 3.)),
    "fill_": lambda L: L.zeros(3).fill_(T(L, 2.)),
    "masked_fill": lambda L: L.zeros(3).masked_fill(L.tensor([True, False, True]), T(L, 2.)),
    "index_fill": lambda L: L.zeros(3).index_fill(0, L.tensor([1]), T(L, 2.)),
    "add_alpha": lambda L: L.ones(3).add(L.arange(3.), alpha=T(L, 2.)),
    "add_fn_alpha": lambda L: L.add(L.ones(3), L.arange(3.), alpha=T(L, 2.)),
    "add__alpha": lambda L: L.ones(3).add_(L.arange(3.), alpha=T(L, 2.)),
    "sub_alpha": lambda L: L.ones(3).sub(L.arange(3.), alpha=T(L, 2.)),
    "sub__alpha": lambda L: L.ones(3).sub_(L.arange(3.), alpha=T(L, 2.)),
    "rsub_alpha": lambda L: L.rsub(L.ones(3), L.arange(3.), alpha=T(L, 2.)),
    "addmm": lambda L: L.addmm(L.ones(2, 2), L.arange(4.).view(2, 2), L.ones(2, 2),
                               beta=T(L, .5), alpha=T(L, 2.)),
    "addmm_method": lambda L: L.ones(2, 2).addmm(L.ones(2, 2), L.ones(2, 2), alpha=T(L, 2.)),
    "addmv": lambda L: L.addmv(L.ones(2), L.ones(2, 2), L.arange(2.), beta=T(L, .5), alpha=T(L, 2.)),
    "baddbmm": lambda L: L.baddbmm(L.ones(1, 2, 2), L.ones(1, 2, 2), L.ones(1, 2, 2), beta=T(L, .5),
                                   alpha=T(L, 2.)),
    "pow": lambda L: L.arange(3.).pow(T(L, 2.)),
    "pow_": lambda L: L.arange(3.).pow_(T(L, 2.)),
    "pow_base": lambda L: L.pow(T(L, 2.), L.arange(3.)),
    "mul_int_by_float": lambda L: L.arange(3) * T(L, 2.5),
    "full": lambda L: L.full((2,), T(L, 3.)),
    "full_like": lambda L: L.full_like(L.zeros(2), T(L, 3.)),
    "new_full": lambda L: L.ones(2).new_full((2,), T(L, 3.)),
    "zeros_size": lambda L: L.zeros(T(L, 2), 3),
    "arange_end": lambda L: L.arange(T(L, 5)),
    "arange_float": lambda L: L.arange(T(L, 0.), T(L, 1.), T(L, 0.25)),
    "linspace": lambda L: L.linspace(T(L, 0.), T(L, 1.), 5),
    "eye": lambda L: L.eye(T(L, 2)),
    "lerp": lambda L: L.zeros(3).lerp(L.ones(3), T(L, .3)),
    "where_scalar": lambda L: L.where(L.tensor([True, False]), T(L, 1.), T(L, 0.)),
    "threshold": lambda L: F(L).threshold(L.arange(3.), T(L, 1.), T(L, 9.)),
    "Threshold_module": lambda L: L.nn.Threshold(T(L, 0.1), T(L, 20.))(L.arange(3.)),
    "leaky_relu": lambda L: F(L).leaky_relu(L.arange(-2., 2.), T(L, .1)),
    "LeakyReLU_module": lambda L: L.nn.LeakyReLU(T(L, 0.1))(L.arange(-2., 2.)),
    "hardtanh": lambda L: F(L).hardtanh(L.arange(-2., 2.), T(L, -1.), T(L, 1.)),
    "elu": lambda L: F(L).elu(L.arange(-2., 2.), T(L, .5)),
    "celu": lambda L: F(L).celu(L.arange(-2., 2.), T(L, .5)),
    "rrelu_eval": lambda L: F(L).rrelu(L.arange(-2., 2.), T(L, .1), T(L, .3)),
    "hardshrink": lambda L: F(L).hardshrink(L.arange(-2., 2.), T(L, .5)),
    "softshrink": lambda L: F(L).softshrink(L.arange(-2., 2.), T(L, .5)),
    "softplus": lambda L: F(L).softplus(L.arange(-2., 2.), T(L, 1.), T(L, 20.)),
    "layer_norm_eps": lambda L: F(L).layer_norm(L.arange(6.).view(2, 3), (3,), eps=T(L, 1e-5)),
    "group_norm_eps": lambda L: F(L).group_norm(L.arange(8.).view(1, 4, 2), 2, eps=T(L, 1e-5)),
    "batch_norm_eps": lambda L: F(L).batch_norm(L.arange(6.).view(3, 2), None, None, training=True,
                                                momentum=T(L, .1), eps=T(L, 1e-5)),
    "smooth_l1_beta": lambda L: F(L).smooth_l1_loss(L.arange(3.), L.zeros(3), beta=T(L, .5)),
    "huber_delta": lambda L: F(L).huber_loss(L.arange(3.), L.zeros(3), delta=T(L, .5)),
    "interpolate_size": lambda L: F(L).interpolate(L.arange(4.).view(1, 1, 2, 2), size=(T(L, 4), T(L, 3))),
    "dropout_p": lambda L: F(L).dropout(L.ones(3), T(L, 0.)),
    "std_correction": lambda L: L.arange(5.).std(correction=T(L, 0)),
    "polygamma_n": lambda L: L.polygamma(T(L, 1), L.ones(2)),
    # dims and counts as 0-d integer tensors
    "sum_dim": lambda L: L.arange(6.).view(3, 2).sum(T(L, 0)),
    "mean_dim": lambda L: L.arange(6.).view(3, 2).mean(T(L, 0)),
    "amax_dim": lambda L: L.arange(6.).view(3, 2).amax(T(L, 0)),
    "argmax_dim": lambda L: L.arange(6.).view(3, 2).argmax(T(L, 0)),
    "prod_dim": lambda L: L.arange(6.).view(3, 2).prod(T(L, 0)),
    "var_dim": lambda L: L.arange(6.).view(3, 2).var(T(L, 0)),
    "logsumexp_dim": lambda L: L.arange(6.).view(3, 2).logsumexp(T(L, 0)),
    "cumsum_dim": lambda L: L.arange(3.).cumsum(T(L, 0)),
    "softmax_dim": lambda L: F(L).softmax(L.arange(6.).view(2, 3), T(L, 1)),
    "glu_dim": lambda L: F(L).glu(L.arange(8.).view(2, 4), T(L, 1)),
    "cat_dim": lambda L: L.cat([L.ones(2), L.zeros(2)], T(L, 0)),
    "stack_dim": lambda L: L.stack([L.ones(2)], T(L, 0)),
    "transpose": lambda L: L.arange(6).view(2, 3).transpose(T(L, 0), 1),
    "unsqueeze": lambda L: L.ones(2).unsqueeze(T(L, 0)),
    "squeeze_dim": lambda L: L.ones(1, 2).squeeze(T(L, 0)),
    "movedim": lambda L: L.arange(2).view(1, 2).movedim(T(L, 0), 1),
    "flatten": lambda L: L.ones(2, 3, 4).flatten(T(L, 1)),
    "chunk": lambda L: L.arange(6).chunk(T(L, 3))[1],
    "split": lambda L: L.arange(6).split(T(L, 2))[2],
    "narrow": lambda L: L.arange(5).narrow(0, T(L, 1), T(L, 2)),
    "roll": lambda L: L.arange(5).roll(T(L, 1)),
    "topk": lambda L: L.arange(5.).topk(T(L, 2)).values,
    "repeat": lambda L: L.arange(2).repeat(T(L, 2)),
    "view": lambda L: L.arange(4).view(T(L, 2), 2),
    "index_0d": lambda L: L.arange(5)[T(L, 2)],
    "slice_0d": lambda L: L.arange(5)[T(L, 1):T(L, 3)],
}


@pytest.mark.parametrize("name", list(DETERMINISTIC))
def test_0d_tensor_as_number_matches_torch(name):
    f = DETERMINISTIC[name]
    theirs, ours = f(torch), f(ember)
    assert tuple(ours.shape) == tuple(theirs.shape)
    assert str(ours.dtype).split(".")[1] == str(theirs.dtype).split(".")[1]
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-6, atol=1e-7)


# random fills: same draws as with the numbers themselves, under the same seed
RANDOM = {
    "uniform_": (lambda t, L: t.uniform_(T(L, 0.2), T(L, 0.5)), lambda t: t.uniform_(0.2, 0.5)),
    "normal_": (lambda t, L: t.normal_(T(L, 1.), T(L, 2.)), lambda t: t.normal_(1., 2.)),
    "exponential_": (lambda t, L: t.exponential_(T(L, 3.)), lambda t: t.exponential_(3.)),
    "log_normal_": (lambda t, L: t.log_normal_(T(L, 0.), T(L, .5)), lambda t: t.log_normal_(0., .5)),
    "cauchy_": (lambda t, L: t.cauchy_(T(L, 0.), T(L, 2.)), lambda t: t.cauchy_(0., 2.)),
    "geometric_": (lambda t, L: t.geometric_(T(L, .3)), lambda t: t.geometric_(.3)),
    "random_": (lambda t, L: t.random_(T(L, 2), T(L, 9)), lambda t: t.random_(2, 9)),
    "normal_size": (lambda t, L: L.normal(T(L, 1.), T(L, 2.), (50,)),
                    lambda t: ember.normal(1., 2., (50,))),
}


@pytest.mark.parametrize("name", list(RANDOM))
def test_0d_tensor_bounds_of_random_fills(name):
    with_tensors, with_numbers = RANDOM[name]
    # torch takes them (the reference for "accepted"), and gives the shape we give
    theirs = with_tensors(torch.empty(50), torch)
    ember.manual_seed(7)
    ours = with_tensors(ember.empty(50), ember)
    ember.manual_seed(7)
    plain = with_numbers(ember.empty(50))
    assert tuple(ours.shape) == tuple(theirs.shape) == (50,)
    assert ember.equal(ours, plain)


def test_uniform_0d_bounds_as_torchvision_random_resized_crop():
    # torchvision.transforms.RandomResizedCrop.get_params
    area = 100.0
    scale, ratio = (0.08, 1.0), (3 / 4, 4 / 3)
    log_ratio = ember.log(ember.tensor(ratio))
    ember.manual_seed(0)
    target_area = area * ember.empty(1).uniform_(scale[0], scale[1]).item()
    aspect = ember.exp(ember.empty(1).uniform_(log_ratio[0], log_ratio[1])).item()
    assert 0.08 * area <= target_area < area
    assert 3 / 4 <= aspect < 4 / 3


@pytest.mark.parametrize("call,message", [
    (lambda L: L.ones(3).add(L.ones(3), alpha=L.tensor([2.])),
     "add(): argument 'alpha' must be Number, not Tensor"),
    (lambda L: L.ones(3).add(L.ones(3), alpha=L.tensor(2., requires_grad=True)),
     "add(): argument 'alpha' must be Number, not Tensor"),
    (lambda L: L.empty(3).uniform_(L.tensor([0., 1.]), 2.),
     "uniform_(): argument 'from' (position 1) must be float, not Tensor"),
    (lambda L: L.nn.functional.leaky_relu(L.ones(2), L.tensor([.1, .2])),
     "leaky_relu(): argument 'negative_slope' (position 2) must be Number, not Tensor"),
])
def test_tensors_torch_refuses_as_numbers(call, message):
    with pytest.raises(TypeError) as theirs:
        call(torch)
    with pytest.raises(TypeError) as ours:
        call(ember)
    assert str(theirs.value) == message
    # ember names the op, the argument and the expected kind (PyTorch's words, without position)
    assert str(ours.value) == message.replace(" (position 1)", "").replace(" (position 2)", "")
