"""Kubernetes-aware scanning: what Kubernetes decodes is decoded before matching, and what is
encrypted or a reference is never flagged. Each decoding test fails without its decoding path."""

from __future__ import annotations

import base64
import json
import textwrap
from pathlib import Path

import pytest

from prcheck.checks.secrets import SecretsEngine, SecretsSettings
from prcheck.sources.yaml_loader import load_text
from tests.conftest import write

TOKEN = "ghp_OhbVrpoiVgRV5IfLBcbfnoGMbJmTPSIAoCLr"
PASSWORD = "Zx8vQ2mN4pL7sT1wY9bK3cR6"


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


@pytest.fixture(scope="module")
def engine() -> SecretsEngine:
    return SecretsEngine.from_settings(SecretsSettings())


def scan(engine: SecretsEngine, text: str, kind: str = "kubernetes", path: str = "x.yaml") -> list[tuple[str, int]]:
    docs = load_text(textwrap.dedent(text).lstrip("\n"), path, kind).docs
    return [(f.rule, f.line) for d in docs for f in engine.scan(d)]


def test_secret_data_is_base64_decoded(engine: SecretsEngine):
    found = scan(engine, f"""
        apiVersion: v1
        kind: Secret
        metadata: {{name: s}}
        data:
          token: {b64(TOKEN)}
    """)
    assert found == [("secrets/github-pat", 5)]


def test_dockerconfigjson_auth_is_decoded_to_user_and_password(engine: SecretsEngine):
    config = json.dumps({"auths": {"ghcr.io": {"auth": b64(f"bot:{TOKEN}")}}})
    found = scan(engine, f"""
        apiVersion: v1
        kind: Secret
        type: kubernetes.io/dockerconfigjson
        metadata: {{name: pull}}
        data:
          .dockerconfigjson: {b64(config)}
    """)
    assert found == [("secrets/github-pat", 6)]


def test_configmap_binary_data_is_decoded(engine: SecretsEngine):
    found = scan(engine, f"""
        apiVersion: v1
        kind: ConfigMap
        metadata: {{name: c}}
        binaryData:
          netrc: {b64("machine github.com login x password " + TOKEN)}
    """)
    assert found == [("secrets/github-pat", 5)]


def test_embedded_ini_env_and_properties_files_are_parsed(engine: SecretsEngine):
    found = scan(engine, """
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: c}
        data:
          config.ini: |
            [database]
            host = db
            password = hunter2hunter2
          app.env: |
            LOG_LEVEL=info
            export SMTP_PASSWORD="tr0ub4dor&3"
          application.properties: |
            spring.datasource.password=s3cret-pw-42
    """)
    assert sorted(found) == [("secrets/env-literal", 5), ("secrets/env-literal", 9), ("secrets/env-literal", 12)]


def test_embedded_json_is_parsed_with_its_keys(engine: SecretsEngine):
    found = scan(engine, f"""
        apiVersion: v1
        kind: ConfigMap
        metadata: {{name: c}}
        data:
          settings.json: '{{"oauth": {{"clientSecret": "{PASSWORD}"}}, "retries": 3}}'
    """)
    assert found == [("secrets/high-entropy", 5)]


def test_secret_generator_literals(engine: SecretsEngine):
    found = scan(engine, f"""
        secretGenerator:
          - name: db
            literals:
              - username=admin
              - token={TOKEN}
    """, kind="kustomization", path="kustomization.yaml")
    assert ("secrets/github-pat", 5) in found and ("secrets/k8s-secret-in-git", 4) in found


@pytest.mark.parametrize("text", [
    f"""
    apiVersion: bitnami.com/v1alpha1
    kind: SealedSecret
    metadata: {{name: s}}
    spec: {{encryptedData: {{token: AgBy3i4OJSWK+PiTySYZZA9rO43cGDEq2a9xdn1nqN0xmH8P4P4K2t0jD8bLmqjsT8b}}}}
    """,
    """
    apiVersion: external-secrets.io/v1
    kind: ExternalSecret
    metadata: {name: s}
    spec:
      secretStoreRef: {name: vault, kind: ClusterSecretStore}
      data: [{secretKey: password, remoteRef: {key: db/password}}]
    """,
    f"""
    apiVersion: v1
    kind: Secret
    metadata: {{name: s}}
    stringData:
      password: ENC[AES256_GCM,data:{PASSWORD},iv:abc,tag:def,type:str]
    sops:
      mac: ENC[AES256_GCM,data:abc]
      version: 3.8.1
    """,
    """
    apiVersion: v1
    kind: Pod
    metadata: {name: p}
    spec:
      containers:
        - name: a
          image: a:1
          env:
            - {name: DB_PASSWORD, valueFrom: {secretKeyRef: {name: db, key: password}}}
            - {name: API_TOKEN, value: $(TOKEN_FROM_ENV)}
            - {name: CHART_SECRET, value: "{{ .Values.secret }}"}
          volumeMounts: [{name: creds, mountPath: /run/secrets/token}]
    """,
])
def test_encrypted_objects_and_references_are_never_flagged(engine: SecretsEngine, text: str):
    assert scan(engine, text) == []


