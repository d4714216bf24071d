"""Random number generation: Generator, the global default generator, seeding, fork_rng.

A CPU Generator is PyTorch's own: MT19937 seeded the classic way (init_genrand on the low 32
bits of the seed), so ``manual_seed(s)`` followed by any of ember's random functions gives the
numbers PyTorch gives. NumPy's ``MT19937`` bit generator with its legacy seeding produces the
same 32-bit words at C speed; the transformations of those words into each distribution live in
``_sampling.py`` and follow ATen's CPU kernels. ``get_state`` / ``set_state`` use PyTorch's
5056-byte layout, so ``torch.get_rng_state()`` bytes load into ember and back.

A CUDA Generator keeps CuPy's own stream (seeded by ``manual_seed``); it does not reproduce
PyTorch's Philox numbers.
"""
import contextlib
import math
import os
import struct

import numpy as np

from . import _dtype as D

__all__ = ["Generator", "manual_seed", "seed", "initial_seed", "get_rng_state", "set_rng_state",
           "default_generator", "fork_rng"]

_MASK64 = 0xFFFF_FFFF_FFFF_FFFF
_N = 624                      # words in the MT19937 state
# PyTorch's CPUGeneratorImplState: legacy pod (seed u64, left i32, seeded i32, next u64,
# state u64[624], normal_x/y/rho f64, normal_is_valid i32, pad) then a float and a bool (+pad)
_HEAD = struct.Struct("<QiiQ")
_TAIL = struct.Struct("<dddi4xf?3x")
_STATE_SIZE = _HEAD.size + 8 * _N + _TAIL.size       # 5056


def _seed_value(seed):
    try:
        seed = int(seed)
    except (TypeError, ValueError):
        raise RuntimeError(f"manual_seed expected a long, but got {type(seed).__name__}") from None
    if not -0x8000_0000_0000_0000 <= seed <= _MASK64:
        raise ValueError("Overflow when unpacking long long")
    return seed & _MASK64


def _nondeterministic_seed():
    return int.from_bytes(os.urandom(8), "little")


