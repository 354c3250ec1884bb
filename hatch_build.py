"""Build hook: compile the C YAML loader (csrc/fastyaml.c over the vendored libyaml) into the package,
and the patterns of `prcheck/regex_seed_patterns.txt` into a seed for `re`'s cache (see
`prcheck/regex_seed.py`).

Both only make prcheck faster: it gives the same results without them. So a machine without a C
compiler still installs (with a warning) and runs the pure-Python path, and a seed that cannot be
made is left out (with a warning). An editable install builds them in place, next to the sources
the install points at; a wheel carries them.

For development without reinstalling: `python hatch_build.py` builds them in place.
"""

from __future__ import annotations

import ast
import importlib.util
import os
import re
import sys
import tempfile
import warnings
from pathlib import Path

try:
    from hatchling.builders.hooks.plugin.interface import BuildHookInterface
except ImportError:  # run as a script: only `build_extension` is needed
    BuildHookInterface = object  # type: ignore[assignment, misc]

MODULE = "prcheck.sources._fastyaml"
LIBYAML = ("api.c", "reader.c", "scanner.c", "parser.c")
LIBYAML_VERSION = (0, 2, 5)
REGEX_PATTERNS = Path("prcheck", "regex_seed_patterns.txt")


def build_extension(root: Path, inplace: bool, build_dir: "Path | None" = None) -> "Path | None":
    """Compile the extension; its path, or None when it could not be built."""
    from setuptools import Distribution, Extension

    major, minor, patch = LIBYAML_VERSION
    unix = sys.platform != "win32"
    extension = Extension(
        MODULE,
        sources=["csrc/fastyaml.c", *(f"csrc/libyaml/{name}" for name in LIBYAML)],
        include_dirs=["csrc/libyaml"],
        define_macros=[("YAML_VERSION_MAJOR", str(major)), ("YAML_VERSION_MINOR", str(minor)),
                       ("YAML_VERSION_PATCH", str(patch)), ("YAML_VERSION_STRING", f'"{major}.{minor}.{patch}"'),
                       ("YAML_DECLARE_STATIC", "1")],
        # only PyInit is exported: libyaml's symbols never meet PyYAML's copy of them
        extra_compile_args=["-fvisibility=hidden", "-O2"] if unix else [],
        optional=True,
    )
    here = os.getcwd()
    os.chdir(root)  # setuptools wants source paths relative to the project
    try:
        dist = Distribution({"name": "prcheck", "ext_modules": [extension], "script_name": "hatch_build.py"})
        command = dist.get_command_obj("build_ext")
        command.inplace = inplace  # type: ignore[attr-defined]
        if build_dir is not None:
            command.build_lib = str(build_dir / "lib")  # type: ignore[attr-defined]
            command.build_temp = str(build_dir / "temp")  # type: ignore[attr-defined]
        command.ensure_finalized()
        try:
            command.run()
        except Exception as exc:  # noqa: BLE001 - optional: the pure-Python path still works
            warnings.warn(f"the C YAML loader was not built ({exc}); prcheck loads YAML more slowly without it",
                          stacklevel=1)
            return None
        built = Path(root, command.get_ext_fullpath(MODULE)) if inplace else Path(command.get_ext_fullpath(MODULE))
    finally:
        os.chdir(here)
    return built if built.is_file() else None


def read_patterns(path: Path) -> list[tuple[str | bytes, int]]:
    """(pattern, flags) per line of the pattern list: `origin<TAB>flags<TAB>ascii(pattern)`."""
    patterns = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            _, flags, pattern = line.split("\t", 2)
            patterns.append((ast.literal_eval(pattern), int(flags)))
    return patterns


def _plain(value: object) -> object:
    """`value` with ints in place of int subclasses (`re`'s named opcodes), which marshal refuses."""
    if isinstance(value, (list, tuple)):
        return type(value)(map(_plain, value))
    if isinstance(value, dict):
        return {_plain(k): _plain(v) for k, v in value.items()}
    return int(value) if isinstance(value, int) and not isinstance(value, bool) else value


