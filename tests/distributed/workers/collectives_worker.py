"""Run under mpirun: every collective of mytorch.distributed against NumPy.

Each rank can rebuild every rank's input (``data(rank, ...)`` is seeded by the rank),
so each computes the expected result with NumPy and compares. A check prints
``PASS <name>`` on success; a failure raises, and ``python -m mpi4py`` aborts the run.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

import mytorch
import mytorch.distributed as dist
from mytorch.distributed import ReduceOp

DTYPES = ["float32", "float64", "int32", "int64", "uint8", "bool"]
SHAPES = [(), (7,), (3, 5)]
CHECKS: list[Callable[[], None]] = []


def check(function: Callable[[], None]) -> Callable[[], None]:
    CHECKS.append(function)
    return function


def data(rank: int, shape: tuple[int, ...], dtype: str, salt: int = 0) -> np.ndarray:
    """Rank ``rank``'s input: small values (products of a few stay exact in every dtype)."""
    rng = np.random.default_rng([rank, salt])
    if dtype == "bool":
        return rng.random(shape) < 0.5
    if dtype.startswith("float"):
        return rng.uniform(-2, 2, shape).astype(dtype)
    return rng.integers(1, 4, shape).astype(dtype)


def assert_equal(got: mytorch.Tensor | np.ndarray, expected: np.ndarray, what: str) -> None:
    got = np.asarray(got)
    assert got.dtype == expected.dtype, f"{what}: dtype {got.dtype} != {expected.dtype}"
    assert got.shape == expected.shape, f"{what}: shape {got.shape} != {expected.shape}"
    if expected.dtype.kind == "f":  # the association of a float sum is MPI's choice
        tol = 1e-6 if expected.dtype == np.float32 else 1e-13
        np.testing.assert_allclose(got, expected, rtol=tol, atol=tol, err_msg=what)
    else:
        np.testing.assert_array_equal(got, expected, err_msg=what)


def reduce_numpy(arrays: list[np.ndarray], op: ReduceOp) -> np.ndarray:
    stacked = np.stack(arrays)
    if stacked.dtype == bool:
        any_or_all = np.any if op in (ReduceOp.SUM, ReduceOp.MAX) else np.all
        return any_or_all(stacked, axis=0)
    result = {ReduceOp.SUM: np.sum, ReduceOp.AVG: np.mean, ReduceOp.PRODUCT: np.prod,
              ReduceOp.MIN: np.min, ReduceOp.MAX: np.max}[op](stacked, axis=0)
    return np.asarray(result, dtype=stacked.dtype)


def ops_for(dtype: str) -> list[ReduceOp]:
    return list(ReduceOp) if dtype.startswith("float") else [
        op for op in ReduceOp if op is not ReduceOp.AVG
    ]


@check
def all_reduce_every_op_dtype_and_shape() -> None:
    rank, size = dist.get_rank(), dist.get_world_size()
    for dtype in DTYPES:
        for shape in SHAPES:
            for op in ops_for(dtype):
                t = mytorch.tensor(data(rank, shape, dtype))
                assert dist.all_reduce(t, op=op) is None
                expected = reduce_numpy([data(r, shape, dtype) for r in range(size)], op)
                assert_equal(t, expected, f"all_reduce {op} {dtype} {shape}")


@check
def all_reduce_async_several_in_flight() -> None:
    rank, size = dist.get_rank(), dist.get_world_size()
    tensors = [mytorch.tensor(data(rank, (4, 3), "float64", salt)) for salt in range(4)]
    works = [dist.all_reduce(t, op=ReduceOp.AVG, async_op=True) for t in tensors]
    for work in reversed(works):  # waiting out of order is fine
        assert work is not None and work.wait() is True and work.is_completed()
    for salt, t in enumerate(tensors):
        expected = reduce_numpy([data(r, (4, 3), "float64", salt) for r in range(size)],
                                ReduceOp.AVG)
        assert_equal(t, expected, f"async all_reduce {salt}")


@check
def all_reduce_writes_a_non_contiguous_view_in_place() -> None:
    rank, size = dist.get_rank(), dist.get_world_size()
    base = mytorch.tensor(data(rank, (4, 6), "float32"))
    view = base[:, ::2].t()  # (3, 4), strided: goes through a contiguous copy
    assert not view.numpy().flags.c_contiguous
    dist.all_reduce(view)
    everyone = [data(r, (4, 6), "float32") for r in range(size)]
    expected_base = data(rank, (4, 6), "float32")
    expected_base[:, ::2] = np.sum(everyone, axis=0)[:, ::2]
    assert_equal(base, expected_base, "non-contiguous all_reduce")


@check
def a_contiguous_tensor_reaches_mpi_without_a_copy() -> None:
    contiguous, strided = mytorch.zeros(5), mytorch.zeros(5, 2)[:, 0]
    for t, copied in ((contiguous, False), (strided, True)):
        work = dist.all_reduce(t, async_op=True)
        assert work is not None
        buffer_given_to_mpi = work._buffers[0]
        assert (buffer_given_to_mpi is not t.numpy()) == copied
        work.wait()


@check
def broadcast_from_every_source() -> None:
    rank, size = dist.get_rank(), dist.get_world_size()
    for src in range(size):
        for dtype in DTYPES:
            t = mytorch.tensor(data(rank, (2, 3), dtype))
            work = dist.broadcast(t, src=src, async_op=dtype == "float64")
            if work is not None:
                work.wait()
            assert_equal(t, data(src, (2, 3), dtype), f"broadcast from {src} {dtype}")


