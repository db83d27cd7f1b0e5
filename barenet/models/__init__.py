"""The model zoo: one file per family, every builder registered by name.

Example:
    >>> from barenet import models
    >>> "lenet5" in models.list_models()
    True
"""
from . import alexnet, googlenet, highway, lenet, mobilenet, nin, resnet, resnet_cifar, squeezenet, vgg, zfnet  # noqa: F401
from .registry import get_model, get_model_builder, list_models, register_model

__all__ = ["get_model", "get_model_builder", "list_models", "register_model"]
