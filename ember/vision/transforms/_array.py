"""NumPy kernels behind the tensor side of ``transforms.functional``.

Every function takes and returns a NumPy array of shape (..., C, H, W) (or (..., H, W) for the
geometric ones) and follows torchvision's tensor semantics: uint8 images live in [0, 255],
float images in [0, 1]; integer results are truncated where torchvision casts with ``.to()``
and rounded where it rounds (resize, sharpness blur).
"""
import math

import numpy as np


def bound(dtype):
    return 1.0 if dtype.kind == "f" else float(np.iinfo(dtype).max)


def work_dtype(dtype):
    """The float type arithmetic runs in: the image's own for floats, float32 for ints."""
    return dtype if dtype.kind == "f" else np.dtype(np.float32)


def cast_back(x, dtype, rnd):
    """Back to the image dtype; ``rnd`` rounds (torchvision's _cast_squeeze_out), else truncates."""
    if dtype.kind == "f":
        return x.astype(dtype, copy=False)
    if rnd:
        x = np.rint(x)
    info = np.iinfo(dtype)
    return np.clip(x, info.min, info.max).astype(dtype)


# ---- colour ---------------------------------------------------------------------------------
def blend(img1, img2, ratio):
    """ratio * img1 + (1 - ratio) * img2, clamped to the image range, in img1's dtype."""
    wd = work_dtype(img1.dtype)
    out = img1.astype(wd) * wd.type(ratio) + np.asarray(img2, dtype=wd) * wd.type(1.0 - ratio)
    return np.clip(out, 0, bound(img1.dtype)).astype(img1.dtype)


def grayscale(img, num_output_channels=1):
    """ITU-R 601-2 luma of an RGB image (..., 3, H, W) -> (..., n, H, W), in img's dtype."""
    if img.shape[-3] == 1:
        g = img
    else:
        wd = work_dtype(img.dtype)
        r, gr, b = img[..., 0, :, :], img[..., 1, :, :], img[..., 2, :, :]
        g = (wd.type(0.2989) * r + wd.type(0.587) * gr + wd.type(0.114) * b)
        g = g.astype(img.dtype)[..., None, :, :]
    if num_output_channels == 3:
        return np.broadcast_to(g, g.shape[:-3] + (3,) + g.shape[-2:]).copy()
    return g.copy() if g is img else g


def adjust_brightness(img, f):
    return blend(img, np.zeros((), img.dtype), f)


def adjust_contrast(img, f):
    wd = work_dtype(img.dtype)
    g = grayscale(img) if img.shape[-3] == 3 else img
    mean = g.astype(wd).mean(axis=(-3, -2, -1), keepdims=True)
    return blend(img, mean, f)


def adjust_saturation(img, f):
    if img.shape[-3] == 1:
        return img.copy()
    return blend(img, grayscale(img), f)


def _rgb_to_hsv(rgb):
    r, g, b = rgb[..., 0, :, :], rgb[..., 1, :, :], rgb[..., 2, :, :]
    maxc = rgb.max(axis=-3)
    minc = rgb.min(axis=-3)
    delta = maxc - minc
    flat = delta == 0
    s = delta / np.where(flat, 1, maxc)
    d = np.where(flat, 1, delta)
    rc, gc, bc = (maxc - r) / d, (maxc - g) / d, (maxc - b) / d
    # which channel holds the max decides the hue sector (red wins ties, then green)
    h = np.where(maxc == r, bc - gc, np.where(maxc == g, 2.0 + rc - bc, 4.0 + gc - rc))
    h = np.where(flat, 0, h)
    h = np.mod(h / 6.0 + 1.0, 1.0)
    return h, s, maxc


def _hsv_to_rgb(h, s, v):
    h6 = h * 6.0
    i = np.floor(h6)
    f = h6 - i
    i = i.astype(np.int64) % 6
    p = np.clip(v * (1.0 - s), 0.0, 1.0)
    q = np.clip(v * (1.0 - s * f), 0.0, 1.0)
    t = np.clip(v * (1.0 - s * (1.0 - f)), 0.0, 1.0)
    sectors = [i == k for k in range(6)]
    r = np.select(sectors, [v, q, p, p, t, v])
    g = np.select(sectors, [t, v, v, q, p, p])
    b = np.select(sectors, [p, p, t, v, v, q])
    return np.stack([r, g, b], axis=-3)


