"""Matching, classification, masking and label noise, on plain documents."""

from __future__ import annotations

import json

from prcheck.diff import DiffOptions, diff_env, drop_labels, key_matches_resource, mask_secrets, resource_key
from prcheck.model import Document

KEY = b"k" * 32


def doc(obj: dict, path: str = "a.yaml") -> Document:
    return Document(path=path, index=0, line=1, obj=obj)


def deployment(image: str = "nginx:1", api: str = "apps/v1", name: str = "web") -> dict:
    return {"apiVersion": api, "kind": "Deployment", "metadata": {"name": name, "namespace": "prod"},
            "spec": {"template": {"spec": {"containers": [{"name": "web", "image": image}]}}}}


def test_resource_key_ignores_version_but_not_group() -> None:
    assert resource_key(deployment(api="apps/v1")) == resource_key(deployment(api="apps/v1beta2"))
    assert resource_key(deployment(api="extensions/v1beta1")) == "Deployment.extensions/prod/web"
    assert resource_key({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "prod"}}) == "Namespace/prod"
    assert key_matches_resource("Deployment.apps/prod/web", "Deployment/prod/web")
    assert not key_matches_resource("Deployment.apps/prod/web", "Deployment/prod/api")


def test_added_removed_changed_unchanged() -> None:
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"a": "1"}}
    base = [doc(deployment()), doc(cm)]
    head = [doc(deployment("nginx:2")), doc({**cm, "metadata": {"name": "d"}})]
    result = diff_env("prod", base, head, DiffOptions(mask_key=KEY))
    assert [c.key for c in result.added] == ["ConfigMap/d"]
    assert [c.key for c in result.removed] == ["ConfigMap/c"]
    assert [c.key for c in result.changed] == ["Deployment.apps/prod/web"]
    assert "-      - image: nginx:1\n+      - image: nginx:2\n" in result.changed[0].text
    assert result.removed[0].text.startswith("--- base/ConfigMap/c\n+++ /dev/null\n")


def test_keys_are_sorted_in_the_diff() -> None:
    before = {"kind": "ConfigMap", "apiVersion": "v1", "metadata": {"name": "c"}, "data": {"b": "1", "a": "1"}}
    after = {"apiVersion": "v1", "data": {"a": "1", "b": "2"}, "kind": "ConfigMap", "metadata": {"name": "c"}}
    [change] = diff_env("e", [doc(before)], [doc(after)]).changed
    assert change.text.splitlines()[2:] == ["@@ -1,7 +1,7 @@", " apiVersion: v1", " data:", "   a: '1'",
                                            "-  b: '1'", "+  b: '2'", " kind: ConfigMap", " metadata:", "   name: c"]


def test_moved_when_only_the_file_changes() -> None:
    result = diff_env("e", [doc(deployment(), "old.yaml")], [doc(deployment(), "new.yaml")])
    assert [c.key for c in result.moved] == ["Deployment.apps/prod/web"] and result.changed == []


def test_duplicates_are_both_kept() -> None:
    result = diff_env("e", [], [doc(deployment()), doc(deployment())])
    assert [c.key for c in result.added] == ["Deployment.apps/prod/web", "Deployment.apps/prod/web#2"]


def secret(**fields: object) -> dict:
    return {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "db", "annotations": {
        "kubectl.kubernetes.io/last-applied-configuration": json.dumps(fields)}}, **fields}


def test_masking_hides_values_and_shows_changes() -> None:
    base = secret(data={"password": "aHVudGVyMg=="}, stringData={"user": "admin"})
    head = secret(data={"password": "aHVudGVyMw=="}, stringData={"user": "admin"})
    result = diff_env("e", [doc(base)], [doc(head)], DiffOptions(mask_key=KEY))
    [change] = result.changed
    everything = change.text + json.dumps(change.before) + json.dumps(change.after)
    for value in ("aHVudGVyMg==", "aHVudGVyMw==", "hunter2", "hunter3", "admin"):
        assert value not in everything
    assert "-  password: <masked sha256:" in change.text and "+  password: <masked sha256:" in change.text
    assert "user" not in [line[1:].split(":")[0].strip() for line in change.text.splitlines()
                          if line.startswith(("-", "+")) and not line.startswith(("---", "+++"))]


