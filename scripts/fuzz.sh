#!/usr/bin/env bash
# Builds the libFuzzer targets (CMake preset `fuzz`: clang, ASan + UBSan, build-fuzz/) and runs each one for
# SECONDS (default 20) on a scratch copy of its seed corpus in fuzz/corpus/<target>/, so the repository's
# corpus never changes. Prints one line per target and a closing line "N passed, M failed"; a target that
# crashes, leaks, runs out of memory or times out fails, and its reproducer is kept and printed.
# Usage: scripts/fuzz.sh [SECONDS] [TARGET ...]
#        scripts/fuzz.sh --build [TARGET ...]   (only builds them)
# Reproduce a failure: build-fuzz/<target> <crash file>
set -uo pipefail
cd "$(dirname "$0")/.."

build_only=0
[[ ${1:-} == --build ]] && build_only=1 && shift
seconds=20
if ((!build_only)); then
    seconds=${1:-20}
    shift $(($# > 0 ? 1 : 0))
fi
targets=("$@")
((${#targets[@]})) || targets=(fuzz_http_request fuzz_json_body fuzz_jwt fuzz_ws_message fuzz_ws_frames fuzz_config)
if ! [[ $seconds =~ ^[0-9]+$ ]] || ((seconds < 1)); then
    echo "usage: scripts/fuzz.sh [SECONDS] [TARGET ...]" >&2
    exit 2
fi

cmake --preset fuzz >/dev/null || { echo "fuzz: configure failed"; exit 1; }
cmake --build --preset fuzz --target "${targets[@]}" -j "${FUZZ_BUILD_JOBS:-2}" || { echo "fuzz: build failed"; exit 1; }
((build_only)) && exit 0

export LSAN_OPTIONS="suppressions=$PWD/fuzz/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
work=$(mktemp -d "${TMPDIR:-/tmp}/rooms-fuzz.XXXXXX")
passed=0
failed=0
for target in "${targets[@]}"; do
    dir=$work/$target
    mkdir -p "$dir/corpus" "$dir/artifacts"
    cp -r "fuzz/corpus/$target/." "$dir/corpus/"
    # -timeout: one input taking longer is a hang; -rss_limit_mb: a leak or a runaway allocation.
    build-fuzz/"$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$dir/artifacts/" "$dir/corpus" >"$dir/log" 2>&1
    rc=$?
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$dir/log" | grep -o '[0-9]*$' | tail -1)
    cov=$(grep -o 'cov: [0-9]*' "$dir/log" | tail -1 | grep -o '[0-9]*')
    if ((rc == 0)); then
        passed=$((passed + 1))
        printf 'PASS %-18s %4ss %10s execs  cov %s\n' "$target" "$seconds" "${runs:-?}" "${cov:-?}"
    else
        failed=$((failed + 1))
        crash=$(ls -1 "$dir/artifacts/" 2>/dev/null | head -1)
        printf 'FAIL %-18s exit %s  input: %s  log: %s\n' "$target" "$rc" \
            "${crash:+$dir/artifacts/$crash}" "$dir/log"
        grep -m3 -E 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error:|fuzz_[a-z_]+: ' "$dir/log" |
            sed 's/^/     /'
    fi
done

# Keep the scratch directory only when it holds something to look at.
((failed)) || rm -rf "$work"
echo "$passed passed, $failed failed"
((failed == 0))
