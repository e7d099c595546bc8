"""Where the course lives: its root (the folder with nbgrader_config.py) and its chapters."""
from __future__ import annotations

import os
from pathlib import Path


def course_root(start: Path | None = None) -> Path:
    """The nearest folder at or above ``start`` (default: the current folder, then this package's
    checkout) that holds nbgrader_config.py and source/."""
    candidates = [Path(start or os.getcwd()).resolve(), Path(__file__).resolve()]
    for base in candidates:
        for folder in (base, *base.parents):
            if (folder / "nbgrader_config.py").is_file() and (folder / "source").is_dir():
                return folder
    raise FileNotFoundError("no course directory (a folder with nbgrader_config.py and source/) found "
                            f"at or above {candidates[0]}")


def chapters(root: Path) -> list[str]:
    """Assignment ids, e.g. ['01-foundations'], for every source/<id>/<id>.ipynb."""
    return sorted(p.name for p in (root / "source").iterdir() if (p / f"{p.name}.ipynb").is_file())


def select(root: Path, wanted: list[str] | None) -> list[str]:
    """The chapters named in ``wanted`` (ids or their number prefix, e.g. '01'); all when empty."""
    known = chapters(root)
    if not wanted:
        return known
    picked = []
    for name in wanted:
        hits = [c for c in known if c == name or c.split("-", 1)[0] == name]
        if not hits:
            raise SystemExit(f"unknown chapter {name!r}; chapters: {', '.join(known)}")
        picked += hits
    return picked


def notebook(root: Path, folder: str, chapter: str) -> Path:
    """root/<folder>/<chapter>/<chapter>.ipynb, e.g. folder='solutions'."""
    return root / folder / chapter / f"{chapter}.ipynb"
