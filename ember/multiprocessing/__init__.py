"""ember.multiprocessing: torch.multiprocessing's names over Python's ``multiprocessing``.

Everything ``multiprocessing`` exports is here (``Process``, ``Queue``, ``Pool``,
``get_context``, ``set_start_method``, ``freeze_support`` …), plus torch's additions:
``spawn`` / ``start_processes`` (run ``fn(i, *args)`` in ``nprocs`` processes and re-raise a
child's exception in the parent), ``ProcessContext``, ``ProcessRaisedException``,
``ProcessExitedException`` and the sharing-strategy functions. ember tensors pickle by value
(NumPy arrays), so there is no shared-memory strategy to choose: ``file_system`` is reported
and accepted.
"""

import multiprocessing
from multiprocessing import *  # noqa: F403

from .spawn import (
    ProcessContext,
    ProcessExitedException,
    ProcessRaisedException,
    SpawnContext,
    spawn,
    start_processes,
)

__all__ = list(multiprocessing.__all__) + [
    "spawn",
    "start_processes",
    "ProcessContext",
    "SpawnContext",
    "ProcessRaisedException",
    "ProcessExitedException",
    "get_sharing_strategy",
    "set_sharing_strategy",
    "get_all_sharing_strategies",
]

_STRATEGIES = {"file_system"}
_strategy = "file_system"


def get_all_sharing_strategies():
    """The strategies tensors can be shared with (ember copies by pickling)."""
    return set(_STRATEGIES)


def get_sharing_strategy():
    return _strategy


def set_sharing_strategy(new_strategy):
    global _strategy
    if new_strategy not in _STRATEGIES and new_strategy != "file_descriptor":
        raise AssertionError(f"unknown sharing strategy {new_strategy!r}")
    _strategy = "file_system"  # ember has one way: arrays travel pickled
