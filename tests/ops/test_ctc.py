import numpy as np
import pytest
import torch
import torch.nn.functional as F

import mytorch
from harness import OpSpec, check_against_torch
from mytorch.ops import loss as L

# (T, C, blank, input_lengths, target_lengths, S): S is the padded width (>= max target length)
CASES = {
    "mixed": (12, 5, 0, [12, 9, 7], [4, 2, 3], 5),
    "one-frame": (1, 3, 0, [1, 1], [1, 0], 1),
    "long": (30, 10, 0, [30, 17, 24, 9], [8, 0, 11, 3], 12),
    "binary-repeats": (5, 2, 0, [5, 3], [2, 2], 2),  # "1 1" needs 3 frames: just fits
    "blank-last": (8, 4, 3, [8, 6], [3, 2], 3),
    "too-long": (4, 3, 0, [2, 4], [3, 2], 3),  # item 0 cannot align: an infinite loss
    "empty-input": (3, 3, 0, [0, 3], [0, 1], 1),
}


def make_targets(rng, case, layout):
    t_max, classes, blank, input_lengths, target_lengths, width = case
    labels = np.array([c for c in range(classes) if c != blank])
    padded = rng.choice(labels, size=(len(input_lengths), width))
    if width >= 2:
        padded[0, 1] = padded[0, 0]  # a repeated label: needs a blank between
    if layout == "concatenated":
        return np.concatenate([row[:n] for row, n in zip(padded, target_lengths)])
    inside = np.arange(width)[None, :] < np.array(target_lengths)[:, None]
    return np.where(inside, padded, -1)  # padding is never read, whatever it holds


def spec_for(name, layout, reduction, zero_infinity, raw=False):
    """ctc_loss of log_softmax(logits) (raw: of the logits themselves, taken as log_probs)."""
    t_max, classes, blank, input_lengths, target_lengths, _ = CASES[name]
    options = dict(blank=blank, reduction=reduction, zero_infinity=zero_infinity)

    def mt(logits, targets):
        lp = logits if raw else logits.log_softmax(2)
        return L.ctc_loss(lp, targets, mytorch.tensor(input_lengths),
                          mytorch.tensor(target_lengths), **options)

    def th(logits, targets):
        lp = logits if raw else logits.log_softmax(2)
        return F.ctc_loss(lp, targets, torch.tensor(input_lengths), torch.tensor(target_lengths),
                          **options)

    def make(rng, shapes, dtype):
        logits = rng.uniform(-2, 2, (t_max, len(input_lengths), classes)).astype(dtype)
        return [logits, make_targets(rng, CASES[name], layout)]

    return OpSpec(f"ctc-{name}-{layout}-{reduction}-zi{zero_infinity}", mt, th, [()], grad=(0,),
                  make=make)


# zero_infinity changes nothing where every loss is finite: it runs where one is not
GRID = [(name, layout, reduction, zi) for name in CASES for layout in ("padded", "concatenated")
        for reduction in ("none", "mean", "sum")
        for zi in ((False, True) if name in ("too-long", "empty-input") else (False,))]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name, layout, reduction, zero_infinity", GRID,
                         ids=["-".join(map(str, g)) for g in GRID])
def test_matches_torch_through_log_softmax(name, layout, reduction, zero_infinity, dtype):
    spec = spec_for(name, layout, reduction, zero_infinity)
    check_against_torch(spec, spec.arrays((), dtype))


@pytest.mark.parametrize("name", ["mixed", "long", "too-long"])
def test_gradient_with_respect_to_log_probs_is_torchs(name):
    # PyTorch's formula exp(log_probs) - posterior, also for log_probs that are no log-softmax
    spec = spec_for(name, "padded", "none", False, raw=True)
    check_against_torch(spec, spec.arrays((), np.float64))


@pytest.mark.parametrize("name", ["mixed", "binary-repeats"])
def test_gradcheck_through_log_softmax(name):
    t_max, classes, blank, input_lengths, target_lengths, _ = CASES[name]
    spec = spec_for(name, "padded", "mean", False)
    logits, targets = spec.arrays((), np.float64)
    # keep the gradcheck tiny: at most 5 frames of the case
    short = min(t_max, 5)
    lengths = np.minimum(input_lengths, short)
    targets = targets[:, :2]
    target_lengths = np.minimum(target_lengths, 1)

    def loss(x):
        return L.ctc_loss(x.log_softmax(2), targets, lengths, target_lengths, blank=blank)

    assert mytorch.autograd.gradcheck(loss, (mytorch.tensor(logits[:short], requires_grad=True),))


