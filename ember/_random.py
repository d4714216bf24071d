"""Random number generation: Generator, the global default generator, and seeding.

Each Generator wraps a NumPy ``Generator`` (PCG64). Streams are reproducible within ember but
are not PyTorch's streams: ``manual_seed(0)`` gives different numbers than in PyTorch.
"""
import json
import math
import os

import numpy as np

from . import _dtype as D

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
        try:
            seed = int(seed)
        except (TypeError, ValueError):
            raise RuntimeError(f"manual_seed expected a long, but got {type(seed).__name__}") \
                from None
        if not -0x8000_0000_0000_0000 <= seed <= 0xFFFF_FFFF_FFFF_FFFF:
            raise ValueError("Overflow when unpacking long long")
        self._seed = seed & 0xFFFF_FFFF_FFFF_FFFF
        self._rng = np.random.Generator(np.random.PCG64(self._seed))
        return self

    def seed(self):
        s = int.from_bytes(os.urandom(8), "little")  # nondeterministic, as PyTorch's
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
        from ._tensor import Tensor
        if not isinstance(new_state, Tensor) or new_state._data.dtype != np.uint8:
            raise TypeError("RNG state must be a torch.ByteTensor")
        try:
            raw = bytes(np.asarray(new_state.cpu()._data)).decode()
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
    seed = default_generator.initial_seed()
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


# -- samplers shared by the random creation functions and the in-place fills ----------------------
# C++ type names in random_'s bounds message
_BOUNDS_NAME = {D.int8: "signed char", D.uint8: "unsigned char", D.int16: "short int",
                D.int32: "int", D.int64: "long", D.bool: "bool", D.float16: "c10::Half",
                D.float32: "float", D.float64: "double"}


def not_implemented(kernel, dt):
    return NotImplementedError(f'"{kernel}" not implemented for \'{dt._short}\'')


def _np_real(dt):
    return np.float64 if dt in (D.float64, D.complex128) else np.float32


def uniform_sample(g, shape, dt, low=0.0, high=1.0):
    """U[low, high) in dtype ``dt`` (complex: real and imaginary parts each uniform)."""
    if dt.category == D._COMPLEX:
        re, im = g.random(shape), g.random(shape)
        return (low + (high - low) * (re + 1j * im)).astype(dt.np)
    u = g.random(shape, dtype=_np_real(dt))
    if low != 0.0 or high != 1.0:
        u = low + (high - low) * u
    return u.astype(dt.np, copy=False)


def normal_sample(g, shape, dt, mean=0.0, std=1.0):
    """N(mean, std²) in dtype ``dt`` (complex: each part has variance std²/2, as PyTorch)."""
    if dt.category == D._COMPLEX:
        z = (g.standard_normal(shape) + 1j * g.standard_normal(shape)) * math.sqrt(0.5)
    else:
        z = g.standard_normal(shape, dtype=_np_real(dt))
    if std != 1.0 or mean != 0.0:
        z = z * std + mean
    return z.astype(dt.np, copy=False)


_P_MSG = ("Expected p_in >= 0 && p_in <= 1 to be true, but got false.  (Could this error message "
          "be improved?  If so, please report an enhancement request to PyTorch.)")


def bernoulli_sample(g, shape, p, dt):
    """0/1 draws with probability ``p`` (a number or a broadcastable NumPy array)."""
    if isinstance(p, np.ndarray):
        with np.errstate(invalid="ignore"):
            if p.size and not bool(((p >= 0) & (p <= 1)).all()):
                raise RuntimeError(_P_MSG)
    elif not 0 <= p <= 1:
        raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={p:g}")
    return (g.random(shape) < p).astype(dt.np)


def random_ints(g, shape, low, high, dt):
    """Integers uniform on [low, high), checked against ``dt``'s range as random_ does."""
    if low >= high:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= "
                           f"to={high}")
    if dt.category == D._COMPLEX:
        raise not_implemented("random_from_to", dt)
    info = np.iinfo(dt.np) if dt.category == D._INT else np.finfo(dt.np) if \
        dt.category == D._FLOAT else None
    lo, hi = (0, 1) if info is None else (int(info.min), int(info.max))
    if not lo <= low <= hi:
        raise RuntimeError(f"from is out of bounds for {_BOUNDS_NAME[dt]}")
    if not lo <= high - 1 <= hi:
        raise RuntimeError(f"to - 1 is out of bounds for {_BOUNDS_NAME[dt]}")
    return g.integers(low, high, size=shape, dtype=np.int64).astype(dt.np, copy=False)
