"""Linear algebra: matmul (and mm, bmm, dot, outer), tensordot and einsum.

Two mechanisms serve the whole family:

* ``MatMul`` multiplies stacks of matrices with NumPy's BLAS-backed ``matmul``.
  Its backward is two more matrix products, ``gA = gY @ B^T`` and
  ``gB = A^T @ gY``; batch broadcasting is undone by the engine. Vectors are
  promoted to matrices (and the added axis removed again) by differentiable
  reshapes in the wrapper, so ``MatMul`` itself only ever sees matrices; the
  same reshapes fold a stack times a single matrix into one large product.
* ``Einsum`` contracts any number of operands by an index equation. Its
  backward is the *swap rule*: the gradient of operand k is the same kind of
  contraction, of the output gradient with the other operands, whose output
  carries operand k's indices. ``tensordot`` is an einsum with a generated
  equation, so it shares forward, backward and second order.
"""

from __future__ import annotations

import string
from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from mytorch.autograd.function import Function, Node
from mytorch.autograd.tensor import TensorBase, arrays, is_tensor
from mytorch.kernels import parallel
from mytorch.kernels.errors import ShapeError
from mytorch.ops.shape import broadcast_to, reshape

if TYPE_CHECKING:  # annotations only: the class of every tensor, defined above the ops
    from mytorch._tensor import Tensor

__all__ = ["matmul", "mm", "bmm", "dot", "outer", "tensordot", "einsum"]


def _as_tensor(op: str, x: Any) -> Tensor:
    """Accept Tensors and ndarrays (``ndarray @ tensor``); refuse numbers and the rest."""
    if is_tensor(x):
        return x
    if isinstance(x, np.ndarray):
        return TensorBase._make(x)
    raise TypeError(f"{op}: expected Tensor arguments, got {type(x).__name__}")


# -- matrix products ------------------------------------------------------------------
class MatMul(Function):
    """``A @ B`` for A of shape (*, m, k) and B of shape (*, k, n): (*, m, n)."""

    @staticmethod
    def forward(ctx: Node, a: Tensor, b: Tensor) -> np.ndarray:
        ctx.save_for_backward(a, b)
        x, y = arrays(a, b)  # float32 with float64 computes in float64
        return parallel.matmul(x, y)

    @staticmethod
    def backward(ctx: Node, gy: Tensor) -> tuple[Tensor | None, Tensor | None]:
        a, b = ctx.saved_tensors
        # gy: (*, m, n). A batch axis that broadcasting added or stretched makes these
        # gradients larger than their input; the engine sums them back to its shape.
        ga = matmul(gy, b.mT) if ctx.needs_input_grad[0] else None  # (*, m, n) @ (*, n, k)
        gb = matmul(a.mT, gy) if ctx.needs_input_grad[1] else None  # (*, k, m) @ (*, m, n)
        return ga, gb


