"""knative/: current with the registry, renders, validates, and routes each request to its function.

The overlays are rendered with `kubectl kustomize` (the same kustomize `kubectl apply -k` runs);
core objects are checked with kubernetes-validate --strict, the Knative Services against the
Knative Serving CRD's schema made strict (tests/schemas/, a copy of the team's schema).
"""

from __future__ import annotations

import configparser
import copy
import itertools
import json
import re
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped, unused-ignore]  # no stubs in the dev group
import kubernetes_validate  # type: ignore[import-untyped, unused-ignore]
import pytest
import yaml  # type: ignore[import-untyped, unused-ignore]
from click.testing import CliRunner
from starlette.routing import compile_path

from functions import cli, manifests, registry, relay
from functions.manifests import Operation

ROOT = Path(__file__).resolve().parent.parent
KNATIVE = ROOT / "knative"
SCHEMA = Path(__file__).parent / "schemas" / "knative-serving-v1-service.schema.json"
SHARED_SCHEMA = ROOT.parent / "shared" / "schemas" / "knative-serving-v1-service.schema.json"

OVERLAYS = ("overlays/k3s", "overlays/production")
# The GitLab project's registry path ($CI_REGISTRY_IMAGE), which the production overlay names.
GITLAB_REGISTRY_IMAGE = "registry.gitlab.com/chorus/chorus"
# The Kubernetes version the core objects are validated against: the oldest k3s line we deploy to.
KUBERNETES_VERSION = "1.32.0"
# Kinds of CRDs (Knative, Traefik, the Prometheus Operator, k3s): kubernetes-validate knows only
# core kinds, so each of these is checked by the tests below instead.
CRD_GROUPS = ("serving.knative.dev", "traefik.io", "monitoring.coreos.com", "helm.cattle.io")
KUBECTL_TIMEOUT = 120


def _kubectl() -> str:
    found = shutil.which("kubectl")
    if found is None:
        pytest.fail("kubectl (with its built-in kustomize) is needed to render knative/; install it (README)")
    return found


@cache
def _render(target: str) -> tuple[dict[str, Any], ...]:
    done = subprocess.run(
        [_kubectl(), "kustomize", str(KNATIVE / target)],
        capture_output=True,
        text=True,
        timeout=KUBECTL_TIMEOUT,
        check=False,
    )
    if done.returncode != 0:
        pytest.fail(f"kubectl kustomize knative/{target} failed:\n{done.stderr}")
    return tuple(document for document in yaml.safe_load_all(done.stdout) if document)


def rendered(target: str) -> list[dict[str, Any]]:
    """The objects `kubectl kustomize knative/<target>` renders (a fresh copy)."""
    return copy.deepcopy(list(_render(target)))


def _is_crd(document: dict[str, Any]) -> bool:
    return str(document["apiVersion"]).split("/")[0] in CRD_GROUPS


def _find(documents: list[dict[str, Any]], kind: str, name: str, api: str | None = None) -> dict[str, Any]:
    found = [
        doc
        for doc in documents
        if doc["kind"] == kind
        and doc["metadata"]["name"] == name
        and (api is None or str(doc["apiVersion"]).startswith(api))
    ]
    assert len(found) == 1, f"{len(found)} {kind} named {name}"
    return found[0]


