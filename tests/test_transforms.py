"""mytorch.transforms: one-sample image transforms on arrays and Tensors."""

import numpy as np
import pytest
import torch

import mytorch
from mytorch.transforms import (
    Compose,
    Lambda,
    Normalize,
    RandomCrop,
    RandomHorizontalFlip,
    ToTensor,
)


def image(shape=(3, 5, 6), dtype=np.float32, seed=0):
    return np.random.default_rng(seed).random(shape).astype(dtype)


# -- ToTensor ----------------------------------------------------------------------------------
def test_to_tensor_hwc_uint8_to_chw_float():
    hwc = np.random.default_rng(0).integers(0, 256, (4, 5, 3), dtype=np.uint8)
    out = ToTensor()(hwc)
    assert out.shape == (3, 4, 5) and out.dtype == np.float32
    expected = torch.from_numpy(hwc).permute(2, 0, 1).float().div(255).numpy()
    np.testing.assert_array_equal(out, expected)
    assert out.min() >= 0 and out.max() <= 1


def test_to_tensor_2d_gains_a_channel():
    gray = np.arange(12, dtype=np.uint8).reshape(3, 4)
    out = ToTensor()(gray)
    assert out.shape == (1, 3, 4) and out.dtype == np.float32
    np.testing.assert_array_equal(out[0], gray / np.float32(255))
    floats = ToTensor()(gray.astype(np.float64))
    assert floats.shape == (1, 3, 4) and floats.dtype == np.float64
    np.testing.assert_array_equal(floats[0], gray)  # float values are kept, not rescaled


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_to_tensor_keeps_float_chw(dtype):
    x = image(dtype=dtype)
    for given in (x, mytorch.tensor(x)):
        out = ToTensor()(given)
        assert out.dtype == dtype
        np.testing.assert_array_equal(out, x)


def test_to_tensor_errors():
    with pytest.raises(ValueError, match=r"ToTensor: .*\(5,\)"):
        ToTensor()(np.zeros(5, np.uint8))
    with pytest.raises(ValueError, match=r"ToTensor: .*\(2, 3, 4, 5\)"):
        ToTensor()(np.zeros((2, 3, 4, 5), np.uint8))


# -- Normalize ---------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_normalize_per_channel_matches_torch(dtype):
    x = image(dtype=dtype)
    mean, std = (0.1, 0.5, 0.9), (0.2, 0.3, 0.4)
    out = Normalize(mean, std)(mytorch.tensor(x))
    t = torch.from_numpy(x)
    expected = (t - torch.tensor(mean, dtype=t.dtype)[:, None, None]) \
        / torch.tensor(std, dtype=t.dtype)[:, None, None]
    assert out.dtype == dtype
    np.testing.assert_allclose(out, expected.numpy(), rtol=1e-6 if dtype == np.float32 else 1e-12)


def test_normalize_one_value_for_all_channels_and_inplace():
    x = image()
    expected = (x - 0.5) / 2
    np.testing.assert_allclose(Normalize([0.5], [2.0])(x), expected, rtol=1e-6)
    out = Normalize([0.5, 0.5, 0.5], [2.0, 2.0, 2.0], inplace=True)(x)
    assert out is x
    np.testing.assert_allclose(x, expected, rtol=1e-6)


def test_normalize_errors():
    with pytest.raises(ValueError, match=r"Normalize: mean has 2 values .*\(3, 5, 6\) has 3"):
        Normalize((0.1, 0.2), (1.0, 1.0))(image())
    with pytest.raises(ValueError, match=r"Normalize: std has 2 values"):
        Normalize((0.1,), (1.0, 1.0))(image())
    with pytest.raises(TypeError, match="Normalize: .*uint8"):
        Normalize((0.1,), (1.0,))(np.zeros((1, 2, 2), np.uint8))
    with pytest.raises(ValueError, match="Normalize: std .* zero"):
        Normalize((0.1, 0.2), (1.0, 0.0))
    with pytest.raises(ValueError, match=r"Normalize: .*\(4, 4\)"):
        Normalize((0.1,), (1.0,))(np.zeros((4, 4), np.float32))


# -- RandomCrop --------------------------------------------------------------------------------
def windows(array, size):
    """Every (h, w) window of ``array`` (..., H, W), by offset."""
    h, w = size
    return {(i, j): array[..., i:i + h, j:j + w]
            for i in range(array.shape[-2] - h + 1) for j in range(array.shape[-1] - w + 1)}


