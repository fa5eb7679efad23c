"""Losses: mse, l1, smooth_l1, cross_entropy, nll, binary cross-entropy (on probabilities
and on logits), kl_div and ctc_loss, with PyTorch's signatures and semantics. ``ctc_loss``
has its own home, ``ops/ctc.py`` (its tables in ``kernels/ctc.py``), and is re-exported here.

Two kinds of loss live here:

* **Compositions** of differentiable ops (``mse_loss``, ``l1_loss``,
  ``smooth_l1_loss``, ``kl_div``, and ``binary_cross_entropy_with_logits`` over a
  stable ``LogSigmoid``): their gradients of every order come from the ops they
  are made of.
* **Fused Functions** where composing would be slow or numerically wrong:
  ``CrossEntropy`` (softmax and log-likelihood in one pass, backward
  ``softmax - target``), ``NLL`` (a pick and its scatter), ``BinaryCrossEntropy``
  (PyTorch's clamped logs and clamped denominator). Their backwards are written with
  Tensor ops, so they can be differentiated again.

Cross-entropy in one formula. For a sample with logits ``x`` (C classes) and a
target distribution ``q`` over the classes, with ``m = max_c x_c``,

    loss = -sum_c q_c log softmax(x)_c = Q * log(sum_c exp(x_c - m)) - sum_c q_c (x_c - m),

``Q = sum_c q_c``, and ``d loss / d x = Q softmax(x) - q``. Every option is a
choice of ``q``: a class index ``y`` is ``q = w_y onehot(y)`` (0 when
``y == ignore_index``); label smoothing ``eps`` mixes in ``eps w_c / C``;
probability targets are ``q = w_c ((1 - eps) p_c + eps / C)``. The reduction
scales each sample: 1 ('sum'), 1 / sum of the samples' ``w_y`` ('mean' over
class indices), 1 / number of samples ('mean' over probabilities).
"""

from __future__ import annotations

import math
import warnings
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from mytorch.autograd.function import Function, Node
from mytorch.autograd.tensor import TensorBase, is_tensor
from mytorch.kernels.errors import ShapeError
from mytorch.kernels.normalization import sum_over
from mytorch.ops import reduce as reduce_ops
from mytorch.ops._checks import require_float
from mytorch.ops.activation import Softmax, log_softmax, sigmoid
from mytorch.ops.ctc import ctc_loss
from mytorch.ops.elementwise import abs, clamp, exp, log, log1p, where
from mytorch.ops.loss_reduction import check_reduction as _reduction
from mytorch.ops.loss_reduction import legacy_reduction as legacy_reduction

if TYPE_CHECKING:  # annotations only: the class of every tensor, defined above the ops
    from mytorch._tensor import Tensor

__all__ = [
    "mse_loss", "l1_loss", "smooth_l1_loss", "cross_entropy", "nll_loss", "binary_cross_entropy",
    "binary_cross_entropy_with_logits", "kl_div", "ctc_loss",
]


# -- arguments shared by every loss -----------------------------------------------------------
def _reduce(loss: Tensor, reduction: str) -> Tensor:
    """Apply 'none', 'mean' or 'sum' to an elementwise loss (differentiable ops)."""
    if reduction == "mean":
        return reduce_ops.mean(loss)
    if reduction == "sum":
        return reduce_ops.sum(loss)
    return loss


def _as_tensor(value: Any) -> Tensor:
    """Targets may come as Tensors, arrays or nested lists (the course protocol passes arrays)."""
    return value if is_tensor(value) else TensorBase._make(np.asarray(value))


def _pair(op: str, input: Any, target: Any, warn_broadcast: bool = True) -> tuple[Tensor, Tensor]:
    """A float input and a target that broadcasts with it (warning if shapes differ, as torch)."""
    x = require_float(op, input)
    t = _as_tensor(target)
    if t.shape == x.shape:
        return x, t
    try:
        np.broadcast_shapes(x.shape, t.shape)
    except ValueError:
        raise ShapeError(
            f"{op}: target of shape {t.shape} cannot be broadcast to the input's shape {x.shape}"
        ) from None
    if warn_broadcast:
        warnings.warn(
            f"{op}: using a target size {t.shape} that is different to the input size "
            f"{x.shape}. This will likely lead to incorrect results due to broadcasting. "
            "Please ensure they have the same size.", UserWarning, stacklevel=3,
        )
    return x, t


