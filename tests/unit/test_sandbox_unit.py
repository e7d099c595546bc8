"""The sandbox's command line and its failure modes, without starting a kernel."""
import os
import sys

import pytest

from helpers.course import sandbox
from tests.conftest import ROOT


def test_command_shows_only_the_environment_helpers_data_and_the_notebook_folder(tmp_path):
    private, cwd = tmp_path / "private", tmp_path / "autograded" / "alice" / "01-foundations"
    private.mkdir()
    cwd.mkdir(parents=True)
    cmd = sandbox.command([sys.executable, "-m", "ipykernel_launcher", "-f", f"{private}/c.json"], cwd=str(cwd),
                          private=str(private), uid=61001, nproc=64, tmp_mb=32, env={"SECRET": "x", "LANG": "C"})
    text = " ".join(cmd)
    binds = {cmd[i + 2] for i, a in enumerate(cmd) if a in ("--ro-bind", "--bind")}
    package, data = sandbox.course_dirs()
    assert str(package) in binds and (not data.is_dir() or str(data) in binds)
    assert str(ROOT) not in binds and not any(b.startswith(str(ROOT / "source")) for b in binds)
    assert str(private) in binds and "/run/submission" in binds
    assert "--unshare-net" in cmd and "--die-with-parent" in cmd and "--clearenv" in cmd
    assert "--reuid=61001" in text and "--nproc=64" in text
    assert "SECRET" not in text and "--setenv LANG C" in text
    assert cmd[cmd.index("--chdir") + 1] == str(cwd)


def test_autograding_without_bubblewrap_is_one_clear_error(monkeypatch, tmp_path):
    monkeypatch.setattr(sandbox.shutil, "which", lambda name: None)
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    with pytest.raises(sandbox.SandboxUnavailable, match="apt-get install bubblewrap"):
        sandbox.SandboxedKernelManager(kernel_name="python3").sandboxed
    (tmp_path / "nbgrader_config.py").write_text((ROOT / "nbgrader_config.py").read_text())
    with pytest.raises(sandbox.SandboxUnavailable, match="apt-get install bubblewrap"):
        sandbox.ensure_available(tmp_path)
    monkeypatch.setenv("NBGRADER_EXECUTION", "validate")          # a student's own Validate button
    assert sandbox.SandboxedKernelManager(kernel_name="python3").sandboxed is False


def test_the_course_config_selects_the_sandbox(tmp_path):
    (tmp_path / "nbgrader_config.py").write_text((ROOT / "nbgrader_config.py").read_text())
    assert sandbox.configured(tmp_path)
    (tmp_path / "nbgrader_config.py").write_text((ROOT / "nbgrader_config.py").read_text()
                                                 + "\nc.SandboxedKernelManager.enabled = False\n")
    assert not sandbox.configured(tmp_path)


@pytest.mark.skipif(os.geteuid() != 0, reason="uids are claimed only as root")
def test_running_kernels_never_share_a_uid(tmp_path):
    first, lock = sandbox.claim_uid(str(tmp_path))
    second, lock2 = sandbox.claim_uid(str(tmp_path))
    assert first != second
    os.close(lock)
    third, lock3 = sandbox.claim_uid(str(tmp_path))
    assert third == first                       # freed when its kernel's lock is released
    os.close(lock2), os.close(lock3)
