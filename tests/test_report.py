"""``zhtext report``: the page parses, holds every section, escapes the corpus, and its data
matches independent computations (discovery through ``zhtext.discover.discover``, contexts
and figures by brute force over the text); a headless Chromium renders it (skipped cleanly
without one)."""

from __future__ import annotations

import json
import math
import re
import sys
import unicodedata
from html.parser import HTMLParser
from pathlib import Path

import pytest

from conftest import REPO, assert_drawn, headless, run_cli
from zhtext.discover import WordDiscoverer, discover
from zhtext.errors import InputError
from zhtext.lexicon import Lexicon, jieba_dictionary
from zhtext.report import COLLOCATION, FRAGMENT, KNOWN, NEW, build_report
from zhtext.script import simplified

SPECIAL = ["宝玉<script>alert(1)</script>笑道：“你们在这里做什么好事呢？”",
           "😀𠀀𠀁😀宝玉说𠀀𠀁，黛玉也说𠀀𠀁。" * 3 + "𠀀𠀁😀" * 20,
           "𠀀𠀁🎉𠀀𠀁 & 宝玉 <b>粗体</b> 𠀀𠀁。"]
SECTIONS = ("corpus", "lexicon", "clusters", "segmentation", "tree")
TOP, NEW_TOP = 300, 40


