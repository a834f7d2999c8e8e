# Helpers shared by the scripts in this folder. Source it: `. "$(dirname "$0")/lib.sh"`; set LOG_PREFIX first.

ROOMS_ROOT=${ROOMS_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
SUDO=""
[[ $(id -u) -eq 0 ]] || SUDO="sudo"

log() { printf '%s: %s\n' "${LOG_PREFIX:-rooms}" "$*" >&2; }

# wait_for DESCRIPTION SECONDS COMMAND...: runs COMMAND every 0.2 s until it succeeds; fails after SECONDS.
wait_for() {
    local what=$1 secs=$2
    shift 2
    local deadline=$((SECONDS + secs))
    until "$@" >/dev/null 2>&1; do
        if ((SECONDS >= deadline)); then
            log "$what did not come up within ${secs}s"
            return 1
        fi
        sleep 0.2
    done
}

# A free TCP port on 127.0.0.1 (bound, then released).
free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# apt_install PACKAGE...: installs those not installed yet (one apt-get update first), with sudo when not root.
# apt's output goes to stderr: callers may print a result on stdout (scripts/tools.sh path).
apt_install() {
    local missing=() p
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    ((${#missing[@]})) || return 0
    log "installing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq >&2
    $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
}
