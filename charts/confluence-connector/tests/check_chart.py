#!/usr/bin/env python3
"""Renders, lints and validates the confluence-connector chart offline (run by .ci/chart-check).

Every example values file (and the defaults) is rendered with Helm's own Go SDK, linted with
Helm's linter, and every rendered object is checked against the Kubernetes JSON schemas (and the
Prometheus Operator objects against their CRD shapes). Alert rules and dashboard panels may name
only metrics the service emits. Bad values must be rejected with messages naming the key.
Rendered tenant files are fed to `confluence-connector validate` when that binary is available.
Prints one PASS/FAIL/SKIP line per check and a final "N passed, N failed, N skipped" line.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import helm_python as helm
import jsonschema
import kubernetes_validate.utils as kube_validate
import values_doc
import yaml
from yamllint import config as yamllint_config
from yamllint import linter as yamllint_linter

CHART_DIR = Path(__file__).resolve().parent.parent
REPO_DIR = CHART_DIR.parent.parent
TESTS_DIR = CHART_DIR / "tests"
RELEASE = "connector"
NAMESPACE = "connectors"
MIN_KUBE_VERSION = "1.25.0"
SHARDING_MIN_KUBE_VERSION = "1.28.0"
TENANT_FILE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*-tenant-config\.yaml$")
ENV_REFERENCE = re.compile(r"os\.environ/([A-Za-z_][A-Za-z0-9_]*)")


class Checks:
    """Counts and prints check outcomes."""

    def __init__(self) -> None:
        self.passed = 0
        self.failed = 0
        self.skipped = 0

    def run(self, name: str, check: Callable[[], str | None]) -> Any:
        """Runs `check`; an exception fails it, a returned "SKIP: reason" skips it."""
        try:
            outcome = check()
        except Exception as error:  # every failure is reported, then the run goes on
            self.failed += 1
            print(f"FAIL {name}\n     {str(error).strip()}".replace("\n", "\n     "))
            return None
        if isinstance(outcome, str) and outcome.startswith("SKIP"):
            self.skipped += 1
            print(f"SKIP {name}: {outcome[5:].strip()}")
        else:
            self.passed += 1
            print(f"PASS {name}")
        return outcome


# --- Prometheus Operator objects: the fields the chart uses, checked against the CRD shapes ---

DURATION = {"type": "string", "pattern": "^(0|([0-9]+(ms|s|m|h|d|w|y))+)$"}
STRING_MAP = {"type": "object", "additionalProperties": {"type": "string"}}
METADATA = {"type": "object", "required": ["name"], "properties": {"name": {"type": "string"}, "labels": STRING_MAP}}
SELECTOR = {"type": "object", "properties": {"matchLabels": STRING_MAP}, "additionalProperties": False}
NAMESPACE_SELECTOR = {"type": "object", "properties": {"matchNames": {"type": "array", "items": {"type": "string"}}}}
ENDPOINT_PROPS = {"port": {"type": "string"}, "path": {"type": "string"}, "interval": DURATION, "scrapeTimeout": DURATION}
CRD_SCHEMAS: dict[str, dict[str, Any]] = {
    "ServiceMonitor": {
        "type": "object",
        "required": ["metadata", "spec"],
        "properties": {
            "metadata": METADATA,
            "spec": {
                "type": "object",
                "required": ["selector", "endpoints"],
                "additionalProperties": False,
                "properties": {
                    "selector": SELECTOR,
                    "namespaceSelector": NAMESPACE_SELECTOR,
                    "endpoints": {"type": "array", "minItems": 1, "items": {"type": "object", "required": ["port"], "additionalProperties": False, "properties": ENDPOINT_PROPS}},
                },
            },
        },
    },
    "PodMonitor": {
        "type": "object",
        "required": ["metadata", "spec"],
        "properties": {
            "metadata": METADATA,
            "spec": {
                "type": "object",
                "required": ["selector", "podMetricsEndpoints"],
                "additionalProperties": False,
                "properties": {
                    "selector": SELECTOR,
                    "namespaceSelector": NAMESPACE_SELECTOR,
                    "podMetricsEndpoints": {"type": "array", "minItems": 1, "items": {"type": "object", "required": ["port"], "additionalProperties": False, "properties": ENDPOINT_PROPS}},
                },
            },
        },
    },
    "PrometheusRule": {
        "type": "object",
        "required": ["metadata", "spec"],
        "properties": {
            "metadata": METADATA,
            "spec": {
                "type": "object",
                "required": ["groups"],
                "additionalProperties": False,
                "properties": {
                    "groups": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["name", "rules"],
                            "additionalProperties": False,
                            "properties": {
                                "name": {"type": "string", "minLength": 1},
                                "interval": DURATION,
                                "rules": {
                                    "type": "array",
                                    "items": {
                                        "type": "object",
                                        "required": ["expr"],
                                        "oneOf": [{"required": ["alert"]}, {"required": ["record"]}],
                                        "additionalProperties": False,
                                        "properties": {
                                            "alert": {"type": "string", "minLength": 1},
                                            "record": {"type": "string", "minLength": 1},
                                            "expr": {"type": "string", "minLength": 1},
                                            "for": DURATION,
                                            "labels": STRING_MAP,
                                            "annotations": STRING_MAP,
                                        },
                                    },
                                },
                            },
                        },
                    }
                },
            },
        },
    },
}


# --- metric names referenced by PromQL ---

PROMQL_KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "and", "or", "unless", "bool", "offset", "inf", "nan"}
HISTOGRAM_SUFFIXES = ("_bucket", "_sum", "_count")


def metric_names(expr: str) -> set[str]:
    """The metric names a PromQL expression reads (functions, keywords and labels removed)."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)
    text = re.sub(r"'(?:[^'\\]|\\.)*'", "''", text)
    text = re.sub(r"\{[^}]*\}", " ", text)
    text = re.sub(r"\[[^\]]*\]", " ", text)
    text = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", text)
    names = set()
    for match in re.finditer(r"(?<![0-9.$A-Za-z_:])[A-Za-z_:][A-Za-z0-9_:]*", text):
        if text[match.end():].lstrip().startswith("("):
            continue  # a function call
        if match.group(0).lower() in PROMQL_KEYWORDS:
            continue
        names.add(match.group(0))
    return names


