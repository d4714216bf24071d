"""torch.distributed's collectives on MPI, with PyTorch's signatures and in-place semantics.

Tensors travel as buffers (mpi4py's uppercase methods on the tensors' NumPy arrays), never
pickled. Each collective is started non-blocking; ``async_op=True`` returns the ``Work``,
otherwise it is waited for at once (see ``_state.wait_all`` for why the wait spins). Output
tensors are written in place and their version counters bumped, as PyTorch's are. CuPy tensors
are staged through host memory (the pip MPICH is not CUDA-aware); the ``nccl`` backend sends
them through ``cupy.cuda.nccl`` instead (``_nccl.py``).
"""
import numpy as np

from .._tensor import Tensor
from . import _nccl, _state
from ._state import ReduceOp, Work, _group, mpi_op, peer, wait_all

__all__ = ["all_reduce", "broadcast", "reduce", "all_gather", "all_gather_into_tensor", "gather",
           "scatter", "reduce_scatter", "reduce_scatter_tensor", "all_to_all", "all_to_all_single",
           "send", "recv", "isend", "irecv", "barrier", "P2POp", "batch_isend_irecv"]


def _check(t, name="tensor"):
    if not isinstance(t, Tensor):
        raise TypeError(f"Invalid function argument. Expected parameter `{name}` of type "
                        f"ember.Tensor but got {type(t).__name__} instead.")
    return t


def _host(t):
    """A C-contiguous host array holding ``t``'s values: the tensor's own array when it can be
    (so MPI writes straight into it), else a copy."""
    a = t._data
    if isinstance(a, np.ndarray):
        return a if a.flags.c_contiguous else np.ascontiguousarray(a)
    return a.get()   # a CuPy array: stage on the host


def _store(t, h):
    """Write host array ``h`` back into tensor ``t`` (if it is not already ``t``'s array) and
    bump its version, as an in-place op does."""
    a = t._data
    if h is not a:
        if isinstance(a, np.ndarray):
            a[...] = h.reshape(a.shape)
        else:
            a[...] = _to_device(a, h)
    t._vc.value += 1


def _to_device(a, h):
    import cupy
    return cupy.asarray(h.reshape(a.shape))


_BOOL_OPS = {"SUM": "LOR", "MAX": "LOR", "PRODUCT": "LAND", "MIN": "LAND", "BOR": "LOR",
             "BAND": "LAND", "BXOR": "LXOR"}


def _op(op, arr):
    if arr.dtype == np.bool_ and op.name in _BOOL_OPS:
        return getattr(_state.MPI, _BOOL_OPS[op.name])
    if op is ReduceOp.AVG and arr.dtype.kind not in "fc":
        raise ValueError(f"ReduceOp.AVG needs a floating-point or complex tensor, got {arr.dtype}")
    return mpi_op(op)


def _avg(op, h, n):
    if op is ReduceOp.AVG:
        np.divide(h, n, out=h)


def _start(req, g, what, finish, async_op, result=None):
    w = Work(req if isinstance(req, list) else [req], g, what, finish, result)
    if async_op:
        return w
    w.wait()
    return None


# ---- reductions ------------------------------------------------------------------------------
def all_reduce(tensor, op=ReduceOp.SUM, group=None, async_op=False):
    """Reduce ``tensor`` across the group; every rank gets the result in ``tensor``."""
    _check(tensor)
    g = _group(group)
    if _nccl.wants(g, tensor):
        return _nccl.all_reduce(g, tensor, op, async_op)
    h = _host(tensor)
    mop = _op(op, h)
    req = g.comm.Iallreduce(_state.MPI.IN_PLACE, h, op=mop)

    def finish():
        _avg(op, h, g.size())
        _store(tensor, h)
    return _start(req, g, "all_reduce", finish, async_op)


def reduce(tensor, dst=None, op=ReduceOp.SUM, group=None, async_op=False, group_dst=None):
    """Reduce ``tensor`` across the group onto rank ``dst`` (a global rank)."""
    _check(tensor)
    g = _group(group)
    root = peer(g, dst, group_dst, "dst")
    h = _host(tensor)
    mop = _op(op, h)
    if g.rank() == root:
        req = g.comm.Ireduce(_state.MPI.IN_PLACE, h, op=mop, root=root)

        def finish():
            _avg(op, h, g.size())
            _store(tensor, h)
    else:
        req, finish = g.comm.Ireduce(h, None, op=mop, root=root), None
    return _start(req, g, "reduce", finish, async_op)


def reduce_scatter(output, input_list, op=ReduceOp.SUM, group=None, async_op=False):
    """Reduce the i-th tensor of every rank's ``input_list`` into rank i's ``output``."""
    _check(output, "output")
    g = _group(group)
    n = g.size()
    if len(input_list) != n:
        raise ValueError(f"reduce_scatter: input_list has {len(input_list)} tensors, expected "
                         f"one per rank ({n})")
    for t in input_list:
        _check(t, "input_list")
        if t.numel() != output.numel():
            raise ValueError(f"reduce_scatter: every input must have output's {output.numel()} "
                             f"elements, got {t.numel()}")
    send = np.concatenate([_host(t).reshape(-1) for t in input_list])
    return _reduce_scatter(g, output, send, op, async_op)


