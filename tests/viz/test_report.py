"""A LeNet-5 trained a few epochs on the digits: its filters moved, its report renders in a browser,
and the ``barenet viz`` commands draw it from its run directory."""
import argparse
import base64
import re
import shutil
import subprocess

import numpy as np
import pytest

import barenet
from barenet import models, optim, viz
from barenet.data import DataLoader, Subset, get_dataset
from barenet.train import Trainer, make_run_dir, write_json
from barenet.viz.commands import add_viz_arguments, viz_command
from barenet.viz.report import write_report

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    data = get_dataset("digits")
    barenet.manual_seed(0)
    model = models.get_model("lenet5_relu")
    initial = {k: v.numpy().copy() for k, v in model.state_dict().items()}
    run_dir = make_run_dir(tmp_path_factory.mktemp("runs"), "lenet5_relu", "digits")
    write_json(run_dir / "config.json", {"model": "lenet5_relu", "data": "digits", "epochs": 3, "seed": 0})
    trainer = Trainer(model, optim.SGD(model.parameters(), lr=0.05, momentum=0.9), run_dir=run_dir,
                      progress=False, log=None, val_name="test")
    train, test = Subset(data.train, range(480)), Subset(data.test, range(120))
    trainer.fit(DataLoader(train, batch_size=32, shuffle=True), DataLoader(test, batch_size=120), epochs=3)
    return {"model": model, "initial": initial, "run_dir": run_dir, "data": data, "test": test,
            "accuracy": trainer.history[-1]["test_acc1"]}


def test_training_moved_the_first_layer_filters(trained):
    model, initial = trained["model"], trained["initial"]
    assert trained["accuracy"] > 0.3  # well above chance (0.1): it did learn
    change = np.abs(model.features.c1.weight.numpy() - initial["features.c1.weight"]).max()
    assert change > 0.05
    before = models.get_model("lenet5_relu")
    before.load_state_dict(initial)
    assert np.abs(viz.filters(model) - viz.filters(before)).max() > 0.05  # the picture changed too


def test_report_holds_every_picture_and_renders_in_chromium(trained, tmp_path):
    data = trained["data"]
    image, label = data.test[0]
    path = write_report(tmp_path / "report.html", trained["model"], [image], labels=[label],
                        classes=data.test.classes, dataset=trained["test"], run_dir=trained["run_dir"],
                        embedding_method="pca", maximize_steps=8, max_layers=1)
    page = path.read_text()
    for heading in ("Filters", "Image 1", "Activation maximisation", "Embedding"):
        assert f"<h2>{heading}</h2>" in page
    assert 'class="note"' not in page  # every visualisation applies to this network
    pngs = [base64.b64decode(b) for b in re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)]
    # curves, 2 filter grids, input, feature maps, deconvnet, occlusion, saliency, Grad-CAM, maximisation, embedding
    assert len(pngs) == 11 and all(p.startswith(PNG) for p in pngs)
    assert not re.findall(r'(?:src|href)="(?!data:)', page)  # self-contained: nothing to fetch
    _screenshot(path, tmp_path / "report.png")


