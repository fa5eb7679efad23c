import itertools

import numpy as np
import pytest

import mytorch
from mytorch.ops import loss as L
from mytorch.utils.ctc import beam_search_decode, greedy_decode


def collapse(path, blank):
    """CTC's many-to-one map B: merge repeats, then drop blanks."""
    return tuple(c for i, c in enumerate(path) if c != blank and (i == 0 or path[i - 1] != c))


def exact_label_probabilities(log_probs, blank):
    """p(labels) for every label sequence, by summing over all C^T alignments."""
    t_max, classes = log_probs.shape
    totals = {}
    for path in itertools.product(range(classes), repeat=t_max):
        p = np.exp(sum(log_probs[t, c] for t, c in enumerate(path)))
        key = collapse(path, blank)
        totals[key] = totals.get(key, 0.0) + p
    return totals


def random_log_probs(rng, *shape):
    logits = rng.standard_normal(shape) * 1.5
    return logits - np.log(np.exp(logits).sum(-1, keepdims=True))


def one_hot_frames(classes, path, confidence=0.9):
    """Log-probabilities with ``path[t]`` at ``confidence`` and the rest spread evenly."""
    p = np.full((len(path), classes), (1 - confidence) / (classes - 1))
    p[np.arange(len(path)), path] = confidence
    return np.log(p)


# -- greedy ----------------------------------------------------------------------------------
@pytest.mark.parametrize("path, blank, expected", [
    ([1, 1, 0, 1, 2, 2, 0], 0, [1, 1, 2]),  # a blank separates the two 1s
    ([0, 0, 0], 0, []),
    ([3, 3, 3, 3], 0, [3]),
    ([2, 0, 2, 0, 2], 0, [2, 2, 2]),
    ([1, 2, 1, 2], 0, [1, 2, 1, 2]),
    ([0, 1, 2, 2, 1], 2, [0, 1, 1]),  # blank = 2
    ([], 0, []),
])
def test_greedy_collapses_repeats_then_drops_blanks(path, blank, expected):
    frames = one_hot_frames(4, path) if path else np.zeros((0, 4))
    assert greedy_decode(frames, blank=blank) == expected


def test_greedy_batch_with_input_lengths_and_tensor_input():
    a = one_hot_frames(3, [1, 1, 0, 2, 2])
    b = one_hot_frames(3, [2, 0, 2, 1, 1])
    batch = mytorch.tensor(np.stack([a, b], axis=1))  # (T, N, C)
    assert greedy_decode(batch) == [[1, 2], [2, 2, 1]]
    assert greedy_decode(batch, input_lengths=[2, 4]) == [[1], [2, 2, 1]]
    assert greedy_decode(batch, input_lengths=mytorch.tensor([0, 5])) == [[], [2, 2, 1]]


# -- beam search -----------------------------------------------------------------------------
@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("t_max, classes, blank", [(4, 3, 0), (3, 4, 2), (5, 2, 0)])
def test_wide_beam_finds_the_most_probable_labels_exactly(seed, t_max, classes, blank):
    log_probs = random_log_probs(np.random.default_rng(seed), t_max, classes)
    totals = exact_label_probabilities(log_probs, blank)
    best = max(totals.values())
    labels, logp = beam_search_decode(log_probs, beam_width=1000, blank=blank)
    # a tie for the best has probability zero with random inputs: the labels are unique
    assert totals[tuple(labels)] == pytest.approx(best, rel=1e-12)
    assert np.exp(logp) == pytest.approx(best, rel=1e-10)


@pytest.mark.parametrize("beam_width", [1, 2, 3, 5])
@pytest.mark.parametrize("seed", range(6))
def test_narrow_beam_scores_are_lower_bounds(seed, beam_width):
    # pruning drops alignments, so the score is at most the labels' true probability,
    # which in turn is at most the best labels' probability
    log_probs = random_log_probs(np.random.default_rng(100 + seed), 5, 3)
    totals = exact_label_probabilities(log_probs, 0)
    labels, logp = beam_search_decode(log_probs, beam_width=beam_width)
    assert np.exp(logp) <= totals[tuple(labels)] * (1 + 1e-12)
    assert totals[tuple(labels)] <= max(totals.values()) * (1 + 1e-12)


def test_beam_finds_the_label_sequence_best_path_misses():
    # best path: blank, blank -> [] with p = 0.36; but p([1]) = 0.4*0.4 + 2*0.4*0.6 = 0.64
    log_probs = np.log([[0.6, 0.4], [0.6, 0.4]])
    assert greedy_decode(log_probs) == []
    labels, logp = beam_search_decode(log_probs, beam_width=2)
    assert labels == [1] and np.exp(logp) == pytest.approx(0.64)
    # a beam of one keeps only the best prefix after the first frame: [], like best path
    assert beam_search_decode(log_probs, beam_width=1)[0] == []


