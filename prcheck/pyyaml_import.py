"""PyYAML's import without the 7 ms its reader's one regex costs to compile.

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

# yaml/reader.py, PyYAML 5.1 to 6.0.x
READER_NON_PRINTABLE = "[^\x09\x0A\x0D\x20-\x7E\x85\xA0-\uD7FF\uE000-\uFFFD\U00010000-\U0010ffff]"
# The code points below U+110000 that class does not list: C0 controls but tab, newline and
# carriage return; DEL and the C1 controls but NEL; the surrogates; U+FFFE and U+FFFF.
NON_PRINTABLE_SAME = "[\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x84\x86-\x9F\uD800-\uDFFF\uFFFE\uFFFF]"


def seed_reader_pattern() -> None:
    cache = getattr(re, "_cache", None)
    if isinstance(cache, dict) and "yaml.reader" not in sys.modules:
        cache.setdefault((str, READER_NON_PRINTABLE, 0), re.compile(NON_PRINTABLE_SAME))
