"""The bundled definitions read one by one give what parsing the whole file gives, and a
kind validated with only the definitions it reaches gives the same errors as with all."""

from __future__ import annotations

import json

import jsonschema_rs

from prcheck.checks import schema_definitions
from prcheck.checks.schema_definitions import Definitions
from prcheck.checks.schema_store import K8S_DEFINITIONS_ID, SchemaStore, kubernetes_validate_root


def _bundled_dirs():
    return sorted(p for p in kubernetes_validate_root().iterdir() if (p / "_definitions.json").is_file())


def test_every_bundled_definition_read_alone_equals_the_whole_parse():
    folders = _bundled_dirs()
    assert len(folders) >= 4
    for folder in folders:
        definitions = Definitions(folder / "_definitions.json")
        whole = json.loads((folder / "_definitions.json").read_text(encoding="utf-8"))
        definitions.closure([])
        assert definitions._starts is not None, folder.name  # laid out as the index expects
        assert set(definitions._starts) == set(whole["$defs"]), folder.name
        assert {name: definitions._definition(name)[0] for name in whole["$defs"]} == whole["$defs"], folder.name


def test_a_closure_holds_every_definition_its_refs_reach(tmp_path):
    folder = _bundled_dirs()[-1]
    definitions = Definitions(folder / "_definitions.json")
    whole = definitions.whole()["$defs"]
    schema = json.loads((folder / "deployment-apps-v1.json").read_text(encoding="utf-8"))
    reached = definitions.closure([schema])["$defs"]
    assert "io.k8s.api.core.v1.Container" in reached and "io.k8s.api.core.v1.ConfigMap" not in reached
    for value in reached.values():  # closed: every reference inside resolves inside
        for name in schema_definitions._REF.findall(json.dumps(value)):
            assert name in reached
    assert reached == {name: whole[name] for name in reached}


def test_files_laid_out_otherwise_are_parsed_whole(tmp_path):
    compact = tmp_path / "_definitions.json"
    body = {"$defs": {"A": {"type": "object", "properties": {"b": {"$ref": "#/$defs/B"}}}, "B": {"type": "string"}}}
    compact.write_text(json.dumps(body))
    assert Definitions(compact).closure([{"$ref": "/api/_definitions.json#/$defs/A"}]) == body
    indented = tmp_path / "indented.json"
    indented.write_text(json.dumps(body, indent=2))
    assert Definitions(indented).closure([{"$ref": "/api/_definitions.json#/$defs/B"}]) == {"$defs": {"B": {"type": "string"}}}
    # a reference the file does not hold, or a pointer below a definition: the whole file
    assert Definitions(indented).closure([{"$ref": "/api/_definitions.json#/$defs/C"}]) == body
    assert Definitions(indented).closure([{"$ref": "/api/_definitions.json#/$defs/A/properties/b"}]) == body
    # a key after `$defs`, a name with an escape: spans still right, or the whole file
    after = tmp_path / "after.json"
    after.write_text(json.dumps({**body, "z": {"$defs": {"B": 1}}}, indent=2))
    assert Definitions(after).closure([{"$ref": "#/$defs/A"}]) == {"$defs": body["$defs"]}
    escaped = tmp_path / "escaped.json"
    escaped.write_text(json.dumps({"$defs": {**body["$defs"], 'q"uote': {"type": "integer"}}}, indent=2))
    escaped_definitions = Definitions(escaped)
    escaped_definitions.closure([])
    assert escaped_definitions._starts is None
    assert Definitions(escaped).closure([{"$ref": "#/$defs/B"}])["$defs"]['q"uote'] == {"type": "integer"}


def test_kinds_validate_with_their_closure_as_with_every_definition():
    bad = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "x", "labels": {"a": 1}},
           "spec": {"replicas": "two", "selector": {}, "template": {"spec": {"containers": [
               {"name": "c", "image": 3, "ports": [{"containerPort": "http"}], "resources": {"limits": {"cpu": []}}},
           ], "volumes": [{"name": "v", "configMap": {"items": "x"}}]}}}}
    for strict in (False, True):
        store = SchemaStore("1.32", strict=strict)
        with open(store.bundled / "_definitions.json", encoding="utf-8") as fh:
            every = jsonschema_rs.Registry([(K8S_DEFINITIONS_ID, json.load(fh))])
        for kind_file, doc in (("deployment-apps-v1.json", bad), ("service-v1.json", {"kind": "Service", "spec": {"ports": "x"}}),
                               ("cronjob-batch-v1.json", {"kind": "CronJob", "spec": {"jobTemplate": bad["spec"]}})):
            schema = json.loads((store.bundled / kind_file).read_text(encoding="utf-8"))
            closure = store._k8s_registry([schema])
            errors = [[(e.message, list(e.instance_path), list(e.schema_path)) for e in
                       jsonschema_rs.validator_for(schema, registry=registry).iter_errors(doc)]
                      for registry in (closure, every)]
            assert errors[0] == errors[1] and errors[0], kind_file
