"""The engine's promises about itself: no UI imports, a documented public surface."""

from __future__ import annotations

import ast
import inspect
import subprocess
import sys
from pathlib import Path

import evaluation

ROOT = Path(__file__).resolve().parent.parent


def test_engine_source_never_imports_streamlit_or_plotly():
    offenders = []
    for path in (ROOT / "evaluation").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            offenders += [f"{path.name}: {name}" for name in names if name.split(".")[0] in {"streamlit", "plotly"}]
    assert offenders == []


def test_running_a_comparison_loads_no_ui_library():
    code = (
        "import sys; from tests.helpers import two_models; import evaluation; "
        "evaluation.report_to_markdown(evaluation.compare(two_models(200, 3), "
        "settings=evaluation.Settings(resamples=50))); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in {'streamlit', 'plotly'}))"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_every_exported_name_exists_and_is_documented():
    assert len(evaluation.__all__) == len(set(evaluation.__all__))
    for name in evaluation.__all__:
        member = getattr(evaluation, name)
        if inspect.isclass(member) or inspect.isfunction(member):
            assert inspect.getdoc(member), name
            assert member.__module__.startswith("evaluation."), name


def test_private_modules_declare_their_surface():
    for path in (ROOT / "evaluation").glob("_*.py"):
        if path.name in {"__init__.py", "__main__.py"}:
            continue
        tree = ast.parse(path.read_text())
        declared = [node for node in tree.body if isinstance(node, ast.Assign)
                    and any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets)]
        assert declared, f"{path.name} has no __all__"
