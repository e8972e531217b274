"""A real browser opens our SVG: headless Chromium reads the Chinese back from the DOM
and draws something that is not blank. Skipped where no Chromium is installed
(Debian: ``apt-get install chromium``)."""

from __future__ import annotations


import pytest
from conftest import assert_drawn, headless

from zhtext import plots

FORMS = ["我们", "在", "北京", "上学", "𠀀", "<script>alert(1)</script>"]
HEADS = [4, 3, 4, 0, 4, 4]


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
    assert_drawn(tree_svg.as_uri(), tmp_path, "800,300", least_dark=500)
