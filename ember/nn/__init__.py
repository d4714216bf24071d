"""ember.nn: Parameter, Module, layers, functional, init and utils (torch.nn's layout)."""
from . import functional, init, parallel, utils
from .modules import *  # noqa: F403
from .modules import __all__ as _modules_all
from .parallel import DataParallel
from .parameter import Buffer, Parameter

__all__ = ["Parameter", "Buffer", "functional", "init", "utils", "parallel",
           "DataParallel"] + list(_modules_all)
