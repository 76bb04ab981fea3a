"""charts/platecut with the real helm: lint, render, Kubernetes' own strict schemas (1.30 and 1.33),
and what schemas cannot say (one beat, no token for the Jobs, the launcher's RBAC and nothing more,
no root, bounded containers, probes, hooks, secrets kept out of plain values)."""

from __future__ import annotations

import json
import re
from typing import Any

import kubernetes_validate
import pytest
import yaml

from tests.deploy.conftest import (
    CASES,
    CHART,
    KUBE_VERSIONS,
    NAMESPACE,
    RELEASE,
    WORKLOADS,
    Case,
    Helm,
    Manifest,
    Render,
    containers,
    find,
    one,
    pod_spec,
    value_args,
)

CASE_IDS = [case.name for case in CASES]
DEFAULT = CASES[0]
SMALL = next(case for case in CASES if case.name == "site-small-site")
GPU = next(case for case in CASES if case.name == "site-gpu-kueue")
EVERYTHING = next(case for case in CASES if case.name == "everything")
# what api/integrations/kubernetes/launcher.py calls, and all the Role may allow
LAUNCHER_RULES = {
    ("batch", "jobs", verb) for verb in ("create", "get", "list", "watch", "delete")
} | {("", "pods", "get"), ("", "pods", "list"), ("", "pods/log", "get")}


def secret_ref(env: dict[str, Any], variable: str) -> dict[str, str]:
    """The secretKeyRef behind a variable; a URL built around a password by $(VAR) expansion gives
    its password's (the URL itself holds no secret)."""
    item = env[variable]
    if "value" in item:
        password = re.search(r"\$\((\w+)\)", item["value"])
        assert password, f"{variable} is a plain value"
        item = env[password[1]]
    ref: dict[str, str] = item["valueFrom"]["secretKeyRef"]
    return ref


def config_env(manifests: list[Manifest]) -> dict[str, str]:
    data: dict[str, str] = one(manifests, "ConfigMap", "-env")["data"]
    return data


# -- helm itself -------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_helm_lint_strict(helm: Helm, case: Case) -> None:
    result = helm("lint", "--strict", str(CHART), "--namespace", NAMESPACE, *value_args(case))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 chart(s) failed" in result.stdout


def test_every_site_file_is_a_case() -> None:
    listed = {name for case in CASES for name in case.files}
    assert {f"sites/{p.name}" for p in (CHART / "sites").glob("*.yaml")} <= listed
    assert {f"environments/{p.name}" for p in (CHART / "environments").glob("*.yaml")} <= listed


@pytest.mark.parametrize("kube_version", KUBE_VERSIONS)
@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_rendered_manifests_are_valid_kubernetes(render: Render, case: Case, kube_version: str) -> None:
    manifests = render(case, kube_version)
    assert len(manifests) > 10
    for manifest in manifests:
        name = f"{manifest.get('kind')}/{manifest.get('metadata', {}).get('name')}"
        try:
            kubernetes_validate.validate(manifest, kube_version, strict=True)
        except kubernetes_validate.ValidationError as exc:
            pytest.fail(f"{case.name}: {name} is not valid for Kubernetes {kube_version}: {exc.message}")


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_names_are_unique_and_labelled(render: Render, case: Case) -> None:
    manifests = render(case)
    keys = [(m["kind"], m["metadata"].get("namespace"), m["metadata"]["name"]) for m in manifests]
    assert len(keys) == len(set(keys))
    for manifest in manifests:
        labels = manifest["metadata"]["labels"]
        assert labels["app.kubernetes.io/instance"] == RELEASE
        assert labels["app.kubernetes.io/part-of"] == "platecut"


@pytest.mark.parametrize(("sets", "complaint"), [
    (("--set-string", "jobs.gpu.count=lots"), "/jobs/gpu/count"),
    (("--set", "jobs.gpu.count=-1"), "/jobs/gpu/count"),
    (("--set-string", "jobs.resources.memoryRequest=lots"), "/jobs/resources/memoryRequest"),
    (("--set", "jobs.resources.memoryLimit="), "/jobs/resources/memoryLimit"),
    (("--set", "jobs.image.pullPolicy=Sometimes"), "/jobs/image/pullPolicy"),
    (("--set", "jobs.tolerations[0].colour=blue"), "colour"),
    (("--set", "jobs.gpuCount=1"), "gpuCount"),
    (("--set", "api.replicas=two"), "/api/replicas"),
    (("--set", "s3.endpoint=minio:9000"), "/s3/endpoint"),
    (("--set", "database.url=mysql://db/platecut"), "/database/url"),
    (("--set", "api.resources.limits=null"), "/api/resources"),
    (("--set", "podSecurityContext.runAsNonRoot=false"), "/podSecurityContext/runAsNonRoot"),
    (("--set", "jobs.env.HOME=/root"), "HOME"),
    (("--set", "api.metrics.port=8000"), "/api/metrics/port"),
])
def test_schema_rejects_bad_values(helm: Helm, sets: tuple[str, str], complaint: str) -> None:
    result = helm("template", RELEASE, str(CHART), *sets)
    assert result.returncode != 0, f"helm accepted {sets[1]}"
    assert "schema" in result.stderr and complaint in result.stderr, result.stderr