def _weighted_reduce(op: str, loss: Tensor, weight: Any, reduction: str) -> Tensor:
    """mse/l1 with PyTorch's per-element ``weight``: 'mean' divides by the sum of the weights."""
    if weight is None:
        return _reduce(loss, reduction)
    w = _as_tensor(weight)
    if w.shape != loss.shape:
        raise ShapeError(
            f"{op}: weight of shape {w.shape} must have the input's shape {loss.shape}"
        )
    weighted = loss * w
    if reduction == "mean":
        return reduce_ops.sum(weighted) / reduce_ops.sum(w)
    return _reduce(weighted, reduction)


# -- regression losses: compositions ---------------------------------------------------------
def mse_loss(input: Tensor, target: Any, size_average: bool | None = None,
             reduce: bool | None = None, reduction: str = "mean", weight: Any = None) -> Tensor:
    """The squared error ``(input - target)^2``, reduced.

    Args:
        input: predictions, any shape ``(*)``.
        target: broadcastable to ``input`` (a warning if its shape differs, as PyTorch).
        reduction: 'none' | 'mean' | 'sum'.
        weight: optional per-element weights of ``input``'s shape ('mean' divides by their sum).

    Shape:
        input ``(*)``, target ``(*)``; output ``()``, or ``(*)`` with reduction='none'.

    >>> import mytorch
    >>> mse_loss(mytorch.tensor([1.0, 2.0]), mytorch.tensor([0.0, 0.0]))
    tensor(2.5000)
    """
    reduction = _reduction("mse_loss", reduction, size_average, reduce)
    x, t = _pair("mse_loss", input, target)
    d = x - t
    return _weighted_reduce("mse_loss", d * d, weight, reduction)


def l1_loss(input: Tensor, target: Any, size_average: bool | None = None,
            reduce: bool | None = None, reduction: str = "mean", weight: Any = None) -> Tensor:
    """The absolute error ``|input - target|``, reduced (gradient ``sign``, 0 where equal).

    Shape:
        input ``(*)``, target ``(*)``; output ``()``, or ``(*)`` with reduction='none'.

    >>> import mytorch
    >>> l1_loss(mytorch.tensor([1.0, -2.0]), mytorch.tensor([0.0, 0.0]))
    tensor(1.5000)
    """
    reduction = _reduction("l1_loss", reduction, size_average, reduce)
    x, t = _pair("l1_loss", input, target)
    return _weighted_reduce("l1_loss", abs(x - t), weight, reduction)


def smooth_l1_loss(input: Tensor, target: Any, size_average: bool | None = None,
                   reduce: bool | None = None, reduction: str = "mean", beta: float = 1.0
                   ) -> Tensor:
    """Quadratic near zero, linear beyond: ``0.5 d^2 / beta`` if ``|d| < beta`` else
    ``|d| - 0.5 beta``, with ``d = input - target``. ``beta = 0`` is the L1 loss.

    Shape:
        input ``(*)``, target ``(*)``; output ``()``, or ``(*)`` with reduction='none'.

    >>> import mytorch
    >>> smooth_l1_loss(mytorch.tensor([0.5, 3.0]), mytorch.tensor([0.0, 0.0]))
    tensor(1.3125)
    """
    reduction = _reduction("smooth_l1_loss", reduction, size_average, reduce)
    if beta < 0:
        raise ValueError(f"smooth_l1_loss: beta must not be negative, got {beta}")
    x, t = _pair("smooth_l1_loss", input, target)
    d = x - t
    ad = abs(d)
    if beta == 0:  # the quadratic piece would divide by zero: it is the L1 loss
        return _reduce(ad, reduction)
    return _reduce(where(ad < beta, d * d * (0.5 / beta), ad - 0.5 * beta), reduction)


