"""Where the shipped policy pack and schemas live.

A wheel carries them under `prcheck/_data/`; an editable install or a source
checkout finds them at the repository root, beside the package.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def data_dir(name: str) -> Path:
    """`name` is `policies` or `schemas`."""
    shipped = _PACKAGE / "_data" / name
    if shipped.is_dir():
        return shipped
    return _PACKAGE.parent / name


def package_dir(name: str) -> Path:
    """The folder of an installed package, found without importing it
    (kubernetes-validate's own import pulls in pure-Python jsonschema)."""
    import importlib.util

    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(f"the {name} package is not installed")
    return Path(next(iter(spec.submodule_search_locations))).resolve()
