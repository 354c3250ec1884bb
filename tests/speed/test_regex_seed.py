"""The regex seed: patterns compiled at build time and placed in `re`'s cache at start must be
the very patterns `re` would compile, and any seed file that is not this interpreter's intact
one must change nothing."""

from __future__ import annotations

import ast
import importlib.util
import marshal
import os
import re
import subprocess
import sys
import warnings
from binascii import crc32
from pathlib import Path

import pytest

from prcheck import regex_seed

ROOT = Path(__file__).resolve().parents[2]
PATTERNS = ROOT / "prcheck" / "regex_seed_patterns.txt"
SAMPLES = ["", "a", "abc DEF 123", "apiVersion: v1\nkind: Pod\n", "password=hunter2 token: abcdefghijklmnopqrstuvwxyz0123",
           "https://user:secret@example.com/x?api_key=1", "1.5Gi 100m 2024-01-01T00:00:00Z 0x1F -3e5 1h30m",
           "# prcheck:ignore[a, b] because", "\x00\t\x7f\x85\ud800\ufffe\U0001f600 caf\u00e9", "{{ .name }} ${VAR:-x}",
           "sha256:0123456789abcdef @0123456789abcdef0123456789abcdef01234567", "---\n# Source: x\nname: 'abcd'\n"]


