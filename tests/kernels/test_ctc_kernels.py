"""The CTC kernels on plain arrays, without the autograd: the extended target and skip mask,
alpha and beta against brute-force sums over alignments, gamma, and the shared input check."""

import ast
import itertools
from pathlib import Path

import numpy as np
import pytest

from mytorch.kernels import ctc as K
from mytorch.kernels.errors import ShapeError


def random_log_probs(rng, t_max, n, classes):
    logits = rng.standard_normal((t_max, n, classes))
    return logits - np.log(np.exp(logits).sum(-1, keepdims=True))


def collapse(path, blank):
    """CTC's many-to-one map B: merge repeats, then drop blanks."""
    return tuple(c for i, c in enumerate(path) if c != blank and (i == 0 or path[i - 1] != c))


def allowed(ext, s, s_next):
    """A move of one frame along the extended target: stay, step, or jump a blank."""
    jump = s_next == s + 2 and ext[s_next] != ext[s]
    return s_next in (s, s + 1) or jump


def brute_alpha(lp, ext):
    """alpha_t(s): every position sequence of t + 1 frames starting at 0 or 1 and ending at s."""
    t_max, length = lp.shape[0], len(ext)
    alpha = np.zeros((t_max, length))
    for t in range(t_max):
        for path in itertools.product(range(length), repeat=t + 1):
            if path[0] <= 1 and all(allowed(ext, a, b) for a, b in zip(path, path[1:])):
                alpha[t, path[-1]] += np.exp(sum(lp[k, ext[s]] for k, s in enumerate(path)))
    return alpha


def brute_beta(lp, ext, frames):
    """beta_t(s): every position sequence from s at frame t to a final position at frames - 1."""
    length = len(ext)
    beta = np.zeros((lp.shape[0], length))
    for t in range(frames):
        for path in itertools.product(range(length), repeat=frames - t):
            if path[-1] >= length - 2 and all(allowed(ext, a, b) for a, b in zip(path, path[1:])):
                beta[t, path[0]] += np.exp(sum(lp[t + k, ext[s]] for k, s in enumerate(path)))
    return beta


def brute_label_posterior(lp, target, blank):
    """p(target) and, per frame and class, p(frame t emits c, target): over all C^T paths."""
    t_max, classes = lp.shape
    total, joint = 0.0, np.zeros((t_max, classes))
    for path in itertools.product(range(classes), repeat=t_max):
        if collapse(path, blank) == tuple(target):
            p = np.exp(sum(lp[t, c] for t, c in enumerate(path)))
            total += p
            joint[np.arange(t_max), path] += p
    return total, joint


# (T, C, blank, input_lengths, targets (padded with 0), target_lengths)
BATCH = (4, 3, 0, np.array([4, 3, 4, 2]), np.array([[1, 1], [2, 1], [2, 0], [1, 2]]),
         np.array([2, 2, 1, 0]))


def tables(lp, targets, input_lengths, target_lengths, blank):
    ext = K.extend_targets(targets, target_lengths, blank)
    skip = K.skip_mask(ext)
    emit = K.emissions(lp, ext)
    alpha = K.alpha_table(emit, skip)
    beta = K.beta_table(emit, skip, input_lengths, target_lengths)
    return ext, emit, alpha, beta


def test_extended_target_puts_blanks_around_and_between_labels():
    ext = K.extend_targets(np.array([[1, 1, 2], [3, 7, 7], [5, 5, 5]]), np.array([3, 1, 0]), 4)
    np.testing.assert_array_equal(ext, [[4, 1, 4, 1, 4, 2, 4],
                                        [4, 3, 4, 4, 4, 4, 4],
                                        [4, 4, 4, 4, 4, 4, 4]])


def test_skip_mask_jumps_a_blank_between_different_labels_only():
    ext = K.extend_targets(np.array([[1, 1, 2, 1]]), np.array([4]), 0)  # - 1 - 1 - 2 - 1 -
    np.testing.assert_array_equal(K.skip_mask(ext)[0], [0, 1, 0, 0, 0, 1, 0, 1, 0])
    assert K.skip_mask(np.zeros((2, 1), dtype=np.intp)).tolist() == [[False], [False]]


def test_emissions_pick_each_positions_class():
    lp = random_log_probs(np.random.default_rng(0), 3, 2, 4)
    ext = np.array([[0, 2, 0], [0, 3, 0]])
    emit = K.emissions(lp, ext)
    for t, n, s in itertools.product(range(3), range(2), range(3)):
        assert emit[t, n, s] == lp[t, n, ext[n, s]]


