"""ember.nn.parallel: DataParallel (several GPUs of one process) and DistributedDataParallel
(one process per replica, over MPI through ember.distributed)."""
from .data_parallel import DataParallel, data_parallel, gather, parallel_apply, replicate, scatter
from .distributed import DistributedDataParallel

__all__ = ["DataParallel", "DistributedDataParallel", "data_parallel", "replicate", "scatter",
           "gather", "parallel_apply"]
