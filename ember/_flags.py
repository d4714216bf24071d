"""Process-wide switches scripts set. ember's ops are deterministic and run in full float32,
so the determinism and matmul-precision settings are recorded and read back, and change no
result; ``compile`` lives in ``ember/_compile/`` (capture and replay of a step's array work)."""
import warnings

__all__ = ["use_deterministic_algorithms", "are_deterministic_algorithms_enabled",
           "is_deterministic_algorithms_warn_only_enabled", "set_float32_matmul_precision",
           "get_float32_matmul_precision", "compile"]

# The recorder of an ember.compile capture in progress (ember._compile), or None. Code that keeps
# arrays across calls (conv's scratch workspace) must not hand them out while a capture records.
CAPTURING = [None]
_FLAGS = {"deterministic": False, "warn_only": False, "matmul_precision": "highest"}


def use_deterministic_algorithms(mode, *, warn_only=False):
    if not isinstance(mode, bool):
        raise RuntimeError(f"use_deterministic_algorithms expects a bool, but got "
                           f"{type(mode).__name__}")
    _FLAGS["deterministic"], _FLAGS["warn_only"] = mode, bool(warn_only)


def are_deterministic_algorithms_enabled():
    return _FLAGS["deterministic"]


def is_deterministic_algorithms_warn_only_enabled():
    return _FLAGS["warn_only"]


def set_float32_matmul_precision(precision):
    if precision not in ("highest", "high", "medium"):
        warnings.warn(f"{precision} is not one of 'highest', 'high', or 'medium'; the current"
                      f"setFloat32MatmulPrecision call has no effect.", stacklevel=2)
        return
    _FLAGS["matmul_precision"] = precision


def get_float32_matmul_precision():
    return _FLAGS["matmul_precision"]

