"""Pictures: SVG built by zhtext.svg (well-formed, Chinese kept as text, corpus text escaped),
PNG only in a font that covers every label, notebook hooks, and the CLI options."""

from __future__ import annotations

import math
import subprocess
import sys
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from zhtext import plots, svg
from zhtext.errors import InputError
from zhtext.trees import ConstituencyTree, DependencyTree

SVG = "{http://www.w3.org/2000/svg}"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
FORMS = ["我们", "在", "北京", "<script>", "上学", "。"]
HEADS = [5, 3, 5, 3, 0, 5]
BRACKETS = ((0, (1, 2)), ((3, 4), 5))
ODD = ["😀", "𠀀", "👨‍👩‍👧", "e\u0301", "A&B", '"q"']      # emoji, CJK Ext. B, ZWJ sequence, combining


def parse(text: str) -> ET.Element:
    root = ET.fromstring(text)
    assert root.tag == SVG + "svg" and root.get(XML_LANG) == "zh"
    assert "Noto Sans CJK SC" in root.get("font-family") and root.get("font-family").endswith("sans-serif")
    assert not [e for e in root.iter() if e.tag.endswith("script") or e.tag.endswith("foreignObject")]
    return root


def labels(root: ET.Element) -> list[str]:
    """The text of every <text> element: what a browser shows."""
    return ["".join(e.itertext()) for e in root.iter(SVG + "text")]


