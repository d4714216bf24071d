"""Gather/scatter family: gather, scatter, index_select, where, nonzero …"""

__all__ = ["GatherMethods"]


class GatherMethods:
    """Tensor methods of this family."""

    __slots__ = ()
