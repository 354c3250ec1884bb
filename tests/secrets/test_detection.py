"""Secret rules: masking, entropy scoring, and that no secret value reaches any output."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from prcheck.checks.secrets import SecretsEngine, SecretsSettings, mask
from prcheck.checks.secrets.matcher import shannon_entropy
from prcheck.report import available
from prcheck.sources.yaml_loader import load_text
from tests.conftest import write

# Fake credentials in real formats; each must never appear in any output.
GITHUB_TOKEN = "ghp_OhbVrpoiVgRV5IfLBcbfnoGMbJmTPSIAoCLr"
AWS_KEY_ID = "AKIAWQC3PHYFQSXMECOS"
DB_PASSWORD = "hunter2hunter2"
HELM_PASSWORD = "Bictx57Y3c5wnRpQgwXJ43AN"
SECRET_B64 = "c3VwZXItc2VjcmV0LXBhc3N3b3Jk"
SECRETS = (GITHUB_TOKEN, AWS_KEY_ID, DB_PASSWORD, HELM_PASSWORD, SECRET_B64)


@pytest.fixture(scope="module")
def scanner() -> SecretsEngine:
    return SecretsEngine.from_settings(SecretsSettings())


def test_mask_shows_at_most_four_characters_each_side():
    assert mask("AKIAABCDEFGHIJKLXYZ1") == "AKIA…XYZ1 (20 chars)"
    assert mask("hunter2hunter2") == "hu…r2 (14 chars)"
    assert mask("hunter2") == "… (7 chars)"
    assert mask("-----BEGIN RSA PRIVATE KEY-----\nabc\n-----END RSA PRIVATE KEY-----") == "----…---- (65 chars)"


def test_entropy_of_random_and_readable_strings():
    assert shannon_entropy("") == 0
    assert shannon_entropy("aaaa") == 0
    assert shannon_entropy("c8Fj3kLm9Qr2Tv5Wx7Za0Bd4") > 4.5
    assert shannon_entropy("my-super-secret-password") < 3.8


@pytest.mark.parametrize("key, value", [
    ("password", "Bictx57Y3c5wnRpQgwXJ43AN"),
    ("client_secret", "qW9#xT2$vB7&nM4!kL8@pZ3%"),
    ("replicationPassword", "4755d05ad7853c1f76eb97706ca828bca0385813"),
    ("apiKey", "Zx8vQ2mN4pL7sT1w"),
])
def test_high_entropy_true_positives(scanner: SecretsEngine, key: str, value: str):
    doc = load_text(yaml.safe_dump({"auth": {key: value}}), "values.yaml", "helm-values").docs[0]
    assert [f.rule for f in scanner.scan(doc)] == ["secrets/high-entropy"]


@pytest.mark.parametrize("key, value", [
    ("checksum/secret", "3b5d5c3712955042212316173ccf37be800df3e4a4e8b4b4e8f0d0b0e0d0c0b0"),  # hash annotation
    ("tokenDigest", "sha256:9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b"),  # digest
    ("apiToken", "123e4567-e89b-12d3-a456-426614174000"),  # UUID
    ("sharedSecret", "c2VjcmV0IGNvbmZpZyB2YWx1ZSBmb3IgdGhlIGFwcA=="),  # base64 of readable text
    ("uses", "actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683"),  # SHA pin
    ("image", "nginx@sha256:0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9"),
    ("password", "correct-horse-battery-staple"),  # readable, low entropy
    ("passwordFile", "/run/secrets/Zx8vQ2mN4pL7sT1wY9bK3cR6"),  # a path
    ("tokenUrl", "https://login.example.com/oauth2/v2.0/token"),
    ("secretName", "app-credentials-7f9c2b"),
    ("apiKey", "${API_KEY}"),
    ("password", "Short1x"),
])
def test_high_entropy_false_positives(scanner: SecretsEngine, key: str, value: str):
    doc = load_text(yaml.safe_dump({"auth": {key: value}}), "values.yaml", "helm-values").docs[0]
    assert scanner.scan(doc) == []


def test_sealed_and_sops_documents_are_skipped(scanner: SecretsEngine):
    sealed = {"apiVersion": "bitnami.com/v1alpha1", "kind": "SealedSecret", "spec": {"encryptedData": {"password": "AgBy3i4OJSWK+PiTySYZZA9rO43cGDEq0vQWmnHRdVe8"}}}
    sops = {"password": "ENC[AES256_GCM,data:x]", "token": GITHUB_TOKEN, "sops": {"mac": "ENC[x]"}}
    for obj in (sealed, sops):
        assert scanner.scan(load_text(yaml.safe_dump(obj), "x.yaml").docs[0]) == []


def test_token_inside_a_script_is_found_and_masked(scanner: SecretsEngine):
    doc = load_text(yaml.safe_dump({"script": [f"curl -H 'Authorization: token {GITHUB_TOKEN}' https://api.github.com"]}),
                    ".gitlab-ci.yml", "gitlab-ci").docs[0]
    [hit] = scanner.scan(doc)
    assert hit.rule == "secrets/github-pat" and GITHUB_TOKEN not in hit.message
    assert "ghp_…oCLr (40 chars)" in hit.message


def _secret_repo(repo: Path) -> None:
    write(repo, {
        "apps/secret.yaml": f"""
            apiVersion: v1
            kind: Secret
            metadata: {{name: db, namespace: shop}}
            data:
              password: {SECRET_B64}
        """,
        "apps/deploy.yaml": f"""
            apiVersion: v1
            kind: Pod
            metadata: {{name: api, namespace: shop}}
            spec:
              containers:
                - name: api
                  image: api:1.0
                  env:
                    - name: DB_PASSWORD
                      value: {DB_PASSWORD}
                    - name: AWS_ACCESS_KEY_ID
                      value: {AWS_KEY_ID}  # prcheck:ignore[secrets/aws-access-token] rotated last week
        """,
        "chart/values.yaml": f"auth:\n  password: {HELM_PASSWORD}\n",
        "chart/Chart.yaml": "apiVersion: v2\nname: chart\nversion: 1.0.0\n",
        ".github/workflows/ci.yml": f"""
            on: push
            permissions: {{contents: read}}
            env:
              GITHUB_TOKEN: {GITHUB_TOKEN}
            jobs: {{}}
        """,
    })


def test_no_secret_value_in_any_output_format(run_cli, repo: Path, tmp_path: Path):
    _secret_repo(repo)
    formats = available()
    assert {"text", "json", "sarif", "junit"} <= set(formats)
    outputs = []
    for fmt in formats:
        target = tmp_path / f"out.{fmt}"
        result = run_cli(["check", ".", "--format", fmt, "-o", str(target)], repo)
        assert result.exit_code == 1, result.output
        outputs.append((fmt, target.read_text(encoding="utf-8") + result.output))
    text = run_cli(["check", "."], repo).output
    rules = {"secrets/k8s-secret-in-git", "secrets/env-literal", "secrets/high-entropy", "secrets/github-pat"}
    assert all(rule in text for rule in rules), text
    assert "suppressed (inline" in text
    for fmt, body in outputs + [("text-tty", text)]:
        for secret in SECRETS:
            assert secret not in body, f"{secret[:4]}… leaked in {fmt}"


def test_remote_include_message_shows_no_credentials(evaluate):
    token, password = "glpat-Vb7Rk2Qx9Lm4Tz8Wn3Pd", "Gq5Xw8Rt2Ym6Lp9Zn4Kb7"
    findings = evaluate(f"""
        include:
          - remote: "https://oauth2:{token}@gitlab.example.com/g/p/-/raw/main/ci.yml"
          - remote: "https://gitlab.example.com/g/p/-/raw/main/more.yml?private_token={password}#frag"
          - "https://user:{password}@gitlab.example.com/g/p/-/raw/main/last.yml"
        build: {{script: [make]}}
    """, kind="gitlab-ci", path=".gitlab-ci.yml")
    shown = sorted(f.message.split(" can change")[0] for f in findings if f.rule == "gitlab/unpinned-include")
    assert shown == ["remote include https://gitlab.example.com/g/p/-/raw/main/ci.yml",
                     "remote include https://gitlab.example.com/g/p/-/raw/main/last.yml",
                     "remote include https://gitlab.example.com/g/p/-/raw/main/more.yml"]
    for finding in findings:
        assert token not in finding.message and password not in finding.message, finding.message


def test_one_finding_per_secret_under_the_most_specific_rule(scanner: SecretsEngine):
    """A GitHub token under a secret-like env name is seen by github-pat, env-literal and
    generic-api-key: one finding, the provider's."""
    text = f"on: push\npermissions: {{contents: read}}\nenv:\n  GITHUB_TOKEN: {GITHUB_TOKEN}\n  COPY: {GITHUB_TOKEN}\njobs: {{}}\n"
    doc = load_text(text, ".github/workflows/ci.yml", "github-workflow").docs[0]
    found = scanner.scan(doc)
    assert [(f.rule, f.line) for f in found] == [("secrets/github-pat", 4)]
    assert "ghp_…oCLr (40 chars)" in found[0].message
