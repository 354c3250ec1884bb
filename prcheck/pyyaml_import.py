"""PyYAML's import: only when a run needs it, and without the 7 ms its reader's one regex costs.

An ordinary manifest is loaded by the project's C loader and prcheck's own data files come
from a parsed copy, so a one-file check needs no PyYAML at all; importing it costs ~8 ms
(its loader, dumper, constructor and resolver modules). The modules that may need it
(general-path loading, data files that are not the shipped ones, YAML output) import it
where they use it; `safe_load` and `yaml_error` serve the data readers.

`import yaml` loads `yaml.reader`, whose class body compiles `NON_PRINTABLE`, a negated
character class over nearly all of Unicode. `re` builds the bitmap of such a class one
code point at a time in Python: ~60 M instructions, 5% of a one-file check, for a
pattern only PyYAML's pure-Python reader uses (prcheck loads with libyaml).
The same set of characters, written as the positive class of the few code points it
leaves out, compiles in a fraction of a millisecond. It is placed in `re`'s cache under
PyYAML's own pattern text before PyYAML is imported, so `yaml.reader` receives a compiled
pattern that matches exactly the same characters (`tests/speed/test_startup_paths.py`
checks every code point). If `re` keeps no such cache, nothing is placed and PyYAML
compiles its pattern as before.
"""

from __future__ import annotations

import re
import sys
from typing import Any

# yaml/reader.py, PyYAML 5.1 to 6.0.x
READER_NON_PRINTABLE = "[^\x09\x0A\x0D\x20-\x7E\x85\xA0-\uD7FF\uE000-\uFFFD\U00010000-\U0010ffff]"
# The code points below U+110000 that class does not list: C0 controls but tab, newline and
# carriage return; DEL and the C1 controls but NEL; the surrogates; U+FFFE and U+FFFF.
NON_PRINTABLE_SAME = "[\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x84\x86-\x9F\uD800-\uDFFF\uFFFE\uFFFF]"


def seed_reader_pattern() -> None:
    cache = getattr(re, "_cache", None)
    if isinstance(cache, dict) and "yaml.reader" not in sys.modules:
        cache.setdefault((str, READER_NON_PRINTABLE, 0), re.compile(NON_PRINTABLE_SAME))


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
