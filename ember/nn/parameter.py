"""Parameter: a Tensor that a Module registers as one of its learnable weights."""
from .. import _tensor
from .._subclass import _disabled_torch_function_impl
from .._tensor import Tensor

__all__ = ["Parameter", "Buffer", "is_lazy"]


class Parameter(Tensor):
    """A leaf Tensor that ``requires_grad`` by default and that Module attribute assignment
    registers. It shares memory with the tensor it wraps, as PyTorch's does."""

    __torch_function__ = _disabled_torch_function_impl   # ops on a Parameter give Tensors

    def __new__(cls, data=None, requires_grad=True):
        if data is None:
            from .._creation import empty
            data = empty(0)
        if not isinstance(data, Tensor):
            raise TypeError(f"Parameter(): argument 'data' must be Tensor, not "
                            f"{type(data).__name__}")
        p = object.__new__(cls)
        p._init(data._data)
        p.requires_grad = requires_grad
        return p

    def __init__(self, data=None, requires_grad=True):
        pass

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        p = type(self)(Tensor._wrap(self._data.copy()), self.requires_grad)
        if self.grad is not None:
            p.grad = self.grad.__deepcopy__(memo)
        memo[id(self)] = p
        return p


class Buffer(Tensor):
    """Marks a tensor to be registered as a buffer on Module attribute assignment
    (``torch.nn.Buffer``); the module stores it as a plain Tensor."""

    __torch_function__ = _disabled_torch_function_impl

    def __new__(cls, data=None, *, persistent=True):
        if data is None:
            from .._creation import empty
            data = empty(0)
        b = object.__new__(cls)
        b._init(data._data)
        b.persistent = persistent
        return b

    def __init__(self, data=None, *, persistent=True):
        pass


def is_lazy(param):
    return False


_ = _tensor
