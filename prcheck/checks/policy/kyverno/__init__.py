"""Kyverno `ClusterPolicy` / `Policy` validate rules, evaluated offline in pure Python.

`KyvernoEngine.from_paths(paths)` loads and compiles policies; `evaluate(docs)`
turns rule results into findings. `testrunner.run_tests(dir, out)` runs
`kyverno-test.yaml` files like `kyverno test`.
"""

from .engine import KyvernoEngine, RuleResponse
from .testrunner import run_test_file, run_tests

__all__ = ["KyvernoEngine", "RuleResponse", "run_test_file", "run_tests"]