@check
def all_gather_uneven_sizes() -> None:
    rank, size = dist.get_rank(), dist.get_world_size()
    for dtype in DTYPES:
        for async_op in (False, True):
            mine = mytorch.tensor(data(rank, (rank + 1, 2), dtype))
            out = [mytorch.zeros(r + 1, 2, dtype=np.dtype(dtype)) for r in range(size)]
            work = dist.all_gather(out, mine, async_op=async_op)
            if work is not None:
                work.wait()
            for r in range(size):
                assert_equal(out[r], data(r, (r + 1, 2), dtype), f"all_gather {dtype} [{r}]")


@check
def gather_to_every_destination() -> None:
    rank, size = dist.get_rank(), dist.get_world_size()
    for dst in range(size):
        mine = mytorch.tensor(data(rank, (2 * rank + 1,), "int64"))
        out = [mytorch.zeros(2 * r + 1, dtype=mytorch.int64) for r in range(size)]
        work = dist.gather(mine, out if rank == dst else None, dst=dst, async_op=True)
        assert work is not None
        work.wait()
        for r in range(size):
            expected = data(r, (2 * r + 1,), "int64") if rank == dst else np.zeros(2 * r + 1)
            assert_equal(out[r], expected.astype(np.int64), f"gather to {dst} [{r}]")


@check
def scatter_from_every_source() -> None:
    rank, size = dist.get_rank(), dist.get_world_size()
    for src in range(size):
        for dtype in ("float32", "int32"):
            pieces = [mytorch.tensor(data(src, (r + 2,), dtype, salt=r)) for r in range(size)]
            mine = mytorch.zeros(rank + 2, dtype=np.dtype(dtype))
            dist.scatter(mine, pieces if rank == src else None, src=src)
            assert_equal(mine, data(src, (rank + 2,), dtype, salt=rank), f"scatter {src}")


@check
def reduce_scatter_uneven_sizes_every_op() -> None:
    rank, size = dist.get_rank(), dist.get_world_size()
    for dtype in ("float32", "float64", "int64"):
        for op in ops_for(dtype):
            inputs = [mytorch.tensor(data(rank, (r + 1, 3), dtype, salt=r)) for r in range(size)]
            out = mytorch.zeros(rank + 1, 3, dtype=np.dtype(dtype))
            work = dist.reduce_scatter(out, inputs, op=op, async_op=True)
            assert work is not None
            work.wait()
            expected = reduce_numpy(
                [data(r, (rank + 1, 3), dtype, salt=rank) for r in range(size)], op
            )
            assert_equal(out, expected, f"reduce_scatter {op} {dtype}")


@check
def barrier_blocking_and_async() -> None:
    dist.barrier()
    work = dist.barrier(async_op=True)
    assert work is not None and work.wait()


def raises(error: type[Exception], text: str, call: Callable[[], object]) -> None:
    try:
        call()
    except error as err:
        assert text in str(err), f"message {str(err)!r} lacks {text!r}"
        return
    raise AssertionError(f"no {error.__name__} ({text!r})")


@check
def bad_arguments_raise_before_any_communication() -> None:
    size = dist.get_world_size()
    ints, floats = mytorch.zeros(3, dtype=mytorch.int64), mytorch.zeros(3)
    raises(TypeError, "all_reduce: ReduceOp.AVG needs a floating point tensor, got int64",
           lambda: dist.all_reduce(ints, op=ReduceOp.AVG))
    raises(TypeError, "all_reduce: op must be a ReduceOp", lambda: dist.all_reduce(floats, "sum"))
    raises(TypeError, "all_reduce: tensor must be a Tensor, got ndarray",
           lambda: dist.all_reduce(np.zeros(3)))  # type: ignore[arg-type]
    raises(ValueError, f"broadcast: src={size} is not a rank of the {size} processes",
           lambda: dist.broadcast(floats, src=size))
    raises(ValueError, f"all_gather: tensor_list must hold one tensor per process ({size}), "
           f"got {size + 1}", lambda: dist.all_gather([floats] * (size + 1), floats))
    raises(TypeError, "all_gather: tensor_list[0] has dtype int64, the tensor has dtype float32",
           lambda: dist.all_gather([ints] * size, floats))
    raises(ValueError, "has 2 elements, but this rank's tensor (3,) has 3",
           lambda: dist.all_gather([mytorch.zeros(2)] * size, floats))
    raises(ValueError, "all_reduce: tensor is read-only",
           lambda: dist.all_reduce(mytorch.zeros(1).expand(3)))
    raises(ValueError, "only the default group", lambda: dist.all_reduce(floats, group=1))
    raises(ValueError, "trying to initialize the default process group twice",
           dist.init_process_group)


@check
def destroy_then_initialize_again() -> None:
    dist.destroy_process_group()
    assert not dist.is_initialized()
    raises(ValueError, "Default process group has not been initialized", dist.get_rank)
    raises(ValueError, f"init_process_group: world_size={dist_size + 1}, but MPI gives "
           f"{dist_size}", lambda: dist.init_process_group("mpi", world_size=dist_size + 1))
    dist.init_process_group("mpi")
    assert dist.is_initialized() and dist.get_world_size() == dist_size


if __name__ == "__main__":
    dist.init_process_group("mpi")
    dist_size = dist.get_world_size()
    for function in CHECKS:
        function()
        dist.barrier()  # every rank has finished this check before any prints its result
        print(f"PASS {function.__name__}", flush=True)
    dist.destroy_process_group()
