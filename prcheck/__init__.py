"""prcheck: policy-as-code checks for GitOps pull requests."""

__version__ = "0.1.0"
