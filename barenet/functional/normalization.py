"""Normalisation ops: batch normalisation and local response normalisation (AlexNet's LRN).

Both have hand-written backward passes: batch norm's is the classic fused formula (the
gradient flows through the batch mean and variance without building them as graph nodes);
LRN's routes each channel's gradient back through every window that contains it.
"""
from __future__ import annotations

import math

from .. import _args, backend
from ..autograd import Function
from ..autograd.tensor_math import expect_tensors

__all__ = ["batch_norm", "local_response_norm"]


def _data(t):
    """The raw array of a Tensor (``None`` stays ``None``)."""
    return None if t is None else t.data


def _check_batch_norm(input, running_mean, running_var, weight, bias, training: bool) -> None:
    expect_tensors("batch_norm", ("running_mean", "running_var", "weight", "bias"), input=input,
                   running_mean=running_mean, running_var=running_var, weight=weight, bias=bias)
    if input.ndim < 2:
        raise ValueError(f"batch_norm: expected input of shape (N, C, ...) with at least 2 dimensions. "
                         f"Received: input.shape={tuple(input.shape)}.")
    c = input.shape[1]
    for name, t in (("running_mean", running_mean), ("running_var", running_var),
                    ("weight", weight), ("bias", bias)):
        if t is not None and tuple(t.shape) != (c,):
            raise ValueError(f"batch_norm: {name} must have shape (C,) = ({c},), one value per channel. "
                             f"Received: input.shape={tuple(input.shape)}, {name}.shape={tuple(t.shape)}.")
    if training and math.prod(input.shape) // max(c, 1) <= 1:
        raise ValueError(f"batch_norm: expected more than 1 value per channel when training. "
                         f"Received: input.shape={tuple(input.shape)}.")
    if not training and (running_mean is None or running_var is None):
        raise ValueError("batch_norm: running_mean and running_var are required when training=False. "
                         "Received: None; pass the running statistics, or training=True.")


