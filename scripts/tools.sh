#!/usr/bin/env bash
# Pinned build and deployment tools, each built once per machine from the Go module proxy (or installed from
# Debian / PyPI) into a cache directory, and reused from there:
#   scripts/tools.sh path TOOL     builds TOOL if missing, prints the path of its executable (or directory)
#   scripts/tools.sh build TOOL... builds each TOOL that is missing
#   scripts/tools.sh cold TOOL     builds TOOL with an empty Go build and module cache and prints the seconds it
#                                  took (the figure in docs/CI.md); installs the result if TOOL was missing
#   scripts/tools.sh list          every tool, its version, and whether it is built
# TOOL: helm kubeconform actionlint kube-apiserver kube-scheduler kube-controller-manager kwok tofu
#       controller-gen jaeger centrifugo pebble etcd checkov grafana-sdk k8s-schemas crd-schemas kwok-stages
#
# Layout (ROOMS_CACHE_DIR, default ~/.cache/rooms):
#   tools/<tool>-<version>/bin/   the executables; the directory appears only once the build succeeded
#   tools/.locks/<tool>.lock      one flock per tool: concurrent callers wait for one build
#   go/{mod,cache}                GOMODCACHE and GOCACHE shared by every tool (GOPATH is go/)
#   venv/<tool>-<version>/        the virtualenvs of the PyPI tools (tools/<tool>-<version>/bin/<tool> runs
#                                 their executable: checkov's, and the Python of grafana-sdk's)
#   cold-times.tsv                tool, version, seconds of each `cold` measurement
# Every `go build`/`go install` and `pip install` runs under the machine-wide build lock (rooms-build-lock).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
CACHE=${ROOMS_CACHE_DIR:-$HOME/.cache/rooms}
TOOLS=$CACHE/tools
export GOPATH=$CACHE/go
export GOMODCACHE=${GOMODCACHE_OVERRIDE:-$CACHE/go/mod}
export GOCACHE=${GOCACHE_OVERRIDE:-$CACHE/go/cache}
export GOTOOLCHAIN=local GOFLAGS=-buildvcs=false CGO_ENABLED=0
export PATH=/usr/local/go/bin:$PATH

# Pinned versions.
HELM_VERSION=v3.22.0
KUBECONFORM_VERSION=v0.8.0
ACTIONLINT_VERSION=v1.7.12
KUBE_VERSION=v1.34.4              # kube-apiserver, kube-scheduler, kube-controller-manager: one build
KUBE_STAGING_VERSION=v0.34.4      # the k8s.io/* staging modules of that release
KWOK_VERSION=v0.8.0
TOFU_VERSION=v1.10.10
TOFU_HCL_REPLACE=github.com/hashicorp/hcl/v2@v2.20.1=github.com/opentofu/hcl/v2@v2.20.2-0.20251021132045-587d123c2828
CONTROLLER_GEN_VERSION=v0.19.0    # generates Flux's HelmRelease CRD from its API module (no CRD file is served)
JAEGER_VERSION=v1.76.0
CENTRIFUGO_VERSION=v6.9.1
PEBBLE_VERSION=v2.10.3
CHECKOV_VERSION=3.3.30
GRAFANA_SDK_VERSION='1769699379!11.6.0'  # grafana-foundation-sdk for Grafana 11.6 (parses and builds dashboards)
FLUX_SOURCE_VERSION=v1.9.6        # source-controller: GitRepository CRD (v1.10 needs Go 1.27)
FLUX_KUSTOMIZE_VERSION=v1.9.6     # kustomize-controller: Kustomization CRD
FLUX_HELM_API_VERSION=v1.6.5      # helm-controller/api: HelmRelease types
PROMETHEUS_OPERATOR_VERSION=v0.85.0  # ServiceMonitor CRD

LOG_PREFIX=tools
. "$ROOT/scripts/lib.sh"

