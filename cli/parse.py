"""``zhtext parse``: syntax trees from a masked language model (Perturbed Masking) and/or the DMV."""

from __future__ import annotations

import argparse

from zhtext.atomic import atomic_open
from zhtext.conllu import Sentence, format_conllu, is_conllu, read_conllu
from zhtext.errors import InputError
from zhtext.probe import DEFAULT_BATCH_TOKENS, DEFAULT_WINDOW, DISTANCES
from zhtext.trees import DECODERS, brackets, dependency_tree, top_down

from . import COMMANDS
from .common import add_input_options, add_quiet_option, open_corpus, say, warn
from .progress import ProgressBar

METHODS = ("pm", "dmv", "combined")
DEFAULT_METHOD = "combined"    # with the masked LM or over characters; otherwise dmv (_default_method)
PROBE_DEFAULTS = {"layer": -1, "distance": "euclidean", "device": "auto", "batch_tokens": DEFAULT_BATCH_TOKENS,
                  "window": DEFAULT_WINDOW, "threads": None}
"""The masked LM's options and their defaults (None on the command line: given or not)."""
CHUNK = 32   # sentences per call of the probe: batches stay full, the progress bar moves

DESCRIPTION = """\
Parse sentences into trees with no treebank: a masked language model is probed
by Perturbed Masking (Wu et al., ACL 2020). F(i, j) measures how much masking
token j as well changes the model's representation of the masked token i; a
dependency tree is the maximum spanning tree over F (each token depends on the
token that moves it most, beyond what that token does to all others; the root
is the token the others depend on most), a constituency tree splits each span
where F across the halves is lowest.

Input: one sentence per line, cut into words by zhtext's segmenter (the
shipped base model, or --segmenter FILE; --segmenter none parses characters),
or already in words with --pretokenized (words separated by spaces). A
CoNLL-U file is recognised and parsed over its gold words, keeping its
comments, so its output can be scored with 'zhtext eval GOLD.conllu OUT.conllu'.

Output: CoNLL-U (dependency, ID FORM HEAD filled) or one bracketed tree per
line (constituency). --draw and --heatmap picture one sentence (--sentence)
as SVG (text kept as text: any browser shows the Chinese) or PNG (drawn in a
font that covers every label: --font PATH, $ZHTEXT_FONT or an installed CJK
font; without one, an error says so). See docs/pictures.md.

--method (dependency trees): dmv: a Dependency Model with Valence (Klein and
Manning 2004, learned by EM on raw text; --dmv FILE, default the shipped
models/zhtext-dmv.npz) alone, no masked LM, no torch: Eisner over its
standardised log arc posteriors plus a standardised prior for short arcs;
combined: the same scores plus the standardised Perturbed-Masking arc scores
above, then --decoder; pm: the Perturbed-Masking trees alone. dmv and
combined then make function words (the 64 most frequent one-character words:
的, 在, 是 …) leaves, as Universal Dependencies does (--function-heads keeps
the model's trees). On UD GSDSimp dev's gold words dmv beats the right-chain
baseline, combined barely, pm not (UAS 0.306, 0.261, 0.259, 0.180;
docs/dependency-model.md). The default: dmv over words (the DMV's classes
are words), unless --model, --heatmap or a probe option asks for the masked
LM, or --segmenter none asks for characters, where the DMV knows little:
then combined.
Constituency trees always come from pm.

Cost: a sentence of n tokens needs n + n(n-1)/2 forward passes, packed into
batches of --batch-tokens tokens; a GPU is used when present (--device auto).

examples (the shipped models unless --model DIR / --dmv FILE name others):
  zhtext parse corpora/gsdsimp_dev_sample.conllu -o pred.conllu && zhtext eval corpora/gsdsimp_dev_sample.conllu pred.conllu
  echo 我们 在 北京 上学 。 | zhtext parse - --pretokenized
  head -5 corpora/gsdsimp_dev_sample.txt | zhtext parse - --tree constituency -o sample.trees
  head -5 corpora/gsdsimp_dev_sample.txt | zhtext parse - --sentence 3 --draw tree.svg --heatmap impact.svg -o /dev/null
  zhtext parse corpora/gsdsimp_dev_sample.conllu --model models/zhtext-char-bert-small --layer 2 --decoder cle --distance cosine -o cle.conllu
  zhtext parse corpora/gsdsimp_dev_sample.conllu --method dmv -o dmv.conllu && zhtext eval corpora/gsdsimp_dev_sample.conllu dmv.conllu
  zhtext parse corpora/gsdsimp_dev_sample.conllu --function-heads -o heads.conllu
  echo 我们 在 北京 上学 。 | zhtext parse - --pretokenized --method combined"""


