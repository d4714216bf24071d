"""Creation functions against PyTorch: deterministic ones value for value, random ones by shape,
dtype, range, rough statistics and reproducibility; every error by type and message."""
import numpy as np
import pytest
import torch
from helpers import assert_close, check_error

import ember

GRAD_MSG = "Only Tensors of floating point and complex dtype can require gradients"
# linspace reproduces PyTorch's fused multiply-add with long double; exact where that is wider
EXACT = np.finfo(np.longdouble).nmant > 52


def _kw(lib, kw):
    return {k: (getattr(lib, v.name) if isinstance(v, ember.dtype) else v) for k, v in kw.items()}


def same(name, *args, exact=True, rtol=1e-6, **kw):
    """``name(*args, **kw)`` in both libraries: same dtype, shape and values (or same error)."""
    try:
        t = getattr(torch, name)(*args, **_kw(torch, kw))
    except Exception as err:   # noqa: BLE001 - the error itself is what is compared
        with pytest.raises(type(err)) as info:
            getattr(ember, name)(*args, **kw)
        assert str(info.value).split("\n")[0] == str(err).split("\n")[0]
        return None
    e = getattr(ember, name)(*args, **kw)
    assert e.dtype.name == str(t.dtype).split(".")[1], (name, args, kw)
    assert tuple(e.shape) == tuple(t.shape), (name, args, kw)
    if exact or not (t.is_floating_point() or t.is_complex()):
        np.testing.assert_array_equal(e.numpy(), t.numpy(), err_msg=f"{name}{args}{kw}")
    else:
        scale = float(np.max(np.abs(t.numpy()), initial=1.0))
        np.testing.assert_allclose(e.numpy(), t.numpy(), rtol=rtol, atol=rtol * scale,
                                   err_msg=f"{name}{args}{kw}")
    assert e.requires_grad == t.requires_grad
    return e


def same_error(fn):
    """``fn(lib)`` raises the same exception type and message in both libraries."""
    with pytest.raises(Exception) as want:
        fn(torch)
    with pytest.raises(type(want.value)) as got:
        fn(ember)
    assert str(got.value).split("\n")[0] == str(want.value).split("\n")[0]


# -- from data -----------------------------------------------------------------------------------
@pytest.mark.parametrize("data", [[1, 2], [1.5, 2], [True, False], [[1, 2], [3, 4]], 3, 2.5, True,
                                  1 + 2j, [1j, 2], [], [[]], [[1.0], [2.0]], (1, 2.5)])
def test_tensor_inference(data):
    same("tensor", data)


@pytest.mark.parametrize("data,dtype", [([1.7, -2.7], ember.int64), ([-1, 3], ember.uint8),
                                        ([1, 0], ember.bool), ([1.5, 0.0], ember.bool),
                                        ([1e39], ember.float32), ([1e5], ember.float16),
                                        ([1 + 1j], ember.bool), ([2.5], ember.complex128)])
def test_tensor_with_dtype(data, dtype):
    same("tensor", data, dtype=dtype)


@pytest.mark.parametrize("data,dtype", [([1e8], ember.int16), ([float("nan")], ember.int32),
                                        ([300], ember.uint8), ([-300], ember.uint8),
                                        ([-0.5], ember.uint8), ([1 + 2j], ember.float32),
                                        ([1 + 2j], ember.int64), ([2 ** 63], None)])
def test_tensor_conversion_errors(data, dtype):
    same("tensor", data, **({} if dtype is None else {"dtype": dtype}))


def test_tensor_from_numpy_and_tensors():
    a = np.arange(6, dtype=np.int32).reshape(2, 3)
    same("tensor", a)
    e = ember.tensor([ember.tensor(1.0), ember.tensor(2.0)])
    assert e.tolist() == [1.0, 2.0] and e.dtype is ember.float32
    shared = ember.from_numpy(a)
    a[0, 0] = 7
    assert shared[0, 0].item() == 7
    assert ember.as_tensor(shared) is shared
    copied = ember.tensor(a)
    a[0, 0] = 8
    assert copied[0, 0].item() == 7


# -- filled ----------------------------------------------------------------------------------------
DTYPES = [None, ember.float64, ember.float16, ember.int32, ember.int64, ember.uint8, ember.bool,
          ember.complex64]


@pytest.mark.parametrize("dtype", DTYPES)
def test_filled(dtype):
    kw = {} if dtype is None else {"dtype": dtype}
    for name, args in [("zeros", (2, 3)), ("ones", ((2, 3),)), ("zeros", ([4],)), ("ones", ()),
                       ("empty", (0, 2)), ("full", ((2, 2), 3)), ("eye", (3,)), ("eye", (2, 4))]:
        e = same(name, *args, **kw)
        if name == "empty":
            assert e.shape == (0, 2)
    ref = torch.ones(2, 3, dtype=torch.float64)
    eref = ember.ones(2, 3, dtype=ember.float64)
    for name, extra in [("zeros_like", ()), ("ones_like", ()), ("full_like", (7,)),
                        ("empty_like", ())]:
        t = getattr(torch, name)(ref, *extra, **_kw(torch, kw))
        e = getattr(ember, name)(eref, *extra, **kw)
        assert e.dtype.name == str(t.dtype).split(".")[1] and e.shape == t.shape
        if name != "empty_like":
            np.testing.assert_array_equal(e.numpy(), t.numpy())


