"""Grading kernels in a bubblewrap sandbox: a submission sees its own files, the Python environment,
``helpers`` and ``data/``, and nothing else of the course.

nbgrader runs a student's notebook in a Jupyter kernel with the grader's own rights, next to the
source notebooks (the solutions), every classmate's submission and the gradebook. The
``SandboxedKernelManager`` (nbgrader_config.py makes nbclient use it) starts every grading kernel
inside bubblewrap (https://github.com/containers/bubblewrap, what Flatpak uses):

* a new root with only the system's read-only directories (/usr, /etc, ...), the Python
  installation and the virtual environment, the ``helpers`` package and ``data/``, all read-only;
* the notebook's folder as a size-capped tmpfs holding a copy of the submission's own files, a
  capped /tmp and an empty HOME there: no ``source/``, ``solutions/``, ``submitted/``,
  ``autograded/``, ``feedback/``, gradebook, exchange or grader's home;
* new user, PID, IPC, UTS and network namespaces: no network at all (the kernel talks to the grader
  over Unix sockets in a private folder), and every process it starts dies with it;
* as root, the kernel runs under an unprivileged uid of its own (one per running kernel), so the
  process limit (RLIMIT_NPROC) bounds a fork bomb without touching other kernels; the memory cap
  stays helpers.grading.integrity's, the time and output caps helpers.course.execute's;
* NVIDIA devices, when present, are passed through.

While nbgrader autogrades (NBGRADER_EXECUTION=autograde) the sandbox is required: without
bubblewrap the kernel does not start and the error says how to install it. While a notebook is
validated (the Validate button, usually on the student's own machine) it is used where available.
"""
from __future__ import annotations

import fcntl
import glob
import os
import shutil
import sys
import tempfile
from pathlib import Path

from jupyter_client.manager import AsyncKernelManager
from traitlets import Bool, Integer, Unicode

INSTALL_HINT = ("the grading sandbox needs bubblewrap (bwrap), which is not installed: "
                "`sudo apt-get install bubblewrap` (Debian, Ubuntu), `sudo dnf install bubblewrap` (Fedora)")
_UIDS = range(61000, 61512)          # as root, each kernel runs under one of these uids, its own
_ENV_KEPT = ("NBGRADER_EXECUTION", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "DLCOURSE_OFFLINE", "DLCOURSE_DEVICE",
             "LANG", "LC_ALL", "TZ", "CUDA_VISIBLE_DEVICES", "PYTHONHASHSEED")


class SandboxUnavailable(RuntimeError):
    """bubblewrap is missing (or cannot run here) where the sandbox is required."""


def bwrap() -> str | None:
    return shutil.which("bwrap")


def required() -> bool:
    """The sandbox is required while autograding; while validating it is used where available."""
    return os.environ.get("NBGRADER_EXECUTION", "autograde") != "validate"


def _python_dirs() -> list[str]:
    """The interpreter's installation and the virtual environment (real paths and their links)."""
    dirs = {sys.prefix, sys.base_prefix, sys.exec_prefix, os.path.dirname(os.path.realpath(sys.executable))}
    return sorted({os.path.realpath(d) for d in dirs} | dirs)


def course_dirs() -> tuple[Path, Path]:
    """(the helpers package, its data/ folder) as this process imports them."""
    import helpers
    package = Path(helpers.__file__).resolve().parent
    return package, package.parent / "data"


def _gpu_binds() -> list[str]:
    args = []
    for dev in sorted(glob.glob("/dev/nvidia*")) + sorted(glob.glob("/dev/dri")):
        args += ["--dev-bind", dev, dev]
    return args


def _covered(path: str, roots: list[str]) -> bool:
    return any(path == r or path.startswith(r.rstrip("/") + "/") for r in roots)


class _Root:
    """The mounts of the sandbox's new root, each mount point's parents made world-traversable
    (bwrap would make them 0700 as root, and the kernel's own uid could not reach what is below)."""

    def __init__(self):
        self.args: list[str] = []
        self.mounted: list[str] = []         # bind mounts: what lies below them exists already
        self.dirs: set[str] = set()

    def _parents(self, dest: str) -> None:
        parts = Path(dest).parts
        for k in range(2, len(parts)):
            parent = str(Path(*parts[:k]))
            if parent not in self.dirs and not _covered(parent, self.mounted):
                self.args += ["--perms", "0755", "--dir", parent]
                self.dirs.add(parent)

    def bind(self, src: str, dest: str | None = None, option: str = "--ro-bind") -> None:
        dest = dest or src
        self._parents(dest)
        self.args += [option, src, dest]
        self.mounted.append(dest)

    def tmpfs(self, dest: str, megabytes: int) -> None:
        """An empty, capped tmpfs (its own sub-folders are made by later mounts, see _parents)."""
        self._parents(dest)
        self.args += ["--perms", "1777", "--size", str(megabytes * 2**20), "--tmpfs", dest]


