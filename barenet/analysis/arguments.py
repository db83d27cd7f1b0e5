"""The seeds' design arguments as numbers: why VGG stacks 3x3 convolutions, why GoogLeNet reduces with
1x1 convolutions first, how dilation widens the view, and what global average pooling saves.

Each helper returns plain dicts computed with the same counting rules and receptive-field
arithmetic as ``summary`` (``counting.conv_params``/``conv_macs``, ``receptive_field``).

Example:
    >>> stacked_vs_single(layers=3)["param_ratio"]  # three 3x3 layers vs one 7x7: 27C^2 / 49C^2
    0.551
"""
from __future__ import annotations

from .counting import conv_macs, conv_params
from .receptive_field import Window, stack_receptive_field

__all__ = ["stacked_vs_single", "reduction_saving", "dilated_stack", "fc_head_vs_gap"]


def stacked_vs_single(kernel: int = 3, layers: int = 2, channels: int = 64) -> dict:
    """``layers`` stacked KxK convolutions (C to C channels, stride 1) versus one convolution seeing
    as much (Simonyan & Zisserman 2015, Sec. 2.3: three 3x3 layers see 7x7 with 27C^2 weights
    instead of 49C^2, and bring three nonlinearities instead of one). Biases are left out.
    """
    rf = stack_receptive_field([Window.square(kernel)] * layers).size[0]
    stack = layers * conv_params(channels, channels, (kernel, kernel), bias=False)
    single = conv_params(channels, channels, (rf, rf), bias=False)
    return {"layers": layers, "kernel": kernel, "receptive_field": rf, "single_kernel": rf,
            "stack_params": stack, "single_params": single, "param_ratio": round(stack / single, 3),
            "stack_nonlinearities": layers, "single_nonlinearities": 1}


def _same_conv_macs(hw: tuple, c_in: int, c_out: int, k: int) -> int:
    return conv_macs(hw, c_in, c_out, (k, k))  # "same" padding keeps H x W


def reduction_saving(height: int = 100, width: int = 100, in_channels: int = 60, reduced_channels: int = 20,
                     out_channels: int | None = None, kernels=(3, 5)) -> list:
    """MACs of KxK convolutions on an H x W x C_in map, directly and after a 1x1 reduction.

    The seeds' example: a 100x100x60 input reduced by twenty 1x1 filters to 100x100x20 before the
    3x3 and 5x5 convolutions of an Inception block. ``out_channels`` (default: ``in_channels``)
    is the width of each KxK convolution's output, which the example leaves open.

    Returns:
        One dict per kernel: ``direct_macs``, ``reduced_macs`` (the 1x1 plus the KxK on the
        reduced map), their ``saving`` factor, and the parameters of both designs.
    """
    c_out = in_channels if out_channels is None else out_channels
    hw = (height, width)
    reduce_macs = _same_conv_macs(hw, in_channels, reduced_channels, 1)
    out = []
    for k in kernels:
        direct = _same_conv_macs(hw, in_channels, c_out, k)
        reduced = reduce_macs + _same_conv_macs(hw, reduced_channels, c_out, k)
        out.append({"kernel": k, "direct_macs": direct, "reduced_macs": reduced, "saving": round(direct / reduced, 2),
                    "direct_params": conv_params(in_channels, c_out, (k, k)),
                    "reduced_params": conv_params(in_channels, reduced_channels, (1, 1))
                    + conv_params(reduced_channels, c_out, (k, k))})
    return out


def dilated_stack(rates=(1, 2, 4), kernel: int = 3) -> dict:
    """Receptive field of stacked KxK convolutions with these dilation rates versus the same number
    of plain ones (Yu & Koltun 2016): 1, 2, 4 see 15x15 where three plain 3x3 see 7x7, with the
    same weights."""
    dilated = stack_receptive_field([Window.square(kernel, dilation=r) for r in rates]).size[0]
    plain = stack_receptive_field([Window.square(kernel)] * len(rates)).size[0]
    return {"rates": tuple(rates), "kernel": kernel, "receptive_field": dilated, "plain_receptive_field": plain}


def _dense(n_in: int, widths) -> tuple:
    """Parameters and MACs of a chain of linear layers of these widths."""
    params = macs = 0
    for n_out in widths:
        params += n_in * n_out + n_out
        macs += n_in * n_out
        n_in = n_out
    return params, macs


def fc_head_vs_gap(channels: int = 512, height: int = 7, width: int = 7, num_classes: int = 1000,
                   hidden=(4096, 4096)) -> dict:
    """A fully connected head on the flattened H x W x C map versus global average pooling then one
    linear layer (Lin et al. 2014, NIN; GoogLeNet). Defaults: VGG-16's head on its 7x7x512 map.
    """
    fc_params, fc_macs = _dense(channels * height * width, tuple(hidden) + (num_classes,))
    gap_params, gap_macs = _dense(channels, (num_classes,))
    return {"fc_params": fc_params, "fc_macs": fc_macs, "gap_params": gap_params, "gap_macs": gap_macs,
            "gap_pool_ops": channels * height * width, "param_ratio": round(fc_params / gap_params, 1)}
