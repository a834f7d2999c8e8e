#!/usr/bin/env python3
"""Assertions on the manifests `helm template` rendered (the file RENDERED, a YAML stream).

  render_checks.py RENDERED CHECK [ARG...]     exits 0 when the check holds, else 1 with the reason
  render_checks.py RENDERED extract-configs DIR   writes each role's config file of the ConfigMap into DIR

The checks are what the chart promises (deploy/helm/rooms/README.md): anti-affinity per role, probes, drain,
node ids, secrets from the Secret, hook Jobs, Ingress routes and TLS, HPA, PDBs, metrics.
"""
import os
import sys

import yaml


def load(path):
    with open(path) as f:
        return [d for d in yaml.safe_load_all(f) if d]


def find(docs, kind, name_suffix=None):
    out = [d for d in docs if d["kind"] == kind and (name_suffix is None or d["metadata"]["name"].endswith(name_suffix))]
    return out


def one(docs, kind, name_suffix):
    found = find(docs, kind, name_suffix)
    if len(found) != 1:
        raise AssertionError(f"expected one {kind} named *{name_suffix}, found {len(found)}")
    return found[0]


WORKLOADS = {"websocket": "StatefulSet", "consumer": "Deployment", "auth": "Deployment"}


def workload(docs, role):
    return one(docs, WORKLOADS[role], f"-{role}")


def container(pod_spec, name="rooms"):
    for c in pod_spec["containers"]:
        if c["name"] == name:
            return c
    raise AssertionError(f"no container {name}")


def check(cond, message):
    if not cond:
        raise AssertionError(message)


def anti_affinity(docs, role, mode):
    spec = workload(docs, role)["spec"]["template"]["spec"]
    aa = spec["affinity"]["podAntiAffinity"]
    if mode == "required":
        terms = aa.get("requiredDuringSchedulingIgnoredDuringExecution", [])
        check("preferredDuringSchedulingIgnoredDuringExecution" not in aa, "preferred terms beside required ones")
    else:
        terms = [t["podAffinityTerm"] for t in aa.get("preferredDuringSchedulingIgnoredDuringExecution", [])]
        check("requiredDuringSchedulingIgnoredDuringExecution" not in aa, "required terms beside preferred ones")
    check(len(terms) == 1, f"{role}: expected one {mode} anti-affinity term, found {len(terms)}")
    t = terms[0]
    check(t["topologyKey"] == "kubernetes.io/hostname", f"topologyKey {t['topologyKey']}")
    selector = t["labelSelector"]["matchLabels"]
    pod_labels = workload(docs, role)["spec"]["template"]["metadata"]["labels"]
    check(selector.get("app.kubernetes.io/component") == role, f"selector {selector} does not pick role {role}")
    check(all(pod_labels.get(k) == v for k, v in selector.items()), "the selector does not match the role's own pods")


def probes(docs, role):
    c = container(workload(docs, role)["spec"]["template"]["spec"])
    check(c["readinessProbe"]["httpGet"]["path"] == "/readyz", "readiness is not /readyz")
    check(c["livenessProbe"]["httpGet"]["path"] == "/healthz", "liveness is not /healthz")
    port = c["ports"][0]
    check(port["name"] == "http" and c["readinessProbe"]["httpGet"]["port"] == "http", "probes not on the http port")


def drain(docs, role, sleep_s):
    spec = workload(docs, role)["spec"]["template"]["spec"]
    c = container(spec)
    cmd = c["lifecycle"]["preStop"]["exec"]["command"]
    check(cmd == ["sleep", str(sleep_s)], f"preStop {cmd}")
    # preStop + rooms' 5 s WebSocket drain + 5 s for Kafka deliveries must fit in the grace period.
    grace = spec["terminationGracePeriodSeconds"]
    check(grace >= int(sleep_s) + 10, f"terminationGracePeriodSeconds {grace} < preStop {sleep_s} + 10 s of drain")


def resources(docs, role):
    c = container(workload(docs, role)["spec"]["template"]["spec"])
    for k in ("requests", "limits"):
        check({"cpu", "memory"} <= set(c["resources"].get(k, {})), f"{role}: {k} lacks cpu or memory")


