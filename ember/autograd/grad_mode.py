"""Switches for graph recording: no_grad, enable_grad, set_grad_enabled, inference_mode."""
import functools

__all__ = ["no_grad", "enable_grad", "set_grad_enabled", "inference_mode", "is_grad_enabled",
           "is_inference_mode_enabled"]


class _State:
    __slots__ = ("enabled", "inference")

    def __init__(self):
        self.enabled = True
        self.inference = False


STATE = _State()  # read directly by Function.apply: one attribute load on the hot path


def is_grad_enabled():
    return STATE.enabled


def is_inference_mode_enabled():
    return STATE.inference


class _Mode:
    """Base for the modes: a context manager that also decorates functions."""

    def __call__(self, fn):
        if not callable(fn):
            raise TypeError(f"{type(self).__name__} expects a callable to decorate")
        mode_args = self._args()

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with type(self)(*mode_args):
                return fn(*args, **kwargs)
        return wrapper

    def _args(self):
        return ()

    def clone(self):
        return type(self)(*self._args())


class no_grad(_Mode):
    """Ops run inside record no graph: results have ``requires_grad=False``."""

    def __enter__(self):
        self.prev = STATE.enabled
        STATE.enabled = False

    def __exit__(self, *exc):
        STATE.enabled = self.prev
        return False


class enable_grad(_Mode):
    """Turn recording back on inside a ``no_grad`` block."""

    def __enter__(self):
        self.prev = STATE.enabled
        STATE.enabled = True

    def __exit__(self, *exc):
        STATE.enabled = self.prev
        return False


class set_grad_enabled(_Mode):
    """Set recording on or off; takes effect at once, and as a context manager restores it."""

    def __init__(self, mode):
        self.mode = bool(mode)
        self.prev = STATE.enabled
        STATE.enabled = self.mode

    def _args(self):
        return (self.mode,)

    def __enter__(self):
        pass

    def __exit__(self, *exc):
        STATE.enabled = self.prev
        return False


class inference_mode(_Mode):
    """Like ``no_grad`` (ember keeps no view or version bookkeeping to skip beyond that)."""

    def __init__(self, mode=True):
        self.mode = bool(mode)

    def _args(self):
        return (self.mode,)

    def __enter__(self):
        self.prev = (STATE.enabled, STATE.inference)
        if self.mode:
            STATE.enabled, STATE.inference = False, True

    def __exit__(self, *exc):
        STATE.enabled, STATE.inference = self.prev
        return False
