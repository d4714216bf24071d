"""``pytorch_lightning.utilities``' names that users import: ``rank_zero_only`` (and its
info/warn siblings), ``AttributeDict``, ``MisconfigurationException``, ``seed_everything``."""

from .exceptions import MisconfigurationException
from .parsing import AttributeDict
from .rank_zero import rank_zero_debug, rank_zero_info, rank_zero_only, rank_zero_warn
from .seed import seed_everything

__all__ = [
    "AttributeDict",
    "MisconfigurationException",
    "rank_zero_only",
    "rank_zero_info",
    "rank_zero_warn",
    "rank_zero_debug",
    "seed_everything",
]