def corpus_text() -> str:
    """The special lines, then the first ~100,000 characters of Hongloumeng."""
    lines, size = list(SPECIAL), 0
    with open(REPO / "corpora" / "hongloumeng.txt", encoding="utf-8") as handle:
        for line in handle:
            lines.append(line.rstrip("\n"))
            size += len(line)
            if size > 100_000:
                break
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def corpus_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("report") / "small.txt"
    path.write_text(corpus_text(), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def report(corpus_file):
    return build_report(corpus_file, top=TOP, new_top=NEW_TOP, device="cpu")


@pytest.fixture(scope="module")
def page(report, corpus_file) -> Path:
    path = corpus_file.with_name("report.html")
    report.save(path)
    return path


def data_of(html: str) -> dict:
    match = re.search(r'<script type="application/json" id="zhtext-data">(.*?)</script>', html, re.S)
    assert match, "no table data"
    return json.loads(match.group(1))


class Outline(HTMLParser):
    """Ids, section ids, tags left open, and the text of every <script> without type."""

    VOID = {"meta", "input", "br", "img", "link", "hr", "col", "area", "base", "source", "wbr"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.ids, self.sections, self.stack, self.scripts, self.links = set(), [], [], [], []
        self._script = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.add(attrs["id"])
        if tag == "section":
            self.sections.append(attrs.get("id"))
        for name in ("src", "href"):
            if name in attrs:
                self.links.append(attrs[name])
        if tag == "script":
            self._script = attrs.get("type")
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):      # <path .../> inside the SVG
        self.handle_starttag(tag, attrs)
        if tag not in self.VOID:
            self.stack.pop()

    def handle_endtag(self, tag):
        assert self.stack and self.stack[-1] == tag, f"</{tag}> closes <{self.stack[-1:]}>"
        self.stack.pop()

    def handle_data(self, data):
        if self.stack and self.stack[-1] == "script" and self._script is None:
            self.scripts.append(data)


# -------------------------------------------------------------------------- the page
def test_page_parses_with_every_section(page):
    html = page.read_text(encoding="utf-8")
    outline = Outline()
    outline.feed(html)
    outline.close()
    assert outline.stack == []
    assert outline.sections == list(SECTIONS)
    for name in ("words", "q", "status", "tick-new", "export", "zhtext-data"):
        assert name in outline.ids
    assert html.startswith("<!DOCTYPE html>") and '<meta charset="utf-8">' in html


def test_no_network_at_view_time(page):
    html = page.read_text(encoding="utf-8")
    outline = Outline()
    outline.feed(html)
    assert all(not re.match(r"\s*(https?:)?//", link) for link in outline.links), outline.links
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", html, re.I)
    assert "<link" not in html and "@import" not in html and "url(" not in html


def test_corpus_markup_is_escaped(page, report):
    html = page.read_text(encoding="utf-8")
    assert "<script>alert" not in html and "<b>粗体" not in html
    assert html.count("<script") == 2        # the JSON block and the page's own script
    data = data_of(html)
    raw = html[html.index('id="zhtext-data">'):]
    assert "\\u003cscript\\u003ealert(" in raw[: raw.index("</script>")]
    contexts = [c for row in data["rows"] for c in row["x"]]
    assert any("<script>alert(" in c[1] for c in contexts)              # kept as text
    assert '<span class="w">&lt;</span> <span class="w">script</span>' in html   # segmentation sample
    assert any("<script>" in "".join(words) for words in report.segmented)


def test_table_matches_discovery(page, corpus_file):
    """The TOP most frequent words and the NEW_TOP new words of highest score, by count."""
    rows = data_of(page.read_text(encoding="utf-8"))["rows"]
    everything = discover(corpus_file).with_min_length(2).ranked("count")
    finder = WordDiscoverer().fit(corpus_file)
    new = finder.new_words(Lexicon.load(jieba_dictionary()).words).with_min_length(2).ranked("score")
    chosen = set(everything.words[:TOP]) | set(new.words[:NEW_TOP])
    lexicon = everything.select([w in chosen for w in everything.words])
    assert len(lexicon) > TOP + NEW_TOP // 2
    assert [r["w"] for r in rows] == list(lexicon.words)
    assert [r["c"] for r in rows] == lexicon.counts.tolist()
    for row, entry in zip(rows, lexicon.entries()):
        assert row["coh"] == pytest.approx(entry.cohesion, abs=5e-4)
        assert row["s"] == pytest.approx(entry.score, abs=5e-4)
        assert row["hl"] == pytest.approx(entry.left_entropy, abs=5e-4)
    keyed = WordDiscoverer(background="default").fit(corpus_file).lexicon_      # the shipped base
    keyness = dict(zip(keyed.words, keyed.keyness.tolist()))
    assert all(row["k"] is None if math.isnan(keyness[row["w"]])   # 一个: the base cannot count it
               else row["k"] == pytest.approx(keyness[row["w"]], abs=0.05) for row in rows)
    known = [row["k"] for row in rows if row["k"] is not None]
    assert len(known) < len(rows) and max(known) > 0 and min(known) < 0


def test_keyness_ranks_the_table_and_needs_a_background(corpus_file):
    table = build_report(corpus_file, top=20, new_top=0, rank="keyness", clusters=False, parse=False).lexicon
    assert list(table.keyness) == sorted(table.keyness, reverse=True)
    with pytest.raises(InputError, match="background"):
        build_report(corpus_file, rank="keyness", background="none", clusters=False, parse=False)


def test_status_against_jieba(page, corpus_file):
    rows = data_of(page.read_text(encoding="utf-8"))["rows"]
    known = Lexicon.load(jieba_dictionary()).words
    finder = WordDiscoverer().fit(corpus_file)
    new = set(finder.new_words(known).words)
    folded = {simplified(w) for w in known}
    for row in rows:
        expected = {NEW} if row["w"] in new else {KNOWN} if simplified(row["w"]) in folded else \
            {COLLOCATION, FRAGMENT}
        assert row["st"] in expected, row["w"]
    assert {NEW, KNOWN} <= {row["st"] for row in rows}


def test_contexts_are_the_first_occurrences(page):
    """Brute force: the first five occurrences of each word in the text, cut at the line."""
    text = corpus_text()
    rows = data_of(page.read_text(encoding="utf-8"))["rows"]
    for row in rows:
        word, expected, at = row["w"], [], -1
        while len(expected) < 5:
            at = text.find(word, at + 1)
            if at < 0:
                break
            left = text[max(at - 15, 0): at].rsplit("\n", 1)[-1]
            right = text[at + len(word): at + len(word) + 15].split("\n", 1)[0]
            expected.append([left, right])
        assert row["x"] == expected and row["x"], word


def test_figures_by_brute_force(report):
    text = corpus_text()
    han = [c for c in text if unicodedata.name(c, "").startswith(("CJK UNIFIED", "CJK COMPATIBILITY IDEO"))]
    f = report.figures
    assert (f.chars, f.lines, f.text_bytes) == (len(text), text.count("\n"), len(text.encode()))
    assert f.han == len(han)
    assert f.traditional == sum(simplified(c) != c for c in han)
    assert f.script == "simplified"


def test_emoji_and_extension_b(page, report):
    rows = {r["w"]: r for r in data_of(page.read_text(encoding="utf-8"))["rows"]}
    assert "𠀀𠀁" in rows                                 # a word of two Extension B characters
    assert rows["𠀀𠀁"]["x"][0] == ["😀", "😀宝玉说𠀀𠀁，黛玉也说𠀀𠀁。😀"]
    assert report.contexts[report.lexicon.words.index("𠀀𠀁")][0][1] == "𠀀𠀁"
    assert "😀" not in rows


def test_sections_filled(report, page):
    html = page.read_text(encoding="utf-8")
    assert report.segmented and all(report.segmented)
    assert len(report.clusters) >= 3 and 'class="zhtext-clusters"' in html
    if report.parse_svg:                                   # the dependency model is here
        assert 'class="zhtext-dependency"' in html and len(report.parse_heads) == len(report.parse_words)
        assert sorted(report.parse_heads).count(0) == 1
    else:
        assert report.parse_note.startswith("absent: ")
    assert "Traceback" not in html


def test_export_script_present(page):
    html = page.read_text(encoding="utf-8")
    script = html[html.rindex("<script>"):]
    for needle in ("new Blob(", 'a.download="userdict.txt"', "URL.createObjectURL", '"tick-new"',
                   'r.w+" "+r.c'):
        assert needle in script, needle
    assert 'id="tick-new"' in html and 'id="export"' in html


def test_sample_spreads_evenly():
    """Brute force: the kept lines are those at the multiples of the final stride."""
    from zhtext.report import _Sampler

    lines = [f"{k:09d}" for k in range(1000)]                    # 10 characters with the newline
    sampler = _Sampler(700)
    text = "\n".join(lines) + "\n"
    for start in range(0, len(text), 777):                         # blocks end mid-line
        sampler.add(text[start: start + 777])
    kept = sampler.finish()
    assert kept == lines[:: sampler.stride] and sampler.stride == 16
    assert sum(map(len, kept)) <= 700


# -------------------------------------------------------------------------- bad input
def test_lexicon_of_one_word_and_sentence_of_one_word():
    report = build_report(["宝玉。"] * 50, sentence="宝玉", device="cpu")
    assert report.lexicon.words == ("宝玉",)
    assert report.clusters == () and report.clusters_note.startswith("absent: ")
    assert report.parse_words == ("宝玉",)
    assert report.parse_heads in ((0,), ()) and (report.parse_svg or report.parse_note.startswith("absent"))
    html = report.html()
    rows = data_of(html)["rows"]
    assert [r["w"] for r in rows] == ["宝玉"] and rows[0]["x"] == [["", "。"]] * 5


def _escaped(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def test_tree_without_torch_from_the_dependency_model(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)        # import torch now fails
    report = build_report(["宝玉笑道。"] * 30, clusters=False)
    assert report.parse_svg and sorted(report.parse_heads).count(0) == 1
    assert "Dependency Model with Valence" in report.parse_note


def test_tree_absent_without_torch_when_a_masked_lm_is_asked_for(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "torch", None)
    report = build_report(["宝玉笑道。"] * 30, clusters=False, model=str(tmp_path))
    note = report.parse_note                                # zhtext.probe.import_torch's line
    assert note.startswith("absent: ") and "torch" in note and "pip install 'zhtext[bert]'" in note
    assert "\n" not in note and report.parse_svg == "" and report.parse_words[:2] == ("宝玉", "笑道")
    assert _escaped(note) in report.html()


def test_tiny_corpus_with_no_word():
    report = build_report(["宝"], parse=False, clusters=False)
    assert len(report.lexicon) == 0 and "No word reached the min count" in report.html()


def test_no_han_text_is_refused():
    with pytest.raises(InputError, match="no Chinese"):
        build_report(["hello world 😀 123", "ｶﾀｶﾅ カタカナ"])


def test_cli_no_han_is_one_line_and_writes_nothing(tmp_path):
    source = tmp_path / "english.txt"
    source.write_text("hello world 😀\nno Chinese here\n", encoding="utf-8")
    out = tmp_path / "r.html"
    result = run_cli("report", str(source), "-o", str(out), "--no-parse")
    assert result.returncode == 2 and not out.exists()
    assert result.stderr.strip().count("\n") == 0 and "no Chinese (Han) characters" in result.stderr
    assert "Traceback" not in result.stderr


def test_cli_missing_folder_before_any_work(tmp_path, corpus_file):
    result = run_cli("report", str(corpus_file), "-o", str(tmp_path / "nowhere" / "r.html"))
    assert result.returncode == 2 and "no such folder" in result.stderr
    assert result.stderr.strip().count("\n") == 0


def test_cli_writes_the_page(tmp_path, corpus_file):
    out = tmp_path / "r.html"
    result = run_cli("report", str(corpus_file), "-o", str(out), "--top", "50", "--new-top", "0", "--no-parse",
                     "--no-clusters")
    assert result.returncode == 0, result.stderr
    html = out.read_text(encoding="utf-8")
    assert len(data_of(html)["rows"]) == 50 and "skipped (--no-clusters)" in html
    assert not list(tmp_path.glob(".*.tmp"))
    bad = run_cli("report", str(corpus_file), "-o", str(out), "--sentence", " ")
    assert bad.returncode == 2 and "--sentence is empty" in bad.stderr


# -------------------------------------------------------------------------- a real browser
def test_browser_renders_the_table(page, report):
    result = headless("--dump-dom", page.as_uri())
    if result.returncode != 0 or "<table" not in result.stdout:
        pytest.skip(f"chromium could not load the page: {result.stderr.strip()[-300:]}")
    dom = result.stdout
    table = dom[dom.index('<table id="words"'):]
    body = table[table.index("<tbody>"): table.index("</tbody>")]
    for word in report.lexicon.words[:20]:                 # the first page, drawn by the script
        assert f">{word}</a>" in body
    assert body.count("<tr") == 100
    assert f"{len(report.lexicon)} of {len(report.lexicon)} words shown" in dom
    assert "<script>alert" not in dom


def test_browser_ticks_and_exports(page, tmp_path):
    """A page that frames the report, ticks the new words and reads back what export would save."""
    wrapper = page.with_name("wrapper.html")
    wrapper.write_text(f"""<html><body><pre id="out">waiting</pre>
<iframe id="f" src="{page.name}" width="1000" height="600"></iframe><script>
document.getElementById("f").addEventListener("load", function() {{
  var w = this.contentWindow, d = w.document;
  d.getElementById("tick-new").click();
  var text = w.zhtextReport.dictionary();
  w.zhtextReport.sortBy("c");
  var link = d.querySelector("#words tbody td.word a");
  link.click();
  var kwic = Array.prototype.map.call(d.querySelectorAll("tr.ctx .kwic"), function(line) {{
    return line.textContent; }});
  document.getElementById("out").textContent = JSON.stringify({{dictionary: text,
    ticked: d.getElementById("ticked").textContent, first: link.textContent, kwic: kwic}});
}});</script></body></html>""", encoding="utf-8")
    result = headless("--allow-file-access-from-files", "--dump-dom", wrapper.as_uri())
    match = re.search(r'<pre id="out">(\{.*?\})</pre>', result.stdout, re.S)
    if not match:
        pytest.skip(f"chromium ran no script in the frame: {result.stderr.strip()[-300:]}")
    out = json.loads(re.sub(r"&(amp|lt|gt|quot);", lambda m: {"amp": "&", "lt": "<", "gt": ">",
                                                               "quot": '"'}[m.group(1)], match.group(1)))
    rows = data_of(page.read_text(encoding="utf-8"))["rows"]
    new = [f"{r['w']} {r['c']}" for r in rows if r["st"] == NEW]
    assert out["dictionary"] == "".join(line + "\n" for line in new) and new
    assert out["ticked"] == f"{len(new)} ticked"
    first = max(rows, key=lambda r: r["c"])
    assert out["first"] == first["w"]
    assert out["kwic"] == [left + first["w"] + right for left, right in first["x"]] and out["kwic"]


def test_browser_screenshot_is_not_blank(page, tmp_path):
    assert_drawn(page.as_uri(), tmp_path, "1000,800", least_dark=5000)