def command(kernel_cmd: list[str], *, cwd: str, private: str, uid: int | None, nproc: int,
            tmp_mb: int, env: dict[str, str], submission: str | None = None) -> list[str]:
    """The command line that runs ``kernel_cmd`` in the sandbox. ``private`` is the folder of the
    kernel's connection file and sockets (read-write inside); ``cwd`` becomes a capped tmpfs filled
    with a copy of the files of ``submission`` (default: ``cwd`` itself) by helpers.course.sandbox_entry. With ``uid`` (the grader
    is root), the kernel runs as that uid; the process limit ``nproc`` then counts its processes only."""
    package, data = course_dirs()
    root = _Root()
    for path in ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc"):
        if os.path.islink(path):
            root.args += ["--symlink", os.readlink(path), path]
        elif os.path.isdir(path):
            root.bind(path)
    root.tmpfs("/tmp", tmp_mb)               # first: what is bound below /tmp must lie on top of it
    for d in _python_dirs():
        if os.path.isdir(d) and not _covered(d, root.mounted):      # /usr/lib/python3 is there already
            root.bind(d)
    root.bind(str(package))
    if data.is_dir():
        root.bind(str(data))
    root.bind(private, option="--bind")
    root.bind(submission or cwd, "/run/submission")
    root.tmpfs(cwd, tmp_mb)
    home = "/tmp/home"
    inner_env = {k: v for k, v in env.items() if k in _ENV_KEPT}
    inner_env.update({"HOME": home, "PATH": os.path.dirname(sys.executable) + ":/usr/bin:/bin",
                      "PYTHONPATH": str(package.parent), "MPLCONFIGDIR": f"{private}/matplotlib",
                      "PYTHONNOUSERSITE": "1", "IPYTHONDIR": f"{home}/.ipython"})
    limits = ["prlimit", f"--nproc={nproc}", "--core=0", "--"]
    if uid is None:          # not root: a user namespace, and the limits on the grader's own uid
        head, namespaces, drop = limits, ["--unshare-all"], []
    else:                    # root: no user namespace is needed; the kernel drops to its own uid
        head = []
        namespaces = ["--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts", "--unshare-cgroup-try",
                      "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
        drop = ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "--inh-caps=-all",
                "--bounding-set=-all", *limits]
    cmd = [*head, bwrap(), *namespaces, "--die-with-parent", "--new-session", "--clearenv", *root.args,
           "--dev", "/dev", *_gpu_binds(), "--proc", "/proc", "--perms", "0777", "--dir", home, "--chdir", cwd]
    for key, value in sorted(inner_env.items()):
        cmd += ["--setenv", key, value]
    return cmd + ["--", *drop, sys.executable, "-m", "helpers.course.sandbox_entry", "/run/submission",
                  *kernel_cmd[1:]]


