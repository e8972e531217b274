"""``zhtext eval``: score a segmentation (SIGHAN bakeoff metrics) or a dependency parse (CoNLL-U)."""

from __future__ import annotations

import argparse
import json
import sys

from zhtext.evaluate import score_files

from . import COMMANDS
from .common import add_encoding_options

SHOW_MISMATCHES = 10

DESCRIPTION = """\
Score a predicted segmentation against a gold one, with the metrics of the
SIGHAN bakeoff scorer: word precision, recall and F1, and, given the training
word list (--words), the OOV rate and the recall of OOV and in-vocabulary words.

GOLD and PRED hold one sentence per line, words separated by whitespace; line
i of PRED is scored against line i of GOLD. A word is correct when its
character span is a gold word. Lines whose characters differ are reported
(their words count, none as correct), never skipped silently.

When GOLD and PRED are both CoNLL-U files, the dependency trees are scored
instead: UAS, UUAS and the left/right-chain baselines.

examples:
  zhtext segment corpora/gsdsimp_dev_sample.txt --corpus corpora/hongloumeng.txt -o pred.txt
  zhtext eval corpora/gsdsimp_dev_sample.gold.txt pred.txt
  zhtext eval corpora/gsdsimp_dev_sample.gold.txt pred.txt --json
  zhtext parse corpora/gsdsimp_dev_sample.conllu -o pred.conllu && zhtext eval corpora/gsdsimp_dev_sample.conllu pred.conllu"""


def register(subparsers) -> None:
    parser = subparsers.add_parser("eval", help=COMMANDS["eval"],
                                   description=DESCRIPTION,
                                   formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("gold", metavar="GOLD", help="gold segmentation (or CoNLL-U)")
    parser.add_argument("pred", metavar="PRED", help="predicted segmentation (or CoNLL-U)")
    parser.add_argument("--words", metavar="TRAIN_WORDS",
                        help="training word list, one word per line: defines OOV words")
    parser.add_argument("--json", action="store_true", help="print the scores as JSON")
    add_encoding_options(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from zhtext.conllu import is_conllu, score_dependencies

    reading = {"encoding": args.encoding, "errors": args.errors}
    paths = (args.gold, args.pred)
    if "-" not in paths and all(is_conllu(path, **reading) for path in paths):
        result = score_dependencies(args.gold, args.pred, **reading).as_dict()
        _print(result, args.json)
        return 0
    scores = score_files(args.gold, args.pred, args.words, **reading)
    result = scores.as_dict()
    _print(result if args.json else {k: v for k, v in result.items() if k != "mismatched"}, args.json)
    if scores.mismatched:
        shown = ", ".join(map(str, scores.mismatched[:SHOW_MISMATCHES]))
        more = " ..." if len(scores.mismatched) > SHOW_MISMATCHES else ""
        print(f"zhtext eval: warning: {len(scores.mismatched)} line(s) whose characters differ between "
              f"gold and prediction (scored with no correct word): line {shown}{more}", file=sys.stderr)
    if scores.mismatched and scores.mismatched[-1] > min(scores.gold_lines, scores.predicted_lines):
        print(f"zhtext eval: warning: GOLD has {scores.gold_lines:,} line(s), PRED {scores.predicted_lines:,}: "
              "the lines past the shorter file count as mismatches (is a file cut short?)", file=sys.stderr)
    return 0


def _print(result: dict, as_json: bool) -> None:
    if as_json:
        json.dump(result, sys.stdout, ensure_ascii=False)
        sys.stdout.write("\n")
        return
    for name, value in result.items():
        if value is None:
            continue
        text = f"{value:.4f}" if isinstance(value, float) else f"{value:,}"
        print(f"{name:<16} {text}")
