"""Intra-op threads (mytorch.kernels.parallel): the thread-count setting, and the blocked
normalization and pooling kernels giving the same bits on any number of threads."""

import os
import subprocess
import sys

import numpy as np
import pytest

import mytorch
from mytorch.kernels import normalization, parallel, pool
from mytorch.kernels.windows import Windows


@pytest.fixture
def restore_threads():
    """Leave the process's thread count as the test found it."""
    before = mytorch.get_num_threads()
    yield
    mytorch.set_num_threads(before)


def test_set_num_threads_round_trips(restore_threads):
    mytorch.set_num_threads(3)
    assert mytorch.get_num_threads() == 3
    mytorch.set_num_threads(1)
    assert mytorch.get_num_threads() == 1


@pytest.mark.parametrize("bad", [0, -2, 1.5, True, "2", None])
def test_set_num_threads_rejects_what_is_not_a_positive_int(bad, restore_threads):
    before = mytorch.get_num_threads()
    with pytest.raises(ValueError, match=rf"set_num_threads: .*>= 1, got {bad!r}"):
        mytorch.set_num_threads(bad)
    assert mytorch.get_num_threads() == before


def _env(**extra):
    """This process's environment without OMP_NUM_THREADS, plus ``extra``."""
    return {**{k: v for k, v in os.environ.items() if k != "OMP_NUM_THREADS"}, **extra}


def _child(code, env):
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                          text=True, check=True).stdout.split()


def test_default_is_omp_num_threads_else_the_core_count():
    code = "import mytorch; print(mytorch.get_num_threads())"
    assert _child(code, _env(OMP_NUM_THREADS="3")) == ["3"]
    assert _child(code, _env()) == [str(os.cpu_count())]


def test_import_creates_no_threads():
    code = ("import threading, mytorch; from mytorch.kernels import parallel; "
            "print(threading.active_count(), parallel._pool is None)")
    assert _child(code, _env()) == ["1", "True"]


CASES = [  # (x shape, normalized axes, parameter broadcast shape): batch, layer, group norm
    ((6, 3, 5), (0, 2), (1, 3, 1)),
    ((6, 3, 5), (1, 2), (1, 3, 5)),
    ((5, 2, 3, 4), (2, 3), (1, 2, 3, 1)),
]


def _normalization_results(x, gy, w, axes, param_shape):
    y, xhat, mean, var, invstd = normalization.normalize(x, axes, 1e-5, w, w)
    grads = normalization.normalize_backward(gy, xhat, invstd, w, axes, param_shape, (True,) * 3)
    return (xhat, mean, var, invstd, y, *grads)


