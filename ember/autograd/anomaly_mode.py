"""Anomaly detection: while on, backward checks every gradient a node returns and names the
node whose backward produced a nan, instead of letting the nan spread to the parameters."""
import functools
import warnings

__all__ = ["detect_anomaly", "set_detect_anomaly", "is_anomaly_enabled",
           "is_anomaly_check_nan_enabled"]

ANOMALY = {"enabled": False, "check_nan": True}


def is_anomaly_enabled():
    return ANOMALY["enabled"]


def is_anomaly_check_nan_enabled():
    return ANOMALY["check_nan"]


class set_detect_anomaly:
    """Turn anomaly detection on or off: a call, a context manager or a decorator."""

    def __init__(self, mode, check_nan=True):
        self.prev = (ANOMALY["enabled"], ANOMALY["check_nan"])
        ANOMALY["enabled"], ANOMALY["check_nan"] = bool(mode), bool(check_nan)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        ANOMALY["enabled"], ANOMALY["check_nan"] = self.prev
        return False


class detect_anomaly:
    """``with autograd.detect_anomaly():`` — anomaly detection on inside the block."""

    def __init__(self, check_nan=True):
        self.check_nan = check_nan
        warnings.warn("Anomaly Detection has been enabled. This mode will increase the runtime "
                      "and should only be enabled for debugging.", stacklevel=2)

    def __enter__(self):
        self.prev = (ANOMALY["enabled"], ANOMALY["check_nan"])
        ANOMALY["enabled"], ANOMALY["check_nan"] = True, self.check_nan
        return self

    def __exit__(self, *exc):
        ANOMALY["enabled"], ANOMALY["check_nan"] = self.prev
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapped(*args, **kwargs):
            with self.__class__.__new__(self.__class__)._like(self):
                return fn(*args, **kwargs)
        return wrapped

    def _like(self, other):
        self.check_nan = other.check_nan
        return self


def check_grads(node, grads):
    """Raise PyTorch's error when ``node``'s backward returned a nan (anomaly mode only)."""
    for k, g in enumerate(grads):
        if g is None or g.dtype.category < 2:
            continue
        if bool(g._xp.isnan(g._data).any()):
            raise RuntimeError(f"Function '{node.name()}' returned nan values in its {k}th "
                               f"output.")
