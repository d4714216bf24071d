"""ember's CPU random streams are PyTorch's (issue 12): the same seed gives the same numbers.

Every check seeds both libraries alike, draws with the same call, and compares the values bit
for bit (the normal family within 1 ulp where glibc's libm and NumPy's may round apart), then
compares one more draw so that the number of words each call consumed matches too.
"""
import math
import random

import numpy as np
import pytest
import torch

import ember
import ember.vision  # noqa: F401

SIZES = [1, 5, 15, 16, 17, 1000]


def _np(x):
    if isinstance(x, (ember.Tensor, torch.Tensor)):
        return x.detach().numpy()
    return np.asarray(x)


def _ulps(a, b):
    """Distance in units in the last place between two float arrays of one dtype."""
    bits = {np.dtype(np.float16): np.int16, np.dtype(np.float32): np.int32,
            np.dtype(np.float64): np.int64}[a.dtype]
    ia, ib = a.view(bits).astype(np.int64), b.view(bits).astype(np.int64)
    top = np.iinfo(bits).min
    ia = np.where(ia < 0, top - ia, ia)     # sign-magnitude to a monotone integer line
    ib = np.where(ib < 0, top - ib, ib)
    return np.abs(ia - ib)


def same_draws(fn, seed=0, ulps=0, rtol=0):
    """``fn(lib)`` gives PyTorch's values (within ``ulps`` for floats, or ``rtol``), and the
    next rand afterwards agrees, so both consumed the same number of words."""
    ember.manual_seed(seed)
    torch.manual_seed(seed)
    a, b = _np(fn(ember)), _np(fn(torch))
    assert a.shape == b.shape and a.dtype == b.dtype, (a.shape, b.shape, a.dtype, b.dtype)
    if rtol:
        np.testing.assert_allclose(a, b, rtol=rtol, atol=0)
    elif ulps and a.dtype.kind == "f":
        finite = np.isfinite(b)
        assert np.array_equal(np.isfinite(a), finite)
        assert _ulps(a[finite], b[finite]).max(initial=0) <= ulps
    else:
        assert np.array_equal(a, b, equal_nan=True), (a.ravel()[:8], b.ravel()[:8])
    assert ember.rand(3).tolist() == torch.rand(3).tolist(), "the streams drifted apart"


# -- the generator --------------------------------------------------------------------------------
def test_words_are_torch_words():
    ember.manual_seed(1)
    torch.manual_seed(1)
    assert ember.rand(10).tolist() == torch.rand(10).tolist()
    g = ember.Generator().manual_seed(2 ** 40 + 7)      # only the low 32 bits seed MT19937
    assert g.initial_seed() == 2 ** 40 + 7
    t = torch.Generator().manual_seed(2 ** 40 + 7)
    assert ember.rand(5, generator=g).tolist() == torch.rand(5, generator=t).tolist()


@pytest.mark.parametrize("draws", [0, 3, 623, 624, 625, 2000])
def test_state_bytes_match_torch(draws):
    """get_rng_state() is PyTorch's 5056-byte layout, at every position in the MT block."""
    ember.manual_seed(5)
    torch.manual_seed(5)
    ember.rand(draws)
    torch.rand(draws)
    assert ember.get_rng_state().tolist() == torch.get_rng_state().tolist()


def test_state_carries_the_cached_normal():
    for n in (1, 3):    # an odd count leaves the second Box-Muller value cached
        ember.manual_seed(6)
        torch.manual_seed(6)
        ember.randn(n)
        torch.randn(n)
        assert ember.get_rng_state().tolist() == torch.get_rng_state().tolist()
    state = torch.get_rng_state()
    ember.set_rng_state(ember.tensor(state.numpy()))
    assert ember.randn(3).tolist() == torch.randn(3).tolist()   # starts with the cached value


def test_torch_state_loads_into_ember_and_back():
    torch.manual_seed(11)
    torch.rand(700)
    torch.randn(5)
    state = torch.get_rng_state()
    ember.set_rng_state(ember.tensor(state.numpy()))
    assert ember.get_rng_state().tolist() == state.tolist()
    assert ember.randn(7).tolist() == torch.randn(7).tolist()
    torch.set_rng_state(torch.from_numpy(ember.get_rng_state().numpy()))
    ember_next = ember.rand(4).tolist()
    assert torch.rand(4).tolist() == ember_next
    g = ember.Generator()
    g.set_state(ember.tensor(state.numpy()))
    assert g.get_state().tolist() == state.tolist()