# The machine-wide build lock (one heavy build at a time on 2 cores); the same file when the helper is absent.
build_lock() {
    if [[ ${ROOMS_TOOLS_LOCKED:-} == 1 ]]; then "$@"; return; fi   # the caller holds it already
    if command -v rooms-build-lock >/dev/null 2>&1; then rooms-build-lock "$@"; else flock /tmp/rooms-build.lock "$@"; fi
}

version_of() {
    case $1 in
        helm) echo $HELM_VERSION ;;
        kubeconform) echo $KUBECONFORM_VERSION ;;
        actionlint) echo $ACTIONLINT_VERSION ;;
        kube-apiserver | kube-scheduler | kube-controller-manager | kubernetes) echo $KUBE_VERSION ;;
        kwok) echo $KWOK_VERSION ;;
        tofu) echo $TOFU_VERSION ;;
        controller-gen) echo $CONTROLLER_GEN_VERSION ;;
        jaeger) echo $JAEGER_VERSION ;;
        centrifugo) echo $CENTRIFUGO_VERSION ;;
        pebble) echo $PEBBLE_VERSION ;;
        checkov) echo $CHECKOV_VERSION ;;
        grafana-sdk) echo "${GRAFANA_SDK_VERSION#*!}-${GRAFANA_SDK_VERSION%%!*}" ;;
        etcd) echo debian ;;
        k8s-schemas) echo $KUBE_VERSION ;;
        kwok-stages) echo $KWOK_VERSION ;;
        crd-schemas) echo "flux-$FLUX_SOURCE_VERSION-$FLUX_KUSTOMIZE_VERSION-$FLUX_HELM_API_VERSION-promop-$PROMETHEUS_OPERATOR_VERSION" ;;
        *) log "unknown tool: $1"; return 2 ;;
    esac
}

# The cache entry a tool lives in: the three Kubernetes servers share one.
entry_of() {
    case $1 in
        kube-apiserver | kube-scheduler | kube-controller-manager) echo "kubernetes-$KUBE_VERSION" ;;
        *) echo "$1-$(version_of "$1")" ;;
    esac
}

# ---- recipes: each builds into $1 (a fresh directory that becomes the cache entry on success) -------------

# A main package built outside any module: go install PKG@VERSION.
go_install() {  # dest package@version [ldflags]
    mkdir -p "$1/bin"
    GOBIN=$1/bin build_lock go install -trimpath -ldflags "-s -w ${3:-}" "$2"
}

# Main packages built inside a throw-away wrapper module, for tools whose go.mod has replace directives
# (which `go install pkg@version` refuses). Each replace is old=new; every package is fetched at version.
go_wrapper_build() {  # dest "replaces" ldflags version packages...
    local dest=$1 replaces=$2 ldflags=$3 version=$4
    shift 4
    local work=$dest/wrapper r pkg gets=()
    for pkg in "$@"; do gets+=("$pkg@$version"); done
    mkdir -p "$work" "$dest/bin" || return 1
    (
        cd "$work" || exit 1
        go mod init rooms.local/tools-wrapper >/dev/null 2>&1 || exit 1
        for r in $replaces; do go mod edit -replace "$r" || exit 1; done
        go get "${gets[@]}" || exit 1
        build_lock go build -trimpath -ldflags "-s -w $ldflags" -o "$dest/bin/" "$@"
    ) || return 1
    rm -rf "$work"
}

# The directory of a module in the module cache, downloaded if needed (source only, nothing built).
module_dir() {
    go mod download -json "$1" | sed -nE 's/^\s*"Dir": "(.*)",?$/\1/p'
}