def kl_div(input: Tensor, target: Any, size_average: bool | None = None,
           reduce: bool | None = None, reduction: str = "mean", log_target: bool = False
           ) -> Tensor:
    """The Kullback-Leibler divergence ``target * (log(target) - input)`` pointwise.

    ``input`` holds log-probabilities; ``target`` probabilities (log-probabilities
    with ``log_target=True``, then the pointwise loss is ``exp(t) (t - input)``).
    Where ``target == 0`` the pointwise loss is 0 (``0 log 0 = 0``), and so is its
    gradient with respect to the target (PyTorch's is NaN there).

    Args:
        reduction: 'none' | 'batchmean' (the sum divided by the batch size, the
            mathematical KL divergence per sample) | 'sum' | 'mean' (divides by the
            number of elements too; warns, as PyTorch).

    Shape:
        input ``(*)``, target broadcastable to it; output ``()``, or the
        broadcast shape with reduction='none'.

    >>> import mytorch
    >>> p = mytorch.tensor([[0.5, 0.5]])
    >>> kl_div(mytorch.tensor([[0.25, 0.75]]).log(), p, reduction='batchmean')
    tensor(0.1438)
    """
    op = "kl_div"
    reduction = _reduction(op, reduction, size_average, reduce,
                           allowed=("none", "batchmean", "sum", "mean"))
    if reduction == "mean":
        warnings.warn(
            "kl_div: reduction 'mean' divides the total loss by both the batch size and the "
            "support size; 'batchmean' divides only by the batch size, and aligns with the KL "
            "divergence's definition.", UserWarning, stacklevel=2,
        )
    x, t = _pair(op, input, target, warn_broadcast=False)
    if log_target:
        pointwise = exp(t) * (t - x)
    else:
        # t log t with 0 log 0 = 0: log(1) = 0 stands in where t == 0, so no -inf (or 0 * inf
        # in the gradient) ever appears
        pointwise = t * log(where(t == 0, 1.0, t)) - t * x
    if reduction == "batchmean":
        total = reduce_ops.sum(pointwise)
        return total / x.shape[0] if x.ndim else total
    return _reduce(pointwise, reduction)


# -- binary cross-entropy ------------------------------------------------------------------
_BCE_LOG_FLOOR = -100.0  # PyTorch clamps both logs here, so a 0 or 1 input gives a finite loss
_BCE_EPS = 1e-12  # and the denominator x (1 - x) of the gradient from below


class BinaryCrossEntropy(Function):
    """``-(t log x + (1 - t) log(1 - x))``, each log clamped at -100, elementwise."""

    @staticmethod
    def forward(ctx: Node, x: Tensor, t: Tensor) -> np.ndarray:
        ctx.save_for_backward(x, t)
        a, b = x._data, t._data
        with np.errstate(divide="ignore"):  # log(0) = -inf, clamped next
            log_x = np.maximum(np.log(a), _BCE_LOG_FLOOR)
            log_1mx = np.maximum(np.log1p(-a), _BCE_LOG_FLOOR)
        return -(b * log_x + (1 - b) * log_1mx)

    @staticmethod
    def backward(ctx: Node, gy: Tensor) -> tuple[Tensor | None, Tensor | None]:
        x, t = ctx.saved_tensors
        gx = gt = None
        if ctx.needs_input_grad[0]:
            # d/dx = -t/x + (1 - t)/(1 - x) = (x - t) / (x (1 - x)), the denominator kept >= 1e-12
            gx = gy * (x - t) / clamp(x * (1 - x), min=_BCE_EPS)
        if ctx.needs_input_grad[1]:
            gt = gy * (clamp(log1p(-x), min=_BCE_LOG_FLOOR) - clamp(log(x), min=_BCE_LOG_FLOOR))
        return gx, gt


def binary_cross_entropy(input: Tensor, target: Any, weight: Any = None,
                         size_average: bool | None = None, reduce: bool | None = None,
                         reduction: str = "mean") -> Tensor:
    """``-w (t log x + (1 - t) log(1 - x))`` for probabilities ``x`` in [0, 1].

    Each log is clamped at -100, so x = 0 or 1 gives a finite loss, as PyTorch;
    the gradient is ``(x - t) / max(x (1 - x), 1e-12)``.

    Args:
        input: probabilities, each in [0, 1].
        target: of ``input``'s shape (values in [0, 1]).
        weight: optional, broadcastable to ``input``: rescales each element's loss.
        reduction: 'none' | 'mean' | 'sum'.

    Shape:
        input ``(*)``, target ``(*)``; output ``()``, or ``(*)`` with reduction='none'.

    Raises:
        ValueError: when the target's shape differs from the input's, or an input
            lies outside [0, 1] (or is NaN).

    >>> import mytorch
    >>> binary_cross_entropy(mytorch.tensor([0.8, 0.2]), mytorch.tensor([1.0, 0.0]))
    tensor(0.2231)
    """
    op = "binary_cross_entropy"
    reduction = _reduction(op, reduction, size_average, reduce)
    x = require_float(op, input)
    t = _as_tensor(target)
    if t.shape != x.shape:
        raise ValueError(
            f"{op}: target of shape {t.shape} must have the input's shape {x.shape}"
        )
    outside = ~((x._data >= 0) & (x._data <= 1))
    if outside.any():
        raise ValueError(
            f"{op}: all elements of input should be between 0 and 1, got "
            f"{x._data[outside].flat[0]} (input of shape {x.shape})"
        )
    loss = BinaryCrossEntropy.apply(x, t)
    if weight is not None:
        loss = loss * _broadcast_weight(op, "weight", weight, x.shape)
    return _reduce(loss, reduction)


