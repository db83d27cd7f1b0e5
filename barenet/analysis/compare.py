"""The seeds' comparison table of the classic CNNs, regenerated from the code.

Every column but the last is derived from the model as built and walked by ``summary``:

- depth: the weighted layers (convolutions and fully connected layers) on the longest path
  from input to output — VGG-16 16, GoogLeNet 22, ResNet-50 50, as the papers count them;
- parameters, and MACs at the model's natural input size (the size its documentation names);
- the largest and smallest convolution kernel, the number and widths of fully connected layers;
- whether it uses local response normalisation or BatchNorm layers, Inception blocks (parallel
  convolution branches concatenated), residual connections (a sum of two branches), dropout,
  global average pooling (pooling a map larger than 1x1 down to 1x1).

The last column is a cited fact: the ImageNet top-5 error the model's paper reports
(``TOP5_ERROR`` names each source and what was measured).
"""
from __future__ import annotations

import gc
import math
import re

from .. import models
from .report import csv_table, human, markdown_table
from .summary import summary

__all__ = ["DEFAULT_MODELS", "TOP5_ERROR", "compare", "natural_input_size", "derive_features", "comparison_table",
           "plot_comparison"]

DEFAULT_MODELS = ("lenet5", "alexnet", "zfnet", "vgg16", "vgg19", "googlenet", "resnet50", "resnet152")

# (top-5 error %, what and where it was measured).
TOP5_ERROR = {
    "alexnet": (15.3, "ILSVRC-2012 test, 7-CNN ensemble; Krizhevsky et al. 2012, Sec. 6"),
    "alexnet_paper": (15.3, "ILSVRC-2012 test, 7-CNN ensemble; Krizhevsky et al. 2012, Sec. 6"),
    "zfnet": (14.8, "ILSVRC-2012 test, 6-convnet ensemble; Zeiler & Fergus 2014, Table 2"),
    "vgg16": (7.3, "ILSVRC-2014 test, 7-net ensemble submission; Simonyan & Zisserman 2015, Table 7"),
    "vgg19": (7.3, "ILSVRC-2014 test, 7-net ensemble submission; Simonyan & Zisserman 2015, Table 7"),
    "googlenet": (6.67, "ILSVRC-2014 test, 7-model ensemble; Szegedy et al. 2015, Table 2"),
    "resnet50": (5.25, "ImageNet val, single model; He et al. 2016, Table 4"),
    "resnet101": (4.60, "ImageNet val, single model; He et al. 2016, Table 4"),
    "resnet152": (4.49, "ImageNet val, single model; He et al. 2016, Table 4"),
}

_WEIGHTED = ("conv", "conv_transpose", "linear")


def natural_input_size(name: str, model=None) -> tuple:
    """``(C, H, W)`` the model is designed for: H and W from its documentation ("Input 227x227"),
    C from its ``in_channels``; 224x224 where the documentation names none."""
    doc = models.get_model_builder(name).__doc__ or ""
    found = re.search(r"Input (\d+)x(\d+)", doc)
    h, w = (int(found.group(1)), int(found.group(2))) if found else (224, 224)
    return (getattr(model, "in_channels", 3), h, w)


def _descends_from_conv(layers: list) -> list:
    flags = []
    for layer in layers:
        flags.append(layer.kind == "conv" or any(flags[p] for p in layer.inputs if p >= 0))
    return flags


def _joins_branches(layer, flags: list) -> bool:
    """Two or more distinct producers, each after some convolution: a merge of parallel branches."""
    return len([p for p in layer.inputs if p >= 0 and flags[p]]) >= 2


def _depth(layers: list) -> int:
    depth = []
    for layer in layers:
        own = int(layer.kind in _WEIGHTED and layer.macs > 0)
        depth.append(own + max((depth[p] for p in layer.inputs if p >= 0), default=0))
    return max(depth, default=0)


def _kernel(k: tuple) -> str:
    return str(k[0]) if k[0] == k[1] else f"{k[0]}x{k[1]}"


def _is_global_pool(layer) -> bool:
    return (layer.kind == "pool" and "Max" not in layer.type and len(layer.output_shape) == 4
            and tuple(layer.output_shape[2:]) == (1, 1) and tuple(layer.input_shapes[0][2:]) != (1, 1))


