"""mytorch.utils.data: datasets, samplers, collate and DataLoader, against torch.utils.data."""

from collections import OrderedDict, namedtuple

import numpy as np
import pytest
import torch
import torch.utils.data as tdata

import mytorch
from mytorch.utils.data import (
    BatchSampler,
    ConcatDataset,
    DataLoader,
    Dataset,
    RandomSampler,
    SequentialSampler,
    Subset,
    TensorDataset,
    default_collate,
    default_convert,
    random_split,
)

Point = namedtuple("Point", ["x", "label"])


def as_numpy(batch):
    """A batch as plain data: each Tensor (mytorch or torch) as (dtype name, values), each
    container as (type name, entries), so two batches compare equal only when they have the
    same structure, container types, dtypes and values."""
    if isinstance(batch, (mytorch.Tensor, torch.Tensor)):
        return ("tensor", batch.numpy().dtype.name, batch.numpy().tolist())
    if isinstance(batch, dict):
        return (type(batch).__name__, [(key, as_numpy(value)) for key, value in batch.items()])
    if isinstance(batch, (list, tuple)):
        return (type(batch).__name__, [as_numpy(item) for item in batch])
    return batch


def assert_same_batches(loader_a, loader_b):
    batches_a, batches_b = list(loader_a), list(loader_b)
    assert len(batches_a) == len(batches_b)
    for a, b in zip(batches_a, batches_b):
        assert as_numpy(a) == as_numpy(b)


def make_tensor_dataset(n=10, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 3, 2)).astype(np.float32)
    y = rng.integers(0, 5, n)
    return TensorDataset(mytorch.tensor(x), mytorch.tensor(y)), x, y


class Squares(Dataset):
    """A plain dataset with no fast path: sample i is (i*i as float32 array, i)."""

    def __init__(self, n):
        self.n = n

    def __getitem__(self, i):
        if not 0 <= i < self.n:
            raise IndexError(i)
        return np.full(2, i * i, dtype=np.float32), i

    def __len__(self):
        return self.n


# -- TensorDataset, Subset, ConcatDataset ---------------------------------------------------
def test_tensor_dataset_items():
    ds, x, y = make_tensor_dataset()
    assert len(ds) == 10
    xi, yi = ds[3]
    np.testing.assert_array_equal(xi.numpy(), x[3])
    assert yi.item() == y[3] and yi.dtype == np.int64
    np.testing.assert_array_equal(ds[-1][0].numpy(), x[-1])


def test_tensor_dataset_accepts_arrays():
    ds = TensorDataset(np.arange(6.0).reshape(3, 2))
    np.testing.assert_array_equal(ds[2][0].numpy(), [4.0, 5.0])


@pytest.mark.parametrize("shapes", [((3, 2), (4,)), ((5,), (5, 1), (2, 5))])
def test_tensor_dataset_size_mismatch_names_sizes(shapes):
    with pytest.raises(ValueError, match="TensorDataset") as info:
        TensorDataset(*(mytorch.zeros(*s) for s in shapes))
    for s in shapes:
        assert str(s[0]) in str(info.value) and str(s) in str(info.value)


def test_tensor_dataset_needs_sample_dimension():
    with pytest.raises(ValueError, match="TensorDataset.*0-d"):
        TensorDataset(mytorch.zeros(3), mytorch.tensor(1.0))
    with pytest.raises(ValueError, match="TensorDataset.*at least one"):
        TensorDataset()


def test_subset_and_concat():
    base = Squares(6)
    sub = Subset(base, [4, 0, 4])
    assert len(sub) == 3 and sub[0][1] == 4 and sub[-2][1] == 0
    both = base + Squares(3)
    assert isinstance(both, ConcatDataset) and len(both) == 9
    assert both.cumulative_sizes == [6, 9]
    assert [both[i][1] for i in range(9)] == [0, 1, 2, 3, 4, 5, 0, 1, 2]
    assert both[-1][1] == 2 and both[-9][1] == 0
    with pytest.raises(IndexError, match="ConcatDataset"):
        both[9]
    with pytest.raises(ValueError, match="ConcatDataset"):
        both[-10]
    with pytest.raises(ValueError, match="ConcatDataset"):
        ConcatDataset([])


def test_base_dataset_is_abstract():
    with pytest.raises(NotImplementedError):
        Dataset()[0]
    with pytest.raises(NotImplementedError):
        len(Dataset())


# -- random_split --------------------------------------------------------------------------
@pytest.mark.filterwarnings("ignore:.*split at index")
@pytest.mark.parametrize("n", [5, 7, 10, 1797])
@pytest.mark.parametrize("fractions", [[0.8, 0.2], [1 / 3] * 3, [0.5, 0.25, 0.25], [0.1] * 10])
def test_random_split_fraction_lengths_match_torch(n, fractions):
    ours = [len(s) for s in random_split(range(n), fractions)]
    theirs = [len(s) for s in tdata.random_split(range(n), fractions)]
    assert ours == theirs