def _broadcast_weight(op: str, name: str, weight: Any, shape: tuple[int, ...]) -> Tensor:
    w = _as_tensor(weight)
    try:
        ok = np.broadcast_shapes(w.shape, shape) == shape
    except ValueError:
        ok = False
    if not ok:
        raise ShapeError(f"{op}: {name} of shape {w.shape} cannot be broadcast to the input's "
                         f"shape {shape}")
    return w


class LogSigmoid(Function):
    """``log sigmoid(x) = -log(1 + exp(-x))``, computed as ``min(x, 0) - log1p(exp(-|x|))``:
    exp only ever sees a non-positive number. Its derivative is ``sigmoid(-x)``."""

    @staticmethod
    def forward(ctx: Node, x: Tensor) -> np.ndarray:
        ctx.save_for_backward(x)
        a = x._data
        return np.minimum(a, 0) - np.log1p(np.exp(-np.abs(a)))

    @staticmethod
    def backward(ctx: Node, gy: Tensor) -> Tensor:
        (x,) = ctx.saved_tensors
        return gy * sigmoid(-x)


def binary_cross_entropy_with_logits(input: Tensor, target: Any, weight: Any = None,
                                     size_average: bool | None = None, reduce: bool | None = None,
                                     reduction: str = "mean", pos_weight: Any = None) -> Tensor:
    """Binary cross-entropy of ``sigmoid(input)``, computed stably from the logits.

    With ``l = 1 + (pos_weight - 1) t`` (``l = 1`` without ``pos_weight``):
    ``loss = -w (pos_weight t log sigmoid(x) + (1 - t) log(1 - sigmoid(x)))
    = w ((1 - t) x - l log sigmoid(x))``, using ``log(1 - sigmoid(x)) = log sigmoid(x) - x``;
    ``log sigmoid`` never overflows, so logits of +-1e4 are fine. The gradient is
    ``w (l sigmoid(x) - pos_weight t)``, ``w (sigmoid(x) - t)`` without ``pos_weight``.

    Args:
        input: logits.
        target: of ``input``'s shape.
        weight: optional, broadcastable to ``input``: rescales each element's loss.
        reduction: 'none' | 'mean' | 'sum'.
        pos_weight: optional weight of the positive term, broadcastable to
            ``input`` (usually one per class, shape ``(C,)``).

    Shape:
        input ``(*)``, target ``(*)``; output ``()``, or ``(*)`` with reduction='none'.

    >>> import mytorch
    >>> binary_cross_entropy_with_logits(mytorch.tensor([1e4, -1e4]), mytorch.tensor([1.0, 0.0]))
    tensor(0.)
    """
    op = "binary_cross_entropy_with_logits"
    reduction = _reduction(op, reduction, size_average, reduce)
    x = require_float(op, input)
    t = _as_tensor(target)
    if t.shape != x.shape:
        raise ValueError(
            f"{op}: target of shape {t.shape} must have the input's shape {x.shape}"
        )
    log_weight: Any = 1
    if pos_weight is not None:
        log_weight = (_broadcast_weight(op, "pos_weight", pos_weight, x.shape) - 1) * t + 1
    loss = (1 - t) * x - log_weight * LogSigmoid.apply(x)
    if weight is not None:
        loss = loss * _broadcast_weight(op, "weight", weight, x.shape)
    return _reduce(loss, reduction)