def command_config(docs, role):
    """The role reads its own file of the ConfigMap, and that file exists."""
    spec = workload(docs, role)["spec"]["template"]["spec"]
    c = container(spec)
    line = " ".join(c["command"])
    check(f"--config /etc/rooms/{role}.yaml" in line, f"command {line}")
    cm_name = next(v["configMap"]["name"] for v in spec["volumes"] if v["name"] == "config")
    cm = [d for d in find(docs, "ConfigMap") if d["metadata"]["name"] == cm_name]
    check(len(cm) == 1 and f"{role}.yaml" in cm[0]["data"], f"ConfigMap {cm_name} has no {role}.yaml")
    conf = yaml.safe_load(cm[0]["data"][f"{role}.yaml"])
    check(conf["role"] == role, f"{role}.yaml says role {conf['role']}")
    port = c["ports"][0]["containerPort"]
    check(conf["listen"] == f"0.0.0.0:{port}", f"listen {conf['listen']} is not the container port {port}")


def node_ids(docs):
    """Gateways: unique node ids from the StatefulSet ordinal."""
    sts = workload(docs, "websocket")
    c = container(sts["spec"]["template"]["spec"])
    env = {e["name"]: e for e in c["env"]}
    check(env["POD_INDEX"]["valueFrom"]["fieldRef"]["fieldPath"] == "metadata.labels['apps.kubernetes.io/pod-index']",
          "POD_INDEX is not the pod's ordinal")
    check("ROOMS_NODE_ID=$((NODE_ID_BASE + POD_INDEX))" in c["command"][-1], "ROOMS_NODE_ID not computed")
    check(sts["spec"]["podManagementPolicy"] == "Parallel", "gateways start one by one")


def secret_env(docs, role, secret_name, made_by="chart"):
    c = container(workload(docs, role)["spec"]["template"]["spec"])
    env = {e["name"]: e for e in c["env"]}
    want = ["ROOMS_POSTGRES_DSN", "ROOMS_REDIS_PASSWORD"] + ([] if role == "consumer" else ["ROOMS_AUTH_JWT_SECRET"])
    for name in want:
        ref = env[name]["valueFrom"]["secretKeyRef"]
        check(name == "ROOMS_REDIS_PASSWORD" or ref["name"] == secret_name, f"{name} from {ref['name']}, not {secret_name}")
    secrets = [d for d in find(docs, "Secret") if d["metadata"]["name"] == secret_name]
    if made_by == "external":  # secrets.existingSecret: the user's, not rendered
        check(not secrets, f"the chart renders {secret_name}, an existing Secret")
        return
    check(len(secrets) == 1, f"no Secret {secret_name} rendered")
    check({"jwt-secret", "postgres-dsn"} <= set(secrets[0]["data"]), "Secret lacks jwt-secret or postgres-dsn")


def no_secret(docs):
    check(not [d for d in find(docs, "Secret") if "hook" not in d["metadata"]["name"]], "a Secret is rendered")


def hooks(docs, events):
    jobs = {j["metadata"]["name"].rsplit("-", 1)[-1]: j for j in find(docs, "Job")}
    check(set(jobs) == {"migrate", "topics"}, f"hook Jobs {sorted(jobs)}")
    weights = {}
    for name, j in jobs.items():
        a = j["metadata"]["annotations"]
        check(a["helm.sh/hook"] == events, f"{name}: hook {a['helm.sh/hook']}, not {events}")
        weights[name] = int(a["helm.sh/hook-weight"])
        args = j["spec"]["template"]["spec"]["containers"][0]["args"]
        check(args[:2] == (["migrate", "up"] if name == "migrate" else ["topic", "create"]), f"{name} runs {args}")
    check(weights["migrate"] < weights["topics"], "topics before migrate")
    for cm in find(docs, "ConfigMap", "-hooks"):
        a = cm["metadata"]["annotations"]
        check(int(a["helm.sh/hook-weight"]) < weights["migrate"], "the hook ConfigMap comes after the Jobs")
        check("hook-succeeded" in a["helm.sh/hook-delete-policy"], "the hook ConfigMap is never deleted")


def ingress(docs, auth):
    ing = one(docs, "Ingress", "")
    paths = {p["path"]: p["backend"]["service"]["name"] for r in ing["spec"]["rules"] for p in r["http"]["paths"]}
    check(paths.get("/", "").endswith("-websocket"), f"/ goes to {paths.get('/')}")
    if auth == "auth":
        check(paths.get("/api/user", "").endswith("-auth"), f"/api/user goes to {paths.get('/api/user')}")
    else:
        check("/api/user" not in paths, "/api/user routed without the auth role")
    a = ing["metadata"]["annotations"]
    check(ing["spec"]["ingressClassName"] == "nginx", "not the nginx class")
    for k in ("proxy-read-timeout", "proxy-send-timeout"):
        check(int(a[f"nginx.ingress.kubernetes.io/{k}"]) >= 3600, f"{k} too short for WebSockets")


