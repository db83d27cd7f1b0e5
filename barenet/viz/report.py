"""One self-contained HTML page showing what a network learned: every picture of ``barenet.viz``
for a few images, embedded as base64 PNGs, so the file can be mailed or opened anywhere."""
from __future__ import annotations

import base64
import functools
import html
import json
import os
from pathlib import Path

import numpy as np

from .. import functional as F, nn
from ..autograd import no_grad
from ..train.checkpoint import atomic_write
from .deconvnet import deconvnet, plot_deconvnet
from .embedding import embedding, plot_embedding
from .features import feature_maps, plot_feature_maps
from .filters import filters, plot_filters
from .hooks import conv_layers, inspecting, prepare_image, record, run_model, spatial_convs
from .maximize import activation_maximization, plot_activation_maximization
from .occlusion import occlusion, plot_occlusion
from .plotting import display_image, figure, finish, show
from .saliency import gradcam, plot_gradcam, plot_saliency, saliency

__all__ = ["build_report", "write_report"]

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1100px; color: #222; }
h1 { margin-bottom: 0.2em; } h2 { border-bottom: 2px solid #ddd; padding-bottom: 0.2em; margin-top: 1.6em; }
.row { display: flex; flex-wrap: wrap; align-items: flex-start; gap: 0.6em; }
figure { margin: 0.3em; max-width: 48%; }
figure img { max-width: 100%; border: 1px solid #eee; }
figcaption { font-size: 0.85em; color: #555; text-align: center; }
table { border-collapse: collapse; font-size: 0.9em; margin: 0.5em 0; }
td, th { border: 1px solid #ddd; padding: 0.25em 0.6em; text-align: left; }
.note { color: #8a5a00; background: #fff6e0; padding: 0.4em 0.8em; border-radius: 4px; }
"""


def _img(png: bytes, caption: str) -> str:
    data = base64.b64encode(png).decode("ascii")
    return (f'<figure><img src="data:image/png;base64,{data}" alt="{html.escape(caption)}">'
            f"<figcaption>{html.escape(caption)}</figcaption></figure>")


def _table(rows: dict) -> str:
    cells = "".join(f"<tr><th>{html.escape(str(k))}</th><td>{html.escape(_fmt(v))}</td></tr>" for k, v in rows.items())
    return f"<table>{cells}</table>"


def _fmt(value) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def _guarded(build) -> str:
    """``build()``'s HTML; a visualisation that does not apply to this model shows its reason instead."""
    try:
        return build()
    except ValueError as exc:
        return f'<p class="note">{html.escape(str(exc))}</p>'


def _section(title: str, build) -> str:
    return f'<h2>{html.escape(title)}</h2>\n<div class="row">{_guarded(build)}</div>\n'


def _class_name(classes, index: int) -> str:
    return str(classes[index]) if classes is not None else str(index)


def _penultimate(model: nn.Module, image) -> str:
    """The leaf module that ran just before the last ``Linear``: the features the classifier sees."""
    leaves = {n: m for n, m in model.named_modules() if n and not m._modules}
    with inspecting(model), no_grad(), record(leaves) as rec:
        run_model("report", model, prepare_image("report", model, image))
    names = [c.name for c in rec.calls]
    linear = [i for i, c in enumerate(rec.calls) if isinstance(c.module, nn.Linear)]
    if not linear or linear[-1] == 0:
        raise ValueError("report: no layer feeds a final Linear classifier; no embedding to show.")
    return names[linear[-1] - 1]


def _prediction(model: nn.Module, image, label, classes) -> str:
    with inspecting(model), no_grad():
        logits = run_model("report", model, prepare_image("report", model, image))
        probs = F.softmax(logits, dim=1).numpy()[0]
    top = np.argsort(-probs)[:5]
    rows = {f"#{i + 1}: {_class_name(classes, c)}": f"{100 * probs[c]:.1f}%" for i, c in enumerate(top)}
    if label is not None:
        rows = {"true class": _class_name(classes, int(label)), **rows}
    fig = figure(2.6, 2.6)
    show(fig.add_subplot(1, 1, 1), display_image(np.asarray(image)), "input")
    return _img(finish(fig), "input") + f"<div><h3>prediction</h3>{_table(rows)}</div>"


def _image_section(model, image, convs: list[str], label, classes, max_layers: int) -> str:
    """Prediction, feature maps, deconvnet, occlusion, saliency and Grad-CAM for one image."""
    parts = [_prediction(model, image, label, classes)]
    for name in convs[:max_layers]:
        parts.append(_img(plot_feature_maps(feature_maps(model, image, name), title=name), f"feature maps of {name}"))
    if convs:
        parts.append(_guarded(lambda: _img(plot_deconvnet(deconvnet(model, image, convs[-1]), image),
                                       f"deconvnet: strongest units of {convs[-1]}")))
    prob_map, class_map = occlusion(model, image, return_classes=True)
    parts.append(_img(plot_occlusion(image, prob_map, class_map=class_map, classes=classes),
                      "occlusion: probability of the predicted class with a grey square over each pixel"))
    parts.append(_img(plot_saliency(image, saliency(model, image)), "saliency: |d score / d pixel|"))
    parts.append(_guarded(lambda: _img(plot_gradcam(image, gradcam(model, image)), "Grad-CAM at the last conv layer")))
    return "\n".join(parts)


def _run_tables(run_dir: Path | None) -> str:
    if run_dir is None:
        return ""
    parts = []
    for name, caption in (("config.json", "configuration"), ("metrics.json", "results")):
        path = run_dir / name
        if path.is_file():
            parts.append(f"<div><h3>{caption}</h3>{_table(json.loads(path.read_text()))}</div>")
    # Drawn by the trainer and by ``barenet eval``; embedded as they are, not redrawn.
    for name, caption in (("curves.png", "training curves"), ("confusion_matrix.png", "confusion matrix")):
        if (run_dir / name).is_file():
            parts.append(_img((run_dir / name).read_bytes(), caption))
    return f'<h2>Training run {html.escape(run_dir.name)}</h2>\n<div class="row">{"".join(parts)}</div>\n'


def build_report(model: nn.Module, images, *, labels=None, classes=None, dataset=None, run_dir=None,
                 title: str = "barenet report", max_layers: int = 3, embedding_method: str = "auto",
                 maximize_steps: int = 60) -> str:
    """The HTML page (a string) with every visualisation of ``model`` for ``images``.

    Args:
        model: the trained network.
        images: a sequence of images ``(C, H, W)`` the model takes.
        labels: their true classes, or None.
        classes: class names indexed by class, or None for numbers.
        dataset: ``(image, label)`` samples for the embedding plot, or None to leave it out.
        run_dir: a training run directory whose config, metrics and curves to include.
        title: the page's title.
        max_layers: show the feature maps of at most this many convolution layers.
        embedding_method: ``"auto"``, ``"tsne"`` or ``"pca"`` (see ``embedding``).
        maximize_steps: gradient-ascent steps of the activation maximisation.

    Returns:
        A complete HTML document, images embedded.

    Raises:
        ValueError: no images, or images the model cannot take. A visualisation that does not
            apply to the model (deconvnet on a residual network...) is explained on the page instead.
    """
    images = [np.asarray(im) for im in images]
    if not images:
        raise ValueError("report: give at least one image.")
    labels = [None] * len(images) if labels is None else list(labels)
    run_dir = Path(run_dir) if run_dir is not None else None
    convs = spatial_convs("report", model, images[0])
    count = sum(p.numel() for p in model.parameters())
    body = [f"<h1>{html.escape(title)}</h1>",
            f"<p>{html.escape(type(model).__name__)}, {count:,} parameters.</p>", _run_tables(run_dir)]
    body.append(_section("Filters", functools.partial(_filters, model)))
    for i, (image, label) in enumerate(zip(images, labels)):
        body.append(_section(f"Image {i + 1}", functools.partial(
            _image_section, model, image, convs, label, classes, max_layers)))
    body.append(_section("Activation maximisation", functools.partial(_maximize, model, convs, maximize_steps)))
    if dataset is not None:
        body.append(_section("Embedding", functools.partial(
            _embedding, model, dataset, images[0], classes, embedding_method)))
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
            f"<style>{_STYLE}</style></head><body>\n" + "\n".join(body) + "\n</body></html>\n")


def _filters(model) -> str:
    names = [name for name, _ in conv_layers(model)[:2]]
    if not names:
        raise ValueError(f"report: {type(model).__name__} has no convolution layer (Conv2d).")
    return "\n".join(_img(plot_filters(filters(model, name), title=name), f"kernels of {name}") for name in names)


def _maximize(model, convs: list[str], steps: int) -> str:
    if not convs:
        raise ValueError("report: no convolution layer to maximise.")
    layer = convs[-1]
    channels = list(range(min(8, dict(model.named_modules())[layer].out_channels)))
    images, history = activation_maximization(model, layer, channels, steps=steps)
    return _img(plot_activation_maximization(images, history=history, channels=channels, title=layer),
                f"inputs that maximise channels {channels[0]}-{channels[-1]} of {layer}")


def _embedding(model, dataset, image, classes, method: str) -> str:
    layer = _penultimate(model, image)
    points, labels = embedding(model, dataset, layer, method=method)
    return _img(plot_embedding(points, labels, classes=classes, title=f"{layer} ({method})"),
                f"features of {layer} for {len(labels)} images, coloured by class")


def write_report(path: str | os.PathLike, model: nn.Module, images, **kwargs) -> Path:
    """Write ``build_report(model, images, **kwargs)`` to ``path`` (atomically); returns the path."""
    path = Path(path)
    atomic_write(path, build_report(model, images, **kwargs).encode("utf-8"))
    return path