@pytest.mark.parametrize("shape, axes, param_shape", CASES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_normalization_is_the_same_bits_on_any_thread_count(shape, axes, param_shape, dtype,
                                                            monkeypatch, restore_threads):
    monkeypatch.setattr(normalization, "_BLOCK_BYTES", 1)  # a block per row of axis 0
    rng = np.random.default_rng(0)
    x, gy = (rng.standard_normal(shape).astype(dtype) for _ in range(2))
    w = rng.standard_normal(param_shape).astype(dtype)
    results = {}
    for n in (1, 2, 4):
        mytorch.set_num_threads(n)
        results[n] = _normalization_results(x, gy, w, axes, param_shape)
    for n in (2, 4):
        for sequential, threaded in zip(results[1], results[n], strict=True):
            np.testing.assert_array_equal(threaded, sequential)


def test_layer_norm_gradients_are_the_same_bits_on_two_threads(monkeypatch, restore_threads):
    monkeypatch.setattr(normalization, "_BLOCK_BYTES", 1)
    data = np.random.default_rng(1).standard_normal((4, 6, 8)).astype(np.float32)
    grads = {}
    for n in (1, 2):
        mytorch.set_num_threads(n)
        mytorch.manual_seed(0)
        layer = mytorch.nn.LayerNorm(8)
        x = mytorch.tensor(data, requires_grad=True)
        (layer(x) ** 2).sum().backward()
        grads[n] = (x.grad.numpy(), layer.weight.grad.numpy(), layer.bias.grad.numpy())
    for sequential, threaded in zip(grads[1], grads[2], strict=True):
        np.testing.assert_array_equal(threaded, sequential)


@pytest.mark.parametrize("kernel, stride, padding", [(2, 2, 0), (3, 2, 1)])
def test_pooling_is_the_same_bits_on_any_thread_count(kernel, stride, padding, monkeypatch,
                                                      restore_threads):
    monkeypatch.setattr(pool, "_BLOCK_BYTES", 3 * 9 * 9 * 4)  # 3 planes a block: 7 blocks
    win = Windows((9, 9), (kernel,) * 2, (stride,) * 2, padding, (1, 1))
    rng = np.random.default_rng(0)
    x = rng.integers(-3, 3, (4, 5, 9, 9)).astype(np.float32)  # ties for max pooling
    g = rng.standard_normal((4, 5, *win.out)).astype(np.float32)
    divisor = pool.avg_divisor(win).astype(np.float32)
    results = {}
    for n in (1, 2, 4):
        mytorch.set_num_threads(n)
        y, arg = pool.max_pool(x, win)
        results[n] = (pool.window_sum(x, win, None, divisor),
                      pool.window_scatter(g, win, None, divisor), y, arg,
                      pool.max_pool(x, win, winners=False)[0], pool.window_scatter(g, win, arg))
    for n in (2, 4):
        for sequential, threaded in zip(results[1], results[n], strict=True):
            np.testing.assert_array_equal(threaded, sequential)


def test_one_thread_makes_no_pool(monkeypatch, restore_threads):
    monkeypatch.setattr(parallel, "_pool", None)
    monkeypatch.setattr(normalization, "_BLOCK_BYTES", 1)
    mytorch.set_num_threads(1)
    x = np.random.default_rng(0).standard_normal((6, 3, 5)).astype(np.float32)
    _normalization_results(x, x, None, (1, 2), (1, 3, 5))
    assert parallel._pool is None


def test_even_slices_cover_the_range_in_near_equal_consecutive_slices():
    assert parallel.even_slices(64, 58) == [slice(0, 32), slice(32, 64)]
    assert parallel.even_slices(32, 11) == [slice(0, 10), slice(10, 21), slice(21, 32)]
    assert parallel.even_slices(5, 5) == [slice(0, 5)]
    assert parallel.even_slices(0, 3) == []


def _job_threads(run_blocks):
    """A run that records, per block, the BLAS thread count it saw and its thread."""
    import threading

    get = parallel._openblas()[0]
    return [(get(), threading.current_thread().name) for _ in run_blocks]


@pytest.mark.skipif(parallel._openblas() is None, reason="NumPy's BLAS is not OpenBLAS")
def test_blas_jobs_run_with_one_blas_thread_and_the_count_is_restored(restore_threads):
    get, set_ = parallel._openblas()
    before = get()
    set_(2)
    try:
        mytorch.set_num_threads(2)
        seen = parallel.map_runs(_job_threads, list(range(4)), blas=True)
        assert [threads for threads, _ in seen] == [1, 1, 1, 1]
        assert all(name.startswith("mytorch-intra-op") for _, name in seen)
        assert get() == 2
        # jobs without BLAS calls leave it alone
        assert [t for t, _ in parallel.map_runs(_job_threads, list(range(4)))] == [2] * 4
    finally:
        set_(before)


def test_blas_jobs_without_a_known_blas_run_in_the_calling_thread(monkeypatch, restore_threads):
    import threading

    monkeypatch.setattr(parallel, "_blas", None)
    mytorch.set_num_threads(2)
    names = parallel.map_runs(lambda run: [threading.current_thread().name for _ in run],
                              list(range(4)), blas=True)
    assert names == [threading.current_thread().name] * 4


def test_max_parts_bounds_the_runs_at_once(restore_threads):
    mytorch.set_num_threads(4)
    sizes = parallel.map_runs(lambda run: [len(run)] * len(run), list(range(6)), max_parts=2)
    assert sizes == [3] * 6  # two runs of three blocks each


@pytest.mark.skipif(parallel._openblas() is None, reason="NumPy's BLAS is not OpenBLAS")
@pytest.mark.parametrize("kernel", ["forward", "input_grad", "weight_grad"])
def test_a_convolution_holds_blas_to_one_thread_for_its_whole_call(kernel, monkeypatch,
                                                                    restore_threads):
    # its products outside the chunks (Winograd's weight transform) must not wake OpenBLAS's
    # worker, which then spins on the core the next chunks need
    from mytorch.kernels import conv, winograd

    get, set_ = parallel._openblas()
    before = get()
    seen = []
    monkeypatch.setattr(winograd, kernel, lambda *args: seen.append(get()))
    x, W = np.zeros((1, 8, 16, 16), np.float32), np.zeros((8, 8, 3, 3), np.float32)
    gy = np.zeros((1, 8, 16, 16), np.float32)
    window = ((1, 1), ((1, 1), (1, 1)), (1, 1), 1)    # stride, padding, dilation, groups
    call = {"forward": lambda: conv.conv_forward(x, W, *window),
            "input_grad": lambda: conv.conv_input_grad(gy, W, (16, 16), *window),
            "weight_grad": lambda: conv.conv_weight_grad(x, gy, (3, 3), *window)}[kernel]
    set_(2)
    try:
        mytorch.set_num_threads(2)
        call()
        mytorch.set_num_threads(1)  # no pool: the kernel leaves BLAS its own threads
        call()
        assert seen == [1, 2] and get() == 2
    finally:
        set_(before)


@pytest.mark.skipif(parallel._openblas() is None, reason="NumPy's BLAS is not OpenBLAS")
def test_small_products_run_on_one_blas_thread_with_the_pool(monkeypatch, restore_threads):
    # a small product on two BLAS threads leaves OpenBLAS's worker spinning on the core the
    # pool's next jobs need; a large one keeps BLAS's threads, as does one thread of mytorch
    get, set_ = parallel._openblas()
    before, seen = get(), []
    monkeypatch.setattr(parallel.np, "matmul", lambda a, b: seen.append(get()) or a @ b)
    small, large = np.ones((128, 400), np.float32), np.ones((256, 1024), np.float32)
    set_(2)
    try:
        mytorch.set_num_threads(2)
        parallel.matmul(small, small.T)                # 128 * 400 * 128 multiply-adds
        parallel.matmul(large.T, large)                # 1024 * 256 * 1024: 2^28
        parallel.matmul(small[:8], small[:8].T)        # 8 * 400 * 8: on one thread anyway
        mytorch.set_num_threads(1)
        parallel.matmul(small, small.T)
        assert seen == [1, 2, 2, 2] and get() == 2
    finally:
        set_(before)
    x, W = mytorch.ones(2, 3, requires_grad=True), mytorch.ones(4, 3, requires_grad=True)
    seen.clear()
    mytorch.nn.functional.linear(x, W).sum().backward()   # the layer's three products
    (x @ W.T).sum().backward()                              # and matmul's
    assert len(seen) == 6
