"""Recall and false-positive rate of the secret detector, per rule family, on a labelled corpus
built here; and how long a 10 MB single-line value takes.

Prints figures, asserts nothing: `python benchmarks/secrets_bench.py [--seeds N]`.

The corpus is written for this benchmark, never copied from another project's tests:

1. *From the rules' own specifications.* For every rule of the shipped gitleaks rule set, a value is
   built from the rule's regex (tests/secrets/samples.py) and kept when that rule fires on it; its
   look-alikes (cut short, filler, a reference, low entropy, a `<placeholder>`) are kept when that
   rule does not match them. Each is placed as a ConfigMap value, where a pasted credential
   usually lands in a GitOps repository. A positive counts as found when any secret rule reports
   it; a negative counts as a false positive when any rule reports anything.
2. *Kubernetes-shaped cases*, written by hand below: Secret data, dockerconfigjson, embedded
   files, env and CI variables, Helm values, URL credentials as positives; placeholders,
   references, hashes, digests, UUIDs, checksum annotations, SHA pins and encrypted objects as
   negatives.

Families are the gitleaks id's first word (`aws`, `github`, `slack`, ...) for part 1 and the case
group for part 2.
"""

from __future__ import annotations

import argparse
import base64
import json
import statistics
import sys
import textwrap
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import yaml  # noqa: E402

from prcheck.checks.secrets import SecretsEngine, SecretsSettings, find_secret_spans  # noqa: E402
from prcheck.checks.secrets.gitleaks import load_default  # noqa: E402
from prcheck.model import Document  # noqa: E402
from prcheck.sources.yaml_loader import load_text  # noqa: E402
from tests.secrets.samples import negatives, positive  # noqa: E402


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


TOKEN = "ghp_" + "R7mK2pQ9xT4vB8nL3wZ6yH1cF5dJ0sA2gE9u"
AWS = "AKIA" + "WQC3PHYFQSXMECOS"
PW = "Zx8vQ2mN4pL7sT1wY9bK3cR6"

