"""``barenet viz``: one picture per subcommand, or the whole HTML report of a run.

    barenet viz filters|features|deconv|occlusion|saliency|gradcam|maximize SOURCE
        [--image FILE] [--index N] [--layer NAME] [--channel N] [--target N] [--out DIR]
    barenet viz report RUN [--image FILE ...] [--out DIR]

SOURCE is a run directory, a checkpoint inside one, or a zoo model name. Mistakes in what was asked
for raise ``ValueError``/``FileNotFoundError`` with a one-line message; the command line turns them
into its usage errors.
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from ..train import draw_confusion_matrix, evaluate_run
from .deconvnet import deconvnet, plot_deconvnet
from .features import feature_maps, plot_feature_maps
from .filters import filters, plot_filters
from .hooks import spatial_convs
from .maximize import activation_maximization, plot_activation_maximization
from .occlusion import occlusion, plot_occlusion
from .report import write_report
from .saliency import gradcam, plot_gradcam, plot_saliency, saliency
from .sources import default_images, load_image, load_source

__all__ = ["COMMANDS", "add_viz_arguments", "viz_command"]

COMMANDS = {
    "filters": "the kernels of a convolution layer (default: the first)",
    "features": "the feature maps of a layer for an image (default: the first convolution)",
    "deconv": "Zeiler & Fergus' deconvnet: the strongest units of a layer projected to pixels",
    "occlusion": "the class probability while a grey square hides each part of the image",
    "saliency": "the gradient of the class score with respect to the pixels",
    "gradcam": "Grad-CAM at a layer (default: the last convolution with maps larger than 1x1)",
    "maximize": "the input that maximises a channel, by gradient ascent",
    "report": "one self-contained HTML page with all of the above for a trained run",
}


def _integer(minimum: int):
    def parse(text: str) -> int:
        value = int(text) if text.lstrip("-").isdigit() else minimum - 1
        if value < minimum:
            raise argparse.ArgumentTypeError(f"expected an integer >= {minimum}, got {text!r}")
        return value
    return parse


def add_viz_arguments(subparsers) -> argparse.ArgumentParser:
    """Add ``viz`` and its subcommands to ``subparsers``; returns the ``viz`` parser.

    The parsed arguments carry ``viz`` (the subcommand) for ``viz_command``.
    """
    viz = subparsers.add_parser("viz", help="see inside a network: filters, feature maps, deconvnet, "
                                            "occlusion, saliency, Grad-CAM, activation maximisation, report",
                                description="Draw what a network learned, as PNG files or one HTML report.")
    commands = viz.add_subparsers(dest="viz", metavar="WHAT", required=True)
    for name, text in COMMANDS.items():
        p = commands.add_parser(name, help=text, description=text[0].upper() + text[1:] + ".")
        p.add_argument("source", metavar="RUN" if name == "report" else "RUN_OR_CHECKPOINT_OR_MODEL",
                       help="a training run directory, a checkpoint inside one, or a zoo model name")
        p.add_argument("--image", nargs="+" if name == "report" else None, metavar="FILE",
                       help="image file(s) (default: the run's test images, the digits for one-channel "
                            "models, or a sample photo)")
        p.add_argument("--index", type=_integer(0), default=0, help="test image to use without --image (default: 0)")
        p.add_argument("--checkpoint", choices=("best", "last"), default="best", help="run checkpoint (default: best)")
        p.add_argument("--out", metavar="DIR", help="output folder (default: RUN/viz, or ./viz for a model name)")
        if name in ("filters", "features", "deconv", "gradcam", "maximize"):
            p.add_argument("--layer", metavar="NAME", help="qualified layer name, e.g. features.3 (default: "
                                                          "the first convolution for filters and features, "
                                                          "the last one with maps larger than 1x1 otherwise)")
        if name in ("deconv", "maximize"):
            p.add_argument("--channel", type=_integer(0), help="feature map to show" +
                           (" (default: 0)" if name == "maximize" else " (default: the strongest)"))
        if name in ("occlusion", "saliency", "gradcam"):
            p.add_argument("--target", type=_integer(0), help="class to explain (default: the predicted one)")
        if name == "maximize":
            p.add_argument("--steps", type=_integer(1), default=100, help="gradient-ascent steps (default: 100)")
    return viz


def viz_command(args) -> int:
    """Run a parsed ``barenet viz`` command; print the files written and return 0.

    Raises:
        ValueError: a bad source, layer, channel, target or image (one-line message).
        FileNotFoundError: a missing run or image file.
    """
    source = load_source(args.source, args.checkpoint)
    out = Path(args.out) if args.out else (source.run_dir / "viz" if source.run_dir else Path("viz"))
    out.mkdir(parents=True, exist_ok=True)
    if args.image:
        files = args.image if isinstance(args.image, list) else [args.image]
        images, labels = [load_image(f, source) for f in files], [None] * len(files)
        classes = getattr(source.data.test, "classes", None) if source.data is not None else None
    else:
        count = 2 if args.viz == "report" else 1
        images, labels, classes = default_images(source, count, args.index)
    if args.viz == "report":
        matrix_png = source.run_dir / "confusion_matrix.png" if source.run_dir else None
        if matrix_png is not None and source.data is not None and not matrix_png.exists():
            draw_confusion_matrix(source.name, source.data, evaluate_run(source.model, source.data.test), matrix_png)
        path = write_report(out / "report.html", source.model, images, labels=labels, classes=classes,
                            dataset=source.data.test if source.data is not None else None, run_dir=source.run_dir,
                            title=f"{source.name}: what it learned")
    else:
        path = _PICTURES[args.viz](source.model, images[0], args, out)
    print(path)
    return 0


def _last_spatial_conv(command: str, model, image) -> str:
    convs = spatial_convs(f"viz {command}", model, image)
    if not convs:
        raise ValueError(f"viz {command}: no convolution with maps larger than 1x1; give --layer.")
    return convs[-1]


def _filters(model, image, args, out: Path) -> Path:
    path = out / "filters.png"
    plot_filters(filters(model, args.layer), path, title=args.layer or "filters")
    return path


def _features(model, image, args, out: Path) -> Path:
    path = out / f"features-{args.layer or 'first-conv'}.png"
    plot_feature_maps(feature_maps(model, image, args.layer), path, title=args.layer or "first convolution")
    return path


def _deconv(model, image, args, out: Path) -> Path:
    layer = args.layer or _last_spatial_conv("deconv", model, image)
    path = out / f"deconv-{layer}.png"
    plot_deconvnet(deconvnet(model, image, layer, args.channel), image, path)
    return path


def _occlusion(model, image, args, out: Path) -> Path:
    path = out / "occlusion.png"
    prob_map, class_map = occlusion(model, image, args.target, return_classes=True)
    plot_occlusion(image, prob_map, path, class_map=class_map)
    return path


def _saliency(model, image, args, out: Path) -> Path:
    path = out / "saliency.png"
    plot_saliency(image, saliency(model, image, args.target), path)
    return path


def _gradcam(model, image, args, out: Path) -> Path:
    path = out / "gradcam.png"
    plot_gradcam(image, gradcam(model, image, args.target, args.layer), path)
    return path


def _maximize(model, image, args, out: Path) -> Path:
    layer = args.layer or _last_spatial_conv("maximize", model, image)
    channel = args.channel or 0
    size = tuple(np.asarray(image).shape[-2:])
    result, history = activation_maximization(model, layer, channel, steps=args.steps, size=size)
    path = out / f"maximize-{layer}-{channel}.png"
    plot_activation_maximization(result, path, history=history, channels=[channel], title=layer)
    return path


_PICTURES = {"filters": _filters, "features": _features, "deconv": _deconv, "occlusion": _occlusion,
             "saliency": _saliency, "gradcam": _gradcam, "maximize": _maximize}