def matmul(a: Any, b: Any) -> Tensor:
    """The matrix product of two tensors, with ``torch.matmul``'s rules for every rank.

    * 1-D @ 1-D: the dot product, a 0-d tensor.
    * 2-D @ 2-D: the matrix product.
    * A 1-D first operand is taken as a row (1, k), a 1-D second operand as a
      column (k, 1); the added axis is removed from the result.
    * N-D: stacks of matrices; the batch (leading) axes broadcast.

    Float32 with float64 computes in float64.

    Args:
        a: tensor of shape (k,) or (*, m, k).
        b: tensor of shape (k,) or (*, k, n).

    Shape:
        (*, m, k) @ (*, k, n) -> (broadcast(*), m, n), with the m or n axis
        absent where that operand was 1-D.

    Raises:
        ValueError: an operand is 0-d, the inner sizes differ, or the batch axes
            cannot be broadcast.

    >>> import mytorch
    >>> matmul(mytorch.ones(5, 2, 3), mytorch.ones(3)).shape
    (5, 2)
    """
    a, b = _as_tensor("matmul", a), _as_tensor("matmul", b)
    if a.ndim == 0 or b.ndim == 0:
        raise ShapeError(
            f"matmul: both arguments need to be at least 1-D, got shapes {a.shape} and {b.shape}"
        )
    inner_a, inner_b = a.shape[-1], b.shape[-2 if b.ndim > 1 else 0]
    if inner_a != inner_b:
        raise ShapeError(
            f"matmul: shapes {a.shape} and {b.shape} cannot be multiplied "
            f"({inner_a} != {inner_b})"
        )
    try:
        batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    except ValueError:
        raise ShapeError(
            f"matmul: shapes {a.shape} and {b.shape}: batch dimensions {a.shape[:-2]} and "
            f"{b.shape[:-2]} cannot be broadcast together"
        ) from None
    rows = a.shape[-2:-1]  # (m,), or () for a vector
    cols = b.shape[-1:] if b.ndim > 1 else ()  # (n,), or () for a vector
    a2 = a if a.ndim > 1 else reshape(a, (1, inner_a))  # (k,) -> (1, k)
    b2 = b if b.ndim > 1 else reshape(b, (inner_b, 1))  # (k,) -> (k, 1)
    if a2.ndim > 2 and b2.ndim == 2:
        # a stack times one matrix is one big product: (*, m, k) -> (prod(*) m, k). One
        # GEMM is much faster than many small ones, and in backward B's gradient
        # A^T @ gY then sums over the batch inside that GEMM, with no (*, k, n) temporary.
        a2 = reshape(a2, (int(np.prod(a2.shape[:-1])), inner_a))
    y = MatMul.apply(a2, b2)  # (*, m or 1, n or 1), or (prod(*) m, n or 1) when folded
    out_shape = batch + rows + cols
    return y if y.shape == out_shape else reshape(y, out_shape)


class Linear(Function):
    """``x @ W^T + b`` for x of shape (m, k), W of shape (n, k) and b (broadcast to (n,)) or
    None: (m, n), one node for the whole layer.

    Each gradient is computed in its input's own layout, so none needs a transposed copy:
    ``gx = gY @ W`` (m, k), and the weight's ``gW = gY^T @ x`` comes out (n, k) like W
    (through ``matmul(x, W.T)`` it would come out (k, n) and be transposed). The bias is
    added into the product's fresh array, and its gradient is ``gY`` itself, which the
    engine sums over the rows to the bias's shape.
    """

    @staticmethod
    def forward(ctx: Node, x: Tensor, W: Tensor, b: Tensor | None) -> np.ndarray:
        ctx.save_for_backward(x, W)
        xd, Wd = arrays(x, W)  # float32 with float64 computes in float64
        out = parallel.matmul(xd, Wd.T)
        if b is None:
            return out
        if b._data.dtype == out.dtype:
            return np.add(out, b._data, out=out)
        return out + b._data  # a bias of another dtype promotes, as PyTorch's add

    @staticmethod
    def backward(ctx: Node, gy: Tensor) -> tuple[Tensor | None, Tensor | None, Tensor | None]:
        x, W = ctx.saved_tensors
        needs_x, needs_W, needs_b = ctx.needs_input_grad
        gx = matmul(gy, W) if needs_x else None  # (m, n) @ (n, k)
        gW = matmul(gy.mT, x) if needs_W else None  # (n, m) @ (m, k): W's own layout
        return gx, gW, (gy if needs_b else None)


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """``input @ weight.T + bias`` (``torch.nn.functional.linear``).

    Shape:
        input ``(*, in_features)`` (leading axes folded into one matrix), weight
        ``(out_features, in_features)``, bias ``(out_features,)``, output ``(*, out_features)``.

    Raises:
        ShapeError: the input's last axis is not ``in_features``, or the bias does not fit.
    """
    if input.ndim == 0 or weight.ndim != 2 or input.shape[-1] != weight.shape[1]:
        raise ShapeError(
            f"linear: input of shape {input.shape} does not match weight of shape {weight.shape} "
            "(expected input (*, in_features) and weight (out_features, in_features))"
        )
    if bias is not None and bias.shape not in ((), (1,), weight.shape[:1]):
        raise ShapeError(
            f"linear: bias of shape {bias.shape} does not match weight of shape {weight.shape} "
            f"(expected bias ({weight.shape[0]},))"
        )
    out_shape = input.shape[:-1] + weight.shape[:1]
    if input.ndim != 2:  # (*, in) -> (prod(*), in): one matrix product
        input = reshape(input, (int(np.prod(input.shape[:-1])), input.shape[-1]))
    y = Linear.apply(input, weight, bias)
    return y if y.shape == out_shape else reshape(y, out_shape)