build_kubernetes() {
    local dest=$1 gomod r replaces=""
    # kubernetes' go.mod points every k8s.io staging module at ./staging/...: replace each by its release.
    gomod=$(go mod download -json "k8s.io/kubernetes@$KUBE_VERSION" | sed -nE 's/^\s*"GoMod": "(.*)",?$/\1/p')
    [[ -f $gomod ]] || return 1
    for r in $(sed -nE 's#^\s*(k8s\.io/[a-z0-9-]+) => \./staging/.*#\1#p' "$gomod"); do
        [[ $r == k8s.io/sample-* ]] && continue   # not served by the proxy, not needed
        replaces+=" $r=$r@$KUBE_STAGING_VERSION"
    done
    local v=k8s.io/component-base/version minor=${KUBE_VERSION#v1.}
    minor=${minor%%.*}
    go_wrapper_build "$dest" "$replaces" \
        "-X $v.gitVersion=$KUBE_VERSION -X $v.gitMajor=1 -X $v.gitMinor=$minor -X $v.gitTreeState=clean" \
        "$KUBE_VERSION" k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-scheduler \
        k8s.io/kubernetes/cmd/kube-controller-manager
}

# A virtualenv is not relocatable (its scripts name its interpreter by path), so it is made where it stays,
# venv/<tool>-<version>, and removed again if the install fails; the cache entry only runs its executable.
build_venv() {  # dest tool requirement executable
    local dest=$1 tool=$2 requirement=$3 exe=$4 venv
    venv=$CACHE/venv/$tool-$(version_of "$tool")
    rm -rf "$venv"
    if ! python3 -m venv "$venv" ||
        ! build_lock "$venv/bin/pip" install -q --disable-pip-version-check "$requirement"; then
        rm -rf "$venv"
        return 1
    fi
    # A wrapper, not a link: Python finds its virtualenv from the path it was started by.
    mkdir -p "$dest/bin" && printf '#!/bin/sh\nexec %q "$@"\n' "$venv/bin/$exe" >"$dest/bin/$tool" &&
        chmod +x "$dest/bin/$tool"
}

# Kubernetes' own OpenAPI document (api/openapi-spec/swagger.json in the k8s.io/kubernetes module) turned into
# kubeconform's standalone strict JSON schemas.
build_k8s_schemas() {
    local dest=$1 dir
    dir=$(module_dir "k8s.io/kubernetes@$KUBE_VERSION") || return 1
    python3 "$ROOT/scripts/kube-schemas.py" swagger "$dir/api/openapi-spec/swagger.json" "$dest/bin"
}

# The CRDs the chart and deploy/flux use, with their kubeconform schemas: Flux's GitRepository and
# Kustomization as their modules ship them; HelmRelease generated by controller-gen from the helm-controller
# API module (the only part of helm-controller the proxy serves); prometheus-operator's ServiceMonitor.
# crds/ holds the CRD manifests (the kube tier installs them), bin/ the schemas.
build_crd_schemas() {
    local dest=$1 src kus helm promop gen
    src=$(module_dir "github.com/fluxcd/source-controller@$FLUX_SOURCE_VERSION") || return 1
    kus=$(module_dir "github.com/fluxcd/kustomize-controller@$FLUX_KUSTOMIZE_VERSION") || return 1
    helm=$(module_dir "github.com/fluxcd/helm-controller/api@$FLUX_HELM_API_VERSION") || return 1
    promop=$(module_dir "github.com/prometheus-operator/prometheus-operator@$PROMETHEUS_OPERATOR_VERSION") || return 1
    gen=$(tool_path controller-gen) || return 1
    mkdir -p "$dest/crds" "$dest/helm-api" || return 1
    cp "$src/config/crd/bases/source.toolkit.fluxcd.io_gitrepositories.yaml" \
        "$kus/config/crd/bases/kustomize.toolkit.fluxcd.io_kustomizations.yaml" \
        "$promop/example/prometheus-operator-crd/monitoring.coreos.com_servicemonitors.yaml" "$dest/crds/" || return 1
    cp -r "$helm/." "$dest/helm-api/" && chmod -R u+w "$dest/helm-api" || return 1
    # A generator run of some seconds, not a build: at the lowest priority rather than queued behind builds.
    (cd "$dest/helm-api" && nice -n 19 "$gen" crd paths=./... output:crd:dir="$dest/crds") || return 1
    rm -rf "$dest/helm-api"
    python3 "$ROOT/scripts/kube-schemas.py" crds "$dest/bin" "$dest"/crds/*.yaml
}

# kwok's stages as its module ships them: nodes initialized Ready and kept so by a lease heartbeat (without
# it the node lifecycle controller marks them NotReady after 40 s and taints them), pods Running and Ready at
# once, Job pods Succeeded, deleted pods removed.
build_kwok_stages() {
    local dest=$1 dir f
    dir=$(module_dir "sigs.k8s.io/kwok@$KWOK_VERSION") || return 1
    mkdir -p "$dest/bin" || return 1
    for f in "$dir"/kustomize/stage/node/{fast,heartbeat-with-lease}/*.yaml "$dir"/kustomize/stage/pod/fast/*.yaml; do
        [[ $(basename "$f") == kustomization.yaml ]] || cp "$f" "$dest/bin/" || return 1
    done
}

build_tool() {  # tool dest
    local tool=$1 dest=$2
    case $tool in
        helm) go_install "$dest" "helm.sh/helm/v3/cmd/helm@$HELM_VERSION" \
            "-X helm.sh/helm/v3/internal/version.version=$HELM_VERSION" ;;
        kubeconform) go_install "$dest" "github.com/yannh/kubeconform/cmd/kubeconform@$KUBECONFORM_VERSION" ;;
        actionlint) go_install "$dest" "github.com/rhysd/actionlint/cmd/actionlint@$ACTIONLINT_VERSION" \
            "-X github.com/rhysd/actionlint.version=$ACTIONLINT_VERSION" ;;
        kube-apiserver | kube-scheduler | kube-controller-manager) build_kubernetes "$dest" ;;
        kwok) go_install "$dest" "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION" ;;
        tofu) go_wrapper_build "$dest" "$TOFU_HCL_REPLACE" \
            "-X github.com/opentofu/opentofu/version.dev=no" \
            "$TOFU_VERSION" github.com/opentofu/opentofu/cmd/tofu ;;
        controller-gen) go_install "$dest" "sigs.k8s.io/controller-tools/cmd/controller-gen@$CONTROLLER_GEN_VERSION" ;;
        jaeger) go_wrapper_build "$dest" "github.com/Shopify/sarama=github.com/Shopify/sarama@v1.33.0" "" \
            "$JAEGER_VERSION" github.com/jaegertracing/jaeger/cmd/jaeger ;;
        centrifugo) go_install "$dest" "github.com/centrifugal/centrifugo/v6@$CENTRIFUGO_VERSION" \
            "-X github.com/centrifugal/centrifugo/v6/internal/build.Version=${CENTRIFUGO_VERSION#v}" ;;
        pebble) go_install "$dest" "github.com/letsencrypt/pebble/v2/cmd/pebble@$PEBBLE_VERSION" ;;
        checkov) build_venv "$dest" checkov "checkov==$CHECKOV_VERSION" checkov ;;
        grafana-sdk) build_venv "$dest" grafana-sdk "grafana-foundation-sdk==$GRAFANA_SDK_VERSION" python3 ;;
        k8s-schemas) build_k8s_schemas "$dest" ;;
        crd-schemas) build_crd_schemas "$dest" ;;
        kwok-stages) build_kwok_stages "$dest" ;;
        *) log "unknown tool: $tool"; return 2 ;;
    esac
}

# The executable (or, for the schemas, the directory) of a built tool.
result_of() {  # tool entry-dir
    case $1 in
        k8s-schemas | crd-schemas | kwok-stages) echo "$2/bin" ;;
        *) echo "$2/bin/$1" ;;
    esac
}

# Builds the tool when missing (one builder at a time per tool; a failed build leaves nothing), then prints
# where it is.
tool_path() {
    local tool=$1 entry
    if [[ $tool == etcd ]]; then
        apt_install etcd-server
        echo /usr/bin/etcd
        return
    fi
    entry=$TOOLS/$(entry_of "$tool") || return 2
    if [[ ! -d $entry ]]; then
        mkdir -p "$TOOLS/.locks"
        (
            flock 9
            [[ -d $entry ]] && exit 0
            local tmp started=$SECONDS
            tmp=$(mktemp -d "$TOOLS/.build-$(entry_of "$tool").XXXXXX")
            trap 'chmod -R u+w "$tmp" 2>/dev/null || true; rm -rf "$tmp"' EXIT
            log "building $tool $(version_of "$tool") into $entry (once per machine)"
            # Explicit: errexit does not hold when a caller tests this function's status.
            build_tool "$tool" "$tmp" >&2 || exit 1
            mv "$tmp" "$entry" || exit 1
            log "built $tool in $((SECONDS - started)) s"
        ) 9>"$TOOLS/.locks/$(entry_of "$tool").lock" || return 1
    fi
    result_of "$tool" "$entry"
}

# A cold build: empty module and build caches of its own, so the figure includes downloading and compiling
# every dependency. The caches are deleted afterwards.
cold_build() {
    local tool=$1 scratch entry started secs
    entry=$TOOLS/$(entry_of "$tool")
    scratch=$(mktemp -d /tmp/rooms-tools-cold.XXXXXX)
    mkdir -p "$TOOLS"
    # The whole build under one hold of the build lock, timed from when it is held: the figure is the
    # build's, not the wait for other engineers' builds.
    exec 8>/tmp/rooms-build.lock
    flock 8
    started=$(date +%s)
    if ! ROOMS_TOOLS_LOCKED=1 GOMODCACHE=$scratch/mod GOCACHE=$scratch/cache build_tool "$tool" "$scratch/out" >&2; then
        chmod -R u+w "$scratch"; rm -rf "$scratch"
        log "cold build of $tool failed"
        return 1
    fi
    secs=$(($(date +%s) - started))
    exec 8>&-
    if [[ ! -d $entry ]]; then
        # Moved, not copied, into place: the same all-or-nothing rule as tool_path.
        mkdir -p "$TOOLS/.locks"
        (flock 9; [[ -d $entry ]] || mv "$scratch/out" "$entry") 9>"$TOOLS/.locks/$(entry_of "$tool").lock"
    fi
    chmod -R u+w "$scratch"; rm -rf "$scratch"
    printf '%s\t%s\t%s\n' "$tool" "$(version_of "$tool")" "$secs" >>"$CACHE/cold-times.tsv"
    echo "$tool $(version_of "$tool"): ${secs} s cold"
}

ALL=(helm kubeconform actionlint kube-apiserver kube-scheduler kube-controller-manager kwok tofu controller-gen
    jaeger centrifugo pebble etcd checkov grafana-sdk k8s-schemas crd-schemas kwok-stages)

case ${1:-} in
    path)
        [[ $# -eq 2 ]] || { echo "usage: $0 path TOOL" >&2; exit 2; }
        tool_path "$2"
        ;;
    build)
        shift
        for t in "$@"; do tool_path "$t" >/dev/null; done
        ;;
    cold)
        [[ $# -eq 2 ]] || { echo "usage: $0 cold TOOL" >&2; exit 2; }
        cold_build "$2"
        ;;
    list)
        for t in "${ALL[@]}"; do
            if [[ $t == etcd ]]; then
                state=$([[ -x /usr/bin/etcd ]] && echo built || echo missing)
            else
                state=$([[ -d $TOOLS/$(entry_of "$t") ]] && echo built || echo missing)
            fi
            printf '%-24s %-44s %s\n' "$t" "$(version_of "$t")" "$state"
        done
        ;;
    *)
        sed -n '2,9p' "$0" >&2
        exit 2
        ;;
esac