def test_random_split_warns_about_an_empty_split():
    with pytest.warns(UserWarning, match=r"random_split: length of split at index [789] is 0"):
        random_split(range(7), [0.1] * 10)


def test_random_split_is_a_disjoint_cover():
    parts = random_split(range(20), [7, 0, 13], generator=np.random.default_rng(1))
    assert [len(p) for p in parts] == [7, 0, 13]
    seen = [parts[k][i] for k in range(3) for i in range(len(parts[k]))]
    assert sorted(seen) == list(range(20))


def test_random_split_reproducible():
    a = random_split(range(30), [10, 20], generator=np.random.default_rng(5))
    b = random_split(range(30), [10, 20], generator=np.random.default_rng(5))
    assert a[0].indices == b[0].indices
    mytorch.manual_seed(3)
    c = random_split(range(30), [0.5, 0.5])
    mytorch.manual_seed(3)
    d = random_split(range(30), [0.5, 0.5])
    assert c[1].indices == d[1].indices
    assert c[0].indices != random_split(range(30), [0.5, 0.5])[0].indices  # the stream moved on


@pytest.mark.parametrize("lengths, message", [
    ([3, 3], "sum to 6"),
    ([11], "sum to 11"),
    ([0.5, 0.6], "fractions summing to 1"),
    ([1.5, -0.5], "fraction at index 0"),
    ([-1, 11], "non-negative"),
])
def test_random_split_errors(lengths, message):
    with pytest.raises(ValueError, match=f"random_split: .*{message}"):
        random_split(range(10), lengths)


# -- samplers ------------------------------------------------------------------------------
@pytest.mark.parametrize("n, batch_size, drop_last", [(10, 3, False), (10, 3, True), (9, 3, True),
                                                      (2, 5, False), (2, 5, True), (0, 2, False)])
def test_batch_sampler_matches_torch(n, batch_size, drop_last):
    ours = BatchSampler(SequentialSampler(range(n)), batch_size, drop_last)
    theirs = tdata.BatchSampler(tdata.SequentialSampler(range(n)), batch_size, drop_last)
    assert list(ours) == list(theirs)
    assert len(ours) == len(theirs)


@pytest.mark.parametrize("batch_size", [0, -1, 1.5, True, None])
def test_batch_sampler_rejects_bad_batch_size(batch_size):
    with pytest.raises(ValueError, match="BatchSampler: batch_size"):
        BatchSampler(range(3), batch_size, False)
    with pytest.raises(ValueError, match="BatchSampler: drop_last"):
        BatchSampler(range(3), 2, 1)


def test_random_sampler_permutations_and_replacement():
    gen = np.random.default_rng(0)
    order = list(RandomSampler(range(7), generator=gen))
    assert sorted(order) == list(range(7))
    long = list(RandomSampler(range(4), num_samples=10, generator=gen))
    assert len(long) == 10 and sorted(long[:8]) == sorted(list(range(4)) * 2)
    assert len(set(long[8:])) == 2
    drawn = list(RandomSampler(range(3), replacement=True, num_samples=50, generator=gen))
    assert len(drawn) == 50 and set(drawn) == {0, 1, 2}
    with pytest.raises(ValueError, match="RandomSampler: num_samples"):
        RandomSampler(range(0))
    with pytest.raises(TypeError, match="RandomSampler: replacement"):
        RandomSampler(range(3), replacement=1)


# -- default_collate -----------------------------------------------------------------------
COLLATE_CASES = {
    "arrays_and_ints": [(np.full((2, 3), k, np.float32), k) for k in range(3)],
    "float64_array": [np.arange(3.0) + k for k in range(2)],
    "int32_array": [np.arange(3, dtype=np.int32) for _ in range(2)],
    "numpy_scalars": [np.float32(k) for k in range(3)],
    "bools_strings": [(True, "a", b"x"), (False, "b", b"y")],
    "dict": [{"image": np.zeros((1, 2), np.float32), "label": k, "name": f"n{k}"}
             for k in range(3)],
    "nested": [{"pair": (np.ones(2, np.uint8) * k, [k, k + 1])} for k in range(2)],
    "list_samples": [[k, np.int64(k)] for k in range(3)],
    "namedtuple": [Point(np.ones(2, np.float32), k) for k in range(2)],
    "ordered_dict": [OrderedDict(b=k, a=np.zeros(1)) for k in range(2)],
}


