#!/usr/bin/env bash
# The README's first command: installs what is missing (Debian 12, as root),
# builds nnocr, and runs the main job: OCR of a sample page with the bundled
# model (data/models/crnn-en.safetensors). The page (data/samples/page.png, a
# heading over two columns) is set in a font design the model never saw in
# training. Pass other images to read those instead:
#   bash scripts/demo.sh my_page.png
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/install_deps.sh
install_missing cmake g++ ninja-build make libstb-dev
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DNNOCR_BUILD_TESTS=OFF -DNNOCR_BUILD_BENCH=OFF \
  -DNNOCR_BUILD_EXAMPLES=OFF >/dev/null
cmake --build build -j "$(build_jobs)"
echo
if [ $# -gt 0 ]; then
  exec build/nnocr read "$@"
fi
echo "== nnocr read data/samples/page.png"
build/nnocr read data/samples/page.png | tee build/demo_page.txt
echo
echo "== the same page scored against data/samples/page.gt.txt (one line of text per line)"
python3 bench/score_lines.py --pair data/samples/page.gt.txt build/demo_page.txt 2>/dev/null ||
  echo "(python3 not found: compare build/demo_page.txt with data/samples/page.gt.txt by eye)"
