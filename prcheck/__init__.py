"""prcheck: policy-as-code checks for GitOps pull requests."""

from prcheck.pyyaml_import import seed_reader_pattern

__version__ = "0.1.0"

seed_reader_pattern()  # before any module imports PyYAML
