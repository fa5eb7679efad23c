import os
import sys

sys.path.insert(0, os.path.dirname(__file__))  # tests/harness.py importable as `harness`

import pytest  # noqa: E402
from hypothesis import settings  # noqa: E402

import mytorch  # noqa: E402

settings.register_profile("ci", max_examples=25, deadline=None, derandomize=True)
settings.register_profile("dev", max_examples=25, deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "dev")


@pytest.fixture(autouse=True)
def _seed_the_global_generator() -> None:
    """Every test starts from manual_seed(0), whatever ran before it.

    Import seeds mytorch's generator from OS entropy (as PyTorch), so a test that
    draws from it (randn, layer init, dropout) would otherwise see new numbers on
    every run. Tests of the unseeded behaviour run fresh subprocesses (tests/test_random.py).
    """
    mytorch.manual_seed(0)