class BatchNorm(Function):
    """y = (x - mean) / sqrt(var + eps) * weight + bias over (N, *) for each channel."""

    def __init__(self, running_mean, running_var, training: bool, momentum: float, eps: float):
        self.running_mean, self.running_var = running_mean, running_var
        self.training, self.momentum, self.eps = training, momentum, eps

    def forward(self, x, weight, bias):
        xp = backend.get_array_module(x)
        x3 = x.reshape(x.shape[0], x.shape[1], -1)  # (N, C, L), L = H*W, or 1 for (N, C)
        self.count = x3.shape[0] * x3.shape[2]  # m: values per channel
        if self.training:
            mean = x3.sum(axis=(0, 2)) / self.count  # (C,)
            y = x3 - mean[:, None]  # (N, C, L), x - mean for now; becomes the output in place
            # Two passes (mean, then squared deviations): E[x^2] - E[x]^2 cancels badly in float32.
            var = xp.einsum("ncl,ncl->c", y, y) / self.count  # biased, (C,)
            self._update_running(mean, var)
        else:
            mean = self.running_mean.astype(x.dtype)  # a copy: backward must not see later updates
            var = self.running_var.astype(x.dtype)
        inv_std = 1 / xp.sqrt(var + self.eps)  # (C,)
        scale = inv_std if weight is None else inv_std * weight  # (C,)
        if self.training:
            y *= scale[:, None]
            if bias is not None:
                y += bias[:, None]
        else:
            shift = -mean * scale if bias is None else bias - mean * scale
            y = x3 * scale[:, None]
            y += shift[:, None]
        if any(self.needs_input_grad):
            # Only x itself (held by the graph anyway) is kept, not x - mean: backward recomputes
            # it, which costs one pass but no activation-sized buffer per layer until then.
            self.x3, self.mean, self.inv_std, self.scale = x3, mean, inv_std, scale
        return y.reshape(x.shape)

    def _update_running(self, mean, var) -> None:
        """running = (1 - momentum) * running + momentum * batch, in place, unbiased variance."""
        m, rm, rv = self.count, self.running_mean, self.running_var
        if rm is not None:
            rm *= 1 - self.momentum
            rm += self.momentum * mean
        if rv is not None:
            rv *= 1 - self.momentum
            rv += (self.momentum * m / (m - 1)) * var

    def backward(self, gy):
        need_x, need_w, need_b = self.needs_input_grad
        xp = backend.get_array_module(gy)
        g3 = gy.reshape(gy.shape[0], gy.shape[1], -1)  # (N, C, L)
        train_x = need_x and self.training
        gsum = g3.sum(axis=(0, 2)) if need_b or train_x else None  # sum(dy), (C,)
        xc = gdot = None
        if need_w or train_x:
            xc = self.x3 - self.mean[:, None]  # (N, C, L)
            gdot = xp.einsum("ncl,ncl->c", g3, xc)  # sum(dy * (x - mean)), (C,)
        gx = None
        if train_x:
            # x_hat = (x - mean) * inv_std, m values per channel; the batch mean and variance depend on x:
            # dL/dx = (1/m) * gamma * inv_std * (m*dy - sum(dy) - x_hat * sum(dy * x_hat))
            #       = gamma * inv_std * (dy - sum(dy)/m - (x - mean) * inv_std^2 * sum(dy * (x - mean))/m)
            m = self.count
            gx = xc  # reuse the buffer
            gx *= (-(self.inv_std * self.inv_std) * gdot / m)[:, None]
            gx += g3
            gx -= (gsum / m)[:, None]
            gx *= self.scale[:, None]
        elif need_x:
            gx = g3 * self.scale[:, None]  # running statistics are constants: dL/dx = dy * gamma * inv_std
        gweight = gdot * self.inv_std if need_w else None  # dL/dgamma = sum(dy * x_hat)
        gbias = gsum if need_b else None  # dL/dbeta = sum(dy)
        return (None if gx is None else gx.reshape(gy.shape)), gweight, gbias


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training: bool = False,
               momentum: float = 0.1, eps: float = 1e-5):
    """Batch normalisation (Ioffe & Szegedy, 2015), per channel over the batch and spatial dims.

    ``y = (x - mean) / sqrt(var + eps) * weight + bias``. In training the batch's own mean and
    biased variance normalise it, and ``running_mean``/``running_var`` (when given) are updated
    in place: ``running = (1 - momentum) * running + momentum * batch_stat``, with the unbiased
    variance ``var * m / (m - 1)``, m = N * L values per channel. In eval the running statistics
    normalise it.

    Backward (m values per channel, x_hat = (x - mean) / sqrt(var + eps)), in training:
    ``dL/dx = (1/m) * weight / sqrt(var + eps) * (m*dy - sum(dy) - x_hat * sum(dy * x_hat))``;
    in eval ``dL/dx = dy * weight / sqrt(var + eps)``; always ``dL/dweight = sum(dy * x_hat)``
    and ``dL/dbias = sum(dy)``, the sums over N and the spatial dims.

    Args:
        input: the activations.
        running_mean: the per-channel running mean (updated in place in training), or None.
        running_var: the per-channel running variance (updated in place in training), or None.
        weight: per-channel scale gamma, or None for 1.
        bias: per-channel shift beta, or None for 0.
        training: normalise with the batch statistics (and update the running ones).
        momentum: weight of the batch statistics in the running-average update.
        eps: added to the variance for numerical stability.

    Shape:
        - input: (N, C), (N, C, L) or (N, C, H, W); running_mean, running_var, weight, bias: (C,)
        - output: the shape of input

    Returns:
        The normalised tensor.

    Raises:
        ValueError: input has fewer than 2 dims, a per-channel tensor is not (C,), a channel has
            a single value in training, or the running statistics are missing in eval mode.

    Example:
        >>> import barenet
        >>> x = barenet.tensor([[1.0, 10.0], [3.0, 30.0]])
        >>> batch_norm(x, None, None, training=True, eps=0.0).numpy()
        array([[-1., -1.],
               [ 1.,  1.]], dtype=float32)
    """
    _check_batch_norm(input, running_mean, running_var, weight, bias, training)
    momentum, eps = _args.number("batch_norm", "momentum", momentum), _args.number("batch_norm", "eps", eps, minimum=0)
    fn = BatchNorm(_data(running_mean), _data(running_var), training, momentum, eps)
    return fn(input, weight, bias)


