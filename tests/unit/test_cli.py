"""The `dlcourse` command line: arguments, and clear one-line errors."""
from dataclasses import replace

import pytest

from helpers.course import cli


def test_unknown_chapter_is_a_clear_error():
    with pytest.raises(SystemExit, match="unknown chapter '99'; chapters: 01-foundations"):
        cli.main(["release", "99"])


def test_data_commands_need_a_known_name(capsys):
    with pytest.raises(SystemExit, match="needs a dataset name"):
        cli.main(["data", "fetch"])
    assert cli.main(["data", "fetch", "cifar"]) == 1
    assert "Unknown dataset 'cifar'" in capsys.readouterr().err


def test_failed_download_is_one_line(monkeypatch, tmp_path, capsys):
    from helpers import data
    spec = data.REGISTRY["fashion-mnist"]
    remote = data.RemoteFile("x.gz", "0" * 64, (f"file://{tmp_path}/missing.gz",))
    monkeypatch.setitem(data.REGISTRY, "fashion-mnist", replace(spec, files={("train", "images"): remote}))
    monkeypatch.setenv("DLCOURSE_CACHE", str(tmp_path / "cache"))
    assert cli.main(["data", "fetch", "fashion-mnist"]) == 1
    assert capsys.readouterr().err.startswith("dlcourse: could not download x.gz")


def test_data_status_lists_every_split(capsys):
    assert cli.main(["data", "status"]) == 0
    out = capsys.readouterr().out
    assert "fashion-mnist   train" in out and "fashion-mnist   test" in out
