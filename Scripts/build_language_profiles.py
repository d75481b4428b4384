#!/usr/bin/env python3
"""Builds Lore's language-identification model from translated Debian manual pages.

    python3 Scripts/build_language_profiles.py [--work /tmp/lore-language-data] [--top-k 3000]

Steps (stdlib only; needs `apt-get download` and `dpkg-deb`, i.e. a Debian machine):
1. `apt-get download` the manual-page packages listed in LANGUAGES (English from `manpages`,
   the others from Debian's manpages-l10n / manpages-ja / manpages-zh packages), unpack them
   with `dpkg-deb -x`.
2. Turn each page's troff source into plain paragraphs (comments and requests dropped, font
   macros keep their arguments, escapes such as \\fB, \\- and \\(em resolved).
3. Keep paragraphs that are prose in the expected language: mostly letters, and, for the
   translated packages, not an untranslated English paragraph (po4a leaves those in English)
   and for ja/zh mostly CJK letters.
4. Split pages by a hash of their file name: one page in five is held out (never trained on).
5. Count character 1–3-grams of each paragraph exactly as `LanguageIdentifier` does in Swift
   (lower-cased letters and marks; every other scalar ends a word; each word is wrapped in
   "_" boundary markers), keep each language's `top-k` n-grams with their log-probability
   log(count / total count of that language), quantised to 0.01 and clamped at the unseen
   log-probability (−12), and write
   Sources/Curation/LanguageProfiles.swift.
6. Cut held-out paragraphs into 100–300-character snippets and write
   `--samples-per-language` of them per language (default 30), with this script's answer
   for each, to Tests/CurationTests/LanguageIdentificationHeldOutTests.swift; print the
   per-language accuracy of a Python re-implementation of the scorer on all held-out
   snippets, and the share of snippets of languages without a profile scored below the
   "unknown" threshold.

Rerunning with the same packages gives byte-identical output (sorted inputs, no randomness).
"""
import argparse
import collections
import glob
import gzip
import hashlib
import math
import os
import re
import subprocess
import sys
import unicodedata

# ISO 639-1 code -> (Debian package, man directory under usr/share/man)
LANGUAGES = {
    "en": ("manpages", ""),
    "de": ("manpages-de", "de"),
    "fr": ("manpages-fr", "fr"),
    "es": ("manpages-es", "es"),
    "it": ("manpages-it", "it"),
    "nl": ("manpages-nl", "nl"),
    "pl": ("manpages-pl", "pl"),
    "pt": ("manpages-pt-br", "pt_BR"),
    "ru": ("manpages-ru", "ru"),
    "sv": ("manpages-sv", "sv"),
    "cs": ("manpages-cs", "cs"),
    "tr": ("manpages-tr", "tr"),
    "ja": ("manpages-ja", "ja"),
    "zh": ("manpages-zh", "zh_CN"),
}

# Languages without a profile: their held-out snippets only measure how often the score falls
# below the "unknown" threshold.
OUT_OF_SET = {
    "da": ("manpages-da", "da"),
    "fi": ("manpages-fi", "fi"),
    "hu": ("manpages-hu", "hu"),
    "id": ("manpages-id", "id"),
    "ro": ("manpages-ro", "ro"),
    "vi": ("manpages-vi", "vi"),
}

ENGLISH_STOP = set("""the a an of to and or is are be by for in on with that this it as not
from if when which can this these those then than will was were has have its file""".split())

MAX_N = 3


def sh(cmd, cwd=None):
    subprocess.check_call(cmd, cwd=cwd, stdout=subprocess.DEVNULL)


def fetch(work):
    debs = os.path.join(work, "debs")
    os.makedirs(debs, exist_ok=True)
    unpacked = os.path.join(work, "unpacked")
    for lang, (package, _) in list(LANGUAGES.items()) + list(OUT_OF_SET.items()):
        target = os.path.join(unpacked, package)
        if os.path.isdir(target):
            continue
        if not glob.glob(os.path.join(debs, f"{package}_*.deb")):
            print(f"apt-get download {package}", file=sys.stderr)
            sh(["apt-get", "download", package], cwd=debs)
        deb = sorted(glob.glob(os.path.join(debs, f"{package}_*.deb")))[-1]
        os.makedirs(target, exist_ok=True)
        sh(["dpkg-deb", "-x", deb, target])
    return unpacked