def adjust_hue(img, hue_factor):
    if img.shape[-3] == 1:
        return img.copy()
    x = img.astype(np.float32) / np.float32(255) if img.dtype.kind != "f" else img
    h, s, v = _rgb_to_hsv(x)
    h = np.mod(h + hue_factor, 1.0)
    out = _hsv_to_rgb(h.astype(x.dtype), s, v).astype(x.dtype)
    if img.dtype.kind != "f":
        return (out * np.float32(255)).astype(img.dtype)
    return out


def _smooth(img):
    """The 3x3 [[1,1,1],[1,5,1],[1,1,1]]/13 blur of the interior; the border is kept."""
    wd = work_dtype(img.dtype)
    x = img.astype(wd)
    H, W = x.shape[-2:]
    acc = 4 * x[..., 1:-1, 1:-1]
    for dy in range(3):
        for dx in range(3):
            acc = acc + x[..., dy:H - 2 + dy, dx:W - 2 + dx]
    out = img.copy()
    out[..., 1:-1, 1:-1] = cast_back(acc / wd.type(13.0), img.dtype, rnd=True)
    return out


def adjust_sharpness(img, f):
    if img.shape[-1] <= 2 or img.shape[-2] <= 2:
        return img.copy()
    return blend(img, _smooth(img), f)


def invert(img):
    return (bound(img.dtype) - img).astype(img.dtype) if img.dtype.kind == "f" else ~img


def posterize(img, bits):
    mask = np.uint8((0xFF << (8 - bits)) & 0xFF)
    return img & mask


def solarize(img, threshold):
    return np.where(img >= threshold, invert(img), img)


def autocontrast(img):
    wd = work_dtype(img.dtype)
    b = bound(img.dtype)
    lo = img.min(axis=(-2, -1), keepdims=True).astype(wd)
    hi = img.max(axis=(-2, -1), keepdims=True).astype(wd)
    flat = hi == lo
    scale = np.where(flat, 1, wd.type(b) / np.where(flat, 1, hi - lo)).astype(wd)
    lo = np.where(flat, 0, lo).astype(wd)
    return np.clip((img - lo) * scale, 0, b).astype(img.dtype)