def tls(docs, issuer):
    ing = one(docs, "Ingress", "")
    a = ing["metadata"]["annotations"]
    check(a.get("cert-manager.io/cluster-issuer") == issuer, f"cluster-issuer {a.get('cert-manager.io/cluster-issuer')}")
    t = ing["spec"]["tls"]
    check(len(t) == 1 and t[0]["hosts"] == [ing["spec"]["rules"][0]["host"]] and t[0]["secretName"], f"tls {t}")


def hpa(docs, min_replicas, max_replicas):
    h = one(docs, "HorizontalPodAutoscaler", "-websocket")
    ref = h["spec"]["scaleTargetRef"]
    check(ref["kind"] == "StatefulSet" and ref["name"] == workload(docs, "websocket")["metadata"]["name"], f"targets {ref}")
    check((h["spec"]["minReplicas"], h["spec"]["maxReplicas"]) == (int(min_replicas), int(max_replicas)),
          f"replicas {h['spec']['minReplicas']}..{h['spec']['maxReplicas']}")
    check("replicas" not in workload(docs, "websocket")["spec"], "the StatefulSet sets replicas beside its HPA")


def no_hpa(docs, replicas):
    check(not find(docs, "HorizontalPodAutoscaler"), "an HPA is rendered")
    check(workload(docs, "websocket")["spec"]["replicas"] == int(replicas), "replicas")


def pdbs(docs, *roles):
    found = {p["spec"]["selector"]["matchLabels"]["app.kubernetes.io/component"] for p in find(docs, "PodDisruptionBudget")}
    check(found == set(roles), f"PDBs for {sorted(found)}, expected {sorted(roles)}")


def metrics(docs, service_monitors):
    for role in ("websocket", "consumer"):
        a = workload(docs, role)["spec"]["template"]["metadata"]["annotations"]
        check(a.get("prometheus.io/scrape") == "true" and a.get("prometheus.io/path") == "/metrics", f"{role} annotations")
    sms = {s["spec"]["selector"]["matchLabels"]["app.kubernetes.io/component"] for s in find(docs, "ServiceMonitor")}
    expected = set(service_monitors.split(",")) if service_monitors != "none" else set()
    check(sms == expected, f"ServiceMonitors for {sorted(sms)}, expected {sorted(expected)}")


def fluent_bit(docs, enabled):
    ds = find(docs, "DaemonSet")
    if enabled == "no":
        check(not ds, "a DaemonSet is rendered")
        return
    check(len(ds) == 1, "no fluent-bit DaemonSet")
    spec = ds[0]["spec"]["template"]["spec"]
    check(any(v.get("hostPath", {}).get("path") == "/var/log" for v in spec["volumes"]), "/var/log not mounted")
    check({"operator": "Exists"} in spec.get("tolerations", []), "not on every node")


def endpoints(docs, redis, kafka):
    cm = one(docs, "ConfigMap", "rooms")
    for role in ("websocket", "consumer"):
        conf = yaml.safe_load(cm["data"][f"{role}.yaml"])
        check(conf["redis"]["address"] == redis, f"{role}: redis {conf['redis']['address']}")
        check(conf["kafka"]["brokers"] == kafka, f"{role}: kafka {conf['kafka']['brokers']}")


def extract_configs(docs, outdir):
    os.makedirs(outdir, exist_ok=True)
    for cm in find(docs, "ConfigMap"):
        for key, text in cm.get("data", {}).items():
            if key.endswith(".yaml") and key[:-5] in WORKLOADS:
                with open(os.path.join(outdir, f"{cm['metadata']['name']}.{key}"), "w") as f:
                    f.write(text)


CHECKS = {
    "anti-affinity": anti_affinity, "probes": probes, "drain": drain, "resources": resources,
    "command-config": command_config, "node-ids": node_ids, "secret-env": secret_env, "no-secret": no_secret,
    "hooks": hooks, "ingress": ingress, "tls": tls, "hpa": hpa, "no-hpa": no_hpa, "pdbs": pdbs,
    "metrics": metrics, "fluent-bit": fluent_bit, "endpoints": endpoints, "extract-configs": extract_configs,
}


def main(argv):
    if len(argv) < 2 or argv[1] not in CHECKS:
        print(__doc__, file=sys.stderr)
        return 2
    try:
        CHECKS[argv[1]](load(argv[0]), *argv[2:])
    except (AssertionError, KeyError, IndexError, TypeError, StopIteration) as e:
        print(f"{argv[1]}: {type(e).__name__}: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