def test_full_dtype_inference_and_size_keyword():
    for v in [True, 2, 2.5, 1j, torch.tensor(2.0)]:
        t = torch.full((2,), v)
        e = ember.full((2,), ember.tensor(2.0) if isinstance(v, torch.Tensor) else v)
        assert e.dtype.name == str(t.dtype).split(".")[1] and e.tolist() == t.tolist()
    assert ember.zeros(size=(2, 3)).shape == (2, 3) and ember.ones(size=[4]).shape == (4,)
    assert ember.rand(size=(2,)).shape == (2,) and ember.randn(size=(3, 1)).shape == (3, 1)
    assert ember.zeros(ember.Size([2, 2])).shape == (2, 2)


def test_filled_errors():
    same_error(lambda m: m.zeros(2, -1))
    same_error(lambda m: m.ones(-1))
    same_error(lambda m: m.empty(2, -3))
    same_error(lambda m: m.full((-1,), 2))
    same_error(lambda m: m.rand(-1))
    same_error(lambda m: m.eye(-1))
    same_error(lambda m: m.eye(3, -2))


@pytest.mark.parametrize("make", [
    lambda m: m.zeros(3, dtype=m.int64, requires_grad=True),
    lambda m: m.ones(3, dtype=m.bool, requires_grad=True),
    lambda m: m.empty(3, dtype=m.int32, requires_grad=True),
    lambda m: m.full((3,), 2, requires_grad=True),
    lambda m: m.eye(3, dtype=m.int64, requires_grad=True),
    lambda m: m.zeros_like(m.zeros(3), dtype=m.int64, requires_grad=True),
    lambda m: m.ones_like(m.zeros(3, dtype=m.int64), requires_grad=True),
    lambda m: m.full_like(m.zeros(3, dtype=m.int64), 1, requires_grad=True),
    lambda m: m.tensor([1, 2], requires_grad=True),
    lambda m: m.arange(3, requires_grad=True),
    lambda m: m.linspace(0, 1, 3, dtype=m.int64, requires_grad=True),
    lambda m: m.logspace(0, 1, 3, dtype=m.int64, requires_grad=True),
    lambda m: m.randint(0, 5, (3,), requires_grad=True),
    lambda m: m.randint_like(m.zeros(3, dtype=m.int64), 5, requires_grad=True),
    lambda m: m.randperm(5, requires_grad=True),
])
def test_requires_grad_on_integer_dtypes(make):
    same_error(make)


def test_requires_grad_on_float_and_complex():
    for make in [lambda m: m.zeros(2, requires_grad=True), lambda m: m.arange(3.0, requires_grad=True),
                 lambda m: m.linspace(0, 1, 3, requires_grad=True),
                 lambda m: m.zeros(2, dtype=m.complex64, requires_grad=True),
                 lambda m: m.tensor([1j], requires_grad=True), lambda m: m.rand(2, requires_grad=True),
                 lambda m: m.randn(2, requires_grad=True),
                 lambda m: m.randint(0, 5, (3,), dtype=m.float32, requires_grad=True),
                 lambda m: m.randperm(4, dtype=m.float64, requires_grad=True),
                 lambda m: m.normal(0.0, 1.0, (2,), requires_grad=True),
                 lambda m: m.eye(2, requires_grad=True), lambda m: m.full((2,), 1.5, requires_grad=True)]:
        e, t = make(ember), make(torch)
        assert e.requires_grad and t.requires_grad and e.is_leaf and e.dtype.name == \
            str(t.dtype).split(".")[1]


# -- ranges ----------------------------------------------------------------------------------------
ARANGE = [(5,), (2, 7), (0, 1, 0.1), (-1.5, 2.7, 0.3), (5, 0, -1), (0.5, 5), (1, 2.5, 0.5),
          (10, 1, -3), (0, 10, 3), (-3.7, 3.2, 0.9), (1e20, 1e20 + 1), (True,), (0.0, 3.0)]


@pytest.mark.parametrize("args", ARANGE)
@pytest.mark.parametrize("dtype", [None, ember.float64, ember.float16, ember.int64, ember.int32,
                                   ember.uint8])
def test_arange(args, dtype):
    if dtype is ember.uint8 and any(a < 0 for a in args):
        return
    # values agree to one rounding (PyTorch's kernel vectorises in a CPU-dependent way)
    same("arange", *args, exact=False, rtol=1e-3 if dtype is ember.float16 else 1e-6,
         **({} if dtype is None else {"dtype": dtype}))