def unknown_metrics(exprs: list[str], emitted: set[str]) -> dict[str, set[str]]:
    """Metric names per expression that are not emitted (histogram series map to their family)."""
    unknown: dict[str, set[str]] = {}
    for expr in exprs:
        for name in metric_names(expr):
            family = name
            for suffix in HISTOGRAM_SUFFIXES:
                if name.endswith(suffix) and name[: -len(suffix)] in emitted:
                    family = name[: -len(suffix)]
            if family not in emitted:
                unknown.setdefault(expr.strip(), set()).add(name)
    return unknown


def read_emitted_metrics() -> set[str]:
    lines = (TESTS_DIR / "emitted-metrics.txt").read_text().splitlines()
    return {line.strip() for line in lines if line.strip() and not line.startswith("#")}


def spec_metrics(operations_md: Path) -> set[str]:
    """Metric names in the tables of §7 of the operations spec."""
    text = operations_md.read_text()
    section = text.split("## 7. Metrics", 1)[1].split("\n## 8.", 1)[0]
    return set(re.findall(r"^\| `((?:cfc|confluence_connector)_[a-z0-9_]+)`", section, re.MULTILINE))


# --- rendering ---

def load_values(path: Path | None) -> dict[str, Any]:
    if path is None:
        return {}
    return yaml.safe_load(path.read_text()) or {}


def kube_versions_for(path: Path | None, values: dict[str, Any]) -> list[str]:
    """Kubernetes versions the case must validate against: its minimum and the newest known."""
    minimum = MIN_KUBE_VERSION
    if values.get("sharding", {}).get("enabled"):
        minimum = SHARDING_MIN_KUBE_VERSION
    if path is not None:
        declared = re.search(r"^# kube-min-version: ([0-9.]+)", path.read_text(), re.MULTILINE)
        if declared:
            minimum = declared.group(1) + (".0" if declared.group(1).count(".") == 1 else "")
    return [minimum, kube_validate.latest_version()]


