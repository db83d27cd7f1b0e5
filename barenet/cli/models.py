"""``barenet models``: the zoo, with parameter counts."""
from __future__ import annotations

import fnmatch
import re

from .. import models
from .errors import UsageError

__all__ = ["add_parser", "parameter_count"]

# Every builder's docstring states its size as "60,000 parameters" or "60,000 trainable parameters";
# tests/models/test_zoo.py checks each statement against the built model.
_DOCUMENTED = re.compile(r"(\d[\d,]*) (?:trainable )?parameters")


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("models", help="list the model zoo with parameter counts",
                              description="List the registered models, their parameter counts at their "
                                          "default number of classes, and the first line of their description.")
    p.add_argument("pattern", nargs="?", default="*", help="shell-style filter, e.g. 'lenet*' (default: all)")
    p.set_defaults(run=run)


def parameter_count(name: str) -> int:
    """The documented parameter count, or the built model's when the docstring gives none
    (building the whole zoo would take a minute: VGG alone draws 130M random weights)."""
    found = _DOCUMENTED.search(models.get_model_builder(name).__doc__ or "")
    if found:
        return int(found.group(1).replace(",", ""))
    return sum(p.numel() for p in models.get_model(name).parameters())


def run(args) -> int:
    names = [n for n in models.list_models() if fnmatch.fnmatchcase(n, args.pattern)]
    if not names:
        raise UsageError(f"no model matches {args.pattern!r}. Valid names: {', '.join(models.list_models())}.")
    width = max(len(n) for n in names)
    print(f"{'model'.ljust(width)}  {'parameters':>12}  description")
    for name in names:
        doc = (models.get_model_builder(name).__doc__ or "").strip().splitlines()
        print(f"{name.ljust(width)}  {parameter_count(name):>12,}  {doc[0] if doc else ''}")
    return 0
