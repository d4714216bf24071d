"""``torch._C``'s names that Python programs use directly: the switches of the
``__torch_function__`` protocol (see ``ember._subclass``)."""
from ._subclass import DisableTorchFunction, DisableTorchFunctionSubclass, _disabled_torch_function_impl

__all__ = ["DisableTorchFunction", "DisableTorchFunctionSubclass",
           "_disabled_torch_function_impl"]
