"""``zhtext pretrain``: train a character-level masked LM from raw text."""

from __future__ import annotations

import argparse

from zhtext.pretrain import ARCHITECTURES, CHECKPOINT, REPORT, PretrainConfig, pretrain

from . import COMMANDS
from . import interrupts
from .common import add_input_options, add_quiet_option, open_corpus, rereadable, say
from .progress import ProgressBar

DESCRIPTION = f"""\
Train a compact character-level masked language model (BERT with rotary
positions, or plain BERT) from scratch on raw text and save it in Hugging Face
format, for 'zhtext parse' (the Perturbed-Masking probe) and anything that
loads AutoModelForMaskedLM.

The vocabulary is the --max-vocab most frequent characters of the corpus. Lines
are packed into sequences of --seq-len tokens; 15% of the characters are masked
(80% [MASK], 10% random, 10% kept). AdamW, linear warm-up, then linear decay to
zero when --max-steps or --time-budget runs out, whichever comes first.

Every --checkpoint-every steps, and on Ctrl-C or SIGTERM (a batch scheduler's
stop, 'kill'), DIR/{CHECKPOINT} is written;
--resume continues from it exactly (same corpus required; the budget options
may change, the model and data options come from the checkpoint). One sequence
in a hundred is held out: its masked-character accuracy is printed at the end
and saved, with the unigram baseline, in DIR/{REPORT}.

examples:
  # a quick model for trying things out (about a minute on a laptop)
  zhtext pretrain corpora/hongloumeng.txt -o mymodel --max-steps 40 --layers 2 --hidden 64 --heads 2 --intermediate 128
  # interrupted (Ctrl-C)? continue where it stopped, or extend a finished run:
  zhtext pretrain corpora/hongloumeng.txt -o mymodel --resume --max-steps 60
  # load it in Python
  python -c "from transformers import AutoModelForMaskedLM as M; print(M.from_pretrained('mymodel').num_parameters())"
  # a real run: more text, --time-budget 60 (minutes; on a GPU if there is one, --device auto)"""


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "pretrain", help=COMMANDS["pretrain"],
        description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_input_options(parser)
    defaults = PretrainConfig()
    parser.add_argument("-o", "--output", required=True, metavar="DIR",
                        help="model folder to write (its parent must exist)")
    budget = parser.add_argument_group("budget and run")
    budget.add_argument("--max-steps", type=int, default=defaults.max_steps,
                     help=f"stop after this many optimizer steps (default: {defaults.max_steps})")
    budget.add_argument("--time-budget", type=float, metavar="MINUTES",
                     help="stop after this many minutes of training (summed over resumed runs)")
    budget.add_argument("--resume", action="store_true", help=f"continue from DIR/{CHECKPOINT}")
    budget.add_argument("--overwrite", action="store_true", help="replace an existing DIR")
    budget.add_argument("--device", default="auto",
                     help="auto (CUDA when available, bf16/fp16 autocast, else CPU), cpu, cuda or "
                          "cuda:N (default: auto)")
    budget.add_argument("--threads", type=int, help="CPU threads for torch (default: torch's choice)")
    budget.add_argument("--checkpoint-every", type=int, default=defaults.checkpoint_every,
                     metavar="STEPS", help=f"default: {defaults.checkpoint_every}")
    budget.add_argument("--log-every", type=int, default=defaults.log_every, metavar="STEPS",
                     help=f"print loss and masked accuracy every STEPS (default: {defaults.log_every})")
    add_quiet_option(parser)
    model = parser.add_argument_group("model and data (ignored with --resume)")
    model.add_argument("--architecture", choices=ARCHITECTURES, default=defaults.architecture,
                       help="roformer: BERT with rotary position embeddings, which leaves the "
                            "early unigram plateau far sooner on small budgets; bert: BERT with "
                            f"learned absolute positions (default: {defaults.architecture})")
    for flag, name, kind, text in (
            ("--layers", "layers", int, "transformer layers"),
            ("--hidden", "hidden", int, "hidden size"),
            ("--heads", "heads", int, "attention heads"),
            ("--intermediate", "intermediate", int, "feed-forward size"),
            ("--seq-len", "seq_len", int, "tokens per sequence, [CLS] included; also the "
                                          "longest input the model accepts"),
            ("--max-vocab", "max_vocab", int, "most frequent characters kept"),
            ("--min-count", "min_count", int, "rarer characters become [UNK]"),
            ("--batch-size", "batch_size", int, "sequences per step"),
            ("--lr", "learning_rate", float, "peak learning rate"),
            ("--warmup", "warmup_steps", int, "warm-up steps"),
            ("--seed", "seed", int, "random seed (CPU runs are reproducible)")):
        model.add_argument(flag, dest=name, type=kind, default=getattr(defaults, name),
                           help=f"{text} (default: {getattr(defaults, name)})")
    parser.set_defaults(func=run, reads=("corpus",), writes_folder=("output",))


def run(args: argparse.Namespace) -> int:
    config = PretrainConfig(**{name: getattr(args, name) for name in (
        "architecture", "layers", "hidden", "heads", "intermediate", "seq_len", "max_vocab", "min_count",
        "batch_size", "learning_rate", "warmup_steps", "seed", "max_steps", "time_budget",
        "checkpoint_every", "log_every", "device", "threads")})
    rereadable(args, "corpus")   # read twice: vocabulary, then encoding
    # while training, a signal (Ctrl-C, kill, a batch scheduler's stop) writes the checkpoint first
    with ProgressBar("reading", enabled=None if not args.quiet else False) as bar:
        report = pretrain(open_corpus(args), args.output, config, resume=args.resume,
                          overwrite=args.overwrite, progress=_reporter(args, bar),
                          on_stage=lambda stage: interrupts.set_graceful(stage == "train"))
    held = report["heldout"]
    say(args, f"saved {args.output}: {report['steps']} steps in {report['train_seconds'] / 60:.1f} min "
              f"({report['tokens_per_second']:,.0f} tokens/s on {report['device']}), "
              f"{report['corpus']['vocabulary']:,} tokens in the vocabulary")
    say(args, f"held-out masked-character accuracy {held['masked_accuracy']:.1%} on "
              f"{held['masked_characters']:,} characters (always guessing the most frequent "
              f"one: {held['unigram_baseline_accuracy']:.1%}), perplexity {held['perplexity']:,.1f}")
    return 0


def _reporter(args: argparse.Namespace, bar: ProgressBar):
    """The progress callback: a bar while reading, one line per --log-every steps while training."""
    labels = {"count": "counting characters", "encode": "encoding", "evaluate": "evaluating"}

    def report(done, total, stage, **info):
        if stage != "train":
            if bar.label != labels[stage]:
                bar.stage(labels[stage]).unit = "sequences" if stage == "evaluate" else "B"
            bar(done, total)
            return
        bar.close()
        say(args, f"step {done:,}/{total:,}  loss {info['loss']:.3f}  masked acc "
                  f"{info['accuracy']:.1%}  lr {info['lr']:.2e}  {info['tokens_per_second']:,.0f} "
                  f"tokens/s  {info['elapsed'] / 60:.1f} min")
    return report