def mm(a: Tensor, b: Tensor) -> Tensor:
    """Matrix product of two matrices: (m, k) @ (k, n) -> (m, n); no broadcasting."""
    a, b = _as_tensor("mm", a), _as_tensor("mm", b)
    if a.ndim != 2 or b.ndim != 2:
        raise ShapeError(f"mm: expected two 2-D tensors, got shapes {a.shape} and {b.shape}")
    return matmul(a, b)


def bmm(a: Tensor, b: Tensor) -> Tensor:
    """Batched matrix product: (B, m, k) @ (B, k, n) -> (B, m, n); no broadcasting."""
    a, b = _as_tensor("bmm", a), _as_tensor("bmm", b)
    if a.ndim != 3 or b.ndim != 3:
        raise ShapeError(f"bmm: expected two 3-D tensors, got shapes {a.shape} and {b.shape}")
    if a.shape[0] != b.shape[0]:
        raise ShapeError(
            f"bmm: batch sizes differ: shapes {a.shape} and {b.shape} "
            f"({a.shape[0]} != {b.shape[0]})"
        )
    return matmul(a, b)


def dot(a: Tensor, b: Tensor) -> Tensor:
    """The dot product of two vectors of the same length: (k,), (k,) -> ()."""
    a, b = _as_tensor("dot", a), _as_tensor("dot", b)
    if a.ndim != 1 or b.ndim != 1:
        raise ShapeError(f"dot: expected two 1-D tensors, got shapes {a.shape} and {b.shape}")
    return matmul(a, b)


def outer(a: Tensor, b: Tensor) -> Tensor:
    """The outer product of two vectors: (m,), (n,) -> (m, n)."""
    a, b = _as_tensor("outer", a), _as_tensor("outer", b)
    if a.ndim != 1 or b.ndim != 1:
        raise ShapeError(f"outer: expected two 1-D tensors, got shapes {a.shape} and {b.shape}")
    # a column times a row: (m, 1) @ (1, n) -> (m, n)
    return matmul(reshape(a, (a.shape[0], 1)), reshape(b, (1, b.shape[0])))


# -- einsum and tensordot -----------------------------------------------------------------
class Einsum(Function):
    """A contraction given by a canonical equation such as ``"ij,jk->ik"``.

    Canonical means: letters only (no ellipsis), an explicit output, and every
    index of the same size in every operand (the wrapper broadcasts first).
    """

    @staticmethod
    def forward(ctx: Node, equation: str, *operands: Tensor) -> np.ndarray:
        ctx.save_for_backward(*operands)
        ctx.equation = equation
        return np.einsum(equation, *arrays(*operands), optimize=True)

    @staticmethod
    def backward(ctx: Node, gy: Tensor) -> tuple[Tensor | None, ...]:
        operands = ctx.saved_tensors
        terms, output = _split(ctx.equation)
        grads = [
            _swap_rule_grad(k, terms, output, operands, gy) if needed else None
            for k, needed in enumerate(ctx.needs_input_grad[1:])
        ]
        return (None, *grads)


