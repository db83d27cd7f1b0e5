"""Shared by the analysis tests: the reference manifests, and zoo models built without random weights."""
import json
from pathlib import Path

import pytest

from barenet import models
from barenet.nn import init

REFERENCE = Path(__file__).resolve().parents[2].parent / "shared" / "reference" / "torchvision"
MANIFEST_MODELS = ["alexnet", "vgg11", "vgg16", "vgg19", "vgg16_bn", "googlenet", "resnet18", "resnet34", "resnet50",
                   "resnet101", "resnet152", "mobilenet_v2", "squeezenet1_0"]
RANDOM_INITS = ("uniform_", "normal_", "trunc_normal_", "kaiming_uniform_", "kaiming_normal_", "xavier_uniform_",
                "xavier_normal_", "default_layer_init_")


def zero_fill(tensor, *args, **kwargs):
    """Stands in for a random init: zeros in every tensor argument."""
    for t in (tensor, *args):
        if hasattr(t, "data") and hasattr(t.data, "fill"):
            t.data.fill(0)
    return tensor


def fast_builder(monkeypatch):
    """``models.get_model`` with the random inits replaced by zeros while ``monkeypatch`` lasts.

    Counting needs only the architecture; drawing VGG-19's 143 million weights takes seconds.
    """
    for name in RANDOM_INITS:
        monkeypatch.setattr(init, name, zero_fill)
    return models.get_model


def load_manifest(name: str) -> dict:
    path = REFERENCE / f"{name}.json"
    if not path.exists():
        pytest.skip(f"reference manifests not found at {REFERENCE}")
    return json.loads(path.read_text())
