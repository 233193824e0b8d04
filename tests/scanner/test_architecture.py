"""The layout's promises, checked on the source: an acyclic import graph (imports inside functions included),
physics that never imports the scanner, no private names across modules, no model-name branch outside the
registry and the model packages, modules of bounded size, and no reference to material users do not have."""

from __future__ import annotations

import ast
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = {"flavorscan": ROOT / "flavorscan", "flavorscan.kernels": ROOT / "kernels",
            "flavorscan.scanner": ROOT / "scanner"}
MODEL_NAMES = {"lq", "zprime"}
MAX_LINES = 800


def modules() -> dict[str, Path]:
    """{dotted module name: file} of every module of the installed package."""
    found = {}
    for package, folder in PACKAGES.items():
        for path in sorted(folder.rglob("*.py")):
            parts = list(path.relative_to(folder).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join([package, *parts])] = path
    return found


MODULES = modules()


def imports_of(name: str, path: Path) -> set[str]:
    """Internal modules ``name`` imports anywhere in its file (module level and inside functions)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(tree):
        targets = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{anchor}.{base}" if base else anchor
            # "from a import b": the submodule a.b if there is one, else the module a
            targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base for alias in node.names]
        for target in targets:
            while target and target not in MODULES:  # "import a.b.c" of a name inside a.b
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


GRAPH = {name: imports_of(name, path) for name, path in MODULES.items()}


def test_import_graph_is_acyclic():
    state, stack = {}, []

    def visit(node):
        state[node] = "open"
        stack.append(node)
        for target in sorted(GRAPH[node]):
            if state.get(target) == "open":
                cycle = stack[stack.index(target):] + [target]
                pytest.fail("import cycle: " + " -> ".join(cycle))
            if target not in state:
                visit(target)
        stack.pop()
        state[node] = "done"

    for node in sorted(GRAPH):
        if node not in state:
            visit(node)


def test_the_checker_finds_a_cycle(tmp_path):
    """The graph builder sees imports inside functions (a cycle hidden there is a cycle)."""
    a, b = tmp_path / "a.py", tmp_path / "b.py"
    a.write_text("def f():\n    from flavorscan.scanner.b import g\n")
    b.write_text("import flavorscan.scanner.a\n")
    MODULES["flavorscan.scanner.a"], MODULES["flavorscan.scanner.b"] = a, b
    try:
        assert imports_of("flavorscan.scanner.a", a) == {"flavorscan.scanner.b"}
        assert imports_of("flavorscan.scanner.b", b) == {"flavorscan.scanner.a"}
    finally:
        del MODULES["flavorscan.scanner.a"], MODULES["flavorscan.scanner.b"]


def test_physics_never_imports_the_scanner():
    offenders = {name: sorted(t for t in targets if t.startswith("flavorscan.scanner"))
                 for name, targets in GRAPH.items() if name.startswith("flavorscan.kernels")}
    assert not {k: v for k, v in offenders.items() if v}


def test_no_module_imports_private_names_of_another():
    offenders = []
    for name, path in MODULES.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("flavorscan"):
                offenders += [f"{name}: {node.module}.{a.name}" for a in node.names
                              if a.name.startswith("_") and not a.name.endswith("__")]
    assert offenders == []


def _is_model_package(name: str) -> bool:
    return (name.startswith("flavorscan.scanner.models.") and name.split(".")[3] in MODEL_NAMES) or \
        name.startswith(("flavorscan.kernels.leptoquark", "flavorscan.kernels.zprime"))


def test_no_model_name_branch_outside_the_registry_and_the_model_packages():
    """No comparison with a model's name ("lq", "zprime") in generic code."""
    offenders = []
    for name, path in MODULES.items():
        if _is_model_package(name) or name == "flavorscan.scanner.models":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Compare):
                for operand in [node.left, *node.comparators]:
                    if isinstance(operand, ast.Constant) and operand.value in MODEL_NAMES:
                        offenders.append(f"{name}:{node.lineno}")
    assert offenders == []


def tracked_files() -> list[Path]:
    result = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True)
    if result.returncode != 0:  # pragma: no cover - not a checkout (e.g. an sdist)
        pytest.skip("not a git checkout")
    return [ROOT / line for line in result.stdout.splitlines()]


def test_modules_stay_small():
    sizes = {str(p.relative_to(ROOT)): len(p.read_text(encoding="utf-8").splitlines())
             for p in tracked_files() if p.suffix == ".py"}
    assert {k: v for k, v in sizes.items() if v > MAX_LINES} == {}


def test_nothing_refers_to_material_outside_the_repository():
    needles = ("../" + "shared", "shared/" + "physics", "shared/" + "design")
    offenders = []
    for path in tracked_files():
        if path.suffix in (".npz", ".h5", ".png") or not path.is_file():
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        offenders += [f"{path.relative_to(ROOT)}: {n}" for n in needles if n in text]
    assert offenders == []
