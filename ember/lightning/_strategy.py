"""Where Trainer's ``accelerator`` / ``devices`` / ``strategy`` (and the legacy ``gpus``) become a
device and engine callbacks. ONE function decides, so that the data-parallel engine callback
(ember.distributed's) plugs in here and nowhere else."""

from ..train.engine import _listify
from .utilities.exceptions import MisconfigurationException

_SINGLE = ("auto", "single_device", None)
_DDP = ("ddp", "ddp_spawn", "ddp_fork", "ddp_notebook", "ddp_find_unused_parameters_true")


def _cuda_available():
    try:
        from .. import cuda

        return bool(cuda.is_available())
    except Exception:  # no CuPy: no GPU device
        return False


def _count(devices):
    if devices in (None, "auto"):
        return 1
    if isinstance(devices, str):
        devices = devices.strip()
        if devices == "-1":
            return -1
        if "," in devices:
            return len([d for d in devices.split(",") if d.strip()])
        return int(devices)
    if isinstance(devices, (list, tuple)):
        return len(devices)
    return int(devices)


def _resolve_device(accelerator, devices, gpus):
    """The device the module trains on: ``"cpu"``, or ember's GPU device where CuPy is present."""
    if gpus is not None:  # Lightning 1.x's Trainer(gpus=n): ask for that many CUDA devices
        if gpus and accelerator in (None, "auto"):
            accelerator, devices = "gpu", gpus
    accelerator = "auto" if accelerator is None else str(accelerator).lower()
    if accelerator not in ("auto", "cpu", "gpu", "cuda", "mps", "tpu"):
        raise MisconfigurationException(
            f"You selected an invalid accelerator name: `accelerator={accelerator!r}`. Available names are: "
            "auto, cpu, cuda, gpu, mps, tpu."
        )
    if accelerator in ("mps", "tpu"):
        raise MisconfigurationException(
            f"`accelerator={accelerator!r}` is not available in ember "
            "(its devices are the CPU and CUDA GPUs through CuPy)."
        )
    if accelerator == "auto":
        accelerator = "gpu" if _cuda_available() else "cpu"
    if accelerator in ("gpu", "cuda"):
        if not _cuda_available():
            raise MisconfigurationException(
                "`CUDAAccelerator` can not run on your system since the accelerator is not available. The "
                "following accelerator(s) is available and can be passed into `accelerator` argument of "
                "`Trainer`: ['cpu']."
            )
        n = _count(devices)
        index = devices[0] if isinstance(devices, (list, tuple)) else 0
        return "cuda" if index == 0 else f"cuda:{index}", n
    return "cpu", _count(devices)


def _strategy_callbacks(strategy, n_devices):
    """The engine callbacks a strategy needs (none for one device). ``"ddp"`` needs the
    data-parallel engine callback of ember.distributed."""
    name = strategy if isinstance(strategy, str) or strategy is None else type(strategy).__name__.lower()
    if name in _SINGLE:
        if n_devices not in (1, -1) and name == "auto" and n_devices > 1:
            return _strategy_callbacks("ddp", n_devices)
        return []
    if name in _DDP or name.startswith("ddp"):
        factory = _ddp_callback_factory()
        if factory is None:
            raise MisconfigurationException(
                f"strategy={strategy!r} needs ember.distributed, which needs mpi4py and an MPI library: "
                "pip install 'ember[distributed]' (mpi4py and mpich). Or train on one device "
                "(strategy='auto', devices=1)."
            )
        return _listify(factory(strategy, n_devices))
    raise MisconfigurationException(
        f"You selected an invalid strategy name: `strategy={strategy!r}`. Available names are: auto, "
        "single_device, ddp, ddp_spawn."
    )


def _ddp_callback_factory():
    """ember.distributed's engine callback factory ``(strategy, n_devices) -> callbacks``: under
    mpiexec a DistributedCallback; from a plain ``python train.py`` with ``devices > 1`` it starts
    the script again under ``mpiexec -n devices`` (Lightning's launcher does the same with
    subprocesses). None where ember.distributed cannot run (no mpi4py)."""
    from ..distributed import is_available

    if not is_available():
        return None
    from ..train.callbacks.distributed import ddp_callback_factory

    return ddp_callback_factory
