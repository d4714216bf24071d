"""``ember.accelerator``: PyTorch's device-agnostic accelerator API (``torch.accelerator``).

ember's one accelerator is CUDA through CuPy. Where CuPy sees no CUDA device, ember behaves as
a CPU-only build of PyTorch does: ``is_available()`` is False, ``current_accelerator()`` is
None, ``device_count()`` is 0, and the calls that need a device raise PyTorch's
``RuntimeError``.
"""
import warnings

from ._device import _load_cupy
from ._device import device as _device_cls

__all__ = ["current_accelerator", "current_device_idx", "current_device_index", "device_count",
           "device_index", "empty_cache", "get_memory_info", "is_available",
           "memory_allocated", "memory_reserved", "set_device_idx", "set_device_index",
           "synchronize"]

_NO_ACCELERATOR = "Cannot access accelerator device when none is available."


def _cupy_or_raise():
    cp = _load_cupy()
    if not cp:
        raise RuntimeError(_NO_ACCELERATOR)
    return cp


def _index_of(device, optional=True):
    """An int device index from an int, a str, a device or None (None: the current device)."""
    cp = _cupy_or_raise()
    if device is None:
        return cp.cuda.runtime.getDevice()
    if isinstance(device, str):
        device = _device_cls(device)
    if isinstance(device, _device_cls):
        if device.type != "cuda":
            raise ValueError(f"{device.type} doesn't match the current accelerator cuda.")
        return cp.cuda.runtime.getDevice() if device.index is None else device.index
    if isinstance(device, int) and not isinstance(device, bool):
        return device
    raise TypeError(f"Expected a torch.device, str, int or None, but got {type(device).__name__}")


def is_available():
    """Whether an accelerator (a CUDA device through CuPy) is there."""
    return bool(_load_cupy())


def current_accelerator(check_available=False):
    """``device(type='cuda')`` when ember has an accelerator, else None (no index: see
    :func:`current_device_index`)."""
    # ember "is compiled with" CUDA exactly when CuPy finds a device, so check_available adds
    # nothing; it is accepted for PyTorch's signature.
    return _device_cls("cuda") if is_available() else None


def device_count():
    """How many accelerator devices there are (0 without one)."""
    cp = _load_cupy()
    return cp.cuda.runtime.getDeviceCount() if cp else 0


def current_device_index():
    """The index of the current accelerator device."""
    return _cupy_or_raise().cuda.runtime.getDevice()


def set_device_index(device, /):
    """Make ``device`` (an index, a ``'cuda:N'`` string or a device) the current device."""
    idx = _index_of(device)
    _load_cupy().cuda.runtime.setDevice(idx)


def current_device_idx():
    """Deprecated name of :func:`current_device_index`."""
    warnings.warn("Use `current_device_index` instead.", FutureWarning, stacklevel=2)
    return current_device_index()


def set_device_idx(device, /):
    """Deprecated name of :func:`set_device_index`."""
    warnings.warn("Use `set_device_index` instead.", FutureWarning, stacklevel=2)
    set_device_index(device)


class device_index:
    """Context manager that makes ``device`` the current device and restores the previous one on
    exit; ``device_index(None)`` does nothing."""

    def __init__(self, device, /):
        self.idx = device
        self.prev_idx = -1

    def __enter__(self):
        if self.idx is not None:
            self.prev_idx = current_device_index()
            set_device_index(self.idx)

    def __exit__(self, *exc_info):
        if self.idx is not None:
            set_device_index(self.prev_idx)


def synchronize(device=None, /):
    """Wait for all work queued on ``device`` (default: the current device) to finish."""
    cp = _cupy_or_raise()
    with cp.cuda.Device(_index_of(device)):
        cp.cuda.runtime.deviceSynchronize()


def empty_cache():
    """Give the memory CuPy's pools hold but do not use back to the driver."""
    cp = _cupy_or_raise()
    cp.get_default_memory_pool().free_all_blocks()
    cp.get_default_pinned_memory_pool().free_all_blocks()


def memory_allocated(device_index=None, /):
    """Bytes of device memory held by live tensors (CuPy's pool: ``used_bytes``)."""
    cp = _cupy_or_raise()
    with cp.cuda.Device(_index_of(device_index)):
        return int(cp.get_default_memory_pool().used_bytes())


def memory_reserved(device_index=None, /):
    """Bytes of device memory the allocator holds (CuPy's pool: ``total_bytes``)."""
    cp = _cupy_or_raise()
    with cp.cuda.Device(_index_of(device_index)):
        return int(cp.get_default_memory_pool().total_bytes())


def get_memory_info(device_index=None, /):
    """``(free, total)`` bytes of the device's memory, as the driver reports them."""
    cp = _cupy_or_raise()
    with cp.cuda.Device(_index_of(device_index)):
        free, total = cp.cuda.runtime.memGetInfo()
    return int(free), int(total)

