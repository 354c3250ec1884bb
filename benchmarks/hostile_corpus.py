"""Run hostile pull requests of every class of the trust model and print how many are safe.

`python benchmarks/hostile_corpus.py [--class NAME] [--envs N] [-v]` builds each case as a
real git repository in a temporary folder (a base commit on `main`, the pull request
on `pr`), runs `prcheck` on it as CI would (its own process, the job's secrets in the
environment, a credential line in `.git/config`, a canary file outside the
repository), and judges the run. Every case, whatever its class, must also: end in
normal time, exit 0/1 (2 only where the case expects a one-line refusal), print no
Python traceback or `internal error`, and show the canary nowhere (raw, base64, hex)
in stdout, stderr or any report file. A local TCP listener and a `GIT_SSH_COMMAND`
stub record any attempt to reach out. Prints `cases safe N/M` per class, then the
total; asserts nothing.

Classes (one per promise of the trust model):
  render-secrets   renders never see the job's secrets, `.git`, or more memory than allowed
  outside-reads    nothing outside the repository is read, nothing remote is reached
  output-writes    reports are never written through a committed symlink
  verdict          the change's config/policies cannot weaken the verdict (--trusted-ref)
  hidden-edits     edits landing on unchanged lines still count as new (--base)
  no-abort         hostile files are findings; the rest of the run still reports
  message-secrets  no secret value in any message (schema, Helm fail, config, URLs)
  ci-steering      no output line can steer the CI host (workflow commands, options)
"""

from __future__ import annotations

import argparse
import base64
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

REPO_ROOT = Path(__file__).resolve().parent.parent
TIME_LIMIT = 120.0

PRIVILEGED = ('apiVersion: v1\nkind: Pod\nmetadata: {name: p}\n'
              'spec: {containers: [{name: c, image: "nginx:1", securityContext: {privileged: true}}]}\n')
CHART = {"charts/app/Chart.yaml": "apiVersion: v2\nname: app\nversion: 0.1.0\n",
         "charts/app/values.yaml": "a: 1\n", "charts/app/values-prod.yaml": "a: 2\n"}
FILES_GET = ('apiVersion: v1\nkind: ConfigMap\nmetadata: {name: leak}\ndata:\n'
             '  raw: {{ .Files.Get "files/x" | quote }}\n  b64: {{ .Files.Get "files/x" | b64enc | quote }}\n')
KBASE = {"base/kustomization.yaml": "resources: [cm.yaml]\n",
         "base/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {a: b}\n",
         "overlays/prod/kustomization.yaml": "resources: [../../base]\n"}
BOMB_DOC = ("---\napiVersion: v1\nkind: ConfigMap\nmetadata: {{name: b{i}}}\nx:\n"
            "  a: &a [x,x,x,x,x,x,x,x,x,x]\n  b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
            "  c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\n  d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
            "  e: [*d,*d,*d,*d,*d,*d,*d]\n")
LAUGHS = "a: &a [x,x,x,x,x,x,x,x,x,x]\n" + "".join(
    f"{n}: &{n} [{','.join(['*' + p] * 10)}]\n" for p, n in zip("abcdefgh", "bcdefghi"))


def argo_app(path: str, extra: str = "") -> str:
    return ("apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {name: leak, namespace: argocd}\n"
            "spec:\n  project: default\n  destination: {server: https://kubernetes.default.svc, namespace: prod}\n"
            f"  source:\n    repoURL: https://git.example.com/org/repo.git\n    path: '{path}'\n{extra}")


@dataclass
class World:
    """What every case shares: the canary, the folder outside the repository, the listener."""

    tmp: Path
    canary: str
    outside: Path
    port: int
    connections: list[str]
    ssh_log: Path
    env: dict[str, str]


@dataclass
class Result:
    rc: int
    out: str
    err: str
    files: dict[str, str]
    seconds: float
    repo: Path

    def text(self) -> str:
        return "\n".join([self.out, self.err, *self.files.values()])


@dataclass
class Case:
    cls: str
    name: str
    base: dict[str, str]
    pr: dict[str, str]
    args: list[str]
    safe: Callable[[Result, World], bool]
    links: dict[str, str] = field(default_factory=dict)  # committed in the pull request
    outputs: tuple[str, ...] = ()
    rc_ok: tuple[int, ...] = (0, 1)
    before: Callable[[Path, World], None] | None = None  # extra set-up on the PR branch


