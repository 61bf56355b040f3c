#!/usr/bin/env python3
"""Scores line transcriptions against ground truth (bench/compare_tesseract.sh).

usage: score_lines.py LIST HYP [--form-feed]
       score_lines.py --pair REF_TEXT HYP_TEXT   (two text files, line by line; prints CER and WER)
  LIST  image paths, one per line; each image's reference is NAME.gt.txt beside it
  HYP   the transcriptions: one line per image (nnocr read --line), or with
        --form-feed each image's text followed by a form feed (Tesseract's list mode)
Prints: lines chars char_errors cer words word_errors wer exact
CER/WER are edit distances over code points / words summed over lines, divided
by the reference totals (as nnocr eval computes them).
"""
import sys


def edit_distance(a, b):
    if len(a) < len(b):
        a, b = b, a
    row = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        diag, row[0] = row[0], i
        for j, y in enumerate(b, 1):
            up = row[j]
            row[j] = min(up + 1, row[j - 1] + 1, diag + (x != y))
            diag = up
    return row[len(b)]


def pair(ref_path, hyp_path):
    refs = open(ref_path, encoding="utf-8").read().rstrip("\n").split("\n")
    hyps = open(hyp_path, encoding="utf-8").read().rstrip("\n").split("\n")
    hyps += [""] * (len(refs) - len(hyps))
    chars = sum(len(r) for r in refs)
    cerr = sum(edit_distance(r, h) for r, h in zip(refs, hyps)) + sum(len(h) for h in hyps[len(refs):])
    words = sum(len(r.split()) for r in refs)
    werr = sum(edit_distance(r.split(), h.split()) for r, h in zip(refs, hyps))
    print(f"{len(refs)} lines: CER {100 * cerr / max(chars, 1):.2f}% ({cerr} errors / {chars} characters), "
          f"WER {100 * werr / max(words, 1):.2f}% ({werr} / {words} words)")


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "--pair":
        return pair(sys.argv[2], sys.argv[3])
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    paths = [p for p in open(sys.argv[1], encoding="utf-8").read().split("\n") if p]
    raw = open(sys.argv[2], encoding="utf-8", errors="replace").read()
    if "--form-feed" in sys.argv[3:]:
        hyps = raw.split("\f")[: len(paths)]
        hyps = [" ".join(h.split()) for h in hyps]  # Tesseract's line breaks and trailing space
    else:
        hyps = raw.split("\n")[: len(paths)]
    if len(hyps) != len(paths):
        sys.exit(f"{sys.argv[2]}: {len(hyps)} transcriptions for {len(paths)} images")
    chars = cerr = words = werr = exact = 0
    for path, hyp in zip(paths, hyps):
        ref = open(path.rsplit(".", 1)[0] + ".gt.txt", encoding="utf-8").read().rstrip("\n")
        chars += len(ref)
        cerr += edit_distance(ref, hyp)
        rw, hw = ref.split(), hyp.split()
        words += len(rw)
        werr += edit_distance(rw, hw)
        exact += ref == hyp
    print(len(paths), chars, cerr, cerr / max(chars, 1), words, werr, werr / max(words, 1), exact)


if __name__ == "__main__":
    main()
