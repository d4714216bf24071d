"""Functional image transforms (torchvision.transforms.functional).

Each function takes a PIL image or an ember Tensor image (..., C, H, W) and returns the same
kind. PIL images go through Pillow, as torchvision does; tensors go through the NumPy kernels
in ``_array`` with torchvision's tensor semantics. Tensor results are new tensors outside the
autograd graph, except ``normalize``, ``crop`` and the flips, which stay differentiable when
their input requires grad.
"""
import numbers
import warnings
from enum import Enum

import numpy as np
from PIL import Image, ImageEnhance, ImageOps

from ... import _dtype as D
from ..._tensor import Tensor
from . import _array as A

__all__ = ["InterpolationMode", "get_dimensions", "get_image_size", "get_image_num_channels",
           "to_tensor", "pil_to_tensor", "to_pil_image", "convert_image_dtype", "normalize",
           "resize", "pad", "crop", "center_crop", "resized_crop", "hflip", "vflip", "rotate",
           "affine", "rgb_to_grayscale", "to_grayscale", "adjust_brightness", "adjust_contrast",
           "adjust_saturation", "adjust_hue", "adjust_sharpness", "posterize", "solarize",
           "autocontrast", "equalize", "invert"]


class InterpolationMode(Enum):
    NEAREST = "nearest"
    NEAREST_EXACT = "nearest-exact"
    BILINEAR = "bilinear"
    BICUBIC = "bicubic"
    BOX = "box"
    HAMMING = "hamming"
    LANCZOS = "lanczos"


_PIL_FILTER = {InterpolationMode.NEAREST: Image.Resampling.NEAREST,
               InterpolationMode.NEAREST_EXACT: Image.Resampling.NEAREST,
               InterpolationMode.BILINEAR: Image.Resampling.BILINEAR,
               InterpolationMode.BICUBIC: Image.Resampling.BICUBIC,
               InterpolationMode.BOX: Image.Resampling.BOX,
               InterpolationMode.HAMMING: Image.Resampling.HAMMING,
               InterpolationMode.LANCZOS: Image.Resampling.LANCZOS}
_FROM_PIL_INT = {int(v): k for k, v in _PIL_FILTER.items() if k is not InterpolationMode.NEAREST_EXACT}


def _interp(interpolation):
    """InterpolationMode from the enum or a Pillow integer constant (backward compatibility)."""
    if isinstance(interpolation, InterpolationMode):
        return interpolation
    if isinstance(interpolation, int) and interpolation in _FROM_PIL_INT:
        return _FROM_PIL_INT[interpolation]
    raise TypeError("Argument interpolation should be a InterpolationMode or a corresponding Pillow "
                    "integer constant")


# ---- helpers --------------------------------------------------------------------------------
def _is_pil(img):
    return isinstance(img, Image.Image)


def _np(t):
    """The host NumPy array behind an ember tensor."""
    a = t._data
    return a if isinstance(a, np.ndarray) else a.get()


def _out(arr, like):
    """A new tensor holding ``arr`` on ``like``'s device."""
    t = Tensor._wrap(arr)
    return t if like.device.type == "cpu" else t.to(like.device)


def _check_pil(img):
    if not _is_pil(img):
        raise TypeError(f"img should be PIL Image. Got {type(img)}")


def _check_tensor_image(img):
    if img.ndim < 2:
        raise TypeError("Tensor is not a torch image.")


def _check_channels(img, permitted):
    c = 1 if img.ndim == 2 else img.shape[-3]
    if c not in permitted:
        raise TypeError(f"Input image tensor permitted channel values are {permitted}, but found {c}")


def _check_3d(img):
    if img.ndim < 3:
        raise TypeError(f"Input image tensor should have at least 3 dimensions, but found {img.ndim}")


def _check_uint8(img):
    if img.dtype is not D.uint8:
        raise TypeError(f"Only torch.uint8 image tensors are supported, but found {img.dtype}")


def _pil_from_array(arr, mode=None):
    """A PIL image from an (H, W) or (H, W, C) array, in ``mode`` when given."""
    img = Image.fromarray(arr)
    if mode is None or img.mode == mode:
        return img
    h, w = arr.shape[:2]
    return Image.frombytes(mode, (w, h), np.ascontiguousarray(arr).tobytes())


