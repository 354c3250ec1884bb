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
