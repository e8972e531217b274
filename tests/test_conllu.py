"""CoNLL-U reading/writing and dependency scores (UAS, UUAS, chain baselines)."""

from __future__ import annotations

import pytest

from zhtext.conllu import (Sentence, format_conllu, is_conllu, left_chain, read_conllu,
                           right_chain, score_dependencies)
from zhtext.errors import InputError

GOLD = """\
# sent_id = 1
# text = 我爱北京。
1\t我\t我\tPRON\t_\t_\t2\tnsubj\t_\t_
2\t爱\t爱\tVERB\t_\t_\t0\troot\t_\t_
3-4\t北京\t_\t_\t_\t_\t_\t_\t_\t_
3\t北\t北\tPROPN\t_\t_\t4\tcompound\t_\t_
4\t京\t京\tPROPN\t_\t_\t2\tobj\t_\t_
5\t。\t。\tPUNCT\t_\t_\t2\tpunct\t_\t_

# sent_id = 2
1\t好\t好\tADJ\t_\t_\t0\troot\t_\t_
2\t！\t！\tPUNCT\t_\t_\t1\tpunct\t_\t_

"""


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_read_skips_multiword_tokens_and_keeps_comments(tmp_path):
    first, second = read_conllu(write(tmp_path, "g.conllu", GOLD))
    assert first.forms == ["我", "爱", "北", "京", "。"]
    assert first.heads == [2, 0, 4, 2, 2]
    assert first.text == "我爱北京。"
    assert second.text == "好！"


def test_format_roundtrip(tmp_path):
    sentences = list(read_conllu(write(tmp_path, "g.conllu", GOLD)))
    text = "".join(format_conllu(s) for s in sentences)
    again = list(read_conllu(write(tmp_path, "p.conllu", text)))
    assert [(s.forms, s.heads) for s in again] == [(s.forms, s.heads) for s in sentences]


def test_is_conllu(tmp_path):
    assert is_conllu(write(tmp_path, "g.conllu", GOLD))
    assert not is_conllu(write(tmp_path, "raw.txt", "我爱北京。\n"))
    assert not is_conllu(tmp_path / "missing.conllu")


def test_chains():
    assert left_chain(3) == [0, 1, 2]
    assert right_chain(3) == [2, 3, 0]


def test_scores_by_hand(tmp_path):
    gold = write(tmp_path, "g.conllu", GOLD)
    pred = [Sentence(["我", "爱", "北", "京", "。"], [2, 0, 2, 3, 4]),
            Sentence(["好", "！"], [2, 0])]
    pred_path = write(tmp_path, "p.conllu", "".join(map(format_conllu, pred)))
    scores = score_dependencies(gold, pred_path)
    # heads right: 我, 爱 (sentence 1); none in sentence 2 -> 2 of 7
    assert scores.uas == pytest.approx(2 / 7)
    # gold arcs {1,2} {3,4} {4,2} {5,2} {2,1}; predicted {1,2} {3,2} {4,3} {5,4} {1,2}
    assert scores.uuas == pytest.approx(3 / 5)
    assert scores.left_chain_uas == pytest.approx(2 / 7)   # both words of sentence 2
    assert scores.right_chain_uas == pytest.approx(2 / 7)
    assert (scores.sentences, scores.tokens) == (2, 7)
    assert set(scores.as_dict()) >= {"uas", "uuas", "left_chain_uas", "right_chain_uas"}


def test_ignore_punct(tmp_path):
    gold = write(tmp_path, "g.conllu", GOLD)
    scores = score_dependencies(gold, gold, ignore_punct=True)
    assert scores.tokens == 5 and scores.uas == 1.0


def test_mismatched_tokens_are_refused(tmp_path):
    gold = write(tmp_path, "g.conllu", GOLD)
    other = write(tmp_path, "p.conllu", format_conllu(Sentence(["我爱", "北京。"], [0, 1])))
    with pytest.raises(InputError, match="sentence 1"):
        score_dependencies(gold, other)
    short = write(tmp_path, "s.conllu", GOLD.split("\n\n")[0] + "\n\n")
    with pytest.raises(InputError, match="more sentences"):
        score_dependencies(gold, short)


def test_bad_line_is_one_line_error(tmp_path):
    bad = write(tmp_path, "b.conllu", "1\t我\t_\n")
    with pytest.raises(InputError, match="10 tab-separated"):
        list(read_conllu(bad))


def test_eval_reads_conllu_in_the_encoding_given(tmp_path, cli):
    gold, pred = tmp_path / "g.conllu", tmp_path / "p.conllu"
    gold.write_bytes(GOLD.encode("gb18030"))
    pred.write_bytes(GOLD.encode("gb18030"))
    assert score_dependencies(gold, pred, encoding="gb18030").as_dict()["uas"] == 1.0
    assert is_conllu(gold, encoding="gb18030")
    result = cli("eval", str(gold), str(pred), "--encoding", "gb18030", "--json", check=True)
    assert '"uas": 1.0' in result.stdout
    failed = cli("eval", str(gold), str(pred))            # read as UTF-8: one line, no traceback
    assert failed.returncode == 2 and "Traceback" not in failed.stderr
