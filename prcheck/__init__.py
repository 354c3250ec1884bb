"""prcheck: policy-as-code checks for GitOps pull requests."""

from prcheck.regex_seed import seed

__version__ = "0.1.0"

seed()  # before click, PyYAML and the stages compile their patterns
