"""The ``barenet`` command end to end on the embedded digits, and its one-line errors (exit code 2)."""
import csv
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from barenet.cli import main
from barenet.train import Trainer


def _run_dir(stdout: str) -> Path:
    found = re.search(r"^run directory: (.+)$", stdout, re.MULTILINE)
    assert found, stdout
    return Path(found.group(1))


def _history(run_dir: Path) -> list[dict]:
    return list(csv.DictReader((run_dir / "history.csv").open()))


def test_train_one_epoch_writes_the_run_directory(tmp_path, capsys):
    assert main(["train", "--epochs", "1", "--out", str(tmp_path), "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"^test accuracy: \d{1,3}\.\d\d%$", out, re.MULTILINE)
    assert "Parameters: 60,000 (60,000 trainable)" in out and re.search(r"features\.c3\s+PartialConv2d", out)
    run_dir = _run_dir(out)
    assert run_dir.parent == tmp_path and run_dir.name.startswith("lenet5-digits-")
    names = {p.name for p in run_dir.iterdir()}
    assert names == {"config.json", "history.csv", "metrics.json", "curves.png", "checkpoints"}
    config = json.loads((run_dir / "config.json").read_text())
    assert config["model"] == "lenet5" and config["data"] == "digits" and config["epochs"] == 1
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert f"test accuracy: {100 * metrics['test_accuracy']:.2f}%" in out
    assert metrics["best_epoch"] == 1 and metrics["wall_time_s"] > 0 and metrics["images_per_s"] > 0
    assert len(_history(run_dir)) == 1


def test_the_installed_command_runs_in_a_subprocess(tmp_path):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    # The console script pip installs next to the interpreter, else the module it points to.
    script = shutil.which("barenet", path=os.path.dirname(sys.executable))
    command = [script] if script else [sys.executable, "-m", "barenet.cli.main"]
    proc = subprocess.run(command + ["train", "lenet5_relu", "--epochs", "1",
                           "--optimizer", "adam", "--lr", "0.003", "--schedule", "step", "--batch-size", "64"],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    run_dir = tmp_path / _run_dir(proc.stdout)
    assert run_dir.parent == tmp_path / "runs" and (run_dir / "checkpoints" / "last.safetensors").is_file()
    assert "Traceback" not in proc.stderr


def test_interrupted_run_resumes_to_the_same_result(tmp_path, capsys, monkeypatch):
    args = ["train", "--epochs", "2", "--batch-size", "128", "--no-progress", "--out"]
    assert main(args + [str(tmp_path / "full")]) == 0
    full = _run_dir(capsys.readouterr().out)

    end_epoch = Trainer._end_epoch

    def interrupt_after_epoch_1(self, row, loader):
        end_epoch(self, row, loader)
        if self.epoch == 1:
            raise KeyboardInterrupt

    monkeypatch.setattr(Trainer, "_end_epoch", interrupt_after_epoch_1)
    assert main(args + [str(tmp_path / "cut")]) == 130
    captured = capsys.readouterr()
    cut = next((tmp_path / "cut").iterdir())
    assert f"interrupted after epoch 1; continue with: barenet train --resume {cut}" in captured.err
    monkeypatch.undo()
    assert main(["train", "--resume", str(cut), "--no-progress"]) == 0
    assert _run_dir(capsys.readouterr().out) == cut
    def timeless(rows):
        return [{k: v for k, v in r.items() if k not in ("time_s", "train_images_per_s")} for r in rows]

    assert timeless(_history(cut)) == timeless(_history(full))


def test_models_lists_the_zoo_with_parameter_counts(capsys):
    assert main(["models", "lenet*"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"^lenet5\s+60,000\s+LeNet-5 as in the paper", out, re.MULTILINE)
    assert re.search(r"^lenet5_relu\s+61,706\s", out, re.MULTILINE)


@pytest.mark.parametrize("argv,message", [
    (["train", "lenet9"], r"unknown model 'lenet9'\. Did you mean .*lenet5.*Valid names: .*lenet5_relu"),
    (["train", "--data", "imagenet"], r"dataset 'imagenet' is unknown\. Supported: cifar10, .*digits"),
    (["train", "--data", "cifar10:/no/such/cifar"], r"CIFAR10: ./no/such/cifar. is not a folder"),
    (["train", "--data", "mnist"], r"'mnist' reads the four MNIST IDX files from a folder; pass it as 'mnist:DIR'"),
    (["train", "--resume", "/no/such/run"], r"--resume: '/no/such/run' is not a run directory"),
    (["train", "--out", "/proc/no-such-dir", "--epochs", "1", "--no-progress"], r"cannot make a run directory in /proc/no-such-dir: "),
    (["models", "resnext*"], r"no model matches 'resnext\*'\. Valid names: .*lenet5"),
])
def test_usage_errors_are_one_line_with_exit_code_2(argv, message, capsys):
    assert main(argv) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"barenet {argv[0]}: error: "), captured.err
    assert re.search(message, lines[0]), lines[0]
    assert "run directory" not in captured.out


def test_resume_refuses_new_settings(tmp_path, capsys):
    assert main(["train", "--epochs", "1", "--batch-size", "256", "--out", str(tmp_path), "--no-progress"]) == 0
    run_dir = _run_dir(capsys.readouterr().out)
    assert main(["train", "--resume", str(run_dir), "--lr", "0.5", "--optimizer", "adam"]) == 2
    assert "only --epochs may be given. Received: --lr, --optimizer." in capsys.readouterr().err


@pytest.mark.parametrize("argv,message", [
    (["train", "--lr", "-1"], "argument --lr: must be > 0, got -1"),
    (["train", "--epochs", "two"], "argument --epochs: expected an integer, got 'two'"),
    (["train", "--momentum", "1"], r"argument --momentum: must be >= 0 and < 1, got 1"),
    (["train", "--optimizer", "rmsprop"], "argument --optimizer: invalid choice: 'rmsprop'"),
    (["train", "--schedule", "linear"], "argument --schedule: invalid choice"),
    (["train", "--lr", "nan"], "argument --lr: expected a finite number, got nan"),
    (["fly"], "argument COMMAND: invalid choice: 'fly'"),
    (["viz", "filters", "--bogus"], "the following arguments are required: RUN_OR_CHECKPOINT_OR_MODEL"),
])
def test_bad_option_values_exit_2_through_argparse(argv, message, capsys):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], lines  # one line, the usage only pointed to
    assert lines[0].endswith("--help)")
