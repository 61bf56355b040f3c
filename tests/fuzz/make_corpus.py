#!/usr/bin/python3
"""Writes the seed corpora of the fuzz targets under tests/fuzz/corpus/.

Run with Debian's Python (it needs python3-pil, and g++ for make_seeds.cpp):

    /usr/bin/python3 tests/fuzz/make_corpus.py

Seeds are a few valid (and a few nearly valid) samples per target, a few
KB in all. Reproducers of fixed bugs are added to the same folders by hand,
named bug-*, and this script leaves them alone.
"""
import gzip
import io
import json
import os
import struct
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
CORPUS = os.path.join(HERE, "corpus")


def put(target, name, data):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8")
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def images():
    from PIL import Image

    gray = Image.new("L", (8, 4))
    gray.putdata([(x * 37 + y * 11) % 256 for y in range(4) for x in range(8)])
    rgb = Image.merge("RGB", (gray, gray.transpose(Image.Transpose.FLIP_LEFT_RIGHT), gray.rotate(180)))
    rgba = rgb.copy()
    rgba.putalpha(gray)

    def save(img, fmt, **kw):
        b = io.BytesIO()
        img.save(b, fmt, **kw)
        return b.getvalue()

    put("image", "gray.png", save(gray, "PNG"))
    put("image", "rgba-interlaced.png", save(rgba, "PNG", interlace=1))
    put("image", "palette.png", save(rgb.convert("P"), "PNG"))
    put("image", "gray16.png", save(gray.convert("I;16"), "PNG"))
    put("image", "bilevel.png", save(gray.convert("1"), "PNG"))
    put("image", "baseline.jpg", save(rgb, "JPEG", quality=50))
    put("image", "gray.jpg", save(gray, "JPEG", quality=50))
    put("image", "progressive.jpg", save(rgb, "JPEG", quality=50, progressive=True))
    put("image", "subsampled.jpg", save(rgb.resize((17, 9)), "JPEG", quality=30, subsampling=2))
    put("image", "rgb.bmp", save(rgb, "BMP"))
    put("image", "palette.bmp", save(rgb.convert("P"), "BMP"))
    put("image", "rgba.bmp", save(rgba, "BMP"))
    put("image", "rgb.tga", save(rgb, "TGA"))
    put("image", "rle.tga", save(rgba, "TGA", compression="tga_rle"))
    put("image", "gray.gif", save(gray, "GIF"))
    put("image", "animated.gif", save(rgb.convert("P"), "GIF", save_all=True,
                                      append_images=[rgb.rotate(180).convert("P")], duration=10))
    put("image", "binary.pgm", b"P5\n8 4\n255\n" + gray.tobytes())
    put("image", "binary.ppm", b"P6 # comment\n8 4 255\n" + rgb.tobytes())
    put("image", "ascii.pgm", b"P2\n3 2\n15\n0 5 10\n15 7 3\n")
    put("image", "ascii.ppm", b"P3\n2 1\n255\n255 0 0  0 255 0\n")
    put("image", "wide.pgm", b"P5 2 1 65535\n" + struct.pack(">HH", 0, 65535))


def safetensors(header, data=b""):
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    return struct.pack("<Q", len(h)) + h + data


