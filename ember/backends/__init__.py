"""``ember.backends``: the switches scripts set for PyTorch's accelerator libraries.

ember has no cuDNN, MPS or TF32 kernels, so these flags only record what a script asks for;
``is_available()`` answers for this machine."""
from . import cpu, cuda, cudnn, mps

__all__ = ["cpu", "cuda", "cudnn", "mps"]
