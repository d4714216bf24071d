"""ember.show_config() / python -m ember.collect_env, and the BLAS-kernel check they make."""
import subprocess
import sys

import ember
from ember import _config

AVX512 = {k: True for k in ("AVX2", "AVX512F", "AVX512CD", "AVX512BW", "AVX512DQ", "AVX512VL")}


def _info(core, env=None):
    return {"library": "openblas", "version": "0.3.31", "core": core, "threads": 1,
            "coretype_env": env}


def test_warns_for_avx2_kernels_on_an_avx512_cpu(monkeypatch):
    monkeypatch.setattr(_config, "cpu_features", lambda: AVX512)
    msg = _config.blas_kernel_warning(_info("Haswell"))
    assert "OPENBLAS_CORETYPE=SkylakeX" in msg and "Haswell" in msg
    pinned = _config.blas_kernel_warning(_info("Haswell", env="Haswell"))
    assert "the environment sets OPENBLAS_CORETYPE=Haswell" in pinned and "unset it" in pinned
    assert _config.blas_kernel_warning(_info("SkylakeX")) is None
    assert _config.blas_kernel_warning(_info("Zen5")) is None
    assert _config.blas_kernel_warning(dict(_info("Haswell"), library="mkl")) is None


def test_no_warning_without_avx512(monkeypatch):
    monkeypatch.setattr(_config, "cpu_features", lambda: {"AVX2": True, "AVX512F": False})
    assert _config.blas_kernel_warning(_info("Haswell")) is None


def test_show_config_prints_blas_and_cpu(capsys):
    assert ember.show_config() is None
    out = capsys.readouterr().out
    assert "NumPy" in out and "BLAS kernels:" in out and "CPU SIMD:" in out
    assert ember.__config__.show() == out.rstrip("\n")
    info = _config.blas_info()
    assert set(info) == {"library", "version", "core", "threads", "coretype_env"}


def test_collect_env_runs():
    r = subprocess.run([sys.executable, "-m", "ember.collect_env"], capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "Versions of relevant libraries" in r.stdout and "numpy:" in r.stdout