class Tensordot(Einsum):
    """``tensordot`` is an einsum with a generated equation: same forward, same backward."""


def _split(equation: str) -> tuple[list[str], str]:
    """``"ij,jk->ik"`` -> (["ij", "jk"], "ik")."""
    inputs, output = equation.split("->")
    return inputs.split(","), output


def _swap_rule_grad(k: int, terms: list[str], output: str, operands: Sequence[Tensor],
                    gy: Tensor) -> Tensor:
    """The gradient of operand ``k``: contract ``gy`` with the other operands onto its indices.

    Example: for ``"ij,jk->ik"`` the gradient of the first operand is
    ``einsum("ik,jk->ij", gy, B)`` (that is, gY @ B^T).

    Two kinds of index of operand k cannot be produced by that contraction
    alone, and each gets a constant factor, a "delta" tensor with ones on its
    (generalized) diagonal:

    * an index found nowhere else was summed away in the forward pass; its
      gradient is the same for every value of that index, so the factor is
      ``ones(n)`` (``"ij->"``: the gradient is ``gy * ones(n) * ones(m)``);
    * an index repeated in operand k (``"ii->i"``) read only the diagonal; the
      repeats get fresh letters and the factor is the identity ``eye(n)``
      linking them, so the gradient lives on that diagonal.
    """
    target = terms[k]
    rest = [output] + [t for j, t in enumerate(terms) if j != k]
    elsewhere = set("".join(rest))
    fresh = iter(_unused_letters(",".join(terms) + output))
    new_target = list(target)
    deltas: list[tuple[str, Tensor]] = []
    for label, count in Counter(target).items():
        if count == 1 and label in elsewhere:
            continue
        positions = [p for p, c in enumerate(target) if c == label]
        delta_labels = label
        for p in positions[1:]:  # the second and later repeats get fresh letters
            new_target[p] = next(fresh)
            delta_labels += new_target[p]
        size = operands[k].shape[positions[0]]
        deltas.append((delta_labels, _delta(count, size, gy.dtype)))
    others = [x for j, x in enumerate(operands) if j != k]
    equation = ",".join(rest + [d for d, _ in deltas]) + "->" + "".join(new_target)
    return Einsum.apply(equation, gy, *others, *(t for _, t in deltas))


def _delta(rank: int, size: int, dtype: np.dtype) -> Tensor:
    """Ones on the diagonal of a (size,) * rank array: ones(size) for rank 1, eye for rank 2."""
    d = np.zeros((size,) * rank, dtype=dtype)
    d[(np.arange(size),) * rank] = 1
    return TensorBase._make(d)


def _unused_letters(equation: str) -> list[str]:
    return [c for c in string.ascii_letters if c not in equation]


def einsum(equation: str, *operands: Any) -> Tensor:
    """Sum of products of the operands' elements, indexed by an equation (``torch.einsum``).

    Each operand gets one letter per dimension; letters shared between operands
    are multiplied together, and letters missing from the output are summed.

    * Explicit output: ``"ij,jk->ik"`` (matrix product), ``"ij->"`` (sum of all).
    * Implicit output (no ``->``): the letters used exactly once, in
      alphabetical order, so ``"ij,jk"`` is also the matrix product and
      ``"ji"`` the transpose.
    * ``...`` stands for any number of leading (batch) dimensions, broadcast
      between operands: ``"...ij,...jk->...ik"`` is a batched matmul.
    * A letter repeated in one operand takes its diagonal: ``"ii->i"``, ``"ii"``
      (the trace).
    * Dimensions of size 1 broadcast against the other operands' sizes.

    The gradient follows the swap rule (see ``_swap_rule_grad``) and is itself
    an einsum, so second derivatives work.

    Args:
        equation: the subscripts, e.g. ``"bij,bjk->bik"``; spaces are ignored.
        *operands: the tensors, one per comma-separated term (or one list of them).

    >>> import mytorch
    >>> einsum("ij,j->i", mytorch.ones(2, 3), mytorch.ones(3))
    tensor([3., 3.])
    """
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    tensors = [_as_tensor("einsum", x) for x in operands]
    canonical = _canonical_equation(equation, [t.shape for t in tensors])
    terms, _ = _split(canonical)
    sizes = _label_sizes(equation, terms, tensors)
    # a size-1 dimension meeting a larger size of the same letter is broadcast to it first
    # (a differentiable, copy-free view; its backward sums the gradient back)
    tensors = [broadcast_to(t, tuple(sizes[c] for c in term)) for t, term in zip(tensors, terms)]
    return Einsum.apply(canonical, *tensors)


