"""Rank-zero helpers. ``rank_zero_only.rank`` is this process's rank: read from the launcher's
environment at import (torchrun's RANK, mpiexec's PMI_RANK / OMPI_COMM_WORLD_RANK …), and set
by a ``Trainer(strategy="ddp")`` when it joins the process group."""

import functools
import logging
import os
import warnings

log = logging.getLogger("ember.lightning")
if not log.handlers:   # Lightning's console messages (INFO) show by default, on stderr, as its do
    log.addHandler(logging.StreamHandler())
    log.setLevel(logging.INFO)
    log.propagate = False


def _rank_from_env():
    for key in ("RANK", "LOCAL_RANK", "SLURM_PROCID", "JSM_NAMESPACE_RANK", "PMI_RANK",
                "OMPI_COMM_WORLD_RANK", "PMIX_RANK"):
        if key in os.environ:
            return int(os.environ[key])
    return 0


def rank_zero_only(fn, default=None):
    """Call ``fn`` only in the process of rank 0 (others get ``default``)."""

    @functools.wraps(fn)
    def wrapped(*args, **kwargs):
        if rank_zero_only.rank == 0:
            return fn(*args, **kwargs)
        return default

    return wrapped


rank_zero_only.rank = _rank_from_env()


@rank_zero_only
def rank_zero_info(*args, **kwargs):
    log.info(*args, **kwargs)


@rank_zero_only
def rank_zero_debug(*args, **kwargs):
    log.debug(*args, **kwargs)


@rank_zero_only
def rank_zero_warn(message, category=UserWarning, stacklevel=4, **kwargs):
    warnings.warn(message, category, stacklevel=stacklevel, **kwargs)