def test_unbatched_input_like_torch():
    rng = np.random.default_rng(0)
    logits = rng.standard_normal((6, 4))
    targets = np.array([1, 3, 3])
    for reduction in ("none", "mean", "sum"):
        spec = OpSpec(
            "ctc-unbatched",
            lambda x, y, r=reduction: L.ctc_loss(x.log_softmax(1), y, 6, 3, reduction=r),
            lambda x, y, r=reduction: F.ctc_loss(x.log_softmax(1), y, torch.tensor(6),
                                                 torch.tensor(3), reduction=r),
            [()], grad=(0,))
        check_against_torch(spec, [logits, targets])


def test_target_containing_the_blank_like_torch():
    # PyTorch does not refuse it; the blank then acts as a label that cannot be skipped to
    spec = OpSpec("ctc-blank-label",
                  lambda x, y: L.ctc_loss(x.log_softmax(2), y, [7], [3], reduction="none"),
                  lambda x, y: F.ctc_loss(x.log_softmax(2), y, [7], [3], reduction="none"),
                  [()], grad=(0,))
    check_against_torch(spec, [np.random.default_rng(1).standard_normal((7, 1, 3)),
                               np.array([[1, 0, 2]])])


def test_probability_of_a_hand_counted_case():
    # 3 frames, uniform over {blank, a}: alignments of "a" are aaa, aa-, a--, -aa, --a, -a-, a-a
    # minus a-a (which is "a a"): 6 of the 8 paths
    lp = mytorch.full((3, 1, 2), 0.5).log()
    loss = L.ctc_loss(lp, mytorch.tensor([[1]]), [3], [1], reduction="sum")
    assert loss.item() == pytest.approx(-np.log(6 / 8), rel=1e-6)


def test_zero_infinity_zeroes_loss_and_gradient():
    lp = mytorch.tensor(np.log(np.full((2, 2, 3), 1 / 3)), requires_grad=True)
    targets = mytorch.tensor([[1, 2, 1], [1, 0, 0]])
    losses = L.ctc_loss(lp, targets, [2, 2], [3, 1], reduction="none", zero_infinity=True)
    assert losses[0].item() == 0 and np.isfinite(losses[1].item()) and losses[1].item() > 0
    losses.sum().backward()
    np.testing.assert_array_equal(lp.grad.numpy()[:, 0], 0)
    assert np.abs(lp.grad.numpy()[:, 1]).sum() > 0
    lp.grad = None
    infinite = L.ctc_loss(lp, targets, [2, 2], [3, 1], reduction="none")
    assert np.isinf(infinite[0].item())


def test_double_backward_raises_like_torch():
    lp = mytorch.randn(4, 1, 3, dtype=mytorch.float64, requires_grad=True)
    loss = L.ctc_loss(lp.log_softmax(2), mytorch.tensor([[1, 2]]), [4], [2])
    (g,) = mytorch.autograd.grad(loss, [lp], create_graph=True)
    with pytest.raises(RuntimeError, match="ctc_loss: .*double backward"):
        g.sum().backward()


def test_lengths_accept_tensors_lists_and_arrays():
    lp = mytorch.randn(5, 2, 4).log_softmax(2)
    targets = mytorch.tensor([[1, 2], [3, 3]])
    expected = L.ctc_loss(lp, targets, mytorch.tensor([5, 4]), mytorch.tensor([2, 2])).item()
    assert L.ctc_loss(lp, targets, [5, 4], (2, 2)).item() == expected
    assert L.ctc_loss(lp, targets, np.array([5, 4]), np.array([2, 2])).item() == expected
    # integral float targets are accepted, as by PyTorch
    assert L.ctc_loss(lp, targets.float(), [5, 4], [2, 2]).item() == expected


LP = mytorch.zeros(6, 2, 4)
TG = mytorch.tensor([[1, 2, 3], [1, 1, 0]])