def derive_features(s) -> dict:
    """The derived columns of one model's row from its ``Summary``."""
    layers, flags = s.layers, _descends_from_conv(s.layers)
    kernels = sorted({layer.kernel for layer in layers if layer.kind == "conv" and layer.kernel},
                     key=lambda k: (k[0] * k[1], k))
    fc = [layer.output_shape[-1] for layer in layers if layer.kind == "linear"]
    return {
        "depth": _depth(layers), "params": s.total_params, "macs": s.macs,
        "input": "x".join(map(str, s.input_shape)),
        "largest_kernel": _kernel(kernels[-1]) if kernels else "-",
        "smallest_kernel": _kernel(kernels[0]) if kernels else "-",
        "fc_layers": len(fc), "fc_widths": fc,
        "lrn": any(layer.type == "LocalResponseNorm" for layer in layers),
        "batchnorm": any(layer.type.startswith("BatchNorm") for layer in layers),
        "inception": any(layer.type == "cat" and _joins_branches(layer, flags) for layer in layers),
        "residual": any(layer.type == "add" and _joins_branches(layer, flags) for layer in layers),
        "dropout": any(layer.kind == "dropout" for layer in layers),
        "global_avg_pool": any(_is_global_pool(layer) for layer in layers),
    }


def compare(names=DEFAULT_MODELS) -> tuple:
    """Build, walk and describe each model, one at a time (so only one is in memory).

    Returns:
        ``(rows, skipped)``: one dict per model (``derive_features`` plus ``model`` and the cited
        ``top5_error``/``top5_source``), and the names not in the zoo, each with a note.
    """
    rows, skipped = [], []
    available = set(models.list_models())
    for name in names:
        if name not in available:
            skipped.append(f"{name}: not in the model zoo (barenet.models.list_models()), skipped")
            continue
        model = models.get_model(name)
        row = {"model": name, **derive_features(summary(model, natural_input_size(name, model), name=name))}
        row["top5_error"], row["top5_source"] = TOP5_ERROR.get(name, (None, ""))
        rows.append(row)
        del model
        gc.collect()  # VGG's half a gigabyte of weights goes before the next model is built
    return rows, skipped


_COLUMNS = ("model", "depth", "params", "MACs", "input", "largest kernel", "smallest kernel", "FC layers", "LRN",
            "BatchNorm", "Inception", "residual", "dropout", "GAP", "top-5 error %")


def _cells(row: dict, csv: bool) -> list:
    def yes(flag):
        return ("yes" if flag else "no") if csv else ("yes" if flag else "-")

    fc = f"{row['fc_layers']} ({', '.join(map(str, row['fc_widths']))})" if row["fc_layers"] else "0"
    error = "" if row["top5_error"] is None else f"{row['top5_error']:g}"
    return [row["model"], row["depth"], row["params"] if csv else f"{row['params']:,}",
            row["macs"] if csv else human(row["macs"]), row["input"], row["largest_kernel"],
            row["smallest_kernel"], fc, yes(row["lrn"]), yes(row["batchnorm"]), yes(row["inception"]),
            yes(row["residual"]), yes(row["dropout"]), yes(row["global_avg_pool"]), error]


def comparison_table(rows: list, skipped: list = (), fmt: str = "markdown") -> str:
    """The table as Markdown (with the error column's sources and the skipped models as notes) or CSV.

    Raises:
        ValueError: an unknown ``fmt``.
    """
    if fmt == "csv":
        return csv_table(list(_COLUMNS) + ["top-5 source"], [_cells(r, True) + [r["top5_source"]] for r in rows])
    if fmt != "markdown":
        raise ValueError(f"comparison_table: fmt must be 'markdown' or 'csv'. Received: fmt={fmt!r}.")
    table = markdown_table(list(_COLUMNS), [_cells(r, False) for r in rows], right={1, 2, 3, 14})
    notes = [f"- {r['model']}: {r['top5_source']}" for r in rows if r["top5_source"]]
    notes += [f"- {note}" for note in skipped]
    return table + ("\n\nTop-5 error sources and notes:\n" + "\n".join(notes) if notes else "")


def plot_comparison(rows: list, path: str) -> None:
    """Parameters versus MACs on log scales, one labelled point per model, saved to ``path``.

    Raises:
        RuntimeError: matplotlib is not installed.
    """
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as error:
        raise RuntimeError("plot_comparison: drawing needs matplotlib (pip install matplotlib).") from error
    fig, ax = plt.subplots(figsize=(7, 5))
    placed = []
    for row in rows:
        point = (math.log10(row["macs"]), math.log10(row["params"]))
        # A point close to one already labelled gets its label below, so the two stay readable.
        crowded = any(abs(point[0] - x) < 0.4 and abs(point[1] - y) < 0.3 for x, y in placed)
        placed.append(point)
        ax.scatter(row["macs"], row["params"])
        ax.annotate(row["model"], (row["macs"], row["params"]), textcoords="offset points",
                    xytext=(5, -12) if crowded else (5, 5))
    ax.set(xscale="log", yscale="log", xlabel="multiply-accumulates per image", ylabel="parameters",
           title="Parameters versus MACs at each model's natural input size")
    ax.grid(True, which="both", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