def test_arange_integer_dtype_truncation():
    for args in [(-0.5, 3), (-2.7, 3, 1.5), (21.1, 6.9, -0.3), (0, 3, 0.5)]:
        same("arange", *args, dtype=ember.int32)
        same("arange", *args, dtype=ember.int64)
    assert ember.arange(ember.tensor(3)).tolist() == [0, 1, 2]
    e = ember.arange(ember.tensor(1.0), 4)
    assert e.dtype is ember.float32 and e.tolist() == [1.0, 2.0, 3.0]


def test_arange_errors():
    same_error(lambda m: m.arange(0, 5, 0))
    same_error(lambda m: m.arange(5, 0, 1))
    same_error(lambda m: m.arange(0.0, float("inf")))
    same_error(lambda m: m.arange(0.5, float("nan")))
    same_error(lambda m: m.arange(1, 4, dtype=m.bool))
    same_error(lambda m: m.arange(2, dtype=m.complex64))
    same_error(lambda m: m.arange(0, 3, 0.5, dtype=m.int64))


def _linspace_cases(n):
    rng = np.random.default_rng(7)
    out = []
    for _ in range(n):
        s, e = (float(v) for v in rng.uniform(-50, 50, 2))
        if rng.random() < 0.3:
            s, e = int(s), int(e)
        out.append((s, e, int(rng.integers(0, 40))))
    return out


@pytest.mark.parametrize("dtype", [None, ember.float64, ember.float16, ember.int64, ember.int32,
                                   ember.int16, ember.int8, ember.uint8])
def test_linspace_values_exactly(dtype):
    kw = {} if dtype is None else {"dtype": dtype}
    for s, e, n in _linspace_cases(60):
        same("linspace", s, e, n, exact=EXACT, **kw)


def test_linspace_special_cases():
    for args in [(0, 1, 0), (0, 1, 1), (3.5, -2, 1), (0, 10, 5), (0, 1j, 3), (1 + 1j, 3, 3),
                 (0.0, float("inf"), 3), (True, 2, 3), (0, 5, 3)]:
        same("linspace", *args)
    same("linspace", 0, 1, 3, dtype=ember.complex128)
    same("linspace", 5, 0, 3, dtype=ember.uint8)
    same("linspace", -49, 35, 30, dtype=ember.uint8)   # negative integers wrap, as in c10
    assert_close(ember.linspace(ember.tensor(0.0), ember.tensor(1), 4),
                 torch.linspace(torch.tensor(0.0), torch.tensor(1), 4))
    assert_close(ember.linspace(0, 1, ember.tensor(3)), torch.linspace(0, 1, torch.tensor(3)))


def test_linspace_errors():
    same_error(lambda m: m.linspace(0, 1, -1))
    same_error(lambda m: m.linspace(m.tensor([0.0]), 1, 3))
    same_error(lambda m: m.linspace(0, m.tensor([1.0]), 3))
    same_error(lambda m: m.linspace(m.tensor([0.0]), m.tensor([1.0]), 3))
    same_error(lambda m: m.linspace(0, 1, 3, dtype=m.bool))
    same_error(lambda m: m.linspace(0, 1e39, 3))
    same_error(lambda m: m.linspace(0, 1e5, 3, dtype=m.float16))
    same_error(lambda m: m.linspace(-1, 300, 3, dtype=m.uint8))
    same_error(lambda m: m.linspace(-1.5, 3, 3, dtype=m.uint8))
    same_error(lambda m: m.linspace(0, 3e9, 3, dtype=m.int32))
    same_error(lambda m: m.linspace(0, 1, 2.5))


@pytest.mark.parametrize("dtype", [None, ember.float64, ember.int64, ember.int32, ember.complex64])
def test_logspace(dtype):
    kw = {} if dtype is None else {"dtype": dtype}
    rng = np.random.default_rng(3)
    for _ in range(40):
        s, e = (float(v) for v in rng.uniform(-3, 3, 2))
        base = float(rng.choice([10.0, 2.0, 2.5, 0.5]))
        same("logspace", s, e, int(rng.integers(0, 30)), base=base, exact=False, **kw)
    same("logspace", 0, 2, 3, exact=False, **kw)
    same("logspace", 0, 1, 1, exact=False, **kw)
    same("logspace", -1, 1, 3, base=-2, exact=False, **kw)
    same("logspace", 0.0, 2.5, 4, 3, exact=False, **kw)


def test_logspace_extras():
    assert_close(ember.logspace(ember.tensor(0.0), 1, 3), torch.logspace(torch.tensor(0.0), 1, 3))
    assert_close(ember.logspace(0, 1, 3, base=ember.tensor(2.0)), torch.logspace(0, 1, 3, base=2.0))
    same("logspace", 0, 3, 4, dtype=ember.float16, exact=False, rtol=1e-3)
    same_error(lambda m: m.logspace(0, 2, -1))
    same_error(lambda m: m.logspace(0, m.tensor([1.0]), 3))
    same_error(lambda m: m.logspace(0, 1, 3, dtype=m.bool))


