"""The README's operations runbook: its `kubectl patch ksvc` commands work on the generated
manifests (applied offline with `kubectl patch --local`) and leave valid Knative Services."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.test_manifests import KNATIVE, ROOT, _knative_validator, _kubectl

DOCS = (ROOT / "README.md", KNATIVE / "README.md")


def _commands(path: Path) -> list[list[str]]:
    """Every `kubectl … patch ksvc …` command in the file's shell blocks, continuations joined."""
    text = path.read_text()
    commands = []
    for block in re.findall(r"```sh\n(.*?)```", text, flags=re.S):
        for line in block.replace("\\\n", " ").splitlines():
            line = line.split("  #", 1)[0].strip()
            if line.startswith("kubectl") and " patch ksvc " in f" {line} ":
                commands.append(shlex.split(line))
    return commands


def _option(argv: list[str], *names: str) -> str:
    for index, word in enumerate(argv):
        if word in names:
            return argv[index + 1]
    raise AssertionError(f"{names} missing in {argv}")


def _patched(argv: list[str]) -> dict[str, Any]:
    """Apply one documented patch to the ksvc's generated file, offline."""
    name = argv[argv.index("ksvc") + 1]
    manifest = KNATIVE / "base" / "functions" / f"{name}.yaml"
    assert manifest.exists(), f"the runbook patches {name!r}, which is not a generated ksvc"
    patch = _option(argv, "-p", "--patch")
    kind = _option(argv, "--type")
    result = subprocess.run(
        [_kubectl(), "patch", "--local", "-f", str(manifest), "--type", kind, "-p", patch, "-o", "yaml"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    document = yaml.safe_load(result.stdout)
    assert isinstance(document, dict)
    return document


def _documented() -> list[list[str]]:
    return [argv for path in DOCS for argv in _commands(path)]


def test_runbook_documents_scaling_and_pinning() -> None:
    patches = [json.loads(_option(argv, "-p", "--patch")) for argv in _documented()]
    annotations = {
        key
        for patch in patches
        for key in patch.get("spec", {}).get("template", {}).get("metadata", {}).get("annotations", {})
    }
    assert {"autoscaling.knative.dev/min-scale", "autoscaling.knative.dev/max-scale"} <= annotations
    assert any("traffic" in patch.get("spec", {}) for patch in patches)


@pytest.mark.parametrize("argv", _documented(), ids=lambda argv: " ".join(argv[:6]) + " …")
def test_runbook_patch_applies_to_the_generated_ksvc(argv: list[str]) -> None:
    document = _patched(argv)
    errors = sorted(_knative_validator().iter_errors(document), key=str)
    assert not errors, [error.message for error in errors]
    patch = json.loads(_option(argv, "-p", "--patch"))
    # The change is there, and nothing else of the ksvc was lost.
    for key, value in patch["spec"].get("template", {}).get("metadata", {}).get("annotations", {}).items():
        assert document["spec"]["template"]["metadata"]["annotations"][key] == value
    if "traffic" in patch["spec"]:
        assert document["spec"]["traffic"] == patch["spec"]["traffic"]
    assert document["spec"]["template"]["spec"]["containers"][0]["args"][0] == "serve"
