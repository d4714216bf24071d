"""Test-session settings. One BLAS thread for NumPy and one intra-op thread for PyTorch: the
tests use small tensors, where thread pools only add overhead, and oversubscribed threads on a
shared machine can slow small matmuls down by orders of magnitude.

The device the tests run ember on (PyTorch, the oracle, stays on the CPU):

- ``pytest --device cuda`` runs every differential test built on ``helpers`` (``check_op``,
  ``to_ember``: the op and layer tests) with ember's tensors on the GPU, and skips the tests
  that do not go through ``helpers``; without CuPy and a CUDA GPU everything is skipped, with
  the reason. The default is ``--device cpu``.
- The ``device`` fixture parametrizes a test over ``cpu`` and ``cuda``; the ``cuda`` case is
  skipped unless CuPy and a GPU are there (the demo's test uses it).
"""
import pytest
import torch

torch.set_num_threads(1)
try:
    from threadpoolctl import threadpool_limits
    threadpool_limits(1)
except ImportError:   # threadpoolctl comes with scikit-learn, a test dependency
    pass

NO_GPU = "needs CuPy and a CUDA GPU"


def gpu_available():
    import ember
    return ember.cuda.is_available()


def pytest_addoption(parser):
    parser.addoption("--device", default="cpu", choices=("cpu", "cuda"),
                     help="the device ember's tensors live on in the differential tests "
                          "(default cpu; cuda needs CuPy and a GPU)")


def pytest_configure(config):
    config.addinivalue_line("markers", "gpu: the CUDA case of a device-parametrized test")
    import helpers
    helpers.DEVICE = config.getoption("--device")


def pytest_collection_modifyitems(config, items):
    if config.getoption("--device") != "cuda":
        return
    gpu = gpu_available()
    for item in items:
        module = getattr(item, "module", None)
        uses_helpers = module is not None and any(
            getattr(module, n, None) is not None for n in ("check_op", "to_ember"))
        if not gpu:
            item.add_marker(pytest.mark.skip(reason=NO_GPU))
        elif not uses_helpers and "device" not in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.skip(reason="not a device-parametrized test"))


@pytest.fixture(scope="session", params=["cpu", pytest.param("cuda", marks=pytest.mark.gpu)])
def device(request):
    """``"cpu"`` and ``"cuda"``; the cuda case is skipped without CuPy and a GPU."""
    if request.param == "cuda" and not gpu_available():
        pytest.skip(NO_GPU)
    return request.param

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
