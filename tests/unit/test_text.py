"""The KJV corpus: cleaning the Debian program's output, the shipped slice, the held-out blocks."""
import gzip

import pytest

from helpers import text

RAW = """
Genesis 1

  1 In the beginning God created the heaven and the earth.
  2 And the earth was without form, and void; and darkness was upon the face of
the deep.

1 Kings 2

  1 Now the days of David drew nigh
that he should die.
"""


def test_clean_keeps_one_verse_per_line_without_numbers_or_headings():
    assert text.clean_kjv(RAW) == (
        "In the beginning God created the heaven and the earth.\n"
        "And the earth was without form, and void; and darkness was upon the face of the deep.\n"
        "Now the days of David drew nigh that he should die.\n")


def test_shipped_slice_is_intact_and_uses_the_whole_alphabet():
    corpus = text.load_kjv(source="subset", verbose=False)
    assert len(corpus) == 1_035_121
    assert set(corpus) == set(text.KJV_ALPHABET)
    assert corpus.endswith("\n")


def test_damaged_slice_is_refused(tmp_path, monkeypatch):
    (tmp_path / "kjv").mkdir()
    (tmp_path / "kjv" / text.SLICE_FILE).write_bytes(gzip.compress(b"In the beginning\n"))
    monkeypatch.setattr(text, "repo_data_dir", lambda: tmp_path)
    with pytest.raises(RuntimeError, match="damaged"):
        text.load_kjv(source="subset")


def test_split_holds_out_whole_blocks_spread_over_the_text():
    corpus = "".join(f"line {k}\n" for k in range(1000))
    train, valid = text.train_valid_split(corpus, n_blocks=10, valid_every=5)
    assert len(train) + len(valid) == len(corpus)
    assert set(train.splitlines()).isdisjoint(valid.splitlines())
    assert "line 450" in valid and "line 950" in valid and "line 0" in train
    with pytest.raises(ValueError):
        text.train_valid_split(corpus, valid_every=1)


def test_unknown_source_is_refused():
    with pytest.raises(ValueError, match="source"):
        text.load_kjv(source="internet")