def model_files():
    put("model_file", "plain.safetensors", safetensors(
        {"__metadata__": {"format": "pt"}, "w": {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 16]},
         "b": {"dtype": "I32", "shape": [1], "data_offsets": [16, 20]}},
        struct.pack("<4fi", 1.0, -2.5, 0.0, 3.0, 7)))
    put("model_file", "empty.safetensors", safetensors({}))
    put("model_file", "bad-offsets.safetensors", safetensors(
        {"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 12]}}, b"\0" * 12))


def json_seeds():
    put("json", "header.json", json.dumps(
        {"__metadata__": {"nnocr.architecture": "{\"type\":\"crnn\"}"},
         "cnn.0.weight": {"dtype": "F32", "shape": [2, 1, 3, 3], "data_offsets": [0, 72]}}))
    put("json", "values.json", '[null, true, false, 0, -0, 12, -9223372036854775808, 9223372036854775807, '
                               '1.5e-300, 2E+10, 0.1, "", "a\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\ud83d\\ude00"]')
    put("json", "nested.json", '{"a": {"b": [[[{}]], []]}, "c": " x "}\n')
    put("json", "config.json", '{\n  "steps": 50000,\n  "lr": 0.001,\n  "arch": {"hidden": 96},\n  "quiet": true\n}')
    put("json", "utf8.json", '"caf\u00e9 \u2014 \U0001F600"')


def gt_texts():
    put("gt_text", "ascii.gt.txt", "The quick brown fox\n")
    put("gt_text", "bom-crlf.gt.txt", b"\xEF\xBB\xBFna\xC3\xAFve \xE2\x80\x94 caf\xC3\xA9\r\n")
    put("gt_text", "astral.gt.txt", "emoji \U0001F600 and \U00010348 \uFB01 e\u0301\n")
    put("gt_text", "two-lines.gt.txt", "line one\nline two\n")
    put("gt_text", "overlong.gt.txt", b"bad \xC0\x80 byte")
    put("gt_text", "surrogate.gt.txt", b"\xED\xA0\x80")
    put("gt_text", "above-max.gt.txt", b"\xF4\x90\x80\x80")
    put("gt_text", "truncated.gt.txt", b"euro \xE2\x82")
    put("gt_text", "charset.txt", "nnocr-charset-1 a b \\s \\\\ \\u{9} \uFB01 fi")


def idx_seeds():
    u8 = bytes([0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 2]) + bytes(range(8))
    put("idx", "u8.idx", u8)
    put("idx", "f32.idx", bytes([0, 0, 0x0D, 1, 0, 0, 0, 3]) + struct.pack(">3f", 0.5, -1.0, 3e38))
    put("idx", "i16.idx", bytes([0, 0, 0x0B, 2, 0, 0, 0, 1, 0, 0, 0, 2]) + struct.pack(">2h", -300, 7))
    put("idx", "f64-scalar.idx", bytes([0, 0, 0x0E, 0]) + struct.pack(">d", 1.25))
    put("idx", "u8.idx.gz", gzip.compress(u8, mtime=0))
    put("idx", "two-members.idx.gz", gzip.compress(u8[:10], mtime=0) + gzip.compress(u8[10:], mtime=0))
    # FNAME + FCOMMENT + FHCRC header fields.
    body = gzip.compress(bytes([0, 0, 9, 1, 0, 0, 0, 2, 0xFF, 1]), mtime=0)
    head = bytearray(body[:10])
    head[3] = 0x08 | 0x10
    put("idx", "named.idx.gz", bytes(head) + b"a.idx\0note\0" + body[10:])


def lexicons():
    put("lexicon", "words.txt", "the\ncat\ncar\r\ncaf\u00e9\n\ndon't\n\u00fcber\n")
    put("lexicon", "numbers.txt", "2024\nx1\n")
    put("lexicon", "separator.txt", "two words\n")


def lm_texts():
    put("char_lm", "train-order3.txt", "\x02the cat sat\nthe car\r\n\n\u00e9t\u00e9\n")
    put("char_lm", "bigram.lm", "nnocr-char-lm 1\norder 2\nngrams 2\n1 61\n1 <s> 61\n")


def cli_args():
    def argv(*a):
        return "\0".join(a).encode()

    put("cli_args", "read.args", argv("--format", "hocr", "--line", "--batch=8", "--beam-width", "10", "a.png"))
    put("cli_args", "train.args", argv("--steps", "100", "--lr=0.001", "--arch", "{\"hidden\": 96}", "--quiet",
                                       "--", "--not-a-flag", "{\"batch\": 4, \"quiet\": true}"))
    put("cli_args", "top.args", argv("--threads=2", "--isa", "avx2", "--version", "-V"))
    put("cli_args", "numbers.args", argv("--seed", "9223372036854775807", "--lm-weight", "1e308", "--order", "-1",
                                         "--threads", "1024", "--weight-decay", "nan", "{}"))
    put("cli_args", "transformer.args", argv("--arch", "{\"type\": \"transformer\", \"d_model\": 64, \"heads\": 3}",
                                             "--out", "m.safetensors", "x"))


def fonts():
    # Real fonts are not ours to commit: scripts/fuzz.sh adds the smallest
    # fonts installed on the machine as seeds. Here only an sfnt header of
    # version 1.0 with no tables.
    put("font", "empty-sfnt.ttf", struct.pack(">IHHHH", 0x00010000, 0, 0, 0, 0))


def nnocr_seeds():
    with tempfile.TemporaryDirectory() as tmp:
        exe = os.path.join(tmp, "make_seeds")
        subprocess.run(["g++", "-std=c++17", "-O1", "-I", os.path.join(ROOT, "include"), "-o", exe,
                        os.path.join(HERE, "make_seeds.cpp"), "-pthread"], check=True)
        subprocess.run([exe, CORPUS], check=True)


def main():
    for target in ["image", "model_file", "json", "gt_text", "idx", "lexicon", "char_lm", "cli_args", "font"]:
        os.makedirs(os.path.join(CORPUS, target), exist_ok=True)
    images()
    model_files()
    json_seeds()
    gt_texts()
    idx_seeds()
    lexicons()
    lm_texts()
    cli_args()
    fonts()
    nnocr_seeds()
    for target in sorted(os.listdir(CORPUS)):
        d = os.path.join(CORPUS, target)
        files = os.listdir(d)
        print(f"{target}: {len(files)} files, {sum(os.path.getsize(os.path.join(d, f)) for f in files)} bytes")


if __name__ == "__main__":
    sys.exit(main())
