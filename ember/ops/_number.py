"""PyTorch's ``Scalar`` arguments: where PyTorch types an argument as a number, it also takes a
0-d tensor that does not require grad (torchvision's RandomResizedCrop calls
``uniform_(from_, to)`` with 0-d tensor bounds) and reads its value; any other tensor is a
TypeError naming the op and the argument."""
import operator

from .. import _tensor

__all__ = ["number", "index"]


def number(x, op, name, kind="Number"):
    """``x`` as a Python number: a 0-d tensor's value, anything else unchanged."""
    if isinstance(x, _tensor.Tensor):
        if x._data.ndim or x.requires_grad:
            raise TypeError(f"{op}(): argument '{name}' must be {kind}, not Tensor")
        return x._data.item()
    return x


def index(x):
    """An int-like argument (a dim, a count, a size): a 0-d integer tensor's value as an int."""
    if isinstance(x, _tensor.Tensor):
        return operator.index(x)
    return x
