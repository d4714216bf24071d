"""ember.vision.transforms and ember.vision.utils, checked against NumPy / Pillow computations
and torchvision's documented behaviour (torchvision itself is not installed)."""
import colorsys

import numpy as np
import pytest
from PIL import Image, ImageEnhance, ImageOps

import ember
import ember.vision.transforms as T
import ember.vision.transforms.functional as F
from ember.vision.transforms.autoaugment import _POLICIES, AutoAugmentPolicy, _parse_policy, apply_op
from ember.vision.utils import make_grid, save_image

RNG = np.random.default_rng(7)


def u8(*shape):
    return RNG.integers(0, 256, size=shape).astype(np.uint8)


def rgb(h=12, w=16):
    a = u8(h, w, 3)
    return Image.fromarray(a), a


def chw(img):
    a = np.asarray(img)
    return a.transpose(2, 0, 1) if a.ndim == 3 else a[None]


def run_twice(transform, img, seed=3):
    ember.manual_seed(seed)
    a = transform(img)
    ember.manual_seed(seed)
    b = transform(img)
    return a, b


def same(a, b):
    a = a.numpy() if isinstance(a, ember.Tensor) else np.asarray(a)
    b = b.numpy() if isinstance(b, ember.Tensor) else np.asarray(b)
    return a.shape == b.shape and np.array_equal(a, b)


# ---- conversion -----------------------------------------------------------------------------
@pytest.mark.parametrize("mode", ["L", "RGB", "RGBA", "LA"])
def test_to_tensor_8bit_modes(mode):
    c = len(mode)
    a = u8(5, 7, c) if c > 1 else u8(5, 7)
    img = Image.fromarray(a)
    assert img.mode == mode
    t = T.ToTensor()(img)
    assert t.dtype is ember.float32 and tuple(t.shape) == (c, 5, 7)
    ref = (a.reshape(5, 7, c).transpose(2, 0, 1).astype(np.float32) / np.float32(255))
    assert np.array_equal(t.numpy(), ref)
    assert t.numpy().flags.c_contiguous


def test_to_tensor_other_modes_and_arrays():
    b = Image.fromarray(RNG.random((4, 6)) > 0.5)  # mode '1' -> 0/1 floats
    assert b.mode == "1"
    assert np.array_equal(F.to_tensor(b).numpy()[0], np.asarray(b).astype(np.float32))
    i32 = Image.fromarray(RNG.integers(-5, 1000, (3, 4)).astype(np.int32))
    t = F.to_tensor(i32)
    assert t.dtype is ember.int32 and np.array_equal(t.numpy()[0], np.asarray(i32))
    f = Image.fromarray(RNG.random((3, 4)).astype(np.float32))
    assert np.array_equal(F.to_tensor(f).numpy()[0], np.asarray(f))
    a = u8(4, 5, 3)
    assert np.array_equal(F.to_tensor(a).numpy(), a.transpose(2, 0, 1) / np.float32(255))
    g = u8(4, 5)
    assert tuple(F.to_tensor(g).shape) == (1, 4, 5)
    d = RNG.random((4, 5, 2))  # non-uint8 arrays keep their dtype and values
    t = F.to_tensor(d)
    assert t.dtype is ember.float64 and np.array_equal(t.numpy(), d.transpose(2, 0, 1))


def test_to_tensor_default_dtype_and_errors():
    prev = ember.get_default_dtype()
    ember.set_default_dtype(ember.float64)
    try:
        assert F.to_tensor(u8(2, 2)).dtype is ember.float64
    finally:
        ember.set_default_dtype(prev)
    with pytest.raises(TypeError, match="pic should be PIL Image or ndarray"):
        F.to_tensor([[1, 2]])
    with pytest.raises(ValueError, match="pic should be 2/3 dimensional. Got 4 dimensions."):
        F.to_tensor(u8(1, 2, 2, 3))


def test_pil_to_tensor():
    img, a = rgb()
    t = T.PILToTensor()(img)
    assert t.dtype is ember.uint8 and np.array_equal(t.numpy(), a.transpose(2, 0, 1))
    with pytest.raises(TypeError, match="pic should be PIL Image"):
        F.pil_to_tensor(a)