def render_manifests(values: dict[str, Any]) -> dict[str, str]:
    """Rendered text per template (NOTES.txt and empty output left out)."""
    with helm.Chart.load(CHART_DIR) as chart:
        manifests = chart.render(values=values, name=RELEASE, namespace=NAMESPACE)
    return {template: text for template, text in sorted(manifests.items()) if text.strip() and not template.endswith("NOTES.txt")}


def render(values: dict[str, Any]) -> list[dict[str, Any]]:
    objects = []
    for template, text in render_manifests(values).items():
        for document in yaml.safe_load_all(text):
            if document:
                document["_template"] = template
                objects.append(document)
    return objects


def without_template(obj: dict[str, Any]) -> dict[str, Any]:
    """The object as rendered (without the template name `render` records)."""
    return {key: value for key, value in obj.items() if key != "_template"}


def describe(obj: dict[str, Any]) -> str:
    return f"{obj.get('kind')}/{obj.get('metadata', {}).get('name')}"


def check_lint(values: dict[str, Any], kube_version: str) -> None:
    report = helm.lint(CHART_DIR, values, strict=True, namespace=NAMESPACE, kube_version=f"v{kube_version}")
    problems = [f"[{m['path']}] {m['error']}" for m in report["messages"] if m["severity"] >= 2]
    problems += report.get("errors") or []
    if problems:
        raise AssertionError("\n".join(problems))


def check_kubernetes_schemas(objects: list[dict[str, Any]], versions: list[str]) -> None:
    problems = []
    for obj in objects:
        clean = without_template(obj)
        if clean["apiVersion"].startswith("monitoring.coreos.com/"):
            validator = jsonschema.Draft7Validator(CRD_SCHEMAS[clean["kind"]])
            for error in validator.iter_errors(clean):
                problems.append(f"{describe(obj)}: {'/'.join(map(str, error.absolute_path))}: {error.message}")
            continue
        for version in versions:
            try:
                kube_validate.validate(clean, version, strict=True)
            except kube_validate.ValidationError as error:
                path = "/".join(map(str, error.absolute_path))
                problems.append(f"{describe(obj)} (Kubernetes {version}): {path}: {error.message}")
    if problems:
        raise AssertionError("\n".join(problems))


def check_metrics(objects: list[dict[str, Any]], emitted: set[str]) -> None:
    exprs = []
    for obj in objects:
        if obj["kind"] == "PrometheusRule":
            exprs += [rule["expr"] for group in obj["spec"]["groups"] for rule in group["rules"]]
        if obj["kind"] == "ConfigMap" and obj["metadata"].get("labels", {}).get("grafana_dashboard") == "1":
            for text in obj["data"].values():
                exprs += [target["expr"] for panel in json.loads(text)["panels"] for target in panel.get("targets", [])]
    if not exprs:
        raise AssertionError("the PrometheusRule or dashboard holds no expression")
    unknown = unknown_metrics(exprs, emitted)
    if unknown:
        raise AssertionError("\n".join(f"{sorted(names)} in: {expr}" for expr, names in unknown.items()))


def workload(objects: list[dict[str, Any]]) -> dict[str, Any]:
    [found] = [obj for obj in objects if obj["kind"] in ("Deployment", "StatefulSet")]
    return found