# -- cross-entropy and negative log-likelihood ----------------------------------------------
class ClassPicks(NamedTuple):
    """Class-index targets as a sparse target distribution: each sample's target class
    and its coefficient. Shapes ``(N, 1, d1, ...)``: the class axis kept, of size 1, so
    they index and broadcast along axis 1 of an ``(N, C, d1, ...)`` input."""

    target: np.ndarray  # the target class; 0 where the target is ignore_index (a safe index)
    coef: np.ndarray  # its coefficient (the class weight, scaled); 0 where ignored
    valid: np.ndarray  # target != ignore_index

    def pick(self, z: np.ndarray) -> np.ndarray:
        """``sum_c coef onehot_c z_c = coef z[target]``: 0 where ignored, even if z is -inf."""
        return np.where(self.valid, self.coef * np.take_along_axis(z, self.target, axis=1), 0)

    def dense(self, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
        """The one-hot rows scaled by ``coef``, as a full ``(N, C, d1, ...)`` array."""
        out = np.zeros(shape, dtype)
        np.put_along_axis(out, self.target, self.coef, axis=1)
        return out

    def scaled(self, factor: float) -> ClassPicks:
        return self._replace(coef=self.coef * self.coef.dtype.type(factor))


def _class_picks(op: str, shape: tuple[int, ...], target: Tensor, weight: np.ndarray | None,
                 ignore_index: int, dtype: np.dtype) -> ClassPicks:
    """Check class-index targets against an input of ``shape`` (N, C, d1, ...) and pick."""
    t = target._data
    if t.dtype.kind not in "iub":
        raise TypeError(
            f"{op}: expected class-index targets of an integer dtype (or probabilities of the "
            f"input's shape {shape}), got dtype {t.dtype} and shape {t.shape}"
        )
    n, c = shape[0], shape[1]
    if t.ndim == 0 or t.shape[0] != n:
        raise ValueError(
            f"{op}: expected input batch_size ({n}) to match target batch_size "
            f"({t.shape[0] if t.ndim else 'none, a 0-d target'}) (input of shape {shape}, "
            f"target of shape {t.shape})"
        )
    expected = (n, *shape[2:])
    if t.shape != expected:
        raise ShapeError(
            f"{op}: target of shape {t.shape} does not match input of shape {shape} "
            f"(expected a target of shape {expected})"
        )
    valid = t != ignore_index
    out_of_range = valid & ((t < 0) | (t >= c))
    if out_of_range.any():
        raise IndexError(
            f"{op}: target {t[out_of_range].flat[0]} is out of bounds for {c} classes "
            f"(valid targets are 0..{c - 1}, or ignore_index={ignore_index}; input of shape "
            f"{shape})"
        )
    index = np.where(valid, t, 0).astype(np.intp)[:, None]  # (N, 1, d1, ...)
    valid = valid[:, None]
    coef = valid if weight is None else np.where(valid, weight[index], 0)
    return ClassPicks(index, coef.astype(dtype), valid)


def _class_weights(op: str, weight: Any, classes: int, dtype: np.dtype) -> Tensor | None:
    """The per-class ``weight``, checked: ``classes`` values (or None), in ``dtype``."""
    if weight is None:
        return None
    w = weight if is_tensor(weight) else TensorBase._make(np.asarray(weight))
    if w.shape != (classes,):
        raise ShapeError(
            f"{op}: weight tensor should be defined either for all {classes} classes or no "
            f"classes, but got weight of shape {w.shape}"
        )
    return w if w.dtype == dtype else w.to(dtype)


def _constant_weights(op: str, weight: Tensor | None) -> np.ndarray | None:
    """Class weights that only pick (class-index targets): they get no gradient, so one that
    asks for it is refused, as in PyTorch."""
    if weight is not None and weight.requires_grad:
        raise RuntimeError(f"{op}: the loss is not differentiable with respect to weight with "
                           "class-index targets; pass a weight that does not require grad")
    return None if weight is None else weight._data


def _batched(op: str, x: Tensor, target: Tensor, probabilities: bool
             ) -> tuple[Tensor, Tensor, bool]:
    """An unbatched input ``(C,)`` becomes a batch of one ``(1, C)`` (its target too)."""
    if x.ndim == 0:
        raise ShapeError(f"{op}: expected an input of shape (C,) or (N, C, d1, ...), got a "
                         "0-d tensor")
    if x.ndim > 1:
        return x, target, False
    if target.ndim != (1 if probabilities else 0):
        raise ShapeError(
            f"{op}: an unbatched input of shape {x.shape} needs a 0-d class-index target or "
            f"probabilities of shape {x.shape}, got a target of shape {target.shape}"
        )
    return x.unsqueeze(0), target.unsqueeze(0), True


def _reduced(loss: np.ndarray, reduction: str, denominator: float) -> np.ndarray:
    """Per-sample losses (N, d1, ...) reduced; 'mean' divides by ``denominator``."""
    if reduction == "none":
        return loss
    total = np.asarray(loss.sum())
    if reduction == "sum":
        return total
    with np.errstate(divide="ignore", invalid="ignore"):  # all targets ignored: 0/0 = nan
        return total / total.dtype.type(denominator)


def _sample_scale(gy: Tensor, reduction: str, denominator: float) -> Tensor:
    """d(reduced loss)/d(per-sample loss): ``(N, 1, d1, ...)`` for 'none', 0-d otherwise.

    'mean' over nothing (every target ignored) has a NaN loss and, as in PyTorch, a
    zero gradient.
    """
    if reduction == "none":
        return gy.unsqueeze(1)  # (N, d1, ...) -> (N, 1, d1, ...): broadcasts over classes
    if reduction == "mean":
        return gy * (1 / denominator if denominator else 0.0)
    return gy


class SoftmaxOf(Softmax):
    """softmax(x) along ``dim`` whose value a fused forward already computed (``y``).

    Putting it back into the graph this way makes it a function of ``x`` with
    softmax's own backward, so a gradient built from it differentiates again.
    """

    @staticmethod
    def forward(ctx: Node, x: Tensor, dim: int, y: np.ndarray) -> Tensor:  # type: ignore[override]
        out = TensorBase._make(y)
        ctx.dim = dim
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx: Node, gy: Tensor) -> tuple[Tensor, None, None]:  # type: ignore[override]
        gx, _ = Softmax.backward(ctx, gy)
        return gx, None, None


