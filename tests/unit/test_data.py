"""helpers.data: registry, IDX parsing, checksums, cache, system copy, download and offline subset."""
import gzip
import hashlib
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch

from helpers import data


def idx_bytes(array: np.ndarray) -> bytes:
    codes = {np.uint8: 0x08, np.int32: 0x0C}
    header = bytes([0, 0, codes[array.dtype.type], array.ndim])
    header += b"".join(int(n).to_bytes(4, "big") for n in array.shape)
    return header + array.astype(array.dtype.newbyteorder(">")).tobytes()


@pytest.fixture
def tiny_dataset(tmp_path, monkeypatch):
    """A registered 2-class dataset whose full files live in a fake system folder."""
    rng = np.random.default_rng(0)
    arrays = {("train", "images"): rng.integers(0, 256, (6, 4, 4), dtype=np.uint8),
              ("train", "labels"): np.array([0, 1, 0, 1, 0, 1], dtype=np.uint8),
              ("test", "images"): rng.integers(0, 256, (2, 4, 4), dtype=np.uint8),
              ("test", "labels"): np.array([1, 0], dtype=np.uint8)}
    system = tmp_path / "system"
    system.mkdir()
    files = {}
    for (split, kind), arr in arrays.items():
        raw = idx_bytes(arr)
        name = f"{split}-{kind}.gz"
        (system / name).write_bytes(gzip.compress(raw))
        files[(split, kind)] = data.RemoteFile(name, hashlib.sha256(raw).hexdigest(), (f"file://{system / name}",))
    spec = data.DatasetSpec("tiny", "Tiny test set", "CC0", "-", ("a", "b"), files, system_dirs=(str(system),),
                            subset="subset.npz")
    monkeypatch.setitem(data.REGISTRY, "tiny", spec)
    monkeypatch.setenv("DLCOURSE_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("DLCOURSE_DATA_DIR", str(tmp_path / "repo-data"))
    return spec, arrays, system


def test_read_idx_round_trip():
    arr = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    assert np.array_equal(data.read_idx(idx_bytes(arr)), arr)
    ints = np.array([1, -2, 300], dtype=np.int32)
    assert np.array_equal(data.read_idx(idx_bytes(ints)), ints)


@pytest.mark.parametrize("raw,message", [
    (b"\x01\x00\x08\x01", "first two bytes"),
    (b"\x00\x00\x07\x01\x00\x00\x00\x01\x00", "unknown element type"),
    (b"\x00\x00\x08\x02\x00\x00", "truncated"),
    (b"\x00\x00\x08\x01\x00\x00\x00\x05\x01\x02", "declares shape"),
])
def test_read_idx_rejects_broken_files(raw, message):
    with pytest.raises(data.DatasetError, match=message):
        data.read_idx(raw)


def test_unknown_dataset_names_the_known_ones():
    with pytest.raises(KeyError, match="Did you mean 'fashion-mnist'") as err:
        data.spec("fashion_mnst")
    assert "Known datasets" in str(err.value)
    with pytest.raises(TypeError):
        data.spec(3)


def test_bad_split_and_source_are_clear_errors():
    with pytest.raises(ValueError, match="splits"):
        data.load("fashion-mnist", "validation", source="subset")
    with pytest.raises(ValueError, match="source must be one of"):
        data.load("fashion-mnist", "train", source="internet")


def test_shipped_subset_matches_its_digest_and_is_balanced():
    train = data.load("fashion-mnist", "train", source="subset", verbose=False)
    test = data.load("fashion-mnist", "test", source="subset", verbose=False)
    assert train.images.shape == (10000, 28, 28) and train.images.dtype == np.uint8
    assert test.images.shape == (2000, 28, 28)
    assert np.bincount(train.labels).tolist() == [1000] * 10
    assert np.bincount(test.labels).tolist() == [200] * 10
    assert train.labels.dtype == np.int64
    assert "offline subset" in train.source


def test_tampered_subset_is_refused(tmp_path, monkeypatch):
    folder = tmp_path / "fashion-mnist"
    folder.mkdir()
    np.savez_compressed(folder / "subset.npz", train_images=np.zeros((1, 28, 28), np.uint8),
                        train_labels=np.zeros(1, np.uint8))
    monkeypatch.setenv("DLCOURSE_DATA_DIR", str(tmp_path))
    with pytest.raises(data.DatasetError, match="does not match its recorded checksum"):
        data.load("fashion-mnist", "train", source="subset")


def test_system_copy_is_found_and_verified(tiny_dataset, capsys):
    spec, arrays, _ = tiny_dataset
    ds = data.load("tiny", "train")
    assert np.array_equal(ds.images, arrays[("train", "images")])
    assert ds.labels.tolist() == [0, 1, 0, 1, 0, 1]
    assert "system copy" in ds.source
    assert "6 images from the full set (system copy" in capsys.readouterr().out


def test_corrupt_system_copy_is_ignored(tiny_dataset, monkeypatch):
    spec, _, system = tiny_dataset
    (system / "train-images.gz").write_bytes(gzip.compress(b"garbage"))
    monkeypatch.setenv("DLCOURSE_OFFLINE", "1")
    with pytest.raises(data.DatasetError, match="no verified full copy"):
        data.load("tiny", "train", source="full")


def test_download_fills_the_cache_and_checks_sums(tiny_dataset, tmp_path, monkeypatch):
    spec, arrays, system = tiny_dataset
    moved = tmp_path / "remote"
    system.rename(moved)                 # no system copy any more: only the "network" has it
    monkeypatch.setitem(data.REGISTRY, "tiny", replace(
        spec, system_dirs=(),
        files={k: replace(f, urls=(f"file://{moved / f.filename}",)) for k, f in spec.files.items()}))
    monkeypatch.delenv("DLCOURSE_OFFLINE", raising=False)
    folder = data.fetch("tiny")
    assert sorted(p.name for p in folder.iterdir()) == sorted(f.filename for f in spec.files.values())
    ds = data.load("tiny", "test", verbose=False)
    assert "cache" in ds.source and np.array_equal(ds.images, arrays[("test", "images")])


def test_download_with_wrong_checksum_leaves_nothing_behind(tmp_path):
    payload = tmp_path / "payload.gz"
    payload.write_bytes(gzip.compress(b"\x00\x00\x08\x01\x00\x00\x00\x01\x07"))
    remote = data.RemoteFile("x.gz", "0" * 64, (f"file://{payload}",))
    with pytest.raises(data.DatasetError, match="checksum mismatch"):
        data.download(remote.urls[0], tmp_path / "cache" / "x.gz", remote)
    assert not list((tmp_path / "cache").iterdir())


def test_offline_falls_back_to_the_subset_with_a_message(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("DLCOURSE_OFFLINE", "1")
    monkeypatch.setenv("DLCOURSE_CACHE", str(tmp_path))
    spec = data.REGISTRY["fashion-mnist"]
    monkeypatch.setitem(data.REGISTRY, "fashion-mnist", replace(spec, system_dirs=()))
    ds = data.load("fashion-mnist", "test")
    assert len(ds) == 2000
    assert "offline subset" in capsys.readouterr().out


def test_registry_entries_are_complete():
    for name, spec in data.REGISTRY.items():
        assert spec.licence and spec.homepage and spec.classes
        for remote in spec.files.values():
            assert len(remote.sha256) == 64 and remote.urls
        assert data.SUBSET_DIGESTS.get(name), f"{name}: subset digest missing"
        assert (data.repo_data_dir() / name / "LICENSE").is_file()
        assert (data.repo_data_dir() / name / "README.md").is_file()


def test_to_tensors_shapes_and_range():
    ds = data.load("fashion-mnist", "test", source="subset", verbose=False)
    X, y = data.to_tensors(ds)
    assert X.shape == (2000, 1, 28, 28) and X.dtype == torch.float32
    assert 0.0 <= float(X.min()) and float(X.max()) <= 1.0
    assert y.dtype == torch.int64 and y.shape == (2000,)


@pytest.mark.skipif(not Path("/usr/share/datasets/fashion-mnist").is_dir(), reason="Debian dataset-fashion-mnist not installed")
def test_debian_package_matches_the_registry_checksums():
    ds = data.load("fashion-mnist", "test", source="full", verbose=False)
    assert len(ds) == 10000 and np.bincount(ds.labels).tolist() == [1000] * 10


def test_validation_split_is_a_seeded_disjoint_partition():
    tr, va = data.validation_split(100, 20, seed=3)
    assert len(tr) == 80 and len(va) == 20 and set(tr.tolist()).isdisjoint(va.tolist())
    assert sorted(torch.cat([tr, va]).tolist()) == list(range(100))
    assert torch.equal(va, data.validation_split(100, 20, seed=3)[1])
    assert not torch.equal(va, data.validation_split(100, 20, seed=4)[1])
    perm = torch.randperm(100, generator=torch.Generator().manual_seed(3))   # the chapters' figures rely on this
    assert torch.equal(va, perm[:20]) and torch.equal(tr, perm[20:])
    for bad in (0, 10, 11):
        with pytest.raises(ValueError, match="n_valid"):
            data.validation_split(10, bad)
