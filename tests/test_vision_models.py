"""ember.vision.models against torchvision: parameter counts (torchvision's documented
``num_params``), state-dict keys and shapes (spot checks derived from torchvision's source; the
whole list and the outputs when torchvision is importable), the weights API (cache, file://
downloads with a checksum), and ``weights.transforms()``."""
import hashlib
import os

import numpy as np
import pytest
import torch

import ember
from ember import hub
from ember.vision import models as M
from ember.vision.models._api import Weights, WeightsEnum

# torchvision's documented parameter counts (weights.meta["num_params"])
NUM_PARAMS = {
    "resnet18": 11_689_512, "resnet34": 21_797_672, "resnet50": 25_557_032,
    "vgg11": 132_863_336, "vgg16": 138_357_544, "alexnet": 61_100_840,
    "mobilenet_v2": 3_504_872, "mobilenet_v3_large": 5_483_032, "mobilenet_v3_small": 2_542_856,
    "squeezenet1_1": 1_235_496, "densenet121": 7_978_856, "efficientnet_b0": 5_288_548,
}
# how many entries torchvision's state_dict() has (parameters + BN buffers incl.
# num_batches_tracked)
NUM_KEYS = {"resnet18": 122, "resnet50": 320, "alexnet": 16, "squeezenet1_1": 52, "vgg11": 22,
            "vgg16": 32}
# (key, shape) pairs read off torchvision's module definitions
SPOT_KEYS = {
    "resnet18": [("conv1.weight", (64, 3, 7, 7)), ("layer1.0.conv1.weight", (64, 64, 3, 3)),
                 ("layer2.0.downsample.0.weight", (128, 64, 1, 1)),
                 ("layer2.0.downsample.1.running_var", (128,)), ("fc.weight", (1000, 512))],
    "resnet34": [("layer3.5.conv2.weight", (256, 256, 3, 3)), ("layer4.2.bn2.bias", (512,))],
    "resnet50": [("layer1.0.conv3.weight", (256, 64, 1, 1)),
                 ("layer4.2.bn3.num_batches_tracked", ()), ("fc.weight", (1000, 2048))],
    "vgg11": [("features.0.weight", (64, 3, 3, 3)), ("features.18.weight", (512, 512, 3, 3)),
              ("classifier.0.weight", (4096, 25088)), ("classifier.6.weight", (1000, 4096))],
    "vgg16": [("features.28.weight", (512, 512, 3, 3)), ("classifier.3.weight", (4096, 4096))],
    "alexnet": [("features.0.weight", (64, 3, 11, 11)), ("features.10.weight", (256, 256, 3, 3)),
                ("classifier.1.weight", (4096, 9216)), ("classifier.6.bias", (1000,))],
    "mobilenet_v2": [("features.0.0.weight", (32, 3, 3, 3)),
                     ("features.1.conv.0.0.weight", (32, 1, 3, 3)),
                     ("features.1.conv.1.weight", (16, 32, 1, 1)),
                     ("features.2.conv.0.0.weight", (96, 16, 1, 1)),
                     ("features.18.0.weight", (1280, 320, 1, 1)),
                     ("classifier.1.weight", (1000, 1280))],
    "mobilenet_v3_large": [("features.0.0.weight", (16, 3, 3, 3)),
                           ("features.4.block.2.fc1.weight", (24, 72, 1, 1)),
                           ("features.4.block.2.fc2.bias", (72,)),
                           ("features.16.0.weight", (960, 160, 1, 1)),
                           ("classifier.0.weight", (1280, 960)),
                           ("classifier.3.weight", (1000, 1280))],
    "mobilenet_v3_small": [("features.1.block.1.fc1.weight", (8, 16, 1, 1)),
                           ("features.12.0.weight", (576, 96, 1, 1)),
                           ("classifier.0.weight", (1024, 576))],
    "squeezenet1_1": [("features.0.weight", (64, 3, 3, 3)),
                      ("features.3.squeeze.weight", (16, 64, 1, 1)),
                      ("features.3.expand3x3.weight", (64, 16, 3, 3)),
                      ("features.12.expand1x1.weight", (256, 64, 1, 1)),
                      ("classifier.1.weight", (1000, 512, 1, 1))],
    "densenet121": [("features.conv0.weight", (64, 3, 7, 7)),
                    ("features.denseblock1.denselayer1.norm1.weight", (64,)),
                    ("features.denseblock1.denselayer1.conv1.weight", (128, 64, 1, 1)),
                    ("features.denseblock1.denselayer6.conv2.weight", (32, 128, 3, 3)),
                    ("features.transition1.conv.weight", (128, 256, 1, 1)),
                    ("features.denseblock4.denselayer16.conv1.weight", (128, 992, 1, 1)),
                    ("features.norm5.running_mean", (1024,)), ("classifier.weight", (1000, 1024))],
    "efficientnet_b0": [("features.0.0.weight", (32, 3, 3, 3)),
                        ("features.1.0.block.0.0.weight", (32, 1, 3, 3)),
                        ("features.1.0.block.1.fc1.weight", (8, 32, 1, 1)),
                        ("features.1.0.block.2.0.weight", (16, 32, 1, 1)),
                        ("features.2.0.block.0.0.weight", (96, 16, 1, 1)),
                        ("features.6.3.block.2.fc2.weight", (1152, 48, 1, 1)),
                        ("features.8.0.weight", (1280, 320, 1, 1)),
                        ("classifier.1.weight", (1000, 1280))],
}
SMALL = ["resnet18", "resnet34", "resnet50", "alexnet", "mobilenet_v2", "mobilenet_v3_large",
         "mobilenet_v3_small", "squeezenet1_1", "densenet121", "efficientnet_b0"]
