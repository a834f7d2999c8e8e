#!/usr/bin/env bash
# The checked-in style, enforced: clang-format (.clang-format) on every C++ file of the repository, and
# clang-tidy (.clang-tidy) on every source file of src/ as the release build compiles it (build/compile_commands.json).
# clang-tidy's verdict on a file is cached under ~/.cache/rooms/clang-tidy, keyed by the tool's version, the
# configuration, the compile command and the contents of every file the translation unit includes, so an unchanged
# file is not checked again. Prints one line per failure and closes with "N passed, M failed".
# Usage: scripts/lint.sh [--fix]   (--fix rewrites the files clang-format would change; clang-tidy is not applied)
set -uo pipefail
cd "$(dirname "$0")/.."
LOG_PREFIX=lint
. scripts/lib.sh

fix=0
[[ ${1:-} == --fix ]] && fix=1
build=${BUILD_DIR:-build}
cache=${ROOMS_TIDY_CACHE:-$HOME/.cache/rooms/clang-tidy}
passed=0
failed=0

mapfile -t cxx_files < <(git ls-files '*.cc' '*.h')
if ((fix)); then
    clang-format -i "${cxx_files[@]}"
    log "formatted ${#cxx_files[@]} files"
fi
unformatted=()
for f in "${cxx_files[@]}"; do
    clang-format --dry-run --Werror "$f" >/dev/null 2>&1 || unformatted+=("$f")
done
if ((${#unformatted[@]})); then
    failed=$((failed + 1))
    echo "FAIL clang-format: ${#unformatted[@]} files differ from .clang-format (scripts/lint.sh --fix):"
    printf '     %s\n' "${unformatted[@]:0:20}"
else
    passed=$((passed + 1))
    echo "PASS clang-format: ${#cxx_files[@]} files"
fi

if [[ ! -f $build/compile_commands.json ]]; then
    echo "FAIL clang-tidy: no $build/compile_commands.json (configure first: cmake --preset release)"
    failed=$((failed + 1))
else
    mkdir -p "$cache"
    report=$(mktemp -d)
    # One line per translation unit of src/: PASS or FAIL, in parallel on the machine's cores.
    python3 scripts/tidy_units.py "$build/compile_commands.json" "$PWD/src/" |
        xargs -P "${LINT_JOBS:-2}" -I{} python3 scripts/tidy_one.py "$build" "$cache" "$report" {}
    tidy_passed=$(find "$report" -name '*.pass' | wc -l)
    tidy_failed=$(find "$report" -name '*.fail' | wc -l)
    if ((tidy_failed)); then
        failed=$((failed + 1))
        echo "FAIL clang-tidy: $tidy_failed of $((tidy_passed + tidy_failed)) files have findings:"
        # Each finding once (a header's is reported by every file that includes it); failures of the tool itself too.
        cat "$report"/*.fail | grep -E ': (warning|error):|^--- |clang-tidy' | grep -v '^--- ' | sort -u | sed 's/^/     /'
        grep -L -E ': (warning|error):' "$report"/*.fail | while read -r f; do sed 's/^/     /' "$f"; done
    elif ((tidy_passed == 0)); then
        failed=$((failed + 1))
        echo "FAIL clang-tidy: checked no file"
    else
        passed=$((passed + 1))
        echo "PASS clang-tidy: $tidy_passed files of src/"
    fi
    rm -rf "$report"
fi
echo "$passed passed, $failed failed"
((failed == 0))
