"""Text, JSON, CSV and Markdown renderings of summaries, explanations, profiles and comparisons."""
from __future__ import annotations

import csv
import io
import json

from .memory import format_bytes

__all__ = ["text_table", "markdown_table", "csv_table", "summary_table", "summary_json", "summary_csv",
           "explain_table", "human"]


def human(n: float) -> str:
    """``11_514_000_000`` -> ``"11.51 G"``: three significant-ish digits with an SI prefix.

    Example:
        >>> human(1_813_561_344), human(60_000)
        ('1.81 G', '60.00 K')
    """
    for scale, prefix in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "K")):
        if abs(n) >= scale:
            return f"{n / scale:.2f} {prefix}"
    return f"{n:g}"


def text_table(headers: list, rows: list, right: set = frozenset()) -> str:
    """Columns padded to their widest cell; the columns indexed in ``right`` right-aligned."""
    cells = [list(map(str, headers))] + [[str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]

    def line(row):
        return "  ".join(c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(row, widths))).rstrip()

    rule = "-" * len(line(cells[0]))
    return "\n".join([line(cells[0]), rule] + [line(r) for r in cells[1:]])


def markdown_table(headers: list, rows: list, right: set = frozenset()) -> str:
    """A GitHub-flavoured Markdown table."""
    align = ["---:" if i in right else ":---" for i in range(len(headers))]
    lines = ["| " + " | ".join(map(str, headers)) + " |", "| " + " | ".join(align) + " |"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def csv_table(headers: list, rows: list) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(headers)
    writer.writerows(rows)
    return buffer.getvalue()


def _shape(shape) -> str:
    return "(" + ", ".join(map(str, shape)) + ")"


def _rf(layer) -> str:
    return "" if layer.receptive_field is None else layer.receptive_field.describe()


def _breakdown(parts: dict) -> str:
    return ", ".join(f"{kind} {value:,}" for kind, value in parts.items() if value)


def summary_table(s) -> str:
    """Keras/torchinfo-style: one line per layer, then the totals."""
    rows = [(layer.name, layer.type, _shape(layer.output_shape), f"{layer.params:,}", f"{layer.macs:,}",
             f"{layer.ops:,}", _rf(layer)) for layer in s.layers]
    table = text_table(["layer", "type", "output shape", "params", "MACs", "other ops", "RF"], rows, {3, 4, 5, 6})
    memory = s.training_memory()
    lines = [
        f"{s.model} on input {_shape(s.input_shape)} ({s.dtype}), per sample unless stated",
        table,
        f"Parameters: {s.total_params:,} ({s.trainable_params:,} trainable"
        + (f"; {s.unused_params:,} in layers this pass did not run)" if s.unused_params else ")"),
        f"MACs: {s.macs:,} ({human(s.macs)}MAC) = {_breakdown(s.macs_by_type)}",
        f"FLOPs (2 x MACs): {human(s.flops)}FLOP; backward pass: about {human(s.backward_macs)}MAC",
        f"Other operations: {s.ops:,} ({_breakdown(s.ops_by_type)})",
        f"Memory: parameters {format_bytes(s.param_bytes)}, buffers {format_bytes(s.buffer_bytes)}, "
        f"forward activations {format_bytes(s.activation_bytes * s.batch_size)} at batch {s.batch_size}, "
        f"convolution workspace {format_bytes(s.workspace_bytes)} (without barenet's chunking: "
        f"{format_bytes(s.naive_im2col_bytes)})",
        f"Training memory at batch {memory['batch_size']} with {memory['optimizer']}: "
        f"{format_bytes(memory['total'])} = parameters {format_bytes(memory['parameters'])} + gradients "
        f"{format_bytes(memory['gradients'])} + optimizer state {format_bytes(memory['optimizer_state'])} + "
        f"saved activations {format_bytes(memory['activations'])} + workspace {format_bytes(memory['workspace'])}",
    ]
    return "\n".join(lines)


def summary_json(s, optimizer: str = "momentum") -> str:
    return json.dumps(s.to_dict(optimizer), indent=2)


def summary_csv(s) -> str:
    headers = ["name", "type", "kind", "output_shape", "params", "trainable_params", "macs", "ops", "output_bytes",
               "receptive_field", "jump", "start"]
    rows = []
    for layer in s.layers:
        d = layer.to_dict()
        rows.append([d[h] if not isinstance(d[h], list) else "x".join(map(str, d[h])) for h in headers])
    return csv_table(headers, rows)


def explain_table(rows: list) -> str:
    return text_table(["layer", "type", "input", "output", "why"],
                      [(r.name, r.type, _shape(r.input_shape), _shape(r.output_shape), r.text) for r in rows])


def _ms(seconds: float) -> str:
    return f"{seconds * 1e3:.2f}"


def profile_table(p) -> str:
    """Per layer: MACs, forward and backward milliseconds and GFLOP/s; then the totals."""
    rows = [(t.name, t.type, f"{t.macs:,}", _ms(t.forward_s), f"{t.forward_gflops:.1f}" if t.macs else "",
             _ms(t.backward_s), f"{t.backward_gflops:.1f}" if t.backward_macs else "") for t in p.layers]
    table = text_table(["layer", "type", "MACs", "fwd ms", "fwd GFLOP/s", "bwd ms", "bwd GFLOP/s"], rows,
                       {2, 3, 4, 5, 6})
    backward_macs = sum(t.backward_macs for t in p.layers)
    lines = [
        f"{p.model}: a training step on a batch of {p.batch_size} x {p.input_shape} (fastest of the repeats)",
        table,
        f"Forward: {_ms(p.forward_s)} ms for {human(p.macs)}MAC = {2 * p.macs / p.forward_s / 1e9:.1f} GFLOP/s; "
        f"backward: {_ms(p.backward_s)} ms for {human(backward_macs)}MAC = "
        f"{2 * backward_macs / p.backward_s / 1e9:.1f} GFLOP/s",
        f"Reference: a 1024x1024 float32 matrix product runs at {p.matmul_gflops:.1f} GFLOP/s on this machine",
    ]
    return "\n".join(lines)