def register(subparsers) -> None:
    parser = subparsers.add_parser("parse", help=COMMANDS["parse"],
                                   description=DESCRIPTION,
                                   formatter_class=argparse.RawDescriptionHelpFormatter)
    add_input_options(parser, nargs=None, name="input",
                      help="sentences, one per line, or a CoNLL-U file; '-' is stdin")
    parser.add_argument("--model", metavar="DIR",
                        help="a Hugging Face masked-LM folder (default: $ZHTEXT_MODEL or the "
                             "shipped model; 'zhtext pretrain' makes one; a hub name is fetched "
                             "only with ZHTEXT_ALLOW_DOWNLOAD=1)")
    parser.add_argument("-o", "--output", default="-", metavar="OUT",
                        help="output file (default: stdout); written atomically")
    parser.add_argument("--tree", choices=("dependency", "constituency"), default="dependency")
    parser.add_argument("--format", choices=("conllu", "brackets"),
                        help="conllu (dependency, default) or brackets (constituency, default)")
    parser.add_argument("--decoder", choices=tuple(DECODERS), default="eisner",
                        help="dependency: eisner (projective, default) or cle (Chu-Liu/Edmonds)")
    parser.add_argument("--method", choices=METHODS,
                        help=f"dependency trees from pm: Perturbed Masking; dmv: the Dependency Model "
                             f"with Valence (no masked LM); combined: both arc scores, standardised and "
                             f"summed (default: dmv; {DEFAULT_METHOD} when the masked LM is asked for "
                             f"or over characters; constituency trees: pm)")
    parser.add_argument("--dmv", metavar="FILE",
                        help="dependency model for --method dmv/combined (default: the shipped "
                             "models/zhtext-dmv.npz)")
    parser.add_argument("--function-heads", action="store_true",
                        help="dmv/combined: keep the model's own trees, where function words (的, 在 …) "
                             "head the phrases they close (default: UD's convention, function words "
                             "as leaves)")
    parser.add_argument("--pretokenized", action="store_true",
                        help="text input is segmented: words separated by whitespace")
    parser.add_argument("--segmenter", metavar="FILE",
                        help="the segmenter model that cuts plain lines into words before parsing "
                             "(default: $ZHTEXT_BASE or the shipped models/zhtext-segmenter-base.npz, "
                             "whose words the shipped DMV was learned on); 'none' parses their "
                             "characters")
    probe = parser.add_argument_group("probe", "options of the masked LM (pm, combined); giving one "
                                      f"asks for it, so the default method is then {DEFAULT_METHOD}")
    probe.add_argument("--layer", type=int,
                       help="hidden layer probed: 1..L, 0 the embeddings, -1 the last (default)")
    probe.add_argument("--distance", choices=DISTANCES, help="default: euclidean")
    probe.add_argument("--device", help="auto (CUDA if present, fp16; default), cpu, cuda")
    probe.add_argument("--batch-tokens", type=int, metavar="N",
                       help=f"tokens per forward batch, padding included (default: {DEFAULT_BATCH_TOKENS})")
    probe.add_argument("--window", type=int, metavar="N",
                       help=f"longest piece window per pass; longer sentences are windowed "
                            f"(default: {DEFAULT_WINDOW})")
    probe.add_argument("--threads", type=int, metavar="N", help="CPU threads for torch")
    pictures = parser.add_argument_group("pictures")
    pictures.add_argument("--draw", metavar="FILE", help="the tree of one sentence (.svg or .png)")
    pictures.add_argument("--heatmap", metavar="FILE", help="its impact matrix (.svg or .png)")
    pictures.add_argument("--sentence", type=int, default=1, metavar="K",
                          help="which sentence to picture, from 1 (default: 1)")
    pictures.add_argument("--font", metavar="PATH",
                          help="font file for .png pictures (default: $ZHTEXT_FONT, else an installed "
                               "CJK font that covers every label; .svg needs none)")
    add_quiet_option(parser)
    parser.set_defaults(func=run, reads=("input", "model", "font", "dmv", "segmenter"),
                        writes=("output", "draw", "heatmap"))