def check_workload(objects: list[dict[str, Any]], values: dict[str, Any]) -> None:
    """Hardening, probes, ports and sharding of the rendered workload."""
    obj = workload(objects)
    pod = obj["spec"]["template"]["spec"]
    [container] = pod["containers"]
    security = container["securityContext"]
    ports = values.get("ports", {})
    expected_ports = {("http", ports.get("application", 51349)), ("metrics", ports.get("metrics", 51350))}
    expectations = {
        "pod runAsNonRoot": pod["securityContext"].get("runAsNonRoot") is True,
        "container readOnlyRootFilesystem": security.get("readOnlyRootFilesystem") is True,
        "container allowPrivilegeEscalation false": security.get("allowPrivilegeEscalation") is False,
        "capabilities drop ALL": security.get("capabilities", {}).get("drop") == ["ALL"],
        "ports http and metrics": {(p["name"], p["containerPort"]) for p in container["ports"]} >= expected_ports,
        "every probe on /probe": all(container[f"{p}Probe"]["httpGet"]["path"] == "/probe" for p in ("liveness", "readiness", "startup")),
        "memory limit set": "memory" in container.get("resources", {}).get("limits", {}),
        "plugin cache mounted": any(m["name"] == "plugin-cache" for m in container["volumeMounts"]),
    }
    env = {entry["name"]: entry for entry in container.get("env", [])}
    sharded = bool(values.get("sharding", {}).get("enabled"))
    replicas = values.get("replicaCount", 1)
    if sharded:
        expectations["StatefulSet when sharded"] = obj["kind"] == "StatefulSet"
        expectations["SHARD_COUNT = replicas"] = env.get("SHARD_COUNT", {}).get("value") == str(replicas) and obj["spec"]["replicas"] == replicas
        expectations["SHARD_INDEX from the pod-index label"] = env.get("SHARD_INDEX", {}).get("valueFrom", {}).get("fieldRef", {}).get("fieldPath") == "metadata.labels['apps.kubernetes.io/pod-index']"
    else:
        expectations["one-pod Deployment when not sharded"] = obj["kind"] == "Deployment" and obj["spec"]["replicas"] == 1
        if "strategy" not in values:
            expectations["Recreate strategy by default"] = obj["spec"]["strategy"] == {"type": "Recreate"}
        expectations["no SHARD_* variables when not sharded"] = not ({"SHARD_INDEX", "SHARD_COUNT"} & env.keys())
    problems = [name for name, holds in expectations.items() if not holds]
    if problems:
        raise AssertionError("does not hold: " + "; ".join(problems))


def tenant_files(objects: list[dict[str, Any]]) -> dict[str, str]:
    files: dict[str, str] = {}
    for obj in objects:
        if obj["kind"] == "ConfigMap" and obj["metadata"]["name"].endswith("-tenant-config"):
            files.update(obj["data"])
    return files


def check_tenant_files(files: dict[str, str]) -> None:
    for name, text in files.items():
        if not TENANT_FILE.match(name):
            raise AssertionError(f"{name}: not a <tenant>-tenant-config.yaml name")
        document = yaml.safe_load(text)
        if not isinstance(document, dict):
            raise AssertionError(f"{name}: not a YAML mapping")
        missing = {"unique", "processing", "ingestion"} - document.keys()
        if missing or not ({"confluence", "source"} & document.keys()):
            raise AssertionError(f"{name}: missing top-level keys {sorted(missing) or ['confluence or source']}")
        if any(value is None for value in document.values()):
            raise AssertionError(f"{name}: a top-level block renders as null")


def check_bad_values(case: dict[str, Any]) -> None:
    try:
        render(case["values"])
    except helm.HelmError as error:
        message = str(error)
        missing = [text for text in case["expect"] if text not in message]
        if missing:
            raise AssertionError(f"rejected, but the message lacks {missing}:\n{message}")
        return
    raise AssertionError("accepted, but must be rejected")


# Rendered manifests: the source rules, except line length (the dashboard JSON is embedded).
RENDERED_YAMLLINT = """
extends: default
rules:
  line-length: disable
  document-start: disable
  truthy: {check-keys: false}
  indentation: {spaces: 2, indent-sequences: whatever}
"""


def check_rendered_yamllint(values: dict[str, Any]) -> None:
    config = yamllint_config.YamlLintConfig(RENDERED_YAMLLINT)
    problems = []
    for template, text in render_manifests(values).items():
        for problem in yamllint_linter.run(text, config):
            problems.append(f"{template}:{problem.line}:{problem.column}: {problem.desc} ({problem.rule})")
    if problems:
        raise AssertionError("\n".join(problems))


