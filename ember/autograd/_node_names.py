"""Graph nodes carry PyTorch's class names: ``type(y.grad_fn).__name__ == "MulBackward0"``.

A node is the ``ctx`` of one ``Function.apply`` call. Each Function subclass ``Mul`` gets, when
it is defined, a node class ``MulBackward0`` (``MyFnBackward`` for a user's Function, as
PyTorch's FunctionMeta makes) that subclasses it and adds nothing, and ``apply`` builds its ctx
from that class: so the op's own class keeps its name (ONNX mappings read it) and the node's type
is named as PyTorch names it, at no cost per call.

A few ops name their node from what the call did (``ProdBackward0`` / ``ProdBackward1``,
``AvgPool2DBackward0``): they override ``name()``; for those ``retype`` moves the recorded ctx to
a node class of that name (made once, cached).
"""

from types import MethodType

__all__ = ["make_node_class", "retype"]

_BY_NAME = {}   # (op class, node name) -> node class, for ops whose node name varies by call


class _BoundToOp:
    """An op's classmethod seen from its node class: still bound to the op, so a backward that
    asks ``cls is Maximum`` (the engine calls ``type(node).backward``) sees the op's class."""

    __slots__ = ("func", "op")

    def __init__(self, func, op):
        self.func, self.op = func, op

    def __get__(self, obj, cls=None):
        return MethodType(self.func, self.op)


def _classmethods(op):
    found = {}
    for klass in reversed(op.__mro__):       # a subclass's attribute wins over its bases'
        for k, v in klass.__dict__.items():
            if k.startswith("__"):
                continue
            if isinstance(v, classmethod):
                found[k] = _BoundToOp(v.__func__, op)
            else:
                found.pop(k, None)
    return found


def _node(op, name):
    ns = {"__slots__": (), "_node_of": op, "__module__": op.__module__, "__qualname__": name,
          **_classmethods(op)}
    from .function import FunctionCtx  # a node is a ctx, as PyTorch's BackwardCFunction
    bases = (op,) if issubclass(op, FunctionCtx) else (op, FunctionCtx)
    node = type(op)(name, bases, ns)
    # an op's own __init_subclass__ may have set class attributes on the node (a fused Grad
    # class): drop them, so the node is its op and nothing else
    for k in [k for k in node.__dict__ if k not in ns and not k.startswith("__")]:
        delattr(node, k)
    return node


class _LazyNodeClass:
    """``cls._node_cls`` until first used: the node class is made on an op's first call (an op's
    class-creation hooks may need names defined later in its module), then cached on ``cls``."""

    __slots__ = ()

    def __get__(self, obj, cls):
        node = _node(cls, cls._node_name)
        setattr(cls, "_node_cls", node)
        return node


def make_node_class(cls, base):
    """Called from ``Function.__init_subclass__``: give ``cls`` its node name and (lazily) its
    node class."""
    if "_node_of" in cls.__dict__:          # cls is itself a node class
        return
    cls._node_name = f"{cls.__name__}Backward0" if cls._builtin else f"{cls.__name__}Backward"
    cls._node_cls = _LazyNodeClass()
    # an op that overrides name() decides its node's name per call (see retype)
    cls._dyn_name = cls.name is not base.name


def retype(ctx):
    """Make ``type(ctx).__name__`` equal ``ctx.name()`` for an op that names nodes per call."""
    name = ctx.name()
    cls = type(ctx)
    if cls.__name__ == name:
        return
    op = cls.__dict__.get("_node_of", cls)
    node = _BY_NAME.get((op, name))
    if node is None:
        node = _BY_NAME[(op, name)] = _node(op, name)
    ctx.__class__ = node
