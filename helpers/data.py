"""Datasets: a registry with checksums, a cache, real downloads, system copies and offline subsets.

Where a dataset comes from, in order (``load(name, source="auto")``):

1. the cache directory (``$DLCOURSE_CACHE`` or ``~/.cache/dlcourse``), holding earlier downloads;
2. a system copy, e.g. Debian's ``dataset-fashion-mnist`` package in /usr/share/datasets;
3. a download from the dataset's home, checked against its SHA-256, unless ``$DLCOURSE_OFFLINE``
   is set;
4. the small subset shipped in the repository's ``data/`` folder, which always works offline.

Every load prints one line saying which of these it used.
"""
from __future__ import annotations

import difflib
import functools
import gzip
import hashlib
import os
import shutil
import tempfile
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import torch

_IDX_DTYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: np.int16, 0x0C: np.int32, 0x0D: np.float32, 0x0E: np.float64}


@dataclass(frozen=True)
class RemoteFile:
    """One file of a dataset: its name, where to fetch it, and the SHA-256 of its uncompressed bytes."""
    filename: str
    sha256: str
    urls: tuple[str, ...]


@dataclass(frozen=True)
class DatasetSpec:
    """A registry entry. ``files`` maps (split, kind) to a RemoteFile, e.g. ("train", "images")."""
    name: str
    title: str
    licence: str
    homepage: str
    classes: tuple[str, ...]
    files: dict[tuple[str, str], RemoteFile]
    system_dirs: tuple[str, ...] = ()
    subset: str = ""            # file under data/<name>/ holding the offline subset


_FMNIST_MIRRORS = (
    "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/{}",
    "https://github.com/zalandoresearch/fashion-mnist/raw/master/data/fashion/{}",
)


def _fmnist(filename: str, sha256: str) -> RemoteFile:
    return RemoteFile(filename, sha256, tuple(m.format(filename) for m in _FMNIST_MIRRORS))


