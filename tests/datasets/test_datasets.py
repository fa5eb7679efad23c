"""mytorch.datasets: real loaders of the real formats. The IDX files and CIFAR pickle batches
are built here, in tmp_path; Digits and MNIST-1D come from their packages (skipped without)."""

import gzip
import os
import pickle
import struct
import sys

import numpy as np
import pytest

from mytorch import datasets
from mytorch.datasets import CIFAR10, MNIST, MNIST1D, Digits, FashionMNIST, read_idx
from mytorch.transforms import Lambda
from mytorch.utils.data import DataLoader, default_collate

IDX_CODES = {np.uint8: 0x08, np.int8: 0x09, np.int16: 0x0B, np.int32: 0x0C, np.float32: 0x0D,
             np.float64: 0x0E}


def idx_bytes(array):
    """``array`` in the IDX format: magic (0, 0, type code, ndim), big-endian sizes and values."""
    header = bytes([0, 0, IDX_CODES[array.dtype.type], array.ndim])
    header += struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(array.dtype.newbyteorder(">")).tobytes()


def write_idx(path, array):
    raw = idx_bytes(array)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(raw) if path.suffix == ".gz" else raw)
    return path


def write_mnist(folder, n_train=5, n_test=3, gz=False, seed=0):
    """The four MNIST files with random 28x28 images in ``folder``; returns the arrays."""
    rng = np.random.default_rng(seed)
    arrays = {}
    for split, n in (("train", n_train), ("t10k", n_test)):
        images = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
        labels = rng.integers(0, 10, n).astype(np.uint8)
        suffix = ".gz" if gz else ""
        write_idx(folder / f"{split}-images-idx3-ubyte{suffix}", images)
        write_idx(folder / f"{split}-labels-idx1-ubyte{suffix}", labels)
        arrays[split] = (images, labels)
    return arrays


def assert_fast_path_equals_slow_path(dataset):
    """The DataLoader's fancy-indexed batches equal the sample-by-sample collated ones."""
    def slow(batch):
        return default_collate(batch)

    fast_batches = list(DataLoader(dataset, batch_size=4, shuffle=True,
                                   generator=np.random.default_rng(0)))
    slow_batches = list(DataLoader(dataset, batch_size=4, shuffle=True, collate_fn=slow,
                                   generator=np.random.default_rng(0)))
    assert len(fast_batches) == len(slow_batches) > 0
    for (xf, yf), (xs, ys) in zip(fast_batches, slow_batches):
        assert xf.dtype == xs.dtype == np.float32 and yf.dtype == ys.dtype == np.int64
        np.testing.assert_array_equal(xf.numpy(), xs.numpy())
        np.testing.assert_array_equal(yf.numpy(), ys.numpy())


# -- the IDX reader ----------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", list(IDX_CODES))
@pytest.mark.parametrize("shape", [(3,), (2, 3, 4), (0, 5)])
@pytest.mark.parametrize("suffix", ["", ".gz"])
def test_read_idx_roundtrip(tmp_path, dtype, shape, suffix):
    values = (np.arange(np.prod(shape)) * 37 - 50).reshape(shape).astype(dtype)
    out = read_idx(write_idx(tmp_path / f"values{suffix}", values))
    assert out.dtype == np.dtype(dtype) and out.dtype.isnative and out.shape == shape
    np.testing.assert_array_equal(out, values)
    out[...] = 0  # a writable copy, not a view of the file's bytes


def corrupt_variants():
    good = idx_bytes(np.arange(24, dtype=np.int16).reshape(2, 3, 4))
    return {
        "truncated": (good[:-1], "truncated or corrupt"),
        "extra_bytes": (good + b"\0", "truncated or corrupt"),
        "header_cut": (good[:9], "truncated"),
        "empty": (b"", "not an IDX file"),
        "bad_magic": (b"\x01" + good[1:], "not an IDX file"),
        "bad_type_code": (good[:2] + b"\x0a" + good[3:], "not an IDX file"),
    }


@pytest.mark.parametrize("name", sorted(corrupt_variants()))
@pytest.mark.parametrize("suffix", ["", ".gz"])
def test_read_idx_rejects_corrupt_files_naming_them(tmp_path, name, suffix):
    raw, message = corrupt_variants()[name]
    path = tmp_path / f"{name}{suffix}"
    path.write_bytes(gzip.compress(raw) if suffix else raw)
    with pytest.raises(ValueError, match=message) as info:
        read_idx(path)
    assert str(path) in str(info.value)


