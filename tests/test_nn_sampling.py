"""affine_grid, grid_sample and gumbel_softmax against torch (gumbel_softmax statistically, since
its samples come from ember's RNG)."""
import itertools
import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from helpers import check_error, check_op
from test_programs import LIBS, close, twin
from test_programs import both as run_both

import ember
import ember.nn.functional as F

torch.set_num_threads(1)
RNG = np.random.default_rng(7)
COMBOS = list(itertools.product(("bilinear", "nearest"), ("zeros", "border", "reflection"),
                                (True, False)))


def make_grid(n, ho, wo, h, w, align_corners, lo=-3.0, dtype=np.float64):
    """A grid whose pixel coordinates reach outside the image (by up to 3 pixels) but keep away
    from integer pixel positions (where bilinear is not differentiable) and from half-integers
    (where nearest rounding flips)."""
    def coords(size, shape):
        p = RNG.integers(int(lo), size + 2, size=shape) + RNG.uniform(0.1, 0.4, size=shape) \
            + RNG.integers(0, 2, size=shape) * 0.5
        # pixel coordinate -> normalized coordinate (inverse of grid_sample's unnormalization)
        return p * 2 / (size - 1) - 1 if align_corners else (2 * p + 1) / size - 1
    x, y = coords(w, (n, ho, wo)), coords(h, (n, ho, wo))
    return np.stack([x, y], axis=-1).astype(dtype)


@pytest.mark.parametrize("mode,padding_mode,align_corners", COMBOS)
def test_grid_sample(mode, padding_mode, align_corners):
    x = RNG.standard_normal((2, 3, 4, 5))
    g = make_grid(2, 3, 4, 4, 5, align_corners)
    assert (np.abs(g) > 1).any()
    check_op(lambda a, b: F.grid_sample(a, b, mode, padding_mode, align_corners),
             lambda a, b: TF.grid_sample(a, b, mode, padding_mode, align_corners), x, g,
             gradcheck=mode == "bilinear")


def test_grid_sample_double_backward():
    check_op(lambda a, b: F.grid_sample(a, b, padding_mode="reflection", align_corners=False),
             lambda a, b: TF.grid_sample(a, b, padding_mode="reflection", align_corners=False),
             RNG.standard_normal((1, 1, 2, 3)), make_grid(1, 1, 3, 2, 3, False), gradgradcheck=True)


@pytest.mark.parametrize("mode,padding_mode,align_corners", COMBOS)
def test_grid_sample_float32_any_points(mode, padding_mode, align_corners):
    # plain uniform points (no care for boundaries), float32, a non-contiguous input
    x = RNG.standard_normal((2, 5, 4, 3)).astype(np.float32)
    g = RNG.uniform(-1.6, 1.6, size=(2, 3, 6, 2)).astype(np.float32)
    check_op(lambda a, b: F.grid_sample(a.transpose(2, 3), b, mode, padding_mode, align_corners),
             lambda a, b: TF.grid_sample(a.transpose(2, 3), b, mode, padding_mode, align_corners),
             x, g, rtol=1e-5, atol=1e-5, gradcheck=False)


def test_grid_sample_unit_dims_and_empty():
    for ac in (True, False):
        for pad in ("zeros", "border", "reflection"):
            check_op(lambda a, b: F.grid_sample(a, b, "bilinear", pad, ac),
                     lambda a, b: TF.grid_sample(a, b, "bilinear", pad, ac),
                     RNG.standard_normal((1, 2, 1, 3)), make_grid(1, 2, 2, 1, 3, False),
                     gradcheck=False)
    for xs, gs in (((0, 3, 4, 5), (0, 2, 2, 2)), ((2, 0, 4, 5), (2, 2, 2, 2)),
                   ((2, 3, 4, 5), (2, 0, 2, 2))):
        check_op(lambda a, b: F.grid_sample(a, b, align_corners=False),
                 lambda a, b: TF.grid_sample(a, b, align_corners=False),
                 RNG.standard_normal(xs), RNG.uniform(-1, 1, gs), gradcheck=False)


