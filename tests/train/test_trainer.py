"""Trainer: learning, schedule, clipping, early stopping, seeds, the run directory; metrics."""
import csv
import json

import numpy as np
import pytest

import barenet
from barenet import functional as F
from barenet import nn, optim
from barenet.data import DataLoader, TensorDataset
from barenet.train import MeanMeter, Trainer, accuracy, clip_grad_norm_, topk_correct

CENTERS = np.array([[2.0, 0.0], [-2.0, 0.0], [0.0, 2.0]])


def _blobs(n=192, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    x = CENTERS[y] + 0.5 * rng.standard_normal((n, 2))
    return TensorDataset(x.astype(np.float32), y)


def _net(seed=0):
    barenet.manual_seed(seed)
    return nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 3))


def _trainer(model, lr=0.1, **kwargs):
    kwargs.setdefault("progress", False)
    kwargs.setdefault("log", None)
    return Trainer(model, optim.SGD(model.parameters(), lr=lr, momentum=0.9), topk=(1, 2), **kwargs)


def _loaders():
    return DataLoader(_blobs(), batch_size=32, shuffle=True), DataLoader(_blobs(96, seed=1), batch_size=50)


def test_learns_a_tiny_problem():
    train, val = _loaders()
    history = _trainer(_net()).fit(train, val, epochs=8)
    assert len(history) == 8 and [r["epoch"] for r in history] == list(range(1, 9))
    assert history[-1]["val_acc1"] > 0.95 and history[-1]["train_loss"] < history[0]["train_loss"] / 2
    assert set(history[0]) == {"epoch", "lr", "train_loss", "train_acc1", "train_acc2", "train_images_per_s",
                               "val_loss", "val_acc1", "val_acc2", "time_s"}
    assert history[-1]["val_acc2"] >= history[-1]["val_acc1"]


def test_schedule_steps_once_per_epoch_and_weight_decay_comes_from_the_optimizer():
    model = _net()
    opt = optim.SGD(model.parameters(), lr=0.1, weight_decay=0.5)
    sched = optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
    history = Trainer(model, opt, scheduler=sched, progress=False, log=None).fit(_loaders()[0], epochs=5)
    assert [r["lr"] for r in history] == [0.1, 0.1, 0.05, 0.05, 0.025]
    assert "val_loss" not in history[0]


def test_evaluate_restores_the_mode_and_counts_every_sample():
    model = _net()
    trainer = _trainer(model)
    model.train()
    metrics = trainer.evaluate(DataLoader(_blobs(10), batch_size=4))
    assert model.training and set(metrics) == {"loss", "acc1", "acc2"}
    x, y = _blobs(10).tensors
    with barenet.no_grad():
        out = model(barenet.tensor(x))
    assert np.isclose(metrics["loss"], F.cross_entropy(out, barenet.tensor(y)).item(), rtol=1e-6)
    assert np.isclose(metrics["acc1"], np.mean(out.numpy().argmax(1) == y))


def test_early_stopping_after_patience_epochs_without_improvement():
    trainer = _trainer(_net(), lr=0.0, patience=2)  # lr 0: the loss never improves after epoch 1
    history = trainer.fit(*_loaders(), epochs=10)
    assert len(history) == 3 and trainer.stopped_early and trainer.best["epoch"] == 1


def test_non_finite_loss_stops_with_a_clear_error():
    trainer = _trainer(_net(), loss=lambda out, y: F.cross_entropy(out, y) * float("nan"))
    with pytest.raises(FloatingPointError, match="loss became nan at epoch 1, batch 1"):
        trainer.fit(_loaders()[0], epochs=1)


def test_seed_makes_fits_identical():
    def run():
        train, val = _loaders()  # the shuffling draws from barenet's generator, which seed resets
        return _trainer(_net(), seed=5).fit(train, val, epochs=3)

    a, b = run(), run()
    assert [r["train_loss"] for r in a] == [r["train_loss"] for r in b]


def test_gradient_clipping_is_applied(monkeypatch):
    norms = []
    from barenet.train import trainer as trainer_module

    def spy(params, max_norm):
        norms.append(max_norm)
        return clip_grad_norm_(params, max_norm)

    monkeypatch.setattr(trainer_module, "clip_grad_norm_", spy)
    _trainer(_net(), max_grad_norm=0.5).fit(_loaders()[0], epochs=1)
    assert norms == [0.5] * 6