def test_schema_rejects_a_bad_values_file(helm: Helm, tmp_path: Any) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump({"jobs": {"gpu": {"count": "lots"}}}))
    for command in (("template", RELEASE), ("install", RELEASE, "--dry-run=client")):
        result = helm(*command, str(CHART), "-f", str(bad))
        assert result.returncode != 0
        assert "/jobs/gpu/count" in result.stderr and "want integer" in result.stderr


def test_no_database_is_a_clear_error(helm: Helm) -> None:
    result = helm("template", RELEASE, str(CHART), "--set", "database.existingSecret=")
    assert result.returncode != 0
    assert "platecut needs a database" in result.stderr


def test_values_file_is_documented_line_by_line() -> None:
    """Every key in values.yaml has a comment right above it (or is inside a documented flow map)."""
    lines = (CHART / "values.yaml").read_text().splitlines()
    for number, line in enumerate(lines):
        stripped = line.strip()
        if not stripped or stripped.startswith(("#", "- ")) or ":" not in stripped:
            continue
        above = lines[number - 1].strip() if number else ""
        if not above.startswith("#"):
            indent = len(line) - len(line.lstrip())
            parent = next((lines[i] for i in range(number - 1, -1, -1)
                           if lines[i].strip() and not lines[i].strip().startswith("#")
                           and len(lines[i]) - len(lines[i].lstrip()) < indent), "")
            # members of a documented security context / resources block need no comment each
            assert parent.strip().rstrip(":") in {
                "podSecurityContext", "containerSecurityContext", "seccompProfile", "capabilities",
                "resources", "requests", "limits"}, f"values.yaml:{number + 1} {stripped!r} is undocumented"


# -- what schemas cannot say ---------------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_beat_is_one_pod_replaced_with_recreate(render: Render, case: Case) -> None:
    beat = one(render(case), "Deployment", "-beat")
    assert beat["spec"]["replicas"] == 1
    assert beat["spec"]["strategy"] == {"type": "Recreate"}
    container = pod_spec(beat)["containers"][0]
    assert [*container["command"], *container["args"]] == [
        "celery", "-A", "api.worker.app", "beat", "--loglevel", "INFO" if case.name != "env-dev" else "DEBUG",
        "--schedule", "/tmp/celerybeat-schedule"]
    assert pod_spec(beat)["automountServiceAccountToken"] is False
    assert not find(render(case), "HorizontalPodAutoscaler", "-beat")
    probe = container["livenessProbe"]
    assert probe["exec"]["command"] == ["python", "-m", "api.worker.beat_alive",
                                        "/tmp/celerybeat-schedule", "--max-age", "300"]
    assert (probe["periodSeconds"], probe["failureThreshold"]) == (60, 3)


