"""PyTorch's entry points that ordinary programs reach for: torch.accelerator, the Tensor device
predicates, lazy subpackages (``ember.vision`` after ``import ember``) and torch.nn.modules'
module paths."""
import importlib
import inspect
import pkgutil
import subprocess
import sys

import pytest
import torch

import ember

# -- ember.accelerator -----------------------------------------------------------------------------

needs_no_gpu = pytest.mark.skipif(ember.cuda.is_available(),
                                  reason="compares with torch's CPU-only answers")


@needs_no_gpu
def test_accelerator_answers_as_torch_cpu_build():
    assert ember.accelerator.is_available() == torch.accelerator.is_available() is False
    assert ember.accelerator.current_accelerator() is torch.accelerator.current_accelerator() is None
    assert ember.accelerator.current_accelerator(check_available=True) is None
    assert ember.accelerator.device_count() == torch.accelerator.device_count() == 0
    with ember.accelerator.device_index(None), torch.accelerator.device_index(None):
        pass


@needs_no_gpu
@pytest.mark.parametrize("call", [
    lambda acc: acc.current_device_index(),
    lambda acc: acc.set_device_index(0),
    lambda acc: acc.synchronize(),
    lambda acc: acc.empty_cache(),
    lambda acc: acc.memory_allocated(),
    lambda acc: acc.get_memory_info(),
    lambda acc: acc.device_index(0).__enter__(),
])
def test_accelerator_calls_needing_a_device_raise_as_torch(call):
    with pytest.raises(RuntimeError) as theirs:
        call(torch.accelerator)
    with pytest.raises(RuntimeError) as ours:
        call(ember.accelerator)
    assert str(ours.value) == str(theirs.value)


@needs_no_gpu
def test_accelerator_deprecated_idx_names_warn_as_torch():
    for acc in (torch.accelerator, ember.accelerator):
        with pytest.warns(FutureWarning, match="Use `current_device_index` instead"):
            with pytest.raises(RuntimeError, match="none is available"):
                acc.current_device_idx()


@needs_no_gpu
def test_accelerator_idiom_falls_back_to_cpu():
    # the idiom of PyTorch >= 2.6 examples
    dev = (ember.accelerator.current_accelerator().type if ember.accelerator.is_available()
           else "cpu")
    model = ember.nn.Linear(3, 2).to(dev)
    assert model.weight.device == ember.device("cpu")


@pytest.mark.skipif(not ember.cuda.is_available(), reason="needs a CUDA device (CuPy)")
def test_accelerator_on_cuda():
    acc = ember.accelerator
    assert acc.is_available() and acc.current_accelerator() == ember.device("cuda")
    assert acc.device_count() >= 1
    acc.set_device_index(0)
    assert acc.current_device_index() == 0
    with acc.device_index(acc.device_count() - 1):
        assert acc.current_device_index() == acc.device_count() - 1
        t = ember.ones(3, device="cuda")
        assert t.device.index == acc.device_count() - 1
    assert acc.current_device_index() == 0
    acc.synchronize()
    assert acc.memory_allocated() >= 0 and acc.memory_reserved() >= acc.memory_allocated()
    free, total = acc.get_memory_info()
    assert 0 < free <= total


# -- Tensor predicates -----------------------------------------------------------------------------

def test_tensor_device_predicates_match_torch_on_cpu():
    names = [n for n in dir(torch.Tensor) if n.startswith("is_")
             and isinstance(inspect.getattr_static(torch.Tensor, n), type(torch.Tensor.is_cuda))]
    ours, theirs = ember.zeros(2), torch.zeros(2)
    checked = 0
    for name in names:
        if name in ("is_sparse", "is_sparse_csr", "is_leaf"):
            continue     # layouts are checked where sparse tensors are; is_leaf in autograd
        assert getattr(ours, name) == getattr(theirs, name), name
        checked += 1
    assert checked >= 12
    assert ours.is_pinned() is theirs.is_pinned() is False