def test_to_pil_image():
    x = RNG.random((3, 5, 6)).astype(np.float32)
    img = T.ToPILImage()(ember.tensor(x))
    assert img.mode == "RGB" and img.size == (6, 5)
    assert np.array_equal(np.asarray(img), (x * 255).astype(np.uint8).transpose(1, 2, 0))  # truncation
    g = F.to_pil_image(ember.tensor(x[:1]))
    assert g.mode == "L"
    assert F.to_pil_image(ember.tensor(x[0]), mode="F").mode == "F"
    a = u8(5, 6, 4)
    assert F.to_pil_image(a).mode == "RGBA" and np.array_equal(np.asarray(F.to_pil_image(a)), a)
    assert F.to_pil_image(u8(5, 6, 2)).mode == "LA"
    assert F.to_pil_image(u8(5, 6, 3), mode="HSV").mode == "HSV"
    assert F.to_pil_image(np.zeros((2, 2), np.int32)).mode == "I"
    # uint8 tensor -> PIL -> tensor round trip
    t = ember.tensor(a[..., :3].transpose(2, 0, 1).copy())
    assert np.array_equal(F.pil_to_tensor(F.to_pil_image(t)).numpy(), t.numpy())
    with pytest.raises(ValueError, match="pic should not have > 4 channels. Got 5 channels."):
        F.to_pil_image(ember.rand(5, 2, 2))
    with pytest.raises(ValueError, match="Incorrect mode"):
        F.to_pil_image(u8(2, 2), mode="F")
    with pytest.raises(ValueError, match="Only modes"):
        F.to_pil_image(u8(2, 2, 3), mode="RGBA")
    with pytest.raises(TypeError, match="Input type int64 is not supported"):
        F.to_pil_image(np.zeros((2, 2, 3), np.int64))
    with pytest.raises(TypeError, match="pic should be Tensor or ndarray"):
        F.to_pil_image([1])
    assert repr(T.ToPILImage()) == "ToPILImage()"


def test_convert_image_dtype():
    a = u8(3, 4, 4)
    f = F.convert_image_dtype(ember.tensor(a), ember.float32)
    assert np.allclose(f.numpy(), a / 255.0)
    back = F.convert_image_dtype(f, ember.uint8)
    assert np.array_equal(back.numpy(), a)


# ---- Normalize ------------------------------------------------------------------------------
def test_normalize_values_and_inplace():
    x = RNG.random((3, 4, 5)).astype(np.float32)
    mean, std = (0.5, 0.4, 0.3), (0.2, 0.25, 0.5)
    t = ember.tensor(x)
    out = T.Normalize(mean, std)(t)
    ref = (x - np.float32(mean).reshape(3, 1, 1)) / np.float32(std).reshape(3, 1, 1)
    assert out.dtype is ember.float32 and np.array_equal(out.numpy(), ref)
    assert np.array_equal(t.numpy(), x)  # out of place by default
    v = t._version
    same_t = F.normalize(t, mean, std, inplace=True)
    assert same_t is t and np.array_equal(t.numpy(), ref) and t._version > v
    # a batch (B, C, H, W) and a single number
    b = ember.tensor(np.stack([x, x]))
    assert np.array_equal(F.normalize(b, mean, std).numpy()[1], ref)
    assert np.allclose(F.normalize(ember.tensor(x), 0.5, 2.0).numpy(), (x - 0.5) / 2)
    assert repr(T.Normalize(mean, std)) == "Normalize(mean=(0.5, 0.4, 0.3), std=(0.2, 0.25, 0.5))"


def test_normalize_grad_and_errors():
    x = ember.tensor(RNG.random((2, 3, 3)), requires_grad=True)
    y = F.normalize(x, (0.1, 0.2), (2.0, 4.0))
    y.sum().backward()
    g = x.grad.numpy()
    assert np.allclose(g[0], 0.5) and np.allclose(g[1], 0.25)
    with pytest.raises(TypeError, match="img should be Tensor Image"):
        F.normalize(np.zeros((3, 2, 2)), (0,), (1,))
    with pytest.raises(TypeError, match="Input tensor should be a float tensor. Got ember.uint8."):
        F.normalize(ember.tensor(u8(1, 2, 2)), (0,), (1,))
    with pytest.raises(ValueError, match="Expected tensor to be a tensor image of size"):
        F.normalize(ember.rand(2, 2), (0,), (1,))
    with pytest.raises(ValueError, match="std evaluated to zero"):
        F.normalize(ember.rand(1, 2, 2), (0,), (0,))


