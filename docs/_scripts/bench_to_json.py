"""Turn the speed suite's printed tables into ``docs/data/benchmarks.json`` (chapter 13 reads it).

Run the suite twice, with the default threads and with one thread, saving what it prints:

    SUITE="from mytorch.bench import run_suite; print(run_suite(3))"
    PYTHONPATH=src python -c "$SUITE" > default.txt
    export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1
    PYTHONPATH=src python -c "$SUITE" > one.txt
    PYTHONPATH=src python docs/_scripts/bench_to_json.py default.txt one.txt \\
        --note "measured on ..." > docs/data/benchmarks.json

The file's format::

    {"note": str, "numpy": str, "torch": str, "gemm_gflops": float,
     "rows": [{"group": str, "case": str, "threads": "default" or "1", "mytorch_ms": float,
               "torch_ms": float, "ratio": float, "target": float or null}]}

Every number is copied from the tables; a line that does not parse is an error, not a gap.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

from mytorch.bench import CASES

HEAD = re.compile(r"numpy (?P<numpy>\S+), float32 GEMM (?P<gemm>[\d.]+) GFLOP/s; "
                  r"torch (?P<torch>\S+), ")
ROW = re.compile(r"(?P<case>.+?)\s+(?P<mine>[\d.]+)ms\s+(?P<theirs>[\d.]+)ms\s+"
                 r"(?P<ratio>[\d.]+)(?:\s+(?P<target>[\d.]+))?(?:\s+[\d.]+)?\s*$")


def parse(text: str, threads: str) -> tuple[dict[str, str], list[dict[str, object]]]:
    """The header's versions and GEMM rate, and one row per case, from one printed table."""
    lines = text.splitlines()
    head = HEAD.match(lines[0])
    if head is None:
        raise ValueError(f"not the suite's header: {lines[0]!r}")
    groups = {case.name: case.group for case in CASES}
    targets = {case.name: case.target for case in CASES}
    rows: list[dict[str, object]] = []
    for line in lines[1:]:
        name = line[:46].strip()
        if name not in groups:
            continue  # the blank line, the column titles, 'per op', the memory line
        found = ROW.match(line)
        if found is None:
            raise ValueError(f"cannot read the row {line!r}")
        rows.append({"group": groups[name], "case": name, "threads": threads,
                     "mytorch_ms": float(found["mine"]), "torch_ms": float(found["theirs"]),
                     "ratio": float(found["ratio"]), "target": targets[name]})
    return head.groupdict(), rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("default", help="the table printed with the default threads")
    parser.add_argument("one_thread", help="the table printed with one thread")
    parser.add_argument("--note", required=True, help="where and how it was measured")
    args = parser.parse_args()
    head, rows = parse(Path(args.default).read_text(), "default")
    _, one = parse(Path(args.one_thread).read_text(), "1")
    data = {"note": args.note, "numpy": head["numpy"], "torch": head["torch"],
            "gemm_gflops": float(head["gemm"]), "rows": rows + one}
    json.dump(data, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
