"""The analysis commands, driven through argparse as the ``barenet`` command line drives them."""
import argparse
import csv
import io
import json
import re
import sys

import pytest

from barenet.analysis.commands import CommandError, add_parsers


class _UsageError(Exception):
    pass


def _run(argv, capsys):
    """Parse and run like ``barenet.cli.main``: (exit code, stdout, stderr)."""
    parser = argparse.ArgumentParser(prog="barenet")
    add_parsers(parser.add_subparsers(dest="command", required=True), _UsageError)
    args = parser.parse_args(argv)
    try:
        code = args.run(args)
    except _UsageError as error:
        print(f"barenet {args.command}: error: {error}", file=sys.stderr)
        code = 2
    out = capsys.readouterr()
    return code, out.out, out.err


def test_summary_json(capsys):
    code, out, _ = _run(["summary", "lenet5_relu", "--format", "json", "--batch-size", "8"], capsys)
    data = json.loads(out)
    assert code == 0 and data["model"] == "lenet5_relu" and data["input_shape"] == [1, 32, 32]
    assert data["macs"] == 416_520 and data["macs_by_type"] == {"conv": 405_600, "linear": 10_920}
    assert data["total_params"] == data["trainable_params"] == 61_706 and data["batch_size"] == 8
    assert data["activation_bytes"] == 8 * sum(layer["output_bytes"] for layer in data["layers"])
    first = data["layers"][0]
    assert {k: first[k] for k in ("name", "type", "output_shape", "params", "macs", "receptive_field")} == {
        "name": "features.c1", "type": "Conv2d", "output_shape": [1, 6, 28, 28], "params": 156, "macs": 117_600,
        "receptive_field": [5, 5]}


def test_summary_table_csv_and_graph(capsys, tmp_path):
    code, out, _ = _run(["summary", "resnet20", "--input", "3x40x24", "--graph", str(tmp_path / "g.dot")], capsys)
    assert code == 0 and "resnet20 on input (3, 40, 24)" in out and "layer1.0.add" in out
    assert (tmp_path / "g.dot").read_text().count("->") > 60
    code, out, _ = _run(["summary", "resnet20", "--input", "16", "--format", "csv"], capsys)
    rows = list(csv.DictReader(io.StringIO(out)))
    assert rows[0]["output_shape"] == "1x16x16x16" and rows[-1]["type"] == "Linear"


def test_explain_and_profile(capsys):
    code, out, _ = _run(["explain", "lenet5_relu"], capsys)
    assert code == 0 and "OH = OW = (32 + 2*0 - 5)//1 + 1 = 28; C_out = 6" in out
    code, out, _ = _run(["profile", "lenet5_relu", "--batch-size", "2", "--repeats", "1", "--format", "json"], capsys)
    data = json.loads(out)
    assert code == 0 and data["batch_size"] == 2 and data["layers"][0]["macs"] == 2 * 117_600


def test_compare(capsys):
    code, out, _ = _run(["compare", "lenet5", "lenet5_relu", "nosuchnet", "--format", "markdown"], capsys)
    assert code == 0 and "| lenet5_relu | 5 | 61,706 |" in out
    assert "nosuchnet: not in the model zoo" in out


@pytest.mark.parametrize("argv, message", [
    (["summary", "nosuchnet"], "unknown model 'nosuchnet'"),
    (["summary", "lenet5_relu", "--input", "1x32xx"], "--input must be CxHxW, HxW or one size"),
    (["explain", "lenet5_relu", "--input", "0x32x32"], "--input sizes must be positive"),
    (["summary", "squeezenet1_0", "--input", "16"], r"layer 'features.11' \(MaxPool2d\)"),
    (["profile", "lenet5_relu", "--input", "1x8x8"], r"layer 'features.c5' \(Conv2d\)|32x32"),
    (["compare", "nosuchnet"], "none of nosuchnet is in the model zoo"),
])
def test_mistakes_are_one_line_and_exit_2(capsys, argv, message):
    code, out, err = _run(argv, capsys)
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1
    assert re.search(message, err)


def test_without_an_error_type_the_command_error_propagates():
    parser = argparse.ArgumentParser()
    add_parsers(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["summary", "nosuchnet"])
    with pytest.raises(CommandError, match="unknown model"):
        args.run(args)


def test_bad_batch_size_is_an_argparse_error(capsys):
    with pytest.raises(SystemExit) as exit_info:
        _run(["summary", "lenet5_relu", "--batch-size", "0"], capsys)
    assert exit_info.value.code == 2
