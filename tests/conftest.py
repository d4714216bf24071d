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


# Each test draws from helpers.RNG in a state of its own (seeded by the test's id), so a test's
# random inputs do not depend on which tests ran before it (adding or moving tests elsewhere
# cannot turn a passing draw into a failing one).
import zlib  # noqa: E402

import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _rng_per_test(request):
    import numpy as np
    from helpers import RNG
    seed = zlib.crc32(request.node.nodeid.encode())
    RNG.bit_generator.state = np.random.default_rng(seed).bit_generator.state
