"""The ``*_object`` collectives: picklable Python objects, as torch.distributed sends them.

Like PyTorch's, these pickle (and so unpickle what peers send: use them only among trusted
ranks). The pickled bytes still travel as buffers through the same waits as the tensor
collectives, so timeouts and peer failures apply to them too.
"""
import pickle

import numpy as np

from . import _state
from ._state import _group, peer, wait_all

__all__ = ["all_gather_object", "gather_object", "broadcast_object_list", "scatter_object_list",
           "send_object_list", "recv_object_list"]

_OBJ_TAG = 7919


def _dump(obj):
    return np.frombuffer(pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL), np.uint8)


def _load(buf):
    return pickle.loads(buf.tobytes())


def _wait(g, req, what):
    wait_all([req], g, what)


def _allgatherv(g, data, what):
    sizes = np.empty(g.size(), np.int64)
    _wait(g, g.comm.Iallgather(np.array([data.size], np.int64), sizes), what)
    recv = np.empty(int(sizes.sum()), np.uint8)
    _wait(g, g.comm.Iallgatherv(data, [recv, sizes.tolist()]), what)
    return np.split(recv, np.cumsum(sizes)[:-1])


def all_gather_object(object_list, obj, group=None):
    """Every rank's ``obj`` into ``object_list[rank]`` on every rank."""
    g = _group(group)
    if len(object_list) != g.size():
        raise ValueError(f"all_gather_object: object_list has {len(object_list)} entries, "
                         f"expected one per rank ({g.size()})")
    for i, b in enumerate(_allgatherv(g, _dump(obj), "all_gather_object")):
        object_list[i] = _load(b)


def gather_object(obj, object_gather_list=None, dst=None, group=None, group_dst=None):
    """Every rank's ``obj`` into ``object_gather_list`` on rank ``dst``."""
    g = _group(group)
    root = peer(g, dst, group_dst, "dst")
    data = _dump(obj)
    sizes = np.empty(g.size(), np.int64) if g.rank() == root else None
    _wait(g, g.comm.Igather(np.array([data.size], np.int64), sizes, root=root), "gather_object")
    if g.rank() != root:
        _wait(g, g.comm.Igatherv(data, None, root=root), "gather_object")
        return
    if object_gather_list is None or len(object_gather_list) != g.size():
        raise ValueError(f"gather_object: rank {root} needs an object_gather_list of {g.size()} entries")
    recv = np.empty(int(sizes.sum()), np.uint8)
    _wait(g, g.comm.Igatherv(data, [recv, sizes.tolist()], root=root), "gather_object")
    for i, b in enumerate(np.split(recv, np.cumsum(sizes)[:-1])):
        object_gather_list[i] = _load(b)


def _bcast_bytes(g, data, root, what):
    n = np.array([0 if data is None else data.size], np.int64)
    _wait(g, g.comm.Ibcast(n, root=root), what)
    buf = data if g.rank() == root else np.empty(int(n[0]), np.uint8)
    _wait(g, g.comm.Ibcast(buf, root=root), what)
    return buf


def broadcast_object_list(object_list, src=None, group=None, device=None, group_src=None):
    """Rank ``src``'s ``object_list`` into every rank's (same-length) ``object_list``."""
    g = _group(group)
    root = peer(g, src, group_src, "src")
    buf = _bcast_bytes(g, _dump(list(object_list)) if g.rank() == root else None, root,
                       "broadcast_object_list")
    if g.rank() != root:
        objs = _load(buf)
        if len(objs) != len(object_list):
            raise ValueError(f"broadcast_object_list: rank {g.ranks[root]} sent {len(objs)} "
                             f"objects but this rank's list has {len(object_list)} entries")
        object_list[:] = objs


def scatter_object_list(scatter_object_output_list, scatter_object_input_list=None, src=None,
                        group=None, group_src=None):
    """``scatter_object_input_list[i]`` of rank ``src`` into rank i's
    ``scatter_object_output_list[0]``."""
    g = _group(group)
    root = peer(g, src, group_src, "src")
    if not isinstance(scatter_object_output_list, list) or len(scatter_object_output_list) < 1:
        raise ValueError("Expected argument scatter_object_output_list to be a list of size at least 1.")
    if g.rank() == root:
        if scatter_object_input_list is None or len(scatter_object_input_list) != g.size():
            raise ValueError(f"scatter_object_list: rank {g.ranks[root]} needs an input list of "
                             f"{g.size()} objects")
        parts = [_dump(o) for o in scatter_object_input_list]
        sizes = np.array([p.size for p in parts], np.int64)
        send = np.concatenate(parts)
    else:
        sizes, send = None, None
    n = np.empty(1, np.int64)
    _wait(g, g.comm.Iscatter(sizes, n, root=root), "scatter_object_list")
    recv = np.empty(int(n[0]), np.uint8)
    spec = [send, sizes.tolist()] if send is not None else None
    _wait(g, g.comm.Iscatterv(spec, recv, root=root), "scatter_object_list")
    scatter_object_output_list[0] = _load(recv)


def send_object_list(object_list, dst=None, group=None, device=None, group_dst=None):
    """Send the objects of ``object_list`` to rank ``dst``."""
    g = _group(group)
    to = peer(g, dst, group_dst, "dst")
    data = _dump(list(object_list))
    _wait(g, g.comm.Isend(np.array([data.size], np.int64), dest=to, tag=_OBJ_TAG), "send_object_list")
    _wait(g, g.comm.Isend(data, dest=to, tag=_OBJ_TAG + 1), "send_object_list")


def recv_object_list(object_list, src=None, group=None, device=None, group_src=None):
    """Receive objects from ``src`` (any rank when None) into ``object_list``; returns the
    sender's rank."""
    g = _group(group)
    frm = _state.MPI.ANY_SOURCE if src is None and group_src is None else peer(g, src, group_src, "src")
    n = np.empty(1, np.int64)
    req = g.comm.Irecv(n, source=frm, tag=_OBJ_TAG)
    status = _state.MPI.Status()
    wait_all([req], g, "recv_object_list", statuses=[status])
    sender = status.Get_source()
    buf = np.empty(int(n[0]), np.uint8)
    _wait(g, g.comm.Irecv(buf, source=sender, tag=_OBJ_TAG + 1), "recv_object_list")
    objs = _load(buf)
    if len(objs) != len(object_list):
        raise ValueError(f"recv_object_list: rank {g.ranks[sender]} sent {len(objs)} objects but "
                         f"the list has {len(object_list)} entries")
    object_list[:] = objs
    return g.ranks[sender]
