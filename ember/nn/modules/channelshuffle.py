"""PyTorch's module path torch.nn.modules.channelshuffle (the layer lives in misc.py)."""
from .misc import ChannelShuffle

__all__ = ["ChannelShuffle"]
