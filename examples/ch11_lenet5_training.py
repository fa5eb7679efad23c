"""Chapter 11: a complete LeNet-5 training loop, every line explained in the book.

Trains LeNet-5 on the 8x8 handwritten digits that scikit-learn ships (no download), scaled up
to LeNet's 32x32, for two epochs, and checks that it learned: the test accuracy is far above
chance (10 %).
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")      # small products: one BLAS thread

import mytorch
from mytorch import nn
from mytorch.datasets import Digits
from mytorch.models import LeNet5
from mytorch.utils.data import DataLoader

mytorch.manual_seed(0)                                   # same weights, same batches, every run

train_set, test_set = Digits(train=True), Digits(train=False)   # (1, 8, 8) images, labels 0-9
train_loader = DataLoader(train_set, batch_size=32, shuffle=True)
test_loader = DataLoader(test_set, batch_size=256)

model = nn.Sequential(nn.Upsample(scale_factor=4),      # 8x8 -> 32x32, LeNet's input size
                      LeNet5(num_classes=10, input_size=32))
loss_fn = nn.CrossEntropyLoss()                          # log-softmax + negative log-likelihood
optimizer = mytorch.optim.Adam(model.parameters(), lr=2e-3)

for epoch in range(2):
    model.train()                                        # training mode (dropout, batch norm)
    for images, labels in train_loader:                  # (32, 1, 8, 8) float32, (32,) int64
        logits = model(images)                           # forward: (32, 10) scores
        loss = loss_fn(logits, labels)                   # one number: the mean loss
        optimizer.zero_grad()                            # forget the last step's gradients
        loss.backward()                                  # d loss / d every parameter
        optimizer.step()                                 # move each parameter against it

    model.eval()                                         # evaluation mode
    correct = 0
    with mytorch.no_grad():                              # no graph: faster, less memory
        for images, labels in test_loader:
            correct += int((model(images).argmax(1) == labels).sum())
    accuracy = correct / len(test_set)
    print(f"epoch {epoch + 1}: last batch loss {loss.item():.3f}, test accuracy {accuracy:.1%}")

assert accuracy > 0.8, accuracy                         # chance is 10 %