@pytest.mark.parametrize("raw", [b"not gzip at all", gzip.compress(b"\0" * 100)[:-6]])
def test_read_idx_rejects_bad_gzip_naming_the_file(tmp_path, raw):
    path = tmp_path / "train-images-idx3-ubyte.gz"
    path.write_bytes(raw)
    with pytest.raises(ValueError, match="not a valid gzip file") as info:
        read_idx(path)
    assert str(path) in str(info.value)


# -- MNIST, FashionMNIST -----------------------------------------------------------------------
@pytest.mark.parametrize("cls", [MNIST, FashionMNIST])
@pytest.mark.parametrize("where, gz", [("root", False), ("raw", True), ("raw", False)])
def test_mnist_reads_idx_files(tmp_path, cls, where, gz):
    folder = tmp_path if where == "root" else tmp_path / cls.__name__ / "raw"
    arrays = write_mnist(folder, gz=gz)
    for train, split in ((True, "train"), (False, "t10k")):
        images, labels = arrays[split]
        ds = cls(root=tmp_path, train=train)
        assert len(ds) == len(images)
        np.testing.assert_array_equal(ds.data, images)
        np.testing.assert_array_equal(ds.targets, labels)
        assert ds.targets.dtype == np.int64
        x, y = ds[1]
        assert x.shape == (1, 28, 28) == cls.input_shape and x.dtype == np.float32
        np.testing.assert_array_equal(x[0], images[1] / np.float32(255))
        assert type(y) is int and y == labels[1]
    assert len(cls.classes) == cls.num_classes == 10


def test_mnist_transforms_and_fast_path(tmp_path):
    write_mnist(tmp_path, n_train=10)
    ds = MNIST(root=tmp_path)
    assert_fast_path_equals_slow_path(ds)
    x, y = MNIST(root=tmp_path, transform=Lambda(lambda x: x * 2),
                 target_transform=Lambda(lambda y: -y))[3]
    np.testing.assert_array_equal(x, ds[3][0] * 2)
    assert y == -ds[3][1]
    assert ds.get_batch(np.arange(3)) is not None
    assert MNIST(root=tmp_path, transform=Lambda(lambda x: x)).get_batch(np.arange(3)) is None


@pytest.mark.parametrize("cls", [MNIST, FashionMNIST])
def test_mnist_missing_file_says_where_to_put_it(tmp_path, cls):
    with pytest.raises(FileNotFoundError) as info:
        cls(root=tmp_path)
    message = str(info.value)
    assert "train-images-idx3-ubyte" in message and ".gz" in message
    assert str(tmp_path) in message and str(tmp_path / cls.__name__ / "raw") in message
    assert "never downloads" in message
    arrays_folder = tmp_path / "only_train"
    write_mnist(arrays_folder)
    (arrays_folder / "t10k-labels-idx1-ubyte").unlink()
    with pytest.raises(FileNotFoundError, match="t10k-labels-idx1-ubyte"):
        cls(root=arrays_folder, train=False)


def test_mnist_truncated_file_names_it(tmp_path):
    write_mnist(tmp_path)
    path = tmp_path / "train-images-idx3-ubyte"
    path.write_bytes(path.read_bytes()[:-100])
    with pytest.raises(ValueError, match="truncated") as info:
        MNIST(root=tmp_path)
    assert str(path) in str(info.value)


@pytest.mark.parametrize("images, labels, message", [
    (np.zeros((3, 27, 28), np.uint8), np.zeros(3, np.uint8), r"uint8 images \(N, 28, 28\)"),
    (np.zeros((3, 28, 28), np.float32), np.zeros(3, np.uint8), r"uint8 images"),
    (np.zeros((3, 28, 28), np.uint8), np.zeros(4, np.uint8), "should hold 3 uint8 labels"),
    (np.zeros((3, 28, 28), np.uint8), np.array([0, 10, 1], np.uint8), "label 10"),
])
def test_mnist_rejects_wrong_contents(tmp_path, images, labels, message):
    write_idx(tmp_path / "train-images-idx3-ubyte", images)
    write_idx(tmp_path / "train-labels-idx1-ubyte", labels)
    with pytest.raises(ValueError, match=f"MNIST: .*{message}"):
        MNIST(root=tmp_path)


