"""The rule pre-tokenizer: classes and the cuts it fixes before any statistics."""

from __future__ import annotations

import numpy as np
import pytest

from zhtext import tokens


def pieces(text: str) -> list[tuple[str, int]]:
    points = tokens.code_points(text)
    starts, kinds = tokens.token_starts(points, tokens.class_table()[points], tokens.protected_spans(text))
    bounds = starts.tolist()
    return [(text[a:b], int(k)) for a, b, k in zip(bounds, bounds[1:], kinds.tolist())]


def words(text: str) -> list[str]:
    return [w for w, kind in pieces(text) if kind != tokens.WHITESPACE]


@pytest.mark.parametrize("char, cls", [("中", tokens.HAN), ("〇", tokens.HAN), ("𠀀", tokens.HAN),
                                       ("カ", tokens.HAN), ("a", tokens.LETTER), ("Ｚ", tokens.LETTER),
                                       ("7", tokens.DIGIT), ("７", tokens.DIGIT), (" ", tokens.SPACE),
                                       ("\u3000", tokens.SPACE), ("，", tokens.PUNCT), ("😀", tokens.PUNCT),
                                       ("\u0301", tokens.MARK), ("\u200d", tokens.JOINER),
                                       ("．", tokens.DOT), ("％", tokens.PERCENT)])
def test_char_class_and_table_agree(char, cls):
    assert tokens.char_class(char) == cls
    assert tokens.class_table()[ord(char)] == cls


def test_letters_digits_decimals_percent_stay_whole():
    assert words("用iPhone15拍了３．１４元和12.5%的ＣＰＵ") == [
        "用", "iPhone15", "拍了", "３．１４", "元和", "12.5%", "的", "ＣＰＵ"]


def test_dot_not_between_digits_is_punctuation():
    assert words("版本3.结束.") == ["版本", "3", ".", "结束", "."]


def test_dash_and_ellipsis_runs_are_one_token():
    assert words("他说——不……好—…") == ["他说", "——", "不", "……", "好", "—", "…"]
    assert words("――⋯⋯") == ["――", "⋯⋯"]


def test_minus_sign_before_a_digit_joins_the_number():
    assert words("气温－５到-3，零下−12.5%") == ["气温", "－５", "到", "-3", "，", "零下", "−12.5%"]
    assert words("1998-2000年B-52 3.5-4 -") == ["1998", "-", "2000", "年", "B", "-", "52", "3.5", "-", "4", "-"]


def test_magnitude_after_digits_belongs_to_the_number():
    assert words("约20万元，3.5亿美元，１２万亿，-5万，2,500万人") == [
        "约", "20万", "元", "，", "3.5亿", "美元", "，", "１２万亿", "，", "-5万", "，", "2,500万", "人"]
    assert pieces("20萬元")[:2] == [("20萬", tokens.FIXED), ("元", tokens.MODEL)]


def test_magnitude_not_after_a_number_is_left_to_the_model():
    assert words("万一A380万5万3千") == ["万一", "A380", "万", "5万", "3", "千"]
    assert words("20多万 20 万") == ["20", "多万", "20", "万"]


def test_ordinal_prefix_starts_the_number_after_it():
    assert pieces("获得第6名") == [("获得", tokens.MODEL), ("第6", tokens.FIXED), ("名", tokens.MODEL)]
    assert words("第12届第３次第20万名次第 3") == ["第12", "届", "第３", "次", "第20万", "名次第", "3"]
    assert words("第1,000位第12.5%第3.5第a@b.cn") == ["第1,000", "位第", "12.5%", "第", "3.5", "第", "a@b.cn"]
    assert words("第123@qq.com") == ["第", "123@qq.com"]


def test_comma_before_three_digits_is_a_thousands_separator():
    assert words("共16,250人，1,000,000元") == ["共", "16,250", "人", "，", "1,000,000", "元"]
    assert words("1,2,3 1,2345 16,25 A1,000 AB12,000 12345,678 x,123 １，２３４") == [
        "1", ",", "2", ",", "3", "1", ",", "2345", "16", ",", "25", "A1", ",", "000", "AB12", ",", "000",
        "12345", ",", "678", "x", ",", "123", "１", "，", "２３４"]
    assert words("1,000,00 3.141,592") == ["1,000", ",", "00", "3.141", ",", "592"]


def test_urls_and_emails_are_one_token():
    assert words("见https://example.com/a?b=1&c=2。写信到 li.ming@mail.pku.edu.cn！") == [
        "见", "https://example.com/a?b=1&c=2", "。", "写信到", "li.ming@mail.pku.edu.cn", "！"]
    assert words("访问www.pku.edu.cn.") == ["访问", "www.pku.edu.cn", "."]


def test_each_punctuation_mark_and_emoji_alone_marks_glued():
    assert words("好！！😀👍🏽e\u0301") == ["好", "！", "！", "😀", "👍🏽", "e\u0301"]
    assert words("👨\u200d👩\u200d👧") == ["👨\u200d👩\u200d👧"]


def test_whitespace_runs_are_separate_tokens():
    got = pieces(" 中文 \t abc\u3000")
    assert got == [(" ", tokens.WHITESPACE), ("中文", tokens.MODEL), (" \t ", tokens.WHITESPACE),
                   ("abc", tokens.FIXED), ("\u3000", tokens.WHITESPACE)]


def test_code_points_round_trip_with_lone_surrogates():
    text = "a\ud800中😀"
    assert tokens.from_code_points(tokens.code_points(text)) == text
    assert "".join(w for w, _ in pieces(text)) == text


def test_empty_text():
    assert pieces("") == []
    empty = tokens.token_starts(np.zeros(0, np.uint32), np.zeros(0, np.uint8), np.zeros((0, 2), np.int64))
    assert empty[0].tolist() == [0]


def test_cached_class_table_is_the_built_one(tmp_path, monkeypatch):
    """The table kept in __pycache__ is read back equal to a fresh build; a damaged or
    unwritable cache is rebuilt, never trusted."""
    built = tokens._build_class_table()
    cached = tmp_path / "__pycache__" / "class_table-test.npy"
    monkeypatch.setattr(tokens, "_class_table_path", lambda: cached)
    for _ in range(2):    # the first call writes the cache, the second reads it
        tokens.class_table.cache_clear()
        assert (tokens.class_table() == built).all() and cached.is_file()
    cached.write_bytes(b"damaged")
    tokens.class_table.cache_clear()
    assert (tokens.class_table() == built).all()
    tokens.class_table.cache_clear()