def _parse_fill(fill, img):
    """Pillow's fillcolor for ``img`` from a number or a per-channel sequence."""
    channels = get_image_num_channels(img)
    if fill is None:
        fill = 0
    if isinstance(fill, (int, float)) and channels > 1:
        fill = (fill,) * channels
    if isinstance(fill, (list, tuple)):
        if len(fill) == 1:
            fill = tuple(fill) * channels
        elif len(fill) != channels:
            raise ValueError("The number of elements in 'fill' does not match the number of channels "
                             f"of the image ({len(fill)} != {channels})")
        fill = tuple(fill)
    if img.mode != "F":
        fill = tuple(int(v) for v in fill) if isinstance(fill, tuple) else int(fill)
    return fill


def _tensor_fill(fill, img):
    """The fill list the tensor warps use (None: outside samples are plain zeros)."""
    if fill is None:
        return None
    c = img.shape[-3] if img.ndim > 2 else 1
    fill = [float(fill)] if isinstance(fill, (int, float)) else [float(v) for v in fill]
    if len(fill) not in (1, c):
        raise ValueError("The number of elements in 'fill' cannot broadcast to match the number of "
                         f"channels of the image ({len(fill)} != {c})")
    return fill


def _chw(arr):
    """View a (H, W) array as (1, H, W) so the channel-wise kernels apply."""
    return arr[None] if arr.ndim == 2 else arr


# ---- introspection --------------------------------------------------------------------------
def get_dimensions(img):
    """[channels, height, width]."""
    if isinstance(img, Tensor):
        _check_tensor_image(img)
        c = 1 if img.ndim == 2 else img.shape[-3]
        return [c, img.shape[-2], img.shape[-1]]
    _check_pil(img)
    return [len(img.getbands()), img.height, img.width]


def get_image_size(img):
    """[width, height]."""
    c, h, w = get_dimensions(img)
    return [w, h]


def get_image_num_channels(img):
    return get_dimensions(img)[0]


# ---- conversion -----------------------------------------------------------------------------
_PIL_DTYPE = {"I": np.int32, "I;16": np.int16, "F": np.float32}
# modes whose raw bytes are one uint8 per band: read them straight from tobytes(), about twice
# as fast as np.asarray's array-interface path on small images
_BYTE_MODES = frozenset(("L", "P", "LA", "RGB", "RGBA", "RGBX", "CMYK", "YCbCr", "HSV", "LAB"))


def _pil_array(pic):
    """The pixels of a PIL image as a read-only array ((H, W) or (H, W, bands) for asarray)."""
    if pic.mode in _BYTE_MODES:
        return np.frombuffer(pic.tobytes(), np.uint8)
    return np.asarray(pic)


def to_tensor(pic):
    """PIL image or (H, W[, C]) ndarray -> C x H x W tensor; uint8 data is scaled to float [0, 1]."""
    if isinstance(pic, np.ndarray):
        if pic.ndim not in (2, 3):
            raise ValueError(f"pic should be 2/3 dimensional. Got {pic.ndim} dimensions.")
        arr = pic[:, :, None] if pic.ndim == 2 else pic
    elif _is_pil(pic):
        arr = _pil_array(pic)
        if pic.mode in _PIL_DTYPE:
            arr = arr.astype(_PIL_DTYPE[pic.mode])
        elif pic.mode == "1":
            arr = arr.astype(np.uint8) * np.uint8(255)
        arr = arr.reshape(pic.height, pic.width, len(pic.getbands()))
    else:
        raise TypeError(f"pic should be PIL Image or ndarray. Got {type(pic)}")
    chw = arr.transpose(2, 0, 1)
    if arr.dtype == np.uint8:
        # one copy into a contiguous float array, then scale in place (x / 255, as torch divides)
        ft = D.get_default_dtype().np
        out = chw.astype(ft, order="C")
        out /= ft.type(255)
        return Tensor._wrap(out)
    D.from_numpy_dtype(chw.dtype)  # ember's "can't convert np.ndarray of type ..." error
    return Tensor._wrap(np.ascontiguousarray(chw))