def equalize(img):
    """Per-channel histogram equalisation of a uint8 image (PIL's ImageOps.equalize rule)."""
    H, W = img.shape[-2:]
    planes = img.reshape(-1, H * W)
    out = np.empty_like(planes)
    for k, plane in enumerate(planes):  # one histogram per channel plane
        hist = np.bincount(plane, minlength=256)
        nz = hist[hist != 0]
        step = int(nz[:-1].sum()) // 255
        if step == 0:
            out[k] = plane
            continue
        lut = (np.cumsum(hist) + step // 2) // step
        lut = np.concatenate([[0], lut[:-1]]).clip(0, 255).astype(np.uint8)
        out[k] = lut[plane]
    return out.reshape(img.shape)


# ---- geometry -------------------------------------------------------------------------------
def pad(img, left, top, right, bottom, fill=0, mode="constant"):
    """Pad (or, for negative amounts, crop) the last two dims."""
    H, W = img.shape[-2:]
    img = img[..., max(-top, 0):H - max(-bottom, 0), max(-left, 0):W - max(-right, 0)]
    widths = [(0, 0)] * (img.ndim - 2) + [(max(top, 0), max(bottom, 0)), (max(left, 0), max(right, 0))]
    if mode == "constant":
        return np.pad(img, widths, mode="constant", constant_values=fill)
    return np.pad(img, widths, mode=mode)


def crop(img, top, left, height, width):
    """Crop the last two dims; parts outside the image are zeros."""
    H, W = img.shape[-2:]
    bottom, right = top + height, left + width
    if top >= 0 and left >= 0 and bottom <= H and right <= W:
        return img[..., top:bottom, left:right]
    inner = img[..., min(max(top, 0), H):max(min(bottom, H), 0), min(max(left, 0), W):max(min(right, W), 0)]
    ih, iw = inner.shape[-2:]
    pt, pl = min(max(-top, 0), height), min(max(-left, 0), width)
    return pad(inner, pl, pt, width - iw - pl, height - ih - pt)


def _kernel(name):
    if name == "bilinear":
        return 1.0, lambda x: np.maximum(1.0 - np.abs(x), 0.0)

    def cubic(x, a=-0.5):  # PIL's (and torch's antialiased) bicubic uses a = -0.5
        x = np.abs(x)
        near = ((a + 2) * x - (a + 3)) * x * x + 1
        far = (((x - 5) * x + 8) * x - 4) * a
        return np.where(x < 1, near, np.where(x < 2, far, 0.0))
    return 2.0, cubic


def _aa_weights(n_in, n_out, name):
    """PIL-style resampling weights: the kernel widened by the downscale factor, taps kept
    inside the image, each row normalised. Returns (index (n_out, k), weight (n_out, k))."""
    support, fn = _kernel(name)
    scale = n_in / n_out
    fscale = max(scale, 1.0)
    support *= fscale
    center = (np.arange(n_out) + 0.5) * scale
    lo = np.clip((center - support + 0.5).astype(np.int64), 0, n_in)
    hi = np.clip((center + support + 0.5).astype(np.int64), 0, n_in)
    k = int((hi - lo).max()) if n_out else 0
    idx = lo[:, None] + np.arange(k)[None, :]
    w = fn((idx - center[:, None] + 0.5) / fscale)
    w = np.where(idx < hi[:, None], w, 0.0)
    tot = w.sum(axis=1, keepdims=True)
    w = w / np.where(tot == 0, 1, tot)
    return np.minimum(idx, n_in - 1), w


def _plain_weights(n_in, n_out, name):
    """torch.nn.functional.interpolate weights (align_corners=False, no antialias)."""
    scale = n_in / n_out
    src = (np.arange(n_out) + 0.5) * scale - 0.5
    if name == "bilinear":
        src = np.maximum(src, 0.0)
        i0 = np.floor(src).astype(np.int64)
        lam = src - i0
        idx = np.stack([i0, i0 + 1], axis=1)
        w = np.stack([1.0 - lam, lam], axis=1)
    else:  # bicubic, A = -0.75, border indices clamped
        i0 = np.floor(src).astype(np.int64)
        t = src - i0
        idx = i0[:, None] + np.arange(-1, 3)[None, :]
        a = -0.75
        d = np.abs(t[:, None] - np.arange(-1, 3)[None, :])
        w = np.where(d <= 1, ((a + 2) * d - (a + 3)) * d * d + 1,
                     np.where(d < 2, ((d - 5) * d + 8) * d * a - 4 * a, 0.0))
    return np.clip(idx, 0, n_in - 1), w


def _resample_axis(x, axis, n_out, name, antialias):
    n_in = x.shape[axis]
    if name in ("nearest", "nearest-exact"):
        off = 0.5 if name == "nearest-exact" else 0.0
        # float32 index arithmetic, as torch's nearest kernels
        pos = np.arange(n_out, dtype=np.float32) + np.float32(off)
        src = np.floor(pos * np.float32(n_in / n_out)).astype(np.int64)
        return np.take(x, np.minimum(src, n_in - 1), axis=axis)
    idx, w = (_aa_weights if antialias else _plain_weights)(n_in, n_out, name)
    x = np.moveaxis(x, axis, -1)
    out = (x[..., idx] * w.astype(x.dtype)).sum(axis=-1)
    return np.moveaxis(out, -1, axis)


def resize(img, h, w, name, antialias):
    """Resize the last two dims to (h, w) with 'nearest', 'nearest-exact', 'bilinear' or 'bicubic'."""
    dtype = img.dtype
    nearest = name.startswith("nearest")
    x = img if nearest or dtype.kind == "f" else img.astype(np.float32)
    if x.shape[-2] != h:
        x = _resample_axis(x, -2, h, name, antialias)
    if x.shape[-1] != w:
        x = _resample_axis(x, -1, w, name, antialias)
    return x if nearest else cast_back(x, dtype, rnd=True)


def affine_output_size(matrix, w, h):
    """The (w, h) that holds the whole transformed image (rotate with expand=True), as PIL."""
    m = np.asarray(matrix, dtype=np.float64).reshape(2, 3)
    corners = np.array([[-0.5 * w, -0.5 * h, 1.0], [-0.5 * w, 0.5 * h, 1.0],
                        [0.5 * w, 0.5 * h, 1.0], [0.5 * w, -0.5 * h, 1.0]])
    pts = corners @ m.T
    lo = pts.min(axis=0) + (0.5 * w, 0.5 * h)
    hi = pts.max(axis=0) + (0.5 * w, 0.5 * h)
    tol = 1e-4  # drop round-off so that ceil(3.0000000001) does not add a pixel
    size = np.ceil(np.trunc(hi / tol) * tol) - np.floor(np.trunc(lo / tol) * tol)
    return int(size[0]), int(size[1])


def warp_affine(img, matrix, out_w, out_h, name, fill):
    """Sample img (..., C, H, W) at inverse-affine positions, as torchvision's tensor affine.

    ``matrix`` maps output coordinates to input coordinates, both measured in pixels from the
    image centre. Outside samples are zeros, or ``fill`` (one value or one per channel)."""
    dtype = img.dtype
    wd = work_dtype(dtype)
    H, W = img.shape[-2:]
    a, b, c, d, e, f = matrix
    xs = np.arange(out_w) + 0.5 - out_w * 0.5
    ys = (np.arange(out_h) + 0.5 - out_h * 0.5)[:, None]
    # input pixel-index coordinates (pixel centres at integers)
    sx = a * xs + b * ys + c + W * 0.5 - 0.5
    sy = d * xs + e * ys + f + H * 0.5 - 0.5
    x = img.astype(wd, copy=False)
    if name == "nearest":
        ix, iy = np.rint(sx).astype(np.int64), np.rint(sy).astype(np.int64)
        inside = (ix >= 0) & (ix < W) & (iy >= 0) & (iy < H)
        out = x[..., np.clip(iy, 0, H - 1), np.clip(ix, 0, W - 1)] * inside
        mask = inside.astype(wd)
    else:
        x0, y0 = np.floor(sx).astype(np.int64), np.floor(sy).astype(np.int64)
        lx, ly = (sx - x0).astype(wd), (sy - y0).astype(wd)
        out = 0
        mask = 0
        for dy, wy in ((0, 1 - ly), (1, ly)):
            for dx, wx in ((0, 1 - lx), (1, lx)):
                xi, yi = x0 + dx, y0 + dy
                ok = (xi >= 0) & (xi < W) & (yi >= 0) & (yi < H)
                wgt = wx * wy * ok
                out = out + x[..., np.clip(yi, 0, H - 1), np.clip(xi, 0, W - 1)] * wgt
                mask = mask + wgt
    if fill is not None:
        fv = np.asarray(fill, dtype=wd).reshape(-1, 1, 1)
        if name == "nearest":
            out = np.where(mask < 0.5, fv, out)
        else:
            out = out * mask + (1 - mask) * fv
    return cast_back(np.asarray(out), dtype, rnd=True)


def inverse_affine_matrix(center, angle, translate, scale, shear):
    """Coefficients (a, b, c, d, e, f) of the map from output to input coordinates for
    the forward transform T(translate) . C . R(angle) . Sh(shear) . S(scale) . C^-1.

    R turns by ``angle`` degrees clockwise (y points down), the shear is x-shear then y-shear
    by angles in degrees, applied before the rotation."""
    rot = math.radians(angle)
    sx, sy = math.radians(shear[0]), math.radians(shear[1])
    R = np.array([[math.cos(rot), -math.sin(rot)], [math.sin(rot), math.cos(rot)]])
    shx = np.array([[1.0, -math.tan(sx)], [0.0, 1.0]])
    shy = np.array([[1.0, 0.0], [-math.tan(sy), 1.0]])
    M = np.eye(3)
    M[:2, :2] = R @ shy @ shx * scale
    cx, cy = center
    tx, ty = translate
    C = np.array([[1.0, 0, cx], [0, 1.0, cy], [0, 0, 1.0]])
    T = np.array([[1.0, 0, tx], [0, 1.0, ty], [0, 0, 1.0]])
    fwd = T @ C @ M @ np.linalg.inv(C)
    inv = np.linalg.inv(fwd)
    return [float(v) for v in inv[:2].reshape(-1)]
