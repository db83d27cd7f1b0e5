"""The torchvision-layout models against torchvision itself, through the stored references (no torch needed).

For each model in ``../shared/reference/README.md``: the state dict's keys, order, shapes and dtypes
equal torchvision's manifest, the parameter and buffer counts equal, and with the deterministic
weights of ``reference_weights.py`` the eval-mode logits match torchvision's within 1e-4 of the
largest logit (float32). Batch norm in eval mode treats the two images independently, so the
heavy models are compared on the first image only.
"""
import importlib.util
from pathlib import Path

import numpy as np
import pytest

import barenet
from barenet.models import get_model

REFERENCE = Path(__file__).resolve().parents[2].parent / "shared" / "reference"

pytestmark = pytest.mark.skipif(
    not (REFERENCE / "reference_weights.py").is_file(),
    reason=f"torchvision reference data not found at {REFERENCE} (the shared/ folder beside the repository)",
)

# Forward cost on this project's 2-core CI machine decides how many of the two images each model runs.
LIGHT = ["alexnet", "googlenet", "resnet18", "resnet34", "resnet50", "mobilenet_v2", "squeezenet1_0"]
HEAVY = ["vgg11", "vgg16", "vgg19", "vgg16_bn", "resnet101", "resnet152"]


def _reference_weights():
    spec = importlib.util.spec_from_file_location("reference_weights", REFERENCE / "reference_weights.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module", params=LIGHT + [pytest.param(n, marks=pytest.mark.slow) for n in HEAVY])
def case(request):
    """``(name, manifest, model)``, the model built once for both tests of this module."""
    name = request.param
    # The reference weights replace VGG's init anyway: skip drawing its 130M normals.
    kwargs = {"init_weights": False} if name.startswith("vgg") else {}
    return name, _reference_weights().load_manifest(name), get_model(name, **kwargs)


def test_state_dict_matches_manifest(case):
    name, manifest, model = case
    ours = [(k, list(v.shape), str(v.dtype)) for k, v in model.state_dict().items()]
    theirs = [(e["name"], e["shape"], e["dtype"]) for e in manifest["state_dict"]]
    first_difference = next((pair for pair in zip(ours, theirs) if pair[0] != pair[1]), None)
    assert ours == theirs, f"{name}: first difference (barenet, torchvision) = {first_difference}"
    assert sum(p.numel() for p in model.parameters()) == manifest["num_parameters"]
    assert sum(b.numel() for b in model.buffers()) == manifest["num_buffers"]


def test_logits_match_torchvision(case):
    name, manifest, model = case
    model.load_state_dict(_reference_weights().reference_state_dict(manifest, seed=0))
    x = np.load(REFERENCE / "torchvision" / "input.npz")["x"]
    expected = np.load(REFERENCE / "torchvision" / f"{name}.npz")["logits"]
    images = len(x) if name in LIGHT else 1
    with barenet.no_grad():
        logits = model.eval()(barenet.tensor(x[:images])).numpy()
    assert logits.dtype == np.float32 and logits.shape == expected[:images].shape
    error = np.abs(logits - expected[:images]).max()
    scale = np.abs(expected).max()
    assert error <= 1e-4 * scale, f"{name}: max |barenet - torchvision| = {error:.3g} > 1e-4 x {scale:.3g}"


def test_another_models_reference_weights_are_refused():
    weights = _reference_weights()
    state = weights.reference_state_dict(weights.load_manifest("resnet34"), seed=0)
    with pytest.raises(RuntimeError, match=r"unexpected keys: layer1\.2\.conv1\.weight"):
        get_model("resnet18").load_state_dict(state)