def pictures(forms):
    """All four SVGs of a sentence (a chain tree, a right-branching bracketing)."""
    n = len(forms)
    heads = [0] + list(range(1, n))
    tree = n - 1
    for k in range(n - 2, -1, -1):
        tree = (k, tree)
    rng = np.random.default_rng(0)
    return [svg.dependency_svg(forms, heads), svg.constituency_svg(tree, forms),
            svg.heatmap_svg(rng.random((n, n)), forms),
            svg.cluster_svg([forms[: (n + 1) // 2], forms[(n + 1) // 2:]],
                            [(forms[0], forms[-1], 1.0)], {w: 1.0 for w in forms})]


def test_every_picture_is_xml_with_the_words_as_text():
    for text in pictures(FORMS):
        shown = labels(parse(text))
        for form in FORMS:
            assert form in shown
        assert "&lt;script&gt;" in text and "<script>" not in text


def test_dependency_arcs_root_and_relations():
    root = parse(svg.dependency_svg(FORMS, HEADS, ["nsubj", "case", "obl", "<dep>", "root", "punct"]))
    arcs = [p for p in root.iter(SVG + "path") if p.get("class") == "arc"]
    assert len(arcs) == 5 and len([p for p in root.iter(SVG + "path") if p.get("class") == "root"]) == 1
    assert "ROOT" in labels(root) and "<dep>" in labels(root)
    # each arc's tooltip reads head → dependent, and its path ends above the dependent
    words = {e.text: float(e.get("x")) for e in root.iter(SVG + "text") if e.get("class") == "word"}
    for arc in arcs:
        head, dependent = arc.find(SVG + "title").text.split(" → ")
        end_x = float(arc.get("d").split()[-1].split(",")[0])
        assert math.isclose(end_x, words[dependent]) and head != dependent
    with pytest.raises(InputError, match="heads"):
        svg.dependency_svg(FORMS, [0, 9, 1, 1, 1, 1])
    with pytest.raises(InputError, match="list"):
        svg.dependency_svg("我爱北京", [0, 1, 1, 1])
    with pytest.raises(InputError, match="no words"):
        svg.dependency_svg([], [])


def test_constituency_tree_nodes_and_bad_leaves():
    root = parse(svg.constituency_svg(BRACKETS, FORMS))
    assert len(list(root.iter(SVG + "circle"))) == 5        # n - 1 brackets of a binary tree
    assert labels(root) == FORMS
    with pytest.raises(InputError, match="leaf"):
        svg.constituency_svg((0, 7), ["我", "爱"])
    with pytest.raises(InputError, match="empty"):
        svg.constituency_svg((0, ()), ["我", "爱"])


def test_heatmap_cells_scale_and_shape():
    matrix = np.arange(9.0).reshape(3, 3)
    matrix[0, 1] = np.nan
    root = parse(svg.heatmap_svg(matrix, ["我", "爱", "北京"]))
    cells = [r for g in root.iter(SVG + "g") if g.get("class") == "cells" for r in g.iter(SVG + "rect")]
    assert len(cells) == 9
    assert cells[0].get("fill") == svg.viridis(0.0) and cells[-1].get("fill") == svg.viridis(1.0)
    assert cells[1].get("fill") == "#dddddd"                 # NaN
    assert "F(i, j)" in labels(root) and "8" in labels(root) and "0" in labels(root)
    with pytest.raises(InputError, match="labels"):
        svg.heatmap_svg(np.zeros((2, 3)), ["我", "爱"])


def test_one_word_sentence():
    for text in pictures(["好"]):
        assert "好" in labels(parse(text))
    assert "好" in labels(parse(svg.heatmap_svg([[0.0]], ["好"])))


def test_three_hundred_words():
    forms = [f"词{k}" for k in range(300)]
    for text in pictures(forms):
        shown = set(labels(parse(text)))
        assert shown >= set(forms)


def test_emoji_extension_b_and_characters_xml_cannot_hold():
    for text in pictures(ODD):
        shown = labels(parse(text))
        assert all(form in shown for form in ODD)
    root = parse(svg.dependency_svg(["a\x01b", "\ud800"], [0, 1]))
    assert "a\ufffdb" in labels(root) and "\ufffd" in labels(root)


def test_text_width_counts_wide_characters_as_one_em():
    assert svg.text_width("北京", 10) == 20 and svg.text_width("ab", 10) == 12
    assert svg.text_width("𠀀😀", 10) == 20 and svg.text_width("e\u0301", 10) == 6


def test_cluster_layout_is_deterministic_and_keeps_modules_apart():
    clusters = [[f"甲{k}" for k in range(25)], [f"乙{k}" for k in range(10)], ["丙"]]
    positions, centres = svg.cluster_layout(clusters)
    assert svg.cluster_layout(clusters) == (positions, centres)
    assert len(positions) == 36 and positions["甲0"] == centres[0][:2]
    for a in range(3):
        for b in range(a + 1, 3):
            (xa, ya, ra), (xb, yb, rb) = centres[a], centres[b]
            assert math.hypot(xa - xb, ya - yb) >= ra + rb
    spots = {(round(x), round(y)) for x, y in positions.values()}
    assert len(spots) == 36


def test_one_list_of_cjk_families():
    assert plots.CJK_FAMILIES is svg.CJK_FAMILIES
    assert all(f"'{family}'" in svg.FONT_FAMILY for family in svg.CJK_FAMILIES)


def test_draw_svg_files_without_matplotlib(tmp_path):
    script = f"""
import sys
sys.modules['matplotlib'] = None          # any import of it fails
from zhtext import plots
plots.draw_dependency({FORMS!r}, {HEADS!r}, {str(tmp_path / 'dep.svg')!r})
plots.draw_constituency({BRACKETS!r}, {FORMS!r}, {str(tmp_path / 'con.svg')!r})
plots.draw_heatmap([[0, 1], [1, 0]], ['我', '爱'], {str(tmp_path / 'heat.svg')!r})
plots.draw_clusters([['北京', '上海'], ['苹果']], {str(tmp_path / 'clu.svg')!r}, edges=[('北京', '上海', 1)])
"""
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    for name, word in (("dep", "北京"), ("con", "上学"), ("heat", "爱"), ("clu", "苹果")):
        path = tmp_path / f"{name}.svg"
        assert path.read_text(encoding="utf-8").startswith('<?xml version="1.0" encoding="UTF-8"?>')
        assert word in labels(ET.parse(path).getroot())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clu.svg", "con.svg", "dep.svg", "heat.svg"]
    with pytest.raises(InputError, match="svg or .png"):
        plots.draw_dependency(["我"], [0], tmp_path / "dep.pdf")


def test_notebook_display():
    tree = DependencyTree(FORMS, HEADS)
    assert FORMS[2] in labels(parse(tree._repr_svg_()))
    constituents = ConstituencyTree(BRACKETS, FORMS)
    assert "上学" in labels(parse(constituents._repr_svg_()))
    assert str(constituents) == "((我们 (在 北京)) ((<script> 上学) 。))"


def test_lexicon_html_is_an_escaped_table():
    from zhtext.lexicon import Lexicon
    lexicon = Lexicon.from_columns(["北京", "<b>词</b>", "上海"], [30, 20, 10], score=[1.5, 0.25, math.nan])
    html = svg.lexicon_html(lexicon, limit=2)
    table = ET.fromstring(html)
    cells = [["".join(td.itertext()) for td in tr] for tr in table.iter("tr")]
    assert cells[1][:3] == ["1", "北京", "30"] and cells[1][-1] == "1.5000"
    assert cells[2][1] == "<b>词</b>" and "&lt;b&gt;" in html and len(cells) == 3
    assert "the first 2 shown" in html and "上海" not in html
    assert svg.lexicon_html(lexicon).count("<tr>") == 4 and "<td style=\"text-align:right\"></td>" in \
        svg.lexicon_html(lexicon)
    assert "keyness" not in html                    # no background: no keyness column
    keyed = Lexicon.from_columns(["北京", "上海"], [30, 10], keyness=[12.5, -3.0])
    rows = [["".join(td.itertext()) for td in tr] for tr in ET.fromstring(svg.lexicon_html(keyed)).iter("tr")]
    assert rows[0][-1] == "keyness" and [r[-1] for r in rows[1:]] == ["12.5000", "-3.0000"]


# -- PNG: only in a font that covers the labels ------------------------------------------
def _dejavu() -> str:
    matplotlib = pytest.importorskip("matplotlib")
    from pathlib import Path
    return str(Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf")


def test_png_without_a_covering_font_is_a_one_line_error(tmp_path, monkeypatch):
    dejavu = _dejavu()
    monkeypatch.delenv(plots.FONT_ENV, raising=False)
    monkeypatch.setattr(plots, "_installed", lambda: [])
    for draw in (lambda p: plots.draw_dependency(FORMS, HEADS, p),
                 lambda p: plots.draw_constituency(BRACKETS, FORMS, p),
                 lambda p: plots.draw_heatmap(np.eye(6), FORMS, p),
                 lambda p: plots.draw_clusters([FORMS], p)):
        with pytest.raises(InputError) as error:
            draw(tmp_path / "picture.png")
        message = str(error.value)
        assert "\n" not in message and "--font" in message and "ZHTEXT_FONT" in message and ".svg" in message
    with pytest.raises(InputError, match="no glyph for .*U\\+4EEC"):
        plots.draw_dependency(FORMS, HEADS, tmp_path / "picture.png", font=dejavu)
    monkeypatch.setenv(plots.FONT_ENV, dejavu)
    with pytest.raises(InputError, match="DejaVuSans.ttf: the font has no glyph"):
        plots.png_font(["北京"])
    monkeypatch.setenv(plots.FONT_ENV, str(tmp_path / "none.ttf"))
    with pytest.raises(InputError, match="no such font file .from ZHTEXT_FONT"):
        plots.png_font(["北京"])
    assert list(tmp_path.iterdir()) == []


def test_png_of_latin_labels_needs_no_cjk_font(tmp_path, monkeypatch):
    _dejavu()
    monkeypatch.delenv(plots.FONT_ENV, raising=False)
    assert plots.png_font(["hello", "world"]).path          # DejaVu Sans, matplotlib's own
    plots.draw_dependency(["hello", "world"], [0, 1], tmp_path / "dep.png")
    assert (tmp_path / "dep.png").read_bytes().startswith(b"\x89PNG")


def test_png_in_a_covering_font(tmp_path, monkeypatch, recwarn):
    _dejavu()
    monkeypatch.delenv(plots.FONT_ENV, raising=False)
    try:
        font = plots.png_font(FORMS)
    except InputError:
        pytest.skip("no installed font covers Chinese (install fonts-noto-cjk or fonts-wqy-zenhei)")
    plots.draw_dependency(FORMS, HEADS, tmp_path / "dep.png", deprels=["a"] * 6)
    plots.draw_constituency(BRACKETS, FORMS, tmp_path / "con.png")
    plots.draw_heatmap(np.eye(6) - 0.5, FORMS, tmp_path / "heat.png", font=font.path)   # by path too
    plots.draw_clusters([FORMS[:3], FORMS[3:]], tmp_path / "clu.png", edges=[("我们", "在", 1.0)],
                        flow={w: 0.1 for w in FORMS})
    for name in ("dep", "con", "heat", "clu"):
        assert (tmp_path / f"{name}.png").read_bytes().startswith(b"\x89PNG")
    assert not [w for w in recwarn if "Glyph" in str(w.message)]


def test_the_fonts_extra_gives_png_its_font(tmp_path, monkeypatch, recwarn):
    """With ``zhtext[fonts]`` installed, PNG pictures need no system font: its Noto Sans CJK SC
    is registered in memory and covers the labels."""
    import importlib.util

    pytest.importorskip("matplotlib")
    if importlib.util.find_spec(plots.FONT_EXTRA[0]) is None:
        pytest.skip("the zhtext[fonts] extra is not installed")
    monkeypatch.delenv(plots.FONT_ENV, raising=False)
    font = plots.png_font(["我们在北京上学", "宝玉笑道"])
    assert font.family == "Noto Sans CJK SC" and font.path.endswith("NotoSansCJKsc-Regular.otf")
    plots.draw_dependency(["我们", "在", "北京", "上学"], [4, 3, 4, 0], tmp_path / "dep.png")
    assert (tmp_path / "dep.png").read_bytes().startswith(b"\x89PNG")
    assert not [w for w in recwarn if "Glyph" in str(w.message)]


# -- CLI ------------------------------------------------------------------------------------
TOPICS = [["经济", "市场", "企业", "投资", "银行"], ["足球", "比赛", "球队", "冠军", "球员"],
          ["学生", "学校", "老师", "教育", "课程"]]


@pytest.fixture
def segmented(tmp_path):
    rng = np.random.default_rng(1)
    lines = [" ".join(rng.choice(TOPICS[k % 3], 6)) for k in range(300)]
    path = tmp_path / "segmented.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_cli_cluster_words_svg_plot_keeps_labels(cli, segmented, tmp_path):
    out, picture = tmp_path / "clusters.txt", tmp_path / "clusters.svg"
    result = cli("cluster-words", str(segmented), "--tokenizer", "whitespace", "--kind", "cooc",
                 "--min-count", "1", "-o", str(out), "--plot", str(picture), "-q")
    assert result.returncode == 0, result.stderr
    shown = set(labels(parse(picture.read_text(encoding="utf-8"))))
    assert shown >= {w for words in TOPICS for w in words}
    assert [e for e in ET.parse(picture).getroot().iter(SVG + "line")]      # the edges are drawn


def test_cli_picture_errors_come_before_the_work(cli, segmented, tmp_path):
    _dejavu()
    bad = cli("cluster-words", str(segmented), "--tokenizer", "whitespace", "-o", str(tmp_path / "c.txt"),
              "--plot", str(tmp_path / "c.pdf"))
    assert bad.returncode == 2 and ".svg or .png" in bad.stderr and not (tmp_path / "c.txt").exists()
    text = tmp_path / "in.txt"
    text.write_text("我爱北京\n", encoding="utf-8")
    # the font is checked before the model is even loaded (there is none here)
    result = cli("parse", str(text), "--model", str(tmp_path / "no-model"), "--draw", str(tmp_path / "t.png"),
                 "--font", _dejavu())
    assert result.returncode == 2 and "no glyph for" in result.stderr and "--font" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    wrong = cli("parse", str(text), "--heatmap", str(tmp_path / "h.jpg"))
    assert wrong.returncode == 2 and ".svg or .png" in wrong.stderr