# ---- Resize / crops / pad -------------------------------------------------------------------
def test_resize_pil_shorter_side_and_sizes():
    img, a = rgb(20, 30)
    out = T.Resize(10)(img)
    assert out.size == (15, 10)
    assert np.array_equal(np.asarray(out), np.asarray(img.resize((15, 10), Image.BILINEAR)))
    assert T.Resize((7, 9))(img).size == (9, 7)
    assert T.Resize([10])(img).size == (15, 10)
    tall = Image.fromarray(u8(30, 20))
    assert T.Resize(10)(tall).size == (10, 15)
    assert T.Resize(10, max_size=12)(img).size == (12, 8)
    near = T.Resize(5, interpolation=T.InterpolationMode.NEAREST)(img)
    assert np.array_equal(np.asarray(near), np.asarray(img.resize((7, 5), Image.NEAREST)))
    assert T.Resize(20)(img) is img  # already the right size
    assert repr(T.Resize(10)) == "Resize(size=10, interpolation=bilinear, max_size=None, antialias=True)"


def test_resize_tensor_matches_pil_float():
    x = RNG.random((2, 17, 23)).astype(np.float32)
    for (h, w) in [(7, 9), (30, 41), (17, 50)]:
        for mode, pil in [(T.InterpolationMode.BILINEAR, Image.BILINEAR), (T.InterpolationMode.BICUBIC,
                                                                           Image.BICUBIC)]:
            out = F.resize(ember.tensor(x), [h, w], mode).numpy()
            assert out.shape == (2, h, w) and out.dtype == np.float32
            for c in range(2):
                ref = np.asarray(Image.fromarray(x[c], mode="F").resize((w, h), pil))
                np.testing.assert_allclose(out[c], ref, atol=1e-5)


def test_resize_tensor_nearest_uint8_and_no_antialias():
    a = u8(3, 10, 12)
    out = F.resize(ember.tensor(a), [4, 5], T.InterpolationMode.NEAREST).numpy()
    ri = np.floor(np.arange(4) * np.float32(10 / 4)).astype(int)
    ci = np.floor(np.arange(5) * np.float32(12 / 5)).astype(int)
    assert np.array_equal(out, a[:, ri][:, :, ci])
    b = F.resize(ember.tensor(a), 6).numpy()  # shorter side 10 -> 6; uint8 stays uint8 (rounded)
    assert b.dtype == np.uint8 and b.shape == (3, 6, 7)
    # upsampling without antialias is plain bilinear (half-pixel centres, clamped edges)
    x = np.array([[0.0, 1.0]], dtype=np.float32)[None]
    up = F.resize(ember.tensor(x), [1, 4], antialias=False).numpy()[0, 0]
    np.testing.assert_allclose(up, [0.0, 0.25, 0.75, 1.0])
    with pytest.raises(ValueError, match="Size must be an int or a 1 or 2 element tuple/list"):
        F.resize(ember.tensor(a), [1, 2, 3])
    with pytest.raises(ValueError, match="max_size = 5 must be strictly greater"):
        F.resize(ember.tensor(a), 6, max_size=5)
    with pytest.raises(TypeError, match="Size should be int or sequence"):
        T.Resize(2.5)


def test_center_crop():
    img, a = rgb(11, 14)
    out = T.CenterCrop((5, 6))(img)
    top, left = int(round((11 - 5) / 2)), int(round((14 - 6) / 2))
    assert np.array_equal(np.asarray(out), a[top:top + 5, left:left + 6])
    t = T.CenterCrop(4)(ember.tensor(a.transpose(2, 0, 1).copy()))
    top, left = int(round(7 / 2)), int(round(10 / 2))
    assert np.array_equal(t.numpy(), a.transpose(2, 0, 1)[:, top:top + 4, left:left + 4])
    # larger than the image: zero padding around it
    big = F.center_crop(ember.tensor(np.ones((1, 2, 3), np.float32)), [4, 5])
    ref = np.zeros((1, 4, 5), np.float32)
    ref[:, 1:3, 1:4] = 1
    assert np.array_equal(big.numpy(), ref)
    assert np.array_equal(chw(F.center_crop(Image.fromarray(np.ones((2, 3), np.uint8)), [4, 5]))[0],
                          ref[0].astype(np.uint8))


def test_crop_outside_is_zero_and_views():
    a = np.arange(12, dtype=np.float32).reshape(1, 3, 4)
    t = ember.tensor(a)
    out = F.crop(t, -1, 2, 3, 4).numpy()
    ref = np.zeros((1, 3, 4), np.float32)
    ref[0, 1:, :2] = a[0, :2, 2:]
    assert np.array_equal(out, ref)
    pil = F.crop(Image.fromarray(a[0].astype(np.uint8)), -1, 2, 3, 4)
    assert np.array_equal(np.asarray(pil), ref[0].astype(np.uint8))
    inside = F.crop(t, 1, 1, 2, 2)
    assert np.shares_memory(inside.numpy(), t.numpy())
    g = ember.tensor(a, requires_grad=True)
    F.crop(g, 0, 1, 2, 2).sum().backward()
    assert g.grad.numpy().sum() == 4


