"""``barenet viz``: pictures of what a network learned (see ``barenet.viz.commands``)."""
from __future__ import annotations

from ..viz.commands import add_viz_arguments, viz_command
from .errors import UsageError

__all__ = ["add_parser"]


def add_parser(subparsers) -> None:
    add_viz_arguments(subparsers).set_defaults(run=run)


def run(args) -> int:
    try:
        return viz_command(args)
    except (ValueError, FileNotFoundError) as exc:
        raise UsageError(str(exc)) from None