def test_state_errors():
    with pytest.raises(RuntimeError, match="Invalid mt19937 state"):
        raw = torch.get_rng_state().numpy().copy()
        raw[8:12] = 0              # left = 0
        ember.set_rng_state(ember.tensor(raw))
    with pytest.raises(TypeError, match="ByteTensor"):
        ember.set_rng_state(ember.zeros(5056))


def test_generator_objects():
    import pickle
    e, t = ember.Generator().manual_seed(8), torch.Generator().manual_seed(8)
    ember.rand(700, generator=e)
    torch.rand(700, generator=t)
    for g in (e.clone_state(), pickle.loads(pickle.dumps(e))):
        assert ember.randn(5, generator=g).tolist() == torch.randn(5, generator=t.clone_state()).tolist()
    assert ember.randint(0, 9, (4,), generator=e).tolist() == \
        torch.randint(0, 9, (4,), generator=t).tolist()
    assert ember.randperm(9, generator=e).tolist() == torch.randperm(9, generator=t).tolist()
    assert ember.multinomial(ember.ones(5), 3, generator=e).tolist() == \
        torch.multinomial(torch.ones(5), 3, generator=t).tolist()
    assert ember.empty(6).exponential_(generator=e).tolist() == \
        torch.empty(6).exponential_(generator=t).tolist()
    assert e.get_state().tolist() == t.get_state().tolist()
    for g in (e, t):
        with pytest.raises(RuntimeError, match="CPU Generator does not use offset"):
            g.get_offset()


def test_fork_rng_restores_the_stream():
    ember.manual_seed(3)
    with ember.random.fork_rng():
        ember.rand(100)
    a = ember.rand(3).tolist()
    ember.manual_seed(3)
    assert ember.rand(3).tolist() == a
    ember.manual_seed(3)
    with ember.random.fork_rng(enabled=False):
        ember.rand(1)
    torch.manual_seed(3)
    torch.rand(1)
    assert ember.rand(1).tolist() == torch.rand(1).tolist()   # the draw inside counted


def test_default_generator_seeds_nondeterministically():
    # as PyTorch, the process starts from a nondeterministic seed; manual_seed fixes it
    assert 0 <= ember.initial_seed() < 2 ** 64
    assert ember.default_generator is ember.manual_seed(4)


# -- samplers -------------------------------------------------------------------------------------
@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("dtype", ["float32", "float64", "float16"])
def test_rand_uniform(n, dtype):
    same_draws(lambda m: m.rand(n, dtype=getattr(m, dtype)))
    same_draws(lambda m: m.empty(n, dtype=getattr(m, dtype)).uniform_(-2.5, 3.25))


@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("dtype", ["float32", "float64", "float16"])
def test_randn_normal(n, dtype):
    # float32 and float16 are exact; float64 within 1 ulp (glibc's log1p/sin/cos vs NumPy's)
    tol = 1 if dtype == "float64" else 0
    same_draws(lambda m: m.randn(n, dtype=getattr(m, dtype)), ulps=tol)
    same_draws(lambda m: m.empty(n, dtype=getattr(m, dtype)).normal_(0.5, 2.0), ulps=tol + (
        dtype == "float64"))


def test_normal_scalar_path_caches_across_calls():
    same_draws(lambda m: m.cat([m.randn(3), m.randn(5), m.randn(40), m.randn(1), m.randn(2)]))


@pytest.mark.parametrize("shape", [(3, 7), (2, 3, 5), (4, 1, 6)])
def test_odd_shapes_and_non_contiguous_targets(shape):
    same_draws(lambda m: m.rand(*shape))
    same_draws(lambda m: m.randn(*shape))
    same_draws(lambda m: m.zeros(*shape).transpose(0, -1).uniform_())
    same_draws(lambda m: m.zeros(*shape).transpose(0, -1).normal_(1.0, 3.0))
    same_draws(lambda m: m.zeros(8, 6)[:, ::2].normal_())
    same_draws(lambda m: m.zeros(*shape, dtype=m.int64).transpose(0, 1).random_(0, 9))
    same_draws(lambda m: m.zeros(*shape).transpose(0, 1).bernoulli_(0.3))
    same_draws(lambda m: m.zeros(*shape).transpose(0, 1).exponential_(2.0))


