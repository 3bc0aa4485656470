"""The README's Quick start is what CI does: the install command it names is the script
.ci/run calls, the test command is the one .ci/run runs, and test screenshots land in an
ignored folder unless asked for."""

from __future__ import annotations

import os
import re
import subprocess

from tests.conftest import REPO, SCREENSHOTS

README = (REPO / "README.md").read_text(encoding="utf-8")
CI = (REPO / ".ci" / "run").read_text(encoding="utf-8")


def quick_start_commands() -> list[str]:
    section = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```bash\n(.*?)```", section, re.S).group(1)
    return [line.split("#", 1)[0].strip() for line in block.splitlines() if line.strip()]


def test_quick_start_is_install_then_demo_and_ci_runs_the_same_install():
    install, demo = quick_start_commands()
    assert demo == "xiaoer demo"
    assert os.access(REPO / install, os.X_OK)
    assert f"bash {install}" in CI
    test_command = re.search(r"\*\*Tests:\*\* `([^`]+)`", README).group(1)
    assert test_command in CI.splitlines()


def test_screenshots_go_to_an_ignored_folder_by_default():
    if "XIAOER_SCREENSHOTS" in os.environ:  # scripts/screenshots.sh is refreshing the README's images
        return
    probe = SCREENSHOTS / "widget.png"
    ignored = subprocess.run(["git", "check-ignore", "-q", str(probe)], cwd=REPO)
    assert ignored.returncode == 0, f"{probe} is not ignored by git"
