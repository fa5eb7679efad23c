"""Loss layers: each holds its options (and class weights, as buffers) and calls its
``nn.functional`` twin.

They also speak the course protocol: ``loss = criterion.forward(A, Y)`` on NumPy
arrays returns the loss as an array, and ``criterion.backward()`` returns dL/dA.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from mytorch._tensor import Tensor
from mytorch.nn import functional as F
from mytorch.nn.module import Module
from mytorch.ops.loss_reduction import legacy_reduction

__all__ = [
    "MSELoss", "L1Loss", "SmoothL1Loss", "CrossEntropyLoss", "NLLLoss", "BCELoss",
    "BCEWithLogitsLoss", "KLDivLoss", "CTCLoss",
]


def _buffer(value: Any) -> Tensor | None:
    """A weight given as an array or list becomes a Tensor (None stays None)."""
    if value is None or isinstance(value, Tensor):
        return value
    return Tensor._make(np.asarray(value))


class _Loss(Module):
    """Base of the losses: the reduction (PyTorch's deprecated ``size_average`` and
    ``reduce`` still translate into it, with a warning)."""

    def __init__(self, size_average: bool | None = None, reduce: bool | None = None,
                 reduction: str = "mean") -> None:
        super().__init__()
        if size_average is not None or reduce is not None:
            reduction = legacy_reduction(size_average, reduce)
        self.reduction = reduction


class _WeightedLoss(_Loss):
    """A loss with an optional per-class ``weight``, registered as a buffer like PyTorch's
    (saved in ``state_dict``, moved by ``to(dtype)``, never trained)."""

    def __init__(self, weight: Any = None, size_average: bool | None = None,
                 reduce: bool | None = None, reduction: str = "mean") -> None:
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", _buffer(weight))


class MSELoss(_Loss):
    """Mean squared error: ``(input - target)^2``, reduced.

    Args:
        reduction: 'none' | 'mean' | 'sum'.

    Shape:
        - input: ``(*)``, any shape.
        - target: ``(*)``, the input's shape.
        - output: ``()``; ``(*)`` with reduction='none'.

    >>> import mytorch
    >>> MSELoss()(mytorch.tensor([1.0, 2.0]), mytorch.tensor([1.0, 0.0]))
    tensor(2.)
    """

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return F.mse_loss(input, target, reduction=self.reduction)


class L1Loss(_Loss):
    """Mean absolute error: ``|input - target|``, reduced.

    Args:
        reduction: 'none' | 'mean' | 'sum'.

    Shape:
        - input: ``(*)``, any shape.
        - target: ``(*)``, the input's shape.
        - output: ``()``; ``(*)`` with reduction='none'.

    >>> import mytorch
    >>> L1Loss()(mytorch.tensor([1.0, 2.0]), mytorch.tensor([1.0, 0.0]))
    tensor(1.)
    """

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return F.l1_loss(input, target, reduction=self.reduction)


class SmoothL1Loss(_Loss):
    """Huber-like loss: ``0.5 d^2 / beta`` where ``|d| < beta``, else ``|d| - 0.5 beta``.

    Args:
        reduction: 'none' | 'mean' | 'sum'.
        beta: where the quadratic part turns linear (0: the L1 loss).

    Shape:
        - input: ``(*)``, any shape.
        - target: ``(*)``, the input's shape.
        - output: ``()``; ``(*)`` with reduction='none'.

    >>> import mytorch
    >>> SmoothL1Loss()(mytorch.tensor([0.5, 3.0]), mytorch.tensor([0.0, 0.0]))
    tensor(1.3125)
    """

    def __init__(self, size_average: bool | None = None, reduce: bool | None = None,
                 reduction: str = "mean", beta: float = 1.0) -> None:
        super().__init__(size_average, reduce, reduction)
        self.beta = beta

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return F.smooth_l1_loss(input, target, reduction=self.reduction, beta=self.beta)


class CrossEntropyLoss(_WeightedLoss):
    """Cross-entropy of logits, through a stable log-softmax, with a fused backward.

    Args:
        weight: optional ``(C,)`` weight of each class (a buffer).
        ignore_index: a class-index target equal to it is skipped (and not counted
            in the 'mean').
        reduction: 'none' | 'mean' | 'sum'.
        label_smoothing: in [0, 1]; the target becomes ``(1 - eps) target + eps / C``.

    Shape:
        - input: ``(N, C)``, ``(N, C, d1, ..., dk)`` or ``(C,)``: logits.
        - target: class indices ``(N)``, ``(N, d1, ..., dk)`` or ``()``, integers in
          [0, C); or probabilities of the input's shape.
        - output: ``()``; the target's shape (``(N, d1, ..., dk)``) with reduction='none'.

    >>> import mytorch
    >>> CrossEntropyLoss()(mytorch.tensor([[2.0, 0.0]]), mytorch.tensor([0]))
    tensor(0.1269)
    """

    def __init__(self, weight: Any = None, size_average: bool | None = None,
                 ignore_index: int = -100, reduce: bool | None = None, reduction: str = "mean",
                 label_smoothing: float = 0.0) -> None:
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index = ignore_index
        self.label_smoothing = label_smoothing

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return F.cross_entropy(input, target, weight=self.weight, ignore_index=self.ignore_index,
                               reduction=self.reduction, label_smoothing=self.label_smoothing)


class NLLLoss(_WeightedLoss):
    """Negative log-likelihood of log-probabilities: ``-weight[y] input[y]``.

    Args:
        weight: optional ``(C,)`` weight of each class (a buffer).
        ignore_index: a target equal to it is skipped (and not counted in the 'mean').
        reduction: 'none' | 'mean' (divides by the sum of the picked weights) | 'sum'.

    Shape:
        - input: ``(N, C)``, ``(N, C, d1, ..., dk)`` or ``(C,)``: log-probabilities.
        - target: ``(N)``, ``(N, d1, ..., dk)`` or ``()``: integers in [0, C).
        - output: ``()``; the target's shape with reduction='none'.

    >>> import mytorch
    >>> NLLLoss()(mytorch.tensor([[-0.1, -2.3]]), mytorch.tensor([1]))
    tensor(2.3000)
    """

    def __init__(self, weight: Any = None, size_average: bool | None = None,
                 ignore_index: int = -100, reduce: bool | None = None,
                 reduction: str = "mean") -> None:
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index = ignore_index

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return F.nll_loss(input, target, weight=self.weight, ignore_index=self.ignore_index,
                          reduction=self.reduction)


class BCELoss(_WeightedLoss):
    """Binary cross-entropy of probabilities: ``-w (t log x + (1 - t) log(1 - x))``, each
    log clamped at -100 as PyTorch.

    Args:
        weight: optional weight of each element, broadcastable to the input (a buffer).
        reduction: 'none' | 'mean' | 'sum'.

    Shape:
        - input: ``(*)``, values in [0, 1].
        - target: ``(*)``, the input's shape.
        - output: ``()``; ``(*)`` with reduction='none'.

    >>> import mytorch
    >>> BCELoss()(mytorch.tensor([0.8, 0.2]), mytorch.tensor([1.0, 0.0]))
    tensor(0.2231)
    """

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return F.binary_cross_entropy(input, target, weight=self.weight, reduction=self.reduction)


class BCEWithLogitsLoss(_Loss):
    """Binary cross-entropy of ``sigmoid(input)``, computed stably from the logits.

    Args:
        weight: optional weight of each element, broadcastable to the input (a buffer).
        reduction: 'none' | 'mean' | 'sum'.
        pos_weight: optional weight of the positive examples, broadcastable to the
            input, usually ``(C,)`` (a buffer).

    Shape:
        - input: ``(*)``: logits.
        - target: ``(*)``, the input's shape.
        - output: ``()``; ``(*)`` with reduction='none'.

    >>> import mytorch
    >>> BCEWithLogitsLoss()(mytorch.tensor([0.0]), mytorch.tensor([1.0]))
    tensor(0.6931)
    """

    def __init__(self, weight: Any = None, size_average: bool | None = None,
                 reduce: bool | None = None, reduction: str = "mean", pos_weight: Any = None
                 ) -> None:
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", _buffer(weight))
        self.register_buffer("pos_weight", _buffer(pos_weight))

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return F.binary_cross_entropy_with_logits(input, target, weight=self.weight,
                                                  reduction=self.reduction,
                                                  pos_weight=self.pos_weight)


class KLDivLoss(_Loss):
    """Kullback-Leibler divergence ``target (log target - input)``, ``input`` log-probabilities.

    Args:
        reduction: 'none' | 'batchmean' (the KL divergence per sample) | 'sum' |
            'mean' (per element; warns, as PyTorch).
        log_target: the target is given as log-probabilities.

    Shape:
        - input: ``(*)``: log-probabilities.
        - target: ``(*)``, the input's shape.
        - output: ``()``; ``(*)`` with reduction='none'.

    >>> import mytorch
    >>> KLDivLoss(reduction='batchmean')(mytorch.tensor([[0.5, 0.5]]).log(),
    ...                                  mytorch.tensor([[0.5, 0.5]]))
    tensor(0.)
    """

    def __init__(self, size_average: bool | None = None, reduce: bool | None = None,
                 reduction: str = "mean", log_target: bool = False) -> None:
        super().__init__(size_average, reduce, reduction)
        self.log_target = log_target

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return F.kl_div(input, target, reduction=self.reduction, log_target=self.log_target)


class CTCLoss(_Loss):
    """Connectionist Temporal Classification loss, by log-space forward-backward.

    Args:
        blank: the blank class.
        reduction: 'none' | 'mean' (each loss divided by its target length, then
            averaged) | 'sum'.
        zero_infinity: set infinite losses (targets too long for their inputs) and
            their gradients to 0.

    Shape:
        - log_probs: ``(T, N, C)`` or ``(T, C)``: ``log_softmax`` outputs.
        - targets: ``(N, S)`` padded, or ``(sum(target_lengths),)`` concatenated.
        - input_lengths: ``(N)``, each at most T.
        - target_lengths: ``(N)``.
        - output: ``()``; ``(N)`` with reduction='none'.

    >>> import mytorch
    >>> lp = mytorch.full((2, 1, 2), 0.5).log()
    >>> CTCLoss(reduction='sum')(lp, mytorch.tensor([[1]]), [2], [1])
    tensor(0.2877)
    """

    def __init__(self, blank: int = 0, reduction: str = "mean", zero_infinity: bool = False
                 ) -> None:
        super().__init__(reduction=reduction)
        self.blank = blank
        self.zero_infinity = zero_infinity

    def forward(self, log_probs: Tensor, targets: Any, input_lengths: Any, target_lengths: Any
                ) -> Tensor:
        return F.ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=self.blank,
                          reduction=self.reduction, zero_infinity=self.zero_infinity)
