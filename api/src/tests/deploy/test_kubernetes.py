"""The Kubernetes manifests: both kustomizations render, every object passes the Kubernetes
OpenAPI schemas (strict), the API's probes are README's, every container runs hardened, and the
alert rules and dashboard use only series wump exports."""

import json
import re
import shutil
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from app.core.metrics import QueueDepth, exposition

ROOT = Path(__file__).resolve().parents[4]
KUBERNETES = ROOT / "deploy" / "kubernetes"
MONITORING = KUBERNETES / "base" / "monitoring"
KUSTOMIZATIONS = ("base", "overlays/production")
# The release the schemas are checked against: kubernetes-validate's newest.
KUBERNETES_VERSION = kubernetes_validate.latest_version()
CUSTOM_KINDS = {"ServiceMonitor", "PrometheusRule"}


@cache
def render(kustomization: str) -> tuple[dict[str, Any], ...]:
    """`kubectl kustomize` (kustomize built into kubectl) of one kustomization."""
    kubectl = shutil.which("kubectl")
    assert kubectl is not None, "kubectl is needed to render deploy/kubernetes (kustomize)"
    rendered = subprocess.run(
        [kubectl, "kustomize", str(KUBERNETES / kustomization)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert rendered.returncode == 0, rendered.stderr
    return tuple(doc for doc in yaml.safe_load_all(rendered.stdout) if doc)


def objects(kustomization: str, kind: str) -> dict[str, dict[str, Any]]:
    return {o["metadata"]["name"]: o for o in render(kustomization) if o["kind"] == kind}


@pytest.mark.parametrize("kustomization", KUSTOMIZATIONS)
def test_every_object_passes_the_kubernetes_schemas(kustomization: str) -> None:
    checked = 0
    for document in render(kustomization):
        if document["kind"] in CUSTOM_KINDS:
            continue
        kubernetes_validate.validate(document, KUBERNETES_VERSION, strict=True)
        checked += 1

    kinds = {document["kind"] for document in render(kustomization)}
    assert checked >= 15
    assert kinds >= {
        "Deployment",
        "Job",
        "Service",
        "HorizontalPodAutoscaler",
        "PodDisruptionBudget",
        "ConfigMap",
        "NetworkPolicy",
        "ServiceAccount",
        *CUSTOM_KINDS,
    }


def test_production_sets_namespace_image_and_metrics_token() -> None:
    production = render("overlays/production")
    deployments = objects("overlays/production", "Deployment")
    monitor = objects("overlays/production", "ServiceMonitor")["wump"]

    assert {o["metadata"].get("namespace") for o in production} == {"wump"}
    for deployment in deployments.values():
        (container,) = deployment["spec"]["template"]["spec"]["containers"]
        assert container["image"] == "registry.example.com/wump:0.1.0"
    api_endpoint = next(e for e in monitor["spec"]["endpoints"] if e["port"] == "http")
    assert api_endpoint["authorization"]["credentials"] == {
        "name": "wump-secrets",
        "key": "METRICS_TOKEN",
    }
    assert objects("overlays/production", "HorizontalPodAutoscaler")["wump-api"]["spec"][
        "minReplicas"
    ] == (3)


def _readme_probes() -> dict[str, Any]:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Health probes (Kubernetes)", 1)[1]
    block = re.search(r"```yaml\n(.*?)```", section, re.S)
    assert block is not None
    documented: dict[str, Any] = yaml.safe_load(block.group(1))
    return documented


@pytest.mark.parametrize("kustomization", KUSTOMIZATIONS)
def test_api_probes_are_the_ones_readme_documents(kustomization: str) -> None:
    api = objects(kustomization, "Deployment")["wump-api"]
    (container,) = api["spec"]["template"]["spec"]["containers"]

    probes = {name: container[name] for name in ("livenessProbe", "readinessProbe", "startupProbe")}
    assert probes == _readme_probes()


@pytest.mark.parametrize("kustomization", KUSTOMIZATIONS)
def test_every_pod_runs_unprivileged_on_a_read_only_root(kustomization: str) -> None:
    templates = [d["spec"]["template"] for d in objects(kustomization, "Deployment").values()]
    templates += [j["spec"]["template"] for j in objects(kustomization, "Job").values()]
    assert len(templates) == 3
    for template in templates:
        spec = template["spec"]
        assert spec["securityContext"]["runAsNonRoot"] is True
        assert spec["automountServiceAccountToken"] is False
        writable = {v["name"] for v in spec["volumes"] if "emptyDir" in v}
        for container in spec["containers"]:
            context = container["securityContext"]
            assert context["readOnlyRootFilesystem"] is True
            assert context["allowPrivilegeEscalation"] is False
            assert context["capabilities"]["drop"] == ["ALL"]
            assert {m["name"] for m in container["volumeMounts"]} <= writable
            assert container["resources"]["requests"]
            assert container["resources"]["limits"]
            # The image's entrypoint migrates; only the Job may.
            assert container["command"][0] == "wump"


def test_only_the_job_migrates_one_pod_at_a_time() -> None:
    jobs = objects("base", "Job")
    commands = {
        name: d["spec"]["template"]["spec"]["containers"][0]["command"]
        for name, d in {**objects("base", "Deployment"), **jobs}.items()
    }

    assert [name for name, command in commands.items() if "migrate" in command] == ["wump-migrate"]
    assert jobs["wump-migrate"]["spec"]["parallelism"] == 1
    assert jobs["wump-migrate"]["spec"]["completions"] == 1


def test_the_job_outlasts_a_migration_that_rewrites_the_large_tables() -> None:
    # Migration 022 took 17 minutes on 20.75 M dependency rows (2 cores); a Job stopped at its
    # deadline rolls the migration back and fails for good.
    job = objects("base", "Job")["wump-migrate"]

    assert job["spec"]["activeDeadlineSeconds"] >= 3 * 3600


def _exported_series() -> set[str]:
    body = exposition([QueueDepth("ingest_organization", "pending", 0, None)]).decode()
    names: set[str] = set()
    for family in text_string_to_metric_families(body):
        suffixes = {
            "counter": ("_total",),
            "histogram": ("_bucket", "_count", "_sum"),
        }.get(family.type, ("",))
        names.update(family.name + suffix for suffix in suffixes)
    return names


def _series_used(text: str) -> set[str]:
    return set(re.findall(r"\bwump_[a-z_]+\b", text))


def test_alerts_and_dashboard_use_only_exported_series() -> None:
    rules = yaml.safe_load((MONITORING / "prometheus-rules.yaml").read_text())
    expressions = [r["expr"] for g in rules["spec"]["groups"] for r in g["rules"]]
    dashboard = json.loads((MONITORING / "wump-dashboard.json").read_text())
    queries = [t["expr"] for p in dashboard["panels"] for t in p.get("targets", [])]
    exported = _exported_series()

    used_by_rules = _series_used("\n".join(expressions))
    used_by_dashboard = _series_used("\n".join(queries))
    assert used_by_rules <= exported, used_by_rules - exported
    assert used_by_dashboard <= exported, used_by_dashboard - exported
    alerts = {r["alert"] for g in rules["spec"]["groups"] for r in g["rules"]}
    assert alerts >= {
        "WumpJobsFailing",
        "WumpJobQueueStuck",
        "WumpHigh5xxRate",
        "WumpReadinessFlapping",
        "WumpGitHubRateLimitNearlySpent",
    }
