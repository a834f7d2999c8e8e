# Shared by the deployment tiers (static.sh, kube.sh): named checks and the closing "N passed, M failed" line.
# Each check is a command that must succeed; its output is shown only when it fails.
passed=0
failed=0
failures=()

pass() {  # name
    passed=$((passed + 1))
    printf '  ok    %s\n' "$1"
}

fail() {  # name [details]
    failed=$((failed + 1))
    failures+=("$1")
    printf '  FAIL  %s\n' "$1"
    [[ -z ${2:-} ]] || printf '%s\n' "$2" | tail -n 25 | sed 's/^/        /'
}

check() {  # name command...
    local name=$1 out
    shift
    if out=$("$@" 2>&1); then pass "$name"; else fail "$name" "$out"; fi
}

# The command must fail, and its output must contain the expected text (so it failed for the right reason).
check_fails() {  # name expected-text command...
    local name=$1 expected=$2 out
    shift 2
    if out=$("$@" 2>&1); then
        fail "$name" "succeeded, but should have failed with: $expected"
    elif [[ $out != *"$expected"* ]]; then
        fail "$name" "failed without \"$expected\": $out"
    else
        pass "$name"
    fi
}

summary() {
    echo
    ((failed == 0)) || printf 'failed: %s\n' "${failures[@]}"
    echo "$passed passed, $failed failed"
    ((failed == 0))
}