REGISTRY: dict[str, DatasetSpec] = {
    "fashion-mnist": DatasetSpec(
        name="fashion-mnist",
        title="Fashion-MNIST (Zalando Research, 2017)",
        licence="MIT",
        homepage="https://github.com/zalandoresearch/fashion-mnist",
        classes=("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                 "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"),
        files={
            ("train", "images"): _fmnist("train-images-idx3-ubyte.gz",
                                         "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888"),
            ("train", "labels"): _fmnist("train-labels-idx1-ubyte.gz",
                                         "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9"),
            ("test", "images"): _fmnist("t10k-images-idx3-ubyte.gz",
                                        "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b"),
            ("test", "labels"): _fmnist("t10k-labels-idx1-ubyte.gz",
                                        "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34"),
        },
        system_dirs=("/usr/share/datasets/fashion-mnist",),
        subset="subset.npz",
    ),
}

# SHA-256 of the arrays in each shipped subset (data/<name>/<subset>); `dlcourse data subset` prints it.
SUBSET_DIGESTS = {
    "fashion-mnist": "7fce1d9a3fe7f45e1f65fd4693c81ae6b0eb92a1d65961491e8744e18d5a0926",
}


@dataclass
class Dataset:
    """Arrays of one split. images: uint8 (N, H, W); labels: int64 (N,)."""
    name: str
    split: str
    images: np.ndarray
    labels: np.ndarray
    classes: tuple[str, ...]
    source: str

    def __len__(self) -> int:
        return len(self.labels)


class DatasetError(RuntimeError):
    """A dataset could not be found, read or verified."""


# ---------------------------------------------------------------- locations

def repo_data_dir() -> Path:
    """The repository's data/ folder (``$DLCOURSE_DATA_DIR`` overrides)."""
    env = os.environ.get("DLCOURSE_DATA_DIR")
    return Path(env) if env else Path(__file__).resolve().parent.parent / "data"


def cache_dir() -> Path:
    """Where downloads are kept (``$DLCOURSE_CACHE``, default ``~/.cache/dlcourse``)."""
    env = os.environ.get("DLCOURSE_CACHE")
    return Path(env) if env else Path.home() / ".cache" / "dlcourse"


def offline() -> bool:
    """True when downloads are switched off with DLCOURSE_OFFLINE=1."""
    return os.environ.get("DLCOURSE_OFFLINE", "") not in ("", "0", "false", "no")


def spec(name: str) -> DatasetSpec:
    """The registry entry for ``name``; an unknown name raises a KeyError that lists the known ones."""
    if not isinstance(name, str):
        raise TypeError(f"dataset name must be a string, got {type(name).__name__}")
    key = name.strip().lower().replace("_", "-")
    if key not in REGISTRY:
        close = difflib.get_close_matches(key, REGISTRY, n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise KeyError(f"Unknown dataset {name!r}.{hint} Known datasets: {', '.join(sorted(REGISTRY))}.")
    return REGISTRY[key]


# ---------------------------------------------------------------- file formats

def read_idx(raw: bytes) -> np.ndarray:
    """Parse the IDX format of (Fashion-)MNIST. Returns an array of the shape its header declares."""
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0:
        raise DatasetError("not an IDX file: the first two bytes must be zero")
    dtype, ndim = raw[2], raw[3]
    if dtype not in _IDX_DTYPES:
        raise DatasetError(f"IDX file has unknown element type 0x{dtype:02x}")
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise DatasetError("IDX file is truncated inside its header")
    shape = tuple(int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    dt = np.dtype(_IDX_DTYPES[dtype]).newbyteorder(">")
    expected = int(np.prod(shape)) * dt.itemsize
    if len(raw) - header != expected:
        raise DatasetError(f"IDX file declares shape {shape} ({expected} bytes) but holds {len(raw) - header}")
    return np.frombuffer(raw, dtype=dt, offset=header).reshape(shape).astype(dt.newbyteorder("="))


def read_payload(path: Path) -> bytes:
    """The uncompressed bytes of ``path`` (gzip is detected by its magic number)."""
    with open(path, "rb") as fh:
        head = fh.read(2)
    opener = gzip.open if head == b"\x1f\x8b" else open
    with opener(path, "rb") as fh:
        return fh.read()


def sha256(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


def subset_digest(arrays: dict[str, np.ndarray]) -> str:
    """SHA-256 over the subset's arrays (names, dtypes, shapes and bytes), independent of zip metadata."""
    h = hashlib.sha256()
    for key in sorted(arrays):
        a = np.ascontiguousarray(arrays[key])
        h.update(f"{key}|{a.dtype.str}|{a.shape}|".encode())
        h.update(a.tobytes())
    return h.hexdigest()


# ---------------------------------------------------------------- finding full copies

def _verified(path: Path, remote: RemoteFile) -> bytes | None:
    """The file's payload if it exists and matches its checksum, else None."""
    if not path.is_file():
        return None
    try:
        raw = read_payload(path)
    except (OSError, EOFError, gzip.BadGzipFile):
        return None
    return raw if sha256(raw) == remote.sha256 else None


def download(url: str, dest: Path, remote: RemoteFile, timeout: float = 20.0) -> bytes:
    """Fetch ``url`` into ``dest`` atomically; the payload must match ``remote.sha256``."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    with urllib.request.urlopen(url, timeout=timeout) as resp:  # noqa: S310 (fixed https/http URLs)
        fd, tmp = tempfile.mkstemp(dir=dest.parent, suffix=".part")
        with os.fdopen(fd, "wb") as out:
            shutil.copyfileobj(resp, out)
    raw = read_payload(Path(tmp))
    if sha256(raw) != remote.sha256:
        os.unlink(tmp)
        raise DatasetError(f"{url}: checksum mismatch (got {sha256(raw)[:12]}…, want {remote.sha256[:12]}…)")
    os.replace(tmp, dest)
    return raw


def _find_file(ds: DatasetSpec, remote: RemoteFile, allow_download: bool,
               use_system: bool = True) -> tuple[bytes, str] | None:
    cached = cache_dir() / ds.name / remote.filename
    if (raw := _verified(cached, remote)) is not None:
        return raw, f"cache {cached.parent}"
    for folder in ds.system_dirs if use_system else ():
        if (raw := _verified(Path(folder) / remote.filename, remote)) is not None:
            return raw, f"system copy {folder}"
    if not allow_download:
        return None
    for url in remote.urls:
        try:
            return download(url, cached, remote), f"download into {cached.parent}"
        except (OSError, DatasetError):
            continue
    return None


def _load_full(ds: DatasetSpec, split: str, allow_download: bool) -> Dataset | None:
    found = {}
    for kind in ("images", "labels"):
        hit = _find_file(ds, ds.files[(split, kind)], allow_download)
        if hit is None:
            return None
        found[kind] = hit
    images, labels = read_idx(found["images"][0]), read_idx(found["labels"][0]).astype(np.int64)
    return Dataset(ds.name, split, images, labels, ds.classes, f"full set ({found['images'][1]})")


@functools.lru_cache(maxsize=4)
def _read_subset(path: Path, mtime_ns: int, want: str) -> dict[str, np.ndarray]:
    """The verified arrays of a subset file, read once per process (keyed by its mtime)."""
    with np.load(path) as z:
        arrays = {k: z[k] for k in z.files}
    if want and subset_digest(arrays) != want:
        raise DatasetError(f"{path} does not match its recorded checksum; restore it with `git checkout {path}`.")
    for a in arrays.values():
        a.setflags(write=False)   # shared between calls: nobody may change them in place
    return arrays


def _load_subset(ds: DatasetSpec, split: str) -> Dataset:
    path = repo_data_dir() / ds.name / ds.subset
    if not path.is_file():
        raise DatasetError(f"{ds.title}: no full copy found and the offline subset {path} is missing. "
                           f"Run `dlcourse data fetch {ds.name}` with a network connection.")
    arrays = _read_subset(path, path.stat().st_mtime_ns, SUBSET_DIGESTS.get(ds.name, ""))
    images, labels = arrays[f"{split}_images"], arrays[f"{split}_labels"].astype(np.int64)
    return Dataset(ds.name, split, images, labels, ds.classes,
                   f"offline subset {path.relative_to(path.parents[2])} ({len(labels):,} {split} images)")


# ---------------------------------------------------------------- public API

SOURCES = ("auto", "full", "subset")


def load(name: str, split: str = "train", source: str = "auto", verbose: bool = True) -> Dataset:
    """Load one split of a registered dataset as NumPy arrays.

    source: "auto" (full set if it can be found or downloaded, else the offline subset),
    "full" (error if no full copy is available), or "subset" (always the shipped subset).
    """
    ds = spec(name)
    if split not in {s for s, _ in ds.files}:
        raise ValueError(f"{ds.title} has splits {sorted({s for s, _ in ds.files})}, not {split!r}")
    if source not in SOURCES:
        raise ValueError(f"source must be one of {SOURCES}, not {source!r}")
    result = None
    if source in ("auto", "full"):
        result = _load_full(ds, split, allow_download=not offline())
        if result is None and source == "full":
            raise DatasetError(f"{ds.title}: no verified full copy in {cache_dir() / ds.name}, "
                               f"{', '.join(ds.system_dirs) or 'no system copy'}, and download "
                               f"{'is switched off (DLCOURSE_OFFLINE)' if offline() else 'failed'}.")
    if result is None:
        result = _load_subset(ds, split)
    if verbose:
        print(f"{ds.title}, {split}: {len(result):,} images from the {result.source}.")
    return result


def fetch(name: str) -> Path:
    """Download every file of ``name`` into the cache unless a verified copy is already there;
    returns the cache folder. Raises DatasetError naming the URLs tried when a download fails."""
    ds = spec(name)
    for remote in ds.files.values():
        if _find_file(ds, remote, allow_download=True, use_system=False) is None:
            raise DatasetError(f"could not download {remote.filename} from {', '.join(remote.urls)} "
                               "(no network, or the file did not match its checksum)")
    return cache_dir() / ds.name


def build_subset(name: str, per_class_train: int, per_class_test: int, seed: int = 0) -> dict[str, np.ndarray]:
    """A class-balanced random subset of the full set, for shipping in data/ (deterministic for a seed)."""
    ds = spec(name)
    rng = np.random.default_rng(seed)
    out = {}
    for split, per_class in (("train", per_class_train), ("test", per_class_test)):
        full = _load_full(ds, split, allow_download=not offline())
        if full is None:
            raise DatasetError(f"{ds.title}: building a subset needs the full set (cache, system copy or network)")
        idx = np.concatenate([rng.choice(np.flatnonzero(full.labels == c), per_class, replace=False)
                              for c in range(len(ds.classes))])
        idx = rng.permutation(idx)
        out[f"{split}_images"] = full.images[idx]
        out[f"{split}_labels"] = full.labels[idx].astype(np.uint8)
    return out


def to_tensors(dataset: Dataset, device=None):
    """Images as float32 in [0, 1] with shape (N, 1, H, W), labels as int64 (N,), on ``device``."""
    import torch
    X = torch.tensor(dataset.images, dtype=torch.float32).div_(255.0).unsqueeze(1)  # (N, 1, H, W)
    y = torch.tensor(dataset.labels, dtype=torch.int64)                              # (N,)
    return X.to(device), y.to(device)


def validation_split(n: int, n_valid: int, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """A seeded random split of range(n) into two disjoint index tensors.

    Returns (train indices (n - n_valid,), validation indices (n_valid,)), int64: the validation part is
    the first n_valid entries of torch.randperm(n) under a generator seeded with ``seed``, the rest is
    the training part. Raises ValueError unless 0 < n_valid < n.
    """
    import torch
    if not 0 < n_valid < n:
        raise ValueError(f"n_valid must be between 1 and n - 1 = {n - 1}, got {n_valid}")
    perm = torch.randperm(n, generator=torch.Generator().manual_seed(seed))
    return perm[n_valid:], perm[:n_valid]