def test_masking_is_keyed_and_matches_data_with_string_data() -> None:
    as_data = mask_secrets(secret(data={"p": "aHVudGVyMg=="}), KEY)
    as_string = mask_secrets(secret(stringData={"p": "hunter2"}), KEY)
    assert as_data["data"]["p"] == as_string["stringData"]["p"]
    assert mask_secrets(secret(stringData={"p": "hunter2"}), b"x" * 32)["stringData"]["p"] != as_string["stringData"]["p"]
    listed = mask_secrets({"apiVersion": "v1", "kind": "List", "items": [secret(stringData={"p": "hunter2"})]}, KEY)
    assert "hunter2" not in json.dumps(listed)
    assert mask_secrets({"apiVersion": "v1", "kind": "ConfigMap", "data": {"p": "v"}}, KEY)["data"]["p"] == "v"


def test_drop_labels_everywhere_in_metadata() -> None:
    obj = deployment()
    obj["metadata"]["labels"] = {"app": "web", "helm.sh/chart": "web-1.0.0"}
    obj["spec"]["template"]["metadata"] = {"labels": {"helm.sh/chart": "web-1.0.0"}}
    dropped = drop_labels(obj, ["helm.sh/chart"])
    assert dropped["metadata"]["labels"] == {"app": "web"}
    assert "labels" not in dropped["spec"]["template"]["metadata"]
    assert obj["metadata"]["labels"]["helm.sh/chart"] == "web-1.0.0"  # the input is not modified


def test_secrets_outside_secret_objects_are_masked() -> None:
    """A Helm value rendered into an env literal, a token in a ConfigMap, a password in a URL."""
    def objects(password: str, token: str) -> list[Document]:
        pod = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "api"},
               "spec": {"template": {"spec": {"containers": [{"name": "api", "image": "api:1", "env": [
                   {"name": "DB_PASSWORD", "value": password},
                   {"name": "DSN", "value": f"postgres://app:{password}@db/app"},
                   {"name": "MODE", "value": "fast"},
                   {"name": "API_KEY", "valueFrom": {"secretKeyRef": {"name": "api", "key": "key"}}}]}]}}}}
        cm = {"apiVersion": "v1", "kind": "List", "items": [{"apiVersion": "v1", "kind": "ConfigMap",
              "metadata": {"name": "c"}, "data": {"script": f"curl -H 'Authorization: token {token}' x"}}]}
        return [doc(pod), doc(cm, "cm.yaml")]

    old = ("hunter2hunter2", "ghp_OhbVrpoiVgRV5IfLBcbfnoGMbJmTPSIAoCLr")
    new = ("Bictx57Y3c5wnRpQ", "ghp_R8kq2VmX7tLp4Nw9ZcB3yHj6Fd1Gs5Ae0QuZ")
    result = diff_env("e", objects(*old), objects(*new), DiffOptions(mask_key=KEY))
    assert sorted(c.key for c in result.changed) == ["Deployment.apps/api", "List"]
    everything = json.dumps([[c.text, c.before, c.after] for c in result.changed])
    for value in old + new:
        assert value not in everything and value[4:12] not in everything
    deployment = next(c.text for c in result.changed if c.key == "Deployment.apps/api")
    assert "-          value: <masked sha256:" in deployment and "postgres://app:<masked sha256:" in deployment
    env = next(c.after for c in result.changed if c.key == "Deployment.apps/api")["spec"]["template"]["spec"]["containers"][0]["env"]
    assert env[2:] == [{"name": "MODE", "value": "fast"},  # the rest stays readable
                       {"name": "API_KEY", "valueFrom": {"secretKeyRef": {"name": "api", "key": "key"}}}]
    assert "Authorization: token <masked sha256:" in next(c.text for c in result.changed if c.key == "List")
