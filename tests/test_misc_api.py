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
