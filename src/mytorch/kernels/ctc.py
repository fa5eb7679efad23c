"""CTC on plain arrays: the blank-extended target, the forward (alpha), backward (beta) and
posterior (gamma) tables, and the one input check shared by the loss and the decoders.

Connectionist Temporal Classification (Graves et al., 2006) scores a label sequence
``l`` of length S against T frames of log-probabilities over C classes, one of them
the *blank*. The *extended target* ``l'`` puts a blank before, between and after the
labels (length ``L = 2 S + 1``: blanks at even positions, label ``(s - 1) / 2`` at odd
``s``). An alignment visits one position of ``l'`` per frame: it starts at position
0 or 1, at each frame stays or moves one on, or moves two on, jumping a blank,
where the *skip mask* allows it, and it ends at position ``2 S`` or ``2 S - 1``.
``p(l | x)`` sums the probability of every alignment, computed in log space by

* ``alpha_t(s)``, the probability of frames 0..t over alignments at ``s`` at frame t
  (the forward recursion, :func:`alpha_table`);
* ``beta_t(s)``, the probability of frames t..T-1 over alignments at ``s`` at frame t
  that end well (the backward recursion, :func:`beta_table`);
* ``gamma_t(s) = alpha_t(s) beta_t(s) / (y_t(s) p(l | x))``, the posterior probability
  that frame t sits at position s (:func:`gamma_table`), from which the gradient comes.

Every function works on a batch at once: targets padded to ``S_max`` (``L = 2 S_max + 1``
positions; a shorter target ends in blanks past ``2 S_n``, which alpha may enter but from
which beta never reaches a final position, so they hold no posterior), and frames past
an item's ``T_n`` ignored. The frame loop is the one Python loop.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from mytorch.kernels.errors import ShapeError

__all__ = [
    "CTCInputs", "check_inputs", "extend_targets", "skip_mask", "emissions", "log_sum_exp",
    "alpha_table",
    "beta_table", "log_likelihood", "gamma_table", "class_posterior",
]


# -- the input check shared by ctc_loss and the decoders ----------------------------------------
class CTCInputs(NamedTuple):
    """What :func:`check_inputs` found, every length as int64 and every target padded."""

    shape: tuple[int, int, int]  # (T, N, C): the log-probabilities with their batch axis
    unbatched: bool  # the log-probabilities came as (T, C)
    input_lengths: np.ndarray  # (N,) frames of each item
    targets: np.ndarray | None  # (N, S_max) labels, 0 past each target's length
    target_lengths: np.ndarray | None  # (N,) labels of each item


def _lengths(op: str, name: str, value: np.ndarray, batch: int) -> np.ndarray:
    """``input_lengths``/``target_lengths`` (an int or ``(N,)`` integers) as (N,) int64."""
    if value.dtype.kind not in "iu":
        raise TypeError(f"{op}: {name} must hold integers, got dtype {value.dtype}")
    lengths = value.astype(np.int64).reshape(-1) if value.ndim == 0 else value.astype(np.int64)
    if lengths.shape != (batch,):
        raise ShapeError(f"{op}: {name} must be of size batch_size ({batch}), got shape "
                         f"{lengths.shape}")
    if lengths.size and lengths.min() < 0:
        raise ValueError(f"{op}: expected {name} to have values at least 0, got {lengths.min()}")
    return lengths


def _padded_targets(op: str, targets: np.ndarray, target_lengths: np.ndarray, batch: int
                    ) -> np.ndarray:
    """Targets as ``(N, S_max)``: padded ones as given, concatenated ones cut up."""
    if targets.dtype.kind not in "iuf" or (targets.dtype.kind == "f" and
                                            not np.all(targets == np.round(targets))):
        raise TypeError(f"{op}: targets must hold integer class labels, got dtype "
                        f"{targets.dtype}")
    data = targets.astype(np.int64)
    s_max = int(target_lengths.max(initial=0))
    if data.ndim == 2:
        if data.shape[0] != batch or data.shape[1] < s_max:
            raise ShapeError(
                f"{op}: padded targets of shape {data.shape} do not fit batch_size {batch} and "
                f"the longest target_length {s_max} (expected ({batch}, >= {s_max}))"
            )
        return data[:, :s_max]
    if data.ndim == 1:
        total = int(target_lengths.sum())
        if data.shape[0] != total:
            raise ShapeError(
                f"{op}: concatenated targets of shape {data.shape} do not match the sum of "
                f"target_lengths ({total})"
            )
        # item n's label j sits at offset[n] + j of the concatenation (j < S_n; 0 beyond)
        offsets = np.cumsum(target_lengths) - target_lengths  # (N,)
        j = np.arange(s_max)
        inside = j[None, :] < target_lengths[:, None]  # (N, S_max)
        return np.where(inside, data[np.where(inside, offsets[:, None] + j, 0)], 0)
    raise ShapeError(f"{op}: targets must be (N, S) padded or 1-D concatenated, got shape "
                     f"{data.shape}")


def check_inputs(op: str, shape: tuple[int, ...], blank: int, input_lengths: np.ndarray | None,
                 targets: np.ndarray | None = None, target_lengths: np.ndarray | None = None
                 ) -> CTCInputs:
    """Check CTC's arguments once, for the loss and the decoders alike.

    Args:
        op: the caller's name, which every error message starts with.
        shape: the shape of the log-probabilities, ``(T, N, C)`` or ``(T, C)``.
        blank: the blank class, in ``[0, C)``.
        input_lengths: an int or ``(N,)`` integers in ``[0, T]``; None: all T frames.
        targets: ``(N, S)`` padded or 1-D concatenated labels in ``[0, C)`` (``(S,)`` for
            ``(T, C)`` log-probabilities); None (the decoders): no targets to check.
        target_lengths: an int or ``(N,)`` integers at least 0 (with ``targets``).

    Returns:
        A :class:`CTCInputs`: the batched shape ``(T, N, C)``, whether the input was
        unbatched, and the lengths and padded ``(N, S_max)`` targets as int64 arrays.

    Raises:
        ShapeError: shapes or sizes that do not fit (also a ``ValueError``).
        ValueError: a blank or a length out of range.
        TypeError: lengths or labels that are no integers.
        IndexError: a label out of ``[0, C)``.

    >>> check_inputs("ctc_loss", (5, 2, 4), 0, np.array([5, 3]), np.array([[1, 2], [3, 0]]),
    ...              np.array([2, 1])).targets
    array([[1, 2],
           [3, 0]])
    >>> check_inputs("greedy_decode", (5, 4), blank=4, input_lengths=None)
    Traceback (most recent call last):
    ...
    ValueError: greedy_decode: blank must be in label range [0, 4), got 4
    """
    unbatched = len(shape) == 2
    if unbatched:
        if targets is not None and targets.ndim != 1:
            raise ShapeError(f"{op}: an unbatched log_probs of shape {shape} needs targets of "
                             f"shape (S,), got {targets.shape}")
        shape = (shape[0], 1, shape[1])  # (T, C) -> (T, 1, C)
        targets = None if targets is None else targets[None]
    elif len(shape) != 3:
        raise ShapeError(f"{op}: expected log_probs of shape (T, N, C) or (T, C), got {shape}")
    t_max, n, classes = shape
    if not 0 <= blank < classes:
        raise ValueError(f"{op}: blank must be in label range [0, {classes}), got {blank}")
    lengths = (np.full(n, t_max, dtype=np.int64) if input_lengths is None
               else _lengths(op, "input_lengths", input_lengths, n))
    label_lengths = (None if targets is None or target_lengths is None
                     else _lengths(op, "target_lengths", target_lengths, n))
    if lengths.size and lengths.max() > t_max:
        raise ShapeError(f"{op}: expected input_lengths to have values at most {t_max} (the "
                         f"frames of log_probs of shape {shape}), got {lengths.max()}")
    labels = None
    if targets is not None and label_lengths is not None:
        labels = _padded_targets(op, targets, label_lengths, n)
        used = np.arange(labels.shape[1])[None, :] < label_lengths[:, None]
        bad = used & ((labels < 0) | (labels >= classes))
        if bad.any():
            raise IndexError(f"{op}: target label {labels[bad].flat[0]} is out of range for "
                             f"{classes} classes (log_probs of shape {shape})")
    return CTCInputs((t_max, n, classes), unbatched, lengths, labels, label_lengths)


# -- the extended target ----------------------------------------------------------------------
def extend_targets(targets: np.ndarray, target_lengths: np.ndarray, blank: int) -> np.ndarray:
    """The extended target ``l'``: blanks around and between the labels, ``(N, 2 S_max + 1)``.

    Position ``s`` holds a blank for even ``s`` and label ``(s - 1) / 2`` for odd
    ``s``; positions past ``2 S_n`` (the padding of shorter targets) hold blanks.

    Args:
        targets: ``(N, S_max)`` padded labels (what lies past ``S_n`` is not read).
        target_lengths: ``(N,)`` labels of each item.
        blank: the blank class.

    Returns:
        ``(N, 2 S_max + 1)`` class indices (intp).

    >>> extend_targets(np.array([[1, 1, 2], [3, 9, 9]]), np.array([3, 1]), blank=0)
    array([[0, 1, 0, 1, 0, 2, 0],
           [0, 3, 0, 0, 0, 0, 0]])
    """
    n, s_max = targets.shape
    ext = np.full((n, 2 * s_max + 1), blank, dtype=np.intp)
    inside = np.arange(s_max)[None, :] < target_lengths[:, None]
    ext[:, 1::2] = np.where(inside, targets, blank)
    return ext


def skip_mask(ext: np.ndarray) -> np.ndarray:
    """``(N, L)`` bool: position ``s`` may be entered from ``s - 2``, jumping a blank.

    Allowed when ``l'_s != l'_{s-2}``: never into a blank (its ``s - 2`` is a blank
    too, and the label between them may not be skipped), nor into a repeated label
    (the blank between the two copies is what keeps them apart). Position 1, the
    first label, is entered from the virtual start at position -1 (see
    :func:`alpha_table`), so it may always skip.

    Args:
        ext: ``(N, L)`` extended targets (:func:`extend_targets`).

    >>> skip_mask(np.array([[0, 1, 0, 1, 0, 2, 0]]))  # "1 1 2": no skip into the second 1
    array([[False,  True, False, False, False,  True, False]])
    """
    skip = np.zeros(ext.shape, dtype=bool)
    skip[:, 2:] = ext[:, 2:] != ext[:, :-2]
    if ext.shape[1] > 1:
        skip[:, 1] = True
    return skip


def emissions(log_probs: np.ndarray, ext: np.ndarray) -> np.ndarray:
    """``(T, N, L)``: ``emit[t, n, s] = log_probs[t, n, l'_s]``, each frame's log-probability
    of the class at every extended position.

    Args:
        log_probs: ``(T, N, C)`` log-probabilities.
        ext: ``(N, L)`` extended targets (:func:`extend_targets`).

    >>> emissions(np.log([[[0.25, 0.75]]]), np.array([[0, 1, 0]])).round(3)
    array([[[-1.386, -0.288, -1.386]]])
    """
    return log_probs[:, np.arange(log_probs.shape[1])[:, None], ext]


# -- forward-backward -------------------------------------------------------------------------
def log_sum_exp(*terms: np.ndarray) -> np.ndarray:
    """``log(sum_i exp(terms_i))`` elementwise over same-shaped arrays, shifted by their
    maximum so that exp never overflows: one exp per term and one log, vectorized, where
    chained ``np.logaddexp`` pays a log and an exp per pair (the frame loops of
    :func:`alpha_table` and :func:`beta_table` call it once a frame). All terms ``-inf``
    gives ``-inf``, through ``log 0``: NumPy's divide warning is the caller's to silence
    (once around its loop: a context manager per call costs a quarter of the call).

    >>> log_sum_exp(np.log([0.25, 0.5]), np.log([0.5, 0.25]), np.array([-np.inf, -np.inf]))
    array([-0.28768207, -0.28768207])
    """
    top = np.maximum(terms[0], terms[1])
    for term in terms[2:]:
        np.maximum(top, term, out=top)
    # a finite stand-in for a maximum of -inf: exp(-inf - lowest) is 0, not nan
    np.maximum(top, np.finfo(top.dtype).min, out=top)
    total = np.exp(terms[0] - top)
    for term in terms[1:]:
        total += np.exp(term - top)
    np.log(total, out=total)
    total += top
    return total


def alpha_table(emit: np.ndarray, skip: np.ndarray) -> np.ndarray:
    """The forward variables ``log alpha``, ``(T + 1, N, L + 2)``.

    ``alpha[t + 1, n, s + 2]`` is the log-probability of frames 0..t of item n along
    all alignments that are at extended position ``s`` at frame ``t``. Column 1 is a
    virtual start position -1 (log 1 at row 0, before any frame) and column 0 a
    constant -inf, so that every position, the first two included, follows one rule:

        alpha_t(s) = emit_t(s) + logsumexp(alpha_{t-1}(s), alpha_{t-1}(s-1),
                                           alpha_{t-1}(s-2) if skip(s))

    (``alpha[1:, :, 2:]`` is the ``(T, N, L)`` table without the padding.) Rows past
    an item's ``T_n`` are computed but never read.

    Args:
        emit: ``(T, N, L)`` emissions (:func:`emissions`).
        skip: ``(N, L)`` skip mask (:func:`skip_mask`).

    >>> emit = np.log(np.full((2, 1, 3), 0.5))  # 2 frames, "1": blank or 1 at 50 %
    >>> np.exp(alpha_table(emit, skip_mask(np.array([[0, 1, 0]])))[1:, :, 2:])
    array([[[0.5 , 0.5 , 0.  ]],
    <BLANKLINE>
           [[0.25, 0.5 , 0.25]]])
    """
    t_max, n, length = emit.shape
    alpha = np.full((t_max + 1, n, length + 2), -np.inf, dtype=emit.dtype)
    alpha[0, :, 1] = 0.0
    may_jump = np.where(skip, 0.0, -np.inf).astype(emit.dtype)  # added to alpha(s - 2)
    with np.errstate(divide="ignore"):  # log 0 = -inf: positions no alignment reaches
        for t in range(t_max):  # the one Python loop: frames depend on the previous frame
            prev = alpha[t]
            # from s, from s - 1, from s - 2 where the skip mask allows
            np.add(log_sum_exp(prev[:, 2:], prev[:, 1:-1], prev[:, :-2] + may_jump), emit[t],
                   out=alpha[t + 1, :, 2:])
    return alpha


def beta_table(emit: np.ndarray, skip: np.ndarray, input_lengths: np.ndarray,
               target_lengths: np.ndarray) -> np.ndarray:
    """The backward variables ``log beta``, ``(T + 1, N, L + 2)`` (row T and the last two
    columns are -inf padding).

    ``beta[t, n, s]`` is the log-probability of frames t..T_n-1 of item n along all
    alignments at position ``s`` at frame ``t`` that end at ``2 S_n`` or ``2 S_n - 1``
    (emission of frame t included). It starts at each item's own last frame:

        beta_{T_n - 1}(s) = emit(s) for the two final positions, -inf elsewhere;
        beta_t(s) = emit_t(s) + logsumexp(beta_{t+1}(s), beta_{t+1}(s+1),
                                          beta_{t+1}(s+2) if skip(s+2))

    Rows from ``T_n`` on are -inf. ``logsumexp(beta[0, n, :2])`` is ``log p(l | x)``
    again, for ``T_n >= 1``.

    Args:
        emit: ``(T, N, L)`` emissions (:func:`emissions`).
        skip: ``(N, L)`` skip mask (:func:`skip_mask`).
        input_lengths: ``(N,)`` frames of each item.
        target_lengths: ``(N,)`` labels of each item.

    >>> emit = np.log(np.full((2, 1, 3), 0.5))  # 2 frames, "1": blank or 1 at 50 %
    >>> beta = beta_table(emit, skip_mask(np.array([[0, 1, 0]])), np.array([2]), np.array([1]))
    >>> np.exp(beta[:-1, :, :3])
    array([[[0.25, 0.5 , 0.25]],
    <BLANKLINE>
           [[0.  , 0.5 , 0.5 ]]])
    """
    t_max, n, length = emit.shape
    beta = np.full((t_max + 1, n, length + 2), -np.inf, dtype=emit.dtype)
    may_jump = np.full(skip.shape, -np.inf, emit.dtype)  # added to beta(s + 2):
    may_jump[:, :-2] = np.where(skip[:, 2:], 0.0, -np.inf)  # log 1 where s may jump to s + 2
    s = np.arange(length)
    final = (s >= 2 * target_lengths[:, None] - 1) & (s <= 2 * target_lengths[:, None])  # (N, L)
    # end[t, n]: log 1 at the final positions in item n's last frame, log 0 elsewhere. Rows
    # past an item's last frame stay -inf, so there the recursion gives -inf; at the last
    # frame it gives -inf and the end term alone counts; before it, the end term is -inf
    end = np.full((t_max, n, length), -np.inf, emit.dtype)
    last = input_lengths > 0
    end[input_lengths[last] - 1, np.flatnonzero(last)] = np.where(final[last], 0.0, -np.inf)
    with np.errstate(divide="ignore"):  # log 0 = -inf: positions that cannot end well
        for t in range(t_max - 1, -1, -1):
            nxt = beta[t + 1]
            # to s, to s + 1, to s + 2 where it may jump, or end here
            np.add(log_sum_exp(nxt[:, :length], nxt[:, 1:length + 1], nxt[:, 2:] + may_jump,
                               end[t]), emit[t], out=beta[t, :, :length])
    return beta


def log_likelihood(alpha: np.ndarray, input_lengths: np.ndarray, target_lengths: np.ndarray
                   ) -> np.ndarray:
    """``(N,)`` ``log p(l | x)``: alpha at each item's last frame, summed over the two final
    positions ``2 S_n`` and ``2 S_n - 1`` (-inf when no alignment fits).

    Row 0 and the virtual start column of :func:`alpha_table` make the edge cases follow
    the rule: an empty target's ``2 S_n - 1`` is the start, which only zero frames reach.

    Args:
        alpha: ``(T + 1, N, L + 2)`` forward table (:func:`alpha_table`).
        input_lengths: ``(N,)`` frames of each item.
        target_lengths: ``(N,)`` labels of each item.

    >>> emit = np.log(np.full((2, 1, 3), 0.5))  # 1 1, 1 -, - 1: 3 of the 4 paths
    >>> alpha = alpha_table(emit, skip_mask(np.array([[0, 1, 0]])))
    >>> np.exp(log_likelihood(alpha, np.array([2]), np.array([1])))
    array([0.75])
    """
    n = alpha.shape[1]
    rows = alpha[input_lengths, np.arange(n)]  # (N, L + 2), the item's last frame
    last = 2 * target_lengths + 2  # column of position 2 S_n
    return np.logaddexp(rows[np.arange(n), last], rows[np.arange(n), last - 1])


def gamma_table(alpha: np.ndarray, beta: np.ndarray, emit: np.ndarray,
                log_likelihood: np.ndarray) -> np.ndarray:
    """The posteriors ``gamma``, ``(T, N, L)``: the probability that item n's alignment is at
    extended position ``s`` at frame ``t``, given the target.

        gamma_t(s) = exp(alpha_t(s) + beta_t(s) - emit_t(s) - log p(l | x))

    (alpha and beta both count frame t's emission, hence ``- emit``.) For ``t < T_n`` a
    row sums to 1 over the positions; past ``T_n`` it is 0. An impossible target
    (``log p = -inf``) gives nan, as in PyTorch.

    Args:
        alpha: ``(T + 1, N, L + 2)`` forward table (:func:`alpha_table`).
        beta: ``(T + 1, N, L + 2)`` backward table (:func:`beta_table`).
        emit: ``(T, N, L)`` emissions (:func:`emissions`).
        log_likelihood: ``(N,)`` (:func:`log_likelihood`).

    >>> emit = np.log(np.full((2, 1, 3), 0.5))
    >>> skip, lengths, labels = skip_mask(np.array([[0, 1, 0]])), np.array([2]), np.array([1])
    >>> alpha, beta = alpha_table(emit, skip), beta_table(emit, skip, lengths, labels)
    >>> gamma_table(alpha, beta, emit, log_likelihood(alpha, lengths, labels)).round(3)
    array([[[0.333, 0.667, 0.   ]],
    <BLANKLINE>
           [[0.   , 0.667, 0.333]]])
    """
    length = emit.shape[2]
    with np.errstate(invalid="ignore"):  # an impossible target: -inf + inf = nan, as torch
        log_gamma = alpha[1:, :, 2:] + beta[:-1, :, :length] - emit - log_likelihood[None, :, None]
    return np.exp(log_gamma)


def class_posterior(gamma: np.ndarray, ext: np.ndarray, classes: int) -> np.ndarray:
    """``(T, N, C)``: gamma summed over the extended positions of each class, the posterior
    probability that frame t emits class c.

    Args:
        gamma: ``(T, N, L)`` posteriors (:func:`gamma_table`).
        ext: ``(N, L)`` extended targets (:func:`extend_targets`).
        classes: C.

    >>> class_posterior(np.array([[[0.25, 0.5, 0.25]]]), np.array([[0, 1, 0]]), 3)
    array([[[0.5, 0.5, 0. ]]])
    """
    n, length = ext.shape
    one_hot = np.zeros((n, length, classes), dtype=gamma.dtype)  # (N, L, C): l'_s as a row
    one_hot[np.arange(n)[:, None], np.arange(length), ext] = 1
    # (N, T, L) @ (N, L, C) -> (N, T, C): a product per item sums the positions of each class
    return np.matmul(gamma.transpose(1, 0, 2), one_hot).transpose(1, 0, 2)
