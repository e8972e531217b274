"""The SIGHAN-style scorer against hand-computed examples."""

from __future__ import annotations

import json

import pytest

from zhtext.evaluate import score, score_files

WORDS = ["我们", "喜欢", "北京"]


def test_hand_computed_precision_recall_oov():
    # gold: 我们|喜欢|北京|天安门 ; pred: 我们|喜|欢|北京天安门 -> only 我们 is right.
    s = score(["我们  喜欢  北京  天安门"], ["我们 喜 欢 北京天安门"], WORDS)
    assert (s.gold_words, s.predicted_words, s.correct) == (4, 4, 1)
    assert s.precision == s.recall == s.f1 == pytest.approx(0.25)
    assert s.oov_words == 1 and s.oov_rate == pytest.approx(0.25)   # 天安门
    assert s.oov_recall == 0.0
    assert s.iv_recall == pytest.approx(1 / 3)                        # 我们 of 我们/喜欢/北京


def test_two_lines_oov_found():
    gold = ["他  去  天安门", "天安门  很  大"]
    pred = ["他 去 天安门", "天安 门 很大"]
    s = score(gold, pred, ["他", "去", "很", "大"])
    # line 1: 3/3 correct; line 2: gold 天安门|很|大, pred 天安|门|很大 -> 0 correct
    assert (s.correct, s.gold_words, s.predicted_words) == (3, 6, 6)
    assert s.oov_words == 2 and s.oov_correct == 1 and s.oov_recall == 0.5
    assert s.iv_correct == 2 and s.iv_recall == pytest.approx(2 / 4)
    assert s.f1 == pytest.approx(0.5)


def test_without_word_list_no_oov_figures():
    s = score(["a b"], ["a b"])
    assert s.f1 == 1.0 and s.oov_rate is None and s.oov_recall is None and s.iv_recall is None


def test_mismatched_lines_are_reported_and_count_as_wrong():
    s = score(["我们  喜欢", "北京", "多"], ["我们 喜欢", "南京"])
    assert s.mismatched == [2, 3]
    assert (s.correct, s.gold_words, s.predicted_words) == (2, 4, 3)


def test_blank_trailing_line_is_not_a_mismatch():
    assert score(["a b", ""], ["a b"]).mismatched == []


def test_each_side_counts_its_lines():
    s = score(["a b", "c", "d"], ["a b"])
    assert (s.lines, s.gold_lines, s.predicted_lines, s.mismatched) == (3, 3, 1, [2, 3])


def test_files_and_cli(tmp_path, cli):
    gold, pred, words = tmp_path / "gold.txt", tmp_path / "pred.txt", tmp_path / "words.txt"
    gold.write_bytes("我们  喜欢  北京  天安门\r\n".encode())
    pred.write_text("我们 喜 欢 北京天安门\n", encoding="utf-8")
    words.write_text("\n".join(WORDS) + "\n", encoding="utf-8")
    assert score_files(gold, pred, words).f1 == pytest.approx(0.25)
    result = cli("eval", str(gold), str(pred), "--words", str(words), "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["f1"] == pytest.approx(0.25) and data["oov_recall"] == 0.0
    text = cli("eval", str(gold), str(tmp_path / "missing.txt"))
    assert text.returncode == 2 and len(text.stderr.strip().splitlines()) == 1
    pred.write_text("我们 喜欢 南京\n", encoding="utf-8")
    warned = cli("eval", str(gold), str(pred))
    assert warned.returncode == 0 and "line 1" in warned.stderr
    assert "GOLD has" not in warned.stderr                # same lengths: no length warning
    pred.write_text("", encoding="utf-8")                 # an output cut short
    short = cli("eval", str(gold), str(pred))
    assert short.returncode == 0 and "GOLD has 1 line(s), PRED 0" in short.stderr