def test_ci_env_and_with_values(engine: SecretsEngine):
    found = scan(engine, """
        on: push
        jobs:
          release:
            runs-on: ubuntu-latest
            steps:
              - uses: docker/login-action@v3
                with:
                  username: bot
                  password: tr0ub4dor-and-3
              - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683
              - run: make
                env:
                  TOKEN: ${{ secrets.TOKEN }}
    """, kind="github-workflow", path=".github/workflows/r.yml")
    assert found == [("secrets/env-literal", 9)]


@pytest.mark.slow
def test_rendered_helm_secret_is_reported_at_the_values_file_line(repo: Path, run_cli) -> None:
    from tests.render.conftest import commit

    write(repo, {
        "charts/db/Chart.yaml": "apiVersion: v2\nname: db\nversion: 1.0.0\n",
        "charts/db/values.yaml": "auth:\n  password: \"\"\n",
        "charts/db/values-prod.yaml": "replicas: 1\n",
        "charts/db/templates/secret.yaml": """
            apiVersion: v1
            kind: Secret
            metadata: {name: db}
            data:
              password: {{ .Values.auth.password | b64enc | quote }}
        """,
    })
    commit(repo, "base")
    (repo / "charts/db/values-prod.yaml").write_text(f"replicas: 1\nauth:\n  password: {TOKEN}\n")
    result = run_cli(["check", ".", "--base", "HEAD", "--format", "json"], repo)
    report = json.loads(result.output)
    found = [(f["rule"], f["path"], f["line"]) for f in report["findings"] if f["rule"].startswith("secrets/")]
    assert ("secrets/github-pat", "charts/db/values-prod.yaml", 3) in found, found
    assert TOKEN not in result.output


@pytest.mark.parametrize("line, secret", [
    ('password = "hunter2hunter2"', True),
    ("export DB_PASSWORD='tr0ub4dor-3'", True),
    ('const apiKey = "q7w2e9r4t1y8u3i0";', True),
    ("$db_password = 'hunter2hunter2';", True),
    ('client_secret := "hunter2hunter2"', True),
    ('"token": "q7w2e9r4t1y8u3i0",', True),
    ('password = ""', False),
    ("password = ${DB_PASSWORD}", False),
    ('password = os.environ["DB_PASSWORD"]', False),
    ("password = get_password()", False),
    ("api_key = <your api key>", False),
    ("secret = REDACTED", False),
    ("the password: see the vault entry", False),
])
def test_a_pasted_config_line_in_a_value(engine: SecretsEngine, line: str, secret: bool):
    text = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata:\n  sample: " + json.dumps(line) + "\n"
    assert bool(scan(engine, text)) is secret


@pytest.mark.slow
def test_a_secret_in_a_base_and_its_overlays_is_one_finding(repo: Path, run_cli) -> None:
    from tests.render.conftest import commit

    write(repo, {
        "base/kustomization.yaml": "resources: [secret.yaml]\n",
        "base/secret.yaml": "apiVersion: v1\nkind: Secret\nmetadata: {name: db}\nstringData:\n  note: x\n",
        "overlays/staging/kustomization.yaml": "namespace: staging\nresources: [../../base]\n",
        "overlays/production/kustomization.yaml": "namespace: production\nresources: [../../base]\n",
    })
    commit(repo, "base")
    (repo / "base/secret.yaml").write_text(
        f"apiVersion: v1\nkind: Secret\nmetadata: {{name: db}}\nstringData:\n  token: {TOKEN}\n")
    report = json.loads(run_cli(["check", ".", "--base", "HEAD", "--format", "json"], repo).output)
    found = [(f["rule"], f["path"], f["line"], f["envs"]) for f in report["findings"] if f["rule"] == "secrets/github-pat"]
    assert found == [("secrets/github-pat", "base/secret.yaml", 5, ["production", "staging"])]


SCALARS = ["", " ", "\n", "plain", "a=b", "KEY=value\nOTHER=x", "{\"password\": \"%s\"}" % PASSWORD, "[1, 2]",
           " leading", "password: %s\nuser: u" % PASSWORD, "x" * 50, 0, 1234, 80.5, True, None, "ghp_" + "A" * 36]


@pytest.mark.parametrize("value", SCALARS, ids=repr)
@pytest.mark.parametrize("key", ["name", "app.env", "DB_PASSWORD"])
def test_walk_yields_for_a_scalar_what_the_scalar_decoder_yields(value, key):
    """The walk handles plain strings inline (speed); under a mapping key or in a list it must
    give exactly the units the scalar decoder gives, embedded files included."""
    from prcheck.checks.secrets.decode import _scalar_units, unit_list, units

    assert unit_list({key: value}) == list(units({key: value})) == _scalar_units(value, [key], key, False, False, "")
    in_list = {key: [value]}
    assert unit_list(in_list) == list(units(in_list)) == _scalar_units(value, [key, 0], key, False, False, "")
    env = {"env": {key: value}}  # a literal block: the flag is carried into every unit
    assert unit_list(env) == _scalar_units(value, ["env", key], key, True, False, "")
    assert unit_list({"kind": "Secret", "apiVersion": "v1", "stringData": {key: value}}) == list(
        units({"kind": "Secret", "apiVersion": "v1", "stringData": {key: value}}))
