"""``torch.compiler``: controls of ``ember.compile`` (capture and replay, ``ember/_compile/``).

``counters`` says what happened to compiled calls: ``captures`` (eager runs that recorded the
step), ``stable`` (programs confirmed by two identical captures), ``replays``, and ``eager``, a
Counter of the reasons calls ran eagerly instead (``.item()`` inside the step, random numbers,
a grad-mode module forward, a changed guard ...).
"""

import functools

from ._compile import counters, reset
from ._compile.tracer import ACTIVE

__all__ = ["reset", "is_compiling", "is_dynamo_compiling", "disable", "counters"]


def is_compiling():
    """True while ``ember.compile`` records a step (the step runs eagerly then)."""
    return ACTIVE[0] is not None


is_dynamo_compiling = is_compiling


def disable(fn=None, recursive=True):
    """Keep ``fn`` out of compiled steps: a step that calls it is not captured (it runs
    eagerly, with the reason counted). Usable as ``@ember.compiler.disable``."""
    if fn is None:
        return functools.partial(disable, recursive=recursive)

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        rec = ACTIVE[0]
        if rec is not None:
            rec.fail(f"{getattr(fn, '__qualname__', fn)} is marked ember.compiler.disable")
        return fn(*args, **kwargs)
    return wrapper

