"""knative/base/monitoring: the rules fire, every metric they and the dashboard name is exported, it renders.

The base part (core kinds only) and operator/ (the Prometheus Operator's kinds, which only the
production overlay includes) are checked apart. `.venv/bin/python -m tests.test_monitoring`
rewrites operator/prometheusrule.yaml from the rules file.
"""

from __future__ import annotations

import importlib
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
import yaml  # type: ignore[import-untyped, unused-ignore]  # no stubs in the dev group

ROOT = Path(__file__).resolve().parent.parent
MONITORING = ROOT / "knative" / "base" / "monitoring"
PROMETHEUS = MONITORING / "prometheus"
RULES = PROMETHEUS / "chorus.rules.yml"
RULE_TESTS = PROMETHEUS / "chorus.rules.test.yml"
PROMETHEUS_CONFIG = PROMETHEUS / "prometheus.yml"
OPERATOR = MONITORING / "operator"
PROMETHEUS_RULE = OPERATOR / "prometheusrule.yaml"
MONITORS = OPERATOR / "monitors.yaml"
DASHBOARD = MONITORING / "grafana" / "chorus-overview.json"

# Series Prometheus itself adds to every target; no code exports them.
PROMETHEUS_SYNTHETIC = frozenset({"up"})

PROMETHEUS_RULE_HEADER = """\
# Generated from ../prometheus/chorus.rules.yml by `.venv/bin/python -m tests.test_monitoring`;
# edit the rules there. tests/test_monitoring.py fails when this file differs.
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata:
  name: chorus
  labels:
    app.kubernetes.io/name: chorus-rules
    app.kubernetes.io/part-of: chorus
    app.kubernetes.io/component: monitoring
spec:
"""


def render_prometheus_rule() -> str:
    """The PrometheusRule: the rules file's groups (from its `groups:` line on) under spec."""
    text = RULES.read_text()
    start = re.search(r"^groups:", text, re.MULTILINE)
    assert start is not None, f"{RULES} has no top-level groups:"
    body = "".join(f"  {line}" if line.strip() else "\n" for line in text[start.start() :].splitlines(True))
    return PROMETHEUS_RULE_HEADER + body


# --- PromQL metric names ----------------------------------------------------------------------

