"""ember.nn: Parameter, Module, layers, functional, init and utils (torch.nn's layout)."""
from . import functional, init, utils
from .modules import *  # noqa: F403
from .modules import __all__ as _modules_all
from .parameter import Buffer, Parameter

__all__ = ["Parameter", "Buffer", "functional", "init", "utils"] + list(_modules_all)