@pytest.mark.parametrize("mode", ["constant", "edge", "reflect", "symmetric"])
def test_pad_modes(mode):
    img, a = rgb(5, 6)
    out = T.Pad((1, 2, 3, 4), fill=7, padding_mode=mode)(img)
    kw = {"constant_values": 7} if mode == "constant" else {}
    ref = np.pad(a, [(2, 4), (1, 3), (0, 0)], mode=mode, **kw)
    assert np.array_equal(np.asarray(out), ref)
    t = F.pad(ember.tensor(a.transpose(2, 0, 1).copy()), [2, 1], fill=7, padding_mode=mode)
    ref = np.pad(a.transpose(2, 0, 1), [(0, 0), (1, 1), (2, 2)], mode=mode, **kw)
    assert np.array_equal(t.numpy(), ref)


def test_pad_fill_negative_and_errors():
    img, a = rgb(4, 4)
    out = np.asarray(F.pad(img, 1, fill=(10, 20, 30)))
    assert out.shape == (6, 6, 3) and tuple(out[0, 0]) == (10, 20, 30)
    crop = F.pad(ember.tensor(a.transpose(2, 0, 1).copy()), [-1, 0, 1, -2])
    assert tuple(crop.shape) == (3, 2, 4)
    assert np.array_equal(crop.numpy()[:, :, :3], a.transpose(2, 0, 1)[:, :2, 1:])
    assert np.asarray(F.pad(img, [-1, -1, 0, 0])).shape == (3, 3, 3)
    with pytest.raises(TypeError, match="Got inappropriate padding arg"):
        F.pad(img, "1")
    with pytest.raises(ValueError, match="Padding must be an int or a 1, 2, or 4 element tuple, not a 3"):
        F.pad(img, [1, 2, 3])
    with pytest.raises(ValueError, match="Padding mode should be either constant, edge, reflect or symm"):
        T.Pad(1, padding_mode="wrap")


def test_random_crop():
    img, a = rgb(10, 12)
    tr = T.RandomCrop(6, padding=2)
    x, y = run_twice(tr, img)
    assert x.size == (6, 6) and same(x, y)
    padded = np.pad(a, [(2, 2), (2, 2), (0, 0)])
    got = np.asarray(x)
    windows = np.lib.stride_tricks.sliding_window_view(padded, (6, 6, 3)).reshape(-1, 6, 6, 3)
    assert any(np.array_equal(w, got) for w in windows)
    # pad_if_needed pads both sides by the shortfall
    small = T.RandomCrop((14, 16), pad_if_needed=True, fill=255)(img)
    assert small.size == (16, 14)
    t = T.RandomCrop((3, 4))(ember.tensor(a.transpose(2, 0, 1).copy()))
    assert tuple(t.shape) == (3, 3, 4)
    assert T.RandomCrop.get_params(img, (10, 12)) == (0, 0, 10, 12)
    with pytest.raises(ValueError, match=r"Required crop size \(11, 12\) is larger than input image size "
                                         r"\(10, 12\)"):
        T.RandomCrop((11, 12))(img)
    assert repr(T.RandomCrop(6, padding=2)) == "RandomCrop(size=(6, 6), padding=2)"


def test_random_resized_crop():
    img, _ = rgb(40, 50)
    tr = T.RandomResizedCrop(16, scale=(0.2, 0.9), ratio=(0.5, 2.0))
    x, y = run_twice(tr, img)
    assert x.size == (16, 16) and same(x, y)
    ember.manual_seed(0)
    for _ in range(50):
        i, j, h, w = T.RandomResizedCrop.get_params(img, (0.2, 0.9), (0.5, 2.0))
        assert 0 <= i and 0 <= j and i + h <= 40 and j + w <= 50
        assert 0.15 * 2000 <= h * w <= 0.95 * 2000 and 0.4 <= w / h <= 2.2
    # nothing can be drawn (area > image): the centred fallback crop clipped to the ratio range
    assert T.RandomResizedCrop.get_params(img, (2.0, 3.0), (0.5, 0.6)) == (0, 13, 40, 24)
    t = tr(ember.tensor(np.asarray(img).transpose(2, 0, 1).copy()))
    assert tuple(t.shape) == (3, 16, 16) and t.dtype is ember.uint8
    with pytest.warns(UserWarning, match="Scale and ratio should be of kind"):
        T.RandomResizedCrop(4, scale=(0.9, 0.1))


