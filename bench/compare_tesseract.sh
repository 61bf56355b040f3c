#!/usr/bin/env bash
# compare_tesseract.sh — nnocr's bundled recognizer next to Tesseract 5 (LSTM
# engine) on the same held-out text lines, in the same run, one thread each.
#
#   bash bench/compare_tesseract.sh [COUNT] [MODEL]
#
# Lines are rendered by `nnocr synth` from the held-out font designs (fonts
# never used in training) at 28-48 px text height (a 10-12 pt line scanned
# at about 300 dpi): COUNT clean lines and COUNT degraded ones (each with
# probability 0.5: rotation up to 3 degrees, blur, noise, low contrast,
# JPEG). Both programs read each set as one list in one process
# (nnocr read --line --list, tesseract LIST stdout --oem 1 --psm 7) with
# OMP_THREAD_LIMIT=1 / --threads 1. Printed per set: CER, WER, exact lines,
# lines/s for both, and the ratios; nnocr's peak memory (max RSS).
# Needs: build/nnocr (README commands), tesseract-ocr + tesseract-ocr-eng,
# python3, GNU time.
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-500}
model=${2:-data/models/crnn-en.safetensors}
work=${NNOCR_BENCH_DIR:-build/compare_tesseract}
command -v tesseract >/dev/null || { echo "tesseract not found: apt-get install tesseract-ocr tesseract-ocr-eng" >&2; exit 1; }
[ -x build/nnocr ] || { echo "build/nnocr not found: build first (README)" >&2; exit 1; }
mkdir -p "$work"
echo "nnocr: $(build/nnocr --version | head -1), model $model"
echo "tesseract: $(tesseract --version 2>&1 | head -1)"
for set in clean degraded; do
  flag=--clean; seed=9001
  [ "$set" = degraded ] && flag=--degrade && seed=9002
  dir="$work/$set-$count"
  if [ ! -f "$dir/.done" ]; then
    rm -rf "$dir"
    build/nnocr synth --out "$dir" --count "$count" --fonts holdout $flag --height 0 --text-height 28-48 \
      --seed "$seed" --threads 1 >/dev/null
    touch "$dir/.done"
  fi
  find "$dir" -name '*.png' | sort > "$work/$set.list"
  /usr/bin/time -f "%e %M" -o "$work/$set.nnocr.time" \
    build/nnocr read --threads 1 --model "$model" --line --list "$work/$set.list" > "$work/$set.nnocr.txt"
  OMP_THREAD_LIMIT=1 /usr/bin/time -f "%e %M" -o "$work/$set.tess.time" \
    tesseract "$work/$set.list" stdout --oem 1 --psm 7 > "$work/$set.tess.txt" 2>/dev/null
  read -r n _ _ ncer _ _ nwer nexact < <(python3 bench/score_lines.py "$work/$set.list" "$work/$set.nnocr.txt")
  read -r _ _ _ tcer _ _ twer texact < <(python3 bench/score_lines.py "$work/$set.list" "$work/$set.tess.txt" --form-feed)
  read -r nsec nmem < "$work/$set.nnocr.time"
  read -r tsec tmem < "$work/$set.tess.time"
  python3 - "$set" "$n" "$ncer" "$nwer" "$nexact" "$nsec" "$nmem" "$tcer" "$twer" "$texact" "$tsec" "$tmem" <<'PY'
import sys
s, n, ncer, nwer, nex, nsec, nmem, tcer, twer, tex, tsec, tmem = sys.argv[1:]
n = int(n); ncer, nwer, tcer, twer, nsec, tsec = map(float, (ncer, nwer, tcer, twer, nsec, tsec))
nls, tls = n / nsec, n / tsec
print(f"\n== {s}: {n} held-out-font lines")
print(f"{'':10}{'CER':>9}{'WER':>9}{'exact':>8}{'lines/s':>10}{'peak MB':>9}")
print(f"{'nnocr':10}{100*ncer:8.2f}%{100*nwer:8.2f}%{int(nex):8d}{nls:10.1f}{int(nmem)/1024:9.1f}")
print(f"{'tesseract':10}{100*tcer:8.2f}%{100*twer:8.2f}%{int(tex):8d}{tls:10.1f}{int(tmem)/1024:9.1f}")
ratio = (f"{tcer/ncer:.2f}x lower" if ncer > 0 else "nnocr has no errors") if tcer > 0 else "-"
print(f"nnocr vs tesseract: CER {ratio} ({100*ncer:.2f}% vs {100*tcer:.2f}%), speed {nls/tls:.2f}x")
PY
done
