"""``barenet train``: train a zoo model on a dataset, with a run directory and exact resume."""
from __future__ import annotations

import contextlib
import sys
import time
from pathlib import Path

from .. import __version__, allocator, manual_seed, models, optim
from ..analysis import summary
from ..analysis.report import summary_table
from ..data import DataLoader, get_dataset
from ..train import CHECKPOINT_DIR, Trainer, make_run_dir, read_json, write_json
from ..train.diagnostics import Diagnostics
from .arguments import number
from .errors import UsageError

# Tuned for `barenet train` alone: lenet5 on the digits, measured over seeds 0-19 at 98.76% mean
# test accuracy (97.78-99.72%, 19 of 20 seeds >= 98%; seed 0: 99.44%) in 19-27 s of training on
# two busy CPU cores. Neighbours (10 seeds each, at 40 epochs): this setting 98.47-98.78% mean;
# lr 0.004 98.67%, 0.006 98.61%, 0.01 97.31% (unstable); batch 32 at lr 0.003 98.28%; weight
# decay 2e-3 98.58%; shifts of 1 or 3 pixels 97.7-97.8%; random RBF codes 98.17%. At 60 epochs
# without augmentation: 96.50% (5 seeds).
DEFAULTS = {
    "model": "lenet5", "data": "digits", "epochs": 60, "batch_size": 64, "lr": 0.005,
    "optimizer": "sgd", "momentum": 0.9, "weight_decay": 1e-3, "schedule": "cosine", "seed": 0,
    "out": "runs", "clip_grad_norm": None, "patience": None, "augment": True, "threads": "auto",
}
# Below this many parameters the GEMMs are too small to split across BLAS threads: for LeNet-5 one
# thread measured 1.3-2.5x faster than OpenBLAS's two on a quiet two-core machine, up to 8x on a busy one.
SMALL_MODEL = 1_000_000
OPTIMIZERS = ("sgd", "adam")
SCHEDULES = ("none", "step", "cosine")
# What a resumed run may change; everything else comes from its config.json.
_RESUMABLE = {"epochs", "no_progress", "resume"}
EVAL_BATCH_SIZE = 256


def _threads(text: str):
    if text == "auto":
        return text
    return number(int, 1, True)(text)


@contextlib.contextmanager
def _blas_threads(setting, model):
    """Limit BLAS's threads while training (threadpoolctl comes with scikit-learn)."""
    count = setting
    if setting == "auto":
        count = 1 if sum(p.numel() for p in model.parameters()) < SMALL_MODEL else None
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        count = None
    if count is None:
        yield
        return
    with threadpool_limits(limits=count, user_api="blas"):
        yield


# (flag, metavar, type, help); the default from DEFAULTS is appended to the help.
_OPTIONS = (
    ("--data", "SPEC", str, "dataset: digits, mnist:DIR, fashion-mnist:DIR, cifar10:DIR, cifar100:DIR, "
                              "folder:DIR or shapes"),
    ("--epochs", "N", number(int, 1, True), "total epochs"),
    ("--batch-size", "N", number(int, 1, True), "training batch size"),
    ("--lr", "LR", number(float, 0, False), "initial learning rate"),
    ("--optimizer", None, OPTIMIZERS, "optimizer"),
    ("--momentum", "M", number(float, 0, True, 1), "SGD momentum"),
    ("--weight-decay", "WD", number(float, 0, True), "L2 penalty, applied by the optimizer"),
    ("--schedule", None, SCHEDULES, "learning-rate schedule: step divides by 10 at 1/2 and 3/4 of the "
                                    "epochs, cosine anneals to 0"),
    ("--seed", "N", number(int, 0, True), "seed of initialisation, shuffling and augmentation"),
    ("--clip-grad-norm", "NORM", number(float, 0, False), "clip the gradients' global norm"),
    ("--patience", "N", number(int, 1, True), "stop after this many epochs without a lower test loss"),
    ("--threads", "N", _threads, "BLAS threads: a number, or auto (1 for models under 1M parameters, "
                                 "whose products are too small to split; all cores otherwise)"),
    ("--out", "DIR", str, "folder that holds the run directories"),
)


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "train", help="train a model (default: LeNet-5 on the embedded digits)",
        description="Train a zoo model and write its run directory: config.json, history.csv, metrics.json, "
                    "curves.png and safetensors checkpoints.")
    p.add_argument("model", nargs="?", help=f"model name, see `barenet models` (default: {DEFAULTS['model']})")
    for flag, metavar, kind, text in _OPTIONS:
        default = DEFAULTS[flag[2:].replace("-", "_")]
        text += f" (default: {default})" if default is not None else ""
        if isinstance(kind, tuple):
            p.add_argument(flag, choices=kind, help=text)
        else:
            p.add_argument(flag, metavar=metavar, type=kind, help=text)
    p.add_argument("--no-augment", dest="augment", action="store_const", const=False,
                   help="train without the dataset's augmentation (digits: random shifts of up to 2 pixels)")
    p.add_argument("--resume", metavar="RUN_DIR", help="continue the run in RUN_DIR from its last checkpoint "
                                                        "(only --epochs may change)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--diagnostics", action="store_true",
                   help="record per layer and epoch the gradient/weight norm ratio and the dead ReLU and "
                        "saturated sigmoid/tanh fractions (diagnostics.csv, diagnostics.png)")
    p.set_defaults(run=run)


