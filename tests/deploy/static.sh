#!/usr/bin/env bash
# The deployment files, checked without a cluster (tier `deploy` of scripts/test.sh):
#   - the Helm chart: helm lint --strict and helm template for the default, dev and prod values (and the optional
#     parts switched on), every manifest through kubeconform -strict with schemas made from Kubernetes' own OpenAPI
#     document and the CRDs; what the chart promises, asserted on the rendered manifests; each role's rendered
#     config file loaded by the real `rooms` binary (build/rooms, ROOMS_BIN), which rejects unknown keys;
#   - deploy/flux against the Flux CRDs' schemas; .github/workflows with actionlint;
#   - deploy/terraform: tofu fmt -check, tofu validate and tofu test of the modules that need no provider, checkov.
# Tools come from scripts/tools.sh (built once per machine). Ends with "N passed, M failed".
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
source tests/deploy/lib.sh
CHART=deploy/helm/rooms
KUBE_VERSION=1.34.4
ROOMS_BIN=${ROOMS_BIN:-$ROOT/build/rooms}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

# Sets VAR to the path of a pinned tool, or records a failed check and returns 1. Not called as $(tool ...): a
# failure recorded in a command substitution's subshell would be lost (and its FAIL line captured as the path).
tool() {  # VAR name
    local p
    if p=$(scripts/tools.sh path "$2" 2>"$WORK/tool-$2.log"); then
        printf -v "$1" '%s' "$p"
    else
        printf -v "$1" '%s' ""
        fail "tool $2 builds" "$(cat "$WORK/tool-$2.log")"
        return 1
    fi
}

# PyYAML for the assertions: the interpreter on PATH, else Debian's with python3-yaml.
PY=python3
if ! $PY -c 'import yaml' 2>/dev/null; then
    dpkg-query -W -f='${Status}' python3-yaml 2>/dev/null | grep -q 'install ok installed' ||
        { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-yaml; } >/dev/null
    PY=/usr/bin/python3
fi
rc() { $PY tests/deploy/render_checks.py "$@"; }

echo "--- Helm chart"
tool HELM helm || true
tool KUBECONFORM kubeconform || true
tool K8S_SCHEMAS k8s-schemas || true
tool CRD_SCHEMAS crd-schemas || true

conform() {  # files...: every document against the schemas; a kind without a schema is an error
    "$KUBECONFORM" -strict -summary -kubernetes-version "$KUBE_VERSION" \
        -schema-location "$K8S_SCHEMAS/{{ .Group }}/{{ .ResourceKind }}_{{ .ResourceAPIVersion }}.json" \
        -schema-location "$CRD_SCHEMAS/{{ .Group }}/{{ .ResourceKind }}_{{ .ResourceAPIVersion }}.json" "$@"
}

render() {  # output helm-arguments...
    local out=$1
    shift
    "$HELM" template rooms "$CHART" --namespace rooms --kube-version "$KUBE_VERSION" "$@" >"$out"
}

# The renders: name and helm arguments.
declare -A RENDERS=(
    [default]=""
    [dev]="-f $CHART/values-dev.yaml"
    [prod]="-f $CHART/values-prod.yaml"
    [everything]="--set auth.enabled=true,metrics.serviceMonitor.enabled=true,logs.fluentBit.enabled=true,ingress.tls.enabled=true,antiAffinity=preferred"
    [bundled]="--set postgresql.enabled=true,postgresql.auth.password=pw,redis.enabled=true,kafka.enabled=true"
)
ORDER=(default dev prod everything bundled)

