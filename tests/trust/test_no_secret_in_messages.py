"""No secret in any message, of any format: one masking function on every outgoing text.

Each case plants a canary (a random credential) where a message would quote
it, then asserts that no output of any format, no error line and no dry-run
request carries it (raw, base64 or hex).
"""

from __future__ import annotations

import base64
import json
import secrets
from pathlib import Path

import pytest

from prcheck.report.masking import mask_text
from tests.conftest import git, write

FORMATS = ("text", "json", "sarif", "junit", "codequality", "markdown")


def canary() -> str:
    return "Q" + secrets.token_urlsafe(24).replace("-", "x").replace("_", "y") + "7z"


def forms(value: str) -> list[str]:
    raw = value.encode()
    out = [value, raw.hex()]
    for shift in range(3):  # every base64 alignment of the value inside a longer string
        encoded = base64.b64encode(b"x" * shift + raw).decode()
        out.append(encoded[(shift * 4 + 2) // 3 + 2: -4])
    return [f for f in out if len(f) >= 12]


def all_outputs(run_cli, repo: Path, *args: str) -> str:
    out: list[str] = []
    for fmt in FORMATS:
        result = run_cli(["check", ".", "--format", fmt, *args], repo)
        assert result.exit_code in (0, 1, 2), result.output
        out.append(result.output)
    return "\n".join(out)


def assert_absent(value: str, text: str) -> None:
    for form in forms(value):
        assert form not in text, f"{form!r} leaked"


def numeric() -> str:
    return str(secrets.randbelow(10**15) + 10**14)


SCHEMA_CASES = {
    # (manifest template, how the canary is made)
    "numeric-password-in-configmap": ("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata:\n  DB_PASSWORD: {v}\n", numeric),
    "env-as-map": ("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  selector: {matchLabels: {a: b}}\n"
                   "  template:\n    metadata: {labels: {a: b}}\n    spec:\n      containers:\n      - name: c\n"
                   "        image: nginx:1\n        env: {DB_PASSWORD: \"{v}\"}\n", canary),
    "env-value-int": ("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: c\n    image: nginx:1\n"
                      "    env:\n    - name: DB_PASSWORD\n      value: {v}\n", numeric),
    "token-in-list": ("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata:\n  token: [\"{v}\"]\n", canary),
    "url-password-in-annotation-list": ("apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: i\n  annotations:\n"
                                        "    backend: [\"https://u:{v}@host.example/x\"]\nspec: {}\n", canary),
    "image-as-list": ("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: c\n    image: [\"{v}\"]\n", canary),
}


@pytest.mark.parametrize("name", sorted(SCHEMA_CASES))
def test_schema_messages_never_quote_values(repo: Path, run_cli, name: str) -> None:
    template, make = SCHEMA_CASES[name]
    value = make()
    write(repo, {"m.yaml": template.replace("{v}", value)})
    out = all_outputs(run_cli, repo)
    assert "schema/invalid" in out
    assert_absent(value, out)


def test_duplicate_and_unknown_keys_that_look_like_tokens(repo: Path, run_cli) -> None:
    token = "ghp_" + secrets.token_hex(18)
    write(repo, {"m.yaml": f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: c}}\ndata:\n  {token}: a\n  {token}: b\n",
                 "s.yaml": f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: d}}\n{token}: x\n"})
    out = all_outputs(run_cli, repo, "--strict")
    assert "yaml/duplicate-key" in out
    assert_absent(token, out)


def test_config_errors_never_quote_values(repo: Path, run_cli) -> None:
    value = canary()
    write(repo, {".prcheck.yaml": f"opa_url: ['https://user:{value}@opa.example.com']\nexclude: 3\n"})
    result = run_cli(["check", "."], repo)
    assert result.exit_code == 2
    assert "opa_url" in result.output and "exclude" in result.output
    assert_absent(value, result.output)


def test_dry_run_urls_hide_credentials(repo: Path, run_cli, monkeypatch, tmp_path: Path) -> None:
    token = canary()
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"number": 7, "pull_request": {"number": 7, "head": {"sha": "a" * 40},
                                                               "base": {"sha": "b" * 40}}}))
    for key, val in {"GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": "pull_request", "GITHUB_EVENT_PATH": str(event),
                     "GITHUB_REPOSITORY": "o/r", "GITHUB_SHA": "a" * 40, "GITHUB_TOKEN": "t",
                     "GITHUB_API_URL": f"https://x-access-token:{token}@api.github.example"}.items():
        monkeypatch.setenv(key, val)
    write(repo, {"m.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n"})
    git(repo, "add", "-A")
    result = run_cli(["check", ".", "--publish", "github", "--dry-run"], repo)
    assert "api.github.example" in result.output
    assert_absent(token, result.output)


def test_multi_line_values_in_diffs_are_masked(repo: Path) -> None:
    from prcheck.diff import DiffOptions, diff_env
    from prcheck.model import Document

    value = canary()
    before = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"},
              "data": {"config.ini": "[db]\nhost=db\npassword=old-value-1\n"}}
    after = {**before, "data": {"config.ini": f"[db]\nhost=db\npassword={value}\nuser=app\n"}}
    diff = diff_env("prod", [Document("a", 0, 1, before)], [Document("a", 0, 1, after)], DiffOptions())
    [change] = diff.changed
    assert "password=" in change.text and "host=db" in change.text
    assert_absent(value, change.text)


@pytest.mark.parametrize("text", [
    "Error: execution error at (app/templates/secret.yaml:3:4): bad password {v}",
    "accumulating resources from 'git@github.com:o/r?token={v}': refused",
    "error: unknown field \"{v}\" in ConfigMap",
    "secretGenerator: files: ['{v}=missing.txt']: no such file",
])
def test_tool_error_text_is_masked(text: str) -> None:
    value = canary()
    assert value not in mask_text(text.replace("{v}", value), loose=True)


@pytest.mark.parametrize("text", [
    "no base to compare with: pass --base REF or set the upstream branch",
    "the token --github-token was not given",
    "bypass the cache and compass readings",
])
def test_tool_prose_about_flags_and_words_is_left_alone(text: str) -> None:
    assert mask_text(text, loose=True) == text


def test_a_key_with_slashes_is_still_masked() -> None:
    key = "Zm9vYmFy/QmF6cXV4/dGVzdDEyMzQ1Njc4OQ"
    assert key not in mask_text(f"value {key} in ConfigMap/prod/app")


def test_prcheck_wording_is_left_alone() -> None:
    for text in ("data.DB_PASSWORD: expected null or string, got integer (value not shown)",
                 "container 'web' runs privileged: set securityContext.privileged to false",
                 "image nginx@sha256:" + "ab" * 32 + " is pinned",
                 "Deployment/prod/web-frontend-7f9c8d6b5", "Deployment/staging/v2-web",
                 "HorizontalPodAutoscaler/payments/api-v2x9"):
        assert mask_text(text) == text