class CrossEntropy(Function):
    """Softmax cross-entropy against the target distribution ``q = picks + soft``, fused.

    forward: ``loss = Q log(sum_c exp(x_c - m)) - sum_c q_c (x_c - m)`` per sample
    (``m`` the sample's largest logit, so exp never overflows); keeps ``exp(x - m)`` and
    its sum, the softmax unnormalized (backward folds the division into its one pass).
    backward: ``dx = s (Q softmax(x) - q)`` (the op ``CrossEntropyGrad``), ``s`` the
    reduction's scale of the sample; ``d soft = -s log_softmax(x)``.
    """

    @staticmethod
    def forward(ctx: Node, x: Tensor, soft: Tensor | None, picks: ClassPicks | None,
                reduction: str, denominator: float) -> np.ndarray:
        a = x._data
        shifted = a - a.max(axis=1, keepdims=True)  # (N, C, d1, ...), each sample's max is 0
        q_total: Any = 0  # Q, (N, 1, d1, ...)
        q_dot: Any = 0  # sum_c q_c (x_c - m), (N, 1, d1, ...)
        if picks is not None:
            q_total, q_dot = picks.coef, picks.pick(shifted)
        if soft is not None:
            q_total = q_total + soft._data.sum(axis=1, keepdims=True)
            q_dot = q_dot + (soft._data * shifted).sum(axis=1, keepdims=True)
        e = np.exp(shifted, out=shifted)  # in place: one full-size array for the whole op
        total = sum_over(e, (1,))  # (N, 1, d1, ...), >= 1; for (N, C) one einsum pass
        loss = (q_total * np.log(total) - q_dot)[:, 0]  # log(total) = logsumexp(x) - m
        ctx.save_for_backward(x, soft)
        ctx.exp, ctx.total, ctx.picks = e, total, picks
        ctx.reduction, ctx.denominator = reduction, denominator
        return _reduced(loss, reduction, denominator)

    @staticmethod
    def backward(ctx: Node, gy: Tensor) -> tuple[Tensor | None, Tensor | None, None, None, None]:
        x, soft = ctx.saved_tensors
        s = _sample_scale(gy, ctx.reduction, ctx.denominator)
        gx = gsoft = None
        if ctx.needs_input_grad[0]:
            gx = CrossEntropyGrad.apply(x, soft, s, ctx.picks, ctx.exp, ctx.total)
        if ctx.needs_input_grad[1]:
            gsoft = -log_softmax(x, 1) * s
        return gx, gsoft, None, None, None


