"""ember.device and the array module (numpy or cupy) that serves each device."""
import numpy as np

__all__ = ["device", "get_array_module", "cuda_available"]


class device:
    """Where a tensor's memory lives: ``device('cpu')``, ``device('cuda:0')``, ``device('cuda', 1)``."""

    __slots__ = ("type", "index")

    def __init__(self, type, index=None):  # noqa: A002 - PyTorch's argument name
        if isinstance(type, device):
            self.type, self.index = type.type, type.index
            return
        if not isinstance(type, str):
            raise TypeError(f"device() expected a string or device, but got {type.__class__.__name__}")
        if ":" in type:
            if index is not None:
                raise RuntimeError("type (string) must not include an index because index was "
                                   f"passed explicitly: {type}")
            type, _, idx = type.partition(":")
            if not idx.isdigit():
                raise RuntimeError(f"Invalid device string: '{type}:{idx}'")
            index = int(idx)
        if type not in ("cpu", "cuda", "meta"):
            raise RuntimeError(
                "Expected one of cpu, cuda, meta device type at start of device string: " + type)
        self.type = type
        self.index = index

    def __eq__(self, other):
        if isinstance(other, str):
            other = device(other)
        return isinstance(other, device) and self.type == other.type and self.index == other.index

    def __hash__(self):
        return hash((self.type, self.index))

    def __str__(self):
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __repr__(self):
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"

    def __reduce__(self):
        return (device, (self.type, self.index))


CPU = device("cpu")
_cupy = None


def _load_cupy():
    global _cupy
    if _cupy is None:
        try:
            import cupy
        except ImportError:
            _cupy = False
        else:
            try:
                _cupy = cupy if cupy.cuda.runtime.getDeviceCount() > 0 else False
            except Exception:  # no driver or no device: CUDA is simply unavailable
                _cupy = False
    return _cupy


def cuda_available():
    return bool(_load_cupy())


def to_device(d):
    """Normalise a device argument (str, int, device, None) to a device."""
    if d is None or d is CPU:
        return CPU
    if isinstance(d, int):
        d = device("cuda", d)
    d = device(d) if not isinstance(d, device) else d
    if d.type == "cpu":
        return CPU
    if d.type == "cuda":
        if not _load_cupy():
            raise AssertionError("Torch not compiled with CUDA enabled (ember: CuPy with a "
                                 "CUDA device is needed for device 'cuda')")
        # no index: the current device, as torch.accelerator.set_device_index leaves it
        return device("cuda", d.index if d.index is not None else _cupy.cuda.runtime.getDevice())
    raise RuntimeError(f"ember does not support device type '{d.type}'")


def xp_for(d):
    """The array module for a device: numpy for the CPU, cupy for CUDA."""
    return np if d.type == "cpu" else _load_cupy()


def get_array_module(a):
    """numpy or cupy, whichever owns the array ``a``."""
    return np if isinstance(a, np.ndarray) else _load_cupy()


def device_of_array(a):
    if isinstance(a, np.ndarray):
        return CPU
    return device("cuda", a.device.id)
