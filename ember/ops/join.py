"""Joining and splitting: cat, stack, split, chunk, unbind …"""

__all__ = ["JoinMethods"]


class JoinMethods:
    """Tensor methods of this family."""

    __slots__ = ()
