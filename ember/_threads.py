"""``set_num_threads`` / ``get_num_threads``: the count is NumPy's BLAS thread count — set and
read through threadpoolctl where it is installed, else straight through OpenBLAS's own C API —
and ops that split big work (convolution, batch norm, ReLU, layout copies) run it on that many
threads of ember's own, holding BLAS at one thread meanwhile (ember/ops/_parallel.py)."""
import ctypes
import os

__all__ = ["set_num_threads", "get_num_threads"]

_SET = ("openblas_set_num_threads", "scipy_openblas_set_num_threads64_",
        "openblas_set_num_threads64_", "scipy_openblas_set_num_threads")
_GET = ("openblas_get_num_threads", "scipy_openblas_get_num_threads64_",
        "openblas_get_num_threads64_", "scipy_openblas_get_num_threads")


def _openblas():
    """NumPy's loaded OpenBLAS (Linux: found in the process's memory map), or None."""
    import numpy  # noqa: F401 - make sure the library is loaded
    try:
        with open(f"/proc/{os.getpid()}/maps") as f:
            paths = {line.split()[-1] for line in f if "openblas" in line.lower()}
    except OSError:
        return None
    for p in sorted(paths):
        try:
            return ctypes.CDLL(p)
        except OSError:
            continue
    return None


def _call(names, *args):
    lib = _openblas()
    for name in names if lib is not None else ():
        fn = getattr(lib, name, None)
        if fn is not None:
            return fn(*args)
    return None


def set_num_threads(n):
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise RuntimeError("set_num_threads expects a positive integer")
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        _call(_SET, ctypes.c_int(n))
        return
    threadpool_limits(n, user_api="blas")


def get_num_threads():
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        n = _call(_GET)
        return int(n) if n else os.cpu_count() or 1
    counts = [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]
    return counts[0] if counts else 1
