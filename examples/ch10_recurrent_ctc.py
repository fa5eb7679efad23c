"""Chapter 10: recurrent networks unrolled, backpropagation through time, and CTC.

Checks, on small random inputs:
1. nn.RNN is the loop h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh), unrolled;
2. backpropagation through time: d h_T / d h_0 is the product of the per-step Jacobians
   diag(1 - h_t^2) W_hh, and autograd gives exactly that;
3. nn.GRU and nn.LSTM are their gate equations (PyTorch's gate order r, z, n and i, f, g, o);
4. CTC: the loss is -log of the summed probability of every alignment (checked by listing all
   alignments), alpha and beta give the same likelihood, the posteriors of each frame sum to
   1, and the gradient through log_softmax is softmax - posterior;
5. greedy decoding picks the best alignment, beam search the best labelling, and they differ.
"""

from __future__ import annotations

import itertools

import numpy as np

import mytorch
from mytorch import nn
from mytorch.kernels import ctc as K
from mytorch.utils.ctc import beam_search_decode, greedy_decode

mytorch.manual_seed(0)
rng = np.random.default_rng(0)
T, N, I, H = 6, 2, 3, 4


def sigmoid(a: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-a))


# 1. the RNN unrolled
rnn = nn.RNN(I, H)
x = rng.standard_normal((T, N, I)).astype(np.float32)
out, h_n = rnn(mytorch.tensor(x))
W_ih, W_hh = rnn.weight_ih_l0.numpy(), rnn.weight_hh_l0.numpy()
b = rnn.bias_ih_l0.numpy() + rnn.bias_hh_l0.numpy()
h = np.zeros((N, H), np.float32)
hs = []
for t in range(T):
    h = np.tanh(x[t] @ W_ih.T + h @ W_hh.T + b)
    hs.append(h)
np.testing.assert_allclose(out.numpy(), np.stack(hs), rtol=1e-5, atol=1e-6)
np.testing.assert_allclose(h_n.numpy()[0], hs[-1], rtol=1e-5, atol=1e-6)
print("nn.RNN == the unrolled loop, output", out.shape)

# 2. BPTT: the gradient of h_T[0, k] with respect to h_0 is a product of Jacobians
h0 = mytorch.zeros(1, N, H, requires_grad=True)
out, _ = rnn(mytorch.tensor(x), h0)
out[-1, 0, 0].backward()
jac = np.eye(H, dtype=np.float32)  # d h_T / d h_T
for t in range(T - 1, -1, -1):
    jac = jac @ (np.diag(1 - hs[t][0] ** 2) @ W_hh)  # d h_t / d h_{t-1} = diag(tanh') W_hh
np.testing.assert_allclose(h0.grad.numpy()[0, 0], jac[0], rtol=1e-4, atol=1e-6)
print("BPTT: autograd's d h_T / d h_0 == product of the", T, "step Jacobians")

# 3. GRU and LSTM gates
gru, lstm = nn.GRU(I, H), nn.LSTM(I, H)
h = np.zeros((N, H), np.float32)
c = np.zeros((N, H), np.float32)
h_lstm = h.copy()
g_out, _ = gru(mytorch.tensor(x))
l_out, _ = lstm(mytorch.tensor(x))
p = {k: v.numpy() for k, v in gru.named_parameters()}
q = {k: v.numpy() for k, v in lstm.named_parameters()}
for t in range(T):
    gi = x[t] @ p["weight_ih_l0"].T + p["bias_ih_l0"]
    gh = h @ p["weight_hh_l0"].T + p["bias_hh_l0"]
    r = sigmoid(gi[:, :H] + gh[:, :H])
    z = sigmoid(gi[:, H:2 * H] + gh[:, H:2 * H])
    n = np.tanh(gi[:, 2 * H:] + r * gh[:, 2 * H:])
    h = (1 - z) * n + z * h
    a = x[t] @ q["weight_ih_l0"].T + q["bias_ih_l0"] + h_lstm @ q["weight_hh_l0"].T \
        + q["bias_hh_l0"]
    i, f, g, o = sigmoid(a[:, :H]), sigmoid(a[:, H:2 * H]), np.tanh(a[:, 2 * H:3 * H]), \
        sigmoid(a[:, 3 * H:])
    c = f * c + i * g
    h_lstm = o * np.tanh(c)
np.testing.assert_allclose(g_out.numpy()[-1], h, rtol=1e-5, atol=1e-6)
np.testing.assert_allclose(l_out.numpy()[-1], h_lstm, rtol=1e-5, atol=1e-6)
print("nn.GRU and nn.LSTM == their gate equations")

# 4. CTC on one sequence: T = 5 frames, C = 3 classes (0 is the blank), target "1 2"
T, C = 5, 3
target = [1, 2]
logits = mytorch.tensor(rng.standard_normal((T, 1, C)).astype(np.float64), requires_grad=True)
log_probs = logits.log_softmax(2)
loss = nn.functional.ctc_loss(log_probs, mytorch.tensor([target]), [T], [len(target)],
                              reduction="sum")


def collapse(path: tuple[int, ...], blank: int = 0) -> list[int]:
    """CTC's B: merge repeats, then drop blanks."""
    merged = [k for j, k in enumerate(path) if j == 0 or k != path[j - 1]]
    return [k for k in merged if k != blank]


probs = np.exp(log_probs.detach().numpy()[:, 0])  # (T, C)
total = sum(np.prod(probs[np.arange(T), path])
            for path in itertools.product(range(C), repeat=T) if collapse(path) == target)
np.testing.assert_allclose(float(loss), -np.log(total), rtol=1e-10)
print(f"ctc_loss = {float(loss):.6f} = -log(sum over {C ** T} alignments' probabilities "
      "of those collapsing to the target)")

lp = log_probs.detach().numpy()
ext = K.extend_targets(np.array([target]), np.array([2]), blank=0)
emit, skip = K.emissions(lp, ext), K.skip_mask(ext)
alpha = K.alpha_table(emit, skip)
beta = K.beta_table(emit, skip, np.array([T]), np.array([2]))
ll = K.log_likelihood(alpha, np.array([T]), np.array([2]))
np.testing.assert_allclose(np.logaddexp(beta[0, 0, 0], beta[0, 0, 1]), ll[0], rtol=1e-12)
gamma = K.gamma_table(alpha, beta, emit, ll)
np.testing.assert_allclose(gamma.sum(axis=2), 1, rtol=1e-12)
print("extended target", ext[0].tolist(), "; alpha and beta agree; each frame's posteriors "
      "sum to 1")
loss.backward()
posterior = K.class_posterior(gamma, ext, C)
np.testing.assert_allclose(logits.grad.numpy(), np.exp(lp) - posterior, atol=1e-12)
print("gradient with respect to the logits == softmax - posterior")

# 5. greedy (best path) against beam search (best labelling)
frames = np.log(np.array([[0.6, 0.4], [0.6, 0.4]]))  # 2 frames: blank or label 1
best_path = greedy_decode(frames)
labels, logp = beam_search_decode(frames, beam_width=4)
assert best_path == [] and labels == [1]
np.testing.assert_allclose(np.exp(logp), 1 - 0.6 * 0.6)
print(f"greedy: {best_path} (alignment '- -', p = 0.36); beam: {labels} "
      f"(alignments '1 1', '1 -', '- 1', p = {np.exp(logp):.2f})")