ERRORS = [
    ("input-too-long", lambda: L.ctc_loss(LP, TG, [7, 5], [3, 2]), ValueError,
     r"ctc_loss: expected input_lengths to have values at most 6 .*\(6, 2, 4\).*got 7"),
    ("input-negative", lambda: L.ctc_loss(LP, TG, [-1, 5], [3, 2]), ValueError,
     r"ctc_loss: expected input_lengths to have values at least 0, got -1"),
    ("target-negative", lambda: L.ctc_loss(LP, TG, [6, 5], [3, -2]), ValueError,
     r"ctc_loss: expected target_lengths to have values at least 0, got -2"),
    ("input-count", lambda: L.ctc_loss(LP, TG, [6, 5, 4], [3, 2]), ValueError,
     r"ctc_loss: input_lengths must be of size batch_size \(2\), got shape \(3,\)"),
    ("target-count", lambda: L.ctc_loss(LP, TG, [6, 5], [3]), ValueError,
     r"ctc_loss: target_lengths must be of size batch_size \(2\), got shape \(1,\)"),
    ("float-lengths", lambda: L.ctc_loss(LP, TG, [6.0, 5.0], [3, 2]), TypeError,
     r"ctc_loss: input_lengths must hold integers, got dtype float64"),
    ("padded-too-narrow", lambda: L.ctc_loss(LP, TG, [6, 5], [4, 2]), ValueError,
     r"ctc_loss: padded targets of shape \(2, 3\) do not fit batch_size 2 and the longest "
     r"target_length 4"),
    ("padded-batch", lambda: L.ctc_loss(LP, TG[:1], [6, 5], [3, 2]), ValueError,
     r"ctc_loss: padded targets of shape \(1, 3\) do not fit batch_size 2"),
    ("concatenated-length", lambda: L.ctc_loss(LP, mytorch.tensor([1, 2, 3, 1]), [6, 5], [3, 2]),
     ValueError, r"ctc_loss: concatenated targets of shape \(4,\) do not match the sum of "
                 r"target_lengths \(5\)"),
    ("targets-3d", lambda: L.ctc_loss(LP, mytorch.zeros(2, 3, 1, dtype=mytorch.int64), [6, 5],
                                      [3, 2]),
     ValueError, r"ctc_loss: targets must be \(N, S\) padded or 1-D concatenated, got shape "
                 r"\(2, 3, 1\)"),
    ("fractional-targets", lambda: L.ctc_loss(LP, mytorch.tensor([[1.5, 2, 3], [1, 1, 0]]),
                                              [6, 5], [3, 2]),
     TypeError, r"ctc_loss: targets must hold integer class labels, got dtype float32"),
    ("label-high", lambda: L.ctc_loss(LP, mytorch.tensor([[1, 4, 3], [1, 1, 0]]), [6, 5], [3, 2]),
     IndexError, r"ctc_loss: target label 4 is out of range for 4 classes .*\(6, 2, 4\)"),
    ("label-negative", lambda: L.ctc_loss(LP, mytorch.tensor([[1, 2, 3], [-1, 1, 0]]), [6, 5],
                                          [3, 2]),
     IndexError, r"ctc_loss: target label -1 is out of range for 4 classes"),
    ("blank", lambda: L.ctc_loss(LP, TG, [6, 5], [3, 2], blank=4), ValueError,
     r"ctc_loss: blank must be in label range \[0, 4\), got 4"),
    ("log-probs-4d", lambda: L.ctc_loss(mytorch.zeros(1, 6, 2, 4), TG, [6, 5], [3, 2]),
     ValueError, r"ctc_loss: expected log_probs of shape \(T, N, C\) or \(T, C\), got "
                 r"\(1, 6, 2, 4\)"),
    ("unbatched-targets", lambda: L.ctc_loss(mytorch.zeros(6, 4), TG, 6, 3), ValueError,
     r"ctc_loss: an unbatched log_probs of shape \(6, 4\) needs targets of shape \(S,\), got "
     r"\(2, 3\)"),
    ("reduction", lambda: L.ctc_loss(LP, TG, [6, 5], [3, 2], reduction="batchmean"), ValueError,
     r"ctc_loss: batchmean is not a valid value for reduction"),
    ("int-log-probs", lambda: L.ctc_loss(mytorch.zeros(6, 2, 4, dtype=mytorch.int64), TG, [6, 5],
                                         [3, 2]),
     RuntimeError, r"ctc_loss: expected a floating point tensor"),
]


@pytest.mark.parametrize("fn, error, message", [e[1:] for e in ERRORS], ids=[e[0] for e in ERRORS])
def test_errors_name_the_op_and_the_values(fn, error, message):
    with pytest.raises(error, match=message):
        fn()


def test_a_target_too_long_for_its_input_is_an_infinite_loss_not_an_error():
    # as in PyTorch: that is what zero_infinity is for
    loss = L.ctc_loss(mytorch.zeros(2, 1, 3), mytorch.tensor([[1, 2, 1]]), [2], [3],
                      reduction="none")
    assert np.isinf(loss.item())


def test_long_sequences_are_fast_enough():
    # T = 400 frames, batch 8, 30 classes, targets of 60: the frame loop is the only loop
    import time

    rng = np.random.default_rng(0)
    lp = mytorch.tensor(rng.standard_normal((400, 8, 30)), requires_grad=True)
    targets = mytorch.tensor(rng.integers(1, 30, (8, 60)))
    start = time.perf_counter()
    L.ctc_loss(lp.log_softmax(2), targets, [400] * 8, [60] * 8).backward()
    assert time.perf_counter() - start < 5.0