# -- lazy subpackages --------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["vision", "hub", "accelerator", "distributed"])
def test_subpackages_are_attributes_after_plain_import(name):
    # hub and distributed are imported by ember itself (vision.models' weights, nn.parallel's DDP);
    # the others must wait until first use.
    eager = ("hub", "distributed")
    code = (f"import ember, sys; assert 'ember.{name}' not in sys.modules or '{name}' in {eager}; "
            f"m = ember.{name}; assert m is sys.modules['ember.{name}']; print(m.__name__)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == f"ember.{name}"


def test_unknown_attribute_is_attribute_error():
    assert not hasattr(ember, "no_such_subpackage")
    with pytest.raises(AttributeError, match="module 'ember' has no attribute 'nope'"):
        ember.nope


# -- torch.nn.modules paths ----------------------------------------------------------------------------

# torch.nn.modules names ember does not implement (anywhere), with the reason.
GAPS = {
    "adaptive.AdaptiveLogSoftmaxWithLoss": "adaptive softmax is not implemented",
    "batchnorm.SyncBatchNorm": "cross-process batch norm belongs to ember.distributed",
    "container.Container": "deprecated in PyTorch since 0.4",
    "lazy.LazyModuleMixin": "no lazy (shape-inferring) modules",
    "linear_cross_entropy_options.LinearCrossEntropyOptions": "LinearCrossEntropyLoss is missing",
    "loss.LinearCrossEntropyLoss": "not implemented",
    "loss.NLLLoss2d": "deprecated alias of NLLLoss",
    "loss.MultiLabelMarginLoss": "not implemented",
    "loss.MultiLabelSoftMarginLoss": "not implemented",
    "loss.MultiMarginLoss": "not implemented",
    "loss.TripletMarginWithDistanceLoss": "not implemented",
    "loss.CTCLoss": "not implemented",
    "normalization.CrossMapLRN2d": "legacy Lua-torch layer",
    "pooling.MaxUnpool1d": "not implemented", "pooling.MaxUnpool2d": "not implemented",
    "pooling.MaxUnpool3d": "not implemented",
    "pooling.FractionalMaxPool2d": "not implemented", "pooling.FractionalMaxPool3d": "not implemented",
    "pooling.LPPool1d": "not implemented", "pooling.LPPool2d": "not implemented",
    "pooling.LPPool3d": "not implemented",
}
for _sub in ("batchnorm.LazyBatchNorm", "conv.LazyConv", "conv.LazyConvTranspose",
             "instancenorm.LazyInstanceNorm"):
    GAPS.update({f"{_sub}{d}d": "no lazy (shape-inferring) modules" for d in (1, 2, 3)})
GAPS["linear.LazyLinear"] = "no lazy (shape-inferring) modules"
for _hook in ("forward_pre_hook", "forward_hook", "full_backward_pre_hook", "backward_hook",
              "full_backward_hook", "buffer_registration_hook", "module_registration_hook",
              "parameter_registration_hook"):
    GAPS[f"module.register_module_{_hook}"] = "global module hooks are not implemented"


def _torch_public_names():
    """(submodule, name) for every public name of each torch.nn.modules submodule: its __all__
    and the public classes it defines (NonDynamicallyQuantizableLinear is in no __all__)."""
    out = []
    for info in pkgutil.iter_modules(torch.nn.modules.__path__):
        if info.name.startswith("_"):
            continue
        mod = importlib.import_module(f"torch.nn.modules.{info.name}")
        names = set(getattr(mod, "__all__", ()))
        names |= {n for n, v in vars(mod).items() if inspect.isclass(v) and not n.startswith("_")
                  and v.__module__ == mod.__name__}
        out += [(info.name, n) for n in sorted(names)]
    return out


TORCH_NAMES = _torch_public_names()


def test_torch_nn_modules_listing_is_complete():
    subs = {s for s, _ in TORCH_NAMES}
    assert {"activation", "linear", "pixelshuffle", "padding", "flatten", "upsampling",
            "instancenorm", "conv", "pooling"} <= subs
    assert ("linear", "NonDynamicallyQuantizableLinear") in TORCH_NAMES
    assert len(TORCH_NAMES) > 150


@pytest.mark.parametrize("sub,name", TORCH_NAMES, ids=[f"{s}.{n}" for s, n in TORCH_NAMES])
def test_nn_modules_path(sub, name):
    try:
        mod = importlib.import_module(f"ember.nn.modules.{sub}")
    except ModuleNotFoundError:
        mod = None
    if f"{sub}.{name}" in GAPS and not hasattr(ember.nn, name) and not hasattr(mod, name):
        return      # a documented gap; once ember.nn has the class it must be at torch's path
    assert mod is not None, f"ember.nn.modules.{sub} is missing"
    assert hasattr(mod, name), f"ember.nn.modules.{sub} lacks {name}"
    theirs = getattr(importlib.import_module(f"torch.nn.modules.{sub}"), name)
    ours = getattr(mod, name)
    if inspect.isclass(theirs) and hasattr(torch.nn, name):
        assert getattr(ember.nn, name) is ours      # one class, at both paths
    if inspect.isclass(theirs) and issubclass(theirs, torch.nn.Module):
        assert issubclass(ours, ember.nn.Module)


def test_multihead_attention_out_proj_class_path():
    from ember.nn.modules.activation import MultiheadAttention
    from ember.nn.modules.linear import NonDynamicallyQuantizableLinear
    mha = MultiheadAttention(8, 2)
    assert type(mha.out_proj) is NonDynamicallyQuantizableLinear
    assert isinstance(mha.out_proj, ember.nn.Linear)


def test_consume_prefix_in_state_dict_if_present_matches_torch():
    from torch.nn.modules.utils import consume_prefix_in_state_dict_if_present as theirs

    from ember.nn.modules.utils import consume_prefix_in_state_dict_if_present as ours
    model = torch.nn.DataParallel(torch.nn.Sequential(torch.nn.Linear(2, 2)))
    sd_t = model.state_dict()
    sd_e = type(sd_t)(sd_t)
    sd_e._metadata = dict(sd_t._metadata)
    theirs(sd_t, "module.")
    ours(sd_e, "module.")
    assert list(sd_e) == list(sd_t) == ["0.weight", "0.bias"]
    assert dict(sd_e._metadata) == dict(sd_t._metadata)
    from ember.nn.modules.utils import _pair, _triple
    assert _pair(3) == (3, 3) and _triple((1, 2, 3)) == (1, 2, 3)


def test_batchnorm_loads_a_state_dict_without_num_batches_tracked_as_torch():
    # pre-0.4.1 checkpoints (torchvision's densenet121) have no num_batches_tracked
    theirs, ours = torch.nn.BatchNorm2d(3), ember.nn.BatchNorm2d(3)
    sd = {k: v for k, v in theirs.state_dict().items() if k != "num_batches_tracked"}
    theirs.load_state_dict(dict(sd))
    ours.load_state_dict({k: ember.tensor(v.numpy()) for k, v in sd.items()})
    assert int(ours.num_batches_tracked) == int(theirs.num_batches_tracked) == 0
    with pytest.raises(RuntimeError, match="Missing key"):
        ours.load_state_dict({"weight": ember.ones(3)})
