import copy
import dataclasses
import pickle

from prcheck.model import Finding


def test_findings_survive_the_hand_back_from_workers():
    """Workers pickle findings as their constructor's arguments: every field comes back as it
    was, and a given fingerprint is kept, never recomputed from the other fields."""
    found = Finding(rule="k8s/x", severity="warning", message="m", path="a.yaml", line=3, resource="Pod/p",
                    engine="builtin", env="prod", column=2, fingerprint="given", envs=("prod", "stage"))
    for back in (pickle.loads(pickle.dumps(found, protocol=pickle.HIGHEST_PROTOCOL)), copy.copy(found)):
        assert [getattr(back, f.name) for f in dataclasses.fields(Finding)] == \
            [getattr(found, f.name) for f in dataclasses.fields(Finding)]


def test_a_finding_is_the_immutable_record_callers_know():
    """Findings are built, replaced and read as dataclasses everywhere: the fields in order,
    `replace` keeping the fingerprint unless told otherwise, `asdict`, equality and hashing by
    value, no attribute set after construction."""
    found = Finding("k8s/x", "warning", "m", "a.yaml", 3, "Pod/p", "builtin")
    assert [f.name for f in dataclasses.fields(found)] == [
        "rule", "severity", "message", "path", "line", "resource", "engine", "env", "column", "fingerprint", "envs"]
    assert dataclasses.is_dataclass(found)
    assert found.fingerprint == Finding("k8s/x", "error", "m", "a.yaml", 9, "Pod/p").fingerprint  # line and severity aside
    assert found.fingerprint != Finding("k8s/x", "warning", "other", "a.yaml", 3, "Pod/p").fingerprint
    moved = dataclasses.replace(found, line=7, envs=["prod"])
    assert (moved.line, moved.envs, moved.fingerprint) == (7, ("prod",), found.fingerprint)
    assert dataclasses.replace(found, message="n", fingerprint="").fingerprint != found.fingerprint
    assert dataclasses.asdict(found)["resource"] == "Pod/p"
    assert found == Finding("k8s/x", "warning", "m", "a.yaml", 3, "Pod/p", "builtin")
    assert len({found, copy.copy(found), moved}) == 2
    assert repr(found).startswith("Finding(rule='k8s/x', severity='warning', message='m', path='a.yaml', line=3,")
    try:
        found.line = 4  # type: ignore[misc]
    except AttributeError:
        pass
    else:
        raise AssertionError("a finding must not change after it is made")
    assert found.line == 3


def test_an_evaluation_hands_its_findings_back_whole():
    """A worker's evaluation crosses to the parent as field tuples and comes back as the same
    findings (fingerprints as given, never made again), suppressed findings and pass count."""
    from prcheck.checks.policy.base import Evaluation
    from prcheck.model import Suppressed

    findings = [Finding("k8s/x", "warning", "m", "a.yaml", 3, fingerprint="given"),
                Finding("schema/invalid", "error", "n", "b.yaml", envs=("prod",))]
    evaluation = Evaluation(findings, [Suppressed(findings[0], "inline", "why")], passed=4)
    back = pickle.loads(pickle.dumps(evaluation, protocol=pickle.HIGHEST_PROTOCOL))
    assert back == evaluation and [type(f) for f in back.findings] == [Finding, Finding]
    assert back.findings[0].fingerprint == "given" and back.suppressed[0].finding == findings[0]
    assert pickle.loads(pickle.dumps(Evaluation())) == Evaluation()
