"""The benchmarks' BLAS-kernel rule, made explicit: when the CPU has AVX-512 and NumPy's
OpenBLAS runs narrower kernels (it took the CPU for an older one, or the environment pins
``OPENBLAS_CORETYPE`` to one), the runner starts itself again with
``OPENBLAS_CORETYPE=SkylakeX`` — it must be set before NumPy loads, hence a re-exec — so that
ember's GEMMs run the same instruction set as PyTorch's oneDNN. ``--blas-as-is`` keeps the
kernels the environment gives; every run prints which kernels it used."""
import os
import sys

FLAG = "--blas-as-is"


def use_avx512_kernels(module, argv):
    """Re-exec ``python -m module argv`` with AVX-512 kernels if that changes anything."""
    if FLAG in argv or os.environ.get("EMBER_BENCH_REEXEC"):
        return
    from ember._config import AVX512_CORETYPE, blas_kernel_warning
    if blas_kernel_warning() is None:
        return
    env = dict(os.environ, OPENBLAS_CORETYPE=AVX512_CORETYPE, EMBER_BENCH_REEXEC="1")
    sys.stdout.flush()
    os.execve(sys.executable, [sys.executable, "-m", module, *argv], env)


def describe():
    from ember._config import blas_info
    info = blas_info()
    env = info["coretype_env"]
    return (f"NumPy BLAS: {info['library']} {info['version']}, kernels {info['core']}"
            + (f" (OPENBLAS_CORETYPE={env})" if env else ""))
