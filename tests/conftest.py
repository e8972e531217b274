"""Shared test fixtures: the shared corpora (skipped cleanly when absent) and the CLI runner."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("ZHTEXT_SHARED", REPO.parent / "shared" / "corpora"))
BUNDLED = REPO / "corpora"


@pytest.fixture(scope="session")
def shared() -> Path:
    """``../shared/corpora``; tests that need it are skipped where it is absent."""
    if not SHARED.is_dir():
        pytest.skip("../shared/corpora is not available")
    return SHARED


@pytest.fixture(scope="session")
def bundled() -> Path:
    """The corpora shipped in this repository (``corpora/``)."""
    return BUNDLED


def run_cli(*args: str, input: str | bytes | None = None, cwd: Path | None = None,
            check: bool = False) -> subprocess.CompletedProcess:
    """Run the installed ``zhtext`` console script (falls back to ``python -m zhtext``)."""
    exe = Path(sys.executable).with_name("zhtext")
    command = [str(exe)] if exe.exists() else [sys.executable, "-m", "zhtext"]
    text = not isinstance(input, bytes)
    result = subprocess.run(command + list(args), input=input, capture_output=True, text=text,
                            cwd=cwd, timeout=900)
    if check and result.returncode != 0:
        raise AssertionError(f"zhtext {' '.join(args)} failed ({result.returncode}):\n{result.stderr}")
    return result


@pytest.fixture
def cli():
    """The CLI runner: ``cli("discover", path, "--top", "5")`` -> CompletedProcess."""
    return run_cli


@pytest.fixture
def cjk_font():
    """The font a PNG with Chinese labels is drawn in; skips where no installed font covers
    Chinese (PNG then refuses with a one-line error; the SVG path needs no font)."""
    pytest.importorskip("matplotlib")
    from zhtext.errors import InputError
    from zhtext.plots import png_font

    try:
        return png_font(["我爱北京。中文分词红楼梦宝玉黛玉"])
    except InputError:
        pytest.skip("no installed font covers Chinese: PNG pictures are not drawn here")


def headless(*args: str) -> subprocess.CompletedProcess:
    """Run headless Chromium (the Debian package) with ``args``; skips the test where there is none."""
    browser = next((path for name in ("chromium", "chromium-browser", "google-chrome")
                    if (path := shutil.which(name))), None)
    if browser is None:
        pytest.skip("no chromium or chromium-browser here (Debian: apt-get install chromium)")
    command = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
               "--disable-dev-shm-usage", "--hide-scrollbars", *args]
    try:
        return subprocess.run(command, capture_output=True, text=True, timeout=60)
    except subprocess.TimeoutExpired:
        pytest.skip("chromium did not answer within a minute")


def assert_drawn(uri: str, tmp_path: Path, size: str, least_dark: int) -> None:
    """A headless-Chromium screenshot of ``uri`` shows something: at least ``least_dark`` dark
    pixels and more than 20 colours (anti-aliased text and strokes, not a flat fill)."""
    image = pytest.importorskip("PIL.Image")
    shot = tmp_path / "shot.png"
    result = headless(f"--screenshot={shot}", f"--window-size={size}", uri)
    if not shot.exists():
        pytest.skip(f"chromium took no screenshot: {result.stderr.strip()[-300:]}")
    with image.open(shot) as picture:
        dark = sum(picture.convert("L").histogram()[:128])
        colours = picture.convert("RGB").getcolors(maxcolors=1 << 20) or []
    assert dark > least_dark and len(colours) > 20