# -- CIFAR10 -----------------------------------------------------------------------------------
def cifar_batch(n, seed, label_key="labels"):
    rng = np.random.default_rng(seed)
    return {
        "batch_label": f"batch {seed}",
        label_key: rng.integers(0, 10, n).tolist(),
        "data": rng.integers(0, 256, (n, 3072), dtype=np.uint8),
        "filenames": [f"image_{seed}_{k}.png" for k in range(n)],
    }


def write_cifar(folder, protocol=2, n=2):
    """All six batches (n images each) in ``folder``; returns the contents by name."""
    folder.mkdir(parents=True, exist_ok=True)
    names = [f"data_batch_{k}" for k in range(1, 6)] + ["test_batch"]
    contents = {name: cifar_batch(n, seed) for seed, name in enumerate(names)}
    for name, content in contents.items():
        (folder / name).write_bytes(pickle.dumps(content, protocol=protocol))
    return contents


@pytest.mark.parametrize("protocol", [2, 3, 4, 5])
def test_cifar10_reads_pickle_batches(tmp_path, protocol):
    contents = write_cifar(tmp_path / "cifar-10-batches-py", protocol)
    train, test = CIFAR10(root=tmp_path), CIFAR10(root=tmp_path, train=False)
    assert len(train) == 10 and len(test) == 2
    rows = np.concatenate([contents[f"data_batch_{k}"]["data"] for k in range(1, 6)])
    labels = sum((contents[f"data_batch_{k}"]["labels"] for k in range(1, 6)), [])
    assert train.data.shape == (10, 32, 32, 3) and train.data.dtype == np.uint8
    # a row holds the red, green and blue 32x32 planes; .data keeps channels last
    np.testing.assert_array_equal(train.data[4, :, :, 1], rows[4, 1024:2048].reshape(32, 32))
    np.testing.assert_array_equal(train.targets, labels)
    x, y = train[7]
    assert x.shape == (3, 32, 32) == CIFAR10.input_shape and x.dtype == np.float32
    np.testing.assert_array_equal(x, rows[7].reshape(3, 32, 32) / np.float32(255))
    assert type(y) is int and y == labels[7]
    np.testing.assert_array_equal(test.targets, contents["test_batch"]["labels"])
    assert_fast_path_equals_slow_path(train)


def test_cifar10_root_may_be_the_batches_folder_and_keys_may_be_bytes(tmp_path):
    contents = write_cifar(tmp_path, protocol=4)
    content = {key.encode(): value for key, value in contents["test_batch"].items()}
    (tmp_path / "test_batch").write_bytes(pickle.dumps(content, protocol=4))
    test = CIFAR10(root=tmp_path, train=False)
    np.testing.assert_array_equal(test.targets, contents["test_batch"]["labels"])


class Evil:
    """Unpickling this calls ``function(*args)``, the classic pickle exploit."""

    def __init__(self, function, *args):
        self.function, self.args = function, args

    def __reduce__(self):
        return self.function, self.args


@pytest.mark.parametrize("make_payload, refused", [
    (lambda marker: Evil(os.system, f"touch {marker}"), "system"),
    (lambda marker: Evil(exec, f"open({str(marker)!r}, 'w').close()"), r"builtin\w*\.exec"),
    (lambda marker: Evil(np.save, str(marker), np.zeros(1)), "numpy.save"),
])
@pytest.mark.parametrize("protocol", [2, 4])
def test_cifar10_refuses_foreign_globals_without_running_them(tmp_path, make_payload, refused,
                                                             protocol):
    folder = tmp_path / "cifar-10-batches-py"
    write_cifar(folder)
    marker = tmp_path / "pwned"
    content = cifar_batch(2, 0)
    content["batch_label"] = make_payload(marker)  # hidden inside an otherwise valid batch
    (folder / "test_batch").write_bytes(pickle.dumps(content, protocol=protocol))
    with pytest.raises(ValueError, match=f"refusing the global .*{refused}") as info:
        CIFAR10(root=tmp_path, train=False)
    assert str(folder / "test_batch") in str(info.value)
    assert not marker.exists() and not (tmp_path / "pwned.npy").exists()