def offset_of(out, candidates):
    found = [k for k, window in candidates.items() if np.array_equal(window, out)]
    assert len(found) == 1, "the crop is not exactly one window of the padded image"
    return found[0]


@pytest.mark.parametrize("padding, widths", [
    (None, ((0, 0), (0, 0))),
    (2, ((2, 2), (2, 2))),
    ((1, 3), ((3, 3), (1, 1))),                # (left/right, top/bottom)
    ((1, 2, 3, 4), ((2, 4), (1, 3))),          # (left, top, right, bottom)
])
def test_random_crop_is_a_window_of_the_zero_padded_image(padding, widths):
    x = image((2, 5, 6)) + 1  # no zeros inside, so padding is recognisable
    padded = np.pad(x, ((0, 0),) + widths)
    candidates = windows(padded, (5, 6))  # crops of the image's own size, as CIFAR's 32 + 4
    crop = RandomCrop((5, 6), padding=padding)
    mytorch.manual_seed(0)
    seen = {offset_of(crop(x), candidates) for _ in range(400)}
    assert seen == set(candidates)  # every offset is reachable
    mytorch.manual_seed(1)
    a = crop(mytorch.tensor(x))
    mytorch.manual_seed(1)
    np.testing.assert_array_equal(crop(x), a)  # mytorch.manual_seed makes it repeatable
    assert a.dtype == np.float32 and a.flags.c_contiguous


@pytest.mark.parametrize("mode", ["edge", "reflect", "symmetric"])
def test_random_crop_padding_modes(mode):
    x = image((1, 4, 4))
    out = RandomCrop(8, padding=2, padding_mode=mode)(x)
    np.testing.assert_array_equal(out, np.pad(x, ((0, 0), (2, 2), (2, 2)), mode=mode))


def test_random_crop_fill_and_pad_if_needed():
    x = image((1, 2, 3)) + 1
    # a side shorter than the crop is padded on both ends by the shortfall, as torchvision
    candidates = windows(np.pad(x, ((0, 0), (2, 2), (2, 2)), constant_values=7), (4, 5))
    out = RandomCrop((4, 5), pad_if_needed=True, fill=7)(x)
    assert out.shape == (1, 4, 5)
    offset_of(out, candidates)


def test_random_crop_errors():
    with pytest.raises(ValueError, match=r"RandomCrop: required crop size \(6, 6\) .* \(5, 6\)"):
        RandomCrop(6)(image())
    with pytest.raises(ValueError, match="RandomCrop: padding"):
        RandomCrop(3, padding=(1, 2, 3))
    with pytest.raises(ValueError, match="RandomCrop: padding_mode"):
        RandomCrop(3, padding_mode="wrap")
    with pytest.raises(ValueError, match="RandomCrop: size"):
        RandomCrop((1, 2, 3))
    with pytest.raises(ValueError, match=r"RandomCrop: .*\(4,\)"):
        RandomCrop(2)(np.zeros(4))


# -- RandomHorizontalFlip, Compose, Lambda -----------------------------------------------------
def test_random_horizontal_flip():
    x = image()
    np.testing.assert_array_equal(RandomHorizontalFlip(1.0)(x), x[..., ::-1])
    np.testing.assert_array_equal(RandomHorizontalFlip(0.0)(mytorch.tensor(x)), x)
    mytorch.manual_seed(0)
    flips = sum(np.array_equal(RandomHorizontalFlip()(x), x[..., ::-1]) for _ in range(2000))
    assert 900 < flips < 1100
    mytorch.manual_seed(5)
    first = [RandomHorizontalFlip()(x)[0, 0, 0] for _ in range(20)]
    mytorch.manual_seed(5)
    assert [RandomHorizontalFlip()(x)[0, 0, 0] for _ in range(20)] == first
    with pytest.raises(ValueError, match="RandomHorizontalFlip: p"):
        RandomHorizontalFlip(1.5)


def test_compose_and_lambda():
    hwc = np.full((2, 2, 3), 255, np.uint8)
    pipeline = Compose([ToTensor(), Normalize((0.5,) * 3, (0.5,) * 3), Lambda(lambda x: x * 2)])
    out = pipeline(hwc)
    assert out.shape == (3, 2, 2) and out.dtype == np.float32
    np.testing.assert_array_equal(out, np.full((3, 2, 2), 2.0, np.float32))
    assert "ToTensor()" in repr(pipeline) and "Normalize" in repr(pipeline)
    with pytest.raises(TypeError, match="Lambda"):
        Lambda(3)
