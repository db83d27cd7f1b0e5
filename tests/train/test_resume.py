"""Resume exactness: a run that crashes in epoch 3 and resumes equals an uninterrupted one, bit for bit."""
import numpy as np
import pytest

import barenet
from barenet import nn, optim
from barenet.data import DataLoader, Digits, Subset
from barenet.train import Trainer

EPOCHS = 4


class Crash(Exception):
    pass


def _setup(optimizer: str, own_generator: bool, init_seed: int):
    """Model with dropout (barenet's generator), momentum or Adam state, a schedule, shuffling."""
    barenet.manual_seed(init_seed)
    model = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Dropout(0.3),
                          nn.Linear(4 * 7 * 7, 10))
    if optimizer == "sgd":
        opt = optim.SGD(model.parameters(), lr=0.05, momentum=0.9, nesterov=True, weight_decay=1e-3)
        sched = optim.lr_scheduler.CosineAnnealingLR(opt, T_max=EPOCHS)
    else:
        opt = optim.Adam(model.parameters(), lr=0.01, weight_decay=1e-3)
        sched = optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.7)
    data = Digits(train=True, image_size=16)
    generator = np.random.default_rng(7) if own_generator else None
    train = DataLoader(Subset(data, np.arange(240)), batch_size=32, shuffle=True, generator=generator)
    test = DataLoader(Digits(train=False, image_size=16), batch_size=128)
    return model, opt, sched, train, test


def _fit(optimizer, own_generator, run_dir, init_seed=0, crash_at=None, ckpt_path=None):
    model, opt, sched, train, test = _setup(optimizer, own_generator, init_seed)
    calls = []

    def loss(output, target):
        calls.append(model.training)
        if crash_at is not None and sum(calls) == crash_at:
            raise Crash
        return barenet.functional.cross_entropy(output, target)

    trainer = Trainer(model, opt, loss=loss, scheduler=sched, seed=1, run_dir=run_dir, progress=False, log=None)
    trainer.fit(train, test, epochs=EPOCHS, ckpt_path=ckpt_path)
    return trainer, model


@pytest.mark.parametrize("optimizer,own_generator", [("sgd", False), ("adam", True)])
def test_crash_and_resume_equals_an_uninterrupted_run(tmp_path, optimizer, own_generator):
    full, full_model = _fit(optimizer, own_generator, tmp_path / "full")
    with pytest.raises(Crash):  # 8 training batches per epoch: the 19th is in epoch 3
        _fit(optimizer, own_generator, tmp_path / "crashed", crash_at=19)
    ckpt = tmp_path / "crashed" / "checkpoints" / "last.safetensors"
    barenet.manual_seed(12345)  # a fresh process: other weights, another random state
    resumed, resumed_model = _fit(optimizer, own_generator, tmp_path / "crashed", init_seed=99, ckpt_path=ckpt)
    for key in ("train_loss", "train_acc1", "val_loss", "val_acc1", "lr"):
        assert [r[key] for r in resumed.history] == [r[key] for r in full.history], key
    for (name, a), (_, b) in zip(full_model.state_dict().items(), resumed_model.state_dict().items()):
        assert (a.numpy() == b.numpy()).all(), name
    assert resumed.epoch == EPOCHS and resumed.best == full.best
