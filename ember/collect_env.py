"""``python -m ember.collect_env``: the environment to paste into a bug report (as
``python -m torch.utils.collect_env``): ember's configuration (``ember.show_config()``: NumPy's
BLAS and the kernels it picked, the CPU's SIMD, CuPy), the related packages' versions and the
environment variables that change how the arithmetic runs. It warns, as show_config does, when
OpenBLAS runs AVX2 kernels on a CPU with AVX-512."""
import os

__all__ = ["get_pretty_env_info", "main"]

_PACKAGES = ("numpy", "scipy", "threadpoolctl", "cupy", "torch", "onnx", "onnxruntime",
             "safetensors", "tqdm", "matplotlib")
_ENV = ("OPENBLAS_CORETYPE", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS",
        "CUDA_VISIBLE_DEVICES", "CUPY_ACCELERATORS")


def _version(name):
    from importlib import metadata
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def get_pretty_env_info():
    """The report as one string."""
    from ._config import show
    lines = [show(), "", "Versions of relevant libraries:"]
    for name in _PACKAGES:
        v = _version(name) or (_version("cupy-cuda12x") if name == "cupy" else None)
        lines.append(f"  {name}: {v or 'not installed'}")
    lines += ["", "Environment:"]
    lines += [f"  {k}={os.environ[k]}" for k in _ENV if k in os.environ] or ["  (none set)"]
    return "\n".join(lines)


def main():
    print("Collecting environment information...")
    print(get_pretty_env_info())


if __name__ == "__main__":
    main()