def check_yamllint(paths: list[Path]) -> None:
    config = yamllint_config.YamlLintConfig(file=str(TESTS_DIR / "yamllint.yaml"))
    problems = []
    for path in paths:
        for problem in yamllint_linter.run(path.read_text(), config, str(path)):
            problems.append(f"{path.relative_to(REPO_DIR)}:{problem.line}:{problem.column}: {problem.desc} ({problem.rule})")
    if problems:
        raise AssertionError("\n".join(problems))


def check_tool(command: list[str]) -> None:
    """Runs a linter installed beside this script's Python; its findings fail the check."""
    tool = Path(sys.executable).parent / command[0]
    result = subprocess.run([str(tool), *command[1:]], capture_output=True, text=True, cwd=REPO_DIR, timeout=120, check=False)
    if result.returncode != 0:
        raise AssertionError(f"{result.stdout}{result.stderr}")


# --- confluence-connector validate ---

def connector_validate_available(binary: Path) -> str | None:
    """None when `binary validate` exists; otherwise the reason to skip."""
    if not binary.is_file() or not os.access(binary, os.X_OK):
        return f"{binary} not built"
    probe = subprocess.run([str(binary), "validate", "--help"], capture_output=True, text=True, timeout=60, check=False)
    if probe.returncode != 0:
        return f"{binary} has no `validate` subcommand"
    return None


def needs_plugin_dir(text: str) -> bool:
    """A tenant that names a plugin (`source`) needs it in the plugin directory to validate."""
    return "source" in (yaml.safe_load(text) or {})


def run_connector_validate(binary: Path, files: dict[str, str], plugin_dir: str | None) -> None:
    with tempfile.TemporaryDirectory(prefix="tenant-configs-") as directory:
        for name, text in files.items():
            Path(directory, name).write_text(text)
        env = {key: value for key, value in os.environ.items() if not key.startswith("SHARD_")}
        for text in files.values():
            for variable in ENV_REFERENCE.findall(text):
                env.setdefault(variable, f"ci-placeholder-{variable.lower()}")
        command = [str(binary), "validate", "--tenants", f"{directory}/*-tenant-config.yaml"]
        if plugin_dir:
            command += ["--plugin-dir", plugin_dir]
        result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300, check=False)
        if result.returncode != 0:
            raise AssertionError(f"exit {result.returncode}\n{result.stdout}{result.stderr}")


