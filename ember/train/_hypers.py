"""Reading and writing an optimizer's hyperparameters by fastai's names, over PyTorch-style
``param_groups``: ``lr``; ``mom`` (SGD/RMSprop ``momentum``, or ``betas[0]`` for the Adam
family); ``sqr_mom`` (``betas[1]``, or RMSprop's ``alpha``); ``wd`` (``weight_decay``); ``eps``.
A value is one number for every group, or a sequence with one per group."""
import numpy as np

__all__ = ["get_hyper", "set_hyper", "lr_per_group", "even_mults"]


def _key(group, name):
    if name == "mom":
        if "betas" in group:
            return "betas", 0
        return ("momentum", None) if "momentum" in group else (None, None)
    if name == "sqr_mom":
        if "betas" in group:
            return "betas", 1
        return ("alpha", None) if "alpha" in group else (None, None)
    if name == "wd":
        return "weight_decay", None
    return name, None


def get_hyper(opt, name):
    """The value of ``name`` in each parameter group (None where a group lacks it)."""
    out = []
    for g in opt.param_groups:
        key, i = _key(g, name)
        v = g.get(key) if key is not None else None
        out.append(v[i] if (i is not None and v is not None) else v)
    return out


def set_hyper(opt, name, value):
    """Set ``name`` in every group; groups that lack a momentum-like key are left alone."""
    groups = opt.param_groups
    values = _per_group(value, len(groups))
    for g, v in zip(groups, values):
        key, i = _key(g, name)
        if key is None:
            continue
        if i is None:
            g[key] = float(v)
        else:
            b = list(g[key])
            b[i] = float(v)
            g[key] = tuple(b)


def _per_group(value, n):
    if isinstance(value, slice):
        return lr_per_group(value, n)
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if isinstance(value, (list, tuple)):
        if len(value) != n:
            raise ValueError(f"got {len(value)} values for {n} parameter groups")
        return list(value)
    return [value] * n


def even_mults(start, stop, n):
    """``n`` values from ``start`` to ``stop``, evenly spaced on a log scale."""
    if n == 1:
        return [stop]
    step = (stop / start) ** (1 / (n - 1))
    return [start * step ** i for i in range(n)]


def lr_per_group(lr, n):
    """fastai's discriminative learning rates: ``slice(lo, hi)`` spreads lo…hi over the groups
    (log-spaced), ``slice(hi)`` gives ``hi / 10`` to every group but the last, which gets
    ``hi``; a number gives every group the same."""
    if isinstance(lr, slice):
        if lr.start:
            return even_mults(lr.start, lr.stop, n)
        return [lr.stop / 10] * (n - 1) + [lr.stop]
    return _per_group(lr, n)