class Generator:
    """A source of random numbers; pass it as ``generator=`` to the random functions.

    On the CPU it is PyTorch's MT19937 generator, word for word (see the module docstring)."""

    __slots__ = ("device", "_seed", "_bg", "_np", "_next_double", "_next_float", "_cupy_rs")

    def __init__(self, device="cpu"):
        from ._device import to_device
        self.device = to_device(device)
        self._cupy_rs = None
        self.manual_seed(67280421310721)      # PyTorch's default_rng_seed_val

    # -- seeding ----------------------------------------------------------------------------
    def manual_seed(self, seed):
        seed = _seed_value(seed)
        self._seed = seed
        self._bg = np.random.MT19937()
        self._bg._legacy_seeding(seed & 0xFFFF_FFFF)     # init_genrand: torch's seeding
        self._np = np.random.Generator(self._bg)
        self._next_double = self._next_float = None      # Box-Muller caches (see _sampling)
        if self.device.type == "cuda":
            from ._device import _load_cupy
            self._cupy_rs = _load_cupy().random.RandomState(seed)
        return self

    def seed(self):
        s = _nondeterministic_seed()
        self.manual_seed(s)
        return s

    def initial_seed(self):
        return self._seed

    # -- raw draws (used by _sampling) ------------------------------------------------------
    def _words(self, n):
        """``n`` 32-bit MT19937 outputs (uint32), in PyTorch's order (``random()``)."""
        return self._np.integers(0, 1 << 32, size=n, dtype=np.uint32)

    def _words64(self, n):
        """``n`` 64-bit draws made of two words, the first one high (``random64()``)."""
        return self._np.integers(0, 1 << 64, size=n, dtype=np.uint64)

    # -- state in PyTorch's byte layout -------------------------------------------------------
    def get_state(self):
        """The generator's state as a uint8 tensor, in PyTorch's layout (5056 bytes on CPU)."""
        from ._tensor import Tensor
        if self.device.type == "cuda":
            raw = struct.pack("<QQ", self._seed, 0)
            return Tensor._wrap(np.frombuffer(raw, dtype=np.uint8).copy())
        st = self._bg.state["state"]
        key, pos = st["key"].astype(np.uint64), int(st["pos"])
        if pos >= _N:
            # PyTorch says left=1 both right after seeding (next=0) and after a full block
            # (next=624); a state still equal to the seeded one is the former
            fresh = _seeded_key(self._seed & 0xFFFF_FFFF)
            left, nxt = 1, (0 if np.array_equal(st["key"], fresh) else _N)
        else:
            left, nxt = _N - pos + 1, pos
        nd, nf = self._next_double, self._next_float
        raw = (_HEAD.pack(self._seed, left, 1, nxt) + key.astype("<u8").tobytes() +
               _TAIL.pack(0.0, 0.0 if nd is None else nd, 0.0, nd is not None,
                          0.0 if nf is None else nf, nf is not None))
        return Tensor._wrap(np.frombuffer(raw, dtype=np.uint8).copy())

    def set_state(self, new_state):
        from ._tensor import Tensor
        if not isinstance(new_state, Tensor) or new_state._data.dtype != np.uint8:
            raise TypeError("RNG state must be a torch.ByteTensor")
        raw = bytes(np.ascontiguousarray(new_state.cpu()._data).ravel())
        if self.device.type == "cuda":
            if len(raw) != 16:
                raise RuntimeError(f"Expected a CUDA generator state of size 16 but found the "
                                   f"input RNG state size to be {len(raw)}")
            self.manual_seed(struct.unpack("<QQ", raw)[0])
            return self
        if len(raw) != _STATE_SIZE:
            raise RuntimeError(f"Expected a CPUGeneratorImplState of size {_STATE_SIZE} but found "
                               f"the input RNG state size to be {len(raw)}")
        seed, left, seeded, nxt = _HEAD.unpack_from(raw)
        key = np.frombuffer(raw, dtype="<u8", count=_N, offset=_HEAD.size)
        _, ny, _, nvalid, nf, fvalid = _TAIL.unpack_from(raw, _HEAD.size + 8 * _N)
        if not (seeded and 0 < left <= _N and nxt <= _N):
            raise RuntimeError("Invalid mt19937 state")
        bg = np.random.MT19937()
        bg.state = {"bit_generator": "MT19937",
                    "state": {"key": key.astype(np.uint32), "pos": _N if left == 1 else nxt}}
        self._seed, self._bg, self._np = seed, bg, np.random.Generator(bg)
        self._next_double = ny if nvalid else None
        self._next_float = nf if fvalid else None
        return self

    def get_offset(self):
        raise RuntimeError("CPU Generator does not use offset")

    def set_offset(self, offset):
        raise RuntimeError("CPU Generator does not use offset")

    def clone_state(self):
        """A new Generator in this one's state: it draws the same numbers from here on."""
        g = Generator.__new__(Generator)
        g.device, g._seed, g._cupy_rs = self.device, self._seed, self._cupy_rs
        g._bg = np.random.MT19937()
        g._bg.state = self._bg.state
        g._np = np.random.Generator(g._bg)
        g._next_double, g._next_float = self._next_double, self._next_float
        return g

    def __repr__(self):
        return f"<ember.Generator object at {hex(id(self))}>"


def _seeded_key(seed32):
    bg = np.random.MT19937()
    bg._legacy_seeding(seed32)
    return bg.state["state"]["key"]


# PyTorch seeds its default CPU generator nondeterministically at start-up
default_generator = Generator().manual_seed(_nondeterministic_seed())


def rng(generator=None):
    """The Generator to draw from: ``generator`` or the default one."""
    return generator if generator is not None else default_generator


def manual_seed(seed):
    """Seed the default generator (and CuPy's, when CuPy is in use) and return it."""
    seed = _seed_value(seed)
    default_generator.manual_seed(seed)
    from ._device import _load_cupy
    cupy = _load_cupy()      # (False without CuPy or a GPU)
    if cupy:
        cupy.random.seed(seed & 0xFFFF_FFFF)
    return default_generator


def seed():
    """Seed the default generator from a nondeterministic source and return the seed."""
    s = _nondeterministic_seed()
    manual_seed(s)
    return s


def initial_seed():
    return default_generator.initial_seed()


def get_rng_state():
    return default_generator.get_state()


def set_rng_state(new_state):
    default_generator.set_state(new_state)


