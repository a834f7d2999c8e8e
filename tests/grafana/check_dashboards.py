"""Checks the Grafana dashboards of deploy/grafana/ (run with the Python of `scripts/tools.sh path grafana-sdk`).

    check_dashboards.py                 offline: each dashboard JSON is what its generator builds now; the Grafana
                                        Foundation SDK parses it, every panel is a panel type it knows with
                                        Prometheus queries; promtool accepts every query; the provisioning
                                        files point at the dashboards
    check_dashboards.py --live URL      every panel query, asked of the Prometheus at URL, returns series
                                        (retried for up to 60 s: rates need two scrapes in their window)

Prints "ok: ..." / "FAILED: ..." per check and ends with "N passed, M failed"; exit status 1 on a failure.
"""

import argparse
import importlib.util
import json
import pathlib
import re
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

from grafana_foundation_sdk.cog import plugins
from grafana_foundation_sdk.cog import runtime as cogruntime
from grafana_foundation_sdk.models import dashboard as dashboard_model
from grafana_foundation_sdk.models import prometheus as prometheus_model

ROOT = pathlib.Path(__file__).resolve().parents[2]
GRAFANA = ROOT / "deploy" / "grafana"
# Each generated dashboard and the generator that writes it.
DASHBOARDS = {GRAFANA / "dashboards" / "rooms-overview.json": GRAFANA / "rooms_dashboard.py"}
# Grafana's own interval variables, as a query of ours over a 5 s scrape interval would get them.
GRAFANA_VARIABLES = {"$__rate_interval": "1m", "$__interval": "15s", "$__range": "1h"}

passed = 0
failed = 0


def result(ok, what):
    global passed, failed
    if ok:
        passed += 1
        print(f"ok: {what}")
    else:
        failed += 1
        print(f"FAILED: {what}")
    return ok


def concrete(expr):
    for name, value in GRAFANA_VARIABLES.items():
        expr = expr.replace(name, value)
    return expr


def queries(board):
    """(panel title, query) of every panel of a parsed dashboard, rows' panels included."""
    for panel in board.panels or []:
        inner = getattr(panel, "panels", None)
        for p in [panel] + list(inner or []):
            for target in getattr(p, "targets", None) or []:
                yield p.title, target


def load_generator(path):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def check_offline():
    plugins.register_default_plugins()
    exprs = []
    for json_path, generator in DASHBOARDS.items():
        name = json_path.relative_to(ROOT)
        text = json_path.read_text()
        result(load_generator(generator).to_json() == text,
               f"{name} is what {generator.relative_to(ROOT)} builds (regenerate it: python3 "
               f"{generator.relative_to(ROOT)} > {name})")
        raw = json.loads(text)
        try:
            board = dashboard_model.Dashboard.from_json(raw)
        except Exception as e:  # the SDK raises whatever the malformed field gives
            result(False, f"{name}: the Grafana Foundation SDK parses it ({e!r})")
            continue
        result(board.uid and board.title and board.panels,
               f"{name}: the Grafana Foundation SDK parses it: '{board.title}' (uid {board.uid}), "
               f"{len(board.panels)} panels")
        ids = [p["id"] for p in raw["panels"]]
        result(len(set(ids)) == len(ids) and all(isinstance(i, int) and i > 0 for i in ids),
               f"{name}: panel ids are unique")
        variables = [v.name for v in (board.templating.list_val or [])]
        result("datasource" in variables, f"{name}: asks for its Prometheus data source (variables {variables})")
        for panel in board.panels:
            if panel.type_val == "row":
                continue
            targets = panel.targets or []
            problems = []
            if cogruntime.panelcfg_config(panel.type_val) is None:
                problems.append(f"panel type '{panel.type_val}' unknown to the SDK")
            if not targets:
                problems.append("no query")
            for t in targets:
                if not isinstance(t, prometheus_model.Dataquery) or not t.expr:
                    problems.append(f"target {t!r} is not a Prometheus query")
                else:
                    exprs.append((panel.title, t.expr))
            if panel.datasource is None or panel.datasource.uid != "${datasource}":
                problems.append("its data source is not the dashboard's variable")
            pos = panel.grid_pos
            if pos is None or pos.x + pos.w > 24 or pos.w <= 0 or pos.h <= 0:
                problems.append(f"grid position {pos!r} outside the 24 columns")
            result(not problems, f"{name}: panel '{panel.title}' ({panel.type_val}, {len(targets)} queries)"
                   + (": " + "; ".join(problems) if problems else ""))
        provider = (GRAFANA / "provisioning" / "dashboards" / "rooms.yaml").read_text()
        datasource = (GRAFANA / "provisioning" / "datasources" / "rooms-prometheus.yaml").read_text()
        result(re.search(r"^\s+type: file$", provider, re.M) and re.search(r"^\s+path: /", provider, re.M)
               and re.search(r"^\s+type: prometheus$", datasource, re.M),
               "the provisioning files load dashboards from files and name a Prometheus data source")

    # promtool parses PromQL in rule files: every query becomes a recording rule.
    with tempfile.NamedTemporaryFile("w", suffix=".yml") as rules:
        rules.write("groups:\n  - name: dashboard-queries\n    rules:\n")
        for n, (_, expr) in enumerate(exprs):
            rules.write(f"      - record: dashboard:query{n}\n        expr: {json.dumps(concrete(expr))}\n")
        rules.flush()
        run = subprocess.run(["promtool", "check", "rules", rules.name], capture_output=True, text=True)
        result(run.returncode == 0 and f"{len(exprs)} rules found" in run.stdout,
               f"promtool check rules accepts the {len(exprs)} panel queries"
               + ("" if run.returncode == 0 else ":\n" + run.stdout + run.stderr))


def series(url, expr):
    body = urllib.parse.urlencode({"query": concrete(expr)}).encode()
    with urllib.request.urlopen(f"{url}/api/v1/query", body, timeout=5) as r:
        answer = json.load(r)
    if answer.get("status") != "success":
        raise RuntimeError(answer)
    return answer["data"]["result"]


def check_live(url):
    plugins.register_default_plugins()
    for json_path in DASHBOARDS:
        board = dashboard_model.Dashboard.from_json(json.loads(json_path.read_text()))
        pending = [(title, t.expr) for title, t in queries(board)]
        found = {}
        deadline = time.monotonic() + 60
        while pending and time.monotonic() < deadline:
            still = []
            for title, expr in pending:
                try:
                    got = series(url, expr)
                except Exception as e:  # Prometheus down or the query refused: retried, then reported
                    got = []
                    found[expr] = repr(e)
                if got:
                    found[expr] = got
                else:
                    still.append((title, expr))
            pending = still
            if pending:
                time.sleep(2)
        for title, t in queries(board):
            got = found.get(t.expr)
            ok = isinstance(got, list) and len(got) > 0
            result(ok, f"live: '{title}' {t.expr} returns "
                   + (f"{len(got)} series" if ok else f"nothing ({got or 'no series within 60 s'})"))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--live", metavar="PROMETHEUS_URL")
    args = parser.parse_args()
    if args.live:
        check_live(args.live.rstrip("/"))
    else:
        check_offline()
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