def _canonical_equation(equation: str, shapes: list[tuple[int, ...]]) -> str:
    """Spell out ellipses with spare letters and make the output explicit.

    ``"...ij,jk"`` with shapes (5, 2, 3), (3, 4) -> ``"Aij,jk->Aik"``.
    """
    eq = equation.replace(" ", "")
    inputs, arrow, output = eq.partition("->")
    terms = inputs.split(",")
    if len(terms) != len(shapes):
        raise ShapeError(
            f"einsum: the equation {equation!r} has {len(terms)} operand terms "
            f"but {len(shapes)} operands were given"
        )
    for part in terms + [output]:
        letters = part.replace("...", "")
        if "." in letters or not all(c in string.ascii_letters for c in letters):
            raise ValueError(
                f"einsum: invalid subscripts {part!r} in {equation!r}: use letters a-z, A-Z "
                "and at most one '...' per term"
            )
    # ellipsis dimensions are aligned from the right, as in broadcasting
    ranks = []
    for i, (term, shape) in enumerate(zip(terms, shapes)):
        n_letters = len(term.replace("...", ""))
        rank = len(shape) - n_letters
        if rank < 0 or (rank > 0 and "..." not in term):
            raise ShapeError(
                f"einsum: the subscripts {term!r} of operand {i} do not match its shape "
                f"{shape} ({n_letters} letters for {len(shape)} dimensions)"
            )
        ranks.append(rank)
    spare = _unused_letters(eq)
    if max(ranks, default=0) > len(spare):
        raise ShapeError(f"einsum: too many dimensions for {equation!r}: letters run out")
    ellipsis = "".join(spare[: max(ranks, default=0)])
    terms = [t.replace("...", ellipsis[len(ellipsis) - r:]) for t, r in zip(terms, ranks)]
    if arrow:
        output = output.replace("...", ellipsis)
    else:  # implicit mode: the ellipsis, then every letter used once, in sorted order
        counts = Counter("".join(terms))
        output = ellipsis + "".join(sorted(c for c, n in counts.items()
                                           if n == 1 and c not in ellipsis))
    used = set("".join(terms))
    for c in output:
        if c not in used or output.count(c) > 1:
            raise ValueError(
                f"einsum: output subscript {c!r} in {equation!r} "
                + ("appears more than once" if c in used else "does not appear in any operand")
            )
    return ",".join(terms) + "->" + output


def _label_sizes(equation: str, terms: list[str], tensors: list[Tensor]) -> dict[str, int]:
    """The size of every letter; size 1 broadcasts, anything else must agree."""
    sizes: dict[str, int] = {}
    for i, (term, t) in enumerate(zip(terms, tensors)):
        for c, n in zip(term, t.shape):
            repeat = term.count(c) > 1
            if repeat and n != t.shape[term.index(c)]:
                raise ShapeError(
                    f"einsum: subscript {c!r} is repeated for operand {i} of shape {t.shape} "
                    f"in {equation!r} but the sizes don't match"
                )
            known = sizes.get(c, 1)
            if n != known and 1 not in (n, known):
                shapes = ", ".join(str(x.shape) for x in tensors)
                raise ShapeError(
                    f"einsum: subscript {c!r} has size {n} for operand {i} but size {known} "
                    f"elsewhere in {equation!r} (operand shapes {shapes})"
                )
            if known == 1:  # first seen, or seen only as a broadcastable 1 so far
                sizes[c] = n
    return sizes