# -- random: seeding and generators ----------------------------------------------------------------
RANDOM_MAKERS = [
    lambda g: ember.rand(3, 4, generator=g), lambda g: ember.randn(5, generator=g),
    lambda g: ember.randint(0, 10, (6,), generator=g), lambda g: ember.randperm(7, generator=g),
    lambda g: ember.normal(0.0, 1.0, (4,), generator=g),
    lambda g: ember.normal(ember.zeros(3), ember.ones(3), generator=g),
    lambda g: ember.bernoulli(ember.full((8,), 0.5), generator=g),
    lambda g: ember.multinomial(ember.ones(5), 3, generator=g),
    lambda g: ember.multinomial(ember.ones(5), 8, True, generator=g),
    lambda g: ember.rand_like(ember.zeros(3), generator=g),
    lambda g: ember.randn_like(ember.zeros(3), generator=g),
    lambda g: ember.randint_like(ember.zeros(3), 9, generator=g),
    lambda g: ember.empty(6).normal_(generator=g), lambda g: ember.empty(6).uniform_(generator=g),
    lambda g: ember.empty(6).bernoulli_(0.5, generator=g),
    lambda g: ember.empty(6).exponential_(generator=g),
    lambda g: ember.empty(6, dtype=ember.int64).random_(generator=g),
]


@pytest.mark.parametrize("make", RANDOM_MAKERS)
def test_manual_seed_reproduces(make):
    ember.manual_seed(0)
    a = make(None).tolist()
    b = make(None).tolist()
    ember.manual_seed(0)
    assert make(None).tolist() == a
    g = ember.Generator().manual_seed(123)
    c = make(g).tolist()
    assert make(ember.Generator().manual_seed(123)).tolist() == c
    if len(set(map(str, a))) > 1 or isinstance(a[0], float):
        assert a != b   # the stream moved on


def test_seed_state_round_trip():
    ember.manual_seed(42)
    assert ember.initial_seed() == 42
    state = ember.get_rng_state()
    assert state.dtype is ember.uint8
    x = ember.rand(5).tolist()
    ember.set_rng_state(state)
    assert ember.rand(5).tolist() == x
    s = ember.seed()
    assert ember.initial_seed() == s and 0 <= s < 2 ** 64
    g = ember.Generator()
    st = g.get_state()
    y = ember.randn(4, generator=g).tolist()
    g.set_state(st)
    assert ember.randn(4, generator=g).tolist() == y
    assert ember.manual_seed(-1).initial_seed() == torch.manual_seed(-1).initial_seed()
    assert ember.Generator().manual_seed(-5).initial_seed() == \
        torch.Generator().manual_seed(-5).initial_seed()
    assert ember.manual_seed(1.7).initial_seed() == 1
    ember.manual_seed(0)
    torch.manual_seed(0)


def test_seed_errors():
    same_error(lambda m: m.manual_seed(2 ** 64))
    same_error(lambda m: m.manual_seed(-2 ** 63 - 1))
    same_error(lambda m: m.Generator().manual_seed("a"))
    same_error(lambda m: m.set_rng_state(m.zeros(3)))
    same_error(lambda m: m.Generator().set_state(m.zeros(3)))
    same_error(lambda m: m.set_rng_state(m.zeros(3, dtype=m.uint8)))


# -- random: distributions -------------------------------------------------------------------------
def test_rand_randn():
    ember.manual_seed(1)
    u = ember.rand(20000)
    assert u.dtype is ember.float32 and 0 <= u.min().item() and u.max().item() < 1
    assert abs(u.mean().item() - 0.5) < 0.01
    z = ember.randn(200, 100, dtype=ember.float64)
    assert z.dtype is ember.float64 and z.shape == (200, 100)
    assert abs(z.mean().item()) < 0.02 and abs(z.std().item() - 1) < 0.02
    c = ember.randn(20000, dtype=ember.complex64)
    assert c.dtype is ember.complex64
    assert abs(np.var(c.numpy().real) - 0.5) < 0.03 and abs(np.var(c.numpy().imag) - 0.5) < 0.03
    assert ember.rand(3, dtype=ember.complex128).dtype is ember.complex128
    assert ember.rand(2, 3, dtype=ember.float16).dtype is ember.float16
    assert ember.rand(()).shape == () and ember.randn(0, 3).shape == (0, 3)
    x = ember.zeros(2, 3, dtype=ember.float64)
    assert ember.rand_like(x).dtype is ember.float64 and ember.randn_like(x).shape == (2, 3)


def test_rand_errors():
    same_error(lambda m: m.rand(3, dtype=m.int64))
    same_error(lambda m: m.rand(3, dtype=m.bool))
    same_error(lambda m: m.randn(3, dtype=m.int64))
    same_error(lambda m: m.rand_like(m.zeros(3, dtype=m.int64)))
    same_error(lambda m: m.randn_like(m.zeros(3, dtype=m.int32)))