def pages(unpacked, lang):
    package, sub = LANGUAGES.get(lang) or OUT_OF_SET[lang]
    root = os.path.join(unpacked, package, "usr/share/man", sub)
    found = []
    for path in sorted(glob.glob(os.path.join(root, "man*", "*.gz"))):
        if os.path.islink(path):
            continue
        found.append(path)
    return found


ESCAPES = {
    "(em": "—", "(en": "–", "(aq": "'", "(dq": '"', "(lq": "“", "(rq": "”", "(oq": "‘",
    "(cq": "’", "(bu": "•", "(co": "©", "(rg": "®", "(tm": "™", "(hy": "-", "(mi": "-",
    "(pl": "+", "(<=": "≤", "(>=": "≥", "(mu": "×", "(de": "°", "(Fo": "«", "(Fc": "»",
    "(fo": "‹", "(fc": "›", "(ha": "^", "(ti": "~", "(ga": "`", "(ul": "_", "(rs": "\\",
}
FONT_MACROS = {"B", "I", "BR", "RB", "IR", "RI", "BI", "IB", "SM", "SB", "SH", "SS", "TP", "IP", "UR", "MT"}


def strip_escapes(line):
    out = []
    i = 0
    while i < len(line):
        c = line[i]
        if c != "\\":
            out.append(c)
            i += 1
            continue
        if i + 1 >= len(line):
            break
        n = line[i + 1]
        if n == "f":  # font change \fB, \f(CW, \f[B]
            if line[i + 2:i + 3] == "(":
                i += 5
            elif line[i + 2:i + 3] == "[":
                j = line.find("]", i)
                i = j + 1 if j >= 0 else len(line)
            else:
                i += 3
        elif n == "(":
            out.append(ESCAPES.get(line[i + 1:i + 4], " "))
            i += 4
        elif n == "[":
            j = line.find("]", i)
            i = j + 1 if j >= 0 else len(line)
            out.append(" ")
        elif n == "*":  # string interpolation \*x, \*(xx, \*[name]
            if line[i + 2:i + 3] == "(":
                i += 5
            elif line[i + 2:i + 3] == "[":
                j = line.find("]", i)
                i = j + 1 if j >= 0 else len(line)
            else:
                i += 3
        elif n in "sn":  # size \s-1, \s0; number register \n(xx
            i += 2
            while i < len(line) and (line[i] in "+-0123456789(["):
                i += 1
        elif n == "-":
            out.append("-")
            i += 2
        elif n == "e" or n == "\\":
            out.append("\\")
            i += 2
        elif n in "&,/|^:%)":
            i += 2
        elif n == " " or n == "~" or n == "0":
            out.append(" ")
            i += 2
        elif n == "c":
            i += 2
        elif n == '"':  # comment to end of line
            break
        else:
            out.append(n)
            i += 2
    return "".join(out)


def troff_paragraphs(source):
    """Plain-text paragraphs of a troff page."""
    paragraphs, current = [], []

    def flush():
        if current:
            paragraphs.append(" ".join(current))
            current.clear()

    for raw in source.splitlines():
        line = raw.rstrip()
        if line.startswith(".\\\"") or line.startswith("'\\\"") or line.startswith(".\\#"):
            continue
        if line.startswith(".") or line.startswith("'"):
            parts = line[1:].strip().split(None, 1)
            if not parts:
                continue
            macro = parts[0]
            flush()
            if macro in FONT_MACROS and len(parts) > 1 and macro not in ("SH", "SS", "TP", "IP"):
                text = strip_escapes(parts[1].replace('"', ""))
                if macro in ("BR", "RB", "IR", "RI", "BI", "IB"):
                    text = text.replace(" ", "")
                current.append(text)
            continue
        if not line.strip():
            flush()
            continue
        current.append(strip_escapes(line))
    flush()
    return [re.sub(r"\s+", " ", p).strip() for p in paragraphs if p.strip()]


def is_cjk(c):
    o = ord(c)
    return 0x3040 <= o <= 0x30FF or 0x3400 <= o <= 0x9FFF or 0xF900 <= o <= 0xFAFF


def keep_paragraph(text, lang):
    """Whether a paragraph (or snippet) is prose in `lang`, not code, lists of names or English."""
    letters = sum(1 for c in text if c.isalpha())
    visible = sum(1 for c in text if not c.isspace())
    if visible == 0 or letters / visible < 0.75:
        return False
    if lang in ("ja", "zh"):
        cjk = sum(1 for c in text if is_cjk(c))
        if cjk / max(letters, 1) < 0.5:
            return False
        if lang == "zh" and any(0x3040 <= ord(c) <= 0x30FF for c in text):
            return False
        if lang == "ja" and not any(0x3040 <= ord(c) <= 0x30FF for c in text):
            return False
        return letters >= 20
    tokens = text.split()
    if len(tokens) < 6:
        return False
    # Identifiers, paths, options and function references are not prose.
    technical = sum(1 for t in tokens if re.search(r"[_/\\()<>=$@#{}\[\]0-9]|^-|\.\w", t))
    if technical / len(tokens) > 0.2:
        return False
    words = re.findall(r"\w+", text.lower())
    if lang != "en" and sum(w in ENGLISH_STOP for w in words) / max(len(words), 1) > 0.08:
        return False
    return True