def pil_to_tensor(pic):
    """PIL image -> C x H x W tensor of the image's own type (uint8 for 8-bit modes)."""
    if not _is_pil(pic):
        raise TypeError(f"pic should be PIL Image. Got {type(pic)}")
    arr = _pil_array(pic).copy()
    if pic.mode == "1":
        arr = arr.astype(np.uint8) * np.uint8(255)
    elif arr.dtype == np.uint16:  # ember has no uint16: 16-bit images widen to int32
        arr = arr.astype(np.int32)
    arr = arr.reshape(pic.height, pic.width, len(pic.getbands()))
    return Tensor._wrap(arr.transpose(2, 0, 1))


def to_pil_image(pic, mode=None):
    """C x H x W tensor or H x W x C ndarray -> PIL image. Float tensors are scaled by 255."""
    if isinstance(pic, Tensor):
        if pic.ndim not in (2, 3):
            raise ValueError(f"pic should be 2/3 dimensional. Got {pic.ndim} dimensions.")
        arr = _np(pic.detach())
        arr = arr[None] if arr.ndim == 2 else arr
        if arr.shape[-3] > 4:
            raise ValueError(f"pic should not have > 4 channels. Got {arr.shape[-3]} channels.")
        if arr.dtype.kind == "f" and mode != "F":
            # torch's .mul(255).byte(): truncate, wrapping values outside [0, 256)
            with np.errstate(invalid="ignore", over="ignore"):
                arr = (arr * arr.dtype.type(255)).astype(np.int64).astype(np.uint8)
        arr = arr.transpose(1, 2, 0)
    elif isinstance(pic, np.ndarray):
        if pic.ndim not in (2, 3):
            raise ValueError(f"pic should be 2/3 dimensional. Got {pic.ndim} dimensions.")
        arr = pic[:, :, None] if pic.ndim == 2 else pic
        if arr.shape[-1] > 4:
            raise ValueError(f"pic should not have > 4 channels. Got {arr.shape[-1]} channels.")
    else:
        raise TypeError(f"pic should be Tensor or ndarray. Got {type(pic)}.")

    c = arr.shape[2]
    if c == 1:
        arr = arr[:, :, 0]
        expected = {np.dtype(np.uint8): "L", np.dtype(np.int16): "I;16", np.dtype(np.uint16): "I;16",
                    np.dtype(np.int32): "I", np.dtype(np.float32): "F"}.get(arr.dtype)
        if mode is not None and mode != expected:
            raise ValueError(f"Incorrect mode ({mode}) supplied for input type {arr.dtype}. "
                             f"Should be {expected}")
        mode = expected
    else:
        permitted, default = {2: (["LA"], "LA"), 3: (["RGB", "YCbCr", "HSV"], "RGB"),
                              4: (["RGBA", "CMYK", "RGBX"], "RGBA")}[c]
        if mode is not None and mode not in permitted:
            raise ValueError(f"Only modes {permitted} are supported for {c}D inputs")
        if mode is None and arr.dtype == np.uint8:
            mode = default
    if mode is None:
        raise TypeError(f"Input type {arr.dtype} is not supported")
    if mode == "I;16":
        arr = arr.astype("<u2")
    return _pil_from_array(np.ascontiguousarray(arr), mode)


def convert_image_dtype(image, dtype=D.float32):
    """Convert a tensor image to ``dtype``, rescaling values (uint8 [0, 255] <-> float [0, 1])."""
    if not isinstance(image, Tensor):
        raise TypeError("Input img should be Tensor Image")
    if image.dtype is dtype:
        return image
    src, dst = image._data.dtype, dtype.np
    arr = _np(image)
    if src.kind == "f":
        if dst.kind == "f":
            return _out(arr.astype(dst), image)
        if (src == np.float32 and dst in (np.int32, np.int64)) or (src == np.float64 and dst == np.int64):
            raise RuntimeError(f"The cast from {image.dtype} to {dtype} cannot be performed safely.")
        eps = 1e-3
        top = float(np.iinfo(dst).max)
        return _out((arr * (top + 1.0 - eps)).astype(dst), image)
    if dst.kind == "f":
        return _out((arr.astype(dst) / dst.type(np.iinfo(src).max)), image)
    # int -> int: shift by the difference in bit width
    sb, db = np.iinfo(src).bits - (src.kind == "i"), np.iinfo(dst).bits - (dst.kind == "i")
    if sb > db:
        return _out((arr >> (sb - db)).astype(dst), image)
    return _out(arr.astype(dst) << (db - sb), image)


_STATS = {}  # (mean, std, dtype) -> their arrays shaped (C, 1, 1): Normalize runs per sample


