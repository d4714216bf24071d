"""Random number generation: Generator, the global default generator, and seeding.

Each Generator wraps a NumPy ``Generator`` (PCG64). Streams are reproducible within ember but
are not PyTorch's streams: ``manual_seed(0)`` gives different numbers than in PyTorch.
"""
import json
import time

import numpy as np

__all__ = ["Generator", "manual_seed", "seed", "initial_seed", "get_rng_state", "set_rng_state",
           "default_generator"]


class Generator:
    """A source of random numbers; pass it as ``generator=`` to the random functions."""

    def __init__(self, device="cpu"):
        from ._device import to_device
        self.device = to_device(device)
        self._seed = 67280421310721  # PyTorch's default seed
        self._rng = np.random.Generator(np.random.PCG64(self._seed))

    def manual_seed(self, seed):
        seed = int(seed)
        if not -0x8000_0000_0000_0000 <= seed <= 0xFFFF_FFFF_FFFF_FFFF:
            raise RuntimeError("Overflow when unpacking long")
        self._seed = seed & 0xFFFF_FFFF_FFFF_FFFF
        self._rng = np.random.Generator(np.random.PCG64(self._seed))
        return self

    def seed(self):
        s = int(time.time_ns()) & 0xFFFF_FFFF_FFFF_FFFF
        self.manual_seed(s)
        return s

    def initial_seed(self):
        return self._seed

    def get_state(self):
        """The generator's state as a uint8 tensor (JSON of NumPy's bit-generator state)."""
        from ._tensor import Tensor
        raw = json.dumps({"seed": self._seed, "state": self._rng.bit_generator.state})
        return Tensor._wrap(np.frombuffer(raw.encode(), dtype=np.uint8).copy())

    def set_state(self, new_state):
        try:
            raw = bytes(np.asarray(new_state._data, dtype=np.uint8)).decode()
            st = json.loads(raw)
            self._rng.bit_generator.state = st["state"]
            self._seed = st["seed"]
        except (ValueError, KeyError, TypeError, AttributeError) as e:
            raise RuntimeError(f"Invalid RNG state: expected the uint8 tensor returned by "
                               f"get_state()/get_rng_state() ({e})") from None
        return self

    def __repr__(self):
        return f"<ember.Generator object at {hex(id(self))}>"


default_generator = Generator()


def rng(generator=None):
    """The NumPy generator to draw from."""
    return (generator or default_generator)._rng


def manual_seed(seed):
    """Seed the default generator (and the GPU's, when CuPy is in use)."""
    default_generator.manual_seed(seed)
    from ._device import _cupy
    if _cupy:
        _cupy.random.seed(int(seed) & 0xFFFF_FFFF)
    return default_generator


def seed():
    return default_generator.seed()


def initial_seed():
    return default_generator.initial_seed()


def get_rng_state():
    return default_generator.get_state()


def set_rng_state(new_state):
    default_generator.set_state(new_state)
