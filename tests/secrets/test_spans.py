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


def _texts() -> list[str]:
    """Every rule's generated secrets and look-alikes in prose, `key = value` lines, URLs and
    messages as the pack writes them, with ordinary texts around them."""
    from prcheck.checks.secrets.gitleaks import load_default
    from tests.secrets.samples import negatives, positive

    texts = ["", "deployment web has no readiness probe", "Deployment/team-1/app-1", "apps/team-1/bundle-1.yaml",
             "pod mounts a service account token: set automountServiceAccountToken to false",
             "password = ${DB_PASSWORD}", "dsn=postgres://app:Zx8vQ2mN4pL7sT1w@db/app", "x" * 70_000 + TOKEN,
             f"db_password: hunter2hunter2\nnote: {TOKEN}", "PATH=/usr/bin", "\u0130\u017f" * 30 + " secret=abc123def"]
    for rule in load_default().rules:
        if rule.regex is None or rule.path is not None:
            continue
        sample = positive(rule, 1)
        if sample is None:
            continue
        for value in (sample, *negatives(rule, sample)[:2]):
            texts += [f"helm: error: bad value {value}", f"{rule.id.replace('-', '_')}={value}", value,
                      f"image ghcr.io/acme/{value}:1", "Deployment/team-2/app-2"]
    return texts


def test_spans_of_many_texts_equal_one_text_at_a_time():
    from prcheck.checks.secrets import find_secret_spans_many

    texts = _texts()
    assert find_secret_spans_many(texts) == [find_secret_spans(t) for t in texts]
    assert sum(map(bool, find_secret_spans_many(texts))) > 300


def test_names_are_read_only_in_texts_with_a_secret_word():
    """`key = value` lines are read only where a secret-like name could be: the pre-check must
    pass every name the name rules accept, and say no for ordinary prose."""
    from prcheck.checks.secrets.masking import _detector

    words = _detector().words
    for name in ("DB_PASSWORD", "dbPassword", "x-api-key", "PGPASSWORD", "githubToken", "client_secret", "SSH_KEY",
                 "slack_webhook_url", "DATABASE_CONNECTION_STRING", "my.Creds", "gh_pat", "ſecret".replace("ſ", "s")):
        assert words.secret_name(name) and words.may_name(f"set {name}=v"), name
    assert not words.may_name("deployment web has no readiness probe: add one")
    assert not words.may_name("")


def test_clean_texts_are_the_texts_masking_leaves_alone():
    from prcheck.model import Finding
    from prcheck.report.masking import clean_texts, mask_text as mask_report_text

    texts = _texts()
    findings = [Finding(rule="r", severity="error", message=m, resource=r, path=p)
                for m, r, p in zip(texts, texts[1:] + texts[:1], texts[2:] + texts[:2])]
    clean = clean_texts(findings + findings[:50])
    assert clean == {t for t in texts if mask_report_text(t) == t}
    assert TOKEN not in "".join(clean) and len(clean) > 100
