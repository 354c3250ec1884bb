"""Every finding's line is computed the same way in one process and in the worker pool: the
findings the parent makes after the workers checked the files (CRD rules, a suppression
annotation's own line) point at the field, not at the document's first line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from prcheck import parallel
from tests.cel.test_crd_rules import CRD
from tests.conftest import write

CRONTAB = """\
apiVersion: stable.example.com/v1
kind: CronTab
metadata:
  name: nightly
  namespace: ns
spec:
  minReplicas: 3
  replicas: 1
  maxReplicas: 5
"""

POD = """\
apiVersion: v1
kind: Pod
metadata:
  name: web
  namespace: ns
  labels: {app: web}
  annotations:
    team: web
    prcheck.dev/ignore: k8s/run-as-root
spec:
  containers:
    - name: c
      image: nginx:latest  # prcheck:ignore[k8s/image-latest-tag]
"""


def findings(run_cli, root: Path, *args: str) -> list[dict]:
    result = run_cli(["check", "--format", "json", *args, "apps"], root)
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.output)["findings"]


def located(found: list[dict]) -> set[tuple[str, str, int]]:
    return {(f["rule"], f["path"], f["line"]) for f in found}


@pytest.mark.parametrize("whole", [False, True], ids=["identities", "whole-objects"])
def test_worker_pool_reports_the_lines_of_one_process(tmp_path: Path, run_cli, monkeypatch: pytest.MonkeyPatch,
                                                       whole: bool):
    """The file with an inline comment travels with its text (its trees are composed again),
    the others as their identities plus line trees; or every file whole."""
    files = {"apps/crd.yaml": CRD, "apps/crontab.yaml": CRONTAB, "apps/pod.yaml": POD}
    files.update({f"apps/filler{i}.yaml": f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: f{i}}}\n"
                  for i in range(4)})  # more files than workers, so the pool has shares to hand out
    write(tmp_path, files)
    serial = findings(run_cli, tmp_path, "-j", "1")
    monkeypatch.setattr(parallel, "MIN_PARALLEL_BYTES", 0)  # the pool even for a handful of files
    if whole:
        monkeypatch.setattr(parallel, "identities_suffice", lambda *a: False)
    pooled_runs: list[int] = []
    real = parallel.load_and_check
    monkeypatch.setattr(parallel, "load_and_check", lambda *a, **k: pooled_runs.append(1) or real(*a, **k))
    pooled = findings(run_cli, tmp_path, "-j", "2")
    assert pooled_runs == [1]
    assert pooled == serial
    lines = located(serial)
    assert ("crd/validation-rule", "crontab.yaml", 6) in lines  # `spec:`, where the failing rule sits
    assert ("suppress/missing-reason", "pod.yaml", 9) in lines  # the annotation, not line 1
    assert ("suppress/missing-reason", "pod.yaml", 13) in lines  # the inline comment


LINES = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: m
  labels: &labels {a: b, c: d}
  annotations:
    prcheck.dev/ignore: x
data:
  script: |
    echo hi
  copy: *labels
  list:
    - one
    - {two: 2}
    - - nested
"""


def key_paths(obj, prefix=()):
    yield prefix
    if isinstance(obj, dict):
        for key, value in obj.items():
            yield from key_paths(value, (*prefix, key))
    elif isinstance(obj, list):
        for index, value in enumerate(obj):
            yield from key_paths(value, (*prefix, index))


@pytest.mark.parametrize("stand_in", ["deferred", "light"])
def test_stand_ins_answer_every_line_and_style_the_node_tree_does(stand_in: str):
    import copy
    import pickle

    from prcheck.model import _child_node
    from prcheck.sources.line_tree import defer, light
    from prcheck.sources.yaml_loader import load_text

    loaded = load_text("kind: First\n---\n" + LINES, "a.yaml")
    doc = loaded.docs[1]
    travelled = copy.deepcopy(loaded)
    if stand_in == "deferred":
        defer(travelled)
    else:
        for d in travelled.docs:
            d.node = light(d.node)
    travelled = pickle.loads(pickle.dumps(travelled))
    slim = travelled.docs[1]
    assert slim.node.__class__.__name__ != "MappingNode"
    paths = list(key_paths(doc.obj)) + [("data", "missing"), ("data", "list", 9)]
    assert len(paths) > 15
    for path in paths:
        assert slim.line_of(path) == doc.line_of(path), path
    assert slim.line_of(["metadata", "annotations", "prcheck.dev/ignore"]) == 9
    assert _child_node(_child_node(slim.node, "data")[1], "script")[1].style == "|"  # block text starts a line later
    if stand_in == "light":
        shared = _child_node(_child_node(slim.node, "data")[1], "copy")[1]
        assert shared is _child_node(_child_node(slim.node, "metadata")[1], "labels")[1]  # an alias: one copy


def test_identities_keep_the_lines_of_what_they_keep():
    from prcheck.sources.yaml_loader import load_text

    loaded = load_text(LINES.replace("ConfigMap", "Pod"), "a.yaml")
    loaded.kind = "kubernetes"
    parallel.keep_identities(loaded)
    doc = loaded.docs[0]
    assert loaded.text == ""
    assert doc.line_of(["metadata", "annotations", "prcheck.dev/ignore"]) == 7
    assert doc.line_of(["data", "script"]) == 1  # dropped with the object: no line but the document's
