"""ember.distributed: torch.distributed's API on MPI (mpi4py).

    # mpiexec -n 4 python train.py     or     python -m ember.distributed.run --nproc-per-node 4 train.py
    import ember.distributed as dist
    dist.init_process_group("mpi")          # "gloo" (CPU) and "nccl" (CuPy) are accepted too
    dist.all_reduce(t, op=dist.ReduceOp.SUM)
    model = ember.nn.parallel.DistributedDataParallel(model)

Ranks come from ``mpiexec``; every process group is an MPI communicator. Collectives have
PyTorch's signatures and write their results in place; ``async_op=True`` returns a Work.
A rank that raises stops the others with an error naming it; ``timeout=`` bounds every wait.
Needs ``pip install 'ember[distributed]'`` (mpi4py and mpich); importing works without them,
and ``is_available()`` says whether they are there.
"""
from ._collectives import *  # noqa: F403
from ._collectives import __all__ as _coll
from ._objects import *  # noqa: F403
from ._objects import __all__ as _obj
from ._state import *  # noqa: F403
from ._state import __all__ as _st

__all__ = _st + _coll + _obj
