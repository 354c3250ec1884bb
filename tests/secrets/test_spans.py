"""`find_secret_spans(text)`: the secrets detector as the shared output masker calls it, on free text."""

from __future__ import annotations

from prcheck.checks.secrets import find_secret_spans, mask_text, mask_values

TOKEN = "ghp_OhbVrpoiVgRV5IfLBcbfnoGMbJmTPSIAoCLr"


def covered(text: str, secret: str) -> bool:
    start = text.index(secret)
    return any(s <= start and start + len(secret) <= e for s, e in find_secret_spans(text))


def test_spans_cover_tokens_url_passwords_and_assignments():
    text = (f"helm: error: token {TOKEN} rejected\n"
            "dsn=postgres://app:Zx8vQ2mN4pL7sT1w@db/app\n"
            "password = hunter2hunter2\n")
    assert covered(text, TOKEN)
    assert covered(text, "Zx8vQ2mN4pL7sT1w")
    assert covered(text, "hunter2hunter2")
    masked = mask_text(text, lambda s: "<masked>")
    assert TOKEN not in masked and "hunter2hunter2" not in masked and "Zx8vQ2mN4pL7sT1w" not in masked
    assert "helm: error: token <masked> rejected" in masked


def test_spans_leave_ordinary_text_and_placeholders_alone():
    for text in ("", "deployment web has no readiness probe", "image ghcr.io/acme/web@sha256:" + "a" * 64,
                 "password = ${DB_PASSWORD}", "token: <your-token>", "postgres://app:${PW}@db/app"):
        assert find_secret_spans(text) == [], text


def test_spans_are_sorted_disjoint_and_inside_the_text():
    text = f"{TOKEN} and again {TOKEN} url https://u:{TOKEN}@h/"
    spans = find_secret_spans(text)
    assert spans == sorted(spans)
    assert all(0 <= s < e <= len(text) for s, e in spans)
    assert all(a[1] < b[0] for a, b in zip(spans, spans[1:]))


def test_mask_values_hides_secrets_in_objects_for_the_diff():
    obj = {"kind": "ConfigMap", "data": {"DB_PASSWORD": "hunter2hunter2", "note": f"use {TOKEN}",
                                         "config.ini": "[db]\npassword = s3cret-pw-42\n", "LOG_LEVEL": "info"},
           "env": [{"name": "API_KEY", "value": "abc123def456"}]}
    masked = mask_values(obj, lambda s: "<m>")
    flat = repr(masked)
    for secret in ("hunter2hunter2", TOKEN, "s3cret-pw-42", "abc123def456"):
        assert secret not in flat, secret
    assert masked["data"]["LOG_LEVEL"] == "info"