BIG = ["vgg11", "vgg16"]   # ~130M parameters: built without the (slow) custom init


def _build(name, **kw):
    if name in BIG:     # structure only: skip initialising ~130M weights (seconds of RNG)
        kw.setdefault("init_weights", False)
        reset = ember.nn.Linear.reset_parameters
        ember.nn.Linear.reset_parameters = lambda self: None
        try:
            return M.get_model(name, weights=None, **kw)
        finally:
            ember.nn.Linear.reset_parameters = reset
    return M.get_model(name, weights=None, **kw)


_CACHE = {}


def _model(name):
    if name not in _CACHE:
        _CACHE[name] = _build(name)
    return _CACHE[name]


@pytest.mark.parametrize("name", SMALL + BIG)
def test_parameter_count_and_state_dict_keys(name):
    model = _model(name)
    assert sum(p.numel() for p in model.parameters()) == NUM_PARAMS[name]
    assert M.get_model_weights(name).DEFAULT.meta["num_params"] == NUM_PARAMS[name]
    sd = model.state_dict()
    if name in NUM_KEYS:
        assert len(sd) == NUM_KEYS[name]
    for key, shape in SPOT_KEYS[name]:
        assert key in sd, key
        assert tuple(sd[key].shape) == shape, key


@pytest.mark.parametrize("name", SMALL)
def test_forward_on_a_small_batch(name):
    model = _model(name).eval()
    ember.manual_seed(0)
    x = ember.randn(2, 3, 64, 64)
    with ember.no_grad():
        y = model(x)
    assert tuple(y.shape) == (2, 1000)
    assert bool(ember.isfinite(y).all())
    # eval mode: each sample's output is its own (batch norm uses running statistics)
    with ember.no_grad():
        y0 = model(x[:1])
    scale = float(y.abs().max())           # float32 sums over a different batch blocking
    np.testing.assert_allclose(y0.numpy(), y[:1].numpy(), rtol=1e-4, atol=1e-5 * max(1.0, scale))


def test_training_step_reaches_every_parameter():
    model = M.resnet18(num_classes=3)
    out = model(ember.randn(2, 3, 32, 32))
    ember.nn.functional.cross_entropy(out, ember.tensor([0, 2])).backward()
    assert all(p.grad is not None for p in model.parameters())


def test_num_classes_and_init_follow_torchvision():
    model = M.resnet18(num_classes=10, zero_init_residual=True)
    assert tuple(model.fc.weight.shape) == (10, 512)
    assert float(model.layer1[0].bn2.weight.abs().sum()) == 0.0
    # kaiming_normal_(fan_out) for convolutions: std sqrt(2 / (out · k · k))
    w = model.layer4[0].conv1.weight
    assert abs(float(w.std()) - (2 / (512 * 9)) ** 0.5) < 0.002
    sq = M.squeezenet1_1()
    assert abs(float(sq.classifier[1].weight.std()) - 0.01) < 0.001