if [[ -n $HELM ]]; then
    for values in default dev prod; do
        # shellcheck disable=SC2086
        check "helm lint --strict ($values values)" "$HELM" lint --strict "$CHART" ${RENDERS[$values]}
    done
    for r in "${ORDER[@]}"; do
        # shellcheck disable=SC2086
        check "helm template ($r)" render "$WORK/$r.yaml" ${RENDERS[$r]}
    done
    if [[ -n $KUBECONFORM && -n $K8S_SCHEMAS && -n $CRD_SCHEMAS ]]; then
        for r in "${ORDER[@]}"; do
            check "kubeconform -strict ($r: $(grep -c '^kind:' "$WORK/$r.yaml" 2>/dev/null) objects)" conform "$WORK/$r.yaml"
        done
        # The schemas do catch mistakes: a misspelt field and a wrong type are refused.
        sed 's/^  replicas: 1$/  replica: 1/' "$WORK/dev.yaml" >"$WORK/typo.yaml"
        check_fails "kubeconform refuses a misspelt field (replica)" "additional properties 'replica'" conform "$WORK/typo.yaml"
        sed 's/terminationGracePeriodSeconds: 30/terminationGracePeriodSeconds: "soon"/' "$WORK/default.yaml" >"$WORK/type.yaml"
        check_fails "kubeconform refuses a wrong type (grace period \"soon\")" "terminationGracePeriodSeconds" conform "$WORK/type.yaml"
    fi

    echo "--- What the chart promises, on the rendered manifests"
    d=$WORK/default.yaml dev=$WORK/dev.yaml prod=$WORK/prod.yaml all=$WORK/everything.yaml b=$WORK/bundled.yaml
    for role in websocket consumer; do
        check "default: $role has required anti-affinity on kubernetes.io/hostname" rc "$d" anti-affinity $role required
        check "dev: $role anti-affinity is preferred" rc "$dev" anti-affinity $role preferred
        check "prod: $role anti-affinity is required" rc "$prod" anti-affinity $role required
        check "default: $role probes /readyz and /healthz on its port" rc "$d" probes $role
        check "default: $role has requests and limits" rc "$d" resources $role
        check "default: $role reads its own config file, role and listen match" rc "$d" command-config $role
        check "default: $role gets its secrets from the chart's Secret" rc "$d" secret-env $role rooms
    done
    check "everything: auth has preferred anti-affinity" rc "$all" anti-affinity auth preferred
    check "everything: auth probes /readyz and /healthz, reads auth.yaml" \
        eval 'rc "$all" probes auth && rc "$all" command-config auth'
    check "default: gateways drain (preStop 5 s, grace >= 15 s)" rc "$d" drain websocket 5
    check "default: gateways take unique node ids from the StatefulSet ordinal" rc "$d" node-ids
    check "prod: roles read the existing Secret rooms-prod" rc "$prod" secret-env websocket rooms-prod external
    check "prod: the chart makes no Secret with existingSecret" rc "$prod" no-secret
    check "default: migrate then topics as pre-install/pre-upgrade hooks" rc "$d" hooks pre-install,pre-upgrade
    check "bundled: hooks run post-install (the bundled services come with the release)" rc "$b" hooks post-install,pre-upgrade
    check "default: Ingress routes / to the gateways, nginx class, WebSocket timeouts" rc "$d" ingress no-auth
    check "everything: Ingress routes /api/user to auth" rc "$all" ingress auth
    check "prod: TLS by cert-manager's letsencrypt issuer" rc "$prod" tls letsencrypt
    check "dev: TLS by letsencrypt-staging" rc "$dev" tls letsencrypt-staging
    check "default: HPA 3..10 on the gateway StatefulSet" rc "$d" hpa 3 10
    check "prod: HPA 3..12" rc "$prod" hpa 3 12
    check "dev: no HPA, 1 gateway" rc "$dev" no-hpa 1
    check "default: PDBs for websocket and consumer" rc "$d" pdbs websocket consumer
    check "everything: PDBs for websocket, consumer and auth" rc "$all" pdbs websocket consumer auth
    check "default: scrape annotations, no ServiceMonitor" rc "$d" metrics none
    check "everything: a ServiceMonitor per role" rc "$all" metrics websocket,consumer,auth
    check "default: no fluent-bit" rc "$d" fluent-bit no
    check "prod: fluent-bit DaemonSet on every node, reading /var/log" rc "$prod" fluent-bit yes
    check "default: external Redis and Kafka from config" rc "$d" endpoints redis:6379 kafka:9092
    check "bundled: the bitnami charts' services" rc "$b" endpoints rooms-redis-master:6379 rooms-kafka:9092
    # Mistakes in values stop the render with a reason.
    check_fails "values schema refuses an unknown key" "additional properties" \
        render /dev/null --set websocket.replica=2
    check_fails "values schema refuses antiAffinity=sometimes" "antiAffinity" \
        render /dev/null --set antiAffinity=sometimes
    check_fails "node ids above 1023 are refused" "node ids 0..1023" \
        render /dev/null --set websocket.nodeIdBase=1020
    check_fails "config may not set role (the chart does)" "/config/role" \
        render /dev/null --set config.role=all
    check_fails "a short JWT key is refused" "at least 32 bytes" \
        render /dev/null --set secrets.jwtSecret=short

    echo "--- Each role's rendered config file, loaded by rooms itself"
    # Exit 2 is "invalid configuration"; past the configuration, migrate fails to connect (exit 1).
    rooms_accepts() {  # config-file
        local out code
        out=$(ROOMS_POSTGRES_DSN=postgresql://nobody@127.0.0.1:1/none timeout 30 "$ROOMS_BIN" migrate up --config "$1" 2>&1)
        code=$?
        echo "exit $code: $out"
        [[ $code -ne 2 && $out != *"invalid configuration"* ]]
    }
    if [[ -x $ROOMS_BIN ]]; then
        for r in default dev prod; do
            rc "$WORK/$r.yaml" extract-configs "$WORK/configs-$r" || fail "extract the config files ($r)"
            for f in "$WORK/configs-$r"/*.yaml; do
                check "$r: rooms accepts $(basename "$f")" rooms_accepts "$f"
            done
        done
        printf 'chat:\n  history_sise: 5\n' >"$WORK/bad.yaml"
        check_fails "rooms refuses an unknown key (the loader check bites)" "unknown setting" \
            "$ROOMS_BIN" migrate up --config "$WORK/bad.yaml"
    else
        fail "rooms binary for the config check" "no $ROOMS_BIN: run make build (or set ROOMS_BIN)"
    fi
fi

echo "--- Flux (deploy/flux)"
flux_kinds() {  # rendered: one GitRepository, Kustomization and HelmRelease each
    local k
    for k in GitRepository Kustomization HelmRelease; do
        [[ $(grep -c "^kind: $k\$" "$1") -eq 1 ]] || { echo "not exactly one $k"; return 1; }
    done
}
flux_values_files() {  # rendered: every values file the HelmRelease names is in the repository
    local f n=0
    for f in $(sed -nE 's#^ *- (deploy/helm/rooms/values[^ ]*\.yaml)$#\1#p' "$1"); do
        [[ -f $f ]] || { echo "missing $f"; return 1; }
        n=$((n + 1))
    done
    ((n >= 1)) || { echo "no values file named"; return 1; }
}
if [[ -n $KUBECONFORM && -n $K8S_SCHEMAS && -n $CRD_SCHEMAS ]]; then
    for stand in dev prod; do
        out=$WORK/flux-$stand.yaml
        check "flux $stand: kubectl kustomize builds" eval "kubectl kustomize deploy/flux/$stand >'$out'"
        check "flux $stand: one GitRepository, Kustomization and HelmRelease" flux_kinds "$out"
        check "flux $stand: valid against the Flux CRDs (kubeconform -strict)" conform "$out"
        check "flux $stand: the HelmRelease's values files exist" flux_values_files "$out"
    done
    check "flux: dev follows the main branch" grep -q 'branch: main' deploy/flux/dev/source.yaml
    check "flux: prod follows release tags" grep -qE 'semver: ' deploy/flux/prod/source.yaml
    sed 's/^  interval: /  intervall: /' "$WORK/flux-prod.yaml" >"$WORK/flux-typo.yaml"
    check_fails "the Flux schemas refuse a misspelt field" "intervall" conform "$WORK/flux-typo.yaml"
fi

echo "--- GitHub Actions (.github/workflows)"
if tool ACTIONLINT actionlint; then
    check "actionlint: every workflow" "$ACTIONLINT" -no-color .github/workflows/*.yml
    printf 'on: push\njobs:\n  x:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n        with: {fetch-dept: 1}\n' \
        >"$WORK/bad-workflow.yml"
    check_fails "actionlint refuses an unknown input of a known action" "fetch-dept" "$ACTIONLINT" -no-color "$WORK/bad-workflow.yml"
fi

echo "--- OpenTofu (deploy/terraform)"
if tool TOFU tofu; then
    # No CLI configuration of the machine's (provider mirrors, credentials): an empty one of our own.
    export TF_CLI_CONFIG_FILE=$WORK/tofurc TF_IN_AUTOMATION=1
    echo 'disable_checkpoint = true' >"$TF_CLI_CONFIG_FILE"
    check "tofu fmt -check -recursive" "$TOFU" fmt -check -recursive -diff deploy/terraform
    for m in deploy/terraform/modules/stand; do
        # A copy: init writes .terraform and a lock file beside the configuration.
        cp -r "$m" "$WORK/$(basename "$m")"
        check "tofu init + validate ($m)" eval "cd '$WORK/$(basename "$m")' && '$TOFU' init -backend=false -input=false >/dev/null && '$TOFU' validate -no-color"
        check "tofu test ($m)" eval "cd '$WORK/$(basename "$m")' && '$TOFU' test -no-color"
    done
fi
if tool CHECKOV checkov; then
    checkov() { "$CHECKOV" --quiet --compact --skip-download --framework terraform --download-external-modules false -d "$@"; }
    check "checkov: every check passes on deploy/terraform (none skipped)" checkov deploy/terraform
    # It bites: legacy ABAC switched on is reported.
    cp -r deploy/terraform "$WORK/tf-abac"
    sed -i 's/enable_legacy_abac          = false/enable_legacy_abac          = true/' "$WORK/tf-abac/modules/gke-cluster/main.tf"
    check_fails "checkov reports legacy ABAC switched on" "CKV_GCP_7" checkov "$WORK/tf-abac"
fi

summary
