import os
import sys

sys.path.insert(0, os.path.dirname(__file__))  # tests/harness.py importable as `harness`

from hypothesis import settings  # noqa: E402

settings.register_profile("ci", max_examples=25, deadline=None, derandomize=True)
settings.register_profile("dev", max_examples=25, deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "dev")