def test_randint():
    ember.manual_seed(2)
    r = ember.randint(3, 9, (20000,))
    assert r.dtype is ember.int64 and r.min().item() == 3 and r.max().item() == 8
    counts = np.bincount(r.numpy())[3:]
    assert counts.min() > 3000
    assert ember.randint(5, (2, 3)).shape == (2, 3)
    assert ember.randint(5, size=(4,)).max().item() < 5
    assert ember.randint(low=2, high=4, size=[3]).min().item() >= 2
    assert ember.randint(0, 3, ()).shape == ()
    assert ember.randint(ember.tensor(3), (2,)).max().item() < 3
    f = ember.randint(0, 5, (100,), dtype=ember.float32)
    assert f.dtype is ember.float32 and bool((f == f.floor()).all())
    b = ember.randint(0, 2, (50,), dtype=ember.bool)
    assert b.dtype is ember.bool
    s = ember.randint(-5, 3, (100,), dtype=ember.int8)
    assert s.dtype is ember.int8 and s.min().item() >= -5
    big = ember.randint(0, 2 ** 62, (1000,))
    assert big.max().item() > 2 ** 60
    like = ember.randint_like(ember.zeros(3, 2), 5)
    assert like.dtype is ember.float32 and like.shape == (3, 2)
    assert ember.randint_like(ember.zeros(3, dtype=ember.int32), 2, 5).dtype is ember.int32
    assert ember.randint_like(ember.zeros(3), low=1, high=5, dtype=ember.int64).min().item() >= 1
    assert ember.randint_like(ember.zeros(3), high=5).max().item() < 5


@pytest.mark.parametrize("make", [
    lambda m: m.randint(5, 3, (3,)), lambda m: m.randint(5, 5, (3,)), lambda m: m.randint(5, 3),
    lambda m: m.randint(0, 300, (3,), dtype=m.uint8), lambda m: m.randint(-1, 3, (3,), dtype=m.uint8),
    lambda m: m.randint(0, 3, (3,), dtype=m.bool), lambda m: m.randint(2.5, (3,)),
    lambda m: m.randint(0, 200, (4,), dtype=m.int8), lambda m: m.randint(0, 2 ** 40, (2,), dtype=m.int16),
    lambda m: m.randint(0, 2 ** 25, (2,), dtype=m.float16), lambda m: m.randint(3, (-1,)),
    lambda m: m.randint(0, 2 ** 64, (2,)), lambda m: m.randint_like(m.zeros(3), 5, 2),
    lambda m: m.randint_like(m.zeros(3), 0, 300, dtype=m.uint8),
])
def test_randint_errors(make):
    same_error(make)


def test_randperm():
    ember.manual_seed(3)
    p = ember.randperm(50)
    assert p.dtype is ember.int64 and sorted(p.tolist()) == list(range(50))
    assert p.tolist() != list(range(50))
    assert ember.randperm(0).shape == (0,)
    assert ember.randperm(ember.tensor(4)).shape == (4,)
    for dt in (ember.int8, ember.uint8, ember.float32, ember.float16, ember.int32):
        q = ember.randperm(100, dtype=dt)
        assert q.dtype is dt and sorted(q.tolist()) == list(range(100))
    assert sorted(ember.randperm(256, dtype=ember.uint8).tolist()) == list(range(256))
    # every position is uniform: the mean of position 0 over many draws is about (n - 1) / 2
    firsts = [ember.randperm(10)[0].item() for _ in range(400)]
    assert 3.5 < np.mean(firsts) < 5.5


@pytest.mark.parametrize("make", [
    lambda m: m.randperm(-1), lambda m: m.randperm(300, dtype=m.uint8),
    lambda m: m.randperm(129, dtype=m.int8), lambda m: m.randperm(3000, dtype=m.float16),
    lambda m: m.randperm(3, dtype=m.bool), lambda m: m.randperm(2.5),
])
def test_randperm_errors(make):
    same_error(make)


def test_normal_overloads():
    ember.manual_seed(4)
    z = ember.normal(2.0, 3.0, (20000,))
    assert z.dtype is ember.float32 and abs(z.mean().item() - 2) < 0.1 and abs(z.std().item() - 3) < 0.1
    assert ember.normal(0, 1, size=(2, 3), dtype=ember.float64).dtype is ember.float64
    m = ember.tensor([0.0, 100.0]).reshape(2, 1).expand(2, 10000)
    s = ember.tensor([1.0, 0.1])[:, None]
    x = ember.normal(m, s)
    assert x.shape == (2, 10000)
    assert abs(x[0].mean().item()) < 0.05 and abs(x[1].mean().item() - 100) < 0.01
    assert abs(x[0].std().item() - 1) < 0.05 and abs(x[1].std().item() - 0.1) < 0.01
    for e_args, t_args in [((ember.zeros(2, 3), ember.ones(3)), (torch.zeros(2, 3), torch.ones(3))),
                           ((ember.zeros(2, 1), ember.ones(3)), (torch.zeros(2, 1), torch.ones(3))),
                           ((ember.zeros(3), 2.0), (torch.zeros(3), 2.0)),
                           ((1.0, ember.ones(3, dtype=ember.float64)),
                            (1.0, torch.ones(3, dtype=torch.float64))),
                           ((ember.zeros(3), ember.ones(3, dtype=ember.float64)),
                            (torch.zeros(3), torch.ones(3, dtype=torch.float64)))]:
        e, t = ember.normal(*e_args), torch.normal(*t_args)
        assert e.shape == t.shape and e.dtype.name == str(t.dtype).split(".")[1]
    assert bool((ember.normal(ember.full((5,), 3.0), 0.0) == 3).all())