def validate_tenant_set(checks: Checks, binary: Path, label: str, files: dict[str, str], plugin_dir: str | None) -> None:
    """Validates a set of tenant files; without a plugin directory, those naming a plugin are
    left out (and reported as skipped)."""
    if not plugin_dir:
        needing = sorted(name for name, text in files.items() if needs_plugin_dir(text))
        if needing:
            checks.run(f"confluence-connector validate {label}: {', '.join(needing)}", lambda: "SKIP: names a plugin; set CONNECTOR_PLUGIN_DIR to a directory holding it")
            files = {name: text for name, text in files.items() if name not in needing}
    if files:
        checks.run(f"confluence-connector validate {label}", partial(run_connector_validate, binary, files, plugin_dir))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connector-bin", default=os.environ.get("CONNECTOR_BIN", str(REPO_DIR / "target/debug/confluence-connector")))
    parser.add_argument("--plugin-dir", default=os.environ.get("CONNECTOR_PLUGIN_DIR"))
    parser.add_argument("--spec", default=os.environ.get("OPERATIONS_SPEC"), help="operations.md to compare the metric list with")
    args = parser.parse_args()

    checks = Checks()
    emitted = read_emitted_metrics()
    cases: list[tuple[str, Path | None]] = [("default values", None)]
    cases += [(f"ci/{path.name}", path) for path in sorted((CHART_DIR / "ci").glob("*.yaml"))]
    rendered_tenants: list[tuple[str, dict[str, str]]] = []

    for label, path in cases:
        values = load_values(path)
        versions = kube_versions_for(path, values)
        objects = checks.run(f"render {label}", partial(render, values))
        checks.run(f"helm lint {label}", partial(check_lint, values, versions[-1]))
        if objects is None:
            continue
        checks.run(f"yamllint rendered {label}", partial(check_rendered_yamllint, values))
        checks.run(f"Kubernetes schemas {label} (v{' and v'.join(versions)})", partial(check_kubernetes_schemas, objects, versions))
        checks.run(f"workload {label}", partial(check_workload, objects, values))
        if any(obj["kind"] == "PrometheusRule" or "grafana_dashboard" in obj["metadata"].get("labels", {}) for obj in objects):
            checks.run(f"alerts and dashboard use only emitted metrics {label}", partial(check_metrics, objects, emitted))
        files = tenant_files(objects)
        if files:
            checks.run(f"tenant files {label}", partial(check_tenant_files, files))
            rendered_tenants.append((label, files))

    bad = yaml.safe_load((TESTS_DIR / "bad-values.yaml").read_text())
    for case in bad["cases"]:
        checks.run(f"rejects: {case['name']}", partial(check_bad_values, case))

    spec = Path(args.spec) if args.spec else next((p for p in (REPO_DIR.parent / "shared/spec/operations.md", Path("/work/shared/spec/operations.md")) if p.is_file()), None)

    def compare_with_spec() -> str | None:
        if spec is None or not spec.is_file():
            return "SKIP: operations spec not found (set OPERATIONS_SPEC)"
        listed = spec_metrics(spec)
        if listed != emitted:
            raise AssertionError(f"only in the spec: {sorted(listed - emitted)}; only in emitted-metrics.txt: {sorted(emitted - listed)}")
        return None

    checks.run("emitted-metrics.txt equals the metric list of the operations spec §7", compare_with_spec)

    yaml_files = [CHART_DIR / "Chart.yaml", CHART_DIR / "values.yaml", *sorted((CHART_DIR / "ci").glob("*.yaml")), *sorted(TESTS_DIR.glob("*.yaml")), *sorted((REPO_DIR / "tenant-configs").glob("*.yaml"))]
    checks.run(f"yamllint ({len(yaml_files)} files)", lambda: check_yamllint(yaml_files))
    def readme_up_to_date() -> None:
        readme = (CHART_DIR / "README.md").read_text()
        if values_doc.readme_with_table(readme) != readme:
            raise AssertionError("the values table differs from values.yaml: run charts/confluence-connector/tests/values_doc.py --write")

    checks.run("README values table matches values.yaml", readme_up_to_date)
    checks.run("hadolint Dockerfile", lambda: check_tool(["hadolint", "--no-color", "Dockerfile"]))
    checks.run("shellcheck .ci/chart-check", lambda: check_tool(["shellcheck", ".ci/chart-check"]))
    checks.run("values.schema.json is a valid draft-07 schema", lambda: jsonschema.Draft7Validator.check_schema(json.loads((CHART_DIR / "values.schema.json").read_text())))

    binary = Path(args.connector_bin)
    unavailable = connector_validate_available(binary)
    example_files = {path.name: path.read_text() for path in sorted((REPO_DIR / "tenant-configs").glob("*-tenant-config.yaml"))}
    tenant_sets = [("tenant-configs/", example_files), *[(f"rendered tenant ConfigMap of {label}", files) for label, files in rendered_tenants]]
    if unavailable:
        checks.run(f"confluence-connector validate ({len(tenant_sets)} tenant sets)", lambda: f"SKIP: {unavailable}")
    else:
        for label, files in tenant_sets:
            validate_tenant_set(checks, binary, label, files, args.plugin_dir)

    print(f"{checks.passed} passed, {checks.failed} failed, {checks.skipped} skipped")
    return 1 if checks.failed else 0


if __name__ == "__main__":
    sys.exit(main())