def _channel_window_sum(a, before: int, after: int):
    """out[:, c] = sum of a[:, c - before .. c + after] along dim 1, zero outside the channels."""
    c = a.shape[1]
    out = a.copy()
    for off in range(1, min(before, c - 1) + 1):  # loops over window offsets only
        out[:, off:] += a[:, :c - off]
    for off in range(1, min(after, c - 1) + 1):
        out[:, :c - off] += a[:, off:]
    return out


class LocalResponseNorm(Function):
    """y_c = x_c * d_c^(-beta), d_c = k + alpha/n * sum_{c' in W(c)} x_{c'}^2."""

    def __init__(self, size: int, alpha: float, beta: float, k: float):
        self.size, self.alpha, self.beta, self.k = size, alpha, beta, k

    def forward(self, x):
        xp = backend.get_array_module(x)
        n = self.size
        # W(c) = [c - n//2, c + (n-1)//2]: torch's zero padding (n//2 before, (n-1)//2 after).
        d = _channel_window_sum(x * x, n // 2, (n - 1) // 2)  # (N, C, *)
        d *= self.alpha / n
        d += self.k
        p = xp.power(d, -self.beta)  # d^(-beta)
        y = x * p
        if self.needs_input_grad[0]:
            self.x, self.d, self.p, self.y = x, d, p, y
        return y

    def backward(self, gy):
        n = self.size
        # dL/dx_j = dy_j * d_j^(-beta) - (2*alpha*beta/n) * x_j * sum_{c: j in W(c)} dy_c * y_c / d_c;
        # j in W(c) iff c in [j - (n-1)//2, j + n//2]: the mirrored window.
        t = gy * self.y
        t /= self.d
        s = _channel_window_sum(t, (n - 1) // 2, n // 2)  # (N, C, *)
        s *= self.x
        s *= 2 * self.alpha * self.beta / n
        gx = gy * self.p
        gx -= s
        return gx


def local_response_norm(input, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1.0):
    """Local response normalisation across channels (PyTorch's definition).

    ``b_c = a_c / (k + alpha/size * sum_{c'} a_{c'}^2)^beta``, the sum over the ``size`` channels
    ``c - size//2 .. c + (size-1)//2`` (zero-padded at the ends), independently at every
    position.

    Relation to AlexNet (Krizhevsky et al. 2012, section 3.3): the paper writes
    ``b^i = a^i / (k + alpha_paper * sum_{j=max(0, i-n/2)}^{min(N-1, i+n/2)} (a^j)^2)^beta``, without
    dividing alpha by n. For odd n the windows agree, so the paper's layer (k=2, n=5,
    alpha_paper=1e-4, beta=0.75) is ``local_response_norm(x, size=5, alpha=5e-4, beta=0.75, k=2.0)``:
    ``alpha = n * alpha_paper``. (Caffe and PyTorch both divide by n; torchvision's AlexNet has
    no LRN at all.)

    Backward, with ``d_c = k + alpha/size * sum_{c' in W(c)} a_{c'}^2``:
    ``dL/da_j = dy_j * d_j^(-beta) - (2*alpha*beta/size) * a_j * sum_{c: j in W(c)} dy_c * b_c / d_c``.

    Args:
        input: the activations.
        size: number of neighbouring channels in the window, counting the channel itself.
        alpha: scale of the windowed sum of squares (divided by ``size``).
        beta: exponent.
        k: additive constant.

    Shape:
        - input: (N, C, *) with at least 3 dims, e.g. (N, C, H, W)
        - output: the shape of input

    Returns:
        The normalised tensor.

    Raises:
        ValueError: input has fewer than 3 dims, or size is not a positive integer.

    Example:
        >>> import barenet
        >>> x = barenet.ones(1, 3, 1, 1)
        >>> local_response_norm(x, size=2, alpha=2.0, beta=1.0, k=1.0).numpy().ravel()
        array([0.5       , 0.33333334, 0.33333334], dtype=float32)
    """
    if input.ndim < 3:
        raise ValueError(f"local_response_norm: expected input of shape (N, C, *) with at least 3 dimensions. "
                         f"Received: input.shape={tuple(input.shape)}.")
    op = "local_response_norm"
    size = _args.integer(op, "size", size, minimum=1)
    alpha, beta, k = (_args.number(op, name, v) for name, v in (("alpha", alpha), ("beta", beta), ("k", k)))
    return LocalResponseNorm(size, alpha, beta, k)(input)