@pytest.mark.parametrize("name", sorted(COLLATE_CASES))
def test_default_collate_matches_torch(name):
    batch = COLLATE_CASES[name]
    ours, theirs = default_collate(batch), tdata.default_collate(batch)
    assert as_numpy(ours) == as_numpy(theirs)


def test_default_collate_python_floats_are_float32():
    """mytorch's one deliberate difference: Python floats collate to the default dtype."""
    out = default_collate([(1.5, 2), (0.5, 3)])
    assert out[0].dtype == np.float32 and out[1].dtype == np.int64
    np.testing.assert_array_equal(out[0].numpy(), [1.5, 0.5])


def test_default_collate_stacks_tensors_keeping_dtype():
    batch = [mytorch.tensor([1.0, 2.0], dtype=mytorch.float64), mytorch.tensor([3.0, 4.0],
                                                                              dtype=mytorch.float64)]
    out = default_collate(batch)
    assert isinstance(out, mytorch.Tensor) and out.dtype == np.float64 and out.shape == (2, 2)


def test_default_collate_errors():
    with pytest.raises(RuntimeError, match=r"default_collate: .*\(3,\) at entry 0 and \(4,\) at "
                                           r"entry 2"):
        default_collate([np.zeros(3), np.zeros(3), np.zeros(4)])
    with pytest.raises(RuntimeError, match="default_collate: each element .* sizes \\[1, 2\\]"):
        default_collate([(1, 2), (3,)])
    with pytest.raises(TypeError, match="default_collate: .*NoneType"):
        default_collate([None, None])
    with pytest.raises(TypeError, match="default_collate: .*object"):
        default_collate([np.array([object()]), np.array([object()])])


def test_default_convert_matches_torch():
    sample = {"x": np.arange(3.0), "t": (np.int64(4), "s"), "k": 2}
    assert as_numpy(default_convert(sample)) == as_numpy(tdata.default_convert(sample))


# -- DataLoader ------------------------------------------------------------------------------
@pytest.mark.parametrize("n, batch_size, drop_last", [(10, 4, False), (10, 4, True), (8, 4, True),
                                                      (3, 5, False), (3, 5, True), (10, 1, False)])
def test_dataloader_batches_in_order(n, batch_size, drop_last):
    ds, x, y = make_tensor_dataset(n)
    loader = DataLoader(ds, batch_size=batch_size, drop_last=drop_last)
    batches = list(loader)
    expected = n // batch_size if drop_last else -(-n // batch_size)
    assert len(loader) == len(batches) == expected
    for k, (xb, yb) in enumerate(batches):
        np.testing.assert_array_equal(xb.numpy(), x[k * batch_size:(k + 1) * batch_size])
        np.testing.assert_array_equal(yb.numpy(), y[k * batch_size:(k + 1) * batch_size])
        assert xb.dtype == np.float32 and yb.dtype == np.int64


def test_dataloader_matches_torch_in_order():
    """Same samples, same batching, same structure as torch's DataLoader (nested samples)."""
    data = [{"x": np.full(2, k, np.float32), "meta": (k, f"s{k}")} for k in range(7)]
    ours = DataLoader(data, batch_size=3)
    theirs = tdata.DataLoader(data, batch_size=3)
    assert_same_batches(ours, theirs)


def test_dataloader_batch_size_none_converts_samples():
    data = [(np.arange(2.0) + k, k) for k in range(3)]
    ours, theirs = DataLoader(data, batch_size=None), tdata.DataLoader(data, batch_size=None)
    assert len(ours) == 3
    assert_same_batches(ours, theirs)


def test_dataloader_shuffle_visits_every_sample_once_per_epoch():
    ds, _, y = make_tensor_dataset(23)
    loader = DataLoader(ds, batch_size=5, shuffle=True, generator=np.random.default_rng(0))
    epochs = [np.concatenate([yb.numpy() for _, yb in loader]) for _ in range(3)]
    orders = []
    for epoch in epochs:
        assert sorted(epoch.tolist()) == sorted(y.tolist())
        orders.append(epoch.tolist())
    assert orders[0] != orders[1] != orders[2]  # a fresh order each epoch


def epoch_orders(loader, epochs=3):
    return [[xb.numpy()[:, 0, 0].tolist() for xb, _ in loader] for _ in range(epochs)]


def test_dataloader_shuffle_reproducible_with_manual_seed():
    ds, _, _ = make_tensor_dataset(17)
    loader = DataLoader(ds, batch_size=4, shuffle=True)
    mytorch.manual_seed(42)
    first = epoch_orders(loader)
    mytorch.manual_seed(42)
    assert epoch_orders(loader) == first
    mytorch.manual_seed(43)
    assert epoch_orders(loader) != first


