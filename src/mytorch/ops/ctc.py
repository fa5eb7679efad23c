"""The CTC loss as an op: ``CTC`` (forward and backward side by side) and ``ctc_loss``.

The tables it is made of (the extended target, alpha, beta, gamma) are array kernels in
``mytorch.kernels.ctc``, readable and testable without the autograd; this file adds what
makes them a differentiable loss: PyTorch's gradient, ``zero_infinity``, the reduction,
and the refusal of a second derivative. ``ctc_loss`` is also exported by
``mytorch.ops.loss`` and ``mytorch.nn.functional``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from mytorch.autograd.function import Function, Node
from mytorch.autograd.tensor import TensorBase
from mytorch.kernels import ctc as K
from mytorch.ops import reduce as reduce_ops
from mytorch.ops._checks import require_float
from mytorch.ops.loss_reduction import check_reduction

if TYPE_CHECKING:  # annotations only: the class of every tensor, defined above the ops
    from mytorch._tensor import Tensor

__all__ = ["ctc_loss"]


class CTC(Function):
    """The CTC negative log-likelihood of each item, ``(N,)``, by log-space forward-backward.

    forward: ``-log p(target | x) = -logsumexp(alpha at the last frame over the two
    final positions)``. backward: PyTorch's gradient with respect to ``log_probs``,
    ``exp(log_probs) - gamma``, where ``gamma_t(c)`` is the posterior probability
    that frame t emits class c, summed over the extended positions of class c:
    ``gamma_t(s) = exp(alpha_t(s) + beta_t(s) - emit_t(s) + nll)`` (the tables are
    ``mytorch.kernels.ctc``'s). That is the
    gradient with respect to the logits when ``log_probs = log_softmax(logits)``
    (the true derivative with respect to ``log_probs`` is ``-gamma``; the added
    ``softmax`` term vanishes through log_softmax's backward, as in PyTorch).
    Frames past an item's length get 0.
    """

    @staticmethod
    def forward(ctx: Node, log_probs: Tensor, ext: np.ndarray, input_lengths: np.ndarray,
                target_lengths: np.ndarray, zero_infinity: bool) -> np.ndarray:
        lp = log_probs._data
        emit = K.emissions(lp, ext)  # (T, N, L)
        skip = K.skip_mask(ext)
        alpha = K.alpha_table(emit, skip)
        log_likelihood = K.log_likelihood(alpha, input_lengths, target_lengths)  # (N,)
        nll = -log_likelihood
        ctx.save_for_backward(log_probs)
        ctx.ext, ctx.skip, ctx.emit, ctx.alpha = ext, skip, emit, alpha
        ctx.log_likelihood = log_likelihood
        ctx.input_lengths, ctx.target_lengths = input_lengths, target_lengths
        ctx.zeroed = np.isinf(nll) if zero_infinity else np.zeros(len(nll), dtype=bool)
        return np.where(ctx.zeroed, 0, nll).astype(lp.dtype)

    @staticmethod
    def backward(ctx: Node, gy: Tensor) -> tuple[Tensor, None, None, None, None]:
        (log_probs,) = ctx.saved_tensors
        lp = log_probs._data
        t_max, _, classes = lp.shape
        beta = K.beta_table(ctx.emit, ctx.skip, ctx.input_lengths, ctx.target_lengths)
        gamma = K.gamma_table(ctx.alpha, beta, ctx.emit, ctx.log_likelihood)  # (T, N, L)
        grad = np.exp(lp) - K.class_posterior(gamma, ctx.ext, classes)
        inactive = (np.arange(t_max)[:, None] >= ctx.input_lengths[None, :]) | ctx.zeroed[None, :]
        grad[inactive] = 0  # frames past T_n, and items whose infinite loss was zeroed
        return CTCGradient.apply(log_probs, gy, grad), None, None, None, None


class CTCGradient(Function):
    """``grad * gy`` per item: the gradient of CTC, which is not differentiable again
    (the posterior it holds is a constant here), so a second derivative raises, as in
    PyTorch, rather than come out silently wrong."""

    @staticmethod
    def forward(ctx: Node, log_probs: Tensor, gy: Tensor, grad: np.ndarray) -> np.ndarray:
        return grad * gy._data[None, :, None]  # (T, N, C) * (1, N, 1)

    @staticmethod
    def backward(ctx: Node, ggx: Tensor) -> Any:
        raise RuntimeError("ctc_loss: the derivative of the CTC gradient (double backward) is "
                           "not implemented, as in PyTorch")


def ctc_loss(log_probs: Tensor, targets: Any, input_lengths: Any, target_lengths: Any,
             blank: int = 0, reduction: str = "mean", zero_infinity: bool = False) -> Tensor:
    """The Connectionist Temporal Classification loss (Graves et al., 2006).

    ``-log p(target | input)``, summed over every alignment: a path of T frames
    over the extended target (a blank before, between and after the labels) that
    moves one position per frame or stays, and may skip a blank between two
    different labels. Computed by the forward-backward algorithm in log space,
    vectorized over the batch and the extended positions; frames are the one loop.

    Args:
        log_probs: ``(T, N, C)`` log-probabilities (``log_softmax`` outputs), or
            ``(T, C)`` for one sequence.
        targets: ``(N, S)`` padded, or 1-D: the targets concatenated
            (``sum(target_lengths)`` labels); ``(S,)`` for one sequence. Labels in
            [0, C); positions past a target's length are ignored.
        input_lengths: ``(N,)`` frames of each item, at most T.
        target_lengths: ``(N,)`` labels of each item.
        blank: the blank class.
        reduction: 'none' | 'mean' (each loss divided by its target length, then the
            batch mean) | 'sum'.
        zero_infinity: an impossible alignment (a target too long for its input)
            has an infinite loss; this sets it, and its gradient, to 0.

    Shape:
        output ``()``, or ``(N,)`` with reduction='none' (``()`` for one sequence).

    The gradient with respect to ``log_probs`` is PyTorch's: ``softmax - posterior``,
    exact with respect to the logits behind a ``log_softmax``.

    >>> import mytorch
    >>> lp = mytorch.full((2, 1, 2), 0.5).log()  # 2 frames, 1 item, blank or label 1 at 50 %
    >>> ctc_loss(lp, mytorch.tensor([[1]]), [2], [1], reduction='none')  # 1 1, 1 -, - 1: 3/4
    tensor([0.2877])
    """
    op = "ctc_loss"
    reduction = check_reduction(op, reduction)
    lp = require_float(op, log_probs)
    checked = K.check_inputs(op, lp.shape, blank, np.asarray(input_lengths), np.asarray(targets),
                             np.asarray(target_lengths))
    assert checked.targets is not None and checked.target_lengths is not None  # targets given
    if checked.unbatched:
        lp = lp.unsqueeze(1)  # (T, C) -> (T, 1, C)
    ext = K.extend_targets(checked.targets, checked.target_lengths, blank)
    losses = CTC.apply(lp, ext, checked.input_lengths, checked.target_lengths, zero_infinity)
    if reduction == "sum":
        return reduce_ops.sum(losses)
    if reduction == "mean":
        per_label = np.maximum(checked.target_lengths, 1).astype(losses.dtype)
        return reduce_ops.mean(losses / TensorBase._make(per_label))
    return losses.reshape(()) if checked.unbatched else losses
