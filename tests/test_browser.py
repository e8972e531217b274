"""A real browser opens our SVG: headless Chromium reads the Chinese back from the DOM
and draws something that is not blank. Skipped where no Chromium is installed
(Debian: ``apt-get install chromium``)."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from zhtext import plots

FORMS = ["我们", "在", "北京", "上学", "𠀀", "<script>alert(1)</script>"]
HEADS = [4, 3, 4, 0, 4, 4]


def browser() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    pytest.skip("no chromium or chromium-browser here (Debian: apt-get install chromium)")


def headless(*args: str) -> subprocess.CompletedProcess:
    command = [browser(), "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
               "--disable-dev-shm-usage", "--hide-scrollbars", *args]
    try:
        return subprocess.run(command, capture_output=True, text=True, timeout=60)
    except subprocess.TimeoutExpired:
        pytest.skip("chromium did not answer within a minute")


@pytest.fixture(scope="module")
def tree_svg(tmp_path_factory):
    path = tmp_path_factory.mktemp("browser") / "tree.svg"
    plots.draw_dependency(FORMS, HEADS, path)
    return path


def test_browser_dom_keeps_the_chinese_as_text(tree_svg):
    result = headless("--dump-dom", tree_svg.as_uri())
    if result.returncode != 0 or "<svg" not in result.stdout:
        pytest.skip(f"chromium could not load the page: {result.stderr.strip()[-300:]}")
    dom = result.stdout
    for form in ("我们", "北京", "上学", "𠀀", "ROOT"):
        assert f">{form}<" in dom
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in dom and "<script>" not in dom
    assert 'xml:lang="zh"' in dom


def test_browser_screenshot_is_not_blank(tree_svg, tmp_path):
    image = pytest.importorskip("PIL.Image")
    shot = tmp_path / "shot.png"
    result = headless(f"--screenshot={shot}", "--window-size=800,300", tree_svg.as_uri())
    if not shot.exists():
        pytest.skip(f"chromium took no screenshot: {result.stderr.strip()[-300:]}")
    with image.open(shot) as picture:
        grey = picture.convert("L")
        dark = sum(grey.histogram()[:128])
        colours = picture.convert("RGB").getcolors(maxcolors=1 << 20) or []
    assert dark > 500                  # words and arcs, not an empty page
    assert len(colours) > 20           # anti-aliased text and strokes, not a flat fill
