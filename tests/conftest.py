"""Test-session settings. One BLAS thread for NumPy and one intra-op thread for PyTorch: the
tests use small tensors, where thread pools only add overhead, and oversubscribed threads on a
shared machine can slow small matmuls down by orders of magnitude."""
import torch

torch.set_num_threads(1)
try:
    from threadpoolctl import threadpool_limits
    threadpool_limits(1)
except ImportError:   # threadpoolctl comes with scikit-learn, a test dependency
    pass
