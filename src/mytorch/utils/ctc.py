"""Decoding CTC outputs: from per-frame log-probabilities to label sequences.

A CTC network emits, at each of T frames, a distribution over C classes, one
of them the *blank*. An *alignment* (one class per frame) maps to a label
sequence by the collapse function B: merge runs of the same class, then drop
the blanks (``a a - a b b`` -> ``a a b``, with ``-`` the blank). The probability
of a label sequence is the sum over all alignments that collapse to it.

* ``greedy_decode`` (best path): take the most likely class at every frame and
  collapse. Fast, but it finds the most likely *alignment*, which need not
  collapse to the most likely *label sequence*.
* ``beam_search_decode`` (prefix beam search): keeps the ``beam_width`` most
  likely label prefixes, each with the probability of its alignments so far
  split by how they end, and sums the probability of alignments that reach the
  same prefix. With a beam wide enough never to drop a prefix it is exact.

Both take log-probabilities ``(T, N, C)``, like ``ctc_loss``, or ``(T, C)`` for
one sequence, as a Tensor or a NumPy array.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from mytorch.kernels.ctc import check_inputs

__all__ = ["greedy_decode", "beam_search_decode"]


def _frames(op: str, log_probs: Any, blank: int, input_lengths: Any
            ) -> tuple[np.ndarray, np.ndarray, bool]:
    """``(T, N, C)`` log-probabilities, the ``(N,)`` frames to decode, and whether unbatched,
    checked by the same function as ``ctc_loss``'s arguments."""
    data = np.asarray(log_probs)
    lengths = None if input_lengths is None else np.asarray(input_lengths)
    checked = check_inputs(op, data.shape, blank, lengths)
    return data.reshape(checked.shape), checked.input_lengths, checked.unbatched


def greedy_decode(log_probs: Any, blank: int = 0, input_lengths: Any = None) -> Any:
    """Best-path decoding: the most likely class of each frame, repeats merged, blanks dropped.

    Args:
        log_probs: ``(T, N, C)`` or ``(T, C)`` per-frame (log-)probabilities.
        blank: the blank class.
        input_lengths: ``(N,)`` frames of each item to decode (default: all T).

    Returns:
        One list of labels per batch item; a single list for ``(T, C)`` input.

    >>> import numpy as np
    >>> frames = np.log(np.array([[.1, .9, 0], [.1, .9, 0], [.9, .1, 0], [.2, .8, 0]]) + 1e-9)
    >>> greedy_decode(frames)
    [1, 1]
    """
    data, lengths, unbatched = _frames("greedy_decode", log_probs, blank, input_lengths)
    best = data.argmax(axis=2)  # (T, N)
    # a frame starts a new label when its class differs from the previous frame's and is no blank
    changed = np.ones(best.shape, dtype=bool)
    changed[1:] = best[1:] != best[:-1]
    keep = changed & (best != blank)
    decoded = [best[:length, n][keep[:length, n]].tolist() for n, length in enumerate(lengths)]
    return decoded[0] if unbatched else decoded


