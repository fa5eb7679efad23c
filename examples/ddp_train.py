"""PyTorch's usual data-parallel script, run with mytorch: one process per core, under MPI.

    mpirun -n 2 python examples/ddp_train.py [--epochs 5] [--batch-size 32]

Every process runs this same file. Each one joins the process group, wraps the
same model in DistributedDataParallel (which copies rank 0's weights to all),
reads its own shard of the data through DistributedSampler, and after every
``loss.backward()`` holds the gradients averaged over all processes, so the
optimizer steps keep the copies identical. Rank 0 alone prints.

The data: two Gaussian blobs in 8 dimensions, labelled by blob (made here, no
download); the model, an MLP. ``import mytorch as torch`` is the only change
from the PyTorch script (with backend "mpi", the one mytorch has).
"""

from __future__ import annotations

import argparse

import mytorch as torch
import mytorch.distributed as dist
from mytorch import nn
from mytorch.nn.parallel import DistributedDataParallel as DDP
from mytorch.utils.data import DataLoader, TensorDataset
from mytorch.utils.data.distributed import DistributedSampler


def blobs(n: int) -> TensorDataset:
    """``n`` points, half around (+1, ..., +1) labelled 1, half around (-1, ..., -1) labelled 0."""
    torch.manual_seed(0)  # the same dataset on every process
    y = torch.tensor([0, 1] * (n // 2))
    x = torch.randn(n, 8) + (2 * y - 1).float().reshape(n, 1)
    return TensorDataset(x, y)


def main(epochs: int, batch_size: int) -> float:
    """Train; returns the final accuracy on the whole dataset (the same on every rank)."""
    dist.init_process_group("mpi")
    rank = dist.get_rank()
    data = blobs(512)
    sampler = DistributedSampler(data, shuffle=True, seed=0)
    loader = DataLoader(data, batch_size=batch_size, sampler=sampler)

    torch.manual_seed(rank)  # different initial weights: DDP makes them rank 0's
    model = DDP(nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 2)))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    loss_fn = nn.CrossEntropyLoss()
    for epoch in range(epochs):
        sampler.set_epoch(epoch)  # a new shuffle each epoch, the same on every process
        for x, y in loader:
            optimizer.zero_grad()
            loss = loss_fn(model(x), y)
            loss.backward()  # the gradients are averaged over the processes here
            optimizer.step()
        if rank == 0:
            print(f"epoch {epoch + 1}: loss {loss.item():.4f} (rank 0's last batch)")

    with torch.no_grad():
        x, y = data.tensors
        accuracy = (model.module(x).argmax(1) == y).float().mean().item()
    weights = sum(p.double().sum().item() for p in model.module.parameters())
    print(f"rank {rank}: accuracy {accuracy:.4f}, sum of weights {weights:.12f}")
    dist.destroy_process_group()
    return accuracy


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="data-parallel training under mpirun")
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=32, help="per process")
    args = parser.parse_args()
    main(args.epochs, args.batch_size)