def test_flips():
    img, a = rgb()
    assert np.array_equal(np.asarray(T.RandomHorizontalFlip(p=1.0)(img)), a[:, ::-1])
    assert np.array_equal(np.asarray(T.RandomVerticalFlip(p=1.0)(img)), a[::-1])
    assert T.RandomHorizontalFlip(p=0.0)(img) is img
    t = ember.tensor(a.transpose(2, 0, 1).copy())
    assert np.array_equal(F.hflip(t).numpy(), a.transpose(2, 0, 1)[:, :, ::-1])
    assert np.array_equal(F.vflip(t).numpy(), a.transpose(2, 0, 1)[:, ::-1])
    g = ember.tensor(np.arange(6.0).reshape(1, 2, 3), requires_grad=True)
    (F.hflip(g) * ember.tensor(np.array([[[1.0, 2.0, 3.0]]]))).sum().backward()
    assert np.array_equal(g.grad.numpy()[0, 0], [3.0, 2.0, 1.0])
    ember.manual_seed(1)
    flips = [same(T.RandomHorizontalFlip()(img), img) for _ in range(40)]
    assert 5 < sum(flips) < 35


def test_rotation_matches_pil_and_rot90():
    img, a = rgb(8, 8)
    t = ember.tensor(a.transpose(2, 0, 1).copy())
    r90 = T.RandomRotation((90, 90))
    assert np.array_equal(np.asarray(r90(img)), np.rot90(a, 1))
    assert np.array_equal(r90(t).numpy(), np.rot90(a, 1).transpose(2, 0, 1))
    for angle in (30.0, -17.0):
        assert np.array_equal(chw(F.rotate(img, angle)), F.rotate(t, angle).numpy())
        p = F.rotate(img, angle, expand=True)
        q = F.rotate(t, angle, expand=True)
        assert tuple(q.shape[1:]) == (p.height, p.width)
        assert np.array_equal(chw(p), q.numpy())
    bil = F.rotate(ember.tensor(np.ones((1, 6, 6), np.float32)), 45, T.InterpolationMode.BILINEAR, fill=[0.5])
    assert np.isclose(bil.numpy()[0, 3, 3], 1.0) and np.isclose(bil.numpy()[0, 0, 0], 0.5)
    filled = T.RandomRotation((45, 45), fill=(9, 8, 7))(img)
    assert tuple(np.asarray(filled)[0, 0]) == (9, 8, 7)
    x, y = run_twice(T.RandomRotation(40), img)
    assert same(x, y)
    with pytest.raises(ValueError, match="If degrees is a single number, it must be positive."):
        T.RandomRotation(-3)
    with pytest.raises(ValueError, match="degrees should be a sequence of length 2."):
        T.RandomRotation([1, 2, 3])


def test_affine_matches_pil():
    img, a = rgb(9, 11)
    t = ember.tensor(a.transpose(2, 0, 1).copy())
    cases = [dict(angle=0.0, translate=[2, -1], scale=1.0, shear=0.0),
             dict(angle=0.0, translate=[0, 0], scale=1.0, shear=[15.0, 0.0], center=[0, 0]),
             dict(angle=0.0, translate=[0, 0], scale=1.0, shear=[0.0, -10.0], center=[0, 0]),
             dict(angle=20.0, translate=[1, 1], scale=0.8, shear=[5.0, 5.0])]
    for kw in cases:
        assert np.array_equal(chw(F.affine(img, **kw)), F.affine(t, **kw).numpy()), kw
    x, y = run_twice(T.RandomAffine(10, translate=(0.1, 0.1), scale=(0.9, 1.1), shear=5), img)
    assert same(x, y)
    with pytest.raises(ValueError, match="Argument scale should be positive"):
        F.affine(img, 0.0, [0, 0], 0.0, 0.0)


# ---- colour ---------------------------------------------------------------------------------
def _float_img():
    return RNG.random((3, 6, 7)).astype(np.float32)


