# Sourced by scripts/fuzz.sh and scripts/test-asan.sh: configures
# build-sanitize/, the build of every target with clang 22, AddressSanitizer,
# UndefinedBehaviorSanitizer and libFuzzer's coverage instrumentation (the
# fuzz targets need it; the other targets only carry it), -O1 with line
# tables for readable reports.
if ! command -v clang++-22 >/dev/null ||
   [[ ! -f $(clang++-22 -print-file-name=libclang_rt.fuzzer-x86_64.a) &&
      ! -f $(clang++-22 -print-file-name=libclang_rt.fuzzer.a) ]]; then
  echo "[sanitize] needs clang-22 and libclang-rt-22-dev (scripts/setup.sh installs them)" >&2
  exit 1
fi
if [[ ! -f build-sanitize/build.ninja ]]; then
  echo "[sanitize] configuring build-sanitize/ (clang-22, ASan + UBSan, libFuzzer)"
  cmake -S . -B build-sanitize -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_CXX_COMPILER=clang++-22 -DCMAKE_C_COMPILER=clang-22 \
    "-DCMAKE_CXX_FLAGS_RELEASE=-O1 -gline-tables-only -DNDEBUG" \
    "-DCMAKE_C_FLAGS_RELEASE=-O1 -gline-tables-only -DNDEBUG" \
    -DKEOPS_FUZZ=ON -DKEOPS_SANITIZE=address,undefined \
    -DPython_EXECUTABLE="$PWD/.venv/bin/python" >/dev/null
fi
