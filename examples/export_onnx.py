"""Train the digits CNN in mytorch, export it to ONNX, and classify with ONNX Runtime alone.

    python examples/export_onnx.py [--epochs 5] [--out digits_cnn.onnx] [--seed 0]

Needs ``pip install onnx onnxruntime``. The model is trained briefly with
Adam on the 1,437 training digits (8x8 images), then ``mytorch.onnx.export``
traces one forward pass and writes ``digits_cnn.onnx`` with a free batch size.
The second half uses nothing of mytorch: ONNX Runtime loads the file and
classifies the 360 test digits from NumPy arrays. Both give the same
predictions, so the same accuracy.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import mytorch
import mytorch.nn.functional as F
from mytorch.datasets import Digits
from mytorch.models import DigitsCNN
from mytorch.utils.data import DataLoader, TensorDataset


def digits(train: bool) -> tuple[np.ndarray, np.ndarray]:
    """All images (N, 1, 8, 8) float32 and labels (N,) int64 of one split."""
    data = Digits(train=train)
    images, labels = zip(*(data[i] for i in range(len(data))))
    return np.stack(images).reshape(-1, 1, 8, 8).astype(np.float32), np.array(labels)


def train(epochs: int, seed: int) -> DigitsCNN:
    """The default model of ``mytorch train``, fitted with Adam (lr 3e-3, batch 32)."""
    mytorch.manual_seed(seed)
    x, y = digits(train=True)
    loader = DataLoader(TensorDataset(mytorch.tensor(x), mytorch.tensor(y)), batch_size=32,
                        shuffle=True)
    model = DigitsCNN()
    optimizer = mytorch.optim.Adam(model.parameters(), lr=3e-3)
    for epoch in range(epochs):
        model.train()
        for xb, yb in loader:
            loss = F.cross_entropy(model(xb), yb)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        print(f"epoch {epoch + 1}/{epochs}: last batch loss {loss.item():.4f}")
    return model.eval()


def predict_with_onnxruntime(path: str, images: np.ndarray) -> np.ndarray:
    """Class predictions from the ONNX file alone (no mytorch): argmax of the logits."""
    import onnxruntime

    session = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])
    (logits,) = session.run(["logits"], {"images": images})
    return logits.argmax(axis=1)


def run(epochs: int = 5, out: str = "digits_cnn.onnx", seed: int = 0) -> tuple[float, float]:
    """Train, export, classify the test set both ways; returns (mytorch, ONNX) accuracy."""
    model = train(epochs, seed)
    mytorch.onnx.export(model, mytorch.zeros(2, 1, 8, 8), out, input_names=["images"],
                        output_names=["logits"],
                        dynamic_axes={"images": {0: "batch"}, "logits": {0: "batch"}})
    x, y = digits(train=False)
    with mytorch.no_grad():
        ours = model(mytorch.tensor(x)).numpy().argmax(axis=1)
    theirs = predict_with_onnxruntime(out, x)
    assert np.array_equal(ours, theirs), "ONNX Runtime and mytorch disagree"
    return float((ours == y).mean()), float((theirs == y).mean())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--out", default="digits_cnn.onnx")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    start = time.perf_counter()
    ours, theirs = run(args.epochs, args.out, args.seed)
    print(f"test accuracy on the 360 test digits: mytorch {100 * ours:.2f}%, ONNX Runtime "
          f"{100 * theirs:.2f}% ({args.out}, {time.perf_counter() - start:.1f} s in all)")


if __name__ == "__main__":
    main()