def test_like_and_normal_overloads():
    same_draws(lambda m: m.rand_like(m.zeros(3, 5)))
    same_draws(lambda m: m.randn_like(m.zeros(4, 7, dtype=m.float64)), ulps=1)
    same_draws(lambda m: m.randint_like(m.zeros(3, 7), 5))
    same_draws(lambda m: m.randint_like(m.zeros(3, 7, dtype=m.int32), -4, 9))
    same_draws(lambda m: m.normal(m.arange(20.0), 2.0))
    same_draws(lambda m: m.normal(1.5, m.arange(20.0)))
    same_draws(lambda m: m.normal(m.arange(20.0), m.arange(20.0).flip(0)))
    same_draws(lambda m: m.normal(2.0, 3.0, (5, 7)))
    same_draws(lambda m: m.randn(20, dtype=m.complex64))
    same_draws(lambda m: m.rand(5, dtype=m.complex64))
    same_draws(lambda m: m.zeros(4, 6, dtype=m.complex64).t().normal_())
    same_draws(lambda m: m.zeros(4, 6, dtype=m.complex128).t().uniform_(), ulps=0)


@pytest.mark.parametrize("n", SIZES)
def test_randint_and_random_(n):
    for low, high in [(0, 10), (-7, 3), (0, 2 ** 28 - 1), (0, 2 ** 28), (-2 ** 40, 2 ** 40),
                      (0, 2 ** 63 - 1)]:
        same_draws(lambda m: m.randint(low, high, (n,)))
    same_draws(lambda m: m.randint(-5, 2 ** 31 - 1, (n,), dtype=m.int32))
    same_draws(lambda m: m.randint(0, 100, (n,), dtype=m.float32))
    same_draws(lambda m: m.randint(3, 9, (n,), dtype=m.uint8))
    for dtype in ("int64", "int32", "int16", "int8", "uint8", "bool", "float32", "float64",
                  "float16"):
        same_draws(lambda m: m.empty(n, dtype=getattr(m, dtype)).random_())
    same_draws(lambda m: m.empty(n, dtype=m.int64).random_(-3, None))
    same_draws(lambda m: m.empty(n, dtype=m.int64).random_(-2 ** 63, None))
    same_draws(lambda m: m.empty(n, dtype=m.float32).random_(5, None))
    same_draws(lambda m: m.empty(n, dtype=m.int32).random_(40))


@pytest.mark.parametrize("n", [0, 1, 2, 3, 5, 15, 16, 17, 1000, 100_000])
def test_randperm(n):
    same_draws(lambda m: m.randperm(n))
    if n <= 1000:
        same_draws(lambda m: m.randperm(n, dtype=m.float32))


@pytest.mark.parametrize("n", SIZES)
def test_bernoulli(n):
    same_draws(lambda m: m.empty(n).bernoulli_(0.3))
    same_draws(lambda m: m.empty(n, dtype=m.int64).bernoulli_(0.7))
    same_draws(lambda m: m.bernoulli(m.zeros(n), p=0.6))
    same_draws(lambda m: m.bernoulli(m.linspace(0, 1, n)))
    same_draws(lambda m: m.bernoulli(m.linspace(0, 1, n, dtype=m.float64)))
    same_draws(lambda m: m.empty(n, 2).bernoulli_(m.tensor([0.2, 0.9])))


@pytest.mark.parametrize("n", SIZES)
def test_exponential_family(n):
    same_draws(lambda m: m.empty(n).exponential_(2.0))
    same_draws(lambda m: m.empty(n).geometric_(0.2))
    same_draws(lambda m: m.empty(n, dtype=m.int64).geometric_(0.6))
    same_draws(lambda m: m.empty(n).cauchy_(0.5, 2.0))
    same_draws(lambda m: m.empty(n).log_normal_(0.1, 0.5))
    # float64: glibc's log1p against NumPy's, 1 ulp apart at most; the log-normal's exp
    # scales its normal's last-bit difference by the value's magnitude
    same_draws(lambda m: m.empty(n, dtype=m.float64).exponential_(), ulps=1)
    same_draws(lambda m: m.empty(n, dtype=m.float64).log_normal_(), rtol=1e-14)


@pytest.mark.parametrize("n", [1, 5, 17, 1000])
def test_multinomial(n):
    w1 = [0.5, 0.0, 1.0, 3.0, 0.25, 2.0, 0.125]
    same_draws(lambda m: m.multinomial(m.tensor(w1), n, True))
    same_draws(lambda m: m.multinomial(m.tensor([w1, w1[::-1], [1.0] * 7]), n, True))
    same_draws(lambda m: m.multinomial(m.tensor([w1, w1[::-1]], dtype=m.float64), n, True))
    same_draws(lambda m: m.multinomial(m.tensor([w1, w1[::-1]]), 1))
    same_draws(lambda m: m.multinomial(m.arange(1.0, 1 + 3 * n).reshape(3, n), min(n, 4)))


