"""The analysis commands of the ``barenet`` command line: ``summary``, ``explain``, ``profile``, ``compare``.

Each command is an ``add_<name>_arguments(parser)`` and a ``<name>_command(args)`` returning the
exit code; ``add_parsers(subparsers, error_type)`` registers all four on an argparse subparsers
object. A mistake in what was asked for (an unknown model, a malformed ``--input``, an input too
small for a layer) raises ``CommandError``, or ``error_type`` when given (the command line's
own error class, which it prints on one line with exit code 2).
"""
from __future__ import annotations

import argparse
import functools
import json
import re

from .. import models
from .compare import DEFAULT_MODELS, compare, comparison_table, natural_input_size, plot_comparison
from .explain import explain
from .graph import write_graph
from .memory import OPTIMIZER_STATE
from .profile import profile
from .report import explain_table, summary_csv, summary_json
from .summary import summary

__all__ = ["CommandError", "add_parsers", "parse_input", "add_summary_arguments", "summary_command",
           "add_explain_arguments", "explain_command", "add_profile_arguments", "profile_command",
           "add_compare_arguments", "compare_command"]


class CommandError(ValueError):
    """A mistake in the command's arguments; the message is one line for the user."""


def parse_input(text: str | None, name: str, model) -> tuple:
    """``--input``: ``CxHxW``, ``HxW`` or ``S`` (square; channels from the model), or None for the
    model's natural size.

    Example:
        >>> from barenet import models
        >>> parse_input("160x120", "resnet18", models.get_model("resnet18"))
        (3, 160, 120)
    """
    if text is None:
        return natural_input_size(name, model)
    if not re.fullmatch(r"\d+(x\d+){0,2}", text.strip().lower()):
        raise CommandError(f"--input must be CxHxW, HxW or one size, e.g. 3x224x224. Received: {text!r}.")
    sizes = tuple(int(n) for n in text.strip().lower().split("x"))
    if 0 in sizes:
        raise CommandError(f"--input sizes must be positive. Received: {text!r}.")
    channels = getattr(model, "in_channels", 3)
    return {1: (channels,) + sizes * 2, 2: (channels,) + sizes, 3: sizes}[len(sizes)]


def _build(name: str):
    try:
        return models.get_model(name)
    except ValueError as error:
        raise CommandError(str(error)) from None


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def _add_model_and_input(parser) -> None:
    parser.add_argument("model", help="a model of the zoo (see `barenet models`)")
    parser.add_argument("--input", metavar="CxHxW",
                        help="one sample's shape, e.g. 3x224x224 (default: the size the model is designed for)")


# ----- summary -----------------------------------------------------------------------------------
def add_summary_arguments(parser) -> None:
    _add_model_and_input(parser)
    parser.add_argument("--batch-size", type=_positive, default=1, help="batch for the memory figures (default 1)")
    parser.add_argument("--format", choices=("table", "json", "csv"), default="table")
    parser.add_argument("--optimizer", choices=tuple(OPTIMIZER_STATE), default="momentum",
                        help="optimizer whose state the training-memory estimate includes (default momentum)")
    parser.add_argument("--train", action="store_true", help="count the training-mode pass (auxiliary heads, dropout)")
    parser.add_argument("--graph", metavar="FILE", help="also draw the layer graph (.svg/.png/.pdf; .dot for DOT text)")


def summary_command(args) -> int:
    model = _build(args.model)
    size = parse_input(args.input, args.model, model)
    try:
        result = summary(model, size, batch_size=args.batch_size, training=args.train, name=args.model)
        if args.graph:
            write_graph(result, args.graph)
    except (ValueError, RuntimeError) as error:  # a layer the input is too small for; graphviz missing
        raise CommandError(str(error)) from None
    if args.format == "json":
        print(summary_json(result, args.optimizer))
    elif args.format == "csv":
        print(summary_csv(result), end="")
    else:
        print(result)
    return 0


# ----- explain -----------------------------------------------------------------------------------
def add_explain_arguments(parser) -> None:
    _add_model_and_input(parser)


def explain_command(args) -> int:
    model = _build(args.model)
    size = parse_input(args.input, args.model, model)
    try:
        rows = explain(model, size)
    except ValueError as error:
        raise CommandError(str(error)) from None
    print(explain_table(rows))
    return 0


# ----- profile -----------------------------------------------------------------------------------
def add_profile_arguments(parser) -> None:
    _add_model_and_input(parser)
    parser.add_argument("--batch-size", type=_positive, default=1, help="samples per training step (default 1)")
    parser.add_argument("--repeats", type=_positive, default=2, help="timed steps; each layer keeps its fastest")
    parser.add_argument("--format", choices=("table", "json"), default="table")


def profile_command(args) -> int:
    model = _build(args.model)
    size = parse_input(args.input, args.model, model)
    try:
        result = profile(model, size, batch_size=args.batch_size, repeats=args.repeats, name=args.model)
    except ValueError as error:
        raise CommandError(str(error)) from None
    print(json.dumps(result.to_dict(), indent=2) if args.format == "json" else result)
    return 0


# ----- compare -----------------------------------------------------------------------------------
def add_compare_arguments(parser) -> None:
    parser.add_argument("models", nargs="*", default=list(DEFAULT_MODELS),
                        help=f"models to compare (default: {' '.join(DEFAULT_MODELS)})")
    parser.add_argument("--format", choices=("markdown", "csv"), default="markdown")
    parser.add_argument("--plot", metavar="FILE.png", help="also draw parameters versus MACs")


def compare_command(args) -> int:
    rows, skipped = compare(args.models)
    if not rows:
        raise CommandError(f"none of {', '.join(args.models)} is in the model zoo. "
                           f"Valid names: {', '.join(models.list_models())}.")
    print(comparison_table(rows, skipped, args.format))
    if args.plot:
        try:
            plot_comparison(rows, args.plot)
        except RuntimeError as error:
            raise CommandError(str(error)) from None
    return 0


_COMMANDS = (
    ("summary", add_summary_arguments, summary_command,
     "parameters, MACs, memory and receptive fields, layer by layer"),
    ("explain", add_explain_arguments, explain_command, "the output-size arithmetic of every layer"),
    ("profile", add_profile_arguments, profile_command, "measured forward/backward time per layer"),
    ("compare", add_compare_arguments, compare_command, "the classic CNNs side by side, derived from the code"),
)


def _translating(run, error_type):
    @functools.wraps(run)
    def wrapper(args):
        try:
            return run(args)
        except CommandError as error:
            raise error_type(str(error)) from None
    return wrapper


def add_parsers(subparsers, error_type: type | None = None) -> None:
    """Register the four commands on ``subparsers``; each sets ``run`` as its default.

    Args:
        subparsers: what ``ArgumentParser.add_subparsers`` returned.
        error_type: the exception class ``CommandError`` is turned into (e.g. the command
            line's ``UsageError``); None keeps ``CommandError``.
    """
    for name, add_arguments, run, help_text in _COMMANDS:
        parser = subparsers.add_parser(name, help=help_text, description=help_text[0].upper() + help_text[1:] + ".")
        add_arguments(parser)
        parser.set_defaults(run=run if error_type is None else _translating(run, error_type))
