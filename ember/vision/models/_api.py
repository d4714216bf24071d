"""torchvision's weights API: ``Weights`` (url, transforms, meta), ``WeightsEnum`` (one enum per
architecture, with ``DEFAULT``), and the registry behind ``get_model`` / ``list_models``.

A weights entry's file is named ``<arch>-<sha256 prefix>.pth``; ``get_state_dict`` loads it through
:func:`ember.hub.load_state_dict_from_url` with ``check_hash=True``, so it comes from the local
cache (``ember.hub.get_dir()/checkpoints``) when present, and a download whose checksum does not
match is refused.
"""
import sys
import warnings
from dataclasses import dataclass, field
from enum import Enum
from functools import partial

__all__ = ["Weights", "WeightsEnum", "get_model", "get_model_builder", "get_model_weights",
           "get_weight", "list_models", "register_model"]


class _Meta(dict):
    def __missing__(self, key):
        if key == "categories":
            raise KeyError("'categories': ember does not ship ImageNet's 1000 class names "
                           "(torchvision's weights.meta['categories']); meta['num_classes'] "
                           "gives their number")
        raise KeyError(key)


@dataclass
class Weights:
    """One set of pretrained weights: where the file is, how to prepare an input
    (``transforms``: a callable building the preprocessing module) and facts about it
    (``meta``: ``num_params``, ``num_classes``, ``min_size``…)."""
    url: str
    transforms: object
    meta: dict = field(default_factory=dict)

    def __post_init__(self):
        self.meta = _Meta(self.meta)

    def __eq__(self, other):
        if not isinstance(other, Weights):
            return NotImplemented
        if self.url != other.url or self.meta != other.meta:
            return False
        a, b = self.transforms, other.transforms
        if isinstance(a, partial) and isinstance(b, partial):
            return a.func == b.func and a.args == b.args and a.keywords == b.keywords
        return a == b

    __hash__ = object.__hash__


class WeightsEnum(Enum):
    """The weights one architecture offers (``ResNet18_Weights.IMAGENET1K_V1``, ``.DEFAULT``)."""

    @classmethod
    def verify(cls, obj):
        """``obj`` (None, a member, its name, or ``'ResNet18_Weights.NAME'``) as a member of
        this enum; anything else is a TypeError."""
        if obj is not None:
            if isinstance(obj, str):
                obj = cls[obj.replace(cls.__name__ + ".", "")]
            elif not isinstance(obj, cls):
                raise TypeError(f"Invalid Weight class provided; expected {cls.__name__} but "
                                f"received {obj.__class__.__name__}.")
        return obj

    def get_state_dict(self, *args, **kwargs):
        """The state dict, from the hub cache or downloaded (checksum checked)."""
        from ... import hub
        kwargs.setdefault("check_hash", True)
        return hub.load_state_dict_from_url(self.url, *args, **kwargs)

    def __repr__(self):
        return f"{self.__class__.__name__}.{self._name_}"

    @property
    def url(self):
        return self.value.url

    @property
    def transforms(self):
        return self.value.transforms

    @property
    def meta(self):
        return self.value.meta


BUILTIN_MODELS = {}


def register_model(name=None):
    def wrapper(fn):
        key = name if name is not None else fn.__name__
        if key in BUILTIN_MODELS:
            raise ValueError(f"An entry is already registered under the name '{key}'.")
        BUILTIN_MODELS[key] = fn
        return fn
    return wrapper


def list_models(module=None, include=None, exclude=None):
    """The names of the registered model builders (sorted)."""
    import fnmatch
    names = [k for k, v in BUILTIN_MODELS.items()
             if module is None or v.__module__.rsplit(".", 1)[0] == module.__name__]
    if include:
        inc = [include] if isinstance(include, str) else include
        names = [n for n in names if any(fnmatch.fnmatch(n, p) for p in inc)]
    if exclude:
        exc = [exclude] if isinstance(exclude, str) else exclude
        names = [n for n in names if not any(fnmatch.fnmatch(n, p) for p in exc)]
    return sorted(names)


def get_model_builder(name):
    name = name.lower()
    try:
        return BUILTIN_MODELS[name]
    except KeyError:
        raise ValueError(f"Unknown model {name}") from None


def get_model(name, **config):
    """Build the model registered as ``name`` (``get_model('resnet18', weights=None)``)."""
    return get_model_builder(name)(**config)


def get_model_weights(name):
    """The weights enum of a model (a builder or its name)."""
    fn = get_model_builder(name) if isinstance(name, str) else name
    return fn._weights_enum


def get_weight(name):
    """A weights member from its full name: ``get_weight('ResNet18_Weights.IMAGENET1K_V1')``."""
    try:
        enum_name, value_name = name.split(".")
    except ValueError:
        raise ValueError(f"Invalid weight name provided: '{name}'.") from None
    from . import __name__ as pkg
    for mod in list(sys.modules.values()):
        if getattr(mod, "__name__", "").startswith(pkg + "."):
            enum = getattr(mod, enum_name, None)
            if isinstance(enum, type) and issubclass(enum, WeightsEnum):
                return enum[value_name]
    raise ValueError(f"The weight enum '{enum_name}' for the specific method couldn't be "
                     "retrieved.")


def weights_builder(weights_enum):
    """Decorate a builder: record its enum, take torchvision's legacy ``pretrained=`` (with
    torchvision's deprecation warning) and check ``weights=``."""
    def decorate(fn):
        def builder(*, weights=None, progress=True, **kwargs):
            if "pretrained" in kwargs:
                pretrained = kwargs.pop("pretrained")
                warnings.warn("The parameter 'pretrained' is deprecated since 0.13 and may be "
                              "removed in the future, please use 'weights' instead.",
                              stacklevel=2)
                if pretrained:
                    weights = weights_enum.DEFAULT
            weights = weights_enum.verify(weights)
            return fn(weights=weights, progress=progress, **kwargs)
        builder.__name__ = builder.__qualname__ = fn.__name__
        builder.__doc__ = fn.__doc__
        builder.__module__ = fn.__module__
        builder._weights_enum = weights_enum
        return register_model(fn.__name__)(builder)
    return decorate


def set_num_classes(kwargs, weights):
    """With pretrained weights the head has their number of classes; asking for another is
    torchvision's ValueError."""
    if weights is None:
        return
    n = weights.meta["num_classes"]
    if "num_classes" in kwargs and kwargs["num_classes"] != n:
        raise ValueError(f"The parameter 'num_classes' expected value {n} but got "
                         f"{kwargs['num_classes']} instead.")
    kwargs["num_classes"] = n
