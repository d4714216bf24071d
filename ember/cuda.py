"""``ember.cuda``: whether a CUDA device (through CuPy) is there, and a few of torch.cuda's
helpers."""
from ._device import _load_cupy, cuda_available

__all__ = ["is_available", "device_count", "manual_seed", "manual_seed_all", "synchronize",
           "current_device"]


def is_available():
    return cuda_available()


def device_count():
    cp = _load_cupy()
    return cp.cuda.runtime.getDeviceCount() if cp else 0


def current_device():
    cp = _load_cupy()
    if not cp:
        raise AssertionError("Torch not compiled with CUDA enabled")
    return cp.cuda.Device().id


def manual_seed(seed):
    cp = _load_cupy()
    if cp:
        cp.random.seed(int(seed) & 0xFFFF_FFFF)


manual_seed_all = manual_seed


def synchronize(device=None):
    cp = _load_cupy()
    if cp:
        cp.cuda.Device().synchronize()


def __getattr__(name):
    if name == "amp":     # imported late: amp sits above the ops
        from .amp import cuda as amp
        return amp
    raise AttributeError(f"module 'ember.cuda' has no attribute '{name}'")