def is_word_scalar(c):
    cat = unicodedata.category(c)
    return cat[0] == "L" or cat[0] == "M"


def ngrams(text):
    """The 1…MAX_N-grams of `text`, as LanguageIdentifier.features computes them."""
    grams = []
    word = []

    def flush():
        if word:
            padded = "_" + "".join(word) + "_"
            for n in range(1, MAX_N + 1):
                for i in range(len(padded) - n + 1):
                    g = padded[i:i + n]
                    if g != "_":
                        grams.append(g)
            word.clear()

    for c in text:
        if is_word_scalar(c):
            word.append(c.lower() if len(c.lower()) == 1 else c)
        else:
            flush()
    flush()
    return grams


def held_out(path):
    return int(hashlib.sha256(os.path.basename(path).encode()).hexdigest(), 16) % 5 == 0


def snippets(paragraph, lo=100, hi=300):
    """Cuts a paragraph into snippets of lo…hi characters at spaces (or anywhere for CJK)."""
    out = []
    rest = paragraph
    while len(rest) >= lo:
        if len(rest) <= hi:
            out.append(rest)
            break
        cut = rest.rfind(" ", lo, hi)
        if cut < 0:
            cut = hi
        out.append(rest[:cut].strip())
        rest = rest[cut:].strip()
    return out


def quantise(x):
    return int(round(x * 100))


def build(args):
    unpacked = fetch(args.work)
    train, test = {}, {}
    for lang in list(LANGUAGES) + list(OUT_OF_SET):
        counts = collections.Counter()
        cuts = []
        npages = [0, 0]
        for path in pages(unpacked, lang):
            try:
                source = gzip.open(path).read().decode("utf-8")
            except UnicodeDecodeError:
                continue
            if source.lstrip().startswith(".so "):
                continue
            kept = [p for p in troff_paragraphs(source) if keep_paragraph(p, lang)]
            if not kept:
                continue
            if held_out(path):
                npages[1] += 1
                for p in kept:
                    cuts.extend(c for c in snippets(p) if keep_paragraph(c, lang))
            else:
                npages[0] += 1
                if lang in LANGUAGES:
                    for p in kept:
                        counts.update(ngrams(p))
        train[lang] = counts
        test[lang] = cuts
        print(f"{lang}: {npages[0]} training pages, {npages[1]} held-out pages, "
              f"{sum(counts.values())} n-grams, {len(cuts)} held-out snippets", file=sys.stderr)

    profiles = {}
    for lang, counts in train.items():
        if lang not in LANGUAGES:
            continue
        total = sum(counts.values())
        top = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:args.top_k]
        # A kept n-gram never scores below an unseen one: the rarest kept Chinese n-grams
        # (ln P ≈ −12.8) are clamped to the unseen log-probability FLOOR.
        profiles[lang] = [(g, max(quantise(math.log(c / total)), quantise(FLOOR))) for g, c in top]
    return profiles, test


SHARPNESS = 10.0  # LanguageIdentifier.sharpness
FLOOR = -12.0     # LanguageIdentifier.unseenLogProbability


def classify(tables, text):
    """(language, score, posterior, coverage) as LanguageIdentifier.identify computes them.

    mean_l = (1/N) Σ_g ln P(g | l) over the N n-gram occurrences of the text (FLOOR when g is not
    in l's profile); posterior = softmax_l(SHARPNESS · mean_l); coverage = share of the N
    occurrences found in the winner's profile; score = posterior × coverage.
    """
    grams = ngrams(text)
    if not grams:
        return "unknown", 0.0, 0.0, 0.0
    means = {}
    for lang, table in tables.items():
        means[lang] = sum(table.get(g, FLOOR * 100) for g in grams) / 100.0 / len(grams)
    best = max(tables, key=lambda k: (means[k], -list(tables).index(k)))
    z = sum(math.exp(SHARPNESS * (m - means[best])) for m in means.values())
    posterior = 1.0 / z
    coverage = sum(1 for g in grams if g in tables[best]) / len(grams)
    return best, posterior * coverage, posterior, coverage


