"""`.gitlab-ci.yml`: valid for GitLab, and doing what the README and knative/README.md say."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
PIPELINE = ROOT / ".gitlab-ci.yml"


def _pipeline() -> dict[str, Any]:
    loaded = yaml.safe_load(PIPELINE.read_text())
    assert isinstance(loaded, dict)
    return loaded


def test_ci_passes_the_gitlab_schema() -> None:
    checker = Path(sys.executable).parent / "check-jsonschema"
    result = subprocess.run(
        [str(checker), "--builtin-schema", "vendor.gitlab-ci", str(PIPELINE)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_ci_has_the_stages_in_order() -> None:
    assert _pipeline()["stages"] == ["lint", "test", "build", "push", "deploy"]


def test_ci_test_job_runs_the_readme_test_command() -> None:
    pipeline = _pipeline()
    assert pipeline["test"]["script"][-1] == "make test"
    # Before it, only installing kubectl (which Debian does not package), checked by its SHA-256.
    assert all("kubectl" in line for line in pipeline["test"]["script"][:-1])
    assert any("sha256sum --check" in line for line in pipeline["test"]["script"])
    assert "make test" in (ROOT / "README.md").read_text()
    assert (ROOT / ".ci" / "run").read_text().strip().endswith("exec make test")


def test_ci_builds_every_image_without_a_docker_daemon() -> None:
    pipeline = _pipeline()
    builds = {
        name: job
        for name, job in pipeline.items()
        if job and isinstance(job, dict) and job.get("extends") == ".buildah"
    }
    assert set(builds) == {"build-backend", "build-web", "build-auth-emulator"}
    for job in builds.values():
        dockerfile = ROOT / job["variables"]["DOCKERFILE"]
        assert dockerfile.exists(), dockerfile
    assert "buildah build" in " ".join(pipeline[".buildah"]["script"])
    assert pipeline["push"]["needs"] == ["lint", "test", *builds]


def test_ci_deploy_migrates_before_it_rolls_out() -> None:
    script = _pipeline()["deploy"]["script"]
    steps = [line for line in script if line.startswith("kubectl")]
    migrate = next(i for i, line in enumerate(steps) if "apply -k" in line and "/migrate" in line)
    wait = next(i for i, line in enumerate(steps) if "wait --for=condition=complete job/migrate" in line)
    assert "condition=failed" in steps[wait], "a failed migration must stop the deploy at once"
    rollout = next(i for i, line in enumerate(steps) if line.strip() == 'kubectl apply -k "$OVERLAY"')
    ready = next(i for i, line in enumerate(steps) if "wait ksvc --all --for=condition=Ready" in line)
    assert migrate < wait < rollout < ready
    overlay = _pipeline()["deploy"]["variables"]["OVERLAY"]
    assert (ROOT / overlay / "kustomization.yaml").exists()
    assert (ROOT / overlay / "migrate" / "kustomization.yaml").exists()