def _norm_stats(mean, std, tensor):
    arr = tensor._data
    key = None
    if isinstance(arr, np.ndarray) and isinstance(mean, (tuple, list, float, int)) \
            and isinstance(std, (tuple, list, float, int)):
        key = (tuple(mean) if isinstance(mean, list) else mean,
               tuple(std) if isinstance(std, list) else std, arr.dtype)
        try:
            hit = _STATS.get(key)
        except TypeError:  # nested sequences: not hashable, no caching
            hit = key = None
        if hit is not None:
            return hit
    xp = tensor._xp
    m = xp.asarray(mean._data if isinstance(mean, Tensor) else mean, dtype=arr.dtype)
    s = xp.asarray(std._data if isinstance(std, Tensor) else std, dtype=arr.dtype)
    if bool((s == 0).any()):
        raise ValueError(f"std evaluated to zero after conversion to {tensor.dtype}, leading to "
                         "division by zero.")
    if m.ndim == 1:
        m = m.reshape(-1, 1, 1)
    if s.ndim == 1:
        s = s.reshape(-1, 1, 1)
    if key is not None:
        if len(_STATS) > 64:
            _STATS.clear()
        _STATS[key] = (m, s)
    return m, s


def normalize(tensor, mean, std, inplace=False):
    """(x - mean) / std per channel of a float tensor image (..., C, H, W)."""
    if not isinstance(tensor, Tensor):
        raise TypeError(f"img should be Tensor Image. Got {type(tensor)}")
    if not tensor.is_floating_point():
        raise TypeError(f"Input tensor should be a float tensor. Got {tensor.dtype}.")
    if tensor.ndim < 3:
        raise ValueError("Expected tensor to be a tensor image of size (..., C, H, W). Got "
                         f"tensor.size() = {tensor.size()}.")
    arr = tensor._data
    m, s = _norm_stats(mean, std, tensor)
    if tensor.requires_grad:
        # differentiable path through ember ops (in-place follows autograd's rules)
        mt, st = Tensor._wrap(m), Tensor._wrap(s)
        return tensor.sub_(mt).div_(st) if inplace else (tensor - mt) / st
    if inplace:
        arr -= m
        arr /= s
        tensor._vc.value += 1
        return tensor
    out = arr - m
    out /= s
    return Tensor._wrap(out)


# ---- geometry -------------------------------------------------------------------------------
def _output_size(h, w, size, max_size):
    """torchvision's rule: an int (or [int]) matches the shorter edge, keeping the aspect ratio."""
    if len(size) == 2:
        return [size[0], size[1]]
    short, long = (w, h) if w <= h else (h, w)
    new_short = size[0]
    new_long = int(new_short * long / short)
    if max_size is not None:
        if max_size <= new_short:
            raise ValueError(f"max_size = {max_size} must be strictly greater than the requested size "
                             f"for the smaller edge size = {size}")
        if new_long > max_size:
            new_short, new_long = int(max_size * new_short / new_long), max_size
    return [new_long, new_short] if w <= h else [new_short, new_long]


def resize(img, size, interpolation=InterpolationMode.BILINEAR, max_size=None, antialias=True):
    """Resize to ``size`` ((h, w), or an int for the shorter edge)."""
    interpolation = _interp(interpolation)
    if isinstance(size, (list, tuple)):
        if len(size) not in (1, 2):
            raise ValueError("Size must be an int or a 1 or 2 element tuple/list, not a "
                             f"{len(size)} element tuple/list")
        if max_size is not None and len(size) != 1:
            raise ValueError("max_size should only be passed if size specifies the length of the smaller "
                             "edge, i.e. size should be an int or a sequence of length 1 in torchscript "
                             "mode.")
        size = list(size)
    elif isinstance(size, numbers.Integral):
        size = [int(size)]
    else:
        raise TypeError(f"Size should be int or sequence. Got {type(size)}")
    _, h, w = get_dimensions(img)
    oh, ow = _output_size(h, w, size, max_size)
    if (oh, ow) == (h, w):
        return img
    if _is_pil(img):
        if antialias is False:
            warnings.warn("Anti-alias option is always applied for PIL Image input. Argument antialias is "
                          "ignored.")
        return img.resize((ow, oh), _PIL_FILTER[interpolation])
    name = interpolation.value
    if name not in ("nearest", "nearest-exact", "bilinear", "bicubic"):
        raise ValueError(f"Interpolation mode '{name}' is unsupported with Tensor input")
    arr = _np(img.detach())
    return _out(A.resize(arr, oh, ow, name, bool(antialias)), img)


