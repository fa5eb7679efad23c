"""Chapter 5: a convolution is a matrix, im2col is a selection matrix, and all three
computations of a convolution (forward, input gradient, weight gradient) are one GEMM each.

    python examples/ch05_conv_as_matrix.py

Every claim printed here is also asserted, so the script fails if one stops being true:

1. the output size is floor((L + 2p - d(k-1) - 1) / s) + 1 (``kernels.windows.output_size``);
2. ``conv_matrix`` M satisfies x.ravel() @ M == conv2d(x, W).ravel();
3. ``im2col_matrix`` S (dense, and sparse when scipy is installed) satisfies
   S @ x.ravel() == im2col(x).ravel(), and the convolution is W (O, CK) @ im2col(x) (CK, P);
4. autograd's gradients equal the derivation: gx = M @ gy (col2im of W^T gy), gW = gy cols^T;
5. groups=C (depthwise) is C separate one-channel convolutions;
6. conv1d is conv2d on an image of height 1;

The comparison with PyTorch (same outputs and gradients) is in tests/ops/test_conv.py; this script
does not import torch, whose import alone takes seconds.
"""

from __future__ import annotations

import numpy as np

import mytorch
import mytorch.nn.functional as F
from mytorch.kernels.conv import (
    col2im,
    conv_matrix,
    im2col,
    im2col_matrix,
    reference_conv_forward,
    reference_conv_input_grad,
    reference_conv_weight_grad,
)
from mytorch.kernels.windows import output_size

rng = np.random.default_rng(0)
C, O, H, W_, K = 2, 3, 6, 5, 3
stride, padding, dilation = 2, 1, 1
x = rng.standard_normal((1, C, H, W_))
W = rng.standard_normal((O, C, K, K))

# 1. the output-size formula
y = reference_conv_forward(x, W, stride, padding, dilation)
OH = output_size(H, K, stride, padding, dilation)
OW = output_size(W_, K, stride, padding, dilation)
assert OH == (H + 2 * padding - dilation * (K - 1) - 1) // stride + 1
assert y.shape == (1, O, OH, OW)
print(f"output size: H={H}, W={W_}, k={K}, s={stride}, p={padding} -> {OH} x {OW}")

# 2. the convolution as one matrix of shape (C*H*W, O*OH*OW)
M = conv_matrix(W, (C, H, W_), stride, padding, dilation)
np.testing.assert_allclose(x.ravel() @ M, y.ravel(), atol=1e-12)
print(f"conv_matrix: M is {M.shape[0]} x {M.shape[1]}, {np.count_nonzero(M)} nonzeros; "
      "x @ M == conv(x, W)")

# 3. im2col as a selection matrix, then one GEMM
S = im2col_matrix((C, H, W_), K, stride, padding, dilation)
cols = im2col(x, K, stride, padding, dilation)                # (C, K, K, 1, OH, OW)
np.testing.assert_array_equal(S @ x.ravel(), cols.ravel())
assert set(np.unique(S)) <= {0.0, 1.0} and (S.sum(axis=1) <= 1).all()
print(f"im2col_matrix: S is {S.shape[0]} x {S.shape[1]}, one 1 per row at most "
      f"({int((S.sum(axis=1) == 0).sum())} rows read padding)")
try:
    S_sparse = im2col_matrix((C, H, W_), K, stride, padding, dilation, sparse=True)
except ImportError:
    print("scipy is not installed: skipping the sparse selection matrix")
else:
    np.testing.assert_array_equal(S_sparse @ x.ravel(), cols.ravel())
    print(f"sparse S stores {S_sparse.nnz} ones instead of {S.size} numbers")
y_gemm = W.reshape(O, C * K * K) @ cols.reshape(C * K * K, OH * OW)   # (O, CK) @ (CK, P)
np.testing.assert_allclose(y_gemm.reshape(y.shape), y, atol=1e-12)

# 4. the gradients, derived, against autograd
gy = rng.standard_normal(y.shape)
xt = mytorch.tensor(x, requires_grad=True)
Wt = mytorch.tensor(W, requires_grad=True)
yt = F.conv2d(xt, Wt, stride=stride, padding=padding)
(yt * mytorch.tensor(gy)).sum().backward()
gx_matrix = (M @ gy.ravel()).reshape(x.shape)                  # the transpose of M
gcols = (W.reshape(O, -1).T @ gy.reshape(O, -1)).reshape(cols.shape)   # W^T gy
gx_col2im = col2im(gcols, (H, W_), stride, padding, dilation)        # S^T (W^T gy)
gW_gemm = (gy.reshape(O, -1) @ cols.reshape(C * K * K, -1).T).reshape(W.shape)
np.testing.assert_allclose(yt.numpy(), y, atol=1e-12)
for name, gx in (("M @ gy", gx_matrix), ("col2im(W^T gy)", gx_col2im),
                 ("reference", reference_conv_input_grad(gy, W, (H, W_), stride, padding))):
    np.testing.assert_allclose(xt.grad.numpy(), gx, atol=1e-12, err_msg=name)
for name, gW in (("gy @ cols^T", gW_gemm),
                 ("reference", reference_conv_weight_grad(x, gy, (K, K), stride, padding))):
    np.testing.assert_allclose(Wt.grad.numpy(), gW, atol=1e-12, err_msg=name)
print("gradients: autograd == M @ gy == col2im(W^T gy); autograd == gy @ cols^T")

# 5. depthwise: groups = C is one small convolution per channel
x4 = rng.standard_normal((2, 4, 7, 7))
W_dw = rng.standard_normal((4, 1, 3, 3))
y_dw = F.conv2d(mytorch.tensor(x4), mytorch.tensor(W_dw), groups=4).numpy()
for c in range(4):
    np.testing.assert_allclose(y_dw[:, c:c + 1], reference_conv_forward(x4[:, c:c + 1],
                                                                         W_dw[c:c + 1]),
                               atol=1e-12)
print(f"depthwise (groups=4): {W_dw.size} weights instead of {4 * 4 * 9}, "
      "equal to 4 one-channel convolutions")

# 6. conv1d is conv2d of height 1
s1 = rng.standard_normal((2, 3, 20))
k1 = rng.standard_normal((5, 3, 4))
y1 = F.conv1d(mytorch.tensor(s1), mytorch.tensor(k1), stride=3, padding=2).numpy()
y2 = F.conv2d(mytorch.tensor(s1[:, :, None]), mytorch.tensor(k1[:, :, None]),
              stride=(1, 3), padding=(0, 2)).numpy()
np.testing.assert_allclose(y1, y2[:, :, 0], atol=1e-12)
print(f"conv1d {s1.shape} -> {y1.shape} == conv2d on height 1")