def test_beat_liveness_can_be_turned_off(render: Render) -> None:
    manifests = render(Case("no-beat-probe", sets=("beat.livenessProbe.enabled=false",)))
    beat = one(manifests, "Deployment", "-beat")
    assert "livenessProbe" not in pod_spec(beat)["containers"][0]


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_split_jobs_account_has_no_token_and_no_permissions(render: Render, case: Case) -> None:
    manifests = render(case)
    env = config_env(manifests)
    account = one(manifests, "ServiceAccount", "-split")
    assert account["metadata"]["name"] == env["PLATECUT_K8S_SERVICE_ACCOUNT"]
    assert account["metadata"]["namespace"] == env["PLATECUT_K8S_NAMESPACE"]
    assert account["automountServiceAccountToken"] is False
    for binding in find(manifests, "RoleBinding") + find(manifests, "ClusterRoleBinding"):
        assert account["metadata"]["name"] not in [s["name"] for s in binding["subjects"]]


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_role_is_exactly_the_launchers_needs_in_the_jobs_namespace(render: Render, case: Case) -> None:
    manifests = render(case)
    env = config_env(manifests)
    assert not find(manifests, "ClusterRole") and not find(manifests, "ClusterRoleBinding")
    role = one(manifests, "Role", "-launcher")
    assert role["metadata"]["namespace"] == env["PLATECUT_K8S_NAMESPACE"]
    granted = [(group, resource, verb) for rule in role["rules"] for group in rule["apiGroups"]
               for resource in rule["resources"] for verb in rule["verbs"]]
    assert len(granted) == len(set(granted)) and set(granted) == LAUNCHER_RULES
    assert all(set(rule) == {"apiGroups", "resources", "verbs"} for rule in role["rules"])  # no names, no "*"

    binding = one(manifests, "RoleBinding", "-launcher")
    assert binding["metadata"]["namespace"] == role["metadata"]["namespace"]
    assert binding["roleRef"] == {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role",
                                  "name": role["metadata"]["name"]}
    api_account = pod_spec(one(manifests, "Deployment", "-api"))["serviceAccountName"]
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": api_account, "namespace": NAMESPACE}]
    # the launcher runs in the API and the worker: both use that account, with its token
    for component in ("-api", "-worker"):
        spec = pod_spec(one(manifests, "Deployment", component))
        assert spec["serviceAccountName"] == api_account and spec["automountServiceAccountToken"] is True
    # nothing else gets a token
    for workload in (m for m in manifests if m["kind"] in WORKLOADS):
        if workload["metadata"]["name"].endswith(("-api", "-worker")):
            continue
        assert pod_spec(workload).get("automountServiceAccountToken") is False, workload["metadata"]["name"]


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_every_container_runs_as_non_root_with_limits(render: Render, case: Case) -> None:
    workloads = [m for m in render(case) if m["kind"] in WORKLOADS]
    assert {"Deployment", "Job"} <= {w["kind"] for w in workloads}
    for workload in workloads:
        pod_context = pod_spec(workload).get("securityContext", {})
        assert pod_spec(workload).get("hostNetwork") is not True
        for container in containers(workload):
            where = f"{workload['metadata']['name']}/{container['name']}"
            context = {**pod_context, **container.get("securityContext", {})}
            assert context.get("runAsNonRoot") is True, where
            assert context.get("runAsUser", 1) != 0, where
            assert context.get("allowPrivilegeEscalation") is False, where
            assert context.get("privileged") is not True, where
            assert context.get("capabilities", {}).get("drop") == ["ALL"], where
            assert pod_context.get("seccompProfile") == {"type": "RuntimeDefault"}, where
            limits = container.get("resources", {}).get("limits", {})
            requests = container.get("resources", {}).get("requests", {})
            assert {"cpu", "memory"} <= set(limits) and {"cpu", "memory"} <= set(requests), where


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_platecut_containers_run_as_10001_on_a_read_only_root(render: Render, case: Case) -> None:
    manifests = render(case)
    image = pod_spec(one(manifests, "Deployment", "-api"))["containers"][0]["image"]
    assert image.rsplit("/", 1)[-1].split("@")[0].split(":")[0].endswith("api")
    for suffix, kind in (("-api", "Deployment"), ("-worker", "Deployment"), ("-beat", "Deployment"),
                         ("-migrate", "Job")):
        workload = one(manifests, kind, suffix)
        assert pod_spec(workload)["securityContext"]["runAsUser"] == 10001
        for container in containers(workload):
            assert container["securityContext"]["readOnlyRootFilesystem"] is True
            assert {"name": "tmp", "mountPath": "/tmp"} in container["volumeMounts"]
            assert container["image"] == image


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_api_probes_and_command(render: Render, case: Case) -> None:
    api = one(render(case), "Deployment", "-api")
    container = pod_spec(api)["containers"][0]
    assert container["ports"] == [{"name": "http", "containerPort": 8000, "protocol": "TCP"},
                                  {"name": "metrics", "containerPort": 9090, "protocol": "TCP"}]
    assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
    assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert container["startupProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    args = container["args"]
    assert args[:6] == ["serve", "--host", "0.0.0.0", "--port", "8000", "--workers"]
    assert int(args[6]) >= 1 and args[7:] == ["--no-migrate"]
    assert "command" not in container  # the image's entrypoint: platecut
    service = one(render(case), "Service", "-api")
    assert service["spec"]["ports"][0]["targetPort"] == "http"


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_metrics_have_a_port_of_their_own_that_the_ingress_never_routes(render: Render, case: Case) -> None:
    manifests = render(case)
    env = config_env(manifests)
    assert (env["PLATECUT_METRICS_PORT"], env["PLATECUT_METRICS_HOST"]) == ("9090", "0.0.0.0")
    assert "PLATECUT_METRICS_PUBLIC" not in env  # /metrics on the API's port answers 404
    api = one(manifests, "Deployment", "-api")
    annotations = api["spec"]["template"]["metadata"]["annotations"]
    assert {key: annotations[key] for key in annotations if key.startswith("prometheus.io/")} == {
        "prometheus.io/scrape": "true", "prometheus.io/port": "9090", "prometheus.io/path": "/metrics"}
    service = one(manifests, "Service", "-api")
    assert {p["name"]: p["targetPort"] for p in service["spec"]["ports"]} == {"http": "http",
                                                                              "metrics": "metrics"}
    for ingress in find(manifests, "Ingress", "-api"):
        backends = [path["backend"]["service"] for rule in ingress["spec"]["rules"]
                    for path in rule["http"]["paths"]]
        assert backends == [{"name": f"{RELEASE}-platecut-api", "port": {"name": "http"}}]


def test_metrics_can_be_turned_off(render: Render) -> None:
    manifests = render(Case("no-metrics", sets=("api.metrics.enabled=false",)))
    assert "PLATECUT_METRICS_PORT" not in config_env(manifests)
    api = one(manifests, "Deployment", "-api")
    assert [p["name"] for p in pod_spec(api)["containers"][0]["ports"]] == ["http"]
    annotations = api["spec"]["template"]["metadata"]["annotations"]
    assert not any(key.startswith("prometheus.io/") for key in annotations)
    assert [p["name"] for p in one(manifests, "Service", "-api")["spec"]["ports"]] == ["http"]


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_api_pods_spread_over_nodes_and_zones_and_drain_one_at_a_time(render: Render, case: Case) -> None:
    manifests = render(case)
    api = one(manifests, "Deployment", "-api")
    selector = api["spec"]["selector"]["matchLabels"]
    spread = pod_spec(api)["topologySpreadConstraints"]
    assert [(c["topologyKey"], c["maxSkew"], c["whenUnsatisfiable"]) for c in spread] == [
        ("kubernetes.io/hostname", 1, "ScheduleAnyway"), ("topology.kubernetes.io/zone", 1, "ScheduleAnyway")]
    assert all(c["labelSelector"] == {"matchLabels": selector} for c in spread)
    budget = one(manifests, "PodDisruptionBudget", "-api")
    assert budget["spec"] == {"maxUnavailable": 1, "selector": {"matchLabels": selector}}
    assert not find(manifests, "PodDisruptionBudget", "-worker")  # workers' tasks are retried


def test_api_spread_and_budget_can_be_turned_off(render: Render) -> None:
    manifests = render(Case("no-spread", sets=("api.topologySpread.enabled=false",
                                               "api.podDisruptionBudget.enabled=false")))
    assert "topologySpreadConstraints" not in pod_spec(one(manifests, "Deployment", "-api"))
    assert not find(manifests, "PodDisruptionBudget")


def test_the_jobs_namespace_can_be_made_restricted(render: Render) -> None:
    sets = ("jobs.namespace=platecut-split", "jobs.createNamespace=true")
    [namespace] = find(render(Case("jobs-namespace", sets=sets)), "Namespace")
    assert namespace["metadata"]["name"] == "platecut-split"
    labels = namespace["metadata"]["labels"]
    assert {k: v for k, v in labels.items() if k.startswith("pod-security.kubernetes.io/")} == {
        "pod-security.kubernetes.io/enforce": "restricted",
        "pod-security.kubernetes.io/enforce-version": "latest",
        "pod-security.kubernetes.io/warn": "restricted", "pod-security.kubernetes.io/audit": "restricted"}
    assert namespace["metadata"]["annotations"] == {"helm.sh/resource-policy": "keep"}
    # never the release's own namespace, and nothing unless asked
    assert not find(render(Case("jobs-here", sets=(f"jobs.namespace={NAMESPACE}",
                                                   "jobs.createNamespace=true"))), "Namespace")
    assert not find(render(Case("jobs-ns-exists", sets=("jobs.namespace=platecut-split",))), "Namespace")


DNS_EGRESS = {"ports": [{"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "TCP"}],
              "to": [{"namespaceSelector": {}, "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}}}]}


def split_job_egress(manifests: list[Manifest]) -> list[dict[str, Any]]:
    spec = one(manifests, "NetworkPolicy", "-split-jobs")["spec"]
    assert spec["policyTypes"] == ["Ingress", "Egress"] and "ingress" not in spec
    assert spec["egress"][0] == DNS_EGRESS
    egress: list[dict[str, Any]] = spec["egress"][1:]
    return egress


def test_split_jobs_reach_dns_and_the_sites_object_store_alone(render: Render) -> None:
    assert split_job_egress(render(GPU)) == [{  # the site's Ceph RGW, as its values say
        "ports": [{"port": 8080, "protocol": "TCP"}],
        "to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "storage"}}}]}]


def test_split_jobs_reach_the_bundled_minio(render: Render) -> None:
    manifests = render(next(case for case in CASES if case.name == "everything"))
    minio = one(manifests, "StatefulSet", "-minio")
    [rule] = split_job_egress(manifests)
    assert rule["ports"] == [{"port": 9000, "protocol": "TCP"}, {"port": 443, "protocol": "TCP"}]
    assert rule["to"] == [{
        "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": minio["metadata"]["namespace"]}},
        "podSelector": {"matchLabels": minio["spec"]["selector"]["matchLabels"]}}]


def test_split_jobs_on_aws_reach_no_private_range_and_no_metadata_address(render: Render) -> None:
    [rule] = split_job_egress(render(Case("aws-egress", sets=("networkPolicy.enabled=true",))))
    assert rule["to"] == [{"ipBlock": {"cidr": "0.0.0.0/0", "except": [
        "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "169.254.0.0/16"]}}]


def test_an_optional_service_monitor_scrapes_the_api_services_metrics_port(render: Render) -> None:
    assert not find(render(Case("default")), "ServiceMonitor")
    sets = ("api.metrics.serviceMonitor.enabled=true", "api.metrics.serviceMonitor.labels.release=kps")
    manifests = render(Case("service-monitor", sets=sets))
    monitor = one(manifests, "ServiceMonitor", "-api")
    service = one(manifests, "Service", "-api")
    assert monitor["apiVersion"] == "monitoring.coreos.com/v1"
    assert monitor["metadata"]["labels"]["release"] == "kps"
    selector = monitor["spec"]["selector"]["matchLabels"]
    assert selector.items() <= service["metadata"]["labels"].items()  # it selects the API Service
    assert monitor["spec"]["namespaceSelector"] == {"matchNames": [service["metadata"]["namespace"]]}
    assert monitor["spec"]["endpoints"] == [{"port": "metrics", "path": "/metrics", "interval": "30s"}]
    assert "metrics" in [p["name"] for p in service["spec"]["ports"]]
    off = ("api.metrics.serviceMonitor.enabled=true", "api.metrics.enabled=false")
    assert not find(render(Case("monitor-without-metrics", sets=off)), "ServiceMonitor")


def test_an_optional_http_route_leads_to_the_api_service(render: Render, helm: Helm) -> None:
    assert not find(render(Case("default")), "HTTPRoute")
    sets = ("gateway.enabled=true", "gateway.parentRefs[0].name=studio-gw",
            "gateway.parentRefs[0].namespace=gateways")
    manifests = render(Case("http-route", sets=sets))
    route = one(manifests, "HTTPRoute", "-api")
    service = one(manifests, "Service", "-api")
    assert route["apiVersion"] == "gateway.networking.k8s.io/v1"
    assert route["spec"]["parentRefs"] == [{"name": "studio-gw", "namespace": "gateways"}]
    assert route["spec"]["hostnames"] == ["platecut.example.com"]  # ingress.host
    assert route["spec"]["rules"] == [{"matches": [{"path": {"type": "PathPrefix", "value": "/"}}],
                                       "backendRefs": [{"name": service["metadata"]["name"],
                                                        "port": service["spec"]["ports"][0]["port"]}]}]
    result = helm("template", RELEASE, str(CHART), "--set", "gateway.enabled=true")
    assert result.returncode != 0 and "gateway.parentRefs: name the Gateway" in result.stderr


def test_only_prometheus_reaches_the_metrics_port_of_the_gpu_site(render: Render) -> None:
    policy = one(render(GPU), "NetworkPolicy", "-api")
    rules = {rule["ports"][0]["port"]: rule["from"] for rule in policy["spec"]["ingress"]}
    namespaces = {port: [peer["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"]
                         for peer in peers] for port, peers in rules.items()}
    assert namespaces == {8000: ["ingress-nginx"], 9090: ["monitoring"]}


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_worker_command(render: Render, case: Case) -> None:
    container = pod_spec(one(render(case), "Deployment", "-worker"))["containers"][0]
    command = [*container["command"], *container["args"]]
    assert command[:4] == ["celery", "-A", "api.worker.app", "worker"]
    assert command[command.index("--concurrency") + 1].isdigit()


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_migrations_run_as_a_hook_before_the_new_version(render: Render, case: Case) -> None:
    manifests = render(case)
    job = one(manifests, "Job", "-migrate")
    hooks = set(job["metadata"]["annotations"]["helm.sh/hook"].split(","))
    bundled_db = bool(find(manifests, "StatefulSet", "-postgresql"))
    # the bundled database starts with the release, so the very first migration follows the install
    assert hooks == ({"post-install", "pre-upgrade"} if bundled_db else {"pre-install", "pre-upgrade"})
    container = pod_spec(job)["containers"][0]
    assert container["args"] == ["db", "upgrade"]
    assert pod_spec(job)["restartPolicy"] == "Never"
    env = {e["name"]: e for e in container["env"]}
    ref = secret_ref(env, "PLATECUT_DATABASE_URL")
    # a hook cannot use the release's own Secret (it does not exist yet): its own hook Secret, or yours
    hook_secrets = [m for m in find(manifests, "Secret")
                    if "helm.sh/hook" in m["metadata"].get("annotations", {})]
    if hook_secrets:
        secret = one(hook_secrets, "Secret", "-migrate")
        ours, theirs = secret["metadata"]["annotations"], job["metadata"]["annotations"]
        assert ours["helm.sh/hook"] == theirs["helm.sh/hook"]
        assert int(ours["helm.sh/hook-weight"]) < int(theirs["helm.sh/hook-weight"])
        assert ref == {"name": secret["metadata"]["name"], "key": "database-url"}
    else:
        assert ref["name"] not in {m["metadata"]["name"] for m in find(manifests, "Secret")}


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_secrets_come_from_secrets(render: Render, case: Case) -> None:
    """Database, broker, signing secret and S3 keys: by secretKeyRef, never as plain env or config;
    a reference to a Secret the chart makes names a key that Secret has."""
    manifests = render(case)
    made = {(m["metadata"]["namespace"], m["metadata"]["name"]): m for m in find(manifests, "Secret")}
    config = config_env(manifests)
    for key in ("DATABASE_URL", "BROKER_URL", "SIGNING_SECRET", "S3_ACCESS_KEY_ID", "S3_SECRET_ACCESS_KEY"):
        assert f"PLATECUT_{key}" not in config
    for name in ("-api", "-worker", "-beat"):
        container = pod_spec(one(manifests, "Deployment", name))["containers"][0]
        env = {e["name"]: e for e in container["env"]}
        for variable in ("PLATECUT_DATABASE_URL", "PLATECUT_BROKER_URL", "PLATECUT_SIGNING_SECRET"):
            ref = secret_ref(env, variable)
            secret = made.get((NAMESPACE, ref["name"]))
            if secret is not None:
                assert ref["key"] in secret["stringData"], f"{name}: {variable} -> {ref}"
        config_map = one(manifests, "ConfigMap", "-env")["metadata"]["name"]
        assert container["envFrom"] == [{"configMapRef": {"name": config_map}}]


def test_bundled_services_share_one_generated_password(render: Render) -> None:
    manifests = render(SMALL)
    secrets = {m["metadata"]["name"]: m["stringData"] for m in find(manifests, "Secret")}
    pg_password = secrets[f"{RELEASE}-platecut-postgresql"]["password"]
    mq_password = secrets[f"{RELEASE}-platecut-rabbitmq"]["password"]
    minio = secrets[f"{RELEASE}-platecut-minio"]
    control = secrets[f"{RELEASE}-platecut"]
    assert len(pg_password) >= 32 and len({pg_password, mq_password, minio["root-password"]}) == 3
    assert f":{pg_password}@{RELEASE}-platecut-postgresql:5432/" in control["database-url"]
    assert control["database-url"].startswith("postgresql+psycopg://")
    assert control["broker-url"] == f"amqp://platecut:{mq_password}@{RELEASE}-platecut-rabbitmq:5672//"
    assert secrets[f"{RELEASE}-platecut-migrate"]["database-url"] == control["database-url"]
    assert secrets[f"{RELEASE}-platecut-s3"] == {"AWS_ACCESS_KEY_ID": minio["root-user"],
                                                   "AWS_SECRET_ACCESS_KEY": minio["root-password"]}
    env = config_env(manifests)
    assert env["PLATECUT_S3_ENDPOINT"] == f"http://{RELEASE}-platecut-minio.{NAMESPACE}.svc:9000"
    assert env["PLATECUT_S3_CREATE_BUCKET"] == "true"
    assert env["PLATECUT_K8S_ENV_SECRET"] == f"{RELEASE}-platecut-s3"


def test_bundled_services_take_their_passwords_from_your_secrets(render: Render) -> None:
    manifests = render(next(case for case in CASES if case.name == "bundled-own-secrets"))
    secrets = {m["metadata"]["name"]: m["stringData"] for m in find(manifests, "Secret")}
    assert set(secrets) == {f"{RELEASE}-platecut"}
    assert set(secrets[f"{RELEASE}-platecut"]) == {"signing-secret"}  # no URL holding a password
    urls = {"PLATECUT_DATABASE_URL": ("POSTGRESQL_PASSWORD", {"name": "site-pg", "key": "password"},
                                      f"postgresql+psycopg://platecut:$(POSTGRESQL_PASSWORD)"
                                      f"@{RELEASE}-platecut-postgresql:5432/platecut"),
            "PLATECUT_BROKER_URL": ("RABBITMQ_PASSWORD", {"name": "site-mq", "key": "pw"},
                                    f"amqp://platecut:$(RABBITMQ_PASSWORD)@{RELEASE}-platecut-rabbitmq:5672//")}
    seen = set()
    for workload in manifests:
        if workload["kind"] not in ("Deployment", "StatefulSet", "Job"):
            continue
        for container in pod_spec(workload)["containers"]:
            env = [item["name"] for item in container.get("env", [])]
            by_name = {item["name"]: item for item in container.get("env", [])}
            for url, (password, ref, value) in urls.items():
                if url not in by_name:
                    continue
                seen.add((workload["metadata"]["name"], url))
                assert by_name[url] == {"name": url, "value": value}
                assert by_name[password]["valueFrom"]["secretKeyRef"] == ref
                assert env.index(password) < env.index(url)  # $(VAR) expands only earlier variables
    assert {name for name, url in seen if url == "PLATECUT_DATABASE_URL"} == {
        f"{RELEASE}-platecut-{part}" for part in ("api", "worker", "beat", "migrate")}
    database = pod_spec(one(manifests, "StatefulSet", "-postgresql"))["containers"][0]["env"]
    assert {"name": "POSTGRES_PASSWORD",
            "valueFrom": {"secretKeyRef": {"name": "site-pg", "key": "password"}}} in database
    storage = pod_spec(one(manifests, "StatefulSet", "-minio"))["containers"][0]["env"]
    for variable, key in (("MINIO_ROOT_USER", "AWS_ACCESS_KEY_ID"),
                          ("MINIO_ROOT_PASSWORD", "AWS_SECRET_ACCESS_KEY")):
        assert {"name": variable, "valueFrom": {"secretKeyRef": {"name": "site-s3", "key": key}}} in storage
    assert config_env(manifests)["PLATECUT_K8S_ENV_SECRET"] == "site-s3"  # the Jobs get your keys whole
    api = {e["name"]: e for e in pod_spec(one(manifests, "Deployment", "-api"))["containers"][0]["env"]}
    expected = {"name": "site-s3", "key": "AWS_SECRET_ACCESS_KEY"}
    assert secret_ref(api, "PLATECUT_S3_SECRET_ACCESS_KEY") == expected
    broker = pod_spec(one(manifests, "StatefulSet", "-rabbitmq"))["containers"][0]["env"]
    assert {"name": "RABBITMQ_DEFAULT_PASS",
            "valueFrom": {"secretKeyRef": {"name": "site-mq", "key": "pw"}}} in broker


def test_production_site_creates_no_credentials(render: Render) -> None:
    """A site with all its own Secrets: the chart makes none (and no signing secret of its own)."""
    manifests = render(GPU)
    assert find(manifests, "Secret") == []
    for kind in ("StatefulSet",):
        assert not find(manifests, kind)


def test_jobs_in_another_namespace_get_the_s3_secret_there(render: Render) -> None:
    manifests = render(EVERYTHING)
    env = config_env(manifests)
    assert env["PLATECUT_K8S_NAMESPACE"] == "platecut-split"
    namespaces = {m["metadata"]["namespace"] for m in find(manifests, "Secret", "-s3")}
    assert namespaces == {NAMESPACE, "platecut-split"}
    assert one(manifests, "NetworkPolicy", "-split-jobs")["metadata"]["namespace"] == "platecut-split"


def test_by_default_ingresses_use_the_clusters_class_and_no_controllers_annotations(
        render: Render) -> None:
    sets = ("ingress.enabled=true", "minio.enabled=true", "minio.ingress.enabled=true")
    ingresses = find(render(Case("plain-ingress", sets=sets)), "Ingress")
    assert len(ingresses) == 2
    for ingress in ingresses:
        assert "ingressClassName" not in ingress["spec"]
        assert not any("nginx" in key for key in ingress["metadata"].get("annotations", {}))


@pytest.mark.parametrize("case", [GPU, SMALL], ids=["gpu", "small"])
def test_ingresses_are_upload_friendly(render: Render, case: Case) -> None:
    ingresses = find(render(case), "Ingress")
    assert ingresses
    for ingress in ingresses:
        annotations = ingress["metadata"]["annotations"]
        assert annotations["nginx.ingress.kubernetes.io/proxy-body-size"] == "0"
        assert annotations["nginx.ingress.kubernetes.io/proxy-request-buffering"] == "off"
        assert ingress["spec"]["ingressClassName"] == "nginx"


def test_bundled_minio_keeps_multipart_uploads_longer_than_the_api(render: Render) -> None:
    minio = one(render(SMALL), "StatefulSet", "-minio")
    env = {e["name"]: e.get("value") for e in pod_spec(minio)["containers"][0]["env"]}
    hours = int(env["MINIO_API_STALE_UPLOADS_EXPIRY"].removesuffix("h"))
    assert hours * 3600 > 7 * 24 * 3600  # api/config.py upload_expiry: 7 days


def test_gpu_site_settings_reach_the_api(render: Render) -> None:
    env = config_env(render(GPU))
    assert env["PLATECUT_LAUNCHER"] == "kubernetes"
    assert env["PLATECUT_K8S_NAMESPACE"] == "vfx-split"
    assert env["PLATECUT_K8S_QUEUE_NAME"] == "platecut-gpu"
    assert env["PLATECUT_K8S_GPU_COUNT"] == "1"
    assert env["PLATECUT_K8S_RUNTIME_CLASS"] == "nvidia"
    assert json.loads(env["PLATECUT_K8S_TOLERATIONS"]) == [
        {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}]
    assert json.loads(env["PLATECUT_K8S_NODE_SELECTOR"]) == {"nvidia.com/gpu.present": "true"}
    assert env["PLATECUT_K8S_ENV_SECRET"] == "platecut-split-s3"
    assert json.loads(env["PLATECUT_K8S_ENV"])["PLATECUT_S3_ENDPOINT"] == "http://rgw.storage.svc:8080"
    assert env["PLATECUT_PUBLIC_URL"] == "https://platecut.london.studio.example"
    assert env["PLATECUT_S3_PUBLIC_ENDPOINT"] == "https://s3.london.studio.example"
    hpa = one(render(GPU), "HorizontalPodAutoscaler", "-api")
    assert "replicas" not in one(render(GPU), "Deployment", "-api")["spec"]
    assert hpa["spec"]["scaleTargetRef"]["name"] == f"{RELEASE}-platecut-api"


def test_a_site_s_tracker_reaches_the_api_worker_and_beat(render: Render) -> None:
    """Kitsu's URL and user in the config, its password by secretKeyRef from the site's Secret (never
    in the config), automatic publishing on; a site without trackers sets none of it."""
    manifests = render(GPU)
    env = config_env(manifests)
    assert (env["PLATECUT_KITSU_URL"], env["PLATECUT_KITSU_EMAIL"]) == (
        "https://kitsu.london.studio.example/api", "platecut@london.studio.example")
    assert json.loads(env["PLATECUT_TRACKER_AUTO_PUBLISH"]) == ["kitsu"]
    assert "PLATECUT_KITSU_PASSWORD" not in env and "PLATECUT_SHOTGRID_URL" not in env
    for name in ("-api", "-worker", "-beat"):
        container = pod_spec(one(manifests, "Deployment", name))["containers"][0]
        secret = {e["name"]: e for e in container["env"]}["PLATECUT_KITSU_PASSWORD"]
        assert secret["valueFrom"]["secretKeyRef"] == {"name": "kitsu-platecut", "key": "kitsu-password"}
    default = config_env(render(DEFAULT))
    assert not [name for name in default if name.startswith(("PLATECUT_KITSU", "PLATECUT_SHOTGRID",
                                                              "PLATECUT_TRACKER"))]


def test_config_change_rolls_the_pods(helm: Helm) -> None:
    def checksum(*sets: str) -> str:
        result = helm("template", RELEASE, str(CHART), "--show-only", "templates/worker.yaml", *sets)
        assert result.returncode == 0, result.stderr
        worker = yaml.safe_load(result.stdout)
        return str(worker["spec"]["template"]["metadata"]["annotations"]["checksum/config"])

    assert checksum() == checksum()
    assert checksum() != checksum("--set", "jobs.gpu.count=2")


def test_secret_change_rolls_the_pods(helm: Helm) -> None:
    def checksums(*sets: str) -> tuple[str, str]:
        result = helm("template", RELEASE, str(CHART), "--show-only", "templates/api.yaml",
                      "--set", "signingSecret.value=s3cret", *sets)
        assert result.returncode == 0, result.stderr
        api = next(d for d in yaml.safe_load_all(result.stdout) if d and d["kind"] == "Deployment")
        annotations = api["spec"]["template"]["metadata"]["annotations"]
        return annotations["checksum/config"], annotations["checksum/secret"]

    config, secret = checksums()
    assert checksums() == (config, secret)
    other_config, other_secret = checksums("--set", "signingSecret.value=other")
    assert (other_config, other_secret != secret) == (config, True)  # the Secret changed, not the config


def test_the_secrets_the_chart_makes_outlive_an_uninstall(render: Render) -> None:
    everything = next(case for case in CASES if case.name == "everything")  # bundled services too
    made = [m for m in render(everything) if m["kind"] == "Secret"
            and "helm.sh/hook" not in m["metadata"].get("annotations", {})]
    assert {m["metadata"]["name"].rsplit("-", 1)[-1] for m in made} >= {"postgresql", "rabbitmq", "minio"}
    for secret in made:
        name = secret["metadata"]["name"]
        assert secret["metadata"]["annotations"]["helm.sh/resource-policy"] == "keep", name


def test_notes_tell_how_to_reach_the_api_and_watch_jobs(helm: Helm) -> None:
    for case, namespace in ((GPU, "vfx-split"), (DEFAULT, NAMESPACE)):
        result = helm("install", RELEASE, str(CHART), "--dry-run=client", "--namespace", NAMESPACE,
                      *value_args(case))
        assert result.returncode == 0, result.stderr
        notes = result.stdout.split("NOTES:", 1)[1]
        assert f"kubectl get jobs -l platecut.io/owner={NAMESPACE}.{RELEASE} -n {namespace}" in notes
        assert "platecut token create --site" in notes
        if case is GPU:
            assert "https://platecut.london.studio.example" in notes
        else:
            assert f"port-forward svc/{RELEASE}-platecut-api 8000:80" in notes


def test_chart_declares_no_dependency_to_fetch() -> None:
    chart = yaml.safe_load((CHART / "Chart.yaml").read_text())
    assert chart["apiVersion"] == "v2" and chart["appVersion"] == "0.1.0"
    assert "dependencies" not in chart  # bundled services are in-chart StatefulSets: offline lint works
    assert not (CHART / "charts").exists()