def reduce_scatter_tensor(output, input, op=ReduceOp.SUM, group=None, async_op=False):
    """Reduce ``input`` (world size × ``output``'s elements) across ranks and give rank i the
    i-th chunk in ``output``."""
    _check(output, "output")
    g = _group(group)
    if _check(input, "input").numel() != output.numel() * g.size():
        raise ValueError(f"reduce_scatter_tensor: input has {input.numel()} elements, expected "
                         f"world size {g.size()} x output's {output.numel()}")
    return _reduce_scatter(g, output, _host(input).reshape(-1), op, async_op)


def _reduce_scatter(g, output, send, op, async_op):
    h = _host(output)
    req = g.comm.Ireduce_scatter_block(send, h, op=_op(op, send))

    def finish():
        _avg(op, h, g.size())
        _store(output, h)
    return _start(req, g, "reduce_scatter", finish, async_op)


# ---- data movement ---------------------------------------------------------------------------
def broadcast(tensor, src=None, group=None, async_op=False, group_src=None):
    """Copy rank ``src``'s ``tensor`` into every rank's ``tensor``."""
    _check(tensor)
    g = _group(group)
    root = peer(g, src, group_src, "src")
    if _nccl.wants(g, tensor):
        return _nccl.broadcast(g, tensor, root, async_op)
    h = _host(tensor)
    req = g.comm.Ibcast(h, root=root)
    finish = None if g.rank() == root else (lambda: _store(tensor, h))
    return _start(req, g, "broadcast", finish, async_op)


def _same_shape(what, outs, t):
    for o in outs:
        _check(o, what)
        if tuple(o.shape) != tuple(t.shape) or o.dtype != t.dtype:
            raise ValueError(f"{what}: every tensor must have the input's shape {tuple(t.shape)} "
                             f"and dtype {t.dtype}, got {tuple(o.shape)} {o.dtype}")


def all_gather(tensor_list, tensor, group=None, async_op=False):
    """Every rank's ``tensor`` into ``tensor_list[rank]`` on every rank."""
    _check(tensor)
    g = _group(group)
    if len(tensor_list) != g.size():
        raise ValueError(f"all_gather: tensor_list has {len(tensor_list)} tensors, expected "
                         f"one per rank ({g.size()})")
    _same_shape("all_gather", tensor_list, tensor)
    send = _host(tensor)
    recv = np.empty((g.size(),) + send.shape, send.dtype)
    req = g.comm.Iallgather(send, recv)

    def finish():
        for t, r in zip(tensor_list, recv):
            _store(t, r)
    return _start(req, g, "all_gather", finish, async_op)


def all_gather_into_tensor(output_tensor, input_tensor, group=None, async_op=False):
    """Every rank's ``input_tensor`` concatenated (or stacked) into ``output_tensor``."""
    _check(output_tensor, "output_tensor")
    g = _group(group)
    if _check(input_tensor, "input_tensor").numel() * g.size() != output_tensor.numel():
        raise ValueError(f"all_gather_into_tensor: output has {output_tensor.numel()} elements, "
                         f"expected world size {g.size()} x input's {input_tensor.numel()}")
    h = _host(output_tensor)
    req = g.comm.Iallgather(_host(input_tensor), h)
    return _start(req, g, "all_gather_into_tensor", lambda: _store(output_tensor, h), async_op)


def gather(tensor, gather_list=None, dst=None, group=None, async_op=False, group_dst=None):
    """Every rank's ``tensor`` into ``gather_list`` on rank ``dst`` (None elsewhere)."""
    _check(tensor)
    g = _group(group)
    root = peer(g, dst, group_dst, "dst")
    send = _host(tensor)
    if g.rank() != root:
        if gather_list:
            raise ValueError("Argument ``gather_list`` must NOT be specified on non-destination ranks.")
        return _start(g.comm.Igather(send, None, root=root), g, "gather", None, async_op)
    if gather_list is None or len(gather_list) != g.size():
        raise ValueError(f"gather: the destination rank needs a gather_list of {g.size()} tensors")
    _same_shape("gather", gather_list, tensor)
    recv = np.empty((g.size(),) + send.shape, send.dtype)
    req = g.comm.Igather(send, recv, root=root)

    def finish():
        for t, r in zip(gather_list, recv):
            _store(t, r)
    return _start(req, g, "gather", finish, async_op)


def scatter(tensor, scatter_list=None, src=None, group=None, async_op=False, group_src=None):
    """``scatter_list[i]`` of rank ``src`` into rank i's ``tensor``."""
    _check(tensor)
    g = _group(group)
    root = peer(g, src, group_src, "src")
    h = _host(tensor)
    if g.rank() == root:
        if scatter_list is None or len(scatter_list) != g.size():
            raise ValueError(f"scatter: the source rank needs a scatter_list of {g.size()} tensors")
        _same_shape("scatter", scatter_list, tensor)
        send = np.stack([_host(t) for t in scatter_list])
    else:
        if scatter_list:
            raise ValueError("Argument ``scatter_list`` must NOT be specified on non-source ranks.")
        send = None
    req = g.comm.Iscatter(send, h, root=root)
    return _start(req, g, "scatter", lambda: _store(tensor, h), async_op)