class CrossEntropyGrad(Function):
    """The gradient of ``CrossEntropy``, ``g = s (Q p - q)`` with ``p = softmax(x)``, as an
    op of its own, like PyTorch's log-softmax backward.

    forward: ``g`` computed in one array, in place (it runs in every training step
    of every classifier; temporaries of the logits' size cost as much as the math),
    from ``e = exp(x - m)`` and its sum ``total``: ``p = e / total``, so
    ``s Q p = e (s Q / total)``, one pass with a per-sample factor.
    backward, the second derivative, with Tensor ops (so it differentiates again):
    for ``G = dL/dg``,

    * ``dL/dx = p (h - sum_c h_c p_c)`` with ``h = s Q G``: softmax's own backward;
    * ``dL/ds = G (Q p - q)``, summed by the engine to the shape of ``s``;
    * ``dL/dsoft_c = s (sum_c' G_c' p_c' - G_c)``: soft enters both ``Q`` and ``q``.
    """

    @staticmethod
    def forward(ctx: Node, x: Tensor, soft: Tensor | None, s: Tensor, picks: ClassPicks | None,
                e: np.ndarray, total: np.ndarray) -> np.ndarray:
        scale = s._data  # 0-d, or (N, 1, d1, ...) for reduction='none'
        q_total: Any = 0
        if picks is not None:
            q_total = picks.coef
        if soft is not None:
            q_total = q_total + soft._data.sum(axis=1, keepdims=True)
        g = e * (scale * q_total / total)  # (N, C, d1, ...)
        if picks is not None:  # minus s coef at each target class: N reads and writes
            at_target = np.take_along_axis(g, picks.target, axis=1) - scale * picks.coef
            np.put_along_axis(g, picks.target, at_target, axis=1)
        if soft is not None:
            g -= soft._data * scale
        ctx.save_for_backward(x, soft, s)
        ctx.picks, ctx.softmax = picks, (e, total)
        return g

    @staticmethod
    def backward(ctx: Node, gg: Tensor) -> tuple[Tensor | None, Tensor | None, Tensor | None,
                                                  None, None, None]:
        x, soft, s = ctx.saved_tensors
        e, total = ctx.softmax
        p = SoftmaxOf.apply(x, 1, e / total)  # softmax(x), itself differentiable
        # the target distribution q (N, C, d1, ...) and its total Q (N, 1, d1, ...)
        q = q_total = None
        if ctx.picks is not None:
            q = TensorBase._make(ctx.picks.dense(x.shape, x.dtype))
            q_total = TensorBase._make(ctx.picks.coef)
        if soft is not None:
            soft_total = reduce_ops.sum(soft, 1, keepdim=True)
            q, q_total = (soft, soft_total) if q is None else (q + soft, q_total + soft_total)
        gx = gsoft = gs = None
        if ctx.needs_input_grad[0]:
            h = gg * (s * q_total)
            gx = p * (h - reduce_ops.sum(h * p, 1, keepdim=True))
        if ctx.needs_input_grad[1]:
            gsoft = s * (reduce_ops.sum(gg * p, 1, keepdim=True) - gg)
        if ctx.needs_input_grad[2]:
            gs = gg * (p * q_total - q)
        return gx, gsoft, gs, None, None, None