def _padding_ltrb(padding):
    if isinstance(padding, numbers.Number):
        p = [int(padding)] * 4
    elif len(padding) == 1:
        p = [int(padding[0])] * 4
    elif len(padding) == 2:
        p = [int(padding[0]), int(padding[1])] * 2
    else:
        p = [int(v) for v in padding]
    return p


def pad(img, padding, fill=0, padding_mode="constant"):
    """Pad all sides: padding is an int, (left/right, top/bottom) or (left, top, right, bottom).
    Negative padding crops."""
    if not isinstance(padding, (numbers.Number, tuple, list)):
        raise TypeError("Got inappropriate padding arg")
    if not isinstance(fill, (numbers.Number, tuple, list)):
        raise TypeError("Got inappropriate fill arg")
    if not isinstance(padding_mode, str):
        raise TypeError("Got inappropriate padding_mode arg")
    if isinstance(padding, (tuple, list)) and len(padding) not in (1, 2, 4):
        raise ValueError("Padding must be an int or a 1, 2, or 4 element tuple, not a "
                         f"{len(padding)} element tuple")
    if padding_mode not in ("constant", "edge", "reflect", "symmetric"):
        raise ValueError("Padding mode should be either constant, edge, reflect or symmetric")
    l, t, r, b = _padding_ltrb(padding)
    if isinstance(img, Tensor):
        _check_tensor_image(img)
        if not isinstance(fill, numbers.Number):
            raise TypeError("Got inappropriate fill arg")
        return _out(A.pad(_np(img.detach()), l, t, r, b, fill, padding_mode), img)
    _check_pil(img)
    if min(l, t, r, b) < 0:  # negative amounts crop first
        img = img.crop((max(-l, 0), max(-t, 0), img.width - max(-r, 0), img.height - max(-b, 0)))
        l, t, r, b = max(l, 0), max(t, 0), max(r, 0), max(b, 0)
    palette = img.getpalette() if img.mode == "P" else None
    if padding_mode == "constant":
        out = ImageOps.expand(img, border=(l, t, r, b), fill=_parse_fill(fill, img))
    else:
        arr = np.asarray(img)
        widths = [(t, b), (l, r)] + [(0, 0)] * (arr.ndim - 2)
        out = _pil_from_array(np.pad(arr, widths, mode=padding_mode), img.mode)
    if palette is not None:
        out.putpalette(palette)
    return out


def crop(img, top, left, height, width):
    """The region [top, top + height) x [left, left + width); outside the image is zeros."""
    if isinstance(img, Tensor):
        _check_tensor_image(img)
        H, W = img.shape[-2:]
        inside = top >= 0 and left >= 0 and top + height <= H and left + width <= W
        if inside and img.requires_grad:
            return img[..., top:top + height, left:left + width]
        if inside:
            return img._view_of(img._data[..., top:top + height, left:left + width])
        return _out(A.crop(_np(img.detach()), top, left, height, width), img)
    _check_pil(img)
    return img.crop((left, top, left + width, top + height))


def _pair(size, what="size"):
    if isinstance(size, numbers.Number):
        return int(size), int(size)
    if isinstance(size, (tuple, list)) and len(size) == 1:
        return int(size[0]), int(size[0])
    if isinstance(size, (tuple, list)) and len(size) == 2:
        return int(size[0]), int(size[1])
    raise ValueError(f"Please provide only two dimensions (h, w) for {what}.")


def center_crop(img, output_size):
    """Crop the centre; an image smaller than ``output_size`` is zero-padded first."""
    ch, cw = _pair(output_size, "size")
    _, h, w = get_dimensions(img)
    if ch > h or cw > w:
        pl = (cw - w) // 2 if cw > w else 0
        pt = (ch - h) // 2 if ch > h else 0
        pr = (cw - w + 1) // 2 if cw > w else 0
        pb = (ch - h + 1) // 2 if ch > h else 0
        img = pad(img, [pl, pt, pr, pb], fill=0)
        _, h, w = get_dimensions(img)
        if (ch, cw) == (h, w):
            return img
    top = int(round((h - ch) / 2.0))
    left = int(round((w - cw) / 2.0))
    return crop(img, top, left, ch, cw)