def _config(args) -> tuple[dict, Path | None]:
    """The run's settings: defaults overridden by the command line, or a resumed run's config."""
    given = {k: v for k, v in vars(args).items() if k in DEFAULTS and v is not None}
    if args.resume is None:
        return {**DEFAULTS, **given}, None
    run_dir = Path(args.resume)
    if not (run_dir / "config.json").is_file() or not (run_dir / CHECKPOINT_DIR / "last.safetensors").is_file():
        raise UsageError(f"--resume: {str(run_dir)!r} is not a run directory with a checkpoint "
                         f"(expected config.json and {CHECKPOINT_DIR}/last.safetensors in it).")
    extra = sorted(f"--{k.replace('_', '-')}" if k != "model" else "MODEL" for k in given if k not in _RESUMABLE)
    if extra:
        raise UsageError(f"--resume continues a run with its own settings; only --epochs may be given. "
                         f"Received: {', '.join(extra)}.")
    config = {**DEFAULTS, **read_json(run_dir / "config.json")}
    if args.epochs is not None:
        config["epochs"] = args.epochs
    return config, run_dir


def _scheduler(name: str, optimizer, epochs: int):
    if name == "step":
        return optim.lr_scheduler.MultiStepLR(optimizer, milestones=[epochs // 2, 3 * epochs // 4], gamma=0.1)
    if name == "cosine":
        return optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs)
    return None


def _build(config: dict):
    """Dataset, model, optimizer and schedule from the settings (``UsageError`` on a bad name)."""
    try:
        data = get_dataset(config["data"], augment=config["augment"])
        manual_seed(config["seed"])
        model = models.get_model(config["model"], num_classes=data.num_classes, in_channels=data.in_channels)
    except (ValueError, FileNotFoundError) as exc:  # a bad name, or a dataset folder that is missing files
        raise UsageError(str(exc)) from None
    if config["optimizer"] == "sgd":
        optimizer = optim.SGD(model.parameters(), lr=config["lr"], momentum=config["momentum"],
                              weight_decay=config["weight_decay"])
    else:
        optimizer = optim.Adam(model.parameters(), lr=config["lr"], weight_decay=config["weight_decay"])
    return data, model, optimizer, _scheduler(config["schedule"], optimizer, config["epochs"])


def _summary(model, data, config) -> str:
    try:
        return summary_table(summary(model, (data.in_channels, *data.image_size)))
    except ValueError as exc:  # the model cannot take this dataset's images
        raise UsageError(f"model {config['model']!r} cannot run on {config['data']!r} images "
                         f"{(data.in_channels, *data.image_size)}: {exc}") from None


def _new_run_dir(config: dict, dataset: str, argv: list[str]) -> Path:
    try:
        run_dir = make_run_dir(config["out"], config["model"], dataset)
    except OSError as exc:
        raise UsageError(f"cannot make a run directory in {config['out']}: {exc.strerror or exc}") from None
    write_json(run_dir / "config.json", {**config, "barenet_version": __version__,
                                         "command": " ".join(["barenet", *argv])})
    return run_dir


def run(args) -> int:
    config, resume_dir = _config(args)
    data, model, optimizer, scheduler = _build(config)
    summary = _summary(model, data, config)
    run_dir = resume_dir or _new_run_dir(config, data.name, args.argv)
    augmented = " (augmented)" if config["augment"] else ""
    print(f"{config['model']} on {config['data']}: {len(data.train)} train{augmented} / "
          f"{len(data.test)} test images")
    print(summary)
    trainer = Trainer(model, optimizer, scheduler=scheduler, max_grad_norm=config["clip_grad_norm"],
                      patience=config["patience"], run_dir=run_dir, val_name="test",
                      progress=not args.no_progress and sys.stderr.isatty(),
                      callbacks=[Diagnostics(model)] if args.diagnostics else ())
    train_loader = DataLoader(data.train, batch_size=config["batch_size"], shuffle=True)
    test_loader = DataLoader(data.test, batch_size=EVAL_BATCH_SIZE)
    ckpt = run_dir / CHECKPOINT_DIR / "last.safetensors" if resume_dir else None
    allocator.keep_freed_memory()  # every step's arrays come back without page faults
    tic = time.perf_counter()
    try:
        with _blas_threads(config["threads"], model):
            trainer.fit(train_loader, test_loader, epochs=config["epochs"], ckpt_path=ckpt)
    except KeyboardInterrupt:
        print(f"\ninterrupted after epoch {trainer.epoch}; continue with: barenet train --resume {run_dir}",
              file=sys.stderr)
        return 130
    except FloatingPointError as exc:
        print(f"barenet train: error: {exc}", file=sys.stderr)
        return 1
    metrics = trainer.summary()
    print(f"training time: {time.perf_counter() - tic:.1f} s ({metrics['images_per_s']:.0f} train images/s)")
    print(f"test accuracy: {100 * metrics['test_accuracy']:.2f}%")
    print(f"run directory: {run_dir}")
    return 0
