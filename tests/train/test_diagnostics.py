"""The diagnostics callback: vanishing gradients in a deep sigmoid net, dead ReLUs, saturation."""
from __future__ import annotations

import csv

import numpy as np
import pytest

from barenet import manual_seed, nn, optim
from barenet.cli.main import main
from barenet.data import DataLoader, TensorDataset
from barenet.train import Trainer
from barenet.train.diagnostics import Diagnostics


def _fit(model, rng, run_dir=None, epochs=1, features=16) -> Diagnostics:
    x = rng.standard_normal((128, features)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.int64)
    loader = DataLoader(TensorDataset(x, y), batch_size=32)
    diagnostics = Diagnostics(model)
    trainer = Trainer(model, optim.SGD(model.parameters(), lr=0.01), progress=False, log=None,
                      run_dir=run_dir, callbacks=[diagnostics])
    trainer.fit(loader, loader, epochs=epochs)
    return diagnostics


def _mlp(activation, depth: int, width: int = 16) -> nn.Sequential:
    layers = []
    for _ in range(depth):
        layers += [nn.Linear(width, width), activation()]
    return nn.Sequential(*layers, nn.Linear(width, 2))


def test_deep_sigmoid_net_gradients_vanish_towards_the_input(rng):
    manual_seed(0)
    model = _mlp(nn.Sigmoid, depth=8)
    ratios = _fit(model, rng).latest("grad_weight_ratio")
    names = [f"{2 * i}" for i in range(8)] + ["16"]
    assert list(ratios) == names
    # Each sigmoid multiplies the backward signal by at most 0.25: eight of them, orders of magnitude.
    assert ratios["0"] < 1e-3 * ratios["16"]


def test_relu_with_a_hugely_negative_bias_is_all_dead(rng):
    manual_seed(0)
    model = nn.Sequential(nn.Linear(16, 32), nn.ReLU(), nn.Linear(32, 32), nn.ReLU(), nn.Linear(32, 2))
    model[0].bias.data[...] = -1e3
    dead = _fit(model, rng).latest("dead_relu")
    assert dead["1"] == 1.0
    # The next ReLU sees only zeros, so its own bias decides which of its units fire.
    assert dead["3"] == pytest.approx(np.mean(model[2].bias.numpy() <= 0), abs=1 / 32)
    healthy = nn.Sequential(nn.Linear(16, 32), nn.ReLU(), nn.Linear(32, 2))
    assert _fit(healthy, rng).latest("dead_relu")["1"] < 0.5


def test_saturation_of_tanh_and_lenets_scaled_tanh(rng):
    from barenet.models.lenet import ScaledTanh

    manual_seed(0)
    model = nn.Sequential(nn.Linear(16, 32), nn.Tanh(), nn.Linear(32, 32), ScaledTanh(), nn.Linear(32, 2))
    model[0].weight.data[...] *= 1e3  # pre-activations in the thousands: tanh is +-1 everywhere
    model[2].bias.data[...] = 0
    model[2].weight.data[...] = 0  # ScaledTanh(0) = 0: nothing saturated
    saturated = _fit(model, rng).latest("saturated")
    assert saturated["1"] > 0.99
    assert saturated["3"] == 0.0


def test_csv_and_png_in_the_run_directory(rng, tmp_path):
    manual_seed(0)
    _fit(_mlp(nn.ReLU, depth=2), rng, run_dir=tmp_path, epochs=2)
    with open(tmp_path / "diagnostics.csv") as f:
        rows = list(csv.DictReader(f))
    assert {r["epoch"] for r in rows} == {"1", "2"}
    assert {r["metric"] for r in rows} == {"grad_weight_ratio", "dead_relu"}
    assert all(np.isfinite(float(r["value"])) for r in rows)
    assert (tmp_path / "diagnostics.png").read_bytes()[:4] == b"\x89PNG"


def test_barenet_train_diagnostics_flag(tmp_path, capsys):
    assert main(["train", "--epochs", "1", "--out", str(tmp_path), "--no-progress", "--diagnostics"]) == 0
    (run_dir,) = tmp_path.iterdir()
    text = (run_dir / "diagnostics.csv").read_text()
    assert "features.c1,grad_weight_ratio" in text and ",saturated," in text
    assert (run_dir / "diagnostics.png").is_file()


def test_hooks_can_be_removed():
    model = nn.Sequential(nn.Linear(2, 2), nn.ReLU())
    diagnostics = Diagnostics(model)
    diagnostics.remove()
    assert not model[1]._forward_hooks
