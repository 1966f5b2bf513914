"""The engine's promises about itself: no UI imports, a documented public surface."""

from __future__ import annotations

import ast
import inspect
import subprocess
import sys
from pathlib import Path

import pytest

import evaluation

ROOT = Path(__file__).resolve().parent.parent


UI_PACKAGES = {"streamlit", "plotly", "components", "pages"}
# The one import of the engine from the dashboard's package: the CLI's ``--format html`` draws its
# charts with the dashboard's components, imported (visibly: ``from components import html_report``)
# inside the function that writes the page.
ALLOWED = {("_cli.py", "components.html_report", "from")}


def _string_import(node: ast.Call) -> ast.expr | None:
    """The module argument of ``importlib.import_module(...)``, ``import_module(...)`` or ``__import__(...)``."""
    function = node.func
    name = function.attr if isinstance(function, ast.Attribute) else function.id if isinstance(function, ast.Name) else None
    if name in {"import_module", "__import__"} and node.args:
        return node.args[0]
    return None


def _engine_imports(tree: ast.Module) -> list[tuple[str, str, bool]]:
    """Every module ``tree`` imports, how (``import``, ``from``, ``string``) and whether inside a function.

    A string import whose name is not a literal is ``"<computed>"``.
    """
    found = []

    def visit(node: ast.AST, in_function: bool) -> None:
        if isinstance(node, ast.Import):
            found.extend((alias.name, "import", in_function) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.extend((f"{node.module}.{alias.name}", "from", in_function) for alias in node.names)
        elif isinstance(node, ast.Call) and (argument := _string_import(node)) is not None:
            name = argument.value if isinstance(argument, ast.Constant) else "<computed>"
            found.append((str(name), "string", in_function))
        inside = in_function or isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
        for child in ast.iter_child_nodes(node):
            visit(child, inside)

    visit(tree, False)
    return found


def test_engine_source_never_imports_the_dashboard_or_ui_libraries():
    offenders, allowed_seen = [], set()
    for path in sorted((ROOT / "evaluation").rglob("*.py")):
        for module, how, in_function in _engine_imports(ast.parse(path.read_text())):
            if module == "<computed>":
                if path.name != "__init__.py":  # its lazy exports: every target is checked below
                    offenders.append(f"{path.name}: an import by a computed name")
            elif module.split(".")[0] in UI_PACKAGES:
                if (path.name, module, how) in ALLOWED and in_function:
                    allowed_seen.add((path.name, module, how))
                else:
                    offenders.append(f"{path.name}: {module} ({how} import)")
    assert offenders == []
    assert allowed_seen == ALLOWED  # the allowance is used, and used exactly as written


def test_lazy_exports_import_only_the_engines_own_modules():
    assert all(target.startswith("._") for target in evaluation._WHERE.values())


@pytest.mark.parametrize("source", [
    'import importlib\ndef f():\n    return importlib.import_module("components.html_report")',
    'import importlib\nimportlib.import_module("pages.overview")',
    'from importlib import import_module\nimport_module("plotly.graph_objects")',
    '__import__("streamlit")',
    'def f():\n    import pages.overview',
    'from components import charts',
    'def f(name):\n    return __import__(name)',
])
def test_the_rule_sees_string_and_nested_imports(source):
    imports = _engine_imports(ast.parse(source))
    assert any(module == "<computed>" or module.split(".")[0] in UI_PACKAGES for module, _, _ in imports)


def test_running_a_comparison_loads_no_ui_library():
    code = (
        "import sys; from tests.helpers import two_models; import evaluation; "
        "evaluation.report_to_markdown(evaluation.compare(two_models(200, 3), "
        "settings=evaluation.Settings(resamples=50))); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in {'streamlit', 'plotly', 'components', 'pages'}))"
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
