"""A run split over worker processes must report exactly what one process reports."""

import dataclasses
import json
from pathlib import Path

import pytest

from prcheck import parallel
from prcheck.pipeline import CheckOptions, run_check
from tests.cel.test_crd_rules import CRD, cron
from tests.conftest import write
from tests.core.test_rego import V1_POLICY

POD = """\
apiVersion: v1
kind: Pod
metadata:
  name: p{i}
spec:
  containers:
    - name: c
      image: nginx:latest
      ports: [{{containerPort: {port}}}]
"""


def outcome(report):
    return (sorted((f.rule, f.severity, f.message, f.path, f.line, f.resource, f.engine) for f in report.findings),
            sorted((s.source, s.finding.rule, s.finding.path) for s in report.suppressed),
            report.stats["files"], report.stats["documents"])


def test_parallel_run_matches_sequential_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    files = {f"apps/p{i}.yaml": POD.format(i=i, port='"80"' if i % 3 == 0 else 80) for i in range(12)}
    files["apps/dup.yaml"] = POD.format(i=1, port=80)  # duplicates apps/p1.yaml: a whole-run check
    files["apps/kustomization.yaml"] = "resources: [p1.yaml, dup.yaml]\n"  # ... when applied together
    files["apps/broken.yaml"] = "a: [\n"
    files["apps/ignored.yaml"] = POD.format(i=99, port=80).replace(
        "image: nginx:latest\n", "image: nginx:latest  # prcheck:ignore[k8s/image-latest-tag] demo only\n")
    write(tmp_path, files)
    write(tmp_path / "policy", {"p.rego": V1_POLICY})
    opts = CheckOptions(paths=["apps"], root=tmp_path, policies=[str(tmp_path / "policy")], jobs=1)
    sequential = run_check(opts, cwd=tmp_path)
    monkeypatch.setattr(parallel, "MIN_PARALLEL_BYTES", 0)
    opts = dataclasses.replace(opts, jobs=2)
    split = run_check(opts, cwd=tmp_path)
    assert "parallel" in split.stats["timings"] and "parallel" not in sequential.stats["timings"]
    assert outcome(split) == outcome(sequential)
    rules = {f.rule for f in split.findings}
    assert {"schema/invalid", "k8s/duplicate-resource", "yaml/syntax", "main/deny", "corp/pinned"} <= rules
    assert [(s.source, s.finding.path) for s in split.suppressed] == [("inline", "apps/ignored.yaml")]


VAP = """\
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: few-ports}
spec:
  matchConstraints:
    resourceRules: [{apiGroups: [""], apiVersions: [v1], operations: [CREATE], resources: [pods]}]
  validations: [{expression: "object.spec.containers.all(c, !has(c.ports) || c.ports.size() == 0)"}]
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: few-ports}
spec: {policyName: few-ports, validationActions: [Deny]}
"""


original = parallel.identities_suffice


@pytest.mark.parametrize("extra", [{}, {"apps/policy.yaml": VAP}])
def test_workers_send_back_identities_and_find_the_same(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                        extra: dict):
    """Without policies the workers return built-in objects as their identity only (the parent
    needs no more); the findings stay those of workers returning whole objects, with
    suppressions, duplicates, custom resources under CRD rules, and a repository VAP (which
    keeps whole objects)."""
    files = {f"apps/p{i}.yaml": POD.format(i=i, port='"80"' if i % 3 == 0 else 80) for i in range(12)}
    files["apps/dup.yaml"] = POD.format(i=1, port=80)
    files["apps/kustomization.yaml"] = "resources: [p1.yaml, dup.yaml]\n"
    files["apps/ignored.yaml"] = POD.format(i=99, port=80).replace(
        "image: nginx:latest\n", "image: nginx:latest  # prcheck:ignore[k8s/image-latest-tag] demo only\n")
    files["apps/annotated.yaml"] = POD.format(i=98, port=80).replace(
        "  name: p98\n", "  name: p98\n  annotations: {prcheck.dev/ignore: k8s/image-latest-tag, other: x}\n")
    files["apps/crd.yaml"] = CRD
    files["apps/cron.yaml"] = cron("c", "{minReplicas: 3, replicas: 1, maxReplicas: 5}")
    write(tmp_path, {**files, **extra})
    opts = CheckOptions(paths=["apps"], root=tmp_path, jobs=2)
    monkeypatch.setattr(parallel, "MIN_PARALLEL_BYTES", 0)
    monkeypatch.setattr(parallel, "identities_suffice", lambda *a: False)
    whole = run_check(opts, cwd=tmp_path)
    sent: list[bool] = []
    monkeypatch.setattr(parallel, "identities_suffice", lambda *a: sent.append(original(*a)) or sent[-1])
    split = run_check(opts, cwd=tmp_path)
    assert sent == [not extra]
    assert outcome(split) == outcome(whole)
    rules = {f.rule for f in split.findings}
    assert {"schema/invalid", "k8s/duplicate-resource", "crd/validation-rule"} <= rules
    assert ("ValidatingAdmissionPolicy/few-ports" in rules) is bool(extra)
    assert sorted((s.source, s.finding.path) for s in split.suppressed) == [
        ("annotation", "apps/annotated.yaml"), ("inline", "apps/ignored.yaml")]


