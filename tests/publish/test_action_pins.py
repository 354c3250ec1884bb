"""Every action the Action, the README's examples and this repository's workflows use
is pinned by a commit SHA with its version as a comment, and each SHA is one checked
against its upstream repository. A new pin needs an entry here, with how it was checked.
(The README's `<owner>/prcheck@1111…` is a placeholder for a release that does not exist yet.)"""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
USES = re.compile(r"uses:\s*([\w.\-]+/[\w.\-/]+)@(\S+)(?:\s+#\s*(\S+))?")

# action (without a sub-path) -> SHA -> the release tag it is. Checked in the upstream
# repository at that commit (its package.json version) where the commit was readable, and
# always in at least two independent public workflows that pin the same SHA with a comment.
VERIFIED = {
    "actions/checkout": {"11bd71901bbe5b1630ceea73d27597364c9af683": "v4.2.2"},
    # upstream package.json at this commit says 4.2.3; a public listing calling it v4.1.2 is wrong
    "actions/cache": {"5a3ec84eff668545956fd18022155c47e93e2684": "v4.2.3"},
    "actions/upload-artifact": {"ea165f8d65b6e75b540449e92b4886f43607fa02": "v4.6.2"},
    "actions/download-artifact": {"d3f86a106a0bac45b974a628896c90dbdf5c8093": "v4.3.0"},
    "github/codeql-action": {"5d4e8d1aca955e8d8589aabd499c5cae939e33c7": "v4.31.9"},
    "pypa/gh-action-pypi-publish": {"76f52bc884231f62b9a034ebfe128415bbaabdfc": "v1.12.4"},
}


def pins() -> list[tuple[str, int, str, str, str]]:
    files = [REPO / "action.yml", REPO / "README.md", *sorted((REPO / ".github/workflows").glob("*.y*ml"))]
    found = []
    for path in files:
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            for match in USES.finditer(line):
                found.append((f"{path.relative_to(REPO)}:{number}", *match.groups(default="")))
    return found


def test_every_uses_is_a_verified_sha_with_its_version():
    seen = pins()
    assert len(seen) >= 10
    for where, action, ref, comment in seen:
        owner_repo = "/".join(action.split("/")[:2])
        assert re.fullmatch(r"[0-9a-f]{40}", ref), f"{where}: {action}@{ref} is not pinned by SHA"
        assert owner_repo in VERIFIED and ref in VERIFIED[owner_repo], f"{where}: {action}@{ref} was not verified"
        assert comment == VERIFIED[owner_repo][ref], f"{where}: {action}@{ref} is {VERIFIED[owner_repo][ref]}, not {comment!r}"
