"""AutoAugment (Cubuk et al., 2018) with the policies learned on ImageNet, CIFAR-10 and SVHN.

Each policy is a list of sub-policies; a call picks one sub-policy at random and applies each of
its two operations with its probability, at the magnitude bin it names (of 10 bins)."""
import math
from enum import Enum

import numpy as np

from ... import _creation as C
from ... import _dtype as D
from ..._tensor import Tensor
from . import functional as F
from .functional import InterpolationMode
from .transforms import Transform

__all__ = ["AutoAugmentPolicy", "AutoAugment"]


class AutoAugmentPolicy(Enum):
    IMAGENET = "imagenet"
    CIFAR10 = "cifar10"
    SVHN = "svhn"


# Sub-policies separated by "|" or a line break, each two "operation probability bin" entries
# ("-": the operation takes no magnitude), as published with the paper
_POLICIES = {
    AutoAugmentPolicy.IMAGENET: """
        Posterize 0.4 8, Rotate 0.6 9 | Solarize 0.6 5, AutoContrast 0.6 - | Equalize 0.8 -, Equalize 0.6 -
        Posterize 0.6 7, Posterize 0.6 6 | Equalize 0.4 -, Solarize 0.2 4 | Equalize 0.4 -, Rotate 0.8 8
        Solarize 0.6 3, Equalize 0.6 - | Posterize 0.8 5, Equalize 1.0 - | Rotate 0.2 3, Solarize 0.6 8
        Equalize 0.6 -, Posterize 0.4 6 | Rotate 0.8 8, Color 0.4 0 | Rotate 0.4 9, Equalize 0.6 -
        Equalize 0.0 -, Equalize 0.8 - | Invert 0.6 -, Equalize 1.0 - | Color 0.6 4, Contrast 1.0 8
        Rotate 0.8 8, Color 1.0 2 | Color 0.8 8, Solarize 0.8 7 | Sharpness 0.4 7, Invert 0.6 -
        ShearX 0.6 5, Equalize 1.0 - | Color 0.4 0, Equalize 0.6 - | Equalize 0.4 -, Solarize 0.2 4
        Solarize 0.6 5, AutoContrast 0.6 - | Invert 0.6 -, Equalize 1.0 - | Color 0.6 4, Contrast 1.0 8
        Equalize 0.8 -, Equalize 0.6 -""",
    AutoAugmentPolicy.CIFAR10: """
        Invert 0.1 -, Contrast 0.2 6 | Rotate 0.7 2, TranslateX 0.3 9 | Sharpness 0.8 1, Sharpness 0.9 3
        ShearY 0.5 8, TranslateY 0.7 9 | AutoContrast 0.5 -, Equalize 0.9 - | ShearY 0.2 7, Posterize 0.3 7
        Color 0.4 3, Brightness 0.6 7 | Sharpness 0.3 9, Brightness 0.7 9 | Equalize 0.6 -, Equalize 0.5 -
        Contrast 0.6 7, Sharpness 0.6 5 | Color 0.7 7, TranslateX 0.5 8 | Equalize 0.3 -, AutoContrast 0.4 -
        TranslateY 0.4 3, Sharpness 0.2 6 | Brightness 0.9 6, Color 0.2 8 | Solarize 0.5 2, Invert 0.0 -
        Equalize 0.2 -, AutoContrast 0.6 - | Equalize 0.2 -, Equalize 0.6 - | Color 0.9 9, Equalize 0.6 -
        AutoContrast 0.8 -, Solarize 0.2 8 | Brightness 0.1 3, Color 0.7 0
        Solarize 0.4 5, AutoContrast 0.9 - | TranslateY 0.9 9, TranslateY 0.7 9
        AutoContrast 0.9 -, Solarize 0.8 3 | Equalize 0.8 -, Invert 0.1 -
        TranslateY 0.7 9, AutoContrast 0.9 -""",
    AutoAugmentPolicy.SVHN: """
        ShearX 0.9 4, Invert 0.2 - | ShearY 0.9 8, Invert 0.7 - | Equalize 0.6 -, Solarize 0.6 6
        Invert 0.9 -, Equalize 0.6 - | Equalize 0.6 -, Rotate 0.9 3 | ShearX 0.9 4, AutoContrast 0.8 -
        ShearY 0.9 8, Invert 0.4 - | ShearY 0.9 5, Solarize 0.2 6 | Invert 0.9 -, AutoContrast 0.8 -
        Equalize 0.6 -, Rotate 0.9 3 | ShearX 0.9 4, Solarize 0.3 3 | ShearY 0.8 8, Invert 0.7 -
        Equalize 0.9 -, TranslateY 0.6 6 | Invert 0.9 -, Equalize 0.6 - | Contrast 0.3 3, Rotate 0.8 4
        Invert 0.8 -, TranslateY 0.0 2 | ShearY 0.7 6, Solarize 0.4 8 | Invert 0.6 -, Rotate 0.8 4
        ShearY 0.3 7, TranslateX 0.9 3 | ShearX 0.1 6, Invert 0.6 - | Solarize 0.7 2, TranslateY 0.6 7
        ShearY 0.8 4, Invert 0.8 - | ShearX 0.7 9, TranslateY 0.8 3 | ShearY 0.8 5, AutoContrast 0.7 -
        ShearX 0.7 2, Invert 0.1 -""",
}


def _parse_policy(text):
    subs = []
    for sub in text.replace("\n", "|").split("|"):
        ops = []
        for op in sub.split(","):
            name, p, mag = op.split()
            ops.append((name, float(p), None if mag == "-" else int(mag)))
        subs.append(tuple(ops))
    return subs


