"""``ember.linalg``: norm, inv, det, solve (PyTorch's torch.linalg namespace)."""

__all__ = []
