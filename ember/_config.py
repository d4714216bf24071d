"""``ember.show_config()``: what ember runs on — versions, NumPy's BLAS and the kernels it
picked, the CPU's vector extensions — and a warning when the two disagree.

Why it matters: ember's convolutions, linear layers and attention are GEMMs in NumPy's BLAS
(OpenBLAS in NumPy's wheels). OpenBLAS picks its kernels at load time from the CPU it
recognises; a CPU newer than the OpenBLAS build (AMD Zen 5, for one) is taken for an older
family and gets AVX2 kernels although it has AVX-512, and GEMMs run ~1.5x slower than they
could. Setting ``OPENBLAS_CORETYPE=SkylakeX`` in the environment *before NumPy is imported*
selects the AVX-512 kernels (and a stale ``OPENBLAS_CORETYPE=Haswell`` left in an
environment forces AVX2 kernels on any CPU). ember does not set it behind the user's back (it would only work
if ember were imported before NumPy, and it changes a library other code shares); it detects
the mismatch here and says what to do. ``benchmarks/`` sets it for its own runs.
"""
import os
import platform
import sys

__all__ = ["show_config", "blas_info", "cpu_features", "blas_kernel_warning",
           "AVX512_CORETYPE"]

# OpenBLAS core names whose GEMM kernels use AVX-512
_AVX512_CORES = {"skylakex", "cooperlake", "sapphirerapids", "zen5"}
# what the SkylakeX kernels need (Cooperlake adds BF16 only for bf16 GEMMs)
_AVX512_NEEDED = ("AVX512F", "AVX512CD", "AVX512BW", "AVX512DQ", "AVX512VL")
AVX512_CORETYPE = "SkylakeX"

_CORENAME = ("scipy_openblas_get_corename64_", "openblas_get_corename",
             "openblas_get_corename64_", "scipy_openblas_get_corename")
_CONFIG = ("scipy_openblas_get_config64_", "openblas_get_config", "openblas_get_config64_",
           "scipy_openblas_get_config")


def cpu_features():
    """The SIMD extensions NumPy found on this CPU: a dict name -> bool (empty if unknown)."""
    try:
        from numpy._core._multiarray_umath import __cpu_features__
    except ImportError:      # NumPy 1.x
        try:
            from numpy.core._multiarray_umath import __cpu_features__
        except ImportError:
            return {}
    return dict(__cpu_features__)


def cpu_has_avx512():
    f = cpu_features()
    return all(f.get(k, False) for k in _AVX512_NEEDED)


def _openblas_string(names):
    import ctypes

    from ._threads import _openblas
    lib = _openblas()
    for name in names if lib is not None else ():
        fn = getattr(lib, name, None)
        if fn is not None:
            fn.restype = ctypes.c_char_p
            out = fn()
            return out.decode().strip() if out else None
    return None


def blas_info():
    """NumPy's BLAS as a dict: ``library``, ``version``, ``core`` (the kernels OpenBLAS chose at
    load time, e.g. ``Haswell`` or ``SkylakeX``), ``threads``, ``coretype_env``. Fields that
    cannot be found are None."""
    info = {"library": None, "version": None, "core": None, "threads": None,
            "coretype_env": (os.environ.get("OPENBLAS_CORETYPE") or "").strip() or None}
    try:
        from threadpoolctl import threadpool_info
        for p in threadpool_info():
            if p.get("user_api") == "blas":
                info.update(library=p.get("internal_api"), version=p.get("version"),
                            core=p.get("architecture"), threads=p.get("num_threads"))
                break
    except ImportError:      # threadpoolctl is optional: ask OpenBLAS itself (Linux)
        pass
    if info["core"] is None:
        core = _openblas_string(_CORENAME)
        if core:
            info["library"] = "openblas"
            info["core"] = core
            cfg = _openblas_string(_CONFIG) or ""
            info["version"] = cfg.split()[1] if cfg.startswith("OpenBLAS ") else None
    if info["threads"] is None:
        from ._threads import get_num_threads
        info["threads"] = get_num_threads()
    return info


def blas_kernel_warning(info=None):
    """A sentence saying how to get AVX-512 GEMM kernels when the CPU has AVX-512 and NumPy's
    OpenBLAS runs narrower ones; None when there is nothing to do."""
    info = blas_info() if info is None else info
    core = (info.get("core") or "").lower()
    if info.get("library") != "openblas" or not core or core in _AVX512_CORES:
        return None
    if not cpu_has_avx512():
        return None
    env = (info.get("coretype_env") or "").strip()
    why = (f"the environment sets OPENBLAS_CORETYPE={env}, which forces" if env else
           "OpenBLAS took this CPU for an older one and chose")
    return (f"this CPU has AVX-512 but NumPy's OpenBLAS runs its {info['core']} kernels ({why} "
            f"them), so GEMMs (convolutions, linear layers) run about 1.5x slower than they "
            f"could. Set OPENBLAS_CORETYPE={AVX512_CORETYPE} in the environment before Python "
            f"starts (before NumPy is imported), e.g. `export OPENBLAS_CORETYPE={AVX512_CORETYPE}`"
            + (", or unset it to let OpenBLAS detect the CPU." if env else "."))


def _lines():
    import numpy as np

    from . import __version__
    info = blas_info()
    feats = cpu_features()
    simd = [k for k in ("SSE42", "AVX", "FMA3", "AVX2", "AVX512F", "AVX512BW", "AVX512VL",
                        "AVX512_BF16", "AVX512BF16", "AVX512FP16") if feats.get(k)]
    lines = [f"ember {__version__}",
             f"Python {platform.python_version()} ({sys.executable})",
             f"platform: {platform.platform()}",
             f"CPU: {platform.processor() or platform.machine()}, {os.cpu_count()} logical cores",
             f"CPU SIMD: {' '.join(simd) or 'unknown'}",
             f"NumPy {np.__version__}",
             f"  BLAS: {info['library'] or 'unknown'} {info['version'] or ''}".rstrip(),
             f"  BLAS kernels: {info['core'] or 'unknown'}"
             + (f" (OPENBLAS_CORETYPE={info['coretype_env']})" if info["coretype_env"] else ""),
             f"  BLAS threads: {info['threads']}"]
    try:
        import cupy
        lines.append(f"CuPy {cupy.__version__}, {cupy.cuda.runtime.getDeviceCount()} GPU(s)")
    except Exception:          # not installed, or no driver / no device
        lines.append("CuPy: not available (CPU only)")
    warn = blas_kernel_warning(info)
    if warn:
        lines.append(f"WARNING: {warn}")
    return lines


def show():
    """The configuration as a string (``torch.__config__.show()``'s role)."""
    return "\n".join(_lines())


def show_config():
    """Print ember's configuration: versions, NumPy's BLAS and its kernels, the CPU's vector
    extensions, CuPy; warns when OpenBLAS runs AVX2 kernels on an AVX-512 CPU."""
    print(show())