def _forms(value: str) -> list[str]:
    raw = value.encode()
    out = {value, raw.hex()}
    for shift in range(3):
        encoded = base64.b64encode(b"x" * shift + raw).decode()
        out.add(encoded[4 if shift else 0:-4])
    return sorted(out)


def _git(repo: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True,
                          env=env).stdout


def _write(root: Path, files: dict[str, str], world: World) -> None:
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        text = content.replace("CANARY", world.canary).replace("OUTSIDE", str(world.outside))
        path.write_text(text.replace("PORT", str(world.port)), encoding="utf-8")


def build(case: Case, world: World, where: Path) -> Path:
    repo = where / "repo"
    repo.mkdir(parents=True)
    _git(repo, "init", "-q", "-b", "main")
    header = base64.b64encode(f"x-access-token:{world.canary}".encode()).decode()
    _git(repo, "config", "http.https://github.com/.extraheader", f"AUTHORIZATION: basic {header}")
    _git(repo, "config", "remote.origin.url", "https://git.example.com/org/repo.git")
    _write(repo, {"apps/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: {a: b}\n",
                  **case.base}, world)
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "base")
    _git(repo, "checkout", "-qb", "pr")
    _write(repo, case.pr, world)
    for link, target in case.links.items():
        path = repo / link
        path.parent.mkdir(parents=True, exist_ok=True)
        os.symlink(target.replace("OUTSIDE", str(world.outside)), path)
    if case.before:
        case.before(repo, world)
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "pr", "--allow-empty")
    return repo


def run(case: Case, world: World, where: Path) -> Result:
    repo = build(case, world, where)
    env = {**os.environ, **world.env, "PYTHONPATH": str(REPO_ROOT)}
    env.pop("RUST_BACKTRACE", None)
    args = [a.replace("PORT", str(world.port)) for a in case.args]
    started = time.monotonic()
    try:
        proc = subprocess.run([sys.executable, "-m", "prcheck", *args], cwd=repo, env=env, capture_output=True,
                              text=True, timeout=TIME_LIMIT, errors="replace")
        rc, out, err = proc.returncode, proc.stdout, proc.stderr
    except subprocess.TimeoutExpired:
        rc, out, err = -1, "", "timeout"
    seconds = time.monotonic() - started
    files = {}
    for name in case.outputs:
        path = repo / name
        if path.is_file() and not path.is_symlink():
            files[name] = path.read_text(encoding="utf-8", errors="replace")
    return Result(rc, out, err, files, seconds, repo)


def judge(case: Case, result: Result, world: World) -> list[str]:
    """Why the case is unsafe; empty when it is safe."""
    why = []
    if result.rc == -1:
        why.append(f"no result within {TIME_LIMIT:g} s")
    elif result.rc not in case.rc_ok:
        why.append(f"exit {result.rc}")
    if "Traceback (most recent call last)" in result.err or "internal error" in result.err:
        why.append("crash: " + result.err.strip().splitlines()[-1][:120])
    leaked = [f for f in _forms(world.canary) if f in result.text()]
    if leaked:
        why.append("canary in the output")
    if world.connections:
        why.append(f"{len(world.connections)} network connection(s)")
        world.connections.clear()
    if world.ssh_log.exists():
        why.append("ssh was run")
        world.ssh_log.unlink()
    if _git(result.repo, "worktree", "list", "--porcelain").count("worktree ") != 1:
        why.append("a base worktree was left behind")
    if not why and not case.safe(result, world):
        why.append("the case's own condition failed")
    return why


ALL = ["--format", "json", "-o", "out.json", "--format", "markdown", "-o", "out.md", "--format", "sarif", "-o",
       "out.sarif", "--format", "junit", "-o", "out.xml", "--format", "codequality", "-o", "out.cq.json",
       "--format", "text"]
OUTS = ("out.json", "out.md", "out.sarif", "out.xml", "out.cq.json")


def _has(*needles: str) -> Callable[[Result, World], bool]:
    return lambda r, w: all(n in r.text() for n in needles)


