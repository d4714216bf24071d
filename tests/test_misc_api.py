"""Top-level helpers scripts use: finfo/iinfo, math constants, backends flags, thread count."""
import math

import pytest
import torch
from helpers import check_error

import ember


@pytest.mark.parametrize("name", ["float16", "float32", "float64", "complex64", "complex128"])
def test_finfo_matches_torch(name):
    e, t = ember.finfo(getattr(ember, name)), torch.finfo(getattr(torch, name))
    for attr in ("bits", "eps", "max", "min", "tiny", "smallest_normal", "resolution", "dtype"):
        assert getattr(e, attr) == getattr(t, attr), attr
    assert repr(e) == repr(t)


@pytest.mark.parametrize("name", ["uint8", "int8", "int16", "int32", "int64"])
def test_iinfo_matches_torch(name):
    e, t = ember.iinfo(getattr(ember, name)), torch.iinfo(getattr(torch, name))
    assert (e.bits, e.max, e.min, e.dtype) == (t.bits, t.max, t.min, t.dtype)
    assert repr(e) == repr(t)


def test_finfo_iinfo_errors_and_default():
    assert ember.finfo().dtype == torch.finfo().dtype == "float32"
    check_error(lambda: ember.finfo(ember.int64), TypeError,
                "torch.finfo() requires a floating point input type. Use torch.iinfo to handle "
                "'torch.finfo'")
    check_error(lambda: ember.iinfo(ember.float32), TypeError,
                "torch.iinfo() requires an integer input type. Use torch.finfo to handle "
                "'torch.iinfo'")
    check_error(lambda: ember.iinfo(ember.bool), TypeError, "torch.bool is not supported by torch.iinfo")
    check_error(lambda: ember.finfo("float32"), TypeError, "must be torch.dtype, not str")


def test_constants_and_missing_bfloat16():
    assert (ember.pi, ember.e, ember.inf) == (torch.pi, torch.e, torch.inf)
    assert math.isnan(ember.nan)
    check_error(lambda: ember.bfloat16, AttributeError, "ember has no bfloat16")
    check_error(lambda: ember.no_such_name, AttributeError,
                "module 'ember' has no attribute 'no_such_name'")


def test_backends_flags():
    import ember.backends.cudnn as cudnn
    cudnn.benchmark = True
    assert ember.backends.cudnn.benchmark is True
    cudnn.benchmark = False
    assert ember.backends.cudnn.is_available() is False and cudnn.version() is None
    assert ember.backends.mps.is_available() is torch.backends.mps.is_available()
    assert ember.backends.cuda.matmul.allow_tf32 is False
    assert isinstance(ember.backends.cpu.get_cpu_capability(), str)


def test_num_threads_round_trip():
    n = ember.get_num_threads()
    try:
        ember.set_num_threads(1)
        assert ember.get_num_threads() == 1
    finally:
        ember.set_num_threads(n)
    assert ember.get_num_threads() == n
    for bad in (0, -2):
        check_error(lambda: ember.set_num_threads(bad), RuntimeError,
                    "set_num_threads expects a positive integer")


def test_num_threads_without_threadpoolctl(monkeypatch):
    # threadpoolctl is a test dependency only: the OpenBLAS C API path must work on its own
    n = ember.get_num_threads()
    monkeypatch.setitem(__import__("sys").modules, "threadpoolctl", None)
    try:
        ember.set_num_threads(1)
        assert ember.get_num_threads() == 1
    finally:
        ember.set_num_threads(n)
    assert ember.get_num_threads() == n


def test_is_inference():
    for lib in (ember, torch):
        with lib.inference_mode():
            a = lib.ones(2)
            b = lib.nn.functional.relu(a * 2)
        with lib.no_grad():
            c = lib.ones(2)
        got = (a.is_inference(), b.is_inference(), b.view(2).is_inference(), (b + 1).is_inference(),
               c.is_inference(), lib.ones(1).is_inference())
        assert got == (True, True, True, False, False, False), lib.__name__


_CLOSE_CASES = [((1., 2., 3.), (1., 2.5, 3.), {}), ((1., 2.), (1, 2), {}), ((1., 2.), (1., 2., 3.), {}),
                ([[1, 2], [3, 4]], [[1, 2], [3, 5]], {}), (2.0, 2.5, {}),
                ((1., 2.), (1., 2.1), {"rtol": 0.1, "atol": 0.}),
                ((1., float("nan")), (1., float("nan")), {}),
                ((1., float("nan")), (1., float("nan")), {"equal_nan": True}),
                ((True, False), (True, True), {}), ((1., 2.), (1., 2.00001), {}),
                ((1., 2.), (1., 2.00001), {"rtol": 0.0, "atol": 0.0})]