def _hook():
    spec = importlib.util.spec_from_file_location("_hatch_build", ROOT / "hatch_build.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _built(tmp_path: Path) -> Path:
    path = _hook().build_regex_seed(ROOT, tmp_path)
    assert path is not None and path.parent == tmp_path
    return path


def _fresh(pattern, flags):
    """The pattern as `re` compiles it, past its cache."""
    return re._compiler.compile(pattern, flags)


def _matches(compiled, samples):
    return [[(m.span(), m.groups()) for m in compiled.finditer(s)] for s in samples]


def test_every_seeded_pattern_is_the_pattern_re_compiles(tmp_path: Path) -> None:
    listed = _hook().read_patterns(PATTERNS)
    pairs = regex_seed.decode(_built(tmp_path).read_bytes())
    assert len(listed) > 40 and [key[1:] for key, _ in pairs] == listed
    for (kind, pattern, flags), seeded in pairs:
        fresh = _fresh(pattern, flags)
        assert kind is type(pattern) and seeded is not fresh
        assert seeded == fresh, pattern  # flags, pattern text and code
        assert (seeded.pattern, seeded.flags, seeded.groups, seeded.groupindex) == (
            fresh.pattern, fresh.flags, fresh.groups, fresh.groupindex)
        samples = [s.encode("utf-8", "surrogatepass") for s in SAMPLES] if kind is bytes else SAMPLES
        assert _matches(seeded, samples) == _matches(fresh, samples), pattern


def test_the_list_holds_pyyamls_reader_class_exactly_and_pyyaml_gets_it_from_the_cache(tmp_path: Path) -> None:
    """The costly pattern of a run that imports PyYAML: `Reader.NON_PRINTABLE`, keyed by PyYAML's
    own text (a new PyYAML text means recording the list again), served before `yaml` is imported."""
    import yaml.reader

    tree = ast.parse(Path(yaml.reader.__file__).read_text(encoding="utf-8"))
    [text] = [node.value.args[0].value for node in ast.walk(tree) if isinstance(node, ast.Assign)
              and getattr(node.targets[0], "id", "") == "NON_PRINTABLE"]
    assert (text, 0) in _hook().read_patterns(PATTERNS)
    probe = ("import re, sys; from prcheck import regex_seed; regex_seed.place(regex_seed.decode(open(sys.argv[1], 'rb')"
             ".read())); key = (str, sys.argv[2], 0); seeded = re._cache[key]; import yaml.reader; "
             "compiled = yaml.reader.Reader.NON_PRINTABLE; fresh = re._compiler.compile(sys.argv[2], 0); "
             "print(compiled is seeded, compiled == fresh, compiled.pattern == sys.argv[2])")
    out = subprocess.run([sys.executable, "-c", probe, str(_built(tmp_path)), text], capture_output=True, text=True,
                         check=True, env={**os.environ, "PYTHONPATH": str(ROOT)}).stdout
    assert out == "True True True\n"


def _damaged(data: bytes) -> list[bytes]:
    key, calls = marshal.loads(data[4:])
    middle = len(data) // 2
    flipped = data[:middle] + bytes([data[middle] ^ 0x10]) + data[middle + 1:]

    def signed(key, calls) -> bytes:  # an intact file, but not this interpreter's
        body = marshal.dumps((key, calls))
        return crc32(body).to_bytes(4, "big") + body

    return [b"", b"\x00", data[:3], data[:middle], data[:-1], flipped, data + b"x", b"not a seed at all" * 10,
            data[4:], signed((*key[:-1], key[-1] + 1), calls),  # another MAXGROUPS
            signed(("cpython", "3.99.0", *key[2:]), calls), signed(key[:4] + (key[4] + 1,) + key[5:], calls),  # MAGIC
            signed(key, calls[:3] + [(0, ("(", 0, [1, 2, 3], 0, {}, ()))]), signed(key, "calls"), signed("key", calls)]


def test_a_stale_truncated_or_corrupt_seed_decodes_to_nothing(tmp_path: Path) -> None:
    for data in _damaged(_built(tmp_path).read_bytes()):
        assert regex_seed.decode(data) == [], data[:40]


def test_a_missing_or_damaged_seed_file_leaves_the_cache_as_it_was(tmp_path: Path, monkeypatch) -> None:
    good = _built(tmp_path).read_bytes()
    monkeypatch.setattr(regex_seed, "__file__", str(tmp_path / "regex_seed.py"))
    target = Path(regex_seed.seed_path(str(tmp_path)))
    re.purge()
    re.compile("a(b)c")
    before = dict(re._cache)
    for data in [None, *_damaged(good)]:
        if data is None:
            target.unlink()
        else:
            target.write_bytes(data)
        regex_seed.seed()
        assert dict(re._cache) == before and all(re._cache[k] is v for k, v in before.items())
    target.write_bytes(good)
    regex_seed.seed()
    assert len(re._cache) > len(before)
    assert re.compile("^\\s*#") is re._cache[(str, "^\\s*#", 0)]  # one of the listed patterns
    re.purge()


def test_seeding_never_replaces_a_cached_pattern_and_leaves_half_the_cache_free(tmp_path: Path, monkeypatch) -> None:
    pairs = regex_seed.decode(_built(tmp_path).read_bytes())
    re.purge()
    mine = re.compile("^\\s*#")
    regex_seed.place(pairs)
    assert re._cache[(str, "^\\s*#", 0)] is mine
    assert len(re._cache) == len(pairs)
    re.purge()
    monkeypatch.setattr(re, "_MAXCACHE", 20)
    regex_seed.place(pairs)
    assert len(re._cache) == 10
    assert all(re._cache[key] is pattern for key, pattern in pairs[:10])
    re.purge()


def _wheel_hook(module):
    """The hook as hatchling makes it for a wheel (or, where hatchling is not installed, its bare class)."""
    if module.BuildHookInterface is object:
        hook = module.CLoaderBuildHook()
        hook.root, hook.target_name = str(ROOT), "wheel"
        return hook
    return module.CLoaderBuildHook(str(ROOT), {}, None, None, str(ROOT / "dist"), "wheel")


def test_the_build_hook_writes_the_seed_into_the_wheel_and_in_place_for_editable(tmp_path: Path, monkeypatch) -> None:
    hook_module = _hook()
    monkeypatch.setattr(hook_module, "build_extension", lambda *args, **kwargs: None)  # only the seed here
    hook = _wheel_hook(hook_module)
    build_data: dict = {"force_include": {}}
    hook.initialize("standard", build_data)
    [(source, target)] = build_data["force_include"].items()
    assert target == f"prcheck/{Path(regex_seed.seed_path('.')).name}"
    assert regex_seed.decode(Path(source).read_bytes())
    hook.finalize("standard", build_data, "")
    assert not Path(source).exists()

    built: list[Path] = []
    monkeypatch.setattr(hook_module, "build_regex_seed", lambda root, folder: built.append(folder))
    hook.initialize("editable", {"force_include": {}})
    assert built == [ROOT / "prcheck"]


def test_a_seed_the_build_cannot_make_is_a_warning_and_no_file(tmp_path: Path, monkeypatch) -> None:
    hook_module = _hook()
    monkeypatch.setattr(hook_module, "REGEX_PATTERNS", Path("no-such-list.txt"))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert hook_module.build_regex_seed(ROOT, tmp_path) is None
    assert "regex seed was not built" in str(caught[0].message)
    assert list(tmp_path.iterdir()) == []


def test_a_listed_pattern_this_re_rejects_is_left_out() -> None:
    calls = _hook().sre_calls([("(", 0), ("a+", 0), ("(?P<x>b)", re.IGNORECASE)])
    assert [(flags, args[0]) for flags, args in calls] == [(0, "a+"), (re.IGNORECASE, "(?P<x>b)")]


# A source tree used without installing it (PYTHONPATH) has the seed only after
# `python hatch_build.py`; an install (and so CI) always builds it.
@pytest.mark.skipif(not Path(regex_seed.seed_path(os.path.dirname(regex_seed.__file__))).is_file()
                    and not os.environ.get("CI"), reason="regex seed not built in this source tree: python hatch_build.py")
def test_the_installed_seed_is_current_and_seeded_at_import() -> None:
    """The package's seed was made by this interpreter and `import prcheck` placed it in `re`'s cache."""
    path = Path(regex_seed.seed_path(os.path.dirname(regex_seed.__file__)))
    pairs = regex_seed.decode(path.read_bytes())
    assert pairs, "the seed was built by another interpreter: python hatch_build.py"
    probe = ("import ast, re, prcheck, sys; "
             "print(sum((type(p), p, f) in re._cache for p, f in ast.literal_eval(sys.stdin.read())))")
    keys = repr([key[1:] for key, _ in pairs])
    out = subprocess.run([sys.executable, "-c", probe], input=keys, capture_output=True, text=True, check=True,
                         env={**os.environ, "PYTHONPATH": str(ROOT)}).stdout
    assert out == f"{len(pairs)}\n"
