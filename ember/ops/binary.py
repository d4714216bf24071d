"""Elementwise functions of two tensors: maximum, minimum, atan2, lerp, logaddexp …"""

__all__ = ["BinaryMethods"]


class BinaryMethods:
    """Tensor methods of this family."""

    __slots__ = ()