def test_color_tensor_formulas():
    x = _float_img()
    t = ember.tensor(x)
    gray = (np.float32(0.2989) * x[0] + np.float32(0.587) * x[1] + np.float32(0.114) * x[2])
    np.testing.assert_allclose(F.adjust_brightness(t, 1.4).numpy(), np.clip(x * 1.4, 0, 1), rtol=1e-6)
    m = gray.mean()
    np.testing.assert_allclose(F.adjust_contrast(t, 0.3).numpy(), np.clip(0.3 * x + 0.7 * m, 0, 1), atol=1e-6)
    np.testing.assert_allclose(F.adjust_saturation(t, 1.8).numpy(), np.clip(1.8 * x - 0.8 * gray, 0, 1),
                               atol=1e-6)
    np.testing.assert_allclose(F.rgb_to_grayscale(t).numpy()[0], gray, atol=1e-7)
    g3 = T.Grayscale(3)(t).numpy()
    assert g3.shape == (3, 6, 7) and np.array_equal(g3[0], g3[2])
    # hue against colorsys, pixel by pixel (a small image)
    out = F.adjust_hue(t, 0.25).numpy()
    for (i, j) in [(0, 0), (2, 3), (5, 6)]:
        h, s, v = colorsys.rgb_to_hsv(*x[:, i, j])
        np.testing.assert_allclose(out[:, i, j], colorsys.hsv_to_rgb((h + 0.25) % 1.0, s, v), atol=1e-5)
    np.testing.assert_allclose(F.adjust_hue(t, 0.0).numpy(), x, atol=1e-6)


def test_color_uint8_tensor_vs_pil():
    img, a = rgb(10, 11)
    t = ember.tensor(a.transpose(2, 0, 1).copy())
    for fn, arg, tol in [(F.adjust_brightness, 1.3, 0), (F.adjust_contrast, 0.6, 1),
                         (F.adjust_saturation, 1.7, 1), (F.adjust_sharpness, 1.9, 1), (F.posterize, 3, 0),
                         (F.solarize, 100, 0), (F.equalize, None, 0), (F.invert, None, 0),
                         (F.autocontrast, None, 1), (F.adjust_hue, 0.2, 12)]:  # PIL: 8-bit HSV
        args = () if arg is None else (arg,)
        p, q = chw(fn(img, *args)).astype(int), fn(t, *args).numpy()
        assert q.dtype == np.uint8 and np.abs(p - q).max() <= tol, fn.__name__
    assert np.array_equal(np.asarray(F.adjust_brightness(img, 1.3)), np.asarray(ImageEnhance.Brightness(img)
                                                                                  .enhance(1.3)))
    assert np.array_equal(np.asarray(F.equalize(img)), np.asarray(ImageOps.equalize(img)))
    assert np.array_equal(np.asarray(F.rgb_to_grayscale(img)), np.asarray(img.convert("L")))
    assert F.rgb_to_grayscale(img, 3).mode == "RGB"
    assert F.adjust_hue(img.convert("L"), 0.3).mode == "L"


def test_color_errors():
    img, _ = rgb()
    with pytest.raises(ValueError, match=r"brightness_factor \(-1\) is not non-negative."):
        F.adjust_brightness(img, -1)
    with pytest.raises(ValueError, match=r"hue_factor \(0.7\) is not in \[-0.5, 0.5\]."):
        F.adjust_hue(img, 0.7)
    with pytest.raises(TypeError, match=r"Input image tensor permitted channel values are \[1, 3\], but "
                                        "found 2"):
        F.adjust_brightness(ember.rand(2, 3, 3), 1.0)
    with pytest.raises(TypeError, match="Only torch.uint8 image tensors are supported, but found "
                                        "ember.float32"):
        F.posterize(ember.rand(3, 3, 3), 2)
    with pytest.raises(TypeError, match="Threshold should be less than bound of img."):
        F.solarize(ember.rand(3, 3, 3), 2.0)
    with pytest.raises(ValueError, match="num_output_channels should be either 1 or 3"):
        F.rgb_to_grayscale(img, 2)
    with pytest.raises(TypeError, match="img should be PIL Image"):
        F.adjust_contrast(np.zeros((3, 3)), 1.0)


def test_color_jitter():
    img, _ = rgb()
    cj = T.ColorJitter(brightness=(1.5, 1.5))
    assert same(cj(img), F.adjust_brightness(img, 1.5))
    tr = T.ColorJitter(0.4, 0.4, 0.4, 0.1)
    assert tr.brightness == (0.6, 1.4) and tr.hue == (-0.1, 0.1)
    x, y = run_twice(tr, img)
    assert same(x, y)
    xt, yt = run_twice(tr, ember.tensor(_float_img()))
    assert same(xt, yt) and xt.dtype is ember.float32
    assert T.ColorJitter().brightness is None and T.ColorJitter(hue=0).hue is None
    assert T.ColorJitter(brightness=2.0).brightness == (0.0, 3.0)
    with pytest.raises(ValueError, match="If brightness is a single number, it must be non negative."):
        T.ColorJitter(brightness=-0.1)
    with pytest.raises(ValueError, match=r"hue values should be between \(-0.5, 0.5\)"):
        T.ColorJitter(hue=0.6)
    with pytest.raises(TypeError, match="contrast should be a single number or a list/tuple with length 2."):
        T.ColorJitter(contrast=[1, 2, 3])
    assert repr(T.ColorJitter(0.1)) == \
        "ColorJitter(brightness=(0.9, 1.1), contrast=None, saturation=None, hue=None)"


