"""The wheel carries knowledge/, prompts/ and the web app's templates and assets, and an installed (non-editable) copy finds them."""

import subprocess
import sys
import zipfile
from pathlib import Path

from conftest import ROOT


def test_wheel_ships_bundled_knowledge_and_prompts(tmp_path):
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation", "-w", str(tmp_path), str(ROOT)],
        check=True, capture_output=True,
    )
    wheel = next(tmp_path.glob("coachgen-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert "coachgen/_bundled/knowledge/objections/objection-library.yaml" in names
    assert "coachgen/_bundled/knowledge/crm/deals.csv" in names
    assert "coachgen/_bundled/prompts/README.md" in names
    assert "coachgen/web/templates/base.html" in names and "coachgen/web/templates/charts/bars.svg" in names  # coachgen serve
    assert "coachgen/web/static/style.css" in names
    target = tmp_path / "installed"
    zipfile.ZipFile(wheel).extractall(target)
    found = subprocess.run(
        [sys.executable, "-c", "from coachgen.resources import bundled_dir; print(bundled_dir('knowledge'))"],
        env={"PYTHONPATH": str(target), "PATH": ""}, capture_output=True, text=True, check=True,
    ).stdout.strip()
    assert Path(found) == target / "coachgen" / "_bundled" / "knowledge"


def test_python_dash_m_runs_the_cli():
    result = subprocess.run([sys.executable, "-m", "coachgen", "--help"], capture_output=True, text=True)
    assert result.returncode == 0 and "kb" in result.stdout
