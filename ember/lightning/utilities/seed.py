"""seed_everything: seed Python's, NumPy's and ember's random generators at once."""

import os
import random

import numpy as np

from ... import _random

_MAX = np.iinfo(np.uint32).max


def seed_everything(seed=None, workers=False, verbose=True):
    """Seed ``random``, ``numpy.random`` and ember (``ember.manual_seed``) with ``seed`` (from
    ``PL_GLOBAL_SEED`` or 0 when None) and export it as ``PL_GLOBAL_SEED``; ``workers=True``
    sets ``PL_SEED_WORKERS=1``. Returns the seed."""
    if seed is None:
        env = os.environ.get("PL_GLOBAL_SEED")
        seed = int(env) if env is not None else 0
    seed = int(seed)
    if not (0 <= seed <= _MAX):
        import warnings

        warnings.warn(f"{seed} is not in bounds, numpy accepts from 0 to {_MAX}")
        seed = 0
    if verbose:
        from .rank_zero import rank_zero_info

        rank_zero_info(f"Seed set to {seed}")
    os.environ["PL_GLOBAL_SEED"] = str(seed)
    random.seed(seed)
    np.random.seed(seed)
    _random.manual_seed(seed)
    os.environ["PL_SEED_WORKERS"] = f"{int(workers)}"
    return seed