def _rc(code: int, *needles: str) -> Callable[[Result, World], bool]:
    return lambda r, w: r.rc == code and all(n in r.text() for n in needles)


def _no_command_lines(r: Result, w: World) -> bool:
    return not any(line.startswith("::") for line in r.out.splitlines())


def render_secrets() -> list[Case]:
    base = ["check", ".", "--base", "main", *ALL]
    cases = []
    for name, target in (("proc-environ", "/proc/self/environ"), ("git-config", "../../../.git/config"),
                         ("outside-file", "OUTSIDE/secret.txt"), ("proc-fd-env", "/proc/1/environ")):
        cases.append(Case("render-secrets", f"helm-files-get-{name}", {}, {**CHART,
                          "charts/app/templates/leak.yaml": FILES_GET}, base, _has("render/path-outside-repo"),
                          links={"charts/app/files/x": target}, outputs=OUTS))
    cases += [
        Case("render-secrets", "kustomize-root-git-config", {}, {
            "argo/app.yaml": argo_app("."),
            "kustomization.yaml": "configMapGenerator:\n- name: g\n  files: [.git/config]\n"}, base,
            _has("render/path-outside-repo"), outputs=OUTS),
        Case("render-secrets", "kustomize-generator-config-git", {}, {
            "argo/app.yaml": argo_app("."), "kustomization.yaml": "generators: [gen.yaml]\n",
            "gen.yaml": "apiVersion: builtin\nkind: SecretGenerator\nmetadata: {name: g}\nfiles: [.git/config]\n"},
            base, _has("render/path-outside-repo"), outputs=OUTS),
        Case("render-secrets", "helm-chart-at-root-git", {}, {
            "Chart.yaml": "apiVersion: v2\nname: r\nversion: 0.1.0\n", "values.yaml": "a: 1\n",
            "values-prod.yaml": "a: 2\n", "templates/cm.yaml": FILES_GET.replace("files/x", ".git/config")},
            base, _has(".git folder is never rendered"), outputs=OUTS),
        Case("render-secrets", "helm-repeat-bomb-new-chart", {}, {**CHART, "charts/app/templates/cm.yaml":
             'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: {a: {{ repeat 2000000000 "abcdefgh" | quote }}}\n'},
             base, _rc(1, "render/failed"), outputs=OUTS),
        Case("render-secrets", "kustomize-env-var-in-generator", {}, {
            **KBASE, "overlays/prod/kustomization.yaml":
            "resources: [../../base]\nconfigMapGenerator:\n- name: e\n  envs: [/proc/self/environ]\n"},
            base, _has("render/path-outside-repo"), outputs=OUTS),
    ]
    return cases


