"""Helpers torchvision's model builders share (torchvision.models._utils)."""

__all__ = ["_make_divisible"]


def _make_divisible(v, divisor, min_value=None):
    """Round a channel count to a multiple of ``divisor`` without going below 90 % of it."""
    if min_value is None:
        min_value = divisor
    new_v = max(min_value, int(v + divisor / 2) // divisor * divisor)
    if new_v < 0.9 * v:
        new_v += divisor
    return new_v
