"""ember.multiprocessing against torch.multiprocessing: the same names, and spawn's behaviour."""

import pytest

import ember.multiprocessing as emp


def test_names_match_torch_multiprocessing():
    import torch.multiprocessing as tmp  # imported here: spawned children re-import this file

    for name in (
        "freeze_support",
        "spawn",
        "start_processes",
        "get_context",
        "set_start_method",
        "get_start_method",
        "Process",
        "Queue",
        "Pool",
        "ProcessContext",
        "ProcessRaisedException",
        "ProcessExitedException",
        "get_sharing_strategy",
        "set_sharing_strategy",
        "get_all_sharing_strategies",
        "cpu_count",
    ):
        assert hasattr(tmp, name)
        assert hasattr(emp, name), name
    emp.freeze_support()  # a no-op outside a frozen Windows executable, as in torch


def _square_into(i, q):
    q.put((i, i * i))


def _fail(i):
    if i == 1:
        raise ValueError("child one failed")


def test_spawn_runs_fn_with_index_and_args():
    ctx = emp.get_context("spawn")
    q = ctx.Queue()
    emp.spawn(_square_into, args=(q,), nprocs=2)
    got = sorted(q.get(timeout=30) for _ in range(2))
    assert got == [(0, 0), (1, 1)]


def test_spawn_reraises_child_error_like_torch():
    with pytest.raises(emp.ProcessRaisedException, match="child one failed") as ei:
        emp.spawn(_fail, nprocs=2)
    assert ei.value.error_index == 1
