"""PyYAML's import: only when a run needs it.

An ordinary manifest is loaded by the project's C loader and prcheck's own data files come
from a parsed copy, so a one-file check needs no PyYAML at all; importing it costs ~8 ms
(its loader, dumper, constructor and resolver modules). The modules that may need it
(general-path loading, data files that are not the shipped ones, YAML output) import it
where they use it; `safe_load` and `yaml_error` serve the data readers.

`import yaml` loads `yaml.reader`, whose class body compiles `NON_PRINTABLE`, a negated
character class over nearly all of Unicode that `re` builds one code point at a time in
Python (~7 ms); the regex seed (`prcheck/regex_seed.py`) holds it compiled.
"""

from __future__ import annotations

from typing import Any


def safe_load(text: str) -> Any:
    """`yaml.load` with PyYAML's C SafeLoader (the pure-Python one costs a tenth of a second
    per run over prcheck's data files) where PyYAML has it."""
    import yaml

    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def yaml_error() -> type[Exception]:
    """`yaml.YAMLError`, for an `except` clause: the clause is evaluated only once something
    was raised, so a run that raises nothing never imports PyYAML for it."""
    import yaml

    return yaml.YAMLError
