import re
import shutil
import stat
import sys

import pytest

import mytorch
from harness import shallow_stack
from mytorch import Scalar, viz

NODE = re.compile(r"^\s*(\w+) \[label=\"((?:[^\"\\]|\\.)*)\"")
EDGE = re.compile(r"^\s*(\w+) -> (\w+)$")


def parse(dot):
    """(labels by node name, list of edges) of the DOT text, checking its overall form."""
    lines = dot.strip().splitlines()
    assert lines[0] == "digraph mytorch {" and lines[-1] == "}"
    labels, edges = {}, []
    for line in lines[1:-1]:
        if node := NODE.match(line):
            labels[node[1]] = node[2].replace("\\n", "\n")
        elif edge := EDGE.match(line):
            edges.append((edge[1], edge[2]))
        else:
            assert line.strip() == "rankdir=LR", line
    for a, b in edges:  # every edge joins declared nodes
        assert a in labels and b in labels
    return labels, edges


def by_label(labels, text):
    (name,) = [n for n, label in labels.items() if label.startswith(text)]
    return name


def test_tensor_graph_has_ops_leaves_and_shapes():
    x = mytorch.ones(2, 3, requires_grad=True)
    w = mytorch.ones(3, requires_grad=True)
    loss = (x * w).exp().sum()
    labels, edges = parse(viz.to_dot(loss))
    assert len(labels) == 6  # the loss, Sum, Exp, Mul and two leaves
    root, total = by_label(labels, "tensor"), by_label(labels, "SumBackward0")
    exp, mul = by_label(labels, "ExpBackward0"), by_label(labels, "MulBackward0")
    leaves = [n for n, label in labels.items() if label.startswith("AccumulateGrad")]
    assert labels[root] == "tensor\n()"
    assert labels[exp] == "ExpBackward0\n(2, 3)"
    assert sorted(labels[n] for n in leaves) == ["AccumulateGrad\n(2, 3)", "AccumulateGrad\n(3,)"]
    assert sorted(edges) == sorted([(total, root), (exp, total), (mul, exp),
                                    (leaves[0], mul), (leaves[1], mul)])


def test_show_shapes_false_leaves_out_shapes():
    x = mytorch.ones(2, 3, requires_grad=True)
    dot = viz.to_dot((x * 2).sum(), show_shapes=False)
    labels, _ = parse(dot)
    assert sorted(labels.values()) == ["AccumulateGrad", "MulBackward0", "SumBackward0", "tensor"]
    assert "(2, 3)" not in dot


def test_tensor_used_twice_gives_two_edges():
    x = mytorch.ones(3, requires_grad=True)
    labels, edges = parse(viz.to_dot(x * x))
    mul, leaf = by_label(labels, "MulBackward0"), by_label(labels, "AccumulateGrad")
    assert edges.count((leaf, mul)) == 2


def test_graph_of_a_leaf_and_of_a_constant():
    labels, edges = parse(viz.to_dot(mytorch.ones(4, requires_grad=True)))
    assert list(labels.values()) == ["leaf tensor\n(4,)"] and edges == []
    labels, edges = parse(viz.to_dot(mytorch.ones(2) * 3))
    assert list(labels.values()) == ["leaf tensor\n(2,)"] and edges == []


def test_long_tensor_chain_is_walked_without_recursion():
    x = mytorch.ones(1, requires_grad=True)
    y = x
    for _ in range(5_000):
        y = y * 1.0
    labels, edges = parse(viz.to_dot(y))
    assert len(labels) == 5_002 and len(edges) == 5_001


def test_scalar_graph_shows_values_grads_ops_and_labels():
    a, b = Scalar(2.0, label="a"), Scalar(-3.0, label="b")
    out = (a * b + 1).tanh()
    out.label = "out"
    out.backward()
    labels, edges = parse(viz.to_dot(out))
    assert labels[by_label(labels, "a\n")] == f"a\nvalue 2\ngrad {a.grad:.4g}"
    assert labels[by_label(labels, "out\n")] == f"out\nvalue {out.value:.4g}\ngrad 1"
    ops = sorted(label for name, label in labels.items() if name.endswith("_op"))
    assert ops == ["*", "+", "tanh"]
    assert len(labels) == 9 and len(edges) == 8  # 6 values, 3 ops; 3 outputs + 5 inputs
    a_node, mul = by_label(labels, "a\n"), by_label(labels, "*")
    assert (a_node, mul) in edges and (mul, mul[: -len("_op")]) in edges


def test_labels_are_escaped():
    s = Scalar(1.0, label='say "hi" \\ there')
    labels, _ = parse(viz.to_dot(s * 2))
    assert any(label.startswith('say \\"hi\\" \\\\ there') for label in labels.values())


def test_long_scalar_chain_is_walked_without_recursion():
    x = Scalar(1.0)
    y = x
    for _ in range(20_000):
        y = y + 1.0
    with shallow_stack(200):  # a walk that recursed per node would fail 100 times over
        assert viz.to_dot(y).count(" -> ") == 60_000  # each add: op -> value and two inputs


def test_to_dot_rejects_other_objects():
    with pytest.raises(TypeError, match="to_dot.*list"):
        viz.to_dot([1, 2])


def test_render_without_graphviz_says_how_to_install(monkeypatch, tmp_path):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(RuntimeError, match="Graphviz's `dot` program was not found") as info:
        viz.render(Scalar(1.0), tmp_path / "graph.svg")
    assert "apt-get install graphviz" in str(info.value)
    assert "brew install graphviz" in str(info.value)
    assert not (tmp_path / "graph.svg").exists()


def test_render_rejects_unknown_suffix(tmp_path):
    with pytest.raises(ValueError, match=r"render.*graph\.txt"):
        viz.render(Scalar(1.0), tmp_path / "graph.txt")


@pytest.fixture
def fake_dot(tmp_path, monkeypatch):
    """A stand-in `dot` that records its arguments and copies stdin to the -o file."""
    script = tmp_path / "dot"
    script.write_text(
        f"#!{sys.executable}\n"
        "import sys\n"
        "args = sys.argv[1:]\n"
        "if 'FAIL' in args[-1]:\n"
        "    sys.exit('syntax error in line 1')\n"
        "open(args[args.index('-o') + 1], 'w').write(' '.join(args) + '\\n' + sys.stdin.read())\n"
    )
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setattr(shutil, "which", lambda name: str(script) if name == "dot" else None)


@pytest.mark.parametrize("suffix", ["svg", "png", "PDF"])
def test_render_runs_dot_with_the_format_of_the_suffix(fake_dot, tmp_path, suffix):
    x = mytorch.ones(2, requires_grad=True)
    loss = (x * 3).sum()
    path = viz.render(loss, str(tmp_path / f"graph.{suffix}"))
    assert path == tmp_path / f"graph.{suffix}"
    args, dot = path.read_text().split("\n", 1)
    assert args.startswith(f"-T{suffix.lower()} -o ")
    assert dot == viz.to_dot(loss)


def test_render_reports_a_failing_dot(fake_dot, tmp_path):
    with pytest.raises(RuntimeError, match="render: `dot` failed.*syntax error"):
        viz.render(Scalar(1.0), tmp_path / "FAIL.svg")


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")
@pytest.mark.parametrize("suffix", ["svg", "png"])
def test_render_with_real_graphviz(tmp_path, suffix):
    x = mytorch.ones(2, 3, requires_grad=True)
    path = viz.render((x * x).sum(), tmp_path / f"graph.{suffix}")
    data = path.read_bytes()
    assert data.startswith(b"\x89PNG") if suffix == "png" else b"<svg" in data