def _compile_watched(pattern: str | bytes, flags: int) -> tuple[re.Pattern, list[tuple]]:
    """`re.compile(pattern, flags)` past the cache, and the argument tuples it passed `_sre.compile`."""
    import _sre

    real, received = _sre.compile, []

    def watched(*args: object) -> object:
        received.append(args)
        return real(*args)

    re.purge()
    _sre.compile = watched
    try:
        return re.compile(pattern, flags), received
    finally:
        _sre.compile = real


def sre_calls(patterns: list[tuple[str | bytes, int]]) -> list[tuple[int, tuple]]:
    """(flags, the arguments `re` hands `_sre.compile`) per pattern, each checked on this interpreter:
    the call gives a pattern equal to `re.compile`'s, found by `re.compile` when placed in `re._cache`
    under (type, pattern, flags). A pattern this `re` rejects is left out; a cache that does not
    work that way raises, and nothing is seeded."""
    import _sre

    calls = []
    try:
        for pattern, flags in patterns:
            try:
                compiled, received = _compile_watched(pattern, flags)
            except re.error:
                continue
            if len(received) != 1:
                raise RuntimeError(f"re.compile({pattern!r}) did not make one _sre.compile call")
            args = _plain(received[0])
            again = _sre.compile(*args)
            key = (type(pattern), pattern, flags)
            same = (again == compiled and again.groupindex == compiled.groupindex and again.groups == compiled.groups
                    and re._cache.get(key) is compiled)  # type: ignore[attr-defined]
            re.purge()
            re._cache[key] = again  # type: ignore[attr-defined]
            if not same or re.compile(pattern, flags) is not again:
                raise RuntimeError(f"re's cache does not serve {pattern!r} as prcheck.regex_seed places it")
            calls.append((flags, args))
    finally:
        re.purge()
    return calls


def build_regex_seed(root: Path, folder: Path) -> Path | None:
    """Write the regex seed for this interpreter into `folder`; its path, or None when it could not be made."""
    try:
        spec = importlib.util.spec_from_file_location("_prcheck_regex_seed", root / "prcheck" / "regex_seed.py")
        seed = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
        spec.loader.exec_module(seed)  # type: ignore[union-attr]
        path = Path(seed.seed_path(str(folder)))
        data = seed.encode(sre_calls(read_patterns(root / REGEX_PATTERNS)))
        partial = path.with_name(path.name + ".part")
        partial.write_bytes(data)
        os.replace(partial, path)  # a reader never sees half a file
    except Exception as exc:  # noqa: BLE001 - optional: without it `re` compiles as usual
        warnings.warn(f"the regex seed was not built ({exc}); prcheck starts a little more slowly without it",
                      stacklevel=1)
        return None
    return path


class CLoaderBuildHook(BuildHookInterface):  # type: ignore[misc, valid-type]
    """hatchling's `custom` build hook: the compiled loader and the regex seed go into the wheel
    (or next to the sources, for an editable install), and the wheel is tagged for this platform."""

    def initialize(self, version: str, build_data: dict) -> None:
        if self.target_name != "wheel":
            return
        root = Path(self.root)
        if version == "editable":
            built = build_extension(root, inplace=True)
            build_regex_seed(root, root / "prcheck")
        else:
            self._build_dir = tempfile.TemporaryDirectory(prefix="prcheck-ext-")
            scratch = Path(self._build_dir.name)
            built = build_extension(root, inplace=False, build_dir=scratch)
            if built is not None:
                build_data["force_include"][str(built)] = f"{MODULE.replace('.', '/').rsplit('/', 1)[0]}/{built.name}"
            seed = build_regex_seed(root, scratch)
            if seed is not None:
                build_data["force_include"][str(seed)] = f"prcheck/{seed.name}"
        if built is not None:
            build_data["pure_python"] = False
            build_data["infer_tag"] = True

    def finalize(self, version: str, build_data: dict, artifact_path: str) -> None:
        build_dir = getattr(self, "_build_dir", None)
        if build_dir is not None:
            build_dir.cleanup()


if __name__ == "__main__":
    with tempfile.TemporaryDirectory(prefix="prcheck-ext-") as scratch:  # objects outside the tree
        here = Path(__file__).resolve().parent
        path = build_extension(here, inplace=True, build_dir=Path(scratch))
    seed = build_regex_seed(here, here / "prcheck")
    print(path or "not built")
    print(seed or "regex seed not built")
    sys.exit(0 if path and seed else 1)
