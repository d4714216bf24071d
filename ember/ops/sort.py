"""Sorting and selection: sort, argsort, topk, median …"""

__all__ = ["SortMethods"]


class SortMethods:
    """Tensor methods of this family."""

    __slots__ = ()
