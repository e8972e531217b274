"""Every example in every ``--help`` runs as written from a source checkout.

The examples block of a help text starts at a line ``examples...:`` and ends at
the first empty line; each indented line not starting with ``#`` is one shell
command. A command's examples run in order, in one folder that holds the
checkout's ``corpora/`` and ``models/`` (so later lines may use what earlier
ones wrote), with ``bash -e -o pipefail``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO, run_cli

COMMANDS = ["", "ngrams", "discover", "segment", "fit", "eval", "parse", "pretrain", "graph",
            "communities", "cluster-words", "report"]


def examples(command: str) -> list[str]:
    """The example command lines of ``zhtext COMMAND --help``."""
    text = run_cli(*([command] if command else []), "--help", check=True).stdout
    lines, inside = [], False
    for line in text.splitlines():
        if line.startswith("examples"):
            inside = True
        elif inside and not line.strip():
            break
        elif inside and not line.strip().startswith("#"):
            lines.append(line.strip())
    return lines


def test_every_command_has_examples():
    for command in COMMANDS:
        assert examples(command), f"zhtext {command} --help has no examples"


@pytest.mark.slow
@pytest.mark.parametrize("command", COMMANDS)
def test_help_examples_run(command, tmp_path):
    for name in ("corpora", "models"):
        (tmp_path / name).symlink_to(REPO / name)
    bin_dir = str(Path(sys.executable).parent)
    env = {**os.environ, "PATH": bin_dir + os.pathsep + os.environ.get("PATH", "")}
    for line in examples(command):
        result = subprocess.run(["bash", "-e", "-o", "pipefail", "-c", line], cwd=tmp_path, env=env,
                                capture_output=True, text=True, timeout=600)
        assert result.returncode == 0, f"{line!r} failed ({result.returncode}):\n{result.stderr[-2000:]}"
        assert "Traceback" not in result.stderr, f"{line!r}:\n{result.stderr[-2000:]}"