def run(args: argparse.Namespace) -> int:
    fmt = args.format or ("conllu" if args.tree == "dependency" else "brackets")
    if (args.tree, fmt) == ("constituency", "conllu"):
        raise InputError("CoNLL-U holds dependency trees: use --format brackets with --tree constituency")
    if (args.tree, fmt) == ("dependency", "brackets"):
        raise InputError("brackets hold constituency trees: use --tree constituency, or --format conllu")
    if args.sentence < 1:
        raise InputError("--sentence counts from 1")
    probe_options = [name for name in PROBE_DEFAULTS if getattr(args, name) is not None]
    if args.method is None:
        args.method = _default_method(args, probe_options)
    unused = probe_options + (["model"] if args.model else [])
    if args.method == "dmv" and unused:
        names = ", ".join("--" + name.replace("_", "-") for name in unused)
        warn(args, f"--method dmv uses no masked LM: {names} ignored")
    if args.method == "pm" and args.function_heads:
        warn(args, "--function-heads is an option of the dependency model (dmv, combined): ignored")
    for name, value in PROBE_DEFAULTS.items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    if args.method != "pm" and args.tree == "constituency":
        raise InputError(f"--method {args.method} makes dependency trees: use --method pm with "
                         f"--tree constituency")
    if args.method == "dmv" and args.heatmap:
        raise InputError("--method dmv has no impact matrix to draw: use --method pm or combined with --heatmap")
    pngs = _picture_formats(args)
    sentences, inputs = _read(args)
    dmv = None
    if args.method != "pm":
        from zhtext.dmv import DependencyModel, default_model_path
        dmv = DependencyModel.load(args.dmv or default_model_path())
    if pngs and args.sentence <= len(sentences):
        from zhtext.plots import png_font
        png_font(sentences[args.sentence - 1].forms, args.font)   # no font: say so before the work
    elif args.font and not pngs:
        warn(args, "--font is used only for .png pictures: ignored")
    if args.method == "dmv":
        return _run_dmv(args, sentences, dmv)
    from zhtext.probe import Probe, import_torch
    if args.threads:
        import_torch()[0].set_num_threads(args.threads)
    probe = Probe(args.model, device=args.device, layer=args.layer, distance=args.distance,
                  batch_tokens=args.batch_tokens, window=args.window)
    say(args, f"zhtext parse: {_sentences(len(sentences))}, layer {probe.layer} of "
              f"{probe.num_layers}, on {probe.device}"
              + (f", with a dependency model of {len(dmv.classes_):,} word classes" if dmv else ""))
    with ProgressBar("parse", unit="sent", enabled=False if args.quiet else None) as bar, \
            atomic_open(args.output) as out:
        for start in range(0, len(sentences), CHUNK):
            chunk = sentences[start: start + CHUNK]
            matrices = probe.matrices(inputs[start: start + CHUNK])
            for k, (sentence, matrix) in enumerate(zip(chunk, matrices), start + 1):
                tree = _write(args, fmt, out, sentence, matrix, dmv)
                if k == args.sentence:
                    _pictures(args, sentence.forms, tree, matrix)
            bar(min(start + CHUNK, len(sentences)), len(sentences))
    if args.sentence > len(sentences) and (args.draw or args.heatmap):
        warn(args, f"no sentence {args.sentence} (the input has {len(sentences)}): nothing drawn")
    return 0


def _default_method(args: argparse.Namespace, probe_options: list[str]) -> str:
    """pm for constituency trees; for dependency trees over words (a CoNLL-U file,
    --pretokenized, or lines the segmenter cuts) dmv, better and much faster there,
    unless the masked LM is asked for (--model, --heatmap, an option of the probe);
    else DEFAULT_METHOD."""
    if args.tree == "constituency":
        return "pm"
    words = args.pretokenized or args.segmenter != "none" or (args.input != "-" and is_conllu(args.input))
    asks_for_lm = args.model is not None or args.heatmap or probe_options
    return "dmv" if words and not asks_for_lm else DEFAULT_METHOD