def test_grid_sample_defaults_and_warning():
    x, g = RNG.standard_normal((1, 2, 3, 3)), RNG.uniform(-1.2, 1.2, (1, 2, 2, 2))
    with pytest.warns(UserWarning, match="Default grid_sample and affine_grid behavior has changed"):
        y = F.grid_sample(ember.tensor(x), ember.tensor(g))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t = TF.grid_sample(torch.tensor(x), torch.tensor(g))
    np.testing.assert_allclose(y.numpy(), t.numpy(), atol=1e-12)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        F.grid_sample(ember.tensor(x), ember.tensor(g), align_corners=False)


def test_grid_sample_errors():
    def gs(xs, gs_, x_dtype=np.float32, g_dtype=np.float32, **kw):
        kw.setdefault("align_corners", False)
        x, g = ember.tensor(np.zeros(xs, x_dtype)), ember.tensor(np.zeros(gs_, g_dtype))
        return lambda: F.grid_sample(x, g, **kw)
    check_error(gs((2, 3, 4, 5), (2, 6, 7, 2), mode="foo"), ValueError,
                "nn.functional.grid_sample(): expected mode to be 'bilinear', 'nearest' or 'bicubic', "
                "but got: 'foo'")
    check_error(gs((2, 3, 4, 5), (2, 6, 7, 2), padding_mode="zz"), ValueError,
                "nn.functional.grid_sample(): expected padding_mode to be 'zeros', 'border', or "
                "'reflection', but got: 'zz'")
    check_error(gs((2, 3, 4, 5), (1, 6, 7, 2)), RuntimeError,
                "grid_sampler(): expected grid and input to have same batch size, but got input with "
                "sizes [2, 3, 4, 5] and grid with sizes [1, 6, 7, 2]")
    check_error(gs((2, 3, 4, 5), (2, 6, 7, 3)), RuntimeError,
                "grid_sampler(): expected grid to have size 2 in last dimension, but got grid with "
                "sizes [2, 6, 7, 3]")
    check_error(gs((2, 4, 5), (2, 6, 1)), RuntimeError,
                "grid_sampler(): expected 5D input and grid with same number of dimensions, but got "
                "input with sizes [2, 4, 5] and grid with sizes [2, 6, 1]")
    check_error(gs((2, 3, 4, 5), (2, 6, 7, 3, 2)), RuntimeError,
                "grid_sampler(): expected 4D input and grid with same number of dimensions")
    check_error(gs((2, 3, 0, 5), (2, 6, 7, 2)), RuntimeError,
                "grid_sampler(): expected input to have non-empty spatial dimensions, but input has "
                "sizes [2, 3, 0, 5] with dimension 2 being empty")
    check_error(gs((2, 3, 4, 5, 6), (2, 6, 7, 8, 3), mode="bicubic"), RuntimeError,
                "grid_sampler(): bicubic interpolation only supports 4D input")
    check_error(gs((2, 3, 4, 5), (2, 6, 7, 2), g_dtype=np.float64), RuntimeError,
                "expected scalar type Float but found Double")
    check_error(gs((2, 3, 4, 5), (2, 6, 7, 2), g_dtype=np.int32), RuntimeError,
                "expected scalar type Float but found Int")
    check_error(gs((2, 3, 4, 5), (2, 6, 7, 2), x_dtype=np.int32), NotImplementedError,
                "\"grid_sampler_2d_cpu_kernel_impl\" not implemented for 'Int'")
    # ember's own limits
    check_error(gs((2, 3, 4, 5), (2, 6, 7, 2), mode="bicubic"), NotImplementedError,
                "ember: grid_sample with mode='bicubic' is not supported")
    check_error(gs((2, 3, 4, 5, 6), (2, 6, 7, 8, 3)), NotImplementedError, "ember: grid_sample supports")


@pytest.mark.parametrize("align_corners", (True, False))
@pytest.mark.parametrize("size", ([2, 3, 4, 5], (2, 1, 3, 6), [2, 3, 2, 3, 4]))
def test_affine_grid(size, align_corners):
    theta = RNG.standard_normal((2, len(size) - 2, len(size) - 1))
    check_op(lambda t: F.affine_grid(t, size, align_corners),
             lambda t: TF.affine_grid(t, size, align_corners), theta, gradgradcheck=True)
    out = F.affine_grid(ember.tensor(theta.astype(np.float32)), size, align_corners)
    assert out.dtype == ember.float32


