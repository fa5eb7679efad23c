"""Chapter 12: a PyTorch training script that runs on mytorch by changing its import.

Everything below the imports is ordinary PyTorch code (an nn.Module subclass, a TensorDataset
and DataLoader, device handling, an optimizer, torch.no_grad, a state_dict saved to a .pt file
and loaded back). Write ``torch`` for ``mytorch`` in the four imports and it runs under PyTorch.
"""

from __future__ import annotations

import os
import tempfile

import mytorch as torch
import mytorch.nn as nn
import mytorch.nn.functional as F
from mytorch.utils.data import DataLoader, TensorDataset

torch.manual_seed(0)
device = torch.device("cuda" if torch.cuda.is_available() else "cpu")


class Net(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc1 = nn.Linear(2, 32)
        self.fc2 = nn.Linear(32, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(F.relu(self.fc1(x)))


# two classes: inside or outside the circle of radius 1
x = torch.randn(512, 2) * 1.2
y = (x.pow(2).sum(1) < 1).long()
loader = DataLoader(TensorDataset(x, y), batch_size=64, shuffle=True, num_workers=0)

model = Net().to(device)
optimizer = torch.optim.SGD(model.parameters(), lr=0.5, momentum=0.9)
for _ in range(20):
    for xb, yb in loader:
        xb, yb = xb.to(device), yb.to(device)
        loss = F.cross_entropy(model(xb), yb)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

model.eval()
with torch.no_grad():
    accuracy = (model(x.to(device)).argmax(dim=1) == y).float().mean().item()
print(f"device {device}, final loss {loss.item():.3f}, accuracy {accuracy:.1%}")
assert accuracy > 0.9, accuracy

with tempfile.TemporaryDirectory() as folder:
    path = os.path.join(folder, "net.pt")
    torch.save(model.state_dict(), path)  # PyTorch's own .pt layout
    copy = Net()
    copy.load_state_dict(torch.load(path, weights_only=True))
    with torch.no_grad():
        same = bool((copy(x) == model(x)).all())
    print(f"saved to net.pt ({os.path.getsize(path)} bytes) and loaded back: same outputs {same}")
    assert same