def all_to_all(output_tensor_list, input_tensor_list, group=None, async_op=False):
    """Rank i's ``input_tensor_list[j]`` into rank j's ``output_tensor_list[i]`` (sizes may
    differ between pairs)."""
    g = _group(group)
    n = g.size()
    if len(output_tensor_list) != n or len(input_tensor_list) != n:
        raise ValueError(f"all_to_all: both lists need one tensor per rank ({n})")
    ins = [_host(_check(t, "input_tensor_list")).reshape(-1) for t in input_tensor_list]
    outs = [_check(t, "output_tensor_list") for t in output_tensor_list]
    dtype = ins[0].dtype
    send = np.concatenate(ins).astype(dtype, copy=False)
    rcounts = [t.numel() for t in outs]
    recv = np.empty(sum(rcounts), dtype)
    req = g.comm.Ialltoallv([send, [a.size for a in ins]], [recv, rcounts])

    def finish():
        off = 0
        for t, c in zip(outs, rcounts):
            _store(t, recv[off:off + c])
            off += c
    return _start(req, g, "all_to_all", finish, async_op)


def all_to_all_single(output, input, output_split_sizes=None, input_split_sizes=None, group=None,
                      async_op=False):
    """``all_to_all`` on single tensors split along dim 0 (evenly, or by the split sizes)."""
    _check(output, "output")
    g = _group(group)
    n = g.size()
    row_in = _check(input, "input")[0].numel() if input.dim() and input.shape[0] else 1
    row_out = output[0].numel() if output.dim() and output.shape[0] else 1

    def counts(splits, t, row):
        if splits is None:
            if t.shape[0] % n:
                raise ValueError(f"all_to_all_single: dim 0 ({t.shape[0]}) must divide by the world size {n}")
            return [t.numel() // n] * n
        if len(splits) != n or sum(splits) != t.shape[0]:
            raise ValueError(f"all_to_all_single: split sizes {list(splits)} must have {n} entries "
                             f"summing to dim 0 ({t.shape[0]})")
        return [int(s) * row for s in splits]

    h = _host(output)
    req = g.comm.Ialltoallv([_host(input), counts(input_split_sizes, input, row_in)],
                            [h, counts(output_split_sizes, output, row_out)])
    return _start(req, g, "all_to_all_single", lambda: _store(output, h), async_op)


# ---- point to point --------------------------------------------------------------------------
def isend(tensor, dst=None, group=None, tag=0, group_dst=None):
    """Send ``tensor`` to rank ``dst``; returns a Work."""
    _check(tensor)
    g = _group(group)
    to = peer(g, dst, group_dst, "dst")
    h = _host(tensor)
    return Work([g.comm.Isend(h, dest=to, tag=tag)], g, "send", result=h)


def irecv(tensor, src=None, group=None, tag=0, group_src=None):
    """Receive into ``tensor`` from rank ``src`` (any rank when None); returns a Work."""
    _check(tensor)
    g = _group(group)
    frm = _state.MPI.ANY_SOURCE if src is None and group_src is None else peer(g, src, group_src, "src")
    h = _host(tensor)
    return Work([g.comm.Irecv(h, source=frm, tag=tag)], g, "recv", lambda: _store(tensor, h))


def send(tensor, dst=None, group=None, tag=0, group_dst=None):
    """Send ``tensor`` to rank ``dst`` (blocking)."""
    isend(tensor, dst, group, tag, group_dst).wait()


def recv(tensor, src=None, group=None, tag=0, group_src=None):
    """Receive into ``tensor`` from ``src`` (any rank when None); returns the sender's rank."""
    _check(tensor)
    g = _group(group)
    frm = _state.MPI.ANY_SOURCE if src is None and group_src is None else peer(g, src, group_src, "src")
    h = _host(tensor)
    req = g.comm.Irecv(h, source=frm, tag=tag)
    status = _state.MPI.Status()
    wait_all([req], g, "recv", statuses=[status])
    _store(tensor, h)
    return g.ranks[status.Get_source()]


class P2POp:
    """One point-to-point operation for ``batch_isend_irecv``: ``P2POp(isend, t, peer)``."""

    def __init__(self, op, tensor, peer=None, group=None, tag=0, group_peer=None):
        if op not in (isend, irecv):
            raise ValueError("Invalid ``op``. Expected ``op`` to be of type ``ember.distributed.isend`` "
                             "or ``ember.distributed.irecv``.")
        self.op, self.tensor, self.peer, self.group, self.tag = op, tensor, peer, group, tag
        self.group_peer = group_peer


def batch_isend_irecv(p2p_op_list):
    """Start every operation of the list; returns their Works."""
    return [p.op(p.tensor, p.peer, p.group, p.tag, p.group_peer) for p in p2p_op_list]


def barrier(group=None, async_op=False, device_ids=None):
    """Wait until every rank of the group reaches the barrier."""
    g = _group(group)
    return _start(g.comm.Ibarrier(), g, "barrier", None, async_op)