def _prefix_beam_search(frames: np.ndarray, beam_width: int, blank: int
                        ) -> tuple[list[int], float]:
    """Prefix beam search over one sequence's ``(T, C)`` log-probabilities.

    Every prefix ``l`` in the beam carries two log-probabilities over the frames so
    far: ``pb``, of the alignments collapsing to ``l`` that end in a blank, and
    ``pnb``, of those that end in ``l``'s last label. The split matters for the next
    frame's class ``c``:

    * ``c`` is the blank: the prefix stays ``l``; ``pb(l) += (pb + pnb) y_blank``.
    * ``c`` is ``l``'s last label: a repeat with no blank between merges, so the prefix
      stays ``l`` (``pnb(l) += pnb y_c``); after a blank it is a new label,
      ``pnb(l + c) += pb y_c``.
    * any other ``c``: ``pnb(l + c) += (pb + pnb) y_c``.

    Sums of probabilities are ``logaddexp`` in log space. A prefix reached twice in
    one frame (``l + c`` is also in the beam as itself) gets both contributions.
    Of all the resulting prefixes, the ``beam_width`` most likely, by
    ``logaddexp(pb, pnb)``, are kept (ties by the order built: stays first).
    """
    classes = frames.shape[1]
    beam: dict[tuple[int, ...], tuple[float, float]] = {(): (0.0, -np.inf)}
    for y in frames:  # y: (C,) log-probabilities of this frame
        prefixes = list(beam)
        pb = np.array([beam[p][0] for p in prefixes])  # (P,)
        pnb = np.array([beam[p][1] for p in prefixes])
        total = np.logaddexp(pb, pnb)
        last = np.array([p[-1] if p else -1 for p in prefixes], dtype=np.intp)  # -1: empty
        rows = np.arange(len(prefixes))
        has_last = last >= 0
        # staying on l: a blank after anything, or a repeat of the last label
        stay_b = total + y[blank]
        stay_nb = np.where(has_last, pnb + y[np.maximum(last, 0)], -np.inf)
        # extending l by c: (P, C); the last label again only after a blank
        extend = total[:, None] + y[None, :]
        extend[rows[has_last], last[has_last]] = pb[has_last] + y[last[has_last]]
        extend[:, blank] = -np.inf
        # l + c already in the beam: its extension probability joins that prefix's stay
        index = {p: i for i, p in enumerate(prefixes)}
        for j, p in enumerate(prefixes):
            parent = index.get(p[:-1]) if p else None
            if parent is not None:
                stay_nb[j] = np.logaddexp(stay_nb[j], extend[parent, p[-1]])
                extend[parent, p[-1]] = -np.inf
        scores = np.concatenate([np.logaddexp(stay_b, stay_nb), extend.ravel()])
        best = np.argsort(-scores, kind="stable")[:beam_width]
        beam = {}
        for k in best[scores[best] > -np.inf]:
            if k < len(prefixes):
                beam[prefixes[k]] = (stay_b[k], stay_nb[k])
            else:
                i, c = divmod(int(k) - len(prefixes), classes)
                beam[prefixes[i] + (c,)] = (-np.inf, extend[i, c])
        if not beam:  # every prefix has become impossible (log-probabilities of -inf)
            return [], -np.inf
    best_prefix = max(beam, key=lambda p: np.logaddexp(*beam[p]))
    return list(best_prefix), float(np.logaddexp(*beam[best_prefix]))


def beam_search_decode(log_probs: Any, beam_width: int = 10, blank: int = 0,
                       input_lengths: Any = None) -> Any:
    """CTC prefix beam search (Graves 2012; Hannun et al. 2014): the most likely label sequence.

    Unlike best-path decoding it sums the probability of all alignments of a label
    prefix, so it finds a label sequence whose many likely alignments together
    outweigh the single most likely alignment. Exact when ``beam_width`` is at
    least the number of distinct prefixes; with a smaller beam the result is the
    best surviving prefix, and its log-probability a lower bound (pruned
    alignments are missing from it).

    Args:
        log_probs: ``(T, N, C)`` or ``(T, C)`` per-frame log-probabilities.
        beam_width: how many prefixes survive each frame.
        blank: the blank class.
        input_lengths: ``(N,)`` frames of each item to decode (default: all T).

    Returns:
        For each batch item ``(labels, log_probability)``; one such pair for
        ``(T, C)`` input.

    >>> import numpy as np
    >>> frames = np.log([[0.6, 0.4], [0.6, 0.4]])  # best path: blank blank -> []
    >>> labels, logp = beam_search_decode(frames)  # but p([0 -> 1]) = 0.64 > 0.36
    >>> labels, round(float(np.exp(logp)), 2)
    ([1], 0.64)
    """
    if beam_width < 1:
        raise ValueError(f"beam_search_decode: beam_width must be at least 1, got {beam_width}")
    data, lengths, unbatched = _frames("beam_search_decode", log_probs, blank, input_lengths)
    decoded = [_prefix_beam_search(data[:length, n], beam_width, blank)
               for n, length in enumerate(lengths)]
    return decoded[0] if unbatched else decoded