def test_weights_enum_api():
    w = M.ResNet50_Weights.DEFAULT
    assert w is M.ResNet50_Weights.IMAGENET1K_V2
    assert repr(w) == "ResNet50_Weights.IMAGENET1K_V2"
    assert w.url == "https://download.pytorch.org/models/resnet50-11ad3fa6.pth"
    assert M.ResNet18_Weights.verify("IMAGENET1K_V1") is M.ResNet18_Weights.IMAGENET1K_V1
    assert M.get_weight("ResNet18_Weights.DEFAULT") is M.ResNet18_Weights.IMAGENET1K_V1
    assert M.get_model_weights(M.resnet18) is M.ResNet18_Weights
    assert set(NUM_PARAMS) <= set(M.list_models())
    assert M.ResNet18_Weights.DEFAULT.meta["num_classes"] == 1000
    with pytest.raises(KeyError, match="ember does not ship ImageNet's 1000 class names"):
        M.ResNet18_Weights.DEFAULT.meta["categories"]
    with pytest.raises(TypeError, match="expected ResNet18_Weights but received"):
        M.resnet18(weights=M.ResNet34_Weights.DEFAULT)
    with pytest.raises(ValueError, match="'num_classes' expected value 1000 but got 10"):
        M.resnet18(weights=M.ResNet18_Weights.DEFAULT, num_classes=10)


def test_weights_transforms_like_torchvision_presets():
    t = M.ResNet50_Weights.IMAGENET1K_V2.transforms()
    assert t.crop_size == [224] and t.resize_size == [232]
    assert repr(t).startswith("ImageClassification(\n    crop_size=[224]\n    resize_size=[232]")
    t = M.EfficientNet_B0_Weights.DEFAULT.transforms()
    assert str(t.interpolation) == "InterpolationMode.BICUBIC"
    # the arithmetic, against torch on the same resized-and-cropped uint8 image
    img = ember.randint(0, 256, (3, 300, 400), dtype=ember.uint8)
    out = M.ResNet18_Weights.DEFAULT.transforms()(img)
    assert tuple(out.shape) == (3, 224, 224) and out.dtype == ember.float32
    from ember.vision.transforms import functional as VF
    crop = VF.center_crop(VF.resize(img, [256], antialias=True), [224]).numpy()
    ref = (torch.from_numpy(crop).float() / 255 - torch.tensor([0.485, 0.456, 0.406])[:, None, None]) \
        / torch.tensor([0.229, 0.224, 0.225])[:, None, None]
    np.testing.assert_allclose(out.numpy(), ref.numpy(), rtol=1e-5, atol=1e-5)


def test_weights_transforms_take_pil_images():
    from PIL import Image
    arr = np.random.default_rng(1).integers(0, 256, (120, 90, 3), dtype=np.uint8)
    out = M.MobileNet_V3_Small_Weights.DEFAULT.transforms()(Image.fromarray(arr))
    assert tuple(out.shape) == (3, 224, 224) and out.dtype == ember.float32
    ref = M.MobileNet_V3_Small_Weights.DEFAULT.transforms()(ember.tensor(arr).permute(2, 0, 1))
    # PIL's and the tensor path's antialiased resizes differ a little, as in torchvision
    assert float((out - ref).abs().mean()) < 0.05


def test_torchvision_ops_blocks_and_stochastic_depth():
    from ember.vision.ops import Conv2dNormActivation, StochasticDepth, stochastic_depth
    block = Conv2dNormActivation(3, 8, kernel_size=3, stride=2)
    assert [type(m).__name__ for m in block] == ["Conv2d", "BatchNorm2d", "ReLU"]
    assert block[0].bias is None and block[0].padding == (1, 1)
    x = ember.ones(64, 2, 3, 3)
    assert stochastic_depth(x, 0.5, "row", training=False) is x
    ember.manual_seed(0)
    y = StochasticDepth(0.25, "row")(x)
    per_row = y.reshape(64, -1)
    kept = per_row[:, 0] != 0
    assert bool((per_row[kept] == 1 / 0.75).all()) and bool((per_row[~kept] == 0).all())
    assert 30 < int(kept.sum()) < 64
    with pytest.raises(ValueError, match="drop probability has to be between 0 and 1"):
        stochastic_depth(x, 1.5, "row")


def _sha(path):
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


