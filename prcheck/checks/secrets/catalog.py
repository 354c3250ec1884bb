"""The secret rules as `prcheck rules` and the docs list them.

prcheck's own four rules are documented here (with fixtures in
policies/secrets/testdata); the gitleaks rules come from the rule file, each
with the engine that runs its regex (`re2`, or `re` for a pattern RE2
rejects, `path` for a rule on file names only).
"""

from __future__ import annotations

from collections.abc import Sequence

from prcheck.checks.policy.builtin_catalog import RuleInfo
from prcheck.checks.secrets.detector import ENV_LITERAL, HIGH_ENTROPY, K8S_SECRET, PREFIX, URL_CREDENTIALS

SOURCE = "prcheck/checks/secrets/"

RULES: Sequence[RuleInfo] = (
    RuleInfo(
        K8S_SECRET, "Kubernetes Secret committed in plaintext", "error", "python",
        "A Secret's data is base64, not encryption: anyone who can read the repository (and its history, "
        "forever) can read the values. Also kustomize secretGenerator literals. SOPS-encrypted files, "
        "SealedSecrets, ExternalSecrets and generators that read files are the ways to keep secrets in GitOps. "
        "A value a more specific rule reports (a provider token in the Secret) is reported by that rule.",
        "Encrypt the file with SOPS, or replace the Secret with a SealedSecret or an ExternalSecret; rotate "
        "the exposed values.", SOURCE,
    ),
    RuleInfo(
        ENV_LITERAL, "Secret in a literal environment variable or config entry", "error", "python",
        "A variable named like a password, token or key (container env, GitHub Actions env and with:, GitLab "
        "variables, ConfigMap data, .env/INI/properties files embedded in values, secretGenerator literals) "
        "set to a literal value. References (${{ secrets.X }}, $(VAR), {{ .Values.x }}, ENC[...]) and "
        "placeholders (INSERT_*, *_VAL, REDACTED, <...>, changeme, xxxx, plain words) are not reported.",
        "Kubernetes: valueFrom.secretKeyRef; GitHub Actions: ${{ secrets.NAME }}; GitLab CI: a masked CI/CD "
        "variable in the project settings. Rotate the exposed value.", SOURCE,
    ),
    RuleInfo(
        HIGH_ENTROPY, "High-entropy value for a secret-like key", "warning", "python",
        "A key named like a secret (password, token, apiKey, client_secret, ...; not *_FILE, *_URL, *_NAME, "
        "existingSecret, checksum/...) holds a random-looking string: Shannon entropy above a length-dependent "
        "threshold. UUIDs, digests, hashes, URLs, paths, templates and base64 of readable text are not reported. "
        "Covers Helm values and any other YAML.",
        "Move the value to a secret store (Kubernetes Secret via SealedSecret/ExternalSecret/SOPS, or a CI "
        "secret) and rotate it.", SOURCE,
    ),
    RuleInfo(
        URL_CREDENTIALS, "Password in a URL", "error", "python",
        "A value anywhere holds scheme://user:password@host (database DSNs, Git remotes, proxy URLs). "
        "Placeholder and reference passwords (${DB_PASSWORD}, <password>, ***) are not reported.",
        "Keep the URL without credentials and pass them from a Secret or the CI secret store; rotate the "
        "password.", SOURCE,
    ),
)


def gitleaks_rules() -> list[RuleInfo]:
    """One entry per rule of the shipped gitleaks rule set."""
    from prcheck.checks.secrets.engine import _default_matcher
    from prcheck.checks.secrets.gitleaks import load_default

    ruleset = load_default()
    engines = _default_matcher().engines()
    return [RuleInfo(PREFIX + rule.id, rule.description.split(",")[0][:100] or rule.id, "error", engines[rule.id],
                     rule.description, "Revoke the credential, issue a new one and load it from a secret store.",
                     f"policies/data/gitleaks/gitleaks.toml ({ruleset.origin})")
            for rule in ruleset.rules]