def test_affine_grid_then_grid_sample():
    theta = np.array([[[0.9, -0.3, 0.13], [0.2, 1.1, -0.27]], [[1.3, 0.4, 0.31], [-0.5, 0.7, 0.07]]])
    x = RNG.standard_normal((2, 3, 5, 6))
    check_op(lambda t, a: F.grid_sample(a, F.affine_grid(t, [2, 3, 4, 3], False), align_corners=False),
             lambda t, a: TF.grid_sample(a, TF.affine_grid(t, [2, 3, 4, 3], False), align_corners=False),
             theta, x)


def test_affine_grid_warnings_and_errors():
    th = ember.tensor(RNG.standard_normal((2, 2, 3)))
    with pytest.warns(UserWarning, match="Default grid_sample and affine_grid behavior has changed"):
        F.affine_grid(th, [2, 3, 4, 5])
    with pytest.warns(UserWarning, match="affine_grid behavior has changed for unit-size grids"):
        out = F.affine_grid(th, [2, 3, 1, 5], align_corners=True)
    assert out.shape == (2, 1, 5, 2)
    check_error(lambda: F.affine_grid(th.int(), [2, 3, 4, 5], False), ValueError,
                "Expected theta to have floating point type, but got ")
    check_error(lambda: F.affine_grid(th, [2, 3, 4], False), NotImplementedError,
                "affine_grid only supports 4D and 5D sizes, for 2D and 3D affine transforms, "
                "respectively. Got size [2, 3, 4].")
    check_error(lambda: F.affine_grid(th, [2, 3, 4, 5, 6], False), ValueError,
                "Expected a batch of 3D affine matrices of shape Nx3x4 for size [2, 3, 4, 5, 6]. "
                "Got torch.Size([2, 2, 3]).")
    check_error(lambda: F.affine_grid(th[0], [2, 3, 4, 5], False), ValueError,
                "Expected a batch of 2D affine matrices of shape Nx2x3 for size [2, 3, 4, 5]. "
                "Got torch.Size([2, 3]).")
    check_error(lambda: F.affine_grid(th, [2, 0, 4, 5], False), ValueError,
                "Expected non-zero, positive output size. Got [2, 0, 4, 5]")
    check_error(lambda: F.affine_grid(th, [3, 3, 4, 5], False), RuntimeError,
                "Expected size for first two dimensions of batch2 tensor to be: [3, 3] but got: [2, 3].")


def test_gumbel_softmax_statistics():
    ember.manual_seed(0)
    logits = ember.tensor(np.log(np.array([0.1, 0.2, 0.3, 0.4])))
    soft = F.gumbel_softmax(logits.expand(20000, 4))
    assert soft.shape == (20000, 4) and (soft.numpy() >= 0).all()
    np.testing.assert_allclose(soft.numpy().sum(-1), 1, rtol=1e-6)
    hard = F.gumbel_softmax(logits.expand(20000, 4), hard=True).numpy()
    assert set(np.unique(hard)) == {0.0, 1.0} and (hard.sum(-1) == 1).all()
    # argmax of Gumbel-perturbed logits is a sample of softmax(logits)
    np.testing.assert_allclose(hard.mean(0), [0.1, 0.2, 0.3, 0.4], atol=0.015)
    # a low temperature concentrates the soft samples on one class; dim picks the axis
    cold = F.gumbel_softmax(logits.reshape(4, 1).expand(4, 5000), tau=0.05, dim=0).numpy()
    assert cold.max(0).mean() > 0.95
    np.testing.assert_allclose(cold.sum(0), 1, rtol=1e-6)
    with pytest.warns(UserWarning, match="`eps` parameter is deprecated and has no effect."):
        F.gumbel_softmax(logits, eps=1e-3)


def test_gumbel_softmax_hard_straight_through():
    logits_np = RNG.standard_normal((6, 5))
    up = ember.tensor(RNG.standard_normal((6, 5)))
    grads, soft = [], None
    for hard in (False, True):
        ember.manual_seed(3)
        logits = ember.tensor(logits_np, requires_grad=True)
        y = F.gumbel_softmax(logits, tau=0.7, hard=hard)
        (y * up).sum().backward()
        grads.append(logits.grad.numpy())
        if hard:
            assert y.grad_fn is not None
            np.testing.assert_array_equal(y.detach().numpy(), np.eye(5)[soft.argmax(-1)])
        else:
            soft = y.detach().numpy()
    # the hard sample is differentiated as the soft one drawn from the same noise
    np.testing.assert_allclose(grads[1], grads[0], atol=1e-12)
    assert np.abs(grads[0]).max() > 0