@pytest.mark.parametrize("content, message", [
    ({**cifar_batch(3, 0), "data": np.zeros((3, 100), np.uint8)}, r"uint8 \(N, 3072\)"),
    ({**cifar_batch(3, 0), "data": np.zeros((3, 3072), np.float32)}, r"uint8 \(N, 3072\)"),
    ({**cifar_batch(3, 0), "labels": [1, 2]}, "3 images but 'labels'"),
    ({**cifar_batch(3, 0), "labels": [1, 2, 10]}, "outside 0..9"),
    ({**cifar_batch(3, 0), "labels": ["a", "b", "c"]}, "list of ints"),
    (cifar_batch(3, 0, label_key="fine_labels"), "'labels'"),
    ([1, 2, 3], "should hold a dict"),
])
def test_cifar10_rejects_wrong_contents(tmp_path, content, message):
    write_cifar(tmp_path)
    (tmp_path / "test_batch").write_bytes(pickle.dumps(content, protocol=4))
    with pytest.raises(ValueError, match=message):
        CIFAR10(root=tmp_path, train=False)


def test_cifar10_truncated_batch_names_it(tmp_path):
    write_cifar(tmp_path)
    path = tmp_path / "data_batch_3"
    path.write_bytes(path.read_bytes()[:500])
    with pytest.raises(ValueError, match="not a readable CIFAR-10 batch") as info:
        CIFAR10(root=tmp_path)
    assert str(path) in str(info.value)


def test_cifar10_missing_files_say_where_to_put_them(tmp_path):
    with pytest.raises(FileNotFoundError) as info:
        CIFAR10(root=tmp_path)
    message = str(info.value)
    assert "cifar-10-batches-py" in message and str(tmp_path) in message
    assert "cifar-10-python.tar.gz" in message and "never downloads" in message
    folder = tmp_path / "cifar-10-batches-py"
    write_cifar(folder)
    (folder / "data_batch_5").unlink()
    with pytest.raises(FileNotFoundError, match="data_batch_5"):
        CIFAR10(root=tmp_path)
    assert len(CIFAR10(root=tmp_path, train=False)) == 2  # the test split needs only test_batch


# -- Digits (scikit-learn) ---------------------------------------------------------------------
@pytest.fixture(scope="module")
def digits_root(tmp_path_factory):
    pytest.importorskip("sklearn")
    return tmp_path_factory.mktemp("digits")


def test_digits(digits_root):
    from sklearn.datasets import load_digits

    train, test = Digits(root=digits_root), Digits(root=digits_root, train=False)
    assert (len(train), len(test)) == (1437, 360)
    x, y = train[0]
    assert x.shape == (1, 8, 8) == Digits.input_shape and x.dtype == np.float32
    assert type(y) is int and 0 <= y < 10
    assert train.data.dtype == np.uint8 and train.data.max() == 16
    np.testing.assert_array_equal(x[0], train.data[0] / np.float32(16))
    # train and test together are exactly scikit-learn's 1,797 digits
    reference = load_digits()
    ours = np.concatenate([train.data, test.data]).reshape(-1, 64)
    both = np.concatenate([ours, np.concatenate([train.targets, test.targets])[:, None]], axis=1)
    expected = np.concatenate([reference.data, reference.target[:, None]], axis=1)
    np.testing.assert_array_equal(np.unique(both, axis=0), np.unique(expected, axis=0))
    assert len(np.unique(both, axis=0)) == len(np.unique(expected, axis=0))
    # stratified: every class gives a fifth of its samples to the test split, to within one
    totals, in_test = np.bincount(reference.target), np.bincount(test.targets, minlength=10)
    assert np.all(np.abs(in_test - totals / 5) <= 1)
    assert_fast_path_equals_slow_path(train)


def test_digits_split_and_cache_are_stable(digits_root, monkeypatch):
    first = Digits(root=digits_root, train=False)
    assert (digits_root / "Digits" / "digits.npz").is_file()
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)  # the cache needs no sklearn
    again = Digits(root=digits_root, train=False)
    np.testing.assert_array_equal(first.data, again.data)
    np.testing.assert_array_equal(first.targets, again.targets)


