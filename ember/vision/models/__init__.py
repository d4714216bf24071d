"""torchvision.models' classification networks with torchvision's module names (its state dicts
load unchanged) and its weights API: ``resnet18(weights=None)`` builds a fresh network,
``resnet18(weights=ResNet18_Weights.DEFAULT)`` loads ImageNet weights through
:mod:`ember.hub` (cached, checksum checked), and ``weights.transforms()`` is the matching
preprocessing."""
from ._api import (
                          Weights,
                          WeightsEnum,
                          get_model,
                          get_model_builder,
                          get_model_weights,
                          get_weight,
                          list_models,
)
from .alexnet import AlexNet, AlexNet_Weights, alexnet
from .densenet import DenseNet, DenseNet121_Weights, densenet121
from .efficientnet import EfficientNet, EfficientNet_B0_Weights, efficientnet_b0
from .mobilenetv2 import MobileNet_V2_Weights, MobileNetV2, mobilenet_v2
from .mobilenetv3 import (
                          MobileNet_V3_Large_Weights,
                          MobileNet_V3_Small_Weights,
                          MobileNetV3,
                          mobilenet_v3_large,
                          mobilenet_v3_small,
)
from .resnet import ResNet, ResNet18_Weights, ResNet34_Weights, ResNet50_Weights, resnet18, resnet34, resnet50
from .squeezenet import SqueezeNet, SqueezeNet1_1_Weights, squeezenet1_1
from .vgg import VGG, VGG11_Weights, VGG16_Weights, vgg11, vgg16

__all__ = ["Weights", "WeightsEnum", "get_model", "get_model_builder", "get_model_weights",
           "get_weight", "list_models",
           "AlexNet", "AlexNet_Weights", "alexnet", "DenseNet", "DenseNet121_Weights",
           "densenet121", "EfficientNet", "EfficientNet_B0_Weights", "efficientnet_b0",
           "MobileNetV2", "MobileNet_V2_Weights", "mobilenet_v2", "MobileNetV3",
           "MobileNet_V3_Large_Weights", "MobileNet_V3_Small_Weights", "mobilenet_v3_large",
           "mobilenet_v3_small", "ResNet", "ResNet18_Weights", "ResNet34_Weights",
           "ResNet50_Weights", "resnet18", "resnet34", "resnet50", "SqueezeNet",
           "SqueezeNet1_1_Weights", "squeezenet1_1", "VGG", "VGG11_Weights", "VGG16_Weights",
           "vgg11", "vgg16"]