def test_identities_keep_what_the_parent_reads():
    from prcheck.sources.yaml_loader import load_text

    text = (POD.format(i=1, port=80).replace("  name: p1\n", "  name: p1\n  namespace: ns\n  labels: {a: b}\n"
                                             "  annotations: {prcheck.dev/ignore: x}\n")
            + "---\napiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\nspec: {size: 5}\n")
    loaded = load_text(text, "a.yaml")
    loaded.kind = "kubernetes"
    parallel.keep_identities(loaded)
    assert [d.obj for d in loaded.docs] == [
        {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p1", "namespace": "ns",
                                                         "annotations": {"prcheck.dev/ignore": "x"}}},
        {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}, "spec": {"size": 5}}]
    assert loaded.text == "" and all(d.source == "" for d in loaded.docs)



def pods(count: int) -> dict[str, str]:
    return {f"apps/p{i:02}.yaml": POD.format(i=i, port='"80"' if i % 3 == 0 else 80) for i in range(count)}


def slowed_parent(monkeypatch: pytest.MonkeyPatch, seconds: float) -> list[str]:
    """The paths of the shares the parent checks itself, each after `seconds`, so that a worker
    surely takes some; a forked worker runs the same function and must not wait."""
    import os
    import time

    parent, real, mine = os.getpid(), parallel.check_share, []

    def slow(share, *state):
        if os.getpid() == parent:
            mine.extend(e.path for e in share[0])
            time.sleep(seconds)
        return real(share, *state)

    monkeypatch.setattr(parallel, "MIN_PARALLEL_BYTES", 0)
    monkeypatch.setattr(parallel, "check_share", slow)
    return mine


def test_parent_and_worker_shares_give_the_one_process_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """`-j 2` is the parent and one worker: the worker takes shares from the front, the parent
    from the back. Findings, their order and the counts are those of `-j 1`."""
    write(tmp_path, {**pods(40), "apps/dup.yaml": POD.format(i=1, port=80),
                     "apps/kustomization.yaml": "resources: [p01.yaml, dup.yaml]\n"})
    opts = CheckOptions(paths=["apps"], root=tmp_path, jobs=1)
    sequential = run_check(opts, cwd=tmp_path)
    mine = slowed_parent(monkeypatch, 0.2)
    split = run_check(dataclasses.replace(opts, jobs=2), cwd=tmp_path)
    assert "apps/p39.yaml" in mine and "apps/dup.yaml" not in mine  # from the back; the worker had the front
    assert outcome(split) == outcome(sequential)
    assert [(f.path, f.line, f.rule) for f in split.findings] == [(f.path, f.line, f.rule) for f in sequential.findings]
    assert "k8s/duplicate-resource" in {f.rule for f in split.findings}