def outside_reads() -> list[Case]:
    base = ["check", ".", "--base", "main", *ALL]
    comp = "    kustomize: {components: ['../OUTSIDE/dir']}\n"
    flux = ("apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata: {name: apps, namespace: f}\n"
            "spec: {interval: 1m, path: ./apps, prune: true, sourceRef: {kind: GitRepository, name: f}, "
            "components: ['../OUTSIDE/dir']}\n")
    cases = [
        Case("outside-reads", "argo-path-dotdot", {}, {"argo/app.yaml": argo_app("../../../../../../../OUTSIDE/dir")},
             base, _has("outside the repository"), outputs=OUTS),
        Case("outside-reads", "argo-path-absolute", {}, {"argo/app.yaml": argo_app("/../../../../../../OUTSIDE/dir")},
             base, _has("outside the repository"), outputs=OUTS),
        Case("outside-reads", "argo-components-outside", {}, {
            "argo/app.yaml": argo_app("apps", comp.replace("../OUTSIDE", "../../../../../../../OUTSIDE")),
            "apps/kustomization.yaml": "resources: [cm.yaml]\n"}, base, _has("outside the repository"), outputs=OUTS),
        Case("outside-reads", "flux-components-outside", {}, {
            "clusters/prod/apps.yaml": flux.replace("../OUTSIDE", "../../../../../../../OUTSIDE"),
            "apps/kustomization.yaml": "resources: [cm.yaml]\n"}, base, lambda r, w: True, outputs=OUTS),
        Case("outside-reads", "argo-helm-valuefiles-outside", {}, {
            **CHART, "argo/app.yaml": argo_app("charts/app", "    helm: {valueFiles: [../../../../../../../OUTSIDE/secret.txt]}\n")},
            base, _has("outside the repository"), outputs=OUTS),
        Case("outside-reads", "plain-env-symlinked-yaml", {}, {
            ".prcheck.yaml": "environments:\n- {name: plain, path: envs/plain}\n",
            "envs/plain/ok.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ok}\n"}, base,
            _has("is a symlink"), links={"envs/plain/leak.yaml": "OUTSIDE/cm.yaml"}, outputs=OUTS),
        Case("outside-reads", "helm-template-dir-symlink", {}, CHART, base, _has("is a symlink"),
             links={"charts/app/templates/ext": "OUTSIDE/dir"}, outputs=OUTS),
        Case("outside-reads", "kustomize-resource-symlink-dir", {}, {
            **KBASE, "overlays/prod/kustomization.yaml": "resources: [../../base, ext]\n"}, base,
            _has("outside the repository"), links={"overlays/prod/ext": "OUTSIDE/dir"}, outputs=OUTS),
        Case("outside-reads", "path-arg-symlinked-dir", {}, {}, ["check", "clusters", "--format", "json"],
             _has("path/symlink-outside-repo"), links={"clusters": "OUTSIDE"}),
        Case("outside-reads", "path-arg-symlinked-file", {}, {}, ["check", "apps/prod.yaml", "--format", "json"],
             _has("path/symlink-outside-repo"), links={"apps/prod.yaml": "OUTSIDE/cm.yaml"}),
        Case("outside-reads", "path-arg-below-symlinked-dir", {}, {}, ["check", "clusters/dir", "--format", "json"],
             _has("path/symlink-outside-repo"), links={"clusters": "OUTSIDE"}),
    ]
    forms = ["deploy@127.0.0.1:org/repo.git//x", "ci@127.0.0.1:PORT/repo", "ssh://git@127.0.0.1:PORT/r.git",
             "git::http://127.0.0.1:PORT/r.git", "http://127.0.0.1:PORT/x.yaml", "127.0.0.1:PORT/org/repo",
             "https://127.0.0.1:PORT/org/repo//x?ref=v1&token=CANARY"]
    for key in ("resources", "components", "generators", "transformers", "validators", "crds", "configurations"):
        for form in forms:
            cases.append(Case("outside-reads", f"remote-{key}-{form.split(':')[0].split('@')[0][:8]}", {}, {
                **KBASE, "overlays/prod/kustomization.yaml": f"resources: [../../base]\n{key}: ['{form}']\n"},
                base, _has("render/remote-refused"), outputs=OUTS))
    cases.append(Case("outside-reads", "helm-remote-chart-oci", {}, {
        ".prcheck.yaml": "environments:\n- {name: r, helm: {chart: 'oci://127.0.0.1:PORT/c'}}\n"}, base,
        lambda r, w: True, outputs=OUTS))  # refused, or unchanged on both sides: never fetched either way
    return cases


def output_writes() -> list[Case]:
    def victim(repo: Path, w: World) -> None:
        (w.outside / "victim.sh").write_text("#!/bin/sh\necho victim\n")

    def intact(r: Result, w: World) -> bool:
        return (w.outside / "victim.sh").read_text() == "#!/bin/sh\necho victim\n" and \
            not (w.outside / "new.xml").exists() and not (w.outside / "out.json").exists()
    pod = {"apps/pod.yaml": 'apiVersion: v1\nkind: Pod\nmetadata: {name: "p $(touch PWNED)"}\n'
                            'spec: {containers: [{name: c, image: "nginx:1"}]}\n'}
    return [
        Case("output-writes", "report-symlink-existing", {}, pod,
             ["check", ".", "--format", "codequality", "-o", "gl-code-quality-report.json"], intact,
             links={"gl-code-quality-report.json": "OUTSIDE/victim.sh"}, before=victim, rc_ok=(2,)),
        Case("output-writes", "report-symlink-new", {}, pod,
             ["check", ".", "--format", "junit", "-o", "prcheck-junit.xml"], intact,
             links={"prcheck-junit.xml": "OUTSIDE/new.xml"}, before=victim, rc_ok=(2,)),
        Case("output-writes", "report-symlinked-folder", {}, pod,
             ["check", ".", "--format", "json", "-o", "reports/out.json"], intact,
             links={"reports": "OUTSIDE"}, before=victim, rc_ok=(2,)),
        Case("output-writes", "diff-report-symlink", {}, pod,
             ["diff", "--base", "main", "--format", "json", "-o", "d.json"], intact,
             links={"d.json": "OUTSIDE/victim.sh"}, before=victim, rc_ok=(2,)),
    ]


