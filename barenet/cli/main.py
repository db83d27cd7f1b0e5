"""The ``barenet`` command: ``train``, ``eval``, ``predict``, ``models``, ``summary``, ``explain``,
``profile``, ``compare``, ``viz``.

Mistakes in what was asked for (an unknown model or dataset, a bad value, a missing run
directory, an unknown option) end with a one-line message on stderr and exit code 2.
"""
from __future__ import annotations

import argparse
import sys

from ..analysis.commands import add_parsers as add_analysis_parsers
from . import eval as eval_cmd
from . import models, predict, train, viz
from .errors import UsageError

__all__ = ["build_parser", "main"]


class Parser(argparse.ArgumentParser):
    """argparse, with its usage errors on one line like every other error of the command line
    (the subcommands' parsers are of this class too: ``add_subparsers`` uses the parent's)."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    from .. import __version__

    parser = Parser(
        prog="barenet", description="barenet: a CNN framework written from first principles on NumPy.")
    parser.add_argument("--version", action="version", version=f"barenet {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    train.add_parser(subparsers)
    eval_cmd.add_parser(subparsers)
    predict.add_parser(subparsers)
    models.add_parser(subparsers)
    add_analysis_parsers(subparsers, UsageError)
    viz.add_parser(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line on ``argv`` (``sys.argv[1:]`` by default); return the exit code.

    argparse's errors (an unknown option, an invalid value) raise ``SystemExit(2)`` as usual,
    after one line on stderr.
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(argv)
    args.argv = argv
    try:
        return args.run(args)
    except UsageError as exc:
        print(f"barenet {args.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