def test_poisson_is_drawn_from_ember_s_generator():
    # not PyTorch's stream (see _sampling.poisson); reproducible and well distributed
    ember.manual_seed(0)
    a = ember.poisson(ember.full((20000,), 4.0))
    ember.manual_seed(0)
    assert ember.poisson(ember.full((20000,), 4.0)).tolist() == a.tolist()
    assert abs(a.mean().item() - 4.0) < 0.1 and abs(a.var().item() - 4.0) < 0.2
    big = ember.poisson(ember.tensor([0.0, 0.5, 250.0]))
    assert big[0].item() == 0 and 150 < big[2].item() < 350


# -- initialisation, layers, dropout --------------------------------------------------------------
@pytest.mark.parametrize("shape", [(30, 20), (7, 3, 5, 5), (5,)])
def test_nn_init(shape):
    init = lambda m: m.nn.init     # noqa: E731
    same_draws(lambda m: init(m).uniform_(m.empty(*shape), -1, 2))
    same_draws(lambda m: init(m).normal_(m.empty(*shape), 1, 2))
    same_draws(lambda m: init(m).trunc_normal_(m.empty(*shape), 0, 1))
    same_draws(lambda m: init(m).trunc_normal_(m.empty(*shape), 0, 1, 1.0, 1.5))
    if len(shape) > 1:
        for f in ("xavier_uniform_", "xavier_normal_", "kaiming_uniform_", "kaiming_normal_"):
            same_draws(lambda m: getattr(init(m), f)(m.empty(*shape)))
        ember.manual_seed(1)
        torch.manual_seed(1)
        a = ember.nn.init.orthogonal_(ember.empty(*shape), gain=2.0)
        b = torch.nn.init.orthogonal_(torch.empty(*shape), gain=2.0)
        np.testing.assert_allclose(_np(a), _np(b), atol=1e-5)   # LAPACK rounding apart
        assert ember.rand(2).tolist() == torch.rand(2).tolist()
    same_draws(lambda m: init(m).sparse_(m.empty(10, 6), 0.3))


LAYERS = [
    lambda n: n.Linear(20, 30), lambda n: n.Bilinear(4, 5, 6), lambda n: n.Conv1d(3, 4, 3),
    lambda n: n.Conv2d(4, 8, 3, groups=2), lambda n: n.Conv3d(2, 3, 2),
    lambda n: n.ConvTranspose2d(3, 5, 3), lambda n: n.Embedding(10, 4, padding_idx=2),
    lambda n: n.EmbeddingBag(10, 4), lambda n: n.RNN(4, 5, 2),
    lambda n: n.LSTM(4, 5, 2, bidirectional=True), lambda n: n.LSTM(4, 6, proj_size=3),
    lambda n: n.GRU(4, 5), lambda n: n.LSTMCell(3, 4), lambda n: n.GRUCell(3, 4),
    lambda n: n.MultiheadAttention(8, 2, kdim=5, vdim=6, add_bias_kv=True),
    lambda n: n.TransformerEncoderLayer(8, 2, 16), lambda n: n.TransformerDecoderLayer(8, 2, 16),
    lambda n: n.Transformer(8, 2, 1, 1, 16), lambda n: n.PReLU(),
    lambda n: n.Sequential(n.Linear(2, 8), n.ReLU(), n.Linear(8, 1)),
]


@pytest.mark.filterwarnings("ignore:enable_nested_tensor")
@pytest.mark.parametrize("make", LAYERS)
def test_layers_hold_torch_weights(make):
    ember.manual_seed(1)
    torch.manual_seed(1)
    me, mt = make(ember.nn), make(torch.nn)
    se, st = me.state_dict(), mt.state_dict()
    assert list(se) == list(st)
    for k in st:
        assert np.array_equal(_np(se[k]), _np(st[k])), k
    assert ember.rand(2).tolist() == torch.rand(2).tolist()


def _x(m):
    return m.tensor(np.random.default_rng(0).standard_normal((4, 6, 5, 3)).astype(np.float32))


