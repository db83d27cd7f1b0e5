"""Complexity analysis: parameters, MACs, memory, receptive fields, per-layer timing, model comparison.

``summary(model, input_size)`` walks a model once and reports, layer by layer and in total, its
parameters, multiply-accumulates (MACs, counted as torch forward hooks count them), other
operations, activation memory and receptive fields; ``explain`` shows each layer's output-size
arithmetic; ``profile`` measures where a training step's time goes; ``compare`` regenerates the
seeds' table of classic CNNs; ``arguments`` puts numbers on the seeds' design arguments.

Example:
    >>> from barenet import nn
    >>> from barenet.analysis import summary
    >>> s = summary(nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2)), (3, 8, 8))
    >>> s.macs, s.macs_by_type["conv"], s.layers[2].receptive_field.size
    (13824, 13824, (4, 4))
"""
from .arguments import dilated_stack, fc_head_vs_gap, reduction_saving, stacked_vs_single
from .compare import DEFAULT_MODELS, TOP5_ERROR, compare, comparison_table, natural_input_size, plot_comparison
from .counting import Cost, conv_macs, conv_params, register_rule
from .explain import Explanation, explain, explain_layer
from .graph import to_dot, write_graph
from .memory import OPTIMIZER_STATE, training_memory
from .profile import LayerTiming, Profile, matmul_gflops, profile
from .receptive_field import ReceptiveField, Window, stack_receptive_field
from .summary import Layer, Summary, summary

__all__ = [
    "Cost", "DEFAULT_MODELS", "Explanation", "Layer", "LayerTiming", "OPTIMIZER_STATE", "Profile", "ReceptiveField",
    "Summary", "TOP5_ERROR", "Window", "compare", "comparison_table", "conv_macs", "conv_params", "dilated_stack",
    "explain", "explain_layer", "fc_head_vs_gap", "matmul_gflops", "natural_input_size", "plot_comparison",
    "profile", "reduction_saving", "register_rule", "stack_receptive_field", "stacked_vs_single", "summary",
    "to_dot", "training_memory", "write_graph",
]
