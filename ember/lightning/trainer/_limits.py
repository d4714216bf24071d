"""The Trainer's ``limit_{train,val,test,predict}_batches`` arithmetic."""
import math

from ..utilities.exceptions import MisconfigurationException


def limit_batches(n_batches, limit, name):
    """How many batches a ``limit_*_batches`` setting (an int count or a fraction) leaves of
    ``n_batches`` (None: an iterable without a length), with Lightning's errors."""
    if n_batches is None:
        n_batches = math.inf
    if isinstance(limit, bool) or (isinstance(limit, float) and not 0.0 <= limit <= 1.0):
        raise MisconfigurationException(
            f"`{name}` must be a float in the range [0.0, 1.0] or an int, got {limit}."
        )
    if isinstance(limit, int):
        return int(min(n_batches, limit))
    if n_batches == math.inf:
        return math.inf if limit == 1.0 else 0
    n = int(n_batches * limit)
    if limit > 0 and n == 0:
        raise MisconfigurationException(
            f"You requested to check {limit} of the "
            f"`{name.replace('limit_', '').replace('_batches', '')}_dataloader`"
            f" but {limit} * {n_batches} < 1. Please increase the `{name}` argument. Try at least "
            f"`{name}={1 / n_batches}`"
        )
    return n
