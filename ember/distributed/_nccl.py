"""The ``nccl`` backend: all_reduce and broadcast of CuPy tensors through ``cupy.cuda.nccl``.

The NCCL communicator of a group is made on first use from a unique id that rank 0 sends over
the group's MPI communicator. Other collectives (and CPU tensors) take the MPI path, which
stages CuPy arrays through host memory. Imported lazily: nothing here runs without CuPy.
"""
import numpy as np

from ._state import ReduceOp, Work


def wants(g, tensor):
    """Whether ``tensor`` goes through NCCL on group ``g``."""
    return g._backend == "nccl" and not isinstance(tensor._data, np.ndarray)


def _comm(g):
    if g._nccl is None:
        from cupy.cuda import nccl
        uid = nccl.get_unique_id() if g.rank() == 0 else None
        uid = g.comm.bcast(uid, root=0)
        g._nccl = nccl.NcclCommunicator(g.size(), uid, g.rank())
    return g._nccl


def _dtype(a):
    from cupy.cuda import nccl
    table = {"float16": nccl.NCCL_FLOAT16, "float32": nccl.NCCL_FLOAT32,
             "float64": nccl.NCCL_FLOAT64, "int32": nccl.NCCL_INT32, "int64": nccl.NCCL_INT64,
             "uint8": nccl.NCCL_UINT8, "int8": nccl.NCCL_INT8}
    if a.dtype.name not in table:
        raise TypeError(f"the nccl backend cannot reduce {a.dtype} tensors")
    return table[a.dtype.name]


def _done(g, what, async_op, finish):
    import cupy
    stream = cupy.cuda.get_current_stream()
    w = Work([], g, what, lambda: (stream.synchronize(), finish and finish()))
    if async_op:
        return w
    w.wait()
    return None


def all_reduce(g, tensor, op, async_op):
    import cupy
    from cupy.cuda import nccl
    a = tensor._data
    buf = a if a.flags.c_contiguous else cupy.ascontiguousarray(a)
    ops = {"SUM": nccl.NCCL_SUM, "AVG": nccl.NCCL_SUM, "PRODUCT": nccl.NCCL_PROD,
           "MIN": nccl.NCCL_MIN, "MAX": nccl.NCCL_MAX}
    if op.name not in ops:
        raise ValueError(f"the nccl backend has no {op.name} reduction")
    stream = cupy.cuda.get_current_stream().ptr
    _comm(g).allReduce(buf.data.ptr, buf.data.ptr, buf.size, _dtype(buf), ops[op.name], stream)

    def finish():
        if op is ReduceOp.AVG:
            buf[...] /= g.size()
        if buf is not a:
            a[...] = buf
        tensor._vc.value += 1
    return _done(g, "all_reduce", async_op, finish)


def broadcast(g, tensor, root, async_op):
    import cupy
    a = tensor._data
    buf = a if a.flags.c_contiguous else cupy.ascontiguousarray(a)
    stream = cupy.cuda.get_current_stream().ptr
    _comm(g).bcast(buf.data.ptr, buf.size, _dtype(buf), root, stream)

    def finish():
        if buf is not a:
            a[...] = buf
        tensor._vc.value += 1
    return _done(g, "broadcast", async_op, finish)