def _ksvcs(documents: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {
        doc["metadata"]["name"]: doc
        for doc in documents
        if doc["kind"] == "Service" and doc["apiVersion"] == "serving.knative.dev/v1"
    }


def _pod(document: dict[str, Any]) -> dict[str, Any]:
    """The pod spec of a workload (Deployment, Job, CronJob, ksvc); empty for anything else."""
    spec = document.get("spec", {})
    if document["kind"] == "CronJob":
        spec = spec["jobTemplate"]["spec"]
    return dict(spec.get("template", {}).get("spec", {}))


def _containers(document: dict[str, Any]) -> list[dict[str, Any]]:
    return list(_pod(document).get("containers", []))


@cache
def _operations() -> tuple[Operation, ...]:
    return tuple(manifests.operations())


# --- Generated from the registry, and current ---------------------------------------------------


def test_manifests_generated_files_match_the_registry(tmp_path: Path) -> None:
    files = manifests.generate()
    written = manifests.write(tmp_path, files)
    assert sorted(written) == sorted(Path(name) for name in files)
    for name in files:
        committed = ROOT / name
        assert committed.is_file(), f"{name} is missing: run `chorus manifests`"
        assert committed.read_bytes() == (tmp_path / name).read_bytes(), (
            f"{name} drifted: run `chorus manifests`"
        )
    assert manifests.drifted(ROOT, files) == [], "run `chorus manifests` and commit the result"


def test_manifests_command_check_passes_when_current() -> None:
    result = CliRunner().invoke(cli.cli, ["manifests", "--check"])
    assert result.exit_code == 0, result.output
    assert "generated files are current" in result.output


def test_manifests_write_removes_a_stale_generated_file(tmp_path: Path) -> None:
    files = manifests.generate()
    manifests.write(tmp_path, files)
    stale = tmp_path / "knative/base/functions/retired-function.yaml"
    stale.write_text("kind: Service\n")
    assert manifests.drifted(tmp_path, files) == [Path("knative/base/functions/retired-function.yaml")]
    assert manifests.write(tmp_path, files) == [Path("knative/base/functions/retired-function.yaml")]
    assert not stale.exists()


def test_manifests_generated_files_carry_the_header() -> None:
    for name, content in manifests.generate().items():
        if name.startswith("knative/"):
            assert content.startswith(manifests.HEADER), name


def test_manifests_importing_the_registry_imports_no_function() -> None:
    code = (
        "import sys, functions.registry as r; r.scaling('get_me');"
        "print(sorted(n for n in sys.modules if n.startswith('functions.')))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert json.loads(loaded.stdout.replace("'", '"')) == ["functions.registry"]


def test_manifests_job_names_are_the_jobs_shared_runs() -> None:
    from shared import jobs

    assert set(cli.JOB_NAMES) == set(jobs.JOBS)
    assert set(manifests.SCHEDULES) == set(cli.JOB_NAMES)


def test_manifests_scaling_overrides_name_registered_functions() -> None:
    names = {entry.rsplit(".", 1)[1] for entry in registry.FUNCTIONS}
    assert set(registry.SCALING) <= names
    for scaling in [registry.DEFAULT_SCALING, *registry.SCALING.values()]:
        assert 0 <= scaling.min_scale <= scaling.max_scale
        assert scaling.production_min_scale <= scaling.max_scale
        assert 0 < scaling.target <= scaling.container_concurrency
    assert registry.scaling("update_me") == registry.DEFAULT_SCALING
    assert registry.DEFAULT_SCALING.min_scale == 0


# --- Rendering and validation -------------------------------------------------------------------


@pytest.mark.parametrize(
    "target",
    [
        *OVERLAYS,
        "base",
        "base/migrate",
        "base/monitoring/operator",
        "overlays/k3s/migrate",
        "overlays/production/migrate",
        "cluster",
    ],
)
def test_manifests_kustomize_renders(target: str) -> None:
    documents = rendered(target)
    assert documents
    if target != "cluster":
        assert {doc["metadata"].get("namespace") for doc in documents if doc["kind"] != "Namespace"} == {
            "chorus"
        }


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_manifests_core_objects_pass_kubernetes_validate_strict(overlay: str) -> None:
    core = [doc for doc in rendered(overlay) if not _is_crd(doc)]
    for document in core:
        try:
            kubernetes_validate.validate(document, KUBERNETES_VERSION, strict=True)
        except kubernetes_validate.ValidationError as error:
            pytest.fail(
                f"{document['kind']}/{document['metadata']['name']}: {error.message} at {list(error.path)}"
            )
    kinds = {doc["kind"] for doc in core}
    assert {"Namespace", "ConfigMap", "Deployment", "Service", "CronJob"} <= kinds


_KNATIVE_AND_TRAEFIK = {
    ("serving.knative.dev/v1", "Service"),
    ("traefik.io/v1alpha1", "IngressRoute"),
    ("traefik.io/v1alpha1", "Middleware"),
}
_PROMETHEUS_OPERATOR = {
    ("monitoring.coreos.com/v1", "PodMonitor"),
    ("monitoring.coreos.com/v1", "ServiceMonitor"),
    ("monitoring.coreos.com/v1", "PrometheusRule"),
}


@pytest.mark.parametrize(
    ("overlay", "expected"),
    [
        ("overlays/k3s", _KNATIVE_AND_TRAEFIK),
        ("overlays/production", _KNATIVE_AND_TRAEFIK | _PROMETHEUS_OPERATOR),
    ],
)
def test_manifests_crd_objects_are_only_known_kinds(overlay: str, expected: set[tuple[str, str]]) -> None:
    kinds = {(doc["apiVersion"], doc["kind"]) for doc in rendered(overlay) if _is_crd(doc)}
    assert kinds == expected


def _operator_objects(documents: list[dict[str, Any]]) -> set[tuple[str, str]]:
    return {
        (doc["kind"], doc["metadata"]["name"])
        for doc in documents
        if str(doc["apiVersion"]).startswith("monitoring.coreos.com/")
    }


def test_manifests_prometheus_operator_kinds_only_where_the_overlay_includes_them() -> None:
    # `kubectl apply -k` stops at the first kind the cluster lacks ("no matches for kind
    # PodMonitor"): the base and the k3s overlay must apply on a k3s without the Operator.
    operator = _operator_objects(rendered("base/monitoring/operator"))
    assert operator == {
        ("PodMonitor", "chorus-functions"),
        ("ServiceMonitor", "chorus-relay"),
        ("ServiceMonitor", "chorus-pushgateway"),
        ("PrometheusRule", "chorus"),
    }
    assert _operator_objects(rendered("base")) == set()
    assert _operator_objects(rendered("overlays/k3s")) == set()
    assert _operator_objects(rendered("overlays/production")) == operator
    # The plain parts stay in the base, so both overlays have them.
    for overlay in OVERLAYS:
        documents = rendered(overlay)
        for kind, name in [
            ("ConfigMap", "chorus-prometheus"),
            ("ConfigMap", "chorus-grafana-dashboards"),
            ("Deployment", "pushgateway"),
            ("Service", "pushgateway"),
        ]:
            _find(documents, kind, name, api="v1" if kind != "Deployment" else "apps/v1")


def _strict(node: Any) -> Any:
    """The schema with unknown fields rejected wherever it lists the fields and does not keep unknown ones."""
    if isinstance(node, list):
        return [_strict(item) for item in node]
    if not isinstance(node, dict):
        return node
    strict = {key: _strict(value) for key, value in node.items()}
    lists_fields = "properties" in node and "additionalProperties" not in node
    if lists_fields and not node.get("x-kubernetes-preserve-unknown-fields"):
        strict["additionalProperties"] = False
    return strict


@cache
def _knative_validator() -> Any:
    schema = _strict(json.loads(SCHEMA.read_text()))
    return jsonschema.Draft7Validator(schema)


def test_manifests_knative_schema_is_the_shared_copy() -> None:
    # The team's copy lives beside the checkout; CI has only this one.
    if SHARED_SCHEMA.is_file():
        assert SCHEMA.read_bytes() == SHARED_SCHEMA.read_bytes()
    assert "additionalProperties: false" in json.loads(SCHEMA.read_text())["$comment"]


def test_manifests_knative_strict_schema_rejects_an_unknown_field() -> None:
    ksvc = copy.deepcopy(next(iter(_ksvcs(rendered("overlays/production")).values())))
    ksvc["spec"]["template"]["spec"]["containerConcurency"] = 5
    errors = [error.message for error in _knative_validator().iter_errors(ksvc)]
    assert errors == ["Additional properties are not allowed ('containerConcurency' was unexpected)"]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_manifests_ksvcs_pass_the_strict_knative_schema(overlay: str) -> None:
    ksvcs = _ksvcs(rendered(overlay))
    assert len(ksvcs) == len(registry.FUNCTIONS)
    for name, ksvc in ksvcs.items():
        errors = [f"{list(error.path)}: {error.message}" for error in _knative_validator().iter_errors(ksvc)]
        assert errors == [], name


@pytest.mark.parametrize("overlay", ["base", *OVERLAYS])
def test_manifests_every_ksvc_sends_all_traffic_to_its_latest_revision(overlay: str) -> None:
    ksvcs = _ksvcs(rendered(overlay))
    assert len(ksvcs) == len(registry.FUNCTIONS)
    for name, ksvc in ksvcs.items():
        assert ksvc["spec"]["traffic"] == [{"latestRevision": True, "percent": 100}], name


def _patch_locally(live: dict[str, Any], patch: dict[str, Any], tmp_path: Path) -> dict[str, Any]:
    """`live` after a JSON merge patch, as kubectl computes it (offline, `kubectl patch --local`)."""
    path = tmp_path / "live.json"
    path.write_text(json.dumps(live))
    done = subprocess.run(
        [
            _kubectl(),
            "patch",
            "--local",
            "-f",
            str(path),
            "--type",
            "merge",
            "-p",
            json.dumps(patch),
            "-o",
            "json",
        ],
        capture_output=True,
        text=True,
        timeout=KUBECTL_TIMEOUT,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    patched: dict[str, Any] = json.loads(done.stdout)
    return patched


def test_manifests_a_deploy_returns_a_pinned_ksvc_to_its_latest_revision(tmp_path: Path) -> None:
    # `kubectl apply` sends a ksvc (a CRD: no strategic merge) as a three-way JSON merge patch:
    # for a field the manifest has, the manifest's value; for one it never had, the live value
    # stays. So redeploying the manifest onto a ksvc pinned by the runbook's `kubectl patch`
    # behaves like merging the manifest into the pinned object.
    manifest = _ksvcs(rendered("overlays/production"))["complete-occurrence"]
    pin = {"spec": {"traffic": [{"revisionName": "complete-occurrence-00003", "percent": 100}]}}
    pinned = _patch_locally(manifest, pin, tmp_path)
    assert pinned["spec"]["traffic"] == pin["spec"]["traffic"]
    redeployed = _patch_locally(pinned, manifest, tmp_path)
    assert redeployed["spec"]["traffic"] == [{"latestRevision": True, "percent": 100}]
    # The defect this guards against: a manifest without `traffic` leaves the pin in place.
    without_traffic = copy.deepcopy(manifest)
    del without_traffic["spec"]["traffic"]
    assert _patch_locally(pinned, without_traffic, tmp_path)["spec"]["traffic"] == pin["spec"]["traffic"]
    errors = [error.message for error in _knative_validator().iter_errors(redeployed)]
    assert errors == []


# --- One ksvc and one route per operation ------------------------------------------------------


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_manifests_every_operation_has_exactly_one_ksvc(overlay: str) -> None:
    ksvcs = _ksvcs(rendered(overlay))
    assert set(ksvcs) == {op.ksvc for op in _operations()}
    for op in _operations():
        ksvc = ksvcs[op.ksvc]
        (container,) = ksvc["spec"]["template"]["spec"]["containers"]
        assert container["args"] == ["serve", op.entry]
        assert container["ports"] == [{"name": "http1", "containerPort": 8080}]
        assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": 8080}
        assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": 8080}
        assert ksvc["metadata"]["labels"]["networking.knative.dev/visibility"] == "cluster-local"
        annotations = ksvc["spec"]["template"]["metadata"]["annotations"]
        assert annotations["autoscaling.knative.dev/max-scale"] == str(op.scaling.max_scale)
        assert annotations["autoscaling.knative.dev/target"] == str(op.scaling.target)
        assert annotations["autoscaling.knative.dev/scale-down-delay"] == op.scaling.scale_down_delay
        assert ksvc["spec"]["template"]["spec"]["containerConcurrency"] == op.scaling.container_concurrency


def test_manifests_min_scale_is_zero_except_production_floors() -> None:
    for overlay in ("base", "overlays/k3s", "overlays/production"):
        ksvcs = _ksvcs(rendered(overlay))
        for op in _operations():
            expected = (
                op.scaling.production_min_scale if overlay == "overlays/production" else op.scaling.min_scale
            )
            annotations = ksvcs[op.ksvc]["spec"]["template"]["metadata"]["annotations"]
            assert annotations["autoscaling.knative.dev/min-scale"] == str(expected), (overlay, op.ksvc)
    warm = {op.ksvc for op in _operations() if op.scaling.production_min_scale}
    assert {"get-me", "list-occurrences", "get-client-config"} <= warm


def _routes(documents: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return list(_find(documents, "IngressRoute", "chorus")["spec"]["routes"])


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_manifests_every_operation_has_exactly_one_route_to_its_ksvc(overlay: str) -> None:
    documents = rendered(overlay)
    routes = _routes(documents)
    middlewares = {doc["metadata"]["name"]: doc for doc in documents if doc["kind"] == "Middleware"}
    kourier = _find(documents, "Service", "kourier", api="v1")
    assert kourier["spec"] == {
        "type": "ExternalName",
        "externalName": "kourier-internal.kourier-system.svc.cluster.local",
        "ports": [{"name": "http", "port": 80}],
    }
    for op in _operations():
        (route,) = [route for route in routes if route["match"] == op.rule]
        assert route["priority"] == op.priority
        assert route["services"] == [{"name": "kourier", "port": 80, "passHostHeader": True}]
        (middleware,) = route["middlewares"]
        host = middlewares[middleware["name"]]["spec"]["headers"]["customRequestHeaders"]["Host"]
        assert host == f"{op.ksvc}.chorus.svc.cluster.local"
    # The operations' routes, /ws, the /api fallback and the web app: nothing else.
    assert len(routes) == len(_operations()) + 3


def test_manifests_routes_send_ws_to_the_relay_and_the_rest_to_the_web_app() -> None:
    routes = _routes(rendered("overlays/production"))
    by_match = {route["match"]: route for route in routes}
    assert by_match["Path(`/ws`)"]["services"] == [{"name": "relay", "port": 80}]
    assert by_match["PathPrefix(`/`)"]["services"] == [{"name": "web", "port": 80}]
    fallback = by_match["Path(`/api`) || PathPrefix(`/api/`)"]
    assert fallback["middlewares"] == [{"name": "host-get-client-config"}]
    operations = [route["priority"] for route in routes if route["match"].startswith("Method(")]
    assert (
        by_match["PathPrefix(`/`)"]["priority"] < fallback["priority"] < by_match["Path(`/ws`)"]["priority"]
    )
    assert by_match["Path(`/ws`)"]["priority"] < min(operations)


def test_manifests_route_regex_of_the_calendar_feed() -> None:
    assert manifests.path_pattern("/api/calendar/{token:str}.ics") == r"^/api/calendar/[^/]+\.ics$"
    assert manifests.path_pattern("/api/households/{household_id:uuid}/invites/{invite_id:uuid}") == (
        "^/api/households/[^/]+/invites/[^/]+$"
    )


def test_manifests_literal_path_outranks_parameterised_path() -> None:
    literal = manifests.route_priority("/api/households/join")
    parameterised = manifests.route_priority("/api/households/{household_id:uuid}")
    assert literal > parameterised


def _example(path: str, fill: Iterator[str]) -> str:
    """The path with its parameters replaced, in order, by the values of `fill`."""
    return re.sub(r"\{[^{}]*\}", lambda _: next(fill), path)


def _route_winner(method: str, path: str, ops: tuple[Operation, ...] | None = None) -> list[Operation]:
    """The operations whose route matches, best first (Traefik takes the highest priority)."""
    candidates = _operations() if ops is None else ops
    matches = [
        op for op in candidates if op.method == method and re.match(manifests.path_pattern(op.path), path)
    ]
    return sorted(matches, key=lambda op: -op.priority)


def test_manifests_literal_route_wins_where_a_parameterised_one_also_matches() -> None:
    # No two operations overlap today; this one would (POST /api/households/{id} beside /join).
    scaling = registry.DEFAULT_SCALING
    join = next(op for op in _operations() if op.name == "join_household")
    clash = Operation(
        "households.act", "act_on_household", "POST", "/api/households/{household_id:uuid}", scaling
    )
    ops = (clash, join)
    assert [op.name for op in _route_winner("POST", "/api/households/join", ops)] == [
        "join_household",
        "act_on_household",
    ]
    assert join.priority > clash.priority
    assert [op.name for op in _route_winner("POST", f"/api/households/{uuid.uuid4()}", ops)] == [
        "act_on_household"
    ]


def test_manifests_each_operations_example_path_matches_only_its_route() -> None:
    for op in _operations():
        params = re.findall(r"\{[^{}]*\}", op.path)
        path = _example(op.path, iter(str(uuid.uuid4()) if ":uuid" in param else "t0ken" for param in params))
        assert compile_path(op.path)[0].match(path), path
        assert [match.name for match in _route_winner(op.method, path)] == [op.name], path


def _candidate_paths() -> set[str]:
    """Every path template, each parameter filled by a uuid, a word, or any path's literal segment."""
    words = {
        segment for op in _operations() for segment in op.path.split("/") if segment and "{" not in segment
    }
    values = sorted(words | {str(uuid.UUID(int=7)), "t0ken"})
    found = set()
    for op in _operations():
        count = len(re.findall(r"\{[^{}]*\}", op.path))
        for combination in itertools.product(values, repeat=count):
            found.add(_example(op.path, iter(combination)))
    return found


def test_manifests_ingress_sends_each_request_where_the_gateway_does() -> None:
    # The gateway (Starlette, with its uuid convertors) is the reference: whatever it would serve,
    # the ingress must send to that same function, by a strictly higher priority than any other.
    gateway = [(op, compile_path(op.path)[0]) for op in _operations()]
    checked = 0
    for path in sorted(_candidate_paths()):
        for method in sorted({op.method for op in _operations()}):
            served = [op for op, regex in gateway if op.method == method and regex.match(path)]
            if not served:
                continue
            winners = _route_winner(method, path)
            assert winners[0] == served[0], (method, path)
            assert all(other.priority < winners[0].priority for other in winners[1:]), (method, path)
            checked += 1
    assert checked >= len(_operations())


# --- Jobs, migrations, relay, PgBouncer -----------------------------------------------------------


def _env(container: dict[str, Any]) -> dict[str, Any]:
    return {item["name"]: item.get("value", item.get("valueFrom")) for item in container.get("env", [])}


def _config(documents: list[dict[str, Any]]) -> dict[str, str]:
    return dict(_find(documents, "ConfigMap", "chorus-config")["data"])


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_manifests_cronjobs_run_each_job_alone_and_directly_on_postgres(overlay: str) -> None:
    documents = rendered(overlay)
    cronjobs = {doc["metadata"]["name"]: doc for doc in documents if doc["kind"] == "CronJob"}
    assert set(cronjobs) == {f"job-{name}" for name in cli.JOB_NAMES}
    assert _config(documents)["PUSHGATEWAY_URL"] == "http://pushgateway:9091"
    _find(documents, "Service", "pushgateway", api="v1")
    for name in cli.JOB_NAMES:
        cronjob = cronjobs[f"job-{name}"]
        spec = cronjob["spec"]
        schedule = manifests.SCHEDULES[name]
        assert spec["schedule"] == schedule.cron
        assert spec["concurrencyPolicy"] == "Forbid"
        assert spec["successfulJobsHistoryLimit"] == 1
        assert spec["failedJobsHistoryLimit"] == 3
        assert spec["startingDeadlineSeconds"] == schedule.starting_deadline_seconds
        job = spec["jobTemplate"]["spec"]
        assert job["backoffLimit"] == schedule.backoff_limit
        assert job["activeDeadlineSeconds"] == schedule.active_deadline_seconds
        assert job["template"]["spec"]["restartPolicy"] == "Never"
        (container,) = _containers(cronjob)
        assert container["args"] == ["job", name]
        assert _env(container)["DATABASE_URL"] == {
            "secretKeyRef": {"name": "chorus-secrets", "key": "DATABASE_URL_DIRECT"}
        }
        assert {"configMapRef": {"name": "chorus-config"}} in container["envFrom"]
    assert cronjobs["job-sweep"]["spec"]["schedule"] == "* * * * *"
    assert cronjobs["job-materialize"]["spec"]["schedule"] == "*/15 * * * *"


def test_manifests_a_job_run_never_outlives_its_period() -> None:
    periods = {"* * * * *": 60, "*/5 * * * *": 300, "*/15 * * * *": 900, "17 3 * * *": 86400}
    for name, schedule in manifests.SCHEDULES.items():
        assert schedule.active_deadline_seconds < periods[schedule.cron], name
        assert schedule.starting_deadline_seconds < periods[schedule.cron], name


@pytest.mark.parametrize("target", ["base/migrate", "overlays/k3s/migrate", "overlays/production/migrate"])
def test_manifests_migrate_job_upgrades_directly_on_postgres(target: str) -> None:
    (job,) = rendered(target)
    assert (job["kind"], job["metadata"]["name"], job["metadata"]["namespace"]) == (
        "Job",
        "migrate",
        "chorus",
    )
    (container,) = _containers(job)
    assert container["args"] == ["migrate", "upgrade"]
    assert _env(container)["DATABASE_URL"] == {
        "secretKeyRef": {"name": "chorus-secrets", "key": "DATABASE_URL_DIRECT"}
    }
    assert job["spec"]["template"]["spec"]["restartPolicy"] == "Never"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_manifests_migrate_overlay_uses_the_overlays_backend_image(overlay: str) -> None:
    relay_image = _containers(_find(rendered(overlay), "Deployment", "relay"))[0]["image"]
    (migrate,) = rendered(f"{overlay}/migrate")
    assert _containers(migrate)[0]["image"] == relay_image


def test_manifests_settings_apply_first_by_label() -> None:
    # The deploy applies `-l app.kubernetes.io/component=config` before the migration Job.
    for overlay in OVERLAYS:
        selected = {
            (doc["kind"], doc["metadata"]["name"])
            for doc in rendered(overlay)
            if doc["metadata"].get("labels", {}).get("app.kubernetes.io/component") == "config"
        }
        assert selected == {("Namespace", "chorus"), ("ConfigMap", "chorus-config")}


@pytest.mark.parametrize(("overlay", "replicas"), [("overlays/k3s", 1), ("overlays/production", 3)])
def test_manifests_relay_drains_within_its_grace_period(overlay: str, replicas: int) -> None:
    documents = rendered(overlay)
    deployment = _find(documents, "Deployment", "relay")
    assert deployment["spec"]["replicas"] == replicas
    pod = deployment["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert container["args"] == ["relay"]
    pre_stop = container["lifecycle"]["preStop"]["exec"]["command"]
    assert pre_stop[0] == "sleep"
    assert relay.DRAIN_SECONDS < cli.GRACEFUL_SECONDS
    assert int(pre_stop[1]) + cli.GRACEFUL_SECONDS < pod["terminationGracePeriodSeconds"]
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    service = _find(documents, "Service", "relay", api="v1")
    assert service["spec"]["ports"] == [{"name": "http", "port": 80, "targetPort": "http"}]
    assert container["ports"] == [{"name": "http", "containerPort": 8001}]


def test_manifests_relay_has_a_disruption_budget_in_production() -> None:
    budget = _find(rendered("overlays/production"), "PodDisruptionBudget", "relay")
    assert budget["spec"]["minAvailable"] == 1
    relay_pods = _find(rendered("overlays/production"), "Deployment", "relay")["spec"]["template"]["metadata"]
    assert budget["spec"]["selector"]["matchLabels"].items() <= relay_pods["labels"].items()
    # One relay on one node: a budget would only block draining it.
    assert not [doc for doc in rendered("overlays/k3s") if doc["kind"] == "PodDisruptionBudget"]


def _pgbouncer_ini(documents: list[dict[str, Any]]) -> configparser.ConfigParser:
    (configmap,) = [
        doc
        for doc in documents
        if doc["kind"] == "ConfigMap" and doc["metadata"]["name"].startswith("pgbouncer-")
    ]
    ini = configparser.ConfigParser(interpolation=None, inline_comment_prefixes=None)
    ini.read_string(configmap["data"]["pgbouncer.ini"])
    return ini


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_manifests_pgbouncer_pools_transactions_for_the_functions(overlay: str) -> None:
    documents = rendered(overlay)
    ini = _pgbouncer_ini(documents)["pgbouncer"]
    assert ini["pool_mode"] == "transaction"
    assert ini["listen_port"] == "6432"
    assert "statement_timeout" in ini["ignore_startup_parameters"].split(",")
    assert int(ini["max_prepared_statements"]) > 0
    service = _find(documents, "Service", "pgbouncer", api="v1")
    assert service["spec"]["ports"][0]["port"] == 6432
    deployment = _find(documents, "Deployment", "pgbouncer")
    sources = deployment["spec"]["template"]["spec"]["volumes"][0]["projected"]["sources"]
    assert {"name": "pgbouncer-auth", "items": [{"key": "userlist.txt", "path": "userlist.txt"}]} in [
        source.get("secret") for source in sources
    ]
    statement_timeout = _pgbouncer_ini(documents)["databases"]["chorus"]
    assert f"statement_timeout = {_config(documents)['DB_STATEMENT_TIMEOUT_MS']}" in statement_timeout


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_manifests_functions_connect_through_pgbouncer_without_statement_cache(overlay: str) -> None:
    documents = rendered(overlay)
    assert _config(documents)["DB_STATEMENT_CACHE_SIZE"] == "0"
    for name, ksvc in _ksvcs(documents).items():
        (container,) = ksvc["spec"]["template"]["spec"]["containers"]
        env = _env(container)
        assert env["DB_STATEMENT_CACHE_SIZE"] == "0", name
        assert "DATABASE_URL" not in env, name  # from chorus-secrets: PgBouncer
        assert {"secretRef": {"name": "chorus-secrets"}} in container["envFrom"]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_manifests_connection_budget_fits_pgbouncer(overlay: str) -> None:
    documents = rendered(overlay)
    ini = _pgbouncer_ini(documents)["pgbouncer"]
    config = _config(documents)
    per_relay = int(config["DB_POOL_SIZE"]) + int(config["DB_MAX_OVERFLOW"])
    clients = 0
    for ksvc in _ksvcs(documents).values():
        (container,) = ksvc["spec"]["template"]["spec"]["containers"]
        env = _env(container)
        max_scale = int(
            ksvc["spec"]["template"]["metadata"]["annotations"]["autoscaling.knative.dev/max-scale"]
        )
        clients += max_scale * (int(env["DB_POOL_SIZE"]) + int(env["DB_MAX_OVERFLOW"]))
    clients += _find(documents, "Deployment", "relay")["spec"]["replicas"] * per_relay
    # Every client may land on one PgBouncer (a replica restarting).
    assert clients <= int(ini["max_client_conn"])
    # PostgreSQL's default max_connections is 100: PgBouncer's server connections, plus every job
    # and the migration straight to PostgreSQL (each a pool of DB_POOL_SIZE + DB_MAX_OVERFLOW).
    servers = _find(documents, "Deployment", "pgbouncer")["spec"]["replicas"] * int(ini["max_db_connections"])
    direct = (len(cli.JOB_NAMES) + 1) * per_relay
    assert servers + direct <= 100 - 3  # superuser_reserved_connections


# --- Security, images, monitoring -----------------------------------------------------------------


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_manifests_every_container_runs_unprivileged_and_read_only(overlay: str) -> None:
    workloads = [doc for doc in rendered(overlay) if _containers(doc)]
    assert len(workloads) >= len(registry.FUNCTIONS) + len(cli.JOB_NAMES) + 3
    for workload in workloads:
        name = workload["metadata"]["name"]
        pod = _pod(workload)
        for container in pod["containers"]:
            security = container["securityContext"]
            assert security["allowPrivilegeEscalation"] is False, name
            assert security["readOnlyRootFilesystem"] is True, name
            assert security["capabilities"]["drop"] == ["ALL"], name
            non_root = security.get("runAsNonRoot", pod.get("securityContext", {}).get("runAsNonRoot"))
            assert non_root is True, name
            assert container["resources"]["limits"]["memory"], name
        assert pod.get("automountServiceAccountToken") is False, name


@pytest.mark.parametrize(
    ("overlay", "backend", "web"),
    [
        ("overlays/k3s", "localhost:5000/chorus-backend:dev", "localhost:5000/chorus-web:dev"),
        (
            "overlays/production",
            f"{GITLAB_REGISTRY_IMAGE}/backend:latest",
            f"{GITLAB_REGISTRY_IMAGE}/web:latest",
        ),
    ],
)
def test_manifests_chorus_images_come_from_the_overlays_registry(
    overlay: str, backend: str, web: str
) -> None:
    documents = rendered(overlay)
    images = {c["image"] for doc in documents for c in _containers(doc)}
    chorus = {image for image in images if "chorus" in image}
    assert chorus == {backend, web}
    assert _containers(_find(documents, "Deployment", "web"))[0]["image"] == web
    for workload in [_find(documents, "Deployment", "relay"), *_ksvcs(documents).values()]:
        assert _containers(workload)[0]["image"] == backend
    (migrate,) = rendered(f"{overlay}/migrate")
    assert _containers(migrate)[0]["image"] == backend


def _ci_variable(name: str) -> str:
    found = re.search(rf"^\s+{name}:\s*(\S+)\s*$", (ROOT / ".gitlab-ci.yml").read_text(), re.MULTILINE)
    assert found is not None, f".gitlab-ci.yml sets no {name}"
    return found.group(1)


def test_manifests_production_images_are_the_names_ci_pushes() -> None:
    # CI pushes $CI_REGISTRY_IMAGE/backend and /web; the deploy job only changes the tag.
    backend, web = (
        _ci_variable(variable).replace("$CI_REGISTRY_IMAGE", GITLAB_REGISTRY_IMAGE)
        for variable in ("BACKEND_IMAGE", "WEB_IMAGE")
    )
    assert (backend, web) == (f"{GITLAB_REGISTRY_IMAGE}/backend", f"{GITLAB_REGISTRY_IMAGE}/web")

    def names(target: str) -> set[str]:
        images = {c["image"] for doc in rendered(target) for c in _containers(doc)}
        return {image.rsplit(":", 1)[0] for image in images if image.startswith(GITLAB_REGISTRY_IMAGE)}

    assert names("overlays/production") == {backend, web}
    assert names("overlays/production/migrate") == {backend}


def test_manifests_production_ingress_is_https_only() -> None:
    documents = rendered("overlays/production")
    main = _find(documents, "IngressRoute", "chorus")
    assert main["spec"]["entryPoints"] == ["websecure"]
    assert main["spec"]["tls"] == {"secretName": "chorus-tls"}
    redirect = _find(documents, "IngressRoute", "chorus-redirect")
    assert redirect["spec"]["entryPoints"] == ["web"]
    assert _find(documents, "Middleware", "redirect-https")["spec"]["redirectScheme"]["scheme"] == "https"
    assert _find(rendered("overlays/k3s"), "IngressRoute", "chorus")["spec"]["entryPoints"] == ["web"]


def test_manifests_function_pods_carry_the_labels_prometheus_selects() -> None:
    documents = rendered("overlays/production")
    # knative/base/monitoring/operator/monitors.yaml, which production includes.
    monitor = _find(documents, "PodMonitor", "chorus-functions", api="monitoring.coreos.com/")
    selector = monitor["spec"]["selector"]["matchLabels"]
    assert selector == {"app.kubernetes.io/part-of": "chorus", "app.kubernetes.io/component": "function"}
    for name, ksvc in _ksvcs(documents).items():
        assert selector.items() <= ksvc["spec"]["template"]["metadata"]["labels"].items(), name
        assert ksvc["spec"]["template"]["metadata"]["annotations"]["prometheus.io/port"] == "8080"


def test_manifests_traefik_may_use_the_externalname_service() -> None:
    (config,) = rendered("cluster")
    assert (config["kind"], config["metadata"]["name"], config["metadata"]["namespace"]) == (
        "HelmChartConfig",
        "traefik",
        "kube-system",
    )
    values = yaml.safe_load(config["spec"]["valuesContent"])
    assert values == {"providers": {"kubernetesCRD": {"allowExternalNameServices": True}}}


def test_manifests_web_serves_the_app_image_on_8080_behind_port_80() -> None:
    documents = rendered("overlays/production")
    (container,) = _containers(_find(documents, "Deployment", "web"))
    assert container["image"] == f"{GITLAB_REGISTRY_IMAGE}/web:latest"
    assert container["ports"] == [{"name": "http", "containerPort": 8080}]
    assert container["readinessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    service = _find(documents, "Service", "web", api="v1")
    assert service["spec"]["ports"] == [{"name": "http", "port": 80, "targetPort": "http"}]
