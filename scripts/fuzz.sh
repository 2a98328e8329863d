#!/usr/bin/env bash
# Coverage-guided fuzzing (libFuzzer): keops-ir-fuzzer (keops IR through the
# parser, verifiers, differentiation, interpreter and lowerings; C++, built
# with clang, AddressSanitizer and UndefinedBehaviorSanitizer in
# build-sanitize/, scripts/sanitize-build.sh) and genred_fuzzer.py (Genred
# formula strings through the Python frontend and the CPU backend; atheris).
#
#   scripts/fuzz.sh [SECONDS] [TARGET]   TARGET: ir, genred or all (default)
#
# SECONDS per target (default 60, what `make test` runs; `make fuzz`: 600).
# Seeds come from test/ and examples/ (IR) and genred_fuzzer.py's list; the
# corpora grown by earlier runs are kept in build-sanitize/fuzz/. A finding
# is written to build-sanitize/fuzz/artifacts/ and fails the run; reproduce
# it with `build-sanitize/bin/keops-ir-fuzzer FILE` (or genred_fuzzer.py
# FILE), with the ASAN_OPTIONS below.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
SECONDS_PER_TARGET=${1:-60}
TARGET=${2:-all}
OUT=$ROOT/build-sanitize/fuzz
export CMAKE_BUILD_PARALLEL_LEVEL=${CMAKE_BUILD_PARALLEL_LEVEL:-2}
source scripts/sanitize-build.sh
# LLVM's headers poison the unused part of an allocator's slab in
# instrumented code (ours), which Debian's uninstrumented libMLIR then
# writes: the sanitizer must ignore user poisoning, or it reports that.
export ASAN_OPTIONS=allow_user_poisoning=0:detect_leaks=1:allocator_may_return_null=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1

say() { echo "[fuzz] $*"; }
mkdir -p "$OUT/artifacts"
status=0

# A finding fails the run; libFuzzer's own last lines say what it was.
run_fuzzer() {
  local name=$1; shift
  local log=$OUT/$name.log
  say "$name: ${SECONDS_PER_TARGET}s"
  if "$@" -max_total_time="$SECONDS_PER_TARGET" -print_final_stats=1 \
       -artifact_prefix="$OUT/artifacts/$name-" >"$log" 2>&1; then
    say "$name: clean ($(grep -m1 -o 'stat::number_of_executed_units: *[0-9]*' "$log" |
                       grep -o '[0-9]*$') inputs; log: ${log#$ROOT/})"
  else
    tail -n 60 "$log" >&2
    say "$name: FINDING (log: ${log#$ROOT/}, inputs in ${OUT#$ROOT/}/artifacts/)" >&2
    status=1
  fi
}

if [[ $TARGET == all || $TARGET == ir ]]; then
  cmake --build build-sanitize --target keops-ir-fuzzer
  # Seeds: every module of the lit tests and examples, split where the
  # tests split them, without the RUN and CHECK lines.
  rm -rf "$OUT/seeds-ir" && mkdir -p "$OUT/seeds-ir" "$OUT/corpus-ir"
  .venv/bin/python - "$OUT/seeds-ir" <<'EOF'
import pathlib, re, sys
out = pathlib.Path(sys.argv[1])
for path in sorted(pathlib.Path("test").rglob("*.mlir")) + sorted(pathlib.Path("examples").rglob("*.mlir")):
    text = path.read_bytes().decode("utf-8", "replace")
    for n, part in enumerate(text.split("// -----")):
        part = "\n".join(l for l in part.splitlines()
                         if not re.match(r"\s*// *(RUN|CHECK|[A-Z]+-?[A-Z]*:)", l))
        if part.strip() and len(part) <= 8192:
            (out / f"{path.stem}-{n}.mlir").write_text(part)
EOF
  run_fuzzer ir build-sanitize/bin/keops-ir-fuzzer -timeout=20 -rss_limit_mb=4096 \
    -max_len=8192 "$OUT/corpus-ir" "$OUT/seeds-ir"
fi

if [[ $TARGET == all || $TARGET == genred ]]; then
  rm -rf "$OUT/seeds-genred" && mkdir -p "$OUT/corpus-genred"
  .venv/bin/python tools/keops-genred-fuzzer/genred_fuzzer.py --write-seeds "$OUT/seeds-genred"
  run_fuzzer genred .venv/bin/python tools/keops-genred-fuzzer/genred_fuzzer.py \
    -timeout=60 -rss_limit_mb=4096 -max_len=1024 "$OUT/corpus-genred" "$OUT/seeds-genred"
fi
exit $status