def test_normal_autograd_names_and_zero_grads():
    for args, name in [((True, True), "NormalBackward3"), ((True, False), "NormalBackward1"),
                       ((False, True), "NormalBackward2")]:
        mean = ember.zeros(3, requires_grad=True) if args[0] else 0.0
        std = ember.ones(3, requires_grad=True) if args[1] else 1.0
        tm = torch.zeros(3, requires_grad=True) if args[0] else 0.0
        ts = torch.ones(3, requires_grad=True) if args[1] else 1.0
        out, tout = ember.normal(mean, std), torch.normal(tm, ts)
        assert out.grad_fn.name() == name == type(tout.grad_fn).__name__
        out.sum().backward()
        for p in (mean, std):
            if isinstance(p, ember.Tensor):
                assert p.grad.tolist() == [0.0, 0.0, 0.0]


@pytest.mark.parametrize("make", [
    lambda m: m.normal(m.zeros(3), -1.0), lambda m: m.normal(m.zeros(3), -m.ones(3)),
    lambda m: m.normal(0.0, -1.0, (2, 3)), lambda m: m.normal(0, 1, (2, 3), dtype=m.int64),
    lambda m: m.normal(m.zeros(2, 2), m.ones(2, 3)), lambda m: m.normal(m.zeros(4), m.ones(2, 2)),
    lambda m: m.normal(m.zeros(3, dtype=m.int64), m.ones(3)),
    lambda m: m.normal(m.zeros(3, dtype=m.int64), 1.0), lambda m: m.normal(0.0, 1.0),
    lambda m: m.normal(m.zeros(3), float("nan")),
    lambda m: m.normal(m.zeros(3), m.tensor([1.0, float("nan"), 1.0])),
])
def test_normal_errors(make):
    same_error(make)


def test_bernoulli():
    ember.manual_seed(5)
    p = ember.tensor([0.0, 0.2, 0.9, 1.0]).reshape(4, 1).expand(4, 5000)
    b = ember.bernoulli(p)
    assert b.dtype is ember.float32 and set(np.unique(b.numpy())) <= {0.0, 1.0}
    means = b.mean(1).tolist()
    assert means[0] == 0 and means[3] == 1 and abs(means[1] - 0.2) < 0.03 and abs(means[2] - 0.9) < 0.03
    q = ember.bernoulli(ember.zeros(20000, dtype=ember.float64), 0.3)
    assert q.dtype is ember.float64 and abs(q.mean().item() - 0.3) < 0.02
    assert ember.bernoulli(ember.ones(3, dtype=ember.int64), 0.5).dtype is ember.int64
    x = ember.full((3,), 0.5).bernoulli()
    assert x.shape == (3,)
    r = ember.bernoulli(ember.full((3,), 0.5, requires_grad=True))
    assert r.grad_fn.name() == "BernoulliBackward0"


@pytest.mark.parametrize("make", [
    lambda m: m.bernoulli(m.full((3,), 1.5)), lambda m: m.bernoulli(m.full((3,), -0.5)),
    lambda m: m.bernoulli(m.full((3,), float("nan"))), lambda m: m.bernoulli(m.full((3,), 0.5), 1.5),
    lambda m: m.bernoulli(m.ones(3, dtype=m.int64)), lambda m: m.bernoulli(m.ones(3, dtype=m.bool)),
])
def test_bernoulli_errors(make):
    same_error(make)


def test_multinomial_without_replacement():
    ember.manual_seed(6)
    w = ember.tensor([1.0, 0.0, 3.0, 0.0, 4.0, 2.0])
    for _ in range(20):
        s = ember.multinomial(w, 4)
        assert s.dtype is ember.int64 and len(set(s.tolist())) == 4
        assert set(s.tolist()) <= {0, 2, 4, 5}
    rows = ember.rand(500, 8) + 0.1
    s = ember.multinomial(rows, 8)
    assert s.shape == (500, 8)
    assert bool((s.sort(1)[0] == ember.arange(8)).all())   # each row is a permutation
    # first draws follow the weights
    firsts = ember.multinomial(ember.tensor([[1.0, 2.0, 7.0]]).expand(20000, 3), 1)
    freq = np.bincount(firsts.numpy().ravel(), minlength=3) / 20000
    np.testing.assert_allclose(freq, [0.1, 0.2, 0.7], atol=0.015)
    assert ember.multinomial(ember.ones(0, 3), 1).shape == (0, 1)
    assert ember.multinomial(ember.tensor([1.0, 0, 0]), 2).tolist()[0] == 0