def verdict() -> list[Case]:
    trusted = ["check", ".", "--base", "main", "--trusted-ref", "main", *ALL]
    cases = []
    for name, config in (("fail-on-never", "fail_on: never\n"), ("exclude-all", "exclude: ['**']\n"),
                         ("builtin-false", "builtin: false\n"),
                         ("rule-disabled", "rules: {k8s/privileged-container: {enabled: false}}\n"),
                         ("exceptions-all", "exceptions: [{rule: '*', reason: x}]\n"),
                         ("limits-raised", "limits: {max_expanded_nodes: 1000000000000, max_depth: 100000}\n"),
                         ("jobs-40", "jobs: 40\n"),
                         ("environments-redirect", "environments: [{name: prod, path: base}]\n")):
        cases.append(Case("verdict", f"pr-config-{name}", {".prcheck.yaml": "exclude: [vendor]\n"},
                          {".prcheck.yaml": config, "apps/pod.yaml": PRIVILEGED}, trusted,
                          _rc(1, "k8s/privileged-container"), outputs=OUTS))
    cases.append(Case("verdict", "pr-config-opa-url", {".prcheck.yaml": "exclude: [vendor]\n"}, {
        ".prcheck.yaml": "policies: [pol]\nrego_engine: opa\nopa_url: http://127.0.0.1:PORT\n",
        "pol/p.rego": "package main\ndeny contains 'x' if { false }\n", "apps/pod.yaml": PRIVILEGED}, trusted,
        _rc(1, "k8s/privileged-container"), outputs=OUTS))
    policy = 'package main\nimport rego.v1\ndeny contains "pods are forbidden here" if input.kind == "Pod"\n'
    cases.append(Case("verdict", "pr-edits-policy", {".prcheck.yaml": "policies: [policy]\n", "policy/p.rego": policy},
                      {"policy/p.rego": "package main\n", "apps/pod.yaml": PRIVILEGED}, trusted,
                      _rc(1, "pods are forbidden here"), outputs=OUTS))
    cases.append(Case("verdict", "pr-adds-exception-rule", {".prcheck.yaml": "policies: [policy]\n",
                                                             "policy/p.rego": policy},
                      {"policy/e.rego": "package main\nimport rego.v1\nexception contains rules if { rules := [\"\"] }\n",
                       "apps/pod.yaml": PRIVILEGED}, trusted, _rc(1, "pods are forbidden here"), outputs=OUTS))
    for name, marker in (("inline", "# prcheck:ignore[*] trust me\n"), ("annotation", "")):
        pod = marker + PRIVILEGED if marker else PRIVILEGED.replace(
            "metadata: {name: p}", "metadata: {name: p, annotations: {prcheck.dev/ignore: '*'}}")
        cases.append(Case("verdict", f"pr-suppression-{name}", {}, {"apps/pod.yaml": pod},
                          ["check", ".", "--base", "main", "--trusted-ref", "main", "--suppressions", "trusted", *ALL],
                          _rc(1, "k8s/privileged-container"), outputs=OUTS))
    return cases