def test_alpha_and_beta_match_brute_force_sums_over_alignments():
    t_max, classes, blank, input_lengths, targets, target_lengths = BATCH
    lp = random_log_probs(np.random.default_rng(1), t_max, len(input_lengths), classes)
    ext, _, alpha, beta = tables(lp, targets, input_lengths, target_lengths, blank)
    for n, (frames, labels) in enumerate(zip(input_lengths, target_lengths)):
        used = 2 * labels + 1  # the item's own extended target; the padding is never reached
        own = ext[n, :used]
        np.testing.assert_allclose(np.exp(alpha[1:, n, 2:2 + used]), brute_alpha(lp[:, n], own),
                                   rtol=1e-12, atol=1e-300)
        np.testing.assert_allclose(np.exp(beta[:-1, n, :used]),
                                   brute_beta(lp[:, n], own, frames), rtol=1e-12, atol=1e-300)
        assert np.all(np.exp(beta[:, n, used:]) == 0)  # padding: no way back to a final position
        assert np.all(np.exp(beta[frames:, n]) == 0)  # frames past T_n


def test_log_likelihood_from_alpha_equals_from_beta_and_counts_every_path():
    t_max, classes, blank, input_lengths, targets, target_lengths = BATCH
    lp = random_log_probs(np.random.default_rng(2), t_max, len(input_lengths), classes)
    _, _, alpha, beta = tables(lp, targets, input_lengths, target_lengths, blank)
    from_alpha = K.log_likelihood(alpha, input_lengths, target_lengths)
    from_beta = np.logaddexp(beta[0, :, 0], beta[0, :, 1])  # start at position 0 or 1
    np.testing.assert_allclose(from_alpha, from_beta, rtol=1e-12)
    for n, (frames, labels) in enumerate(zip(input_lengths, target_lengths)):
        total, _ = brute_label_posterior(lp[:frames, n], targets[n, :labels], blank)
        assert from_alpha[n] == pytest.approx(np.log(total), rel=1e-12)


def test_gamma_rows_sum_to_one_and_give_the_posterior_of_each_class():
    t_max, classes, blank, input_lengths, targets, target_lengths = BATCH
    lp = random_log_probs(np.random.default_rng(3), t_max, len(input_lengths), classes)
    ext, emit, alpha, beta = tables(lp, targets, input_lengths, target_lengths, blank)
    gamma = K.gamma_table(alpha, beta, emit, K.log_likelihood(alpha, input_lengths,
                                                              target_lengths))
    active = np.arange(t_max)[:, None] < input_lengths[None, :]  # (T, N)
    np.testing.assert_allclose(gamma.sum(axis=2)[active], 1, rtol=1e-12)
    assert np.all(gamma[~active] == 0)
    posterior = K.class_posterior(gamma, ext, classes)  # (T, N, C)
    for n, (frames, labels) in enumerate(zip(input_lengths, target_lengths)):
        total, joint = brute_label_posterior(lp[:frames, n], targets[n, :labels], blank)
        np.testing.assert_allclose(posterior[:frames, n], joint / total, rtol=1e-10,
                                   atol=1e-15)


def test_an_impossible_target_has_log_likelihood_minus_infinity():
    # "1 1" needs 3 frames; with 2 no alignment exists
    lp = np.log(np.full((2, 1, 2), 0.5))
    targets, input_lengths, target_lengths = np.array([[1, 1]]), np.array([2]), np.array([2])
    _, _, alpha, beta = tables(lp, targets, input_lengths, target_lengths, 0)
    assert K.log_likelihood(alpha, input_lengths, target_lengths)[0] == -np.inf
    assert np.logaddexp(beta[0, 0, 0], beta[0, 0, 1]) == -np.inf


def test_tables_keep_float32():
    lp = random_log_probs(np.random.default_rng(4), 5, 2, 3).astype(np.float32)
    _, emit, alpha, beta = tables(lp, np.array([[1, 2], [2, 2]]), np.array([5, 4]),
                                  np.array([2, 2]), 0)
    assert emit.dtype == alpha.dtype == beta.dtype == np.float32