def test_weights_load_from_the_hub_cache(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(hub, "_hub_dir", str(tmp_path / "hub"))
    src = M.squeezenet1_1()
    cache = tmp_path / "hub" / "checkpoints"
    cache.mkdir(parents=True)
    # a torch-format checkpoint under torchvision's file name, as torchvision leaves it
    ember.save(src.state_dict(), cache / "squeezenet1_1-b8a52dc0.pth", format="torch")
    model = M.squeezenet1_1(weights=M.SqueezeNet1_1_Weights.DEFAULT)
    assert capsys.readouterr().out == ""          # nothing downloaded
    for k, v in src.state_dict().items():
        assert ember.equal(model.state_dict()[k], v), k
    # the legacy pretrained=True takes the same path, with torchvision's warning
    with pytest.warns(UserWarning, match="'pretrained' is deprecated"):
        M.squeezenet1_1(pretrained=True)


def test_weights_download_over_file_url_with_checksum(tmp_path, monkeypatch):
    monkeypatch.setattr(hub, "_hub_dir", str(tmp_path / "hub"))
    src = M.mobilenet_v3_small(num_classes=5)
    served = tmp_path / "served"
    served.mkdir()
    raw = served / "raw.pth"
    torch.save({k: torch.from_numpy(v.numpy()) for k, v in src.state_dict().items()}, raw)
    good = served / f"mnv3s-{_sha(raw)[:8]}.pth"
    os.rename(raw, good)
    bad = served / "mnv3s-deadbeef.pth"
    bad.write_bytes(good.read_bytes())

    class Local_Weights(WeightsEnum):
        GOOD = Weights(url=good.as_uri(), transforms=None, meta={"num_classes": 5})
        BAD = Weights(url=bad.as_uri(), transforms=None, meta={"num_classes": 5})

    model = M.mobilenet_v3_small(num_classes=5)
    model.load_state_dict(Local_Weights.GOOD.get_state_dict(progress=False))
    assert ember.equal(model.classifier[3].weight, src.classifier[3].weight)
    assert (tmp_path / "hub" / "checkpoints" / good.name).exists()
    with pytest.raises(RuntimeError, match='invalid hash value \\(expected "deadbeef"'):
        Local_Weights.BAD.get_state_dict(progress=False)
    assert not (tmp_path / "hub" / "checkpoints" / bad.name).exists()


def test_densenet_loads_the_published_key_layout(tmp_path, monkeypatch):
    # densenet121-a639ec97.pth names its layers "denselayer1.norm.1"; torchvision renames them
    monkeypatch.setattr(hub, "_hub_dir", str(tmp_path / "hub"))
    src = M.densenet121()
    old = {}
    for k, v in src.state_dict().items():
        if k.endswith("num_batches_tracked"):
            continue      # the 2017 file predates the buffer
        for part in ("norm1", "norm2", "conv1", "conv2", "relu1", "relu2"):
            k = k.replace(f".{part}.", f".{part[:-1]}.{part[-1]}.")
        old[k] = v
    assert "features.denseblock1.denselayer1.norm.1.weight" in old
    cache = tmp_path / "hub" / "checkpoints"
    cache.mkdir(parents=True)
    ember.save(old, cache / "densenet121-a639ec97.pth", format="torch")
    model = M.densenet121(weights="DEFAULT")
    assert ember.equal(model.features.denseblock2.denselayer3.conv2.weight,
                       src.features.denseblock2.denselayer3.conv2.weight)


@pytest.mark.parametrize("name", ["resnet18", "mobilenet_v3_small", "efficientnet_b0",
                                  "densenet121", "squeezenet1_1"])
def test_against_torchvision_when_importable(name):
    tv = pytest.importorskip("torchvision")
    theirs = tv.models.get_model(name, weights=None).eval()
    ours = _model(name).eval()
    sd_t = theirs.state_dict()
    assert [(k, tuple(v.shape)) for k, v in ours.state_dict().items()] == \
        [(k, tuple(v.shape)) for k, v in sd_t.items()]
    ours.load_state_dict({k: ember.tensor(v.numpy()) for k, v in sd_t.items()})
    x = np.random.default_rng(0).standard_normal((1, 3, 64, 64)).astype(np.float32)
    with torch.no_grad():
        ref = theirs(torch.from_numpy(x)).numpy()
    with ember.no_grad():
        out = ours(ember.tensor(x)).numpy()
    np.testing.assert_allclose(out, ref, rtol=1e-4, atol=1e-4)
