"""repr / str of tensors, character for character against PyTorch's."""
import pytest
import torch

import ember

nan, inf = float("nan"), float("inf")

VALUES = [
    # floats: integral-valued, mixed magnitudes, scientific notation, non-finite, signed zeros
    [1.0, 2.0], [1.5, 2.25], [0.1, 100.5], [1e-5, 1.0], [1e-5], [1e8], [1e9, 1.0], [123456789.0],
    [1.0, 1000.0], [1.0, 1001.0], [1.5, 1500.0], [nan, 1.0], [nan, 1.5], [inf, -inf, nan],
    [inf, 2.0], [nan, 100.5], [0.0, 0.0], [0.0, -0.0], [-0.0], [nan], [0.0001], [0.00011, 1.0],
    [-1.5, 2.0], [0.123456789, 12345.6789], [1e20, 1e-20], [-1e-5, 1e5], [65504.0],
    [3.14159265358979], [2.0 ** 60], [[1.5, 2.5], [nan, inf]], [[1e-8 * x for x in range(3)]],
    # 0-d
    1.5, 3.0, 7, True, nan, -0.0, 1e-10, 1 + 1j,
    # ints, bools, empty, nested
    [1, 2, 3], [-100, 5], [True, False], [], [[]], [[1.0], [2.0]], [[1, 2], [3, 4]],
    [[[1.0, 2.5]], [[3.0, 4.0]]], list(range(-30, 30)), [2 ** 40, 1], [-2 ** 62],
    # complex
    [1 + 2j, 3 - 4j], [1.5 + 2j], [1e-5 + 1j, 2 + 3j], [0j], [1 + 0j, -0.0 - 1j],
    [nan + 1j, complex(1, inf)], [[x * 1j for x in range(60)] for _ in range(20)],
    # line wrapping and summarisation
    list(range(100)), [x * 0.37 for x in range(100)], [x * 1e5 for x in range(30)],
    [[x * 0.37 + y for x in range(30)] for y in range(5)], list(range(2000)),
    [x * 0.37 for x in range(2000)], [[x * 0.37 + y for x in range(40)] for y in range(40)],
    [[[x * 0.37 + y * 3 - z for x in range(12)] for y in range(12)] for z in range(12)],
    [[x + y * 100 for x in range(50)] for y in range(50)], [[True] * 40] * 30, [1.0] * 1001,
]
DTYPES = [None, "float64", "float16", "int32", "int16", "uint8", "int8", "complex128", "bool",
          "float32", "int64", "complex64"]


def _make(lib, value, dtype):
    return lib.tensor(value, **({} if dtype is None else {"dtype": getattr(lib, dtype)}))


def _same(fn):
    """``fn(lib)`` builds a tensor; its repr and str must equal PyTorch's."""
    e, t = fn(ember), fn(torch)
    want = repr(t).replace("torch.", "ember.")
    assert repr(e) == want, f"\n{repr(e)}\n{want}"
    assert str(e) == str(t).replace("torch.", "ember.")


@pytest.mark.parametrize("dtype", DTYPES)
def test_repr_matches_torch(dtype):
    n = 0
    for v in VALUES:
        try:
            t = _make(torch, v, dtype)
        except (RuntimeError, TypeError):
            continue   # a value the dtype cannot hold (PyTorch refuses it too)
        e = _make(ember, v, dtype)
        want = repr(t).replace("torch.", "ember.")
        assert repr(e) == want, f"{v!r} {dtype}\n{repr(e)}\n{want}"
        n += 1
    assert n > 30


@pytest.mark.parametrize("dtype", [None, "float64", "complex64"])
@pytest.mark.parametrize("value", [[1.0, 2.0], [[1.5, 2.0], [3.0, 4.0]], 3.5, [0.1] * 30,
                                   [[x * 0.37 + y for x in range(30)] for y in range(5)],
                                   [1e-5] * 40])
def test_requires_grad_and_grad_fn_suffixes(value, dtype):
    _same(lambda m: _make(m, value, dtype).requires_grad_())
    _same(lambda m: _make(m, value, dtype).requires_grad_() * 2)
    _same(lambda m: (_make(m, value, dtype).requires_grad_() * 2).exp())


def test_empty_and_zero_dim():
    _same(lambda m: m.zeros(2, 0, 3))
    _same(lambda m: m.zeros(0, dtype=m.int64))
    _same(lambda m: m.zeros(0, 3, dtype=m.float64))
    _same(lambda m: m.zeros(0, 2, requires_grad=True))
    _same(lambda m: m.ones(3, 1, 2, dtype=m.int32))
    _same(lambda m: m.tensor(5, dtype=m.int8))
    _same(lambda m: m.tensor([], dtype=m.bool))


OPTIONS = [dict(precision=2), dict(precision=6), dict(sci_mode=True), dict(sci_mode=False),
           dict(threshold=5), dict(edgeitems=1, threshold=10), dict(edgeitems=0, threshold=10),
           dict(linewidth=40), dict(linewidth=200), dict(profile="short"), dict(profile="full")]


@pytest.mark.parametrize("opts", OPTIONS, ids=str)
def test_print_options(opts):
    values = [[1.5, 2.25], [1e-5, 1.0], [nan, 100.5], list(range(100)),
              [[x * 0.37 + y for x in range(30)] for y in range(5)], [1 + 2j, 3 - 4j],
              [[[x * 0.37 + y * 3 - z for x in range(12)] for y in range(12)] for z in range(3)]]
    try:
        for lib in (ember, torch):
            lib.set_printoptions(**opts)
        for v in values:
            dtypes = (None, "complex128") if "j" in str(v) else (None, "float64") if "nan" in \
                str(v) else (None, "float64", "int32")
            for dtype in dtypes:
                _same(lambda m: _make(m, v, dtype))
            dt = "complex64" if "j" in str(v) else "float32"
            _same(lambda m: _make(m, v, dt).requires_grad_())
    finally:
        for lib in (ember, torch):
            lib.set_printoptions(profile="default")


def test_custom_function_grad_fn_name():
    class Twice(ember.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * 2

    y = Twice.apply(ember.ones(2, requires_grad=True))
    assert repr(y) == "tensor([2., 2.], grad_fn=<TwiceBackward>)"


def test_format_of_zero_dim():
    assert f"{ember.tensor(2.5):.2f}" == f"{torch.tensor(2.5):.2f}"
