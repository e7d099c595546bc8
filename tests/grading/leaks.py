"""What must never reach a student: lines that only occur inside the solution or hidden-test
regions of a source notebook, and a way to read the text a student sees in an HTML page."""
from __future__ import annotations

import html
import re

REGIONS = {"solution": "SOLUTION", "hidden": "HIDDEN TESTS"}


def _blocks(kind: str) -> re.Pattern:
    marker = REGIONS[kind] if kind in REGIONS else "(?:SOLUTION|HIDDEN TESTS)"
    return re.compile(rf"### BEGIN {marker}\n(.*?)### END {marker}", flags=re.S)


def secret_lines(source_nb, kind: str = "any") -> set[str]:
    """Non-trivial lines (over 12 characters) that occur only inside BEGIN/END regions of ``kind``
    ("solution", "hidden" or "any") of the source notebook, and nowhere outside them."""
    inside, outside = set(), set()
    every_region = _blocks("any")
    for cell in source_nb.cells:
        for block in _blocks(kind).findall(cell.source):
            inside |= {ln.strip() for ln in block.splitlines() if len(ln.strip()) > 12}
        outside |= {ln.strip() for ln in every_region.sub("", cell.source).splitlines()}
    return inside - outside


def visible_text(page: str) -> str:
    """The text of an HTML page as a reader sees it: tags (syntax highlighting splits code into
    many spans) removed and entities decoded."""
    return html.unescape(re.sub(r"<[^>]+>", "", page))
