"""The pack's per-document line lookups answer as `Document.line_of` does (a digit string
being a list index, as in a Rego finding's path), in any order."""

import random

import pytest

from prcheck.checks.policy.builtin import _LineCache
from prcheck.sources.line_tree import light
from prcheck.sources.yaml_loader import load_text

MANIFEST = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  annotations: {"8080": port, a: b}
spec:
  template:
    spec:
      containers:
        - name: web
          image: nginx:1.25
          securityContext:
            runAsNonRoot: true
        - name: side
          ports: [{containerPort: 80}, {containerPort: 81}]
      volumes: []
"""


def key_paths(obj, prefix=()):
    yield list(prefix)
    items = obj.items() if isinstance(obj, dict) else enumerate(obj) if isinstance(obj, list) else ()
    for key, value in items:
        yield from key_paths(value, (*prefix, key))


@pytest.mark.parametrize("tree", ["pyyaml", "line-tree"])
def test_line_cache_answers_every_path_as_line_of_does(tree: str):
    doc = load_text(MANIFEST, "d.yaml").docs[0]
    def expected(path):
        return doc.line_of([int(k) if isinstance(k, str) and k.isdecimal() else k for k in path])

    if tree == "line-tree":
        doc.node = light(doc.node)
    paths = list(key_paths(doc.obj)) + [
        ["spec", "template", "spec", "containers", 0, "securityContext", "capabilities", "drop"],  # missing tail
        ["spec", "template", "spec", "containers", "1", "ports", "0"],  # digit strings index lists
        ["spec", "template", "spec", "containers", 5, "image"],  # past the end
        ["spec", "template", "spec", "volumes", 0],
        ["metadata", "annotations", "8080"],  # a digit string reads as an index: not a mapping key
        ["kind", "x"],  # below a scalar
    ]
    wanted = [expected(p) for p in paths]
    assert wanted[-6:] == [12, 15, 9, 16, 5, 2]
    for seed in range(3):  # the trie answers the same whichever path fills it first
        order = list(range(len(paths)))
        random.Random(seed).shuffle(order)
        line_of = _LineCache(doc).line_of
        assert {i: line_of(paths[i]) for i in order} == dict(enumerate(wanted))


def test_line_cache_of_a_document_without_a_tree_is_its_first_line():
    doc = load_text("---\n\nkind: A\n", "d.yaml").docs[0]
    doc.node = None
    assert _LineCache(doc).line_of(["kind"]) == doc.line