def resized_crop(img, top, left, height, width, size, interpolation=InterpolationMode.BILINEAR,
                 antialias=True):
    return resize(crop(img, top, left, height, width), size, interpolation, antialias=antialias)


def _flip(img, axis, pil_method):
    if isinstance(img, Tensor):
        _check_tensor_image(img)
        if img.requires_grad:
            from ..._creation import arange
            n = img.shape[axis]
            return img.index_select(axis, arange(n - 1, -1, -1))
        return _out(np.flip(_np(img), axis).copy(), img)
    _check_pil(img)
    return img.transpose(pil_method)


def hflip(img):
    return _flip(img, -1, Image.Transpose.FLIP_LEFT_RIGHT)


def vflip(img):
    return _flip(img, -2, Image.Transpose.FLIP_TOP_BOTTOM)


def _tensor_warp(img, matrix, ow, oh, interpolation, fill):
    name = interpolation.value
    if name not in ("nearest", "bilinear"):
        raise ValueError(f"Interpolation mode '{name}' is unsupported with Tensor input")
    arr = _np(img.detach())
    squeeze = arr.ndim == 2
    out = A.warp_affine(_chw(arr), matrix, ow, oh, name, _tensor_fill(fill, img))
    return _out(out[0] if squeeze else out, img)


def rotate(img, angle, interpolation=InterpolationMode.NEAREST, expand=False, center=None, fill=None):
    """Rotate by ``angle`` degrees counter-clockwise about ``center`` (default: the centre)."""
    interpolation = _interp(interpolation)
    if not isinstance(angle, (int, float)):
        raise TypeError("Argument angle should be int or float")
    if center is not None and not isinstance(center, (list, tuple)):
        raise TypeError("Argument center should be a sequence")
    if _is_pil(img):
        return img.rotate(angle, _PIL_FILTER[interpolation], expand, center,
                          fillcolor=_parse_fill(fill, img))
    if not isinstance(img, Tensor):
        _check_pil(img)
    _, h, w = get_dimensions(img)
    c = [0.0, 0.0] if center is None else [cv - s * 0.5 for cv, s in zip(center, (w, h))]
    matrix = A.inverse_affine_matrix(c, -angle, [0.0, 0.0], 1.0, [0.0, 0.0])
    ow, oh = A.affine_output_size(matrix, w, h) if expand else (w, h)
    return _tensor_warp(img, matrix, ow, oh, interpolation, fill)


def affine(img, angle, translate, scale, shear, interpolation=InterpolationMode.NEAREST, fill=None,
           center=None):
    """Rotate (clockwise, degrees), scale, shear (degrees) about ``center``, then translate."""
    interpolation = _interp(interpolation)
    if not isinstance(angle, (int, float)):
        raise TypeError("Argument angle should be int or float")
    if not isinstance(translate, (list, tuple)):
        raise TypeError("Argument translate should be a sequence")
    if len(translate) != 2:
        raise ValueError("Argument translate should be a sequence of length 2")
    if scale <= 0.0:
        raise ValueError("Argument scale should be positive")
    if not isinstance(shear, (numbers.Number, list, tuple)):
        raise TypeError("Shear should be either a single value or a sequence of two values")
    if center is not None and not isinstance(center, (list, tuple)):
        raise TypeError("Argument center should be a sequence")
    if isinstance(shear, numbers.Number):
        shear = [float(shear), 0.0]
    shear = list(shear)
    if len(shear) == 1:
        shear = [shear[0], shear[0]]
    if len(shear) != 2:
        raise ValueError(f"Shear should be a sequence containing two values. Got {shear}")
    _, h, w = get_dimensions(img)
    if _is_pil(img):
        c = [w * 0.5, h * 0.5] if center is None else list(center)
        matrix = A.inverse_affine_matrix(c, angle, translate, scale, shear)
        return img.transform((w, h), Image.Transform.AFFINE, matrix, _PIL_FILTER[interpolation],
                             fillcolor=_parse_fill(fill, img))
    c = [0.0, 0.0] if center is None else [cv - s * 0.5 for cv, s in zip(center, (w, h))]
    matrix = A.inverse_affine_matrix(c, angle, [float(t) for t in translate], scale, shear)
    return _tensor_warp(img, matrix, w, h, interpolation, fill)


