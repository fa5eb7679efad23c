"""The test harness itself: each of its checks fails on the mistake it is there to catch."""

import sys

import numpy as np
import pytest

import mytorch
from harness import OpSpec, check_against_torch, op_tests, shallow_stack

X = [np.linspace(-1.0, 1.0, 6).reshape(2, 3)]


def test_an_output_cut_from_the_graph_fails():
    spec = OpSpec("detached", lambda a: a.detach() * 2, lambda a: a * 2, [((2, 3),)])
    with pytest.raises(AssertionError, match="detached output 0: requires_grad False vs"):
        check_against_torch(spec, X)


def test_an_output_without_grad_fn_fails():
    def leaf_with_grad(a):
        return mytorch.tensor(a.numpy() * 2, requires_grad=True)  # requires grad, no grad_fn

    spec = OpSpec("leaf", leaf_with_grad, lambda a: a * 2, [((2, 3),)])
    with pytest.raises(AssertionError, match="leaf output 0: requires grad but has no grad_fn"):
        check_against_torch(spec, X)


def test_an_input_returned_as_is_is_in_the_graph():
    spec = OpSpec("flatten", lambda a: a.flatten(1, 1), lambda a: a.flatten(1, 1), [((2, 3),)])
    check_against_torch(spec, X)  # torch returns its input; mytorch a view: both in the graph
    spec = OpSpec("identity", lambda a: a, lambda a: a * 1, [((2, 3),)])
    check_against_torch(spec, X)


def test_torch_without_gradient_must_be_stated():
    argmax = OpSpec("argmax", lambda a: a.argmax(1), lambda a: a.argmax(1), [((2, 3),)])
    with pytest.raises(AssertionError, match="argmax: no torch output requires grad"):
        check_against_torch(argmax, X)
    argmax.torch_grad = False
    check_against_torch(argmax, X)
    double = OpSpec("double", lambda a: a * 2, lambda a: a * 2, [((2, 3),)], torch_grad=False)
    with pytest.raises(AssertionError, match="double: torch_grad=False, yet"):
        check_against_torch(double, X)


def test_op_tests_makes_one_case_per_grid_point_and_dtype():
    spec = OpSpec("neg", lambda a: -a, lambda a: -a, [((2,),), ((),)])
    matches, gradcheck = op_tests([spec], points=1)
    (match_mark,), (grad_mark,) = matches.pytestmark, gradcheck.pytestmark
    assert [p.id for p in match_mark.args[1]] == [
        "neg-2-float32", "neg-2-float64", "neg-scalar-float32", "neg-scalar-float64"]
    assert [p.id for p in grad_mark.args[1]] == ["neg-2"]
    assert op_tests([OpSpec("n", lambda a: -a, lambda a: -a, [((2,),)], gradcheck=False)])[
        1].pytestmark[0].args[1] == []


def test_shallow_stack_stops_recursion_and_restores_the_limit():
    def depth(n):
        return 0 if n == 0 else 1 + depth(n - 1)

    limit = sys.getrecursionlimit()
    with shallow_stack(200):
        assert depth(150) == 150
        with pytest.raises(RecursionError):
            depth(300)
    assert sys.getrecursionlimit() == limit
