#!/bin/sh
# The whole test suite, from nothing: packages, a normal build and its
# tests, then an AddressSanitizer/UBSan build and its tests, then a
# clang/libFuzzer build and a short, fixed-seed run of each fuzz target
# (tests/fuzz/README has the long campaigns).
#   scripts/test.sh            everything
#   SKIP_DEPS=1 scripts/test.sh  when the packages are known to be there
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
jobs=$(nproc 2>/dev/null || echo 2)

if [ "${SKIP_DEPS:-0}" != 1 ]; then
	scripts/deps.sh
fi

echo "== build (RelWithDebInfo)"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$jobs"
(cd build && ctest --output-on-failure -j"$jobs")

echo "== build (ASan + UBSan)"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DCASEMAIL_SANITIZE=ON >/dev/null
cmake --build build-asan -j"$jobs"
(cd build-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	ctest --output-on-failure -j"$jobs")

echo "== build (clang, libFuzzer + ASan/UBSan): short fuzz runs"
# Only the fuzz targets and their tests: the rest is covered above.
cmake -S . -B build-fuzz -DCMAKE_C_COMPILER=clang-14 \
	-DCMAKE_BUILD_TYPE=RelWithDebInfo -DCASEMAIL_FUZZ=ON >/dev/null
cmake --build build-fuzz -j"$jobs" --target fuzz_ingest fuzz_html2text
(cd build-fuzz && ctest --output-on-failure -R '^fuzz_')