def augmentation_space(num_bins, image_size):
    """op name -> (magnitudes per bin, whether the sign is random). image_size is (w, h)."""
    lin = np.linspace
    return {
        "ShearX": (lin(0.0, 0.3, num_bins), True),
        "ShearY": (lin(0.0, 0.3, num_bins), True),
        "TranslateX": (lin(0.0, 150.0 / 331.0 * image_size[0], num_bins), True),
        "TranslateY": (lin(0.0, 150.0 / 331.0 * image_size[1], num_bins), True),
        "Rotate": (lin(0.0, 30.0, num_bins), True),
        "Brightness": (lin(0.0, 0.9, num_bins), True),
        "Color": (lin(0.0, 0.9, num_bins), True),
        "Contrast": (lin(0.0, 0.9, num_bins), True),
        "Sharpness": (lin(0.0, 0.9, num_bins), True),
        "Posterize": (8 - np.round(np.arange(num_bins) / ((num_bins - 1) / 4)).astype(np.int64), False),
        "Solarize": (lin(255.0, 0.0, num_bins), False),
        "AutoContrast": (np.zeros(1), False),
        "Equalize": (np.zeros(1), False),
        "Invert": (np.zeros(1), False),
    }


def _via_uint8(img, fn):
    """Run a uint8-only op on a float tensor image by quantising to uint8 and back."""
    return F.convert_image_dtype(fn(F.convert_image_dtype(img, D.uint8)), img.dtype)


def apply_op(img, op_name, magnitude, interpolation, fill):
    if op_name == "ShearX":
        # shear by angle atan(magnitude): x' = x + magnitude * y, about the top-left corner
        return F.affine(img, angle=0.0, translate=[0, 0], scale=1.0,
                        shear=[math.degrees(math.atan(magnitude)), 0.0], interpolation=interpolation,
                        fill=fill, center=[0, 0])
    if op_name == "ShearY":
        return F.affine(img, angle=0.0, translate=[0, 0], scale=1.0,
                        shear=[0.0, math.degrees(math.atan(magnitude))], interpolation=interpolation,
                        fill=fill, center=[0, 0])
    if op_name == "TranslateX":
        return F.affine(img, angle=0.0, translate=[int(magnitude), 0], scale=1.0,
                        interpolation=interpolation, shear=[0.0, 0.0], fill=fill)
    if op_name == "TranslateY":
        return F.affine(img, angle=0.0, translate=[0, int(magnitude)], scale=1.0,
                        interpolation=interpolation, shear=[0.0, 0.0], fill=fill)
    if op_name == "Rotate":
        return F.rotate(img, magnitude, interpolation=interpolation, fill=fill)
    if op_name == "Brightness":
        return F.adjust_brightness(img, 1.0 + magnitude)
    if op_name == "Color":
        return F.adjust_saturation(img, 1.0 + magnitude)
    if op_name == "Contrast":
        return F.adjust_contrast(img, 1.0 + magnitude)
    if op_name == "Sharpness":
        return F.adjust_sharpness(img, 1.0 + magnitude)
    is_float = isinstance(img, Tensor) and img.is_floating_point()
    if op_name == "Posterize":
        bits = int(magnitude)
        return _via_uint8(img, lambda x: F.posterize(x, bits)) if is_float else F.posterize(img, bits)
    if op_name == "Solarize":
        # magnitudes are on the 8-bit scale; float images live in [0, 1]
        return F.solarize(img, magnitude / 255.0 if is_float else magnitude)
    if op_name == "AutoContrast":
        return F.autocontrast(img)
    if op_name == "Equalize":
        return _via_uint8(img, F.equalize) if is_float else F.equalize(img)
    if op_name == "Invert":
        return F.invert(img)
    if op_name == "Identity":
        return img
    raise ValueError(f"The provided operator {op_name} is not recognized.")


class AutoAugment(Transform):
    """AutoAugment for PIL images ("L" or "RGB") and tensor images (..., 1 or 3, H, W).

    torchvision accepts uint8 tensors only; float tensors work here too (Posterize and Equalize
    round-trip through uint8, Solarize's threshold is rescaled to [0, 1])."""

    def __init__(self, policy=AutoAugmentPolicy.IMAGENET, interpolation=InterpolationMode.NEAREST, fill=None):
        if not isinstance(policy, AutoAugmentPolicy):
            raise ValueError(f"The provided policy {policy} is not recognized.")
        self.policy = policy
        self.interpolation = F._interp(interpolation)
        self.fill = fill
        self.policies = _parse_policy(_POLICIES[policy].strip())

    @staticmethod
    def get_params(transform_num):
        """(sub-policy index, two probabilities, two signs)."""
        policy_id = int(C.randint(transform_num, (1,))._data[0])
        probs = C.rand((2,))._data
        signs = C.randint(2, (2,))._data
        return policy_id, probs, signs

    def forward(self, img):
        fill = self.fill
        if isinstance(img, Tensor):
            if isinstance(fill, (int, float)):
                fill = [float(fill)] * F.get_image_num_channels(img)
            elif fill is not None:
                fill = [float(f) for f in fill]
        policy_id, probs, signs = self.get_params(len(self.policies))
        for i, (op_name, p, bin_id) in enumerate(self.policies[policy_id]):
            if probs[i] <= np.float32(p):
                magnitudes, signed = augmentation_space(10, F.get_image_size(img))[op_name]
                magnitude = float(magnitudes[bin_id]) if bin_id is not None else 0.0
                if signed and signs[i] == 0:
                    magnitude = -magnitude
                img = apply_op(img, op_name, magnitude, self.interpolation, fill)
        return img

    def __repr__(self):
        return f"{self.__class__.__name__}(policy={self.policy}, fill={self.fill})"