# (family, YAML text, file kind, secret expected)
CASES: list[tuple[str, str, str, bool]] = [
    ("k8s-secret", f"apiVersion: v1\nkind: Secret\nmetadata: {{name: a}}\ndata:\n  token: {b64(TOKEN)}\n", "kubernetes", True),
    ("k8s-secret", "apiVersion: v1\nkind: Secret\nmetadata: {name: a}\nstringData:\n  password: hunter2hunter2\n", "kubernetes", True),
    ("k8s-secret", f"apiVersion: v1\nkind: Secret\nmetadata: {{name: a}}\ndata:\n  key: {b64(AWS)}\n", "kubernetes", True),
    ("k8s-secret", "apiVersion: v1\nkind: Secret\nmetadata: {name: a}\ntype: kubernetes.io/service-account-token\n", "kubernetes", False),
    ("k8s-secret", "apiVersion: v1\nkind: Secret\nmetadata: {name: a}\nstringData:\n  password: ${DB_PASSWORD}\n", "kubernetes", False),
    ("dockerconfig", "apiVersion: v1\nkind: Secret\nmetadata: {name: p}\ntype: kubernetes.io/dockerconfigjson\ndata:\n"
     f"  .dockerconfigjson: {b64(json.dumps({'auths': {'ghcr.io': {'auth': b64('bot:' + TOKEN)}}}))}\n", "kubernetes", True),
    ("dockerconfig", "apiVersion: v1\nkind: Secret\nmetadata: {name: p}\ntype: kubernetes.io/dockercfg\ndata:\n"
     f"  .dockercfg: {b64(json.dumps({'registry.example.com': {'auth': b64('ci:' + PW)}}))}\n", "kubernetes", True),
    ("embedded", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata:\n  config.ini: |\n    [db]\n"
     "    password = hunter2hunter2\n", "kubernetes", True),
    ("embedded", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata:\n  app.properties: |\n"
     "    spring.datasource.password=s3cret-pw-42\n", "kubernetes", True),
    ("embedded", f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: c}}\ndata:\n  settings.json: "
     f"'{{\"auth\": {{\"clientSecret\": \"{PW}\"}}}}'\n", "kubernetes", True),
    ("embedded", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata:\n  app.env: |\n    LOG_LEVEL=info\n"
     "    PASSWORD=${PASSWORD}\n    API_KEY=INSERT_API_KEY_HERE\n", "kubernetes", False),
    ("embedded", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata:\n  nginx.conf: |\n"
     "    server { listen 80; server_name example.com; }\n", "kubernetes", False),
    ("env", "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: a\n    image: a:1\n"
     "    env:\n    - {name: DB_PASSWORD, value: hunter2hunter2}\n", "kubernetes", True),
    ("env", "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: a\n    image: a:1\n"
     "    env:\n    - {name: DB_PASSWORD, valueFrom: {secretKeyRef: {name: db, key: pw}}}\n"
     "    - {name: API_TOKEN, value: $(TOKEN)}\n    - {name: GOOGLE_API_KEY, value: GOOGLE_API_KEY_VAL}\n",
     "kubernetes", False),
    ("ci", "on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n    - uses: docker/login-action@v3\n      with:\n"
     "        password: tr0ub4dor-and-3\n", "github-workflow", True),
    ("ci", "on: push\nenv:\n  NPM_TOKEN: ${{ secrets.NPM_TOKEN }}\n  GH_AW_TOKEN_USAGE_SUMMARY_TITLE: Threat Detection "
     "Token Usage\njobs:\n  a:\n    runs-on: x\n    steps:\n    - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683\n",
     "github-workflow", False),
    ("ci", "variables:\n  DB_PASSWORD: hunter2hunter2\ntest:\n  script: [make]\n", "gitlab-ci", True),
    ("ci", "variables:\n  DB_PASSWORD: $CI_DB_PASSWORD\ntest:\n  script: [make]\n", "gitlab-ci", False),
    ("helm-values", f"postgresql:\n  auth:\n    password: {PW}\n", "helm-values", True),
    ("helm-values", "auth:\n  existingSecret: postgres-credentials\n  password: \"\"\npodAnnotations:\n"
     "  checksum/secret: 3b5d5c3712955042212316173ccf37be800df3e4a4e8b4b4e8f0d0b0e0d0c0b0\n", "helm-values", False),
    ("helm-values", "image:\n  digest: sha256:9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b\n"
     "webhook:\n  tokenId: 123e4567-e89b-12d3-a456-426614174000\n", "helm-values", False),
    ("url", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata:\n  DATABASE_URL: "
     "postgres://admin:S3cr3tP4ssw0rd@db:5432/app\n", "kubernetes", True),
    ("url", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata:\n  DATABASE_URL: "
     "postgres://admin:${DB_PASSWORD}@db:5432/app\n  docs: https://user:<password>@git.example.com/\n", "kubernetes", False),
    ("pem", "tls:\n  key: |\n    -----BEGIN RSA PRIVATE KEY-----\n    MIIBOgIBAAJBAKj34GkxFhD90vcNLYLInFEX6Ppy1tPf9Cnzj4p4WGe"
     "KLs1Pt8Qu\n    KUpRKfFLfRYC9AIKjbJTWit+CqvjWYzvQwECAwEAAQJAIJLixBy2qpFoS4DSmoEm\n    -----END RSA PRIVATE KEY-----\n",
     "helm-values", True),
    ("pem", "tls:\n  key: |\n    -----BEGIN RSA PRIVATE KEY-----\n    -----END RSA PRIVATE KEY-----\n  other: |\n"
     "    -----BEGIN PRIVATE KEY-----\n    REDACTED\n    -----END PRIVATE KEY-----\n", "helm-values", False),
    ("encrypted", "apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata: {name: s}\nspec:\n  encryptedData:\n"
     "    password: AgBy3i4OJSWK+PiTySYZZA9rO43cGDEq2a9xdn1nqN0xmH8P4P4K2t0jD8bLmqjsT8b\n", "kubernetes", False),
    ("encrypted", f"apiVersion: v1\nkind: Secret\nmetadata: {{name: s}}\nstringData:\n  password: ENC[AES256_GCM,data:{PW},"
     "type:str]\nsops:\n  mac: ENC[AES256_GCM,data:x]\n  version: 3.8.1\n", "kubernetes", False),
    ("encrypted", "apiVersion: external-secrets.io/v1\nkind: ExternalSecret\nmetadata: {name: s}\nspec:\n  data:\n"
     "  - {secretKey: password, remoteRef: {key: db/password}}\n", "kubernetes", False),
]