def test_dataloader_shuffle_resumes_from_rng_state():
    """Restoring the global generator's state mid-run replays the following epochs exactly."""
    ds, _, _ = make_tensor_dataset(17)
    loader = DataLoader(ds, batch_size=4, shuffle=True)
    mytorch.manual_seed(7)
    epoch_orders(loader, epochs=2)
    state = mytorch.get_rng_state()
    later = epoch_orders(loader, epochs=2)
    mytorch.manual_seed(999)  # anything in between
    mytorch.set_rng_state(state)
    assert epoch_orders(loader, epochs=2) == later


def test_dataloader_generator_is_independent_of_global_seed():
    ds, _, _ = make_tensor_dataset(17)
    mytorch.manual_seed(1)
    a = epoch_orders(DataLoader(ds, batch_size=4, shuffle=True, generator=np.random.default_rng(9)))
    mytorch.manual_seed(2)
    b = epoch_orders(DataLoader(ds, batch_size=4, shuffle=True, generator=np.random.default_rng(9)))
    assert a == b


@pytest.mark.parametrize("shuffle", [False, True])
@pytest.mark.parametrize("drop_last", [False, True])
def test_fast_path_gives_the_same_batches_as_the_slow_path(shuffle, drop_last):
    ds, _, _ = make_tensor_dataset(23)
    subset = random_split(ds, [15, 8], generator=np.random.default_rng(0))[0]
    for dataset in (ds, subset):
        def slow_collate(batch):
            return default_collate(batch)

        kwargs = dict(batch_size=4, shuffle=shuffle, drop_last=drop_last)
        fast = DataLoader(dataset, generator=np.random.default_rng(3), **kwargs)
        slow = DataLoader(dataset, generator=np.random.default_rng(3), collate_fn=slow_collate,
                          **kwargs)
        assert_same_batches(fast, slow)


def test_fast_path_never_indexes_samples(monkeypatch):
    """A TensorDataset (or a Subset of one) is batched by fancy indexing, not sample by sample."""
    ds, _, _ = make_tensor_dataset(1000)

    def refuse(self, index):
        raise AssertionError("the fast path should not call __getitem__")

    monkeypatch.setattr(TensorDataset, "__getitem__", refuse)
    assert sum(len(xb) for xb, _ in DataLoader(ds, batch_size=64, shuffle=True)) == 1000
    subset = Subset(ds, list(range(0, 1000, 3)))
    assert sum(len(xb) for xb, _ in DataLoader(subset, batch_size=64)) == 334


def test_custom_collate_and_plain_dataset():
    loader = DataLoader(Squares(5), batch_size=2, collate_fn=lambda batch: [s[1] for s in batch])
    assert list(loader) == [[0, 1], [2, 3], [4]]
    xb, yb = next(iter(DataLoader(Squares(5), batch_size=3)))
    np.testing.assert_array_equal(xb.numpy(), [[0, 0], [1, 1], [4, 4]])
    assert yb.tolist() == [0, 1, 2]


def test_dataloader_sampler_and_batch_sampler():
    loader = DataLoader(Squares(6), batch_size=2, sampler=[5, 3, 1])
    assert [yb.tolist() for _, yb in loader] == [[5, 3], [1]]
    loader = DataLoader(Squares(6), batch_sampler=[[0, 5], [2]])
    assert [yb.tolist() for _, yb in loader] == [[0, 5], [2]] and len(loader) == 2


def test_dataloader_is_reiterable_and_accepts_worker_options():
    ds, _, _ = make_tensor_dataset(10)
    loader = DataLoader(ds, batch_size=3, num_workers=2, pin_memory=True, persistent_workers=True,
                        prefetch_factor=2, worker_init_fn=print, timeout=5)
    assert_same_batches(loader, loader)
    assert_same_batches(loader, DataLoader(ds, batch_size=3))


@pytest.mark.parametrize("kwargs, error, message", [
    (dict(shuffle=True, sampler=[0, 1]), ValueError, "sampler option is mutually exclusive"),
    (dict(batch_sampler=[[0]], batch_size=2), ValueError, "batch_sampler option"),
    (dict(batch_sampler=[[0]], drop_last=True), ValueError, "batch_sampler option"),
    (dict(batch_size=None, drop_last=True), ValueError, "batch_size=None"),
    (dict(num_workers=-1), ValueError, "num_workers"),
    (dict(timeout=-1), ValueError, "timeout"),
    (dict(batch_size=0), ValueError, "batch_size"),
    (dict(bogus=1), TypeError, "bogus"),
])
def test_dataloader_errors(kwargs, error, message):
    with pytest.raises(error, match=message):
        DataLoader(Squares(4), **kwargs)