def cross_entropy(input: Tensor, target: Any, weight: Any = None,
                  size_average: bool | None = None, ignore_index: int = -100,
                  reduce: bool | None = None, reduction: str = "mean",
                  label_smoothing: float = 0.0) -> Tensor:
    """Cross-entropy between ``softmax(input)`` over axis 1 and the target, fused and stable.

    Args:
        input: logits ``(N, C)``, ``(N, C, d1, ..., dk)``, or ``(C,)`` unbatched.
        target: class indices ``(N,)`` / ``(N, d1, ..., dk)`` / ``()`` of an integer
            dtype, each in [0, C) or ``ignore_index``; or class probabilities of
            ``input``'s shape (a float dtype).
        weight: optional ``(C,)`` rescaling of each class.
        ignore_index: class-index targets equal to it contribute nothing (and are left
            out of the 'mean').
        reduction: 'none' | 'mean' | 'sum'. 'mean' over class indices divides by the
            sum of the weights of the non-ignored targets, over probabilities by the
            number of samples ``N d1 ... dk``.
        label_smoothing: in [0, 1]: the target becomes ``(1 - eps) target + eps / C``.

    Shape:
        input ``(N, C, d1, ..., dk)``; output ``()``, or with reduction='none'
        ``(N, d1, ..., dk)`` (``()`` for an unbatched input).

    The logits' maximum is subtracted before ``exp``, so logits of +-1e4 give a
    finite loss and gradient; the backward is ``softmax(input) - target``,
    weighted and scaled, computed from the softmax the forward kept.

    >>> import mytorch
    >>> cross_entropy(mytorch.tensor([[1e4, 0.0], [0.0, 0.0]]), mytorch.tensor([0, 1]))
    tensor(0.3466)
    """
    op = "cross_entropy"
    reduction = _reduction(op, reduction, size_average, reduce)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"{op}: label_smoothing must be between 0.0 and 1.0, got "
                         f"{label_smoothing}")
    x = require_float(op, input)
    t = _as_tensor(target)
    probabilities = t.dtype.kind == "f"
    x, t, unbatched = _batched(op, x, t, probabilities)
    classes = x.shape[1]
    if classes == 0:
        raise ShapeError(f"{op}: expected at least one class, got input of shape {x.shape}")
    w = _class_weights(op, weight, classes, x.dtype)
    along_classes = (classes,) + (1,) * (x.ndim - 2)  # (C, 1, ..., 1): broadcasts along axis 1
    if probabilities:
        if t.shape != x.shape:
            raise ShapeError(
                f"{op}: probability targets must have the input's shape {x.shape}, got a "
                f"target of shape {t.shape} (class indices need an integer dtype)"
            )
        soft = t if label_smoothing == 0 else t * (1 - label_smoothing) + label_smoothing / classes
        if w is not None:
            soft = soft * w.reshape(along_classes)  # a weight that requires grad gets it
        samples = x.shape[0] * math.prod(x.shape[2:])
        loss = CrossEntropy.apply(x, soft, None, reduction, float(samples))
    else:
        w_array = _constant_weights(op, w)
        picks = _class_picks(op, x.shape, t, w_array, ignore_index, x.dtype)
        total_weight = float(picks.coef.sum(dtype=np.float64))
        smooth = None
        if label_smoothing > 0:
            # eps w_c / C on every class of every non-ignored sample: (N, 1, ...) x (C, 1, ...)
            spread = np.ones(classes, x.dtype) if w_array is None else w_array
            spread = spread.reshape(along_classes)
            smooth = TensorBase._make(np.where(picks.valid, spread * (label_smoothing / classes),
                                           0).astype(x.dtype))
        loss = CrossEntropy.apply(x, smooth, picks.scaled(1 - label_smoothing), reduction,
                                  total_weight)
    return loss.reshape(()) if unbatched and reduction == "none" else loss


class NLL(Function):
    """``-w_y x_y`` per sample: a pick forward, a scatter backward (linear in ``x``)."""

    @staticmethod
    def forward(ctx: Node, x: Tensor, picks: ClassPicks, reduction: str, denominator: float
                ) -> np.ndarray:
        ctx.picks, ctx.reduction, ctx.denominator = picks, reduction, denominator
        ctx.shape, ctx.dtype = x.shape, x.dtype
        return _reduced(-picks.pick(x._data)[:, 0], reduction, denominator)

    @staticmethod
    def backward(ctx: Node, gy: Tensor) -> tuple[Tensor, None, None, None]:
        s = _sample_scale(gy, ctx.reduction, ctx.denominator)
        return -TensorBase._make(ctx.picks.dense(ctx.shape, ctx.dtype)) * s, None, None, None


def nll_loss(input: Tensor, target: Any, weight: Any = None, size_average: bool | None = None,
             ignore_index: int = -100, reduce: bool | None = None, reduction: str = "mean"
             ) -> Tensor:
    """The negative log-likelihood ``-weight[y] input[y]`` of log-probabilities ``input``.

    Args:
        input: log-probabilities ``(N, C)``, ``(N, C, d1, ..., dk)`` or ``(C,)``.
        target: class indices ``(N,)`` / ``(N, d1, ..., dk)`` / ``()``, in [0, C) or
            ``ignore_index``.
        weight: optional ``(C,)`` rescaling of each class.
        ignore_index: targets equal to it contribute nothing (nor count in the 'mean').
        reduction: 'none' | 'mean' (divided by the sum of the picked weights) | 'sum'.

    Shape:
        input ``(N, C, d1, ..., dk)``, target ``(N, d1, ..., dk)``; output ``()``, or
        the target's shape with reduction='none'.

    >>> import mytorch
    >>> nll_loss(mytorch.tensor([[-0.5, -1.0]]), mytorch.tensor([1]))
    tensor(1.)
    """
    op = "nll_loss"
    reduction = _reduction(op, reduction, size_average, reduce)
    x = require_float(op, input)
    x, t, unbatched = _batched(op, x, _as_tensor(target), probabilities=False)
    w = _constant_weights(op, _class_weights(op, weight, x.shape[1], x.dtype))
    picks = _class_picks(op, x.shape, t, w, ignore_index, x.dtype)
    loss = NLL.apply(x, picks, reduction, float(picks.coef.sum(dtype=np.float64)))
    return loss.reshape(()) if unbatched and reduction == "none" else loss
