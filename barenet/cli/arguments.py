"""Option parsers shared by the subcommands (argparse turns their errors into exit code 2)."""
from __future__ import annotations

import argparse
import math

__all__ = ["number", "add_run_arguments"]


def number(kind, low: float, low_ok: bool, high: float | None = None):
    """An argparse ``type`` accepting a ``kind`` (int or float) above ``low`` (or equal, with
    ``low_ok``) and below ``high``."""
    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {'an integer' if kind is int else 'a number'}, got {text!r}")
        if not math.isfinite(value):
            raise argparse.ArgumentTypeError(f"expected a finite number, got {text}")
        if value < low or (value == low and not low_ok) or (high is not None and value >= high):
            bounds = f"{'>=' if low_ok else '>'} {low}" + (f" and < {high}" if high is not None else "")
            raise argparse.ArgumentTypeError(f"must be {bounds}, got {text}")
        return value
    return parse


def add_run_arguments(parser) -> None:
    """RUN_OR_CHECKPOINT and ``--checkpoint``: how ``eval`` and ``predict`` name a trained model."""
    parser.add_argument("run_or_checkpoint", metavar="RUN_OR_CHECKPOINT", help="run directory or checkpoint file")
    parser.add_argument("--checkpoint", choices=("best", "last"), default="best",
                        help="which checkpoint of a run directory (default: best)")
