"""Build hook: compile the C YAML loader (csrc/fastyaml.c over the vendored libyaml) into the package.

The extension only makes loading faster: prcheck gives the same results without it. So a machine
without a C compiler still installs (with a warning) and runs the pure-Python path. An editable
install builds it in place, next to the sources the install points at; a wheel carries it.

For development without reinstalling: `python hatch_build.py` builds it in place.
"""

from __future__ import annotations

import os
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


class CLoaderBuildHook(BuildHookInterface):  # type: ignore[misc, valid-type]
    """hatchling's `custom` build hook: the compiled loader goes into the wheel (or next to
    the sources, for an editable install), and the wheel is tagged for this platform."""

    def initialize(self, version: str, build_data: dict) -> None:
        if self.target_name != "wheel":
            return
        root = Path(self.root)
        if version == "editable":
            built = build_extension(root, inplace=True)
        else:
            self._build_dir = tempfile.TemporaryDirectory(prefix="prcheck-ext-")
            built = build_extension(root, inplace=False, build_dir=Path(self._build_dir.name))
            if built is not None:
                build_data["force_include"][str(built)] = f"{MODULE.replace('.', '/').rsplit('/', 1)[0]}/{built.name}"
        if built is not None:
            build_data["pure_python"] = False
            build_data["infer_tag"] = True

    def finalize(self, version: str, build_data: dict, artifact_path: str) -> None:
        build_dir = getattr(self, "_build_dir", None)
        if build_dir is not None:
            build_dir.cleanup()


if __name__ == "__main__":
    with tempfile.TemporaryDirectory(prefix="prcheck-ext-") as scratch:  # objects outside the tree
        path = build_extension(Path(__file__).resolve().parent, inplace=True, build_dir=Path(scratch))
    print(path or "not built")
    sys.exit(0 if path else 1)
