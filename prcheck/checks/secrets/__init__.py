"""Plaintext-secret detection: gitleaks-format rule sets on RE2, Kubernetes-aware decoding.

- `gitleaks`: the TOML rule-set loader (the shipped default is gitleaks' own file);
- `matcher`: RE2 matching behind a keyword prefilter, linear in the input;
- `decode`: what Kubernetes decodes (Secret data, dockerconfigjson, embedded files);
- `words`: secret-like key names, placeholders and references (data in policies/data/secrets.yaml);
- `detector`: units of text → hits, one per secret under the most specific rule;
- `engine`: the check-stage engine and `.prcheck.yaml` `secrets:` settings;
- `masking`: `find_secret_spans(text)` for the shared output masker, `mask_values` for diffs;
- `catalog`: the rules as `prcheck rules` lists them.
"""

from prcheck.checks.secrets.catalog import RULES, gitleaks_rules
from prcheck.checks.secrets.engine import SecretsEngine, SecretsSettings, mask, settings_from_config
from prcheck.checks.secrets.gitleaks import RuleSetError
from prcheck.checks.secrets.masking import find_secret_spans, find_secret_spans_many, mask_text, mask_values

__all__ = ["RULES", "RuleSetError", "SecretsEngine", "SecretsSettings", "find_secret_spans", "find_secret_spans_many",
           "gitleaks_rules",
           "mask", "mask_text", "mask_values", "settings_from_config"]