def test_dropout_family():
    F = lambda m: m.nn.functional    # noqa: E731
    same_draws(lambda m: F(m).dropout(_x(m), 0.3))
    same_draws(lambda m: F(m).dropout(_x(m).transpose(0, 2), 0.3))
    same_draws(lambda m: F(m).dropout1d(_x(m)[0], 0.3))
    same_draws(lambda m: F(m).dropout2d(_x(m), 0.3))
    same_draws(lambda m: F(m).dropout3d(_x(m), 0.3))
    same_draws(lambda m: m.nn.Dropout(0.2)(_x(m)))
    for f in ("alpha_dropout", "feature_alpha_dropout"):
        ember.manual_seed(2)
        torch.manual_seed(2)
        np.testing.assert_allclose(_np(getattr(F(ember), f)(_x(ember), 0.3, True)),
                                   _np(getattr(F(torch), f)(_x(torch), 0.3, True)), atol=1e-6)


@pytest.mark.parametrize("make", [
    lambda m, x: m.nn.functional.scaled_dot_product_attention(x, x, x, dropout_p=0.4),
    lambda m, x: m.nn.TransformerEncoderLayer(3, 1, 8)(x[0]),
    lambda m, x: m.nn.MultiheadAttention(3, 1, dropout=0.5)(x[0], x[0], x[0])[0],
    lambda m, x: m.nn.LSTM(3, 4, 2, dropout=0.5)(x[0])[0],
])
def test_layers_with_dropout_train_alike(make):
    ember.manual_seed(3)
    torch.manual_seed(3)
    a, b = make(ember, _x(ember)), make(torch, _x(torch))
    np.testing.assert_allclose(_np(a), _np(b), atol=1e-5)
    assert ember.rand(2).tolist() == torch.rand(2).tolist()


# -- distributions --------------------------------------------------------------------------------
DISTS = [
    lambda m: m.distributions.Normal(m.zeros(3), m.ones(3) * 2),
    lambda m: m.distributions.Uniform(m.zeros(3), m.ones(3) * 2),
    lambda m: m.distributions.Exponential(m.ones(3) * 2),
    lambda m: m.distributions.Laplace(m.zeros(3), m.ones(3)),
    lambda m: m.distributions.MultivariateNormal(m.zeros(3), m.eye(3) * 2),
]


@pytest.mark.parametrize("make", DISTS)
def test_distribution_samples(make):
    for method in ("sample", "rsample"):
        ember.manual_seed(4)
        torch.manual_seed(4)
        a = getattr(make(ember), method)((5,))
        b = getattr(make(torch), method)((5,))
        np.testing.assert_allclose(_np(a), _np(b), atol=1e-6, rtol=0)
        assert ember.rand(2).tolist() == torch.rand(2).tolist()


def test_discrete_distribution_samples():
    same_draws(lambda m: m.distributions.Bernoulli(m.full((3,), 0.3)).sample((5,)))
    same_draws(lambda m: m.distributions.Categorical(m.tensor([0.1, 0.5, 0.4])).sample((7,)))
    same_draws(lambda m: m.distributions.OneHotCategorical(m.tensor([0.1, 0.5, 0.4])).sample((7,)))


# -- data -----------------------------------------------------------------------------------------
DATA = list(range(23))


@pytest.mark.parametrize("make", [
    lambda m, D: list(D.RandomSampler(DATA)) + list(D.RandomSampler(DATA)),
    lambda m, D: list(D.RandomSampler(DATA, True, 70)),
    lambda m, D: list(D.RandomSampler(DATA, False, 50)),
    lambda m, D: list(D.RandomSampler(DATA, generator=m.Generator().manual_seed(3))),
    lambda m, D: list(D.SubsetRandomSampler([5, 7, 9, 11, 13])),
    lambda m, D: list(D.WeightedRandomSampler([0.1, 0.5, 0.2, 0.2], 30)),
    lambda m, D: list(D.WeightedRandomSampler([0.1, 0.5, 0.2, 0.2], 3, False)),
    lambda m, D: [list(s.indices) for s in D.random_split(DATA, [0.5, 0.3, 0.2])],
    lambda m, D: [b[0].tolist() for _ in range(2) for b in
                  D.DataLoader(D.TensorDataset(m.arange(23.0)), batch_size=5, shuffle=True)],
])
def test_samplers(make):
    ember.manual_seed(9)
    torch.manual_seed(9)
    assert make(ember, ember.utils.data) == make(torch, torch.utils.data)
    assert ember.rand(2).tolist() == torch.rand(2).tolist()


class _Probe:
    """A dataset whose items report the worker's draws (ember or torch, NumPy, seed)."""

    def __init__(self, lib):
        self.lib = lib

    def __len__(self):
        return 4

    def __getitem__(self, i):
        info = self.lib.utils.data.get_worker_info()
        return [round(float(self.lib.rand(1).item()), 7), round(float(np.random.rand()), 7),
                info.seed]


