"""Text corpora for the sequence chapters: the King James Bible, full or as the shipped slice.

Where the text comes from, in order (``load_kjv(source="auto")``):

1. Debian's ``bible-kjv`` package (``apt-get install bible-kjv``): its ``bible`` program prints
   the whole text (4.1 M characters once cleaned), which is the full data set;
2. the slice shipped in ``data/kjv/`` (about a quarter of the text in blocks spread over the
   whole book, see its README), which always works offline.

The KJV translation (1611) is in the public domain. Cleaning keeps one verse per line and drops
the chapter headings and verse numbers, which leaves the 63 symbols of ``KJV_ALPHABET``.
Every load prints one line saying which source it used.
"""
from __future__ import annotations

import gzip
import hashlib
import re
import shutil
import subprocess
from pathlib import Path

from helpers.data import repo_data_dir

# Every symbol of the cleaned text: newline, space, punctuation, capitals (no X) and lower case.
KJV_ALPHABET = "\n !'(),-.:;?ABCDEFGHIJKLMNOPQRSTUVWYZabcdefghijklmnopqrstuvwxyz"
FULL_RANGE = "Gen1:1-Rev22:21"
SLICE_FILE = "kjv-slice.txt.gz"
# SHA-256 of the uncompressed slice (data/kjv/README.md says how it was made).
SLICE_SHA256 = "ca9be2886cebfb2497a0fe53792beedce706c4528ca3f61c3fff0895e6ebacf9"
SLICE_BLOCKS, SLICE_EVERY = 200, 4

_VERSE = re.compile(r"^\s+\d+ (.*)$")
_HEADING = re.compile(r"(\d )?[A-Z][A-Za-z ]+ \d+")


def clean_kjv(raw: str) -> str:
    """The output of Debian's ``bible`` program as one verse per line.

    Verse lines start with indentation and the verse number; wrapped lines continue a verse;
    a chapter heading ("Genesis 1", "1 Kings 3") follows a blank line and is dropped.
    """
    verses: list[str] = []
    current: str | None = None
    after_blank = True
    for line in raw.splitlines():
        if not line.strip():
            after_blank = True
            continue
        verse = _VERSE.match(line)
        if verse:
            if current is not None:
                verses.append(current)
            current = verse.group(1)
        elif after_blank and _HEADING.fullmatch(line):
            if current is not None:
                verses.append(current)
            current = None
        elif current is not None:
            current = f"{current} {line.strip()}"
        after_blank = False
    if current is not None:
        verses.append(current)
    return "\n".join(verses) + "\n"


def blocks(text: str, n_blocks: int) -> list[str]:
    """``text`` cut into ``n_blocks`` consecutive pieces of (almost) equal length, at line ends."""
    bounds = [0]
    for k in range(1, n_blocks):
        cut = text.find("\n", k * len(text) // n_blocks)
        bounds.append(len(text) if cut < 0 else cut + 1)
    bounds.append(len(text))
    return [text[a:b] for a, b in zip(bounds, bounds[1:]) if b > a]


def make_slice(full: str) -> str:
    """The shipped slice: every SLICE_EVERY-th of SLICE_BLOCKS blocks of the full text."""
    return "".join(blocks(full, SLICE_BLOCKS)[::SLICE_EVERY])


def _system_text() -> str | None:
    program = shutil.which("bible")
    if program is None:
        return None
    try:
        raw = subprocess.run([program, FULL_RANGE], capture_output=True, text=True,
                             timeout=60, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    text = clean_kjv(raw)
    return text if len(text) > 4_000_000 else None


def _slice_text() -> str:
    path = repo_data_dir() / "kjv" / SLICE_FILE
    raw = gzip.decompress(path.read_bytes())
    digest = hashlib.sha256(raw).hexdigest()
    if digest != SLICE_SHA256:
        raise RuntimeError(f"{path} is damaged: its SHA-256 is {digest}, not {SLICE_SHA256}. "
                           "Restore it with `git checkout -- data/kjv`.")
    return raw.decode("utf-8")


def load_kjv(source: str = "auto", verbose: bool = True) -> str:
    """The cleaned King James Bible as one string, one verse per line.

    source: "auto" (the Debian package if installed, else the shipped slice), "system" or "subset".
    """
    if source not in ("auto", "system", "subset"):
        raise ValueError(f"source must be 'auto', 'system' or 'subset', not {source!r}")
    text = _system_text() if source in ("auto", "system") else None
    if text is None and source == "system":
        raise FileNotFoundError("Debian's bible-kjv is not installed: `apt-get install bible-kjv`.")
    where = "Debian package bible-kjv (the full text)"
    if text is None:
        text, where = _slice_text(), "slice shipped in data/kjv (install Debian's bible-kjv for the full text)"
    if verbose:
        print(f"King James Bible: {len(text):,} characters, {len(set(text))} symbols, from the {where}.")
    return text


def train_valid_split(text: str, n_blocks: int = 100, valid_every: int = 10) -> tuple[str, str]:
    """(training text, validation text): every ``valid_every``-th of ``n_blocks`` blocks is held out.

    Held-out blocks are whole stretches of the book, so no validation verse has a neighbour in
    training; both halves span the whole text.
    """
    if valid_every < 2:
        raise ValueError("valid_every must be at least 2, or nothing is left to train on")
    parts = blocks(text, n_blocks)
    train = "".join(p for k, p in enumerate(parts) if k % valid_every != valid_every - 1)
    valid = "".join(p for k, p in enumerate(parts) if k % valid_every == valid_every - 1)
    return train, valid