def test_multinomial_with_replacement():
    ember.manual_seed(7)
    w = ember.tensor([[0.0, 1.0, 3.0, 0.0], [5.0, 0.0, 0.0, 5.0]], dtype=ember.float64)
    s = ember.multinomial(w, 20000, replacement=True)
    assert s.shape == (2, 20000) and s.dtype is ember.int64
    f0 = np.bincount(s[0].numpy(), minlength=4) / 20000
    f1 = np.bincount(s[1].numpy(), minlength=4) / 20000
    np.testing.assert_allclose(f0, [0, 0.25, 0.75, 0], atol=0.015)
    np.testing.assert_allclose(f1, [0.5, 0, 0, 0.5], atol=0.015)
    assert ember.multinomial(ember.tensor([0.0, 0.0, 2.0]), 10, True).tolist() == [2] * 10
    assert ember.tensor([1.0, 1.0]).multinomial(5, True).shape == (5,)


@pytest.mark.parametrize("make", [
    lambda m: m.multinomial(m.ones(4), 5), lambda m: m.multinomial(m.ones(4), 0),
    lambda m: m.multinomial(m.ones(4), -1), lambda m: m.multinomial(m.ones(2, 3, 4), 2),
    lambda m: m.multinomial(m.ones(()), 1), lambda m: m.multinomial(m.ones(4, dtype=m.int64), 2),
    lambda m: m.multinomial(m.tensor([1.0, -1.0, 2.0]), 1),
    lambda m: m.multinomial(m.tensor([1.0, float("nan"), 2.0]), 1),
    lambda m: m.multinomial(m.tensor([1.0, float("inf"), 2.0]), 1),
    lambda m: m.multinomial(m.zeros(3), 1), lambda m: m.multinomial(m.zeros(3), 2, True),
    lambda m: m.multinomial(m.tensor([[1.0, 1.0], [0.0, 0.0]]), 1),
    lambda m: m.multinomial(m.tensor([1.0, -1.0, 2.0]), 2, True),
    lambda m: m.multinomial(m.tensor([1.0, float("nan"), 2.0]), 2, True),
    lambda m: m.multinomial(m.tensor([1.0, float("inf"), 2.0]), 2, True),
    lambda m: m.multinomial(m.ones(0), 1), lambda m: m.multinomial(m.ones(0), 2, True),
    lambda m: m.multinomial(m.ones(3), 2.0),
])
def test_multinomial_errors(make):
    same_error(make)


def test_created_on_default_device_and_devices():
    assert ember.zeros(2, device="cpu").device == ember.device("cpu")
    assert ember.randn(2, device=ember.device("cpu")).is_cpu
    assert ember.linspace(0, 1, 3, device="cpu").is_cpu


def test_as_tensor_and_asarray():
    a = np.ones(3)
    assert_close(ember.as_tensor(a, dtype=ember.float32), torch.as_tensor(a, dtype=torch.float32))
    assert ember.asarray([1, 2]).dtype is ember.int64


# -- in-place random fills (nn.init uses these under no_grad) -----------------------------------
def test_inplace_fills_values():
    ember.manual_seed(8)
    x = ember.empty(20000, dtype=ember.float64)
    v = x._version
    assert x.normal_(1.0, 2.0) is x and x._version == v + 1
    assert abs(x.mean().item() - 1) < 0.05 and abs(x.std().item() - 2) < 0.05
    x.uniform_(-3, 5)
    assert x.min().item() >= -3 and x.max().item() < 5 and abs(x.mean().item() - 1) < 0.1
    x.uniform_(to=2.0)
    assert 0 <= x.min().item() and x.max().item() < 2
    x.uniform_(**{"from": 1.0, "to": 1.0})
    assert bool((x == 1).all())
    x.bernoulli_(0.25)
    assert set(np.unique(x.numpy())) <= {0.0, 1.0} and abs(x.mean().item() - 0.25) < 0.02
    x.bernoulli_()
    assert abs(x.mean().item() - 0.5) < 0.02
    x.exponential_(2.0)
    assert x.min().item() >= 0 and abs(x.mean().item() - 0.5) < 0.02
    x.geometric_(0.5)
    assert x.min().item() >= 1 and abs(x.mean().item() - 2) < 0.1
    x.log_normal_(0.0, 0.5)
    assert x.min().item() > 0 and abs(np.log(x.numpy()).std() - 0.5) < 0.02
    x.cauchy_()
    assert abs(np.median(x.numpy())) < 0.05
    f = ember.empty(1000).random_()
    assert f.min().item() >= 0 and f.max().item() <= 2 ** 24 and bool((f == f.floor()).all())
    i = ember.empty(1000, dtype=ember.int64).random_(5)
    assert set(i.tolist()) == set(range(5))
    i.random_(2, 5)
    assert set(i.tolist()) == {2, 3, 4}
    u = ember.empty(1000, dtype=ember.uint8).random_()
    assert u.max().item() > 200
    assert set(ember.empty(100, dtype=ember.bool).random_().tolist()) == {False, True}
    assert ember.empty(100, dtype=ember.float16).random_().max().item() <= 2 ** 11
    c = ember.empty(5000, dtype=ember.complex64).normal_(0, 2)
    assert abs(np.var(c.numpy().real) - 2) < 0.2
    ints = ember.zeros(3, dtype=ember.int64).bernoulli_(ember.full((3,), 0.5))
    assert ints.dtype is ember.int64
    m = ember.zeros(2, 3).bernoulli_(ember.tensor([0.0, 1.0, 0.0]))
    assert m.tolist() == [[0.0, 1.0, 0.0], [0.0, 1.0, 0.0]]


