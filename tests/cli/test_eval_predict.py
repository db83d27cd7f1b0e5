"""``barenet eval`` and ``barenet predict`` on a run made by a one-epoch ``barenet train``."""
from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from barenet.autograd import Tensor, no_grad
from barenet.cli.main import main
from barenet.train import confusion_matrix, load_run


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("runs")
    assert main(["train", "--epochs", "1", "--out", str(out), "--no-progress"]) == 0
    (path,) = out.iterdir()
    return path


def _percent(stdout: str, label: str) -> float:
    line = next(line for line in stdout.splitlines() if line.startswith(label))
    return float(line.split(":")[1].strip().rstrip("%"))


def test_eval_matches_the_runs_metrics_and_writes_the_confusion_matrix(run_dir, capsys):
    assert main(["eval", str(run_dir)]) == 0
    stdout = capsys.readouterr().out
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert _percent(stdout, "test accuracy") == pytest.approx(100 * metrics["test_accuracy"], abs=0.006)
    assert _percent(stdout, "test top-5 accuracy") == pytest.approx(100 * metrics["test_top5_accuracy"], abs=0.006)
    assert float(stdout.split("test loss:")[1].split()[0]) == pytest.approx(metrics["test_loss"], abs=1e-4)
    png = run_dir / "confusion_matrix.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_confusion_matrix_of_the_run_sums_to_the_test_size_and_its_trace_is_the_accuracy(run_dir):
    loaded = load_run(run_dir)
    test = loaded.data.test
    x, y = test.__getitems__(np.arange(len(test)))
    with no_grad():
        predictions = loaded.model(Tensor(x)).numpy().argmax(axis=1)
    matrix = confusion_matrix(y, predictions, loaded.data.num_classes)
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert matrix.sum() == len(test)
    assert np.trace(matrix) / len(test) == pytest.approx(metrics["test_accuracy"])


def test_confusion_matrix_matches_a_loop(rng):
    labels, predictions = rng.integers(0, 7, 200), rng.integers(0, 7, 200)
    expected = np.zeros((7, 7), dtype=np.int64)
    for t, p in zip(labels, predictions):
        expected[t, p] += 1
    np.testing.assert_array_equal(confusion_matrix(labels, predictions, 7), expected)
    with pytest.raises(ValueError, match=r"confusion_matrix: classes must lie in \[0, 7\)"):
        confusion_matrix(labels, predictions + 1, 7)


def test_eval_of_a_checkpoint_file_and_another_output(run_dir, tmp_path, capsys):
    out = tmp_path / "cm.png"
    assert main(["eval", str(run_dir / "checkpoints" / "last.safetensors"), "--out", str(out)]) == 0
    assert out.is_file() and "test accuracy:" in capsys.readouterr().out


def test_predict_on_a_png_of_a_test_digit_gives_the_models_class(run_dir, tmp_path, capsys):
    from PIL import Image

    loaded = load_run(run_dir)
    test = loaded.data.test
    x, _ = test.__getitems__(np.arange(5))
    with no_grad():
        expected = loaded.model(Tensor(x)).numpy().argmax(axis=1)
    paths = []
    for i, image in enumerate(x):
        ink = (image[0] - test.background) / (test.foreground - test.background)  # back to [0, 1]
        path = tmp_path / f"digit{i}.png"
        Image.fromarray(np.clip(np.rint(255 * ink), 0, 255).astype(np.uint8)).save(path)
        paths.append(str(path))
    assert main(["predict", str(run_dir), *paths, "--top-k", "3"]) == 0
    lines = capsys.readouterr().out.splitlines()
    for i, path in enumerate(paths):
        block = lines[lines.index(f"{path}:") + 1: lines.index(f"{path}:") + 4]
        assert len(block) == 3
        assert block[0].split()[-1] == str(expected[i])
        probs = [float(line.split("%")[0]) for line in block]
        assert probs == sorted(probs, reverse=True)


@pytest.mark.parametrize("argv, message", [
    (["eval", "no-such-run"], r"barenet eval: error: no run directory or checkpoint file 'no-such-run'\.$"),
    (["predict", "no-such-run", "x.png"], r"barenet predict: error: no run directory or checkpoint file"),
])
def test_missing_run_is_one_line_with_exit_code_2(argv, message, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err
    assert re.search(message, err)


def test_unreadable_image_is_one_line_with_exit_code_2(run_dir, tmp_path, capsys):
    bad = tmp_path / "notes.png"
    bad.write_text("not an image")
    assert main(["predict", str(run_dir), str(bad)]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and err.endswith("is not an image file Pillow can read.")
    assert main(["predict", str(run_dir), str(tmp_path / "absent.png")]) == 2
    assert "no image file" in capsys.readouterr().err
