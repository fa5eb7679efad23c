"""DistributedSampler against PyTorch's: the same index lists without shuffling; with
shuffling the same structure (PyTorch's permutation comes from torch's generator, ours
from NumPy's, so the permutations themselves differ: see the module docstring)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch.utils.data.distributed import DistributedSampler as TorchSampler

import mytorch
from mytorch.utils.data import DataLoader, TensorDataset
from mytorch.utils.data.distributed import DistributedSampler

SIZES = [0, 1, 2, 5, 7, 10, 13]
REPLICAS = [1, 2, 3, 4, 8]


def shards(sampler_class: type, n: int, replicas: int, **kwargs: object) -> list[list[int]]:
    return [list(sampler_class(range(n), num_replicas=replicas, rank=rank, **kwargs))
            for rank in range(replicas)]


@pytest.mark.parametrize("drop_last", [False, True])
@pytest.mark.parametrize("replicas", REPLICAS)
@pytest.mark.parametrize("n", SIZES)
def test_index_lists_equal_pytorchs_without_shuffle(n: int, replicas: int, drop_last: bool) -> None:
    ours = shards(DistributedSampler, n, replicas, shuffle=False, drop_last=drop_last)
    theirs = shards(TorchSampler, n, replicas, shuffle=False, drop_last=drop_last)
    assert ours == theirs
    lengths = [len(DistributedSampler(range(n), replicas, r, drop_last=drop_last))
               for r in range(replicas)]
    assert lengths == [len(TorchSampler(range(n), replicas, r, drop_last=drop_last))
                       for r in range(replicas)]


def interleave(per_rank: list[list[int]]) -> list[int]:
    """The epoch's whole index list: rank r's shard holds entries r, r + R, r + 2R, ..."""
    return [index for step in zip(*per_rank) for index in step]


@pytest.mark.parametrize("drop_last", [False, True])
@pytest.mark.parametrize("replicas", [2, 3, 8])
@pytest.mark.parametrize("n", [1, 5, 10, 13])
def test_shuffled_shards_have_pytorchs_structure(n: int, replicas: int, drop_last: bool) -> None:
    for sampler_class in (TorchSampler, DistributedSampler):  # the check holds for both
        per_rank = shards(sampler_class, n, replicas, shuffle=True, seed=3, drop_last=drop_last)
        assert [len(s) for s in per_rank] == [len(s) for s in shards(
            TorchSampler, n, replicas, shuffle=True, seed=3, drop_last=drop_last)]
        whole = interleave(per_rank)
        if drop_last:  # a prefix of a permutation: no index twice
            assert len(set(whole)) == len(whole) and set(whole) <= set(range(n))
        else:  # a permutation, then its own beginning repeated as padding
            assert sorted(whole[:n]) == list(range(n))
            assert whole[n:] == [whole[i % n] for i in range(len(whole) - n)]


def test_shuffle_is_the_same_on_every_rank_and_changes_with_the_epoch() -> None:
    def epoch_order(seed: int, epoch: int) -> list[int]:
        per_rank = []
        for rank in range(3):
            sampler = DistributedSampler(range(12), num_replicas=3, rank=rank, seed=seed)
            sampler.set_epoch(epoch)
            per_rank.append(list(sampler))
        return interleave(per_rank)

    first = epoch_order(seed=0, epoch=0)
    assert sorted(first) == list(range(12))  # the ranks' shards are disjoint and complete
    assert first != list(range(12)) and first != epoch_order(seed=0, epoch=1)
    assert epoch_order(seed=0, epoch=1) == epoch_order(seed=1, epoch=0)  # seed + epoch
    assert first == list(np.random.default_rng(0).permutation(12))


def test_rank_outside_the_world_raises_like_pytorch() -> None:
    message = r"DistributedSampler: invalid rank 2, rank should be in the interval \[0, 1\]"
    with pytest.raises(ValueError, match=message):
        DistributedSampler(range(4), num_replicas=2, rank=2)
    with pytest.raises(ValueError, match="Invalid rank 2"):
        TorchSampler(range(4), num_replicas=2, rank=2)


def test_without_a_process_group_rank_and_replicas_must_be_given() -> None:
    with pytest.raises(ValueError, match="Default process group has not been initialized"):
        DistributedSampler(range(4))


def test_data_loader_batches_this_ranks_share() -> None:
    data = TensorDataset(mytorch.arange(10))
    sampler = DistributedSampler(data, num_replicas=3, rank=1, shuffle=False)
    batches = [batch[0].tolist() for batch in DataLoader(data, batch_size=2, sampler=sampler)]
    torch_loader = torch.utils.data.DataLoader(
        torch.arange(10), batch_size=2,
        sampler=TorchSampler(range(10), num_replicas=3, rank=1, shuffle=False),
    )
    assert batches == [batch.tolist() for batch in torch_loader] == [[1, 4], [7, 0]]