def hidden_edits() -> list[Case]:
    token = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"
    hard = ('apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  automountServiceAccountToken: false\n'
            '  containers:\n  - name: c\n    image: "nginx:1"\n    securityContext:\n      runAsNonRoot: true\n'
            '      readOnlyRootFilesystem: true\n      allowPrivilegeEscalation: false\n'
            '      capabilities: {drop: [ALL]}\n')
    alias = ('apiVersion: v1\nkind: Pod\nmetadata: {name: p}\n'
             'x-defaults:\n  safe: &safe {privileged: false}\n  debug: &debug {privileged: true}\n'
             'spec:\n  containers:\n  - name: c\n    image: "nginx:1"\n    securityContext: *safe\n')
    args = ["check", ".", "--base", "main", *ALL]
    return [
        Case("hidden-edits", "token-into-block-scalar",
             {"c.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata:\n  app.conf: |\n    token=CHANGEME\n"},
             {"c.yaml": f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: c}}\ndata:\n  app.conf: |\n    token={token}\n"},
             args, lambda r, w: r.rc == 1),
        Case("hidden-edits", "token-into-folded-scalar",
             {"c.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata:\n  app.conf: >\n    token=CHANGEME\n"},
             {"c.yaml": f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: c}}\ndata:\n  app.conf: >\n    token={token}\n"},
             args, lambda r, w: r.rc == 1),
        Case("hidden-edits", "deleted-hardening-lines", {"pod.yaml": hard},
             {"pod.yaml": "\n".join(hard.splitlines()[:8]) + "\n"}, [*args, "--fail-on", "warning"],
             lambda r, w: r.rc == 1),
        Case("hidden-edits", "alias-switch", {"pod.yaml": alias}, {"pod.yaml": alias.replace("*safe\n", "*debug\n")},
             args, _rc(1, "k8s/privileged-container")),
    ]


def no_abort(envs: int) -> list[Case]:
    def nested(depth: int) -> str:
        return "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: deep}\nz: " + "[" * depth + "]" * depth + "\n"
    files = {
        "nesting-126": {"bad.yaml": nested(126)}, "nesting-199": {"bad.yaml": nested(199)},
        "inf-nan": {"bad.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec: {replicas: .inf, x: .nan}\n"},
        "huge-int": {"bad.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: h}\nx: " + "9" * 400 + "\n"},
        "binary-key": {"bad.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\ndata:\n  ? !!binary aGk=\n  : x\n"},
        "kind-mapping": {"bad.yaml": "apiVersion: v1\nkind: {a: b}\nmetadata: {name: k}\n"},
        "kind-300": {"bad.yaml": f"apiVersion: v1\nkind: {'K' * 300}\nmetadata: {{name: k}}\n"},
        "kind-huge-int": {"bad.yaml": f"apiVersion: v1\nkind: {'7' * 400}\nmetadata: {{name: k}}\n"},
        "deep-kustomization": {"kustomization.yaml": "resources: " + "[" * 900 + "]" * 900 + "\n"},
        "alias-bombs-one-file": {"bad.yaml": "".join(BOMB_DOC.format(i=i) for i in range(3000))},
        "alias-bombs-many-files": {f"bombs/b{n}.yaml": BOMB_DOC.format(i=0) + BOMB_DOC.format(i=1) for n in range(40)},
        "config-alias-bomb": {".prcheck.yaml": LAUGHS.replace("a: &a", "exclude: &a")},
        "config-deep": {".prcheck.yaml": "a: " + "[" * 3000 + "]" * 3000 + "\n"},
    }
    cases = [Case("no-abort", name, {}, {"apps/pod.yaml": PRIVILEGED, **f}, ["check", ".", *ALL],
                  (lambda r, w: "privileged" in r.text()) if not name.startswith("config") else (lambda r, w: True),
                  outputs=OUTS, rc_ok=(1, 2) if name.startswith("config") else (1,)) for name, f in files.items()]
    base = ["check", ".", "--base", "main", *ALL]
    cases += [
        Case("no-abort", "symlink-loop", {}, {"apps/pod.yaml": PRIVILEGED}, ["check", ".", *ALL],
             _has("path/symlink-loop"), links={"loop.yaml": "loop.yaml"}, outputs=OUTS),
        Case("no-abort", "dev-and-proc-links-in-env", {}, KBASE, base, lambda r, w: True,
             links={"overlays/prod/zero": "/dev/zero", "overlays/prod/out": "/proc/self/fd/1",
                    "overlays/prod/rand": "/dev/urandom"}, outputs=OUTS),
        Case("no-abort", "appset-alias-bomb", {}, {"argo/set.yaml": (
            "apiVersion: argoproj.io/v1alpha1\nkind: ApplicationSet\nmetadata: {name: s}\nspec:\n"
            "  generators: [{list: {elements: [{env: a}]}}]\n  template:\n    metadata: {name: '{{env}}'}\n"
            "    spec:\n      source: {repoURL: x, path: apps}\n"
            + textwrap.indent(LAUGHS, "      ")), "apps/pod.yaml": PRIVILEGED}, base, _has("privileged"), outputs=OUTS),
        Case("no-abort", "deep-argo-file", {}, {"argo/deep.yaml": "apiVersion: argoproj.io/v1alpha1\nkind: Application\n"
             "metadata: {name: d}\nspec: " + "[" * 900 + "]" * 900 + "\n", "apps/pod.yaml": PRIVILEGED}, base,
             _has("privileged"), outputs=OUTS),
        Case("no-abort", "head-yml-environments-garbage", {}, {".prcheck.yml": "environments: [1, 2]\n",
                                                               "apps/pod.yaml": PRIVILEGED}, base, _has("privileged"),
             outputs=OUTS),
        Case("no-abort", "helm-until-loop", {}, {**CHART, "charts/app/templates/cm.yaml":
             "{{ range until 1000000000 }}{{ . }}{{ end }}\n"}, [*base[:4], "-j", "2", *base[4:]],
             lambda r, w: True, outputs=OUTS),
    ]
    if envs:
        many = {f"overlays/e{i}/kustomization.yaml": "resources: [../../base]\n" for i in range(envs)}
        cases.append(Case("no-abort", f"{envs}-environments", {**KBASE, **many},
                          {"base/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {a: changed}\n"},
                          ["check", ".", "--base", "main", "-q", "--format", "json"],
                          lambda r, w: "render/timeout" not in r.text()))
    return cases