@pytest.mark.parametrize("a,b,kw", _CLOSE_CASES)
def test_assert_close_matches_torch(a, b, kw):
    out = []
    for lib in (ember, torch):
        try:
            lib.testing.assert_close(lib.tensor(a), lib.tensor(b), **kw)
            out.append("pass")
        except AssertionError as e:
            out.append(str(e))
    assert out[0] == out[1]


def test_assert_close_containers_and_tolerance_pairs():
    ember.testing.assert_close([ember.ones(2), {"a": ember.zeros(1)}],
                               [ember.ones(2), {"a": ember.zeros(1)}])
    check_error(lambda: ember.testing.assert_close(ember.ones(1), ember.ones(1), rtol=0.1),
                ValueError, "Both 'rtol' and 'atol' must be either specified or omitted")


def test_detect_anomaly_names_the_node_like_torch():
    msgs = []
    for lib in (ember, torch):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        with pytest.warns(UserWarning, match="Anomaly Detection has been enabled"):
            mode = lib.autograd.detect_anomaly()
        with mode:
            assert lib.is_anomaly_enabled() if hasattr(lib, "is_anomaly_enabled") else True
            y = (x * lib.tensor([float("nan"), 1.0])).sum()
            with pytest.raises(RuntimeError) as err:
                y.backward()
        msgs.append(str(err.value))
    assert msgs[0] == msgs[1] == "Function 'MulBackward0' returned nan values in its 0th output."
    assert not ember.autograd.is_anomaly_enabled()
    # off: the nan just flows into .grad, as PyTorch
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    (x * ember.tensor([float("nan"), 1.0])).sum().backward()
    assert math.isnan(x.grad[0].item())
    with ember.autograd.set_detect_anomaly(True):
        assert ember.autograd.is_anomaly_enabled()
    assert not ember.autograd.is_anomaly_enabled()


def test_variable_flags_and_compile():
    from ember.autograd import Variable
    v = Variable(ember.ones(2), requires_grad=True)
    assert isinstance(v, ember.Tensor) and v.requires_grad and v.is_leaf
    assert isinstance(ember.ones(1), Variable)
    check_error(lambda: Variable([1, 2]), TypeError, "Variable data has to be a tensor")
    assert ember.are_deterministic_algorithms_enabled() is torch.are_deterministic_algorithms_enabled()
    ember.use_deterministic_algorithms(True, warn_only=True)
    assert ember.are_deterministic_algorithms_enabled()
    assert ember.is_deterministic_algorithms_warn_only_enabled()
    ember.use_deterministic_algorithms(False)
    assert ember.get_float32_matmul_precision() == torch.get_float32_matmul_precision()
    ember.set_float32_matmul_precision("high")
    assert ember.get_float32_matmul_precision() == "high"
    with pytest.warns(UserWarning, match="is not one of 'highest', 'high', or 'medium'"):
        ember.set_float32_matmul_precision("low")
    ember.set_float32_matmul_precision("highest")
    net = ember.nn.Linear(2, 2)
    # as torch.compile: a wrapper module around the model (tests/test_compile.py covers it)
    assert ember.compile(net)._orig_mod is net
    assert ember.compile(mode="max-autotune")(net)._orig_mod is net


# -- the README's known differences ------------------------------------------------------------------
def test_known_differences_stay_as_documented():
    # the README lists these: if one changes, the README must change with it
    x = ember.tensor([3, 1, 2, 1])
    assert ember.unique(x, sorted=False).tolist() == [1, 2, 3]
    a = ember.randn(3, requires_grad=True)
    assert type(ember.dist(a, ember.zeros(3)).grad_fn).__name__ == "LinalgVectorNormBackward0"
    assert ember.special.ndtr(ember.tensor([-19.0], dtype=ember.float64)).item() > 0
    assert torch.special.ndtr(torch.tensor([-19.0], dtype=torch.float64)).item() == 0
    with ember.autocast("cpu"):
        assert (ember.ones(2, 2) @ ember.ones(2, 2)).dtype is ember.float16