@contextlib.contextmanager
def fork_rng(devices=None, enabled=True, _caller="fork_rng", _devices_kw="devices",
             device_type=None):
    """Fork the RNG: on exit the default CPU generator is put back to the state it had on
    entry (CuPy's stream, which has no copyable state, is not forked)."""
    if not enabled:
        yield
        return
    if device_type not in (None, "cuda", "cpu"):
        raise RuntimeError(f"torch has no module of `{device_type}`, you should register a "
                           "module by `torch._register_device_module`.")
    # CuPy's stream has no copyable state, so only the CPU stream is forked
    cpu_state = default_generator.get_state()
    try:
        yield
    finally:
        default_generator.set_state(cpu_state)


# -- argument checks shared by the random functions and the in-place fills ------------------------
# C++ type names in random_'s bounds message
_BOUNDS_NAME = {D.int8: "signed char", D.uint8: "unsigned char", D.int16: "short int",
                D.int32: "int", D.int64: "long", D.bool: "bool", D.float16: "c10::Half",
                D.float32: "float", D.float64: "double"}
_DIGITS = {D.float16: 11, D.float32: 24, D.float64: 53}


def not_implemented(kernel, dt):
    return NotImplementedError(f'"{kernel}" not implemented for \'{dt._short}\'')


def _update_from(low, dt):
    """PyTorch's update_from: the first ``from`` that stays >= from once cast to a float dtype."""
    plus1 = float(dt.np.type(low + 1))
    if math.isfinite(plus1) and int(plus1) < low:
        plus1 = int(plus1)
        n = abs(low + 1).bit_length() - 1
        low = plus1 + (1 << (n - _DIGITS[dt] + 1))
    return low


def _update_to(high, dt):
    minus1 = float(dt.np.type(high - 1))
    if math.isfinite(minus1) and int(minus1) >= high:
        minus1 = int(minus1)
        n = abs(high - 1).bit_length() - 1
        high = minus1 - (1 << (n - _DIGITS[dt] + 1))
    return high


def _in_range(low, high_inc, dt):
    if dt.category == D._COMPLEX:
        raise not_implemented("random_from_to", dt)
    info = np.iinfo(dt.np) if dt.category == D._INT else np.finfo(dt.np) if \
        dt.category == D._FLOAT else None
    lo, hi = (0, 1) if info is None else (int(info.min), int(info.max))
    if not lo <= low <= hi:
        raise RuntimeError(f"from is out of bounds for {_BOUNDS_NAME[dt]}")
    if not lo <= high_inc <= hi:
        raise RuntimeError(f"to - 1 is out of bounds for {_BOUNDS_NAME[dt]}")


def random_bounds(low, high, dt):
    """Check ``[low, high)`` for ``dt`` as random_ does; returns the (low, high) it draws in
    (float dtypes pull the bounds in to values the dtype can hold)."""
    if low >= high:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= "
                           f"to={high}")
    if dt in _DIGITS:
        low, high = _update_from(low, dt), _update_to(high, dt)
        if low >= high:
            raise RuntimeError(f"random_ expects 'from' casted to dtype to be less than 'to' "
                               f"casted to dtype, but got from={low} >= to={high}")
    _in_range(low, high - 1, dt)
    return low, high


def random_top(low, dt):
    """``random_(from)``: the exclusive top of the range (the dtype's max + 1, 2^digits + 1 for
    floats), after checking ``from``."""
    if dt in _DIGITS:
        top = 1 << _DIGITS[dt]
        low = _update_from(low, dt)
        if low >= top:
            raise RuntimeError(f"random_ expects 'from' casted to dtype to be less than or equal "
                               f"to 'to_inc' casted to dtype, but got from={low} > to_inc={top}")
    elif dt is D.bool:
        top = 1
    elif dt.category == D._INT:
        top = int(np.iinfo(dt.np).max)
    else:
        raise not_implemented("random_from_to_range_calc", dt)
    _in_range(low, top, dt)
    return low, top + 1


_P_MSG = ("Expected p_in >= 0 && p_in <= 1 to be true, but got false.  (Could this error message "
          "be improved?  If so, please report an enhancement request to PyTorch.)")


def bernoulli_p_check(p):
    """``p`` (a number or a NumPy array) must lie in [0, 1]."""
    if isinstance(p, np.ndarray):
        with np.errstate(invalid="ignore"):
            if p.size and not bool(((p >= 0) & (p <= 1)).all()):
                raise RuntimeError(_P_MSG)
    elif not 0 <= p <= 1:
        raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={p:g}")