def test_worker_seeds():
    out = []
    for lib in (ember, torch):
        lib.manual_seed(9)
        loader = lib.utils.data.DataLoader(_Probe(lib), batch_size=2, num_workers=2,
                                           collate_fn=lambda b: b)
        out.append(list(loader))
    assert out[0] == out[1]


# -- vision transforms: torchvision's draws (transcribed from torchvision's sources) -----------------
def test_flip_crop_rotate_draws():
    T = ember.vision.transforms
    img = ember.rand(3, 32, 40)
    for seed in range(6):
        ember.manual_seed(seed)
        torch.manual_seed(seed)
        flipped = T.RandomHorizontalFlip()(img)
        expect = img.flip(-1) if torch.rand(1) < 0.5 else img
        assert flipped.tolist() == expect.tolist()
        i, j, h, w = T.RandomCrop.get_params(img, (20, 24))
        assert (i, j) == (torch.randint(0, 13, size=(1,)).item(),
                          torch.randint(0, 17, size=(1,)).item())
        angle = T.RandomRotation.get_params([-30.0, 30.0])
        assert angle == float(torch.empty(1).uniform_(-30.0, 30.0).item())
        assert ember.rand(1).item() == torch.rand(1).item()


def test_resized_crop_and_jitter_draws():
    T = ember.vision.transforms
    img = ember.rand(3, 50, 60)
    for seed in range(6):
        ember.manual_seed(seed)
        torch.manual_seed(seed)
        got = T.RandomResizedCrop.get_params(img, [0.08, 1.0], [3 / 4, 4 / 3])
        log_ratio = torch.log(torch.tensor([3 / 4, 4 / 3]))
        for _ in range(10):
            area = 3000 * torch.empty(1).uniform_(0.08, 1.0).item()
            aspect = torch.exp(torch.empty(1).uniform_(log_ratio[0], log_ratio[1])).item()
            w, h = int(round(math.sqrt(area * aspect))), int(round(math.sqrt(area / aspect)))
            if 0 < w <= 60 and 0 < h <= 50:
                want = (torch.randint(0, 50 - h + 1, size=(1,)).item(),
                        torch.randint(0, 60 - w + 1, size=(1,)).item(), h, w)
                break
        assert got == want
        order, b, c, s, hue = T.ColorJitter.get_params((0.5, 1.5), (0.8, 1.2), None, (-0.1, 0.1))
        assert list(order) == torch.randperm(4).tolist()
        assert b == float(torch.empty(1).uniform_(0.5, 1.5))
        assert c == float(torch.empty(1).uniform_(0.8, 1.2))
        assert s is None and hue == float(torch.empty(1).uniform_(-0.1, 0.1))
        angle, (tx, ty), scale, shear = T.RandomAffine.get_params(
            [-10.0, 10.0], [0.1, 0.2], [0.9, 1.1], [-5.0, 5.0], [60, 50])
        assert angle == float(torch.empty(1).uniform_(-10.0, 10.0).item())
        assert tx == int(round(torch.empty(1).uniform_(-6.0, 6.0).item()))
        assert ty == int(round(torch.empty(1).uniform_(-10.0, 10.0).item()))
        assert scale == float(torch.empty(1).uniform_(0.9, 1.1).item())
        assert shear[0] == float(torch.empty(1).uniform_(-5.0, 5.0).item())


def test_apply_choice_order_and_autoaugment_draws():
    T = ember.vision.transforms
    img = ember.rand(3, 8, 8)
    for seed in range(6):
        ember.manual_seed(seed)
        torch.manual_seed(seed)
        applied = T.RandomApply([T.Lambda(lambda x: x + 1)], p=0.4)(img)
        assert (applied.tolist() == (img + 1).tolist()) == (not 0.4 < torch.rand(1))
        random.seed(seed)
        picks = [T.RandomChoice([T.Lambda(lambda x, k=k: k) for k in range(3)], [1, 2, 3])(img)
                 for _ in range(5)]
        random.seed(seed)
        assert picks == [random.choices(range(3), weights=[1, 2, 3])[0] for _ in range(5)]
        policy, probs, signs = T.AutoAugment.get_params(25)
        assert policy == int(torch.randint(25, (1,)).item())
        assert list(probs) == torch.rand((2,)).tolist()
        assert list(signs) == torch.randint(2, (2,)).tolist()