def message_secrets() -> list[Case]:
    args = ["check", ".", *ALL]
    dep = ("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  selector: {matchLabels: {a: b}}\n"
           "  template:\n    metadata: {labels: {a: b}}\n    spec:\n      containers:\n      - name: c\n"
           "        image: nginx:1\n        env: {DB_PASSWORD: CANARY}\n")
    return [
        Case("message-secrets", "schema-env-as-map", {}, {"d.yaml": dep}, args, lambda r, w: True, outputs=OUTS),
        Case("message-secrets", "schema-configmap-list", {}, {"c.yaml": "apiVersion: v1\nkind: ConfigMap\n"
             "metadata: {name: c}\ndata: {token: [CANARY]}\n"}, args, lambda r, w: True, outputs=OUTS),
        Case("message-secrets", "ingress-url-password", {}, {"i.yaml": "apiVersion: networking.k8s.io/v1\n"
             "kind: Ingress\nmetadata: {name: i, annotations: {x: [https://u:CANARY@h.example.com]}}\n"},
             args, lambda r, w: True, outputs=OUTS),
        Case("message-secrets", "duplicate-key-secret", {}, {"c.yaml": "apiVersion: v1\nkind: ConfigMap\n"
             "metadata: {name: c}\ndata:\n  ghp_CANARYabcdef: a\n  ghp_CANARYabcdef: b\n"}, args, lambda r, w: True, outputs=OUTS),
        Case("message-secrets", "helm-fail-with-password", {}, {**CHART, "charts/app/values-prod.yaml":
             "db: {password: CANARY}\n", "charts/app/templates/f.yaml":
             '{{ fail (printf "bad password %s" .Values.db.password) }}\n'},
             ["check", ".", "--base", "main", *ALL], lambda r, w: True, outputs=OUTS),
        Case("message-secrets", "configmap-ini-password-diff", {**KBASE}, {
            "base/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata:\n  config.ini: |\n"
                            "    [db]\n    password=CANARY\n"}, ["check", ".", "--base", "main", *ALL],
             lambda r, w: True, outputs=OUTS),
        Case("message-secrets", "config-error-quotes-url", {}, {".prcheck.yaml": "opa_url: [https://u:CANARY@opa]\n"},
             ["check", "."], lambda r, w: True, rc_ok=(1, 2)),
        Case("message-secrets", "remote-url-query-token", {}, {
            **KBASE, "overlays/prod/kustomization.yaml": "resources: ['git@github.com:o/r?token=CANARY']\n"},
            ["check", ".", "--base", "main", *ALL], _has("render/remote-refused"), outputs=OUTS),
    ]