def _read(args: argparse.Namespace) -> tuple[list[Sentence], list]:
    """Sentences to parse and what the probe reads of each.

    A CoNLL-U file gives its gold words; a text line gives its words
    (--pretokenized), the words the segmenter cuts it into (--segmenter), or,
    with --segmenter none, the line itself, whose units are its characters.
    """
    if args.input != "-" and is_conllu(args.input):
        sentences = [Sentence(s.forms, [], s.upos, s.comments)
                     for s in read_conllu(args.input, encoding=args.encoding, errors=args.errors)]
        return sentences, [s.forms for s in sentences]
    cut = None if args.pretokenized else _word_cutter(args)
    sentences, inputs = [], []
    for line in open_corpus(args, [args.input]):
        if args.pretokenized:
            forms = line.split()
        elif cut is not None:
            forms = cut(line)
        else:
            forms = [c for c in line if not c.isspace()]
        if forms:
            sentences.append(Sentence(forms, [], [], [f"# text = {''.join(forms)}"]))
            inputs.append(forms if args.pretokenized or cut is not None else line)
    if not sentences:
        raise InputError(f"{args.input}: no sentence to parse")
    return sentences, inputs


def _sentences(n: int) -> str:
    return f"{n:,} sentence" + ("" if n == 1 else "s")


def _word_cutter(args: argparse.Namespace):
    """``cut(line) -> words`` of --segmenter, or None to parse characters (--segmenter none, or no
    shipped segmenter: said once)."""
    if args.segmenter == "none":
        return None
    from zhtext.segment import Segmenter, default_base_path

    path = args.segmenter or default_base_path()
    if args.segmenter is None and not path.exists():
        warn(args, f"no segmenter model at {path}: plain lines are parsed over their characters")
        return None
    return Segmenter.load(path).cut


def _run_dmv(args: argparse.Namespace, sentences: list[Sentence], dmv) -> int:
    """--method dmv: trees of the dependency model alone, no masked LM."""
    if args.decoder != "eisner":
        warn(args, "--method dmv decodes its own scores with Eisner: --decoder ignored")
    say(args, f"zhtext parse: {_sentences(len(sentences))}, dependency model with "
              f"{len(dmv.classes_):,} word classes")
    with ProgressBar("parse", unit="sent", enabled=False if args.quiet else None) as bar, \
            atomic_open(args.output) as out:
        for k, sentence in enumerate(sentences, 1):
            heads = dmv.parse(sentence.forms, content_heads=not args.function_heads)
            out.write(format_conllu(Sentence(sentence.forms, heads, sentence.upos, sentence.comments)))
            if k == args.sentence and args.draw:
                from zhtext import plots
                plots.draw_dependency(sentence.forms, heads, args.draw, font=args.font)
            if k % CHUNK == 0 or k == len(sentences):
                bar(k, len(sentences))
    if args.sentence > len(sentences) and args.draw:
        warn(args, f"no sentence {args.sentence} (the input has {len(sentences)}): nothing drawn")
    return 0


def _write(args, fmt: str, out, sentence: Sentence, matrix, dmv=None):
    """Decode one sentence's tree from its impact matrix (and the DMV) and write it; returns the tree."""
    if args.tree == "dependency":
        if dmv is None:
            heads = dependency_tree(matrix, args.decoder)
        else:
            from zhtext.dmv import combined_tree
            heads = combined_tree(dmv, sentence.forms, matrix, args.decoder,
                                  content_heads=not args.function_heads)
        out.write(format_conllu(Sentence(sentence.forms, heads, sentence.upos, sentence.comments)))
        return heads
    tree = top_down(matrix)
    out.write(brackets(tree, sentence.forms) + "\n")
    return tree


def _picture_formats(args: argparse.Namespace) -> list[str]:
    """The PNG pictures asked for; an InputError for a name that is neither .svg nor .png."""
    from zhtext.plots import picture_format
    return [p for p in (args.draw, args.heatmap) if p and picture_format(p) == "png"]


def _pictures(args, forms: list[str], tree, matrix) -> None:
    from zhtext import plots
    if args.draw:
        if args.tree == "dependency":
            plots.draw_dependency(forms, tree, args.draw, font=args.font)
        else:
            plots.draw_constituency(tree, forms, args.draw, font=args.font)
    if args.heatmap:
        plots.draw_heatmap(matrix, forms, args.heatmap, font=args.font)