def write_swift(profiles, path, args):
    lines = [
        "// Generated by Scripts/build_language_profiles.py — do not edit by hand.",
        f"// Character 1–{MAX_N}-gram profiles of {len(profiles)} languages, top {args.top_k} n-grams each,",
        "// counted on translated Debian manual pages (see the script for packages and filters).",
        "// Each line: n-gram, a space, then round(100 × ln P(n-gram | language)); \"_\" marks a word boundary.",
        "",
        "extension LanguageProfiles {",
        f"    /// The n-gram order the profiles were counted with.",
        f"    static let maximumOrder = {MAX_N}",
        "",
        "    /// ISO 639-1 code and profile text of each language, in a fixed order.",
        "    static let table: [(code: String, profile: String)] = [",
    ]
    for lang in LANGUAGES:
        lines.append(f'        ("{lang}", {lang}),')
    lines.append("    ]")
    for lang, entries in profiles.items():
        lines.append("")
        lines.append(f'    static let {lang} = """')
        for g, q in entries:
            lines.append(f"{g} {-q}")
        lines.append('"""')
    lines.append("}")
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")


def swift_string(s):
    return s.replace("\\", "\\\\").replace('"', '\\"')


def write_samples(test, tables, path, per_language):
    lines = [
        "// Generated by Scripts/build_language_profiles.py — do not edit by hand.",
        "// Held-out snippets (100–300 characters) from manual pages the profiles were not counted on:",
        f"// {per_language} per language, taken at an even stride through its held-out snippets, with the",
        "// script's own answer (best language, score) for checking the Swift scorer against it.",
        "",
        "enum LanguageIdentificationHeldOut {",
        "    static let samples: [(language: String, text: String, scriptBest: String, scriptScore: Float)] = [",
    ]
    for lang, cuts in test.items():
        if not cuts or lang not in LANGUAGES:
            continue
        stride = max(1, len(cuts) // per_language)
        for text in cuts[::stride][:per_language]:
            best, score, _, _ = classify(tables, text)
            lines.append(f'        ("{lang}", "{swift_string(text)}", "{best}", {score:.5f}),')
    lines.append("    ]")
    lines.append("}")
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.dirname(here)
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--work", default="/tmp/lore-language-data")
    parser.add_argument("--top-k", type=int, default=3000)
    parser.add_argument("--threshold", type=float, default=0.3, help="score below which a snippet counts as unknown (report only)")
    parser.add_argument("--samples-per-language", type=int, default=30)
    parser.add_argument("--output", default=os.path.join(root, "Sources/Curation/LanguageProfilesData.swift"))
    parser.add_argument("--samples-output", default=os.path.join(root, "Tests/CurationTests/LanguageIdentificationHeldOutTests.swift"))
    parser.add_argument("--evaluate-only", action="store_true")
    args = parser.parse_args()

    profiles, test = build(args)
    tables = {lang: dict(p) for lang, p in profiles.items()}
    correct_all = total_all = 0
    confusion = collections.Counter()
    print(f"held-out snippets of 100–300 characters; 'unknown' below score {args.threshold}")
    print("| language | snippets | accuracy | mean score | below threshold |")
    print("|---|---|---|---|---|")
    for lang, cuts in test.items():
        correct = below = 0
        scores = []
        for text in cuts:
            best, score, _, _ = classify(tables, text)
            scores.append(score)
            below += score < args.threshold
            if lang in LANGUAGES:
                correct += best == lang
                if best != lang:
                    confusion[(lang, best)] += 1
        n = max(len(cuts), 1)
        mean = sum(scores) / n
        if lang in LANGUAGES:
            correct_all += correct
            total_all += len(cuts)
            print(f"| {lang} | {len(cuts)} | {correct / n:.4f} | {mean:.3f} | {below / n:.3f} |")
        else:
            print(f"| {lang} (no profile) | {len(cuts)} | — | {mean:.3f} | {below / n:.3f} |")
    print(f"| all profiled | {total_all} | {correct_all / max(total_all, 1):.4f} | | |")
    print("most common confusions:", confusion.most_common(8))
    if args.evaluate_only:
        return
    write_swift(profiles, args.output, args)
    write_samples(test, tables, args.samples_output, args.samples_per_language)
    print(f"wrote {args.output} ({os.path.getsize(args.output)} bytes) and {args.samples_output}", file=sys.stderr)


if __name__ == "__main__":
    main()