# ---- containers -----------------------------------------------------------------------------
def test_compose_lambda_and_random_containers():
    img, _ = rgb()
    pipe = T.Compose([T.CenterCrop(8), T.ToTensor(), T.Lambda(lambda x: x * 2)])
    out = pipe(img)
    assert tuple(out.shape) == (3, 8, 8) and float(out.max()) <= 2.0
    assert repr(T.Compose([T.ToTensor(), T.Grayscale()])) == \
        "Compose(\n    ToTensor()\n    Grayscale(num_output_channels=1)\n)"
    with pytest.raises(TypeError, match="Argument lambd should be callable, got 'int'"):
        T.Lambda(3)
    add = T.Lambda(lambda v: v + 1)
    assert T.RandomApply([add, add], p=1.0)(0) == 2 and T.RandomApply([add], p=0.0)(0) == 0
    ember.manual_seed(0)
    picks = [T.RandomChoice([T.Lambda(lambda v: 0), T.Lambda(lambda v: 1)], p=[0.1, 0.9])(None)
             for _ in range(200)]
    assert 150 < sum(picks) < 200
    assert T.RandomChoice([add], p=[1.0])(1) == 2
    with pytest.raises(ValueError, match="Length of p doesn't match the number of transforms: 1 != 2"):
        T.RandomChoice([add, add], p=[1.0])
    with pytest.raises(TypeError, match="Argument transforms should be a sequence"):
        T.RandomApply(add)
    order = T.RandomOrder([T.Lambda(lambda v: v + "a"), T.Lambda(lambda v: v + "b")])
    ember.manual_seed(0)
    assert {order("") for _ in range(30)} == {"ab", "ba"}


# ---- AutoAugment ----------------------------------------------------------------------------
def test_autoaugment_policies_parse():
    for policy in AutoAugmentPolicy:
        subs = _parse_policy(_POLICIES[policy].strip())
        assert len(subs) == 25 and all(len(s) == 2 for s in subs)
    cifar = T.AutoAugment(AutoAugmentPolicy.CIFAR10).policies
    assert cifar[0] == (("Invert", 0.1, None), ("Contrast", 0.2, 6))
    assert cifar[-1] == (("TranslateY", 0.7, 9), ("AutoContrast", 0.9, None))
    assert T.AutoAugment().policies[0] == (("Posterize", 0.4, 8), ("Rotate", 0.6, 9))


def test_autoaugment_cifar10_pil_and_tensor():
    img, a = rgb(32, 32)
    aa = T.AutoAugment(AutoAugmentPolicy.CIFAR10)
    outs = []
    ember.manual_seed(5)
    for _ in range(30):
        o = aa(img)
        assert o.size == (32, 32) and o.mode == "RGB"
        outs.append(np.asarray(o))
    assert sum(not np.array_equal(o, a) for o in outs) > 10
    x, y = run_twice(aa, img, seed=11)
    assert same(x, y)
    t = ember.tensor(a.transpose(2, 0, 1).copy())
    xt, yt = run_twice(aa, t, seed=11)
    assert xt.dtype is ember.uint8 and tuple(xt.shape) == (3, 32, 32) and same(xt, yt)
    ft = ember.tensor(a.transpose(2, 0, 1) / np.float32(255))
    ember.manual_seed(2)
    for _ in range(20):
        o = T.AutoAugment(AutoAugmentPolicy.IMAGENET)(ft)
        assert o.dtype is ember.float32 and float(o.min()) >= 0 and float(o.max()) <= 1
    assert repr(aa) == "AutoAugment(policy=AutoAugmentPolicy.CIFAR10, fill=None)"


# magnitudes that put no sample exactly half-way between pixels: there PIL floors and the tensor
# path rounds half to even (torchvision's grid_sample), so the two may pick different neighbours
@pytest.mark.parametrize("op,mag", [("ShearX", 0.3), ("ShearY", -0.27), ("TranslateX", 5.0),
                                    ("TranslateY", -4.0), ("Rotate", 20.0), ("Posterize", 4),
                                    ("Solarize", 128.0), ("Invert", 0.0), ("Equalize", 0.0),
                                    ("Brightness", 0.5)])
