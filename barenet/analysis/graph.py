r"""The layer graph of a summary, as Graphviz DOT: one box per layer, one edge per tensor passed on.

Branches are visible because edges follow tensors, not the order of execution: an Inception
block's four branches leave one node and meet at its ``cat`` node, a residual block's shortcut
skips to its ``add`` node. DOT text needs nothing installed; drawing SVG/PNG/PDF needs the
``graphviz`` Python package and the Graphviz programs.

Example:
    >>> from barenet import nn
    >>> from barenet.analysis import summary
    >>> print(to_dot(summary(nn.Sequential(nn.Linear(4, 2)), (4,))))  # doctest: +NORMALIZE_WHITESPACE
    digraph model {
      rankdir=TB; node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=10];
      input [label="input\n(1, 4)", fillcolor="#eeeeee"];
      n0 [label="0\nLinear\n(1, 2)", fillcolor="#fdd49e"];
      input -> n0;
    }
"""
from __future__ import annotations

from pathlib import Path

__all__ = ["to_dot", "write_graph"]

_COLORS = {"conv": "#9ecae1", "conv_transpose": "#9ecae1", "linear": "#fdd49e", "matmul": "#fdd49e",
           "pool": "#c7e9c0", "norm": "#dadaeb", "add": "#fcbba1", "concat": "#fcbba1"}
_TEXT_FORMATS = (".dot", ".gv")


def _node(node_id: str, lines: list, color: str) -> str:
    label = "\\n".join(line.replace("\\", "\\\\").replace('"', '\\"') for line in lines)
    return f'  {node_id} [label="{label}", fillcolor="{color}"];'


def _shape(shape) -> str:
    return "(" + ", ".join(map(str, shape)) + ")"


def to_dot(s) -> str:
    """The DOT source of the summary ``s``'s layer graph."""
    lines = ["digraph model {",
             '  rankdir=TB; node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=10];',
             _node("input", ["input", _shape((1,) + tuple(s.input_shape))], "#eeeeee")]
    edges = []
    for i, layer in enumerate(s.layers):
        lines.append(_node(f"n{i}", [layer.name, layer.type, _shape(layer.output_shape)],
                           _COLORS.get(layer.kind, "#ffffff")))
        edges += [f"  {'input' if p < 0 else f'n{p}'} -> n{i};" for p in layer.inputs]
    return "\n".join(lines + edges + ["}"])


def write_graph(s, path) -> Path:
    """Write the graph to ``path``: DOT text for ``.dot``/``.gv``, else drawn in the suffix's format.

    Raises:
        RuntimeError: drawing needs the ``graphviz`` package or the Graphviz programs, and one is
            missing (the message says how to install them, or to ask for a ``.dot`` file).
    """
    path = Path(path)
    dot = to_dot(s)
    if path.suffix.lower() in _TEXT_FORMATS:
        path.write_text(dot + "\n", encoding="utf-8")
        return path
    hint = (f"drawing {path.name} needs the graphviz Python package and the Graphviz programs "
            "(pip install graphviz; apt install graphviz / brew install graphviz); "
            f"or ask for {path.with_suffix('.dot').name} to get the graph as DOT text.")
    try:
        import graphviz
    except ImportError:
        raise RuntimeError(hint) from None
    try:
        data = graphviz.Source(dot).pipe(format=path.suffix.lstrip(".").lower() or "svg")
    except graphviz.ExecutableNotFound:
        raise RuntimeError(hint) from None
    path.write_bytes(data)
    return path