# ---- colour ---------------------------------------------------------------------------------
def rgb_to_grayscale(img, num_output_channels=1):
    if num_output_channels not in (1, 3):
        raise ValueError("num_output_channels should be either 1 or 3")
    if isinstance(img, Tensor):
        _check_3d(img)
        _check_channels(img, [1, 3])
        return _out(A.grayscale(_np(img.detach()), num_output_channels), img)
    _check_pil(img)
    g = img.convert("L")
    if num_output_channels == 3:
        a = np.asarray(g)
        return Image.fromarray(np.stack([a, a, a], axis=-1))
    return g


def to_grayscale(img, num_output_channels=1):
    return rgb_to_grayscale(img, num_output_channels)


def _color(img, factor, name, kernel, enhancer, permitted=(1, 3)):
    if factor < 0:
        raise ValueError(f"{name} ({factor}) is not non-negative.")
    if isinstance(img, Tensor):
        _check_tensor_image(img)
        _check_channels(img, list(permitted))
        arr = _np(img.detach())
        out = kernel(_chw(arr), factor)
        return _out(out[0] if arr.ndim == 2 else out, img)
    _check_pil(img)
    return enhancer(img).enhance(factor)


def adjust_brightness(img, brightness_factor):
    return _color(img, brightness_factor, "brightness_factor", A.adjust_brightness, ImageEnhance.Brightness)


def adjust_contrast(img, contrast_factor):
    return _color(img, contrast_factor, "contrast_factor", A.adjust_contrast, ImageEnhance.Contrast,
                  (3, 1))


def adjust_saturation(img, saturation_factor):
    return _color(img, saturation_factor, "saturation_factor", A.adjust_saturation, ImageEnhance.Color)


def adjust_sharpness(img, sharpness_factor):
    return _color(img, sharpness_factor, "sharpness_factor", A.adjust_sharpness, ImageEnhance.Sharpness)


def adjust_hue(img, hue_factor):
    """Shift the hue by ``hue_factor`` of a full turn, in [-0.5, 0.5]."""
    if not -0.5 <= hue_factor <= 0.5:
        raise ValueError(f"hue_factor ({hue_factor}) is not in [-0.5, 0.5].")
    if isinstance(img, Tensor):
        _check_tensor_image(img)
        _check_channels(img, [1, 3])
        arr = _np(img.detach())
        out = A.adjust_hue(_chw(arr), hue_factor)
        return _out(out[0] if arr.ndim == 2 else out, img)
    _check_pil(img)
    mode = img.mode
    if mode in ("L", "1", "I", "F"):
        return img
    h, s, v = img.convert("HSV").split()
    shift = np.uint8(int(hue_factor * 255) % 256)  # hue is 8-bit and wraps around
    h = Image.fromarray(np.asarray(h) + shift)
    return Image.merge("HSV", (h, s, v)).convert(mode)


def _uint8_op(img, tensor_fn, pil_fn, uint8_only):
    if isinstance(img, Tensor):
        _check_3d(img)
        if uint8_only:
            _check_uint8(img)
        _check_channels(img, [1, 3])
        return _out(tensor_fn(_np(img.detach())), img)
    _check_pil(img)
    return pil_fn(img)


def posterize(img, bits):
    """Keep the top ``bits`` bits of each channel."""
    if not 0 <= bits <= 8:
        raise ValueError(f"The number if bits should be between 0 and 8. Got {bits}")
    return _uint8_op(img, lambda a: A.posterize(a, bits), lambda i: ImageOps.posterize(i, bits), True)


def solarize(img, threshold):
    """Invert the pixels at or above ``threshold``."""
    if isinstance(img, Tensor) and threshold > A.bound(img._data.dtype):
        raise TypeError("Threshold should be less than bound of img.")
    return _uint8_op(img, lambda a: A.solarize(a, threshold), lambda i: ImageOps.solarize(i, threshold),
                     False)


def autocontrast(img):
    return _uint8_op(img, A.autocontrast, ImageOps.autocontrast, False)


def equalize(img):
    return _uint8_op(img, A.equalize, ImageOps.equalize, True)


def invert(img):
    return _uint8_op(img, A.invert, ImageOps.invert, False)
