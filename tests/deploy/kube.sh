#!/usr/bin/env bash
# The Helm chart on a real Kubernetes control plane (tier `kube` of scripts/test.sh): etcd, kube-apiserver,
# kube-scheduler and kube-controller-manager 1.34 on loopback, and kwok, which plays 3 nodes (no containers run:
# kwok marks the scheduled pods Running and Ready, and Job pods Succeeded). Asserts that the API server accepts
# every object of the dev, prod and test renders, that `helm install` runs the hook Jobs and creates every
# object, that the scheduler puts one pod of each role per node, that the HPA raises the gateways to its minimum,
# that a 4th gateway stays Pending for anti-affinity (and a release with preferred places 4 on 3 nodes), and that
# `helm upgrade` and `helm uninstall` work. Every process it starts is stopped on exit. "N passed, M failed".
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
source tests/deploy/lib.sh
source scripts/lib.sh  # free_port
CHART=deploy/helm/rooms
NS=rooms
W=$(mktemp -d /tmp/rooms-kube.XXXXXX)
PIDS=()

cleanup() {
    local pid
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null; done
    for pid in "${PIDS[@]}"; do
        for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$pid" 2>/dev/null
    done
    wait 2>/dev/null
    rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

die() {  # a step every later check needs failed: count it, show the logs, stop
    fail "$1" "${2:-}"
    local f
    for f in "$W"/*.log; do [[ -f $f ]] && { echo "--- tail of $f"; tail -n 15 "$f"; }; done
    summary
    exit 1
}

# Polls until the command succeeds or the seconds pass (then fails).
wait_until() {  # seconds command...
    local deadline=$((SECONDS + $1))
    shift
    until "$@" >/dev/null 2>&1; do
        ((SECONDS < deadline)) || { "$@"; return 1; }
        sleep 0.5
    done
}

echo "--- Tools (scripts/tools.sh: built once per machine)"
for t in etcd kube-apiserver kube-scheduler kube-controller-manager kwok kwok-stages helm crd-schemas; do
    p=$(scripts/tools.sh path "$t" 2>"$W/tool-$t.log") || die "tool $t builds" "$(tail -n 20 "$W/tool-$t.log")"
    printf -v "BIN_${t//-/_}" '%s' "$p"
done
HELM=$BIN_helm
export KUBECONFIG=$W/kubeconfig

echo "--- Control plane on loopback"
ETCD_PORT=$(free_port) ETCD_PEER_PORT=$(free_port) API_PORT=$(free_port)
SCHED_PORT=$(free_port) CM_PORT=$(free_port) KWOK_PORT=$(free_port)
TOKEN=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
echo "$TOKEN,admin,admin,system:masters" >"$W/tokens.csv"
openssl genrsa -out "$W/sa.key" 2048 2>/dev/null || die "service account key"
cat >"$KUBECONFIG" <<EOF
apiVersion: v1
kind: Config
clusters:
  - name: local
    cluster:
      server: https://127.0.0.1:$API_PORT
      insecure-skip-tls-verify: true
users:
  - name: admin
    user:
      token: $TOKEN
contexts:
  - name: local
    context: {cluster: local, user: admin}
current-context: local
EOF

"$BIN_etcd" --name rooms-kube --data-dir "$W/etcd" \
    --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
    --listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-cluster "rooms-kube=http://127.0.0.1:$ETCD_PEER_PORT" >"$W/etcd.log" 2>&1 &
PIDS+=($!)
wait_until 30 curl -fsS "http://127.0.0.1:$ETCD_PORT/health" || die "etcd answers /health"

# WatchList=false: Debian's etcd 3.4.23 predates what streaming lists need (RequestWatchProgress), and clients
# that try them first (kwok's) would then stall for tens of seconds between list+watch fallbacks.
"$BIN_kube_apiserver" --etcd-servers "http://127.0.0.1:$ETCD_PORT" --bind-address 127.0.0.1 \
    --secure-port "$API_PORT" --advertise-address 127.0.0.1 --cert-dir "$W/apiserver-certs" \
    --token-auth-file "$W/tokens.csv" --authorization-mode RBAC \
    --service-account-issuer https://kubernetes.default.svc --service-account-key-file "$W/sa.key" \
    --service-account-signing-key-file "$W/sa.key" --service-cluster-ip-range 10.96.0.0/16 \
    --disable-admission-plugins ServiceAccount --enable-priority-and-fairness=false \
    --feature-gates WatchList=false >"$W/kube-apiserver.log" 2>&1 &
PIDS+=($!)
wait_until 90 kubectl get --raw /readyz || die "kube-apiserver is ready"
version=$(kubectl version -o json 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["serverVersion"]["gitVersion"])')
check "kube-apiserver reports v1.34.4 (got $version)" test "$version" = v1.34.4

"$BIN_kube_scheduler" --kubeconfig "$KUBECONFIG" --authentication-kubeconfig "$KUBECONFIG" \
    --authorization-kubeconfig "$KUBECONFIG" --leader-elect=false --bind-address 127.0.0.1 \
    --secure-port "$SCHED_PORT" >"$W/kube-scheduler.log" 2>&1 &
PIDS+=($!)
"$BIN_kube_controller_manager" --kubeconfig "$KUBECONFIG" --authentication-kubeconfig "$KUBECONFIG" \
    --authorization-kubeconfig "$KUBECONFIG" --leader-elect=false --bind-address 127.0.0.1 \
    --secure-port "$CM_PORT" --controllers '*,-nodeipam,-cloud-node-lifecycle,-service-lb-controller,-route' \
    --service-account-private-key-file "$W/sa.key" --use-service-account-credentials=false \
    --horizontal-pod-autoscaler-sync-period 5s >"$W/kube-controller-manager.log" 2>&1 &
PIDS+=($!)
# kwok's stages as its configuration (not ~/.kwok/kwok.yaml): nodes Ready and kept Ready by their leases,
# pods Running and Ready at once, Job pods Succeeded, deleted pods gone.
stages=()
for f in "$BIN_kwok_stages"/*.yaml; do stages+=(--config "$f"); done
"$BIN_kwok" "${stages[@]}" --kubeconfig "$KUBECONFIG" --manage-all-nodes=false \
    --manage-nodes-with-annotation-selector kwok.x-k8s.io/node=fake --server-address "127.0.0.1:$KWOK_PORT" \
    --node-lease-duration-seconds 40 \
    --cidr 10.244.0.0/16 --node-ip 127.0.0.1 >"$W/kwok.log" 2>&1 &
PIDS+=($!)
wait_until 30 curl -fsSk "https://127.0.0.1:$SCHED_PORT/healthz" || die "kube-scheduler answers /healthz"
wait_until 30 curl -fsSk "https://127.0.0.1:$CM_PORT/healthz" || die "kube-controller-manager answers /healthz"

for i in 1 2 3; do
    cat <<EOF
apiVersion: v1
kind: Node
metadata:
  name: node-$i
  annotations: {kwok.x-k8s.io/node: fake}
  labels: {kubernetes.io/hostname: node-$i, kubernetes.io/os: linux, type: kwok}
status:
  allocatable: {cpu: "16", memory: 64Gi, pods: "110"}
  capacity: {cpu: "16", memory: 64Gi, pods: "110"}
---
EOF
done >"$W/nodes.yaml"
kubectl apply -f "$W/nodes.yaml" >/dev/null || die "create 3 fake nodes"
nodes_ready() { [[ $(kubectl get nodes -o jsonpath='{range .items[*]}{.status.conditions[?(@.type=="Ready")].status}{"\n"}{end}' | grep -c True) -eq 3 ]]; }
wait_until 60 nodes_ready || die "3 nodes Ready (kwok)" "$(kubectl get nodes 2>&1)"
pass "control plane up: etcd, kube-apiserver, scheduler, controller-manager, kwok with 3 Ready nodes"
# The service account controller makes "default" in each namespace; nothing here needs more.
kubectl apply --server-side -f "$BIN_crd_schemas/../crds/" >"$W/crds.log" 2>&1 || die "install the CRDs" "$(cat "$W/crds.log")"
wait_until 30 kubectl wait --for condition=Established crd --all --timeout 5s || die "CRDs established"
kubectl create namespace "$NS" >/dev/null
kubectl create namespace flux-system >/dev/null

echo "--- The API server accepts every object (server-side dry run)"
render() { "$HELM" template rooms "$CHART" --namespace "$NS" --kube-version 1.34.4 "$@"; }
accepts() {  # name helm-arguments...: every object of the render passes the API server's validation
    local name=$1 out
    shift
    render "$@" >"$W/render-$name.yaml" || return 1
    out=$(kubectl apply --dry-run=server -n "$NS" -f "$W/render-$name.yaml" 2>&1) || { echo "$out"; return 1; }
    [[ $(grep -c 'server dry run' <<<"$out") -eq $(grep -c '^kind:' "$W/render-$name.yaml") ]] || { echo "$out"; return 1; }
}
check "dev values: every object accepted" accepts dev -f "$CHART/values-dev.yaml"
check "prod values: every object accepted (ServiceMonitors, fluent-bit)" accepts prod -f "$CHART/values-prod.yaml"
check "flux dev and prod: GitRepository, Kustomization, HelmRelease accepted" \
    eval 'for s in dev prod; do kubectl kustomize deploy/flux/$s | kubectl apply --dry-run=server -f - || exit 1; done'

echo "--- helm install"
VALUES=(--set auth.enabled=true,auth.replicas=2,metrics.serviceMonitor.enabled=true,logs.fluentBit.enabled=true
    --set secrets.jwtSecret=kube-tier-jwt-key-of-at-least-32-bytes)
started=$SECONDS
if "$HELM" install rooms "$CHART" -n "$NS" "${VALUES[@]}" --wait --timeout 300s >"$W/helm-install.log" 2>&1; then
    pass "helm install --wait ($((SECONDS - started)) s, hooks included)"
else
    die "helm install" "$(cat "$W/helm-install.log"; kubectl get pods,jobs -n "$NS" -o wide 2>&1)"
fi
"$HELM" get manifest rooms -n "$NS" >"$W/manifest.yaml"
check "every object of the release exists ($(grep -c '^kind:' "$W/manifest.yaml") objects)" \
    eval "[[ \$(kubectl get -n '$NS' -f '$W/manifest.yaml' -o name | wc -l) -eq \$(grep -c '^kind:' '$W/manifest.yaml') ]]"

job_succeeded() { [[ $(kubectl get job -n "$NS" "rooms-$1" -o jsonpath='{.status.succeeded}') == 1 ]]; }
check "hook Job migrate ran and succeeded" job_succeeded migrate
check "hook Job topics ran and succeeded" job_succeeded topics
check "hook Jobs ran in order: migrate, then topics" eval "
    m=\$(kubectl get job -n '$NS' rooms-migrate -o jsonpath='{.status.completionTime}')
    t=\$(kubectl get job -n '$NS' rooms-topics -o jsonpath='{.status.startTime}')
    [[ -n \$m && -n \$t && ! \$t < \$m ]]"
check "the hook ConfigMap and Secret are gone after the hooks" \
    eval "! kubectl get -n '$NS' configmap/rooms-hooks secret/rooms-hooks 2>/dev/null | grep -q rooms-hooks"
migrate_uid=$(kubectl get job -n "$NS" rooms-migrate -o jsonpath='{.metadata.uid}')

running_on() {  # role: "<node>" per Running pod of the role, one per line
    kubectl get pods -n "$NS" -l "app.kubernetes.io/component=$1" \
        -o jsonpath='{range .items[?(@.status.phase=="Running")]}{.spec.nodeName}{"\n"}{end}'
}
spread() {  # role count: that many Running pods, each on its own node
    local nodes
    nodes=$(running_on "$1")
    echo "$1 on: $(echo $nodes)"
    [[ $(grep -c . <<<"$nodes") -eq $2 && $(sort -u <<<"$nodes" | grep -c .) -eq $2 ]]
}
check "HPA exists and targets the gateway StatefulSet" eval "
    [[ \$(kubectl get hpa -n '$NS' rooms-websocket -o jsonpath='{.spec.scaleTargetRef.kind}/{.spec.scaleTargetRef.name}/{.spec.minReplicas}') == StatefulSet/rooms-websocket/3 ]]"
check "the HPA raises the gateways to its minimum, 3" wait_until 90 eval \
    "[[ \$(kubectl get sts -n '$NS' rooms-websocket -o jsonpath='{.spec.replicas}') == 3 ]]"
check "3 gateways Running, one per node" wait_until 90 spread websocket 3
check "2 consumers Running, on different nodes" wait_until 60 spread consumer 2
check "2 auth pods Running, on different nodes" wait_until 60 spread auth 2
check "fluent-bit: one pod per node" wait_until 60 spread fluent-bit 3
check "gateways have the ordinals 0, 1, 2 (node ids 1, 2, 3)" eval "
    [[ \$(kubectl get pods -n '$NS' -l app.kubernetes.io/component=websocket -o jsonpath='{range .items[*]}{.metadata.labels.apps\.kubernetes\.io/pod-index}{\"\\n\"}{end}' | sort | tr '\\n' ' ') == '0 1 2 ' ]]"
check "PDBs for websocket, consumer and auth, each allowing 1 disruption" wait_until 60 eval "
    [[ \$(kubectl get pdb -n '$NS' -o jsonpath='{range .items[*]}{.metadata.name}={.status.disruptionsAllowed} {end}') == 'rooms-auth=1 rooms-consumer=1 rooms-websocket=1 ' ]]"
check "Ingress: / to the gateways, /api/user to auth" eval "
    [[ \$(kubectl get ingress -n '$NS' rooms -o jsonpath='{range .spec.rules[0].http.paths[*]}{.path}>{.backend.service.name} {end}') == '/api/user>rooms-auth />rooms-websocket ' ]]"
check "ServiceMonitors for websocket, consumer and auth" eval "
    [[ \$(kubectl get servicemonitors -n '$NS' -o name | sort | tr '\\n' ' ') == 'servicemonitor.monitoring.coreos.com/rooms-auth servicemonitor.monitoring.coreos.com/rooms-consumer servicemonitor.monitoring.coreos.com/rooms-websocket ' ]]"
check "gateway pods as the API server keeps them: preStop sleep 5, grace 30 s" eval "
    [[ \$(kubectl get pod -n '$NS' rooms-websocket-0 -o jsonpath='{.spec.containers[0].lifecycle.preStop.exec.command[*]}/{.spec.terminationGracePeriodSeconds}') == 'sleep 5/30' ]]"

echo "--- helm upgrade: a 4th gateway"
if "$HELM" upgrade rooms "$CHART" -n "$NS" "${VALUES[@]}" --set websocket.autoscaling.minReplicas=4 \
    --timeout 300s >"$W/helm-upgrade.log" 2>&1; then
    pass "helm upgrade (HPA minimum 4)"
else
    fail "helm upgrade (HPA minimum 4)" "$(cat "$W/helm-upgrade.log")"
fi
check "the upgrade ran the hooks again (a new migrate Job)" eval "
    [[ \$(kubectl get job -n '$NS' rooms-migrate -o jsonpath='{.metadata.uid}') != '$migrate_uid' ]] && job_succeeded migrate"
pending_for_anti_affinity() {
    local phase msg
    phase=$(kubectl get pod -n "$NS" rooms-websocket-3 -o jsonpath='{.status.phase}')
    msg=$(kubectl get pod -n "$NS" rooms-websocket-3 -o jsonpath='{.status.conditions[?(@.type=="PodScheduled")].message}')
    echo "rooms-websocket-3: $phase: $msg"
    [[ $phase == Pending && $msg == *"didn't match pod anti-affinity rules"* ]]
}
check "the 4th gateway stays Pending with the anti-affinity reason" wait_until 90 pending_for_anti_affinity
check "and the 3 others still Running, one per node" spread websocket 3
check "helm history shows 2 revisions, the last deployed" eval "
    [[ \$('$HELM' history rooms -n '$NS' -o json | python3 -c 'import json,sys; h=json.load(sys.stdin); print(len(h), h[-1][\"status\"])') == '2 deployed' ]]"

# Preferred anti-affinity, in a release of its own (its pods repel only each other): a 4th gateway on 3 nodes
# is placed. (Switching a release from required to preferred while a gateway is Pending would wait for that
# pod: the StatefulSet replaces pods from the highest ordinal and the old pods' required terms still bar it.)
kubectl create namespace rooms-preferred >/dev/null
if "$HELM" install rooms "$CHART" -n rooms-preferred --set antiAffinity=preferred,websocket.autoscaling.minReplicas=4 \
    --set secrets.jwtSecret=kube-tier-jwt-key-of-at-least-32-bytes --wait --timeout 300s >"$W/helm-preferred.log" 2>&1; then
    pass "helm install with antiAffinity=preferred and 4 gateways"
else
    fail "helm install with antiAffinity=preferred and 4 gateways" "$(cat "$W/helm-preferred.log")"
fi
four_running() {
    local nodes
    nodes=$(kubectl get pods -n rooms-preferred -l app.kubernetes.io/component=websocket \
        -o jsonpath='{range .items[?(@.status.phase=="Running")]}{.spec.nodeName}{"\n"}{end}')
    echo "gateways Running on: $(echo $nodes)"
    [[ $(grep -c . <<<"$nodes") -eq 4 && $(sort -u <<<"$nodes" | grep -c .) -eq 3 ]]
}
check "preferred: 4 gateways Running on the 3 nodes" wait_until 90 four_running
check "helm uninstall of the preferred release" "$HELM" uninstall rooms -n rooms-preferred --wait --timeout 120s

echo "--- helm uninstall"
if "$HELM" uninstall rooms -n "$NS" --wait --timeout 120s >"$W/helm-uninstall.log" 2>&1; then
    pass "helm uninstall --wait"
else
    fail "helm uninstall --wait" "$(cat "$W/helm-uninstall.log")"
fi
check "no object of the release is left" eval "[[ -z \$(kubectl get -n '$NS' -f '$W/manifest.yaml' -o name --ignore-not-found 2>/dev/null) ]]"
check "no pod of the release is left" wait_until 60 eval \
    "[[ -z \$(kubectl get pods -n '$NS' -l app.kubernetes.io/instance=rooms -o name --field-selector=status.phase!=Succeeded) ]]"
check "helm no longer lists the release" eval "[[ -z \$('$HELM' list -n '$NS' -q) ]]"

summary
