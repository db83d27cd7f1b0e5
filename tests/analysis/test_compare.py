"""``compare``: the seeds' table derived from the models; the design-argument helpers; the layer graph."""
import csv
import io

import pytest
from analysis_helpers import fast_builder

import barenet
from barenet import nn
from barenet.analysis import (compare, comparison_table, dilated_stack, fc_head_vs_gap, natural_input_size,
                              plot_comparison, reduction_saving, stacked_vs_single, summary, to_dot, write_graph)

_NAMES = ["lenet5", "alexnet", "alexnet_paper", "zfnet", "vgg16", "googlenet", "resnet50"]


@pytest.fixture(scope="module")
def table():
    with pytest.MonkeyPatch.context() as patch:
        fast_builder(patch)
        return compare(_NAMES)


def test_derived_columns(table):
    rows, skipped = table
    by = {r["model"]: r for r in rows}
    if "zfnet" not in barenet.models.list_models():
        assert skipped == ["zfnet: not in the model zoo (barenet.models.list_models()), skipped"]
    else:
        assert by["zfnet"]["depth"] == 8 and by["zfnet"]["largest_kernel"] == "7"
    assert {n: by[n]["depth"] for n in ("lenet5", "alexnet", "vgg16", "googlenet", "resnet50")} == {
        "lenet5": 5, "alexnet": 8, "vgg16": 16, "googlenet": 22, "resnet50": 50}
    assert by["lenet5"]["params"] == 60_000 and by["vgg16"]["params"] == 138_357_544
    assert by["alexnet_paper"]["input"] == "3x227x227" and by["lenet5"]["input"] == "1x32x32"
    assert [(by[n]["largest_kernel"], by[n]["smallest_kernel"]) for n in ("alexnet", "vgg16", "googlenet")] == [
        ("11", "3"), ("3", "3"), ("7", "1")]
    assert by["alexnet"]["fc_widths"] == [4096, 4096, 1000] and by["googlenet"]["fc_widths"] == [1000]
    keys = dict(zip("LBIRDG", ("lrn", "batchnorm", "inception", "residual", "dropout", "global_avg_pool")))
    flags = {name: tuple(letter for letter, key in keys.items() if row[key]) for name, row in by.items()}
    assert flags["alexnet"] == ("D",) and flags["alexnet_paper"] == ("L", "D") and flags["vgg16"] == ("D",)
    assert flags["googlenet"] == ("B", "I", "D", "G") and flags["resnet50"] == ("B", "R", "G")
    assert flags["lenet5"] == ()
    assert by["googlenet"]["top5_error"] == 6.67 and "Szegedy" in by["googlenet"]["top5_source"]
    assert by["lenet5"]["top5_error"] is None


def test_macs_are_the_summary_at_the_natural_size(build, table):
    rows, _ = table
    by = {r["model"]: r for r in rows}
    model = build("alexnet_paper")
    assert natural_input_size("alexnet_paper", model) == (3, 227, 227)
    assert by["alexnet_paper"]["macs"] == summary(model, (3, 227, 227)).macs


def test_markdown_csv_and_plot(table, tmp_path):
    rows, skipped = table
    markdown = comparison_table(rows, skipped)
    lines = markdown.splitlines()
    assert lines[0].startswith("| model | depth | params | MACs |") and len(lines[2].split("|")) == 17
    assert "| googlenet | 22 | 13,004,888 | 1.50 G |" in markdown and "Top-5 error sources" in markdown
    parsed = list(csv.DictReader(io.StringIO(comparison_table(rows, fmt="csv"))))
    assert parsed[1]["model"] == "alexnet" and parsed[1]["MACs"] == str(rows[1]["macs"])
    assert parsed[1]["LRN"] == "no" and parsed[2]["LRN"] == "yes"
    with pytest.raises(ValueError, match="fmt must be 'markdown' or 'csv'"):
        comparison_table(rows, fmt="html")
    plot_comparison(rows, tmp_path / "cmp.png")
    assert (tmp_path / "cmp.png").read_bytes()[:4] == b"\x89PNG"


def test_stacked_3x3_versus_one_large_kernel():
    two, three = stacked_vs_single(layers=2, channels=10), stacked_vs_single(layers=3, channels=10)
    assert (two["receptive_field"], two["stack_params"], two["single_params"]) == (5, 2 * 9 * 100, 25 * 100)
    assert (three["receptive_field"], three["stack_params"], three["single_params"]) == (7, 27 * 100, 49 * 100)
    real = summary(nn.Sequential(*[nn.Conv2d(10, 10, 3, bias=False) for _ in range(3)]), (10, 9, 9))
    assert real.total_params == three["stack_params"] and real.layers[-1].receptive_field.size == (7, 7)


def test_one_by_one_reduction_of_the_seeds_example():
    three, five = reduction_saving()  # 100x100x60 reduced to 20 channels, 60 outputs
    assert three["direct_macs"] == 100 * 100 * 60 * 9 * 60
    assert three["reduced_macs"] == 100 * 100 * 60 * 20 + 100 * 100 * 20 * 9 * 60 and three["saving"] == 2.7
    assert five["direct_macs"] == 100 * 100 * 60 * 25 * 60 and five["saving"] == 2.88
    model = nn.Sequential(nn.Conv2d(60, 20, 1), nn.Conv2d(20, 60, 5, padding=2))
    s = summary(model, (60, 100, 100))
    assert s.macs == five["reduced_macs"] and s.total_params == five["reduced_params"]


def test_dilated_stack():
    assert dilated_stack() == {"rates": (1, 2, 4), "kernel": 3, "receptive_field": 15, "plain_receptive_field": 7}


def test_fc_head_versus_global_average_pooling(zoo_summary):
    head = fc_head_vs_gap()  # VGG-16's head on its 7x7x512 map
    assert head["fc_macs"] == zoo_summary("vgg16").macs_by_type["linear"] == 123_633_664
    assert head["fc_params"] == 25088 * 4096 + 4096 + 4096 * 4096 + 4096 + 4096 * 1000 + 1000
    assert head["gap_params"] == 512 * 1000 + 1000 and head["gap_pool_ops"] == 25088
    googlenet = fc_head_vs_gap(channels=1024, hidden=())  # the seeds' 7x7x1024 map
    assert googlenet["fc_params"] == 7 * 7 * 1024 * 1000 + 1000 and googlenet["param_ratio"] == 49.0


def test_graph_shows_branches(build, tmp_path):
    s = summary(barenet.models.get_model("resnet18"), (3, 32, 32))
    dot = to_dot(s)
    add = next(i for i, layer in enumerate(s.layers) if layer.name == "layer1.0.add")
    assert dot.count(f"-> n{add};") == 2 and "input -> n0;" in dot
    g = summary(build("googlenet"), (3, 64, 64))
    cat = next(i for i, layer in enumerate(g.layers) if layer.name == "inception3a.cat")
    assert to_dot(g).count(f"-> n{cat};") == 4
    assert write_graph(s, tmp_path / "r.dot").read_text().startswith("digraph model {")


def test_drawing_without_graphviz_says_what_to_install(tmp_path):
    try:
        import graphviz  # noqa: F401

        pytest.skip("graphviz is installed")
    except ImportError:
        pass
    s = summary(nn.Sequential(nn.Linear(2, 2)), (2,))
    with pytest.raises(RuntimeError, match=r"needs the graphviz Python package.*pip install graphviz.*g\.dot"):
        write_graph(s, tmp_path / "g.svg")