@pytest.mark.parametrize("norm_type", [2.0, 1.0, float("inf")])
@pytest.mark.parametrize("max_norm", [0.1, 1e3])
def test_clip_grad_norm_matches_torch(norm_type, max_norm, rng):
    torch = pytest.importorskip("torch")
    grads = [rng.standard_normal(s).astype(np.float32) for s in [(3, 4), (5,), (2, 2, 2)]]
    ours = [barenet.tensor(np.zeros_like(g), requires_grad=True) for g in grads]
    theirs = [torch.zeros(g.shape, requires_grad=True) for g in grads]
    for p, t, g in zip(ours, theirs, grads):
        p.grad = barenet.tensor(g)
        t.grad = torch.tensor(g)
    arrays = [p.grad.data for p in ours]
    total = clip_grad_norm_(ours + [barenet.tensor([1.0], requires_grad=True)], max_norm, norm_type)
    ref = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type)
    assert np.isclose(total, ref.item(), rtol=1e-5)
    assert all(p.grad.data is a for p, a in zip(ours, arrays))  # scaled in place, as torch's
    for p, t in zip(ours, theirs):
        np.testing.assert_allclose(p.grad.numpy(), t.grad.numpy(), rtol=1e-5, atol=1e-7)
    with pytest.raises(ValueError, match="max_norm must be >= 0"):
        clip_grad_norm_(ours, -1.0)


def test_trainer_argument_errors():
    with pytest.raises(ValueError, match="max_grad_norm must be positive"):
        _trainer(_net(), max_grad_norm=0)
    with pytest.raises(ValueError, match=r"Trainer: patience must be an int >= 1. Received: patience=0"):
        _trainer(_net(), patience=0)
    net = _net()
    sgd = barenet.optim.SGD(net.parameters(), lr=0.1)
    for call, match in [
        (lambda: Trainer(None, sgd), r"Trainer: model must be a barenet nn.Module"),
        (lambda: Trainer(net, net), r"Trainer: optimizer must be a barenet optimizer"),
        (lambda: Trainer(net, sgd, loss="mse"), r"Trainer: loss must be a function of \(output, target\)"),
        (lambda: Trainer(net, sgd, scheduler=0.1), r"Trainer: scheduler must be a learning-rate schedule"),
        (lambda: Trainer(net, sgd, max_grad_norm="1"), r"Trainer: max_grad_norm must be a finite number"),
        (lambda: Trainer(net, sgd, progress=False, log=None).fit(None), r"fit: train_loader must be a DataLoader"),
        (lambda: Trainer(net, sgd, progress=False, log=None).fit(_loaders()[0], epochs=2.5),
         r"fit: epochs must be an int"),
        (lambda: Trainer(net, sgd, progress=False, log=None).fit([np.ones(2)]),
         r"fit: each batch must be an \(input, target\) pair. Received: ndarray"),
    ]:
        with pytest.raises(TypeError, match=match):
            call()


def test_run_directory_holds_history_metrics_curves_and_checkpoints(tmp_path):
    lines = []
    trainer = _trainer(_net(), run_dir=tmp_path, log=lines.append, val_name="test")
    trainer.fit(*_loaders(), epochs=3)
    assert len(lines) == 3 and lines[0].startswith("epoch 1/3 | train loss") and "| test loss" in lines[0]
    rows = list(csv.DictReader((tmp_path / "history.csv").open()))
    assert [int(r["epoch"]) for r in rows] == [1, 2, 3]
    assert float(rows[-1]["test_loss"]) == trainer.history[-1]["test_loss"]
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert metrics["test_accuracy"] == trainer.history[-1]["test_acc1"]
    assert metrics["test_loss"] == trainer.history[-1]["test_loss"]
    assert metrics["best_epoch"] == min(trainer.history, key=lambda r: r["test_loss"])["epoch"]
    assert metrics["wall_time_s"] > 0 and metrics["images_per_s"] > 0 and metrics["epochs"] == 3
    assert (tmp_path / "curves.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert {p.name for p in (tmp_path / "checkpoints").iterdir()} == {"last.safetensors", "best.safetensors"}


def test_progress_bar_reports_to_stderr(capsys):
    _trainer(_net(), progress=True).fit(_loaders()[0], epochs=1)
    err = capsys.readouterr().err
    assert "epoch 1/1" in err and "/6" in err  # a bar over the 6 batches


def test_topk_correct_against_a_sorting_reference(rng):
    logits = rng.standard_normal((50, 7))
    target = rng.integers(0, 7, 50)
    counts = topk_correct(logits, target, (1, 3, 7, 9))
    order = np.argsort(-logits, axis=1, kind="stable")
    for k, count in counts.items():
        assert count == sum(t in row[:k] for row, t in zip(order, target))
    tied = np.zeros((2, 4))  # all tied: the lower index wins, as with a stable sort
    assert topk_correct(tied, np.array([0, 3]), (1, 3, 4)) == {1: 1, 3: 1, 4: 2}
    assert accuracy(barenet.tensor(logits), barenet.tensor(target), (1,)) == [100 * counts[1] / 50]
    with pytest.raises(ValueError, match=r"expected logits \(N, C\) and target \(N,\)"):
        topk_correct(logits, target[:3])


def test_mean_meter():
    meter = MeanMeter()
    assert np.isnan(meter.mean)
    meter.update(2.0, 2)
    meter.update(5.0)
    assert meter.mean == 3.0 and meter.count == 3