def test_inplace_fills_on_views_share_memory():
    base = ember.zeros(4, 4)
    base[1:3].normal_()
    assert bool((base[0] == 0).all()) and bool((base[1] != 0).any())
    col = base.t()[0]
    col.uniform_(5, 6)
    assert bool((base[:, 0] >= 5).all())


def test_inplace_fills_autograd():
    leaf = ember.zeros(3, requires_grad=True)
    for fill in [lambda t: t.normal_(), lambda t: t.uniform_(), lambda t: t.bernoulli_(0.5),
                 lambda t: t.exponential_(), lambda t: t.random_(0, 3)]:
        check_error(lambda: fill(leaf), RuntimeError,
                    "a leaf Variable that requires grad is being used in an in-place operation.")
        with ember.no_grad():
            fill(leaf)   # nn.init's way
        assert leaf.requires_grad and leaf.grad_fn is None
    view = leaf[:2]
    check_error(lambda: view.normal_(), RuntimeError,
                "a view of a leaf Variable that requires grad is being used in an in-place "
                "operation.")
    for fill, tfill in [(lambda t: t.normal_(), lambda t: t.normal_()),
                        (lambda t: t.uniform_(), lambda t: t.uniform_()),
                        (lambda t: t.bernoulli_(0.3), lambda t: t.bernoulli_(0.3)),
                        (lambda t: t.bernoulli_(ember.full((3,), 0.5)),
                         lambda t: t.bernoulli_(torch.full((3,), 0.5))),
                        (lambda t: t.exponential_(), lambda t: t.exponential_()),
                        (lambda t: t.random_(), lambda t: t.random_())]:
        x = ember.ones(3, requires_grad=True)
        y = x * 2
        fill(y)
        tx = torch.ones(3, requires_grad=True)
        ty = tx * 2
        tfill(ty)
        assert y.grad_fn.name() == type(ty.grad_fn).__name__
        (y * 3).sum().backward()
        assert x.grad.tolist() == [0.0, 0.0, 0.0]


@pytest.mark.parametrize("make", [
    lambda m: m.zeros(3).normal_(0, -1), lambda m: m.zeros(3, dtype=m.int64).normal_(),
    lambda m: m.zeros(3).uniform_(1, 0), lambda m: m.zeros(3, dtype=m.int64).uniform_(),
    lambda m: m.zeros(3).bernoulli_(1.5), lambda m: m.zeros(3).bernoulli_(m.full((3,), 2.0)),
    lambda m: m.zeros(3).bernoulli_(m.full((2,), 0.5)),
    lambda m: m.zeros(3).bernoulli_(m.full((2, 3), 0.5)),
    lambda m: m.zeros(3).exponential_(-1), lambda m: m.zeros(3).exponential_(0),
    lambda m: m.zeros(3, dtype=m.int64).exponential_(), lambda m: m.zeros(3).random_(5, 2),
    lambda m: m.zeros(3, dtype=m.uint8).random_(0, 300), lambda m: m.zeros(3).geometric_(1.5),
    lambda m: m.zeros(3).log_normal_(0, -1), lambda m: m.zeros(3).cauchy_(0, -1),
    lambda m: m.zeros(3).uniform_(a=1),
])
def test_inplace_fill_errors(make):
    same_error(make)


def test_inplace_fills_reproducible_with_generator():
    g1, g2 = ember.Generator().manual_seed(9), ember.Generator().manual_seed(9)
    a = ember.empty(5).normal_(generator=g1).tolist()
    assert ember.empty(5).normal_(generator=g2).tolist() == a
    ember.manual_seed(9)
    b = ember.empty(5).uniform_().tolist()
    ember.manual_seed(9)
    assert ember.empty(5).uniform_().tolist() == b