def test_digits_rebuilds_a_damaged_cache(tmp_path):
    pytest.importorskip("sklearn")
    cache = tmp_path / "Digits" / "digits.npz"
    cache.parent.mkdir()
    cache.write_bytes(b"garbage")
    assert len(Digits(root=tmp_path)) == 1437
    with np.load(cache, allow_pickle=False) as archive:
        assert archive["images"].shape == (1797, 8, 8)


@pytest.mark.parametrize("cls, module", [(Digits, "sklearn.datasets"), (MNIST1D, "mnist1d.data")])
def test_missing_package_names_the_data_extra(tmp_path, monkeypatch, cls, module):
    monkeypatch.setitem(sys.modules, module, None)
    with pytest.raises(ImportError, match=r'pip install "mytorch\[data\]"'):
        cls(root=tmp_path)


# -- MNIST-1D (the mnist1d package) ------------------------------------------------------------
@pytest.fixture(scope="session")
def mnist1d_root(tmp_path_factory):
    """Generates MNIST-1D once per test session (several seconds), checking on the way that
    the generation leaves NumPy's global random state as it found it."""
    pytest.importorskip("mnist1d")
    root = tmp_path_factory.mktemp("mnist1d")
    np.random.seed(123)
    expected_draw = np.random.random()
    np.random.seed(123)
    MNIST1D(root=root)
    assert np.random.random() == expected_draw
    return root


def test_mnist1d(mnist1d_root):
    train, test = MNIST1D(root=mnist1d_root), MNIST1D(root=mnist1d_root, train=False)
    assert (len(train), len(test)) == (4000, 1000)
    x, y = train[0]
    assert x.shape == (1, 40) == MNIST1D.input_shape and x.dtype == np.float32
    assert type(y) is int
    assert train.data.shape == (4000, 40) and train.data.dtype == np.float32
    # the package's defaults: 5,000 sequences, 500 of each digit, the first 4,000 for training
    totals = np.bincount(np.concatenate([train.targets, test.targets]), minlength=10)
    np.testing.assert_array_equal(totals, [500] * 10)
    # the first labels mnist1d 0.0.2 generates with its default seed, 42
    first = [2, 6, 4, 5, 6, 6, 6, 0, 3, 1, 6, 9, 4, 3, 4, 5, 1, 9, 0, 3]
    assert train.targets[:20].tolist() == first
    both = np.concatenate([train.data, test.data])
    assert abs(both.mean()) < 1e-3 and abs(both.std() - 1) < 1e-3  # mnist1d standardises
    assert_fast_path_equals_slow_path(train)


def test_mnist1d_cache_is_an_npz_without_pickles(mnist1d_root, monkeypatch):
    with np.load(mnist1d_root / "MNIST1D" / "mnist1d.npz", allow_pickle=False) as archive:
        assert sorted(archive.files) == ["x", "x_test", "y", "y_test"]
        cached = archive["x_test"]
    monkeypatch.setitem(sys.modules, "mnist1d.data", None)  # the cache needs no package
    np.testing.assert_array_equal(MNIST1D(root=mnist1d_root, train=False).data, cached)


# -- the registry ------------------------------------------------------------------------------
def test_registry():
    assert list(datasets.DATASETS) == ["digits", "mnist1d", "mnist", "fashion-mnist", "cifar10"]
    descriptions = datasets.available()
    assert list(descriptions) == list(datasets.DATASETS)
    for name, cls in datasets.DATASETS.items():
        assert descriptions[name] == cls.description and "\n" not in cls.description
        assert len(cls.classes) == cls.num_classes == 10
        assert all(isinstance(n, int) and n > 0 for n in cls.input_shape)
        assert datasets.get_dataset(name) is cls and datasets.get_dataset(cls.__name__) is cls
    assert datasets.get_dataset("Fashion_MNIST") is FashionMNIST
    with pytest.raises(ValueError, match="unknown dataset 'imagenet'.*digits, mnist1d"):
        datasets.get_dataset("imagenet")


def test_default_root_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("MYTORCH_DATA", str(tmp_path))
    assert datasets.default_root() == tmp_path
    with pytest.raises(FileNotFoundError, match=str(tmp_path)):
        MNIST()
    monkeypatch.delenv("MYTORCH_DATA")
    assert str(datasets.default_root()).endswith(os.path.join(".cache", "mytorch", "datasets"))