def ci_steering() -> list[Case]:
    evil_name = "q\n::error file=apps/y.yaml::spoofed\n::stop-commands::deadbeef"
    return [
        Case("ci-steering", "resource-name-newlines", {}, {"apps/q.yaml": "apiVersion: v1\nkind: Pod\n"
             f"metadata: {{name: {evil_name!r}}}\nspec: {{containers: [{{name: c, image: 'nginx:1'}}]}}\n".replace("'", '"')},
             ["check", ".", "--format", "text"], _no_command_lines),
        Case("ci-steering", "file-name-newlines", {}, {
            "apps/x\n::warning file=README.md,line=1::prcheck: all checks passed\n.yaml": PRIVILEGED},
             ["check", ".", "--format", "text"], _no_command_lines),
        Case("ci-steering", "file-named-like-an-option", {}, {"--config=evil.yaml": "a: b\n",
             "evil.yaml": "exclude: ['**']\nfail_on: never\n", "apps/pod.yaml": PRIVILEGED},
             ["check", "--no-render", "--", "--config=evil.yaml", "apps/pod.yaml", "evil.yaml"],
             _rc(1, "privileged")),
    ]


CLASSES: dict[str, Callable[[argparse.Namespace], list[Case]]] = {
    "render-secrets": lambda a: render_secrets(),
    "outside-reads": lambda a: outside_reads(),
    "output-writes": lambda a: output_writes(),
    "verdict": lambda a: verdict(),
    "hidden-edits": lambda a: hidden_edits(),
    "no-abort": lambda a: no_abort(a.envs),
    "message-secrets": lambda a: message_secrets(),
    "ci-steering": lambda a: ci_steering(),
}


def _listener() -> tuple[socket.socket, list[str]]:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    connections: list[str] = []

    def accept() -> None:
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            connections.append("connection")
            conn.close()

    threading.Thread(target=accept, daemon=True).start()
    return server, connections


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--class", dest="only", action="append", choices=sorted(CLASSES), help="run only this class")
    parser.add_argument("--envs", type=int, default=1000, help="environments in the many-environments case (0: skip)")
    parser.add_argument("-v", "--verbose", action="store_true", help="print every unsafe case and why")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="prcheck-hostile-"))
    server, connections = _listener()
    canary = "canary" + secrets.token_hex(12)
    outside = tmp / "outside"
    for rel, text in {"secret.txt": f"{canary}\n",
                      "cm.yaml": f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: o}}\ndata: {{c: {canary}}}\n",
                      "dir/cm.yaml": f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: od}}\ndata: {{c: {canary}}}\n",
                      "dir/kustomization.yaml": "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\n"
                                                "resources: [cm.yaml]\n"}.items():
        (outside / rel).parent.mkdir(parents=True, exist_ok=True)
        (outside / rel).write_text(text)
    ssh_log = tmp / "ssh.log"
    stub = tmp / "ssh-stub.sh"
    stub.write_text(f"#!/bin/sh\necho \"ssh $*\" >> {ssh_log}\nexit 255\n")
    stub.chmod(0o755)
    env = {"GITHUB_TOKEN": canary, "DEPLOY_SECRET": canary, "CI_JOB_TOKEN": canary, "AWS_SECRET_ACCESS_KEY": canary,
           "GIT_SSH_COMMAND": str(stub), "GIT_SSH": str(stub)}
    world = World(tmp, canary, outside, server.getsockname()[1], connections, ssh_log, env)
    totals = [0, 0]
    try:
        for name in args.only or list(CLASSES):
            cases = CLASSES[name](args)
            safe = 0
            started = time.monotonic()
            for index, case in enumerate(cases):
                where = tmp / "cases" / f"{name}-{index}"
                result = run(case, world, where)
                why = judge(case, result, world)
                safe += not why
                if why and args.verbose:
                    print(f"  UNSAFE {name}/{case.name}: {'; '.join(why)} (rc {result.rc}, {result.seconds:.1f} s)")
                shutil.rmtree(where, ignore_errors=True)
            totals[0] += safe
            totals[1] += len(cases)
            print(f"{name:<16} cases safe {safe}/{len(cases)}  ({time.monotonic() - started:.0f} s)", flush=True)
        print(f"{'all classes':<16} cases safe {totals[0]}/{totals[1]}")
    finally:
        server.close()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