def test_a_spawned_worker_compiles_its_own_state_and_finds_the_same(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Where workers cannot be forked (the Helm SDK's Go runtime is loaded), a worker compiles
    its own engines and store instead of inheriting the parent's."""
    import multiprocessing

    from prcheck import processes

    write(tmp_path, pods(12))
    opts = CheckOptions(paths=["apps"], root=tmp_path, jobs=1)
    sequential = run_check(opts, cwd=tmp_path)
    mine = slowed_parent(monkeypatch, 0.4)
    monkeypatch.setattr(processes, "context", lambda: multiprocessing.get_context("spawn"))
    split = run_check(dataclasses.replace(opts, jobs=2), cwd=tmp_path)
    assert "apps/p00.yaml" not in mine  # the spawned worker checked it
    assert outcome(split) == outcome(sequential)


ALIASED = "base: &b {a: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]}\n" + "".join(f"k{i}: *b\n" for i in range(40))


def test_each_process_spends_its_share_of_the_run_alias_budget(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """What aliases add is capped for the run as a whole, split between the run's processes
    (not between its many shares): a file well within the cap is checked as in one process,
    and many such files are stopped once the run's cap is spent."""
    from prcheck.sources.yaml_loader import Limits

    limits = Limits(max_run_expanded_nodes=2000)  # each file adds 40 * 11 = 440 nodes
    write(tmp_path, {"apps/one.yaml": ALIASED, **{f"apps/f{i}.yaml": "a: 1\n" for i in range(30)}})
    opts = CheckOptions(paths=["apps"], root=tmp_path, jobs=1, limits=limits)
    sequential = run_check(opts, cwd=tmp_path)
    monkeypatch.setattr(parallel, "MIN_PARALLEL_BYTES", 0)
    split = run_check(dataclasses.replace(opts, jobs=2), cwd=tmp_path)
    assert outcome(split) == outcome(sequential)
    assert "yaml/alias-bomb" not in {f.rule for f in split.findings}

    write(tmp_path, {f"apps/f{i}.yaml": ALIASED for i in range(30)})
    bombs = [f for f in run_check(dataclasses.replace(opts, jobs=2), cwd=tmp_path).findings if f.rule == "yaml/alias-bomb"]
    assert all("this run" in f.message for f in bombs)
    assert 31 - len(bombs) <= 2000 // 440  # the files whose aliases were expanded stay within the run's cap


TOKEN = "ghp_R4nd0mT0kenV4lu3abcdefghijklmn0pq12"  # a GitHub token's shape, as a container name


def test_findings_made_in_workers_are_masked_in_every_output(tmp_path: Path, run_cli,
                                                             monkeypatch: pytest.MonkeyPatch):
    """Workers tell the parent which findings masking leaves as they are; a finding quoting a
    token is still masked, in every format, exactly as in one process."""
    write(tmp_path, {**pods(12), "apps/leak.yaml": POD.format(i=50, port=80).replace("- name: c", f"- name: {TOKEN}")})
    formats = ("json", "sarif", "text")

    def outputs(jobs: str) -> dict[str, str]:
        out = {}
        for fmt in formats:
            result = run_cli(["check", "--format", fmt, "--fail-on", "never", "-j", jobs, "apps"], tmp_path)
            assert result.exit_code == 0, result.output
            out[fmt] = result.output
        return out

    serial = outputs("1")
    mine = slowed_parent(monkeypatch, 0.1)
    pooled = outputs("2")
    assert "apps/leak.yaml" not in mine  # a worker checked it: it sorts first
    for fmt in formats:
        assert TOKEN not in pooled[fmt] and "<masked, 39 chars>" in pooled[fmt]
    assert json.loads(pooled["json"])["findings"] == json.loads(serial["json"])["findings"]
    assert pooled["sarif"] == serial["sarif"] and pooled["text"] == serial["text"]


def test_mask_report_passes_through_only_the_texts_found_clean():
    from prcheck.model import Finding, Report
    from prcheck.report.masking import clean_texts, mask_report

    plain = Finding(rule="r", severity="info", message="container 'c' has no probes", path="a.yaml")
    leak = Finding(rule="r", severity="info", message=f"container '{TOKEN}' has no probes", path="a.yaml")
    clean = clean_texts([plain, leak])
    assert clean == {plain.message, "a.yaml", ""}  # never the text holding the token
    masked = mask_report(Report(findings=[plain, leak]), clean)
    assert masked.findings[0] is plain
    assert TOKEN not in masked.findings[1].message
    assert masked.findings == mask_report(Report(findings=[plain, leak])).findings


def test_a_share_is_claimed_once_even_when_already_queued_for_a_worker(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch):
    """A worker skips a share the parent claimed while it sat in the pool's queue, so the
    processes end together instead of the worker checking its queued shares alone."""
    import multiprocessing

    flags = (multiprocessing.get_context("fork").RawArray("b", 3), multiprocessing.get_context("fork").Lock())
    assert [parallel.claim(flags, i) for i in (2, 0, 2, 1, 0)] == [True, True, False, True, False]
    # a worker handed a share the parent already claimed returns nothing for it
    monkeypatch.setattr(parallel, "_worker", (None, [], None, flags, None))
    assert parallel._work((2, ([], None, False))) is None


def test_a_share_hands_back_each_message_text_once():
    from prcheck.model import Finding

    texts = ["container web has no limits", "image is not pinned"]
    findings = [Finding("k8s/x", "warning", "".join(texts[i % 2]), f"f{i}.yaml", i) for i in range(6)]
    assert len({id(f.message) for f in findings}) == 6
    shared = parallel.share_messages(findings)
    assert shared == findings and [type(f) for f in shared] == [Finding] * 6  # same values, fingerprints included
    assert len({id(f.message) for f in shared}) == 2