def test_beam_of_one_sums_the_alignments_of_its_prefix():
    # frame 0 keeps [1] (0.5); at frame 1 it scores [1] by both alignments "1 -" and "1 1"
    # (0.5*0.5 + 0.5*0.1 = 0.30) against [1, 2] (0.5*0.4 = 0.20)
    log_probs = np.log([[0.3, 0.5, 0.2], [0.5, 0.1, 0.4]])
    labels, logp = beam_search_decode(log_probs, beam_width=1)
    assert labels == greedy_decode(log_probs) == [1]
    assert np.exp(logp) == pytest.approx(0.30)


def test_beam_of_one_is_not_best_path():
    # best path 1 2 -> [1, 2] (0.45*0.46 = 0.207); the beam of one keeps [1] after frame 0,
    # then [1] (0.45*0.44 + 0.45*0.1 = 0.243) beats [1, 2] (0.207); and p([1]) = 0.375 is
    # indeed the most probable labelling
    log_probs = np.log([[0.3, 0.45, 0.25], [0.1, 0.44, 0.46]])
    assert greedy_decode(log_probs) == [1, 2]
    labels, logp = beam_search_decode(log_probs, beam_width=1)
    assert labels == [1] and np.exp(logp) == pytest.approx(0.243)
    totals = exact_label_probabilities(log_probs, 0)
    assert max(totals, key=totals.get) == (1,) and totals[(1,)] == pytest.approx(0.375)


def test_peaked_frames_decode_like_greedy():
    path = [0, 3, 3, 0, 3, 1, 0, 2, 2]
    frames = one_hot_frames(4, path, confidence=0.97)
    assert beam_search_decode(frames, beam_width=4)[0] == greedy_decode(frames) == [3, 3, 1, 2]


def test_beam_batch_with_input_lengths_matches_one_by_one():
    rng = np.random.default_rng(7)
    log_probs = random_log_probs(rng, 6, 3, 4)  # (T, N, C)
    lengths = [6, 3, 0]
    results = beam_search_decode(mytorch.tensor(log_probs), beam_width=3, input_lengths=lengths)
    assert len(results) == 3
    for n, length in enumerate(lengths[:2]):
        assert results[n] == beam_search_decode(log_probs[:length, n], beam_width=3)
    assert results[2] == ([], 0.0)  # no frames: the empty labels, with probability 1


def test_impossible_frames_decode_to_nothing():
    assert beam_search_decode(np.full((3, 3), -np.inf)) == ([], -np.inf)


@pytest.mark.parametrize("fn, message", [
    (lambda: greedy_decode(np.zeros((2, 3, 4, 5))),
     r"greedy_decode: expected log_probs of shape \(T, N, C\) or \(T, C\), got \(2, 3, 4, 5\)"),
    (lambda: greedy_decode(np.zeros((2, 3)), blank=3),
     r"greedy_decode: blank must be in label range \[0, 3\), got 3"),
    (lambda: greedy_decode(np.zeros((4, 2, 3)), input_lengths=[4, 5]),
     r"greedy_decode: expected input_lengths to have values at most 4 .*\(4, 2, 3\).*got 5"),
    (lambda: greedy_decode(np.zeros((4, 2, 3)), input_lengths=[4]),
     r"greedy_decode: input_lengths must be of size batch_size \(2\), got shape \(1,\)"),
    (lambda: beam_search_decode(np.zeros((2, 3)), beam_width=0),
     r"beam_search_decode: beam_width must be at least 1, got 0"),
    (lambda: beam_search_decode(np.zeros(3)),
     r"beam_search_decode: expected log_probs of shape \(T, N, C\) or \(T, C\), got \(3,\)"),
])
def test_errors(fn, message):
    with pytest.raises(ValueError, match=message):
        fn()


def test_the_loss_and_the_decoders_word_a_mistake_alike():
    # one check (mytorch.kernels.ctc.check_inputs) serves both
    lp = np.zeros((4, 2, 3))
    with pytest.raises(ValueError) as loss_error:
        L.ctc_loss(mytorch.tensor(lp), [[1], [2]], [4, 5], [1, 1])
    with pytest.raises(ValueError) as decode_error:
        greedy_decode(lp, input_lengths=[4, 5])
    assert (str(loss_error.value).replace("ctc_loss", "greedy_decode")
            == str(decode_error.value))
