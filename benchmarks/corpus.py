"""Where a conformance script finds its corpus: one rule for all of them."""

from __future__ import annotations

import os
import sys
from pathlib import Path


def corpus_dir(argv: list[str], name: str) -> Path:
    """The first non-flag argument, else $PRCHECK_CORPUS; either the corpus root
    (holding `<name>/cases.json`) or the `<name>` folder itself."""
    args = [a for a in argv if not a.startswith("-")]
    corpus = args[0] if args else os.environ.get("PRCHECK_CORPUS")
    if not corpus:
        sys.exit("usage: give the corpus folder as an argument or in $PRCHECK_CORPUS")
    root = Path(corpus)
    return root if (root / "cases.json").is_file() else root / name