def test_autoaugment_ops_pil_vs_tensor(op, mag):
    img, a = rgb(12, 12)
    p = chw(apply_op(img, op, mag, T.InterpolationMode.NEAREST, None))
    t = ember.tensor(a.transpose(2, 0, 1).copy())
    q = apply_op(t, op, mag, T.InterpolationMode.NEAREST, None).numpy()
    assert np.array_equal(p, q)
    with pytest.raises(ValueError, match="The provided operator Blur is not recognized."):
        apply_op(img, "Blur", 0.0, T.InterpolationMode.NEAREST, None)


# ---- determinism of a whole pipeline --------------------------------------------------------
def test_pipeline_reproducible_under_manual_seed():
    img, _ = rgb(32, 32)
    pipe = T.Compose([T.AutoAugment(AutoAugmentPolicy.CIFAR10), T.RandomCrop(32, padding=4),
                      T.RandomHorizontalFlip(), T.ColorJitter(0.2, 0.2, 0.2, 0.05), T.RandomRotation(15),
                      T.RandomResizedCrop(24), T.ToTensor(), T.Normalize((0.5,) * 3, (0.25,) * 3)])
    ember.manual_seed(42)
    first = [pipe(img).numpy() for _ in range(5)]
    ember.manual_seed(42)
    second = [pipe(img).numpy() for _ in range(5)]
    assert all(np.array_equal(x, y) for x, y in zip(first, second))
    assert not np.array_equal(first[0], first[1])
    assert first[0].shape == (3, 24, 24) and first[0].dtype == np.float32


# ---- utils ----------------------------------------------------------------------------------
def test_make_grid_layout():
    x = RNG.random((5, 3, 4, 6)).astype(np.float32)
    g = make_grid(ember.tensor(x), nrow=2, padding=1, pad_value=0.5).numpy()
    assert g.shape == (3, 3 * 5 + 1, 2 * 7 + 1)
    for k in range(5):
        r, c = divmod(k, 2)
        assert np.array_equal(g[:, r * 5 + 1:r * 5 + 5, c * 7 + 1:c * 7 + 7], x[k])
    assert np.all(g[:, 0] == 0.5) and np.all(g[:, 11:, 8:] == 0.5)  # borders and the empty cell
    one = make_grid(ember.tensor(x[:1]))
    assert np.array_equal(one.numpy(), x[0])
    gray = make_grid([ember.tensor(x[0, :1]), ember.tensor(x[1, :1])], padding=0).numpy()
    assert gray.shape == (3, 4, 12) and np.array_equal(gray[0], gray[2])


def test_make_grid_normalize_and_errors():
    x = RNG.normal(size=(4, 3, 2, 2)).astype(np.float32) * 5
    g = make_grid(ember.tensor(x), normalize=True, padding=0, nrow=4).numpy()
    assert np.isclose(g.min(), 0) and np.isclose(g.max(), 1)
    each = make_grid(ember.tensor(x), normalize=True, scale_each=True, padding=0, nrow=4).numpy()
    for k in range(4):
        cell = each[:, :, 2 * k:2 * k + 2]
        assert np.isclose(cell.min(), 0) and np.isclose(cell.max(), 1)
    vr = make_grid(ember.tensor(x), normalize=True, value_range=(-1.0, 1.0), padding=0, nrow=4).numpy()
    np.testing.assert_allclose(vr[:, :, :2], (np.clip(x[0], -1, 1) + 1) / 2, atol=1e-6)
    with pytest.raises(TypeError, match="value_range has to be a tuple"):
        make_grid(ember.tensor(x), normalize=True, value_range=[0, 1])
    with pytest.raises(TypeError, match="tensor or list of tensors expected"):
        make_grid(x)


def test_save_image(tmp_path):
    x = RNG.random((2, 3, 4, 5)).astype(np.float32)
    path = tmp_path / "grid.png"
    save_image(ember.tensor(x), path, padding=0)
    with Image.open(path) as im:
        got = np.asarray(im)
    ref = np.clip(x * 255 + 0.5, 0, 255).astype(np.uint8)
    assert got.shape == (4, 10, 3)
    assert np.array_equal(got[:, :5], ref[0].transpose(1, 2, 0))
    assert np.array_equal(got[:, 5:], ref[1].transpose(1, 2, 0))
