"""Datasets with torchvision's API (``ember.vision.datasets`` ~ ``torchvision.datasets``)."""
from .cifar import CIFAR10, CIFAR100
from .digits import Digits
from .fakedata import FakeData
from .folder import DatasetFolder, ImageFolder
from .mnist import MNIST, FashionMNIST
from .mnist1d import MNIST1D
from .vision import VisionDataset

__all__ = ["CIFAR10", "CIFAR100", "DatasetFolder", "Digits", "FakeData", "FashionMNIST", "ImageFolder",
           "MNIST", "MNIST1D", "VisionDataset"]