# -- the one input check of ctc_loss and the decoders -------------------------------------------
def test_check_inputs_batches_and_pads():
    checked = K.check_inputs("op", (6, 4), 0, np.array(6), np.array([1, 3, 3]), np.array(3))
    assert checked.shape == (6, 1, 4) and checked.unbatched
    np.testing.assert_array_equal(checked.targets, [[1, 3, 3]])
    assert checked.input_lengths.tolist() == [6] and checked.target_lengths.tolist() == [3]
    concatenated = K.check_inputs("op", (5, 3, 4), 0, np.array([5, 4, 3]),
                                  np.array([1, 2, 3, 3, 1]), np.array([2, 0, 3]))
    np.testing.assert_array_equal(concatenated.targets, [[1, 2, 0], [0, 0, 0], [3, 3, 1]])
    decoding = K.check_inputs("op", (5, 3, 4), 2, None)  # no lengths: every frame
    assert decoding.input_lengths.tolist() == [5, 5, 5] and decoding.targets is None


@pytest.mark.parametrize("args, error, message", [
    (((6, 2, 4), 0, np.array([7, 5])), ShapeError,
     r"my_op: expected input_lengths to have values at most 6 \(the frames of log_probs of shape "
     r"\(6, 2, 4\)\), got 7"),
    (((6, 4), 0, np.array([7])), ShapeError, r"my_op: .*at most 6 .*\(6, 1, 4\)\), got 7"),
    (((6, 2, 4), 0, np.array([-1, 5])), ValueError,
     r"my_op: expected input_lengths to have values at least 0, got -1"),
    (((6, 2, 4), 0, np.array([6])), ShapeError,
     r"my_op: input_lengths must be of size batch_size \(2\), got shape \(1,\)"),
    (((6, 2, 4), 0, np.array([6.0, 5.0])), TypeError,
     r"my_op: input_lengths must hold integers, got dtype float64"),
    (((6, 2, 4), 4, None), ValueError, r"my_op: blank must be in label range \[0, 4\), got 4"),
    (((6, 2, 4, 1), 0, None), ShapeError,
     r"my_op: expected log_probs of shape \(T, N, C\) or \(T, C\), got \(6, 2, 4, 1\)"),
    (((6, 2, 4), 0, np.array([6, 5]), np.array([[1, 4]]), np.array([1, 1])), ShapeError,
     r"my_op: padded targets of shape \(1, 2\) do not fit batch_size 2"),
    (((6, 2, 4), 0, np.array([6, 5]), np.array([[1, 4], [2, 2]]), np.array([2, 1])), IndexError,
     r"my_op: target label 4 is out of range for 4 classes \(log_probs of shape \(6, 2, 4\)\)"),
    (((6, 2, 4), 0, np.array([6, 5]), np.array([[1, 2], [2, 2]]), np.array([2, -1])), ValueError,
     r"my_op: expected target_lengths to have values at least 0, got -1"),
    (((6, 4), 0, np.array(6), np.array([[1, 2]]), np.array(2)), ShapeError,
     r"my_op: an unbatched log_probs of shape \(6, 4\) needs targets of shape \(S,\), got "
     r"\(1, 2\)"),
])
def test_check_inputs_errors_name_the_op_and_the_values(args, error, message):
    with pytest.raises(error, match=message):
        K.check_inputs("my_op", *args)


def test_the_kernel_module_never_imports_the_autograd():
    tree = ast.parse(Path(K.__file__).read_text())
    imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    imported |= {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import)
                 for alias in node.names}
    assert all(name == "numpy" or name == "__future__" or name == "typing"
               or name.startswith("mytorch.kernels") for name in imported), imported


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_log_sum_exp_matches_chained_logaddexp(dtype):
    rng = np.random.default_rng(0)
    terms = [rng.uniform(-800, 5, (6, 7)).astype(dtype) for _ in range(4)]
    for term in terms:
        term[rng.random(term.shape) < 0.4] = -np.inf
        term[0, 0] = -np.inf  # an element where every term is -inf
    with np.errstate(divide="ignore"):  # log 0 where every term is -inf
        got = K.log_sum_exp(*terms)
    want = np.logaddexp(np.logaddexp(terms[0], terms[1]), np.logaddexp(terms[2], terms[3]))
    assert got.dtype == dtype
    np.testing.assert_array_equal(np.isneginf(got), np.isneginf(want))
    finite = np.isfinite(want)
    np.testing.assert_allclose(got[finite], want[finite], rtol=1e-6 if dtype == np.float32
                               else 1e-14)