def claim_uid(lock_dir: str) -> tuple[int, int]:
    """An unprivileged uid no other running kernel uses, and the open file whose lock holds it (the
    lock goes when the file is closed or this process ends): RLIMIT_NPROC counts per uid, so a fork
    bomb in one kernel cannot starve another's threads."""
    os.makedirs(lock_dir, mode=0o700, exist_ok=True)
    for uid in _UIDS:
        fd = os.open(os.path.join(lock_dir, f"uid-{uid}.lock"), os.O_CREAT | os.O_RDWR, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return uid, fd
        except OSError:
            os.close(fd)
    raise SandboxUnavailable(f"all {len(_UIDS)} sandbox uids are in use")


class SandboxedKernelManager(AsyncKernelManager):
    """nbclient's kernel manager, starting the kernel in the sandbox (see the module docstring)."""

    enabled = Bool(True, help="run grading kernels in the bubblewrap sandbox").tag(config=True)
    max_processes = Integer(256, help="processes and threads the kernel's uid may have (RLIMIT_NPROC)").tag(config=True)
    tmp_mb = Integer(512, help="size in MiB of the kernel's writable folders (/tmp and its notebook folder)").tag(config=True)
    scratch = Unicode("", help="where private kernel folders are made (default: the system's temp folder)").tag(config=True)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._private: str | None = None
        self._uid_lock: int | None = None
        self.inbox: str | None = None          # set by helpers.course.kernel_pool for a kernel started ahead

    @property
    def sandboxed(self) -> bool:
        if not self.enabled:
            return False
        if bwrap() is None:
            if required():
                raise SandboxUnavailable(INSTALL_HINT)
            return False
        return True

    def _prepare_private(self) -> str:
        """A private folder for the connection file and sockets, writable by the kernel's uid."""
        self._private = tempfile.mkdtemp(prefix="dlcourse-kernel-", dir=self.scratch or None)
        os.chmod(self._private, 0o711)
        self.transport = "ipc"
        self.ip = os.path.join(self._private, "kernel")
        self.connection_file = os.path.join(self._private, "connection.json")
        mpl = os.path.join(self._private, "matplotlib")
        os.makedirs(mpl)
        _copy_font_cache(mpl)
        return self._private

    async def _async_pre_start_kernel(self, **kw):
        if self.sandboxed:
            self._prepare_private()
        return await super()._async_pre_start_kernel(**kw)

    def format_kernel_cmd(self, extra_arguments=None) -> list[str]:
        cmd = super().format_kernel_cmd(extra_arguments)
        if self._private is None:
            return cmd
        uid = None
        if os.geteuid() == 0:
            if self._uid_lock is not None:
                os.close(self._uid_lock)
            uid, self._uid_lock = claim_uid(os.path.join(tempfile.gettempdir(), "dlcourse-sandbox-uids"))
            _chown_tree(self._private, uid)
        cwd = os.path.realpath(self._launch_args.get("cwd") or os.getcwd())
        env = self._launch_args.get("env") or os.environ
        return command(cmd, cwd=cwd, private=self._private, uid=uid, nproc=self.max_processes,
                       tmp_mb=self.tmp_mb, env=dict(env), submission=self._readable_copy(cwd, uid))

    def _readable_copy(self, folder: str, uid: int | None) -> str:
        """``folder`` itself when the kernel's uid can read it, else a copy in the private folder."""
        if uid is None or os.stat(folder).st_mode & 0o005 == 0o005:
            return folder
        copy = os.path.join(self._private, "submission")
        shutil.copytree(folder, copy, symlinks=True)
        _chown_tree(copy, uid)
        return copy

    def write_connection_file(self, **kwargs):
        super().write_connection_file(**kwargs)
        if self._private is not None:
            os.chmod(self.connection_file, 0o644)       # the kernel's uid must read it

    async def _async_cleanup_resources(self, restart: bool = False) -> None:
        await super()._async_cleanup_resources(restart=restart)
        if self._private and not restart:
            shutil.rmtree(self._private, ignore_errors=True)
            self._private = None
            if self.inbox:
                shutil.rmtree(self.inbox, ignore_errors=True)
            if self._uid_lock is not None:
                os.close(self._uid_lock)
                self._uid_lock = None

    @property
    def kernel_spec(self):
        spec = super().kernel_spec
        if spec is not None and self.enabled and bwrap() is not None:
            spec.interrupt_mode = "message"              # signals would reach bwrap, not the kernel
        return spec


def _chown_tree(folder: str, uid: int) -> None:
    """Give ``folder`` and everything in it to ``uid`` (links themselves, not their targets)."""
    for root, dirs, files in os.walk(folder):
        for name in [root, *(os.path.join(root, f) for f in dirs + files)]:
            os.lchown(name, uid, uid)


def _copy_font_cache(dest: str) -> None:
    """matplotlib rebuilds its font list (seconds) where it finds none: give the kernel ours."""
    try:
        import matplotlib
        for path in glob.glob(os.path.join(matplotlib.get_cachedir(), "fontlist-*.json")):
            shutil.copy2(path, dest)
    except Exception:        # no cache yet: the kernel builds one in its own tmpfs
        pass


def configured(course: Path) -> bool:
    """Whether the course's nbgrader_config.py runs grading kernels in the sandbox."""
    from traitlets.config.loader import PyFileConfigLoader
    config = PyFileConfigLoader("nbgrader_config.py", path=str(course)).load_config()
    manager = str(config.get("Execute", {}).get("kernel_manager_class", ""))
    return manager.endswith("SandboxedKernelManager") and config.get("SandboxedKernelManager", {}).get("enabled", True)


def ensure_available(course: Path) -> None:
    """Before a class is graded: one clear error, not one per student, when the sandbox is configured
    but bubblewrap is missing."""
    if bwrap() is None and configured(course):
        raise SandboxUnavailable(INSTALL_HINT)

