"""The ``barenet`` command line, thin over the packages below it (``barenet.cli.main:main``)."""
from .main import build_parser, main

__all__ = ["build_parser", "main"]