_STRING = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`')
_GRAFANA_VARIABLE = re.compile(r"\$(?:\{[^}]*\}|\w+)")
_MATCHERS = re.compile(r"\{[^{}]*\}")
_RANGE = re.compile(r"\[[^\[\]]*\]")
_LABEL_LIST = re.compile(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^()]*\)")
# A name not inside another token (so not the `e` of 1e-9 or the `m` of 5m) and not a function call.
_IDENTIFIER = re.compile(r"(?<![\w:.])([A-Za-z_:][\w:]*)(?![\w:])(?!\s*\()")
_KEYWORDS = frozenset(
    {"by", "without", "on", "ignoring", "group_left", "group_right", "and", "or", "unless", "bool"}
    | {"offset", "inf", "nan"}
)


def metric_names(expr: str) -> set[str]:
    """The metric names a PromQL expression selects: not functions, keywords, labels or durations."""
    text = _STRING.sub('""', expr)
    text = _GRAFANA_VARIABLE.sub("", text)
    text = _MATCHERS.sub("", text)
    text = _RANGE.sub("", text)
    text = _LABEL_LIST.sub("", text)
    return {name for name in _IDENTIFIER.findall(text) if name.lower() not in _KEYWORDS}


_SELECTOR = re.compile(r"(?<![\w:.])([A-Za-z_:][\w:]*)\s*\{([^{}]*)\}")
_MATCHER_LABEL = re.compile(r"(\w+)\s*(?:=~|!~|!=|=)")
_GROUPING = re.compile(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\(([^()]*)\)")


def selector_labels(expr: str) -> list[tuple[str, set[str]]]:
    """Each `metric{...}` selector of an expression with the label names its matchers use."""
    text = _STRING.sub('""', expr)
    return [(name, set(_MATCHER_LABEL.findall(body))) for name, body in _SELECTOR.findall(text)]


def grouping_labels(expr: str) -> set[str]:
    """The label names of by/without/on/ignoring/group_left/group_right lists."""
    text = _STRING.sub('""', expr)
    return {label.strip() for found in _GROUPING.findall(text) for label in found.split(",") if label.strip()}


def test_metric_names_skip_functions_keywords_labels_and_durations() -> None:
    expr = """
        sum by (function, le) (rate(http_bucket{job="x", status=~"5..|{a}"}[$__rate_interval] offset 5m))
        / on (function) group_left (pod) max without (instance) (in_flight) > 1e-9
        or label_replace(vector(600), "job", "up", "", "") unless absent(up{job="y"} == 1) and Inf > bool NaN
        or chorus:job_max_age_seconds * on () group_right last_over_time(gauge[3d:1m])
    """
    assert metric_names(expr) == {"http_bucket", "in_flight", "up", "chorus:job_max_age_seconds", "gauge"}
    assert selector_labels(expr) == [("http_bucket", {"job", "status"}), ("up", {"job"})]
    assert grouping_labels(expr) == {"function", "le", "pod", "instance"}


# --- What the code exports ---------------------------------------------------------------------

_SUFFIXES = {
    "counter": ("_total", "_created"),
    "gauge": ("",),
    "histogram": ("_bucket", "_count", "_sum", "_created"),
    "summary": ("", "_count", "_sum", "_created"),
    "info": ("_info",),
    "stateset": ("",),
    "gaugehistogram": ("_bucket", "_gcount", "_gsum"),
    "unknown": ("",),
}


def _registry_metrics(registry: Any) -> dict[str, set[str]]:
    """Each exposed series name of a registry, with its label names."""
    metrics: dict[str, set[str]] = {}
    for family in registry.collect():
        for suffix in _SUFFIXES[family.type]:
            name = family.name + suffix
            # A labelled metric not yet used has no samples; its collector knows its label names.
            collector = registry._names_to_collectors.get(name)
            metrics[name] = set(getattr(collector, "_labelnames", ())) | (
                {"le"} if suffix == "_bucket" else set()
            )
        for sample in family.samples:
            metrics.setdefault(sample.name, set()).update(sample.labels)
    return metrics


def exported_metrics() -> dict[str, list[str]]:
    """Every series name the code exports, with its label names: the registry the functions and the
    relay serve at /metrics, and what `chorus job` pushes (captured instead of sent)."""
    import prometheus_client

    from shared.observability import push_job_metrics

    for module in ("shared.observability", "shared.http", "functions.relay"):
        importlib.import_module(module)  # each registers its metrics when imported
    metrics = _registry_metrics(prometheus_client.REGISTRY)
    pushed: list[Any] = []

    def capture(gateway: str, job: str, registry: Any, **_: Any) -> None:
        pushed.append(registry)

    with mock.patch.object(prometheus_client, "push_to_gateway", capture):
        for failed in (False, True):
            push_job_metrics(
                "http://pushgateway.invalid",
                job="sweep",
                seconds=1.5,
                changed={"published": 2},
                failed=failed,
            )
    assert len(pushed) == 2
    for registry in pushed:
        for name, labels in _registry_metrics(registry).items():
            metrics.setdefault(name, set()).update(labels)
    return {name: sorted(labels) for name, labels in metrics.items()}


@pytest.fixture(scope="module")
def exported() -> dict[str, frozenset[str]]:
    # A fresh process: the test session's registry also holds whatever other tests imported.
    run = subprocess.run(
        [
            sys.executable,
            "-c",
            "import json; from tests.test_monitoring import exported_metrics;"
            " print(json.dumps(exported_metrics()))",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    found: dict[str, list[str]] = json.loads(run.stdout.splitlines()[-1])
    return {name: frozenset(labels) for name, labels in found.items()}


def _scrape_labels() -> set[str]:
    """Labels every scraped series gets: job, instance and what the scrape configs set."""
    config = yaml.safe_load(PROMETHEUS_CONFIG.read_text())
    targets = {
        rule["target_label"]
        for job in config["scrape_configs"]
        for rule in job["relabel_configs"]
        if "target_label" in rule
    }
    return targets | {"job", "instance"}


def _rules() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(RULES.read_text())
    return loaded


def _rule_list() -> list[dict[str, Any]]:
    return [rule for group in _rules()["groups"] for rule in group["rules"]]


def _dashboard() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(DASHBOARD.read_text())
    return loaded


def _dashboard_queries() -> dict[str, str]:
    """Every PromQL expression in the dashboard, by where it is."""
    queries: dict[str, str] = {}
    for panel in _dashboard()["panels"]:
        for target in panel.get("targets", []):
            queries[f"panel {panel['id']} {target['refId']}"] = target["expr"]
    for variable in _dashboard()["templating"]["list"]:
        if variable["type"] == "query":
            found = re.fullmatch(r"label_values\((.*),\s*\w+\)", variable["definition"])
            assert found is not None, f"variable {variable['name']}: not label_values(<selector>, <label>)"
            queries[f"variable {variable['name']}"] = found.group(1)
    return queries


def test_exported_metrics_include_each_kind_with_its_labels(exported: dict[str, frozenset[str]]) -> None:
    assert exported["chorus_http_requests_total"] == {"function", "method", "status"}
    assert exported["chorus_http_request_duration_seconds_bucket"] == {"function", "method", "le"}
    assert exported["chorus_http_requests_in_flight"] == {"function"}
    assert exported["chorus_relay_delivery_lag_seconds_count"] == set()
    assert exported["chorus_relay_connections"] == set()
    assert exported["chorus_job_last_success_timestamp_seconds"] == {"job"}
    assert exported["chorus_job_last_failure_timestamp_seconds"] == {"job"}
    assert exported["chorus_job_changed_rows"] == {"job", "kind"}
    assert "process_resident_memory_bytes" in exported
    assert "chorus_http_requests" not in exported  # a counter is only exported with _total


def _check_expressions(
    expressions: dict[str, str], exported: dict[str, frozenset[str]], recorded: set[str]
) -> dict[str, list[str]]:
    """What each expression names that nothing exports: metrics, and labels those metrics lack."""
    scrape = _scrape_labels()
    known = {**exported, **dict.fromkeys(PROMETHEUS_SYNTHETIC, frozenset())}
    problems: dict[str, list[str]] = {}
    for where, expr in expressions.items():
        wrong = [f"metric {name}" for name in sorted(metric_names(expr) - set(known) - recorded)]
        for name, labels in selector_labels(expr):
            if name in known:
                wrong += [f"label {label} on {name}" for label in sorted(labels - known[name] - scrape)]
        available = scrape.union(*(known.get(name, frozenset()) for name in metric_names(expr)))
        wrong += [f"grouping label {label}" for label in sorted(grouping_labels(expr) - available)]
        if wrong:
            problems[where] = wrong
    return problems


def test_monitoring_alert_rules_use_only_exported_metrics_and_labels(
    exported: dict[str, frozenset[str]],
) -> None:
    recorded = {rule["record"] for rule in _rule_list() if "record" in rule}
    assert recorded == {"chorus:job_max_age_seconds"}
    expressions: dict[str, str] = {rule.get("alert") or rule["record"]: rule["expr"] for rule in _rule_list()}
    assert _check_expressions(expressions, exported, recorded) == {}
    # Only the table of job ages is made of constants.
    assert [name for name, expr in expressions.items() if not metric_names(expr)] == [
        "chorus:job_max_age_seconds"
    ]


def test_monitoring_dashboard_uses_only_exported_metrics_and_labels(
    exported: dict[str, frozenset[str]],
) -> None:
    queries = _dashboard_queries()
    assert _check_expressions(queries, exported, set()) == {}
    assert [where for where, expr in queries.items() if not metric_names(expr)] == []
    used = set().union(*(metric_names(expr) for expr in queries.values()))
    assert {"chorus_relay_backfills_total", "chorus_job_duration_seconds"} <= used


# --- promtool ----------------------------------------------------------------------------------


def _promtool() -> str:
    found = shutil.which("promtool")
    if found is None:
        pytest.fail("promtool is missing: install Debian's `prometheus` package (make debian-tools)")
    return found


def test_monitoring_rules_pass_promtool_check() -> None:
    run = subprocess.run(
        [_promtool(), "check", "rules", str(RULES)], capture_output=True, text=True, timeout=60, check=False
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert f"SUCCESS: {len(_rule_list())} rules found" in run.stdout


def test_monitoring_rules_fire_in_promtool_unit_tests() -> None:
    run = subprocess.run(
        [_promtool(), "test", "rules", RULE_TESTS.name],
        cwd=PROMETHEUS,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    tested = {
        case["alertname"]
        for test in yaml.safe_load(RULE_TESTS.read_text())["tests"]
        for case in test["alert_rule_test"]
    }
    assert tested >= {
        "ChorusFunctionErrorRateHigh",
        "ChorusRelayDeliveryLagHigh",
        "ChorusRelayDown",
        "ChorusJobNotSucceeding",
        "ChorusJobFailed",
    }


def test_monitoring_dashboard_queries_parse_as_promql(tmp_path: Path) -> None:
    # promtool has no bare PromQL check, but it parses every rule's expression.
    substitutions = {"$__rate_interval": "5m", "$function": ".+"}
    rules = []
    for index, (where, expr) in enumerate(sorted(_dashboard_queries().items())):
        for variable, value in substitutions.items():
            expr = expr.replace(variable, value)
        assert "$" not in expr, f"{where}: a dashboard variable this test does not know: {expr}"
        rules.append({"record": f"dashboard:query_{index}", "expr": expr})
    path = tmp_path / "dashboard.rules.yml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "dashboard", "rules": rules}]}))
    run = subprocess.run(
        [_promtool(), "check", "rules", str(path)], capture_output=True, text=True, timeout=60, check=False
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert len(rules) == 25


def test_monitoring_prometheus_config_passes_promtool_check(tmp_path: Path) -> None:
    # Debian builds Prometheus without Kubernetes discovery, so its promtool rejects
    # kubernetes_sd_configs: check everything else with a static target in its place.
    config = yaml.safe_load(PROMETHEUS_CONFIG.read_text())
    for job in config["scrape_configs"]:
        [discovery] = job.pop("kubernetes_sd_configs")
        assert discovery["namespaces"] == {"names": ["chorus"]}
        assert discovery["role"] == ("pod" if job["job_name"] == "chorus-functions" else "endpoints")
        job["static_configs"] = [{"targets": ["localhost:9"]}]
    (tmp_path / "prometheus.yml").write_text(yaml.safe_dump(config))
    shutil.copy(RULES, tmp_path / RULES.name)
    run = subprocess.run(
        [_promtool(), "check", "config", "prometheus.yml"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert f"SUCCESS: {len(_rule_list())} rules found" in run.stdout


# --- The files agree ---------------------------------------------------------------------------


def test_monitoring_prometheusrule_matches_the_rules_file() -> None:
    resource = yaml.safe_load(PROMETHEUS_RULE.read_text())
    assert resource["kind"] == "PrometheusRule"
    assert resource["spec"]["groups"] == _rules()["groups"]
    assert PROMETHEUS_RULE.read_text() == render_prometheus_rule(), (
        "prometheusrule.yaml is stale: run `.venv/bin/python -m tests.test_monitoring`"
    )


def _cron_interval(schedule: str) -> int:
    """Seconds between runs, for the schedule forms the CronJobs use."""
    minute, hour, *rest = schedule.split()
    if rest == ["*", "*", "*"]:
        if hour == "*" and minute == "*":
            return 60
        if hour == "*" and (step := re.fullmatch(r"\*/(\d+)", minute)):
            return int(step.group(1)) * 60
        if hour.isdigit() and minute.isdigit():
            return 86400
    pytest.fail(f"teach _cron_interval the schedule {schedule!r}")


def test_monitoring_job_max_ages_are_three_schedule_intervals() -> None:
    from shared.jobs import JOBS

    [record] = [rule for rule in _rule_list() if rule.get("record") == "chorus:job_max_age_seconds"]
    ages = {
        name: int(age)
        for age, name in re.findall(r'vector\((\d+)\),\s*"job",\s*"chorus-job-(\w+)"', record["expr"])
    }
    # The CronJobs are generated from the registry by `chorus manifests`.
    cronjobs = yaml.safe_load_all((ROOT / "knative" / "base" / "jobs.yaml").read_text())
    intervals = {
        doc["metadata"]["name"].removeprefix("job-"): _cron_interval(doc["spec"]["schedule"])
        for doc in cronjobs
        if doc["kind"] == "CronJob"
    }
    assert set(ages) == set(intervals) == set(JOBS)
    assert ages == {name: 3 * interval for name, interval in intervals.items()}
    assert ages["sweep"] == 180
    # The alert's look-back window must be longer than every max age (see the rules file).
    [alert] = [rule for rule in _rule_list() if rule.get("alert") == "ChorusJobNotSucceeding"]
    assert set(re.findall(r"\[(\d+)d\]", alert["expr"])) == {"4"}
    assert max(ages.values()) < 4 * 86400


def _monitors() -> dict[str, dict[str, Any]]:
    """The Operator's monitors by the job they set."""
    found: dict[str, dict[str, Any]] = {}
    for monitor in yaml.safe_load_all(MONITORS.read_text()):
        endpoints = monitor["spec"].get("podMetricsEndpoints") or monitor["spec"]["endpoints"]
        [endpoint] = endpoints
        [job] = [r["replacement"] for r in endpoint["relabelings"] if r.get("targetLabel") == "job"]
        found[job] = monitor
    return found


def _sanitized(label: str) -> str:
    return re.sub(r"[^a-zA-Z0-9_]", "_", label)


def test_monitoring_operator_and_plain_configs_scrape_the_same_targets() -> None:
    plain = {job["job_name"]: job for job in yaml.safe_load(PROMETHEUS_CONFIG.read_text())["scrape_configs"]}
    monitors = _monitors()
    assert set(plain) == set(monitors) == {"chorus-functions", "chorus-relay", "chorus-pushgateway"}
    for name, monitor in monitors.items():
        job = plain[name]
        keep = {
            rule["source_labels"][0]: rule["regex"]
            for rule in job["relabel_configs"]
            if rule.get("action") == "keep"
        }
        labels = monitor["spec"]["selector"]["matchLabels"]
        if monitor["kind"] == "PodMonitor":
            [endpoint] = monitor["spec"]["podMetricsEndpoints"]
            expected = {f"__meta_kubernetes_pod_label_{_sanitized(k)}": v for k, v in labels.items()}
            expected["__meta_kubernetes_pod_container_port_name"] = endpoint["port"]
            expected["__meta_kubernetes_pod_phase"] = "Running"  # the Operator drops finished pods itself
        else:
            [endpoint] = monitor["spec"]["endpoints"]
            expected = {f"__meta_kubernetes_service_label_{_sanitized(k)}": v for k, v in labels.items()}
            expected["__meta_kubernetes_endpoint_port_name"] = endpoint["port"]
        assert keep == expected, name
        assert job["metrics_path"] == endpoint["path"] == "/metrics"
        assert (
            job.get("honor_labels", False)
            == endpoint.get("honorLabels", False)
            == (name == "chorus-pushgateway")
        )
        assert job.get("scrape_interval", "30s") == endpoint["interval"]
    functions = monitors["chorus-functions"]["spec"]["selector"]["matchLabels"]
    assert functions == {"app.kubernetes.io/part-of": "chorus", "app.kubernetes.io/component": "function"}
    assert monitors["chorus-functions"]["spec"]["podMetricsEndpoints"][0]["port"] == "user-port"


def test_monitoring_rules_and_dashboard_name_only_scraped_jobs() -> None:
    scraped = set(_monitors())
    expressions = [rule["expr"] for rule in _rule_list()] + list(_dashboard_queries().values())
    named: set[str] = set()
    for expr in expressions:
        for operator, value in re.findall(r'\bjob\s*(=~|=)\s*"([^"]*)"', expr):
            if operator == "=":
                named.add(value)
            elif value != "chorus-job-.+":
                named |= set(value.split("|"))
    assert named == scraped


# --- The dashboard -----------------------------------------------------------------------------


def test_monitoring_dashboard_panels_have_a_datasource_and_a_title() -> None:
    dashboard = _dashboard()
    panels = dashboard["panels"]
    variables = {variable["name"]: variable for variable in dashboard["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource"
    assert variables["datasource"]["query"] == "prometheus"
    assert dashboard["uid"] == "chorus-overview"
    assert len(panels) == 21
    assert len({panel["id"] for panel in panels}) == len(panels)
    for panel in panels:
        assert panel["title"].strip(), panel["id"]
        assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}, panel["title"]
        for target in panel.get("targets", []):
            assert target["datasource"] == panel["datasource"], panel["title"]
        grid = panel["gridPos"]
        assert grid["x"] + grid["w"] <= 24, panel["title"]
    assert sum(1 for panel in panels if panel["type"] != "row" and not panel["targets"]) == 0


# --- kustomize ---------------------------------------------------------------------------------


def _kustomize(directory: Path) -> dict[tuple[str, str], dict[str, Any]]:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.fail("kubectl (with kustomize) is missing: install it to check the manifests")
    run = subprocess.run(
        [kubectl, "kustomize", str(directory)], capture_output=True, text=True, timeout=60, check=False
    )
    assert run.returncode == 0, run.stderr
    documents = [doc for doc in yaml.safe_load_all(run.stdout) if doc]
    resources = {(doc["kind"], doc["metadata"]["name"]): doc for doc in documents}
    assert len(resources) == len(documents), "two objects of the same kind and name"
    return resources


def test_monitoring_kustomization_renders_only_core_kinds() -> None:
    # The base includes this directory: a k3s without the Prometheus Operator must accept all of it.
    resources = _kustomize(MONITORING)
    assert set(resources) == {
        ("ConfigMap", "chorus-grafana-dashboards"),
        ("ConfigMap", "chorus-prometheus"),
        ("Service", "pushgateway"),
        ("Deployment", "pushgateway"),
    }
    assert {doc["apiVersion"] for doc in resources.values()} == {"v1", "apps/v1"}
    assert {doc["metadata"]["namespace"] for doc in resources.values()} == {"chorus"}
    assert all(
        doc["metadata"]["labels"]["app.kubernetes.io/part-of"] == "chorus" for doc in resources.values()
    )
    dashboards = resources[("ConfigMap", "chorus-grafana-dashboards")]
    assert dashboards["metadata"]["labels"]["grafana_dashboard"] == "1"
    assert dashboards["data"] == {DASHBOARD.name: DASHBOARD.read_text()}
    plain = resources[("ConfigMap", "chorus-prometheus")]
    assert plain["data"] == {
        PROMETHEUS_CONFIG.name: PROMETHEUS_CONFIG.read_text(),
        RULES.name: RULES.read_text(),
    }
    # The Service selects the Deployment's pods on the port both Prometheus setups scrape.
    service, deployment = resources[("Service", "pushgateway")], resources[("Deployment", "pushgateway")]
    pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert service["spec"]["selector"].items() <= pod_labels.items()
    assert service["spec"]["ports"] == [{"name": "http", "port": 9091, "targetPort": "http"}]


def test_monitoring_operator_kustomization_renders_the_monitors_and_rules() -> None:
    resources = _kustomize(OPERATOR)
    assert set(resources) == {
        ("PodMonitor", "chorus-functions"),
        ("ServiceMonitor", "chorus-relay"),
        ("ServiceMonitor", "chorus-pushgateway"),
        ("PrometheusRule", "chorus"),
    }
    assert {doc["apiVersion"] for doc in resources.values()} == {"monitoring.coreos.com/v1"}
    assert {doc["metadata"]["namespace"] for doc in resources.values()} == {"chorus"}
    assert all(
        doc["metadata"]["labels"]["app.kubernetes.io/part-of"] == "chorus" for doc in resources.values()
    )
    rule = resources[("PrometheusRule", "chorus")]
    assert rule["spec"]["groups"] == _rules()["groups"]
    # Each ServiceMonitor finds its Service in the base, on a port the Service has.
    base = _kustomize(MONITORING)
    relay = yaml.safe_load_all((ROOT / "knative" / "base" / "relay.yaml").read_text())
    services = {
        doc["metadata"]["name"]: doc for doc in [*base.values(), *relay] if doc and doc["kind"] == "Service"
    }
    for name, target in [("chorus-pushgateway", "pushgateway"), ("chorus-relay", "relay")]:
        monitor = resources[("ServiceMonitor", name)]
        service = services[target]
        assert service["metadata"]["labels"].items() >= monitor["spec"]["selector"]["matchLabels"].items()
        [endpoint] = monitor["spec"]["endpoints"]
        assert endpoint["port"] in {port["name"] for port in service["spec"]["ports"]}


def test_monitoring_builtin_resources_pass_kubernetes_validate(tmp_path: Path) -> None:
    builtin = list(_kustomize(MONITORING).values())
    path = tmp_path / "builtin.yaml"
    path.write_text(yaml.safe_dump_all(builtin))
    validate = Path(sys.executable).parent / "kubernetes-validate"
    run = subprocess.run(
        [str(validate), "--strict", str(path)], capture_output=True, text=True, timeout=120, check=False
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.count(" passed for resource ") == len(builtin) == 4, run.stdout


if __name__ == "__main__":
    PROMETHEUS_RULE.write_text(render_prometheus_rule())
    print(f"wrote {PROMETHEUS_RULE.relative_to(ROOT)}")