def tensordot(a: Tensor, b: Tensor, dims: Any = 2) -> Tensor:
    """Contract dimensions of ``a`` with dimensions of ``b`` (``torch.tensordot``).

    Args:
        a, b: tensors.
        dims: an int d (the last d dimensions of ``a`` with the first d of
            ``b``), or a pair of axis lists ``([1, 0], [0, 1])`` contracted in order.

    Shape:
        The free dimensions of ``a``, then the free dimensions of ``b``.

    >>> import mytorch
    >>> tensordot(mytorch.ones(2, 3, 4), mytorch.ones(3, 4, 5)).shape
    (2, 5)
    """
    a, b = _as_tensor("tensordot", a), _as_tensor("tensordot", b)
    axes_a, axes_b = _tensordot_axes(a, b, dims)
    # a gets letters a0 a1 ...; b's contracted axes reuse a's letters, its free axes get new ones
    letters = iter(string.ascii_letters)
    term_a = [next(letters) for _ in range(a.ndim)]
    term_b = [""] * b.ndim
    for i, j in zip(axes_a, axes_b):
        term_b[j] = term_a[i]
    term_b = [c or next(letters) for c in term_b]
    free_a = [c for i, c in enumerate(term_a) if i not in axes_a]
    free_b = [c for j, c in enumerate(term_b) if j not in axes_b]
    equation = "".join(term_a) + "," + "".join(term_b) + "->" + "".join(free_a + free_b)
    return Tensordot.apply(equation, a, b)


def _tensordot_axes(a: Tensor, b: Tensor, dims: Any) -> tuple[list[int], list[int]]:
    """``dims`` as two equally long lists of non-negative axes with matching sizes."""
    shapes = f"shapes {a.shape} and {b.shape}"
    if isinstance(dims, (int, np.integer)):
        if not 0 <= dims <= min(a.ndim, b.ndim):
            raise ShapeError(f"tensordot: dims={dims} is out of range for {shapes}")
        axes_a, axes_b = list(range(a.ndim - dims, a.ndim)), list(range(dims))
    else:
        try:
            first, second = dims
        except (TypeError, ValueError):
            raise ValueError(
                f"tensordot: dims must be an int or a pair of axis lists, got {dims!r}"
            ) from None
        axes_a, axes_b = _axis_list(first), _axis_list(second)
        if len(axes_a) != len(axes_b):
            raise ShapeError(
                f"tensordot: dims {dims!r} name {len(axes_a)} and {len(axes_b)} axes; "
                "both lists must have the same length"
            )
    for axes, t in ((axes_a, a), (axes_b, b)):
        for n, axis in enumerate(axes):
            if not -t.ndim <= axis < t.ndim:
                raise ShapeError(
                    f"tensordot: axis {axis} in dims={dims!r} is out of range for {shapes}"
                )
            axes[n] = axis % t.ndim
        if len(set(axes)) != len(axes):
            raise ShapeError(f"tensordot: dims={dims!r} repeats an axis ({shapes})")
    for i, j in zip(axes_a, axes_b):
        if a.shape[i] != b.shape[j]:
            raise ShapeError(
                f"tensordot: contracted dimensions differ in size: a.shape[{i}] = {a.shape[i]} "
                f"and b.shape[{j}] = {b.shape[j]} ({shapes})"
            )
    return axes_a, axes_b


def _axis_list(axes: Any) -> list[int]:
    """One axis or a sequence of axes, as a list."""
    return [int(axes)] if isinstance(axes, (int, np.integer)) else [int(i) for i in axes]