def _screenshot(page, shot):
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        pytest.skip("Chromium is not installed (Debian: apt-get install chromium)")
    subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                    "--no-first-run", "--hide-scrollbars", "--window-size=1200,2400", f"--screenshot={shot}",
                    page.as_uri()], check=True, capture_output=True, timeout=120)
    from PIL import Image

    with Image.open(shot) as image:
        pixels = np.asarray(image.convert("RGB"))
    assert pixels.shape == (2400, 1200, 3)
    colours = np.unique(pixels.reshape(-1, 3) // 16, axis=0)
    assert len(colours) > 60  # drawn heat maps and feature maps, not a blank or error page


def _run(*argv):
    parser = argparse.ArgumentParser(prog="barenet")
    add_viz_arguments(parser.add_subparsers(dest="command"))
    return viz_command(parser.parse_args(["viz", *argv]))


def test_commands_draw_from_a_run_directory(trained, tmp_path, capsys):
    run = str(trained["run_dir"])
    assert _run("filters", run, "--out", str(tmp_path)) == 0
    assert _run("gradcam", run, "--index", "3", "--target", "2", "--out", str(tmp_path)) == 0
    assert _run("deconv", str(trained["run_dir"] / "checkpoints" / "last.safetensors"), "--checkpoint", "last",
                "--out", str(tmp_path)) == 0
    printed = capsys.readouterr().out.split()
    assert [p.rsplit("/", 1)[-1] for p in printed] == ["filters.png", "gradcam.png", "deconv-features.c3.png"]
    assert all(open(p, "rb").read(8) == PNG for p in printed)


def test_an_image_file_is_converted_to_the_runs_input(trained, tmp_path, capsys):
    from PIL import Image

    picture = np.full((40, 30, 3), 255, np.uint8)  # a dark stroke on white, in colour, another size
    picture[5:35, 12:18] = 0
    Image.fromarray(picture).save(tmp_path / "one.png")
    assert _run("saliency", str(trained["run_dir"]), "--image", str(tmp_path / "one.png"), "--out", str(tmp_path)) == 0
    image = viz.sources.load_image(str(tmp_path / "one.png"), viz.sources.load_source(str(trained["run_dir"])))
    assert image.shape == (1, 32, 32) and image.dtype == np.float32
    test = trained["data"].test
    assert image.min() == pytest.approx(test.background) and image.max() == pytest.approx(test.foreground)
    assert image[0, 16, 15] == pytest.approx(test.foreground)  # the dark stroke became bright ink


def test_command_errors_are_one_clear_message(trained, tmp_path):
    run = str(trained["run_dir"])
    text = tmp_path / "notes.png"
    text.write_text("not an image")
    with pytest.raises(ValueError, match=r"viz: '.*notes.png' is not an image file Pillow can read."):
        _run("saliency", run, "--image", str(text), "--out", str(tmp_path))
    with pytest.raises(ValueError, match=r"gradcam: unknown layer 'conv9' in LeNet5. Valid names: features"):
        _run("gradcam", run, "--layer", "conv9", "--out", str(tmp_path))
    with pytest.raises(ValueError, match=r"viz: 'no-such-thing' is neither a run directory, a checkpoint file "
                                         r"nor a model name. Models: .*lenet5"):
        _run("filters", "no-such-thing", "--out", str(tmp_path))
    with pytest.raises(FileNotFoundError, match=r"viz: no image file"):
        _run("saliency", run, "--image", str(tmp_path / "missing.png"), "--out", str(tmp_path))
    with pytest.raises(SystemExit):
        _run("saliency", run, "--target", "-1")


def test_default_images_without_a_file():
    from barenet import nn
    from barenet.viz.sources import Source, default_images

    photo, labels, classes = default_images(Source(nn.Sequential(nn.Conv2d(3, 2, 3)), "tiny", None, None))
    assert photo[0].shape == (3, 224, 224) and photo[0].dtype == np.float32 and labels == [None]
    assert 0.0 <= photo[0].min() < photo[0].max() <= 1.0 and photo[0].std() > 0.05  # a real photo, in [0, 1]
    digits, labels, classes = default_images(viz.sources.load_source("lenet5"), count=2, start=5)
    assert [d.shape for d in digits] == [(1, 32, 32)] * 2 and len(labels) == 2 and classes[0] == "0"


def test_run_section_embeds_the_trainers_and_evals_pictures(tmp_path):
    import base64

    from barenet.train.metrics import confusion_matrix
    from barenet.train.plotting import plot_confusion_matrix
    from barenet.viz.report import _run_tables

    plot_confusion_matrix(confusion_matrix([0, 1, 1, 2], [0, 1, 2, 2], 3), tmp_path / "confusion_matrix.png")
    page = _run_tables(tmp_path)
    assert "confusion matrix" in page
    assert base64.b64encode((tmp_path / "confusion_matrix.png").read_bytes()).decode() in page