def test_bicubic_and_5d_raise_clear_errors():
    x, g = ember.zeros(1, 1, 4, 4), ember.zeros(1, 2, 2, 2)
    check_error(lambda: F.grid_sample(x, g, mode="bicubic", align_corners=False),
                NotImplementedError, "ember: grid_sample with mode='bicubic' is not supported")
    check_error(lambda: F.grid_sample(ember.zeros(1, 1, 2, 2, 2), ember.zeros(1, 2, 2, 2, 3),
                                      align_corners=False),
                NotImplementedError, "ember: grid_sample supports only 4-D input")


# -- programs: a spatial transformer -----------------------------------------------------------------
def _np(shape, seed=0, scale=1.0):
    return (np.random.default_rng(seed).standard_normal(shape) * scale).astype(np.float32)


def test_spatial_transformer_affine_grid_grid_sample():
    def build(torch, nn, F):
        class STN(nn.Module):  # the "Spatial Transformer Networks" tutorial, on 12x12 inputs
            def __init__(self):
                super().__init__()
                self.loc = nn.Sequential(nn.Conv2d(1, 4, 3), nn.MaxPool2d(2), nn.ReLU(True))
                self.fc_loc = nn.Sequential(nn.Linear(4 * 5 * 5, 16), nn.ReLU(True), nn.Linear(16, 6))
                self.fc_loc[2].weight.data.zero_()
                # near identity, not exactly: at identity the sample points sit on pixel centres, the kinks of
                # bilinear interpolation (see test_grid_sample_identity_grid_gradient_float64); with 0.96 no
                # sample point comes within 3e-4 pixel of a kink in the 4 steps (0.97 came within 4e-6 at the
                # third, where float32 rounding in either library decides the gradient)
                self.fc_loc[2].bias.data.copy_(torch.tensor([1.02, 0.03, 0.01, -0.02, 0.96, 0.02]))
                self.head = nn.Linear(144, 3)

            def stn(self, x):
                theta = self.fc_loc(self.loc(x).view(-1, 4 * 5 * 5)).view(-1, 2, 3)
                grid = F.affine_grid(theta, x.size(), align_corners=False)
                return F.grid_sample(x, grid, align_corners=False)

            def forward(self, x):
                return F.log_softmax(self.head(self.stn(x).flatten(1)), dim=1)
        return STN()

    def prog(torch, nn, F, model):
        x = torch.from_numpy(_np((6, 1, 12, 12), seed=30))
        y = torch.tensor([0, 1, 2, 0, 1, 2])
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        losses = []
        for _ in range(4):
            loss = F.nll_loss(model(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(loss.item())
        theta = torch.tensor([[[0.9, 0.2, 0.1], [-0.1, 1.1, 0.05]]]).repeat(2, 1, 1)
        grid = F.affine_grid(theta, (2, 1, 5, 7), align_corners=True)
        warped = [F.grid_sample(x[:2], grid, mode=m, padding_mode=p, align_corners=True)
                  for m, p in (("bilinear", "zeros"), ("nearest", "border"), ("bilinear", "reflection"))]
        return losses, model.fc_loc[2].bias.detach(), grid, warped

    e_m, t_m = twin(build)
    close(prog(*LIBS["ember"], e_m), prog(*LIBS["torch"], t_m), rtol=1e-3, atol=1e-5)


def test_grid_sample_identity_grid_float64():
    def prog(torch, nn, F):  # the STN tutorial's identity init: grid points land exactly on pixel centres
        x = torch.from_numpy(_np((1, 1, 12, 12), seed=31).astype(np.float64))
        theta = torch.tensor([[[1.0, 0, 0], [0, 1.0, 0]]], dtype=torch.float64, requires_grad=True)
        grid = F.affine_grid(theta, (1, 1, 12, 12), align_corners=False)
        return grid, F.grid_sample(x, grid, align_corners=False)

    # the grid is bit-for-bit torch's; the gradient exactly at the bilinear kinks (pixel centres)
    # is a one-sided difference whose side depends on last-bit rounding, so it is not compared
    close(*run_both(prog), rtol=1e-12, atol=1e-12)