def configmap(value: str) -> str:
    return yaml.safe_dump({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "sample"},
                           "data": {"sample": value}}, width=10**6)


def fires(engine: SecretsEngine, text: str, kind: str = "kubernetes") -> bool:
    return any(engine.scan(d) for d in load_text(text, "sample.yaml", kind).docs if d.obj is not None)


def generated(engine: SecretsEngine, seeds: int) -> dict[str, list[int]]:
    """family → [positives, found, negatives, false positives]"""
    table: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for rule in load_default().rules:
        if rule.regex is None or rule.path is not None:
            continue  # rules on file names or on non-YAML files (.tf, .php, nuget.config)
        family = rule.id.split("-")[0]
        for seed in range(seeds):
            sample = positive(rule, seed)
            if sample is None:
                continue
            row = table[family]
            row[0] += 1
            row[1] += fires(engine, configmap(sample))
            for look_alike in negatives(rule, sample):
                row[2] += 1
                row[3] += fires(engine, configmap(look_alike))
    return table


def handwritten(engine: SecretsEngine) -> dict[str, list[int]]:
    table: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for family, text, kind, expected in CASES:
        row = table[family]
        hit = fires(engine, text, kind)
        if expected:
            row[0] += 1
            row[1] += hit
        else:
            row[2] += 1
            row[3] += hit
    return table


def show(title: str, table: dict[str, list[int]]) -> None:
    print(f"== {title} ==")
    print(f"{'family':<18} {'pos':>5} {'recall':>8} {'neg':>5} {'FP rate':>8}")
    totals = [0, 0, 0, 0]
    for family in sorted(table):
        pos, found, neg, fp = table[family]
        totals = [a + b for a, b in zip(totals, table[family])]
        recall = f"{found / pos:.1%}" if pos else "-"
        fp_rate = f"{fp / neg:.1%}" if neg else "-"
        print(f"{family:<18} {pos:>5} {recall:>8} {neg:>5} {fp_rate:>8}")
    pos, found, neg, fp = totals
    print(f"{'TOTAL':<18} {pos:>5} {found / max(pos, 1):>8.1%} {neg:>5} {fp / max(neg, 1):>8.1%}\n")


def timing(engine: SecretsEngine) -> None:
    size = 10_000_000
    values = {
        "10 MB base64-like line": ("QWxhZGRpbjpvcGVuIHNlc2FtZQ" * (size // 26 + 1))[:size],
        "10 MB of keywords": ("key=token secret: password=" * (size // 27 + 1))[:size],
        "10 MB of one char": "a" * size,
    }
    print("== speed (median of 3) ==")
    for name, value in values.items():
        doc = Document(path="big.yaml", index=0, line=1, obj={"apiVersion": "v1", "kind": "ConfigMap",
                                                               "metadata": {"name": "c"}, "data": {"payload": value}})
        runs = []
        for _ in range(3):
            start = time.perf_counter()
            engine.scan(doc)
            runs.append(time.perf_counter() - start)
        spans = []
        for _ in range(3):
            start = time.perf_counter()
            find_secret_spans(value)
            spans.append(time.perf_counter() - start)
        print(f"{name:<26} scan {statistics.median(runs):6.2f} s   find_secret_spans {statistics.median(spans):6.2f} s")
    small = textwrap.dedent("""
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: web, namespace: shop, labels: {app: web}}
        spec:
          template:
            spec:
              containers:
                - name: web
                  image: ghcr.io/acme/web:1.2.3
                  env: [{name: LOG_LEVEL, value: info}, {name: PORT, value: "8080"}]
    """)
    docs = [d for d in load_text(small, "d.yaml", "kubernetes").docs] * 2000
    start = time.perf_counter()
    for doc in docs:
        engine.scan(doc)
    elapsed = time.perf_counter() - start
    print(f"{'typical Deployment':<26} {len(docs) / elapsed:,.0f} documents/s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=3, help="samples per rule (default 3)")
    parser.add_argument("--no-timing", action="store_true")
    args = parser.parse_args()
    engine = SecretsEngine.from_settings(SecretsSettings())
    show(f"generated from the gitleaks rules' patterns ({args.seeds} samples per rule)", generated(engine, args.seeds))
    show("Kubernetes-shaped cases", handwritten(engine))
    if not args.no_timing:
        timing(engine)


if __name__ == "__main__":
    main()
