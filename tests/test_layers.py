"""The package's import graph, read from the source (function-local imports included): no
import cycles, and only the backends import the compiled kernels. (`lint-imports`, run by
.ci/run, checks the layer order declared in setup.cfg.)"""
import ast
import pathlib

import pytest

pytestmark = pytest.mark.cpu_only  # about the source tree, not a device

ROOT = pathlib.Path(__file__).resolve().parent.parent


def _modules():
    """Dotted name -> file, for nbtensor/ and kernels/ (installed as nbtensor.kernels)."""
    found = {}
    for base, prefix in ((ROOT / "nbtensor", ["nbtensor"]), (ROOT / "kernels", ["nbtensor", "kernels"])):
        for path in base.rglob("*.py"):
            parts = prefix + list(path.relative_to(base).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def _imports(name, path, modules):
    """The modules of `modules` that `name` imports anywhere in its source."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    targets = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[:len(parts) - node.level + 1] + ([base] if base else []))
            # `from pkg import name`: the submodule pkg.name when it is one, else pkg
            candidates = [f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base for a in node.names]
        elif isinstance(node, ast.Import):
            candidates = [alias.name for alias in node.names]
        else:
            continue
        for target in candidates:
            while target and target not in modules:
                target = target.rpartition(".")[0]
            if target and target != name:
                targets.add(target)
    return targets


def _graph():
    modules = _modules()
    return {name: _imports(name, path, modules) for name, path in modules.items()}


def _cycle(graph):
    """One import cycle as a list of modules, or None."""
    state, stack = {}, []

    def visit(node):
        state[node] = "open"
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == "open":
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = "done"
        return None

    for node in sorted(graph):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def test_the_reader_finds_imports_of_every_kind():
    graph = _graph()
    assert "nbtensor.ops.views" in graph["nbtensor.ops.creation"]         # top-level from-import
    assert "nbtensor.kernels.cpu.loader" in graph["nbtensor.backends.cpu.elementwise"]  # in a function
    assert "nbtensor.backends" in graph["nbtensor.dispatch.tensor"]       # `from pkg import module`


def test_no_import_cycles_counting_function_local_imports():
    assert _cycle(_graph()) is None


def test_the_cycle_finder_finds_a_cycle():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]


def test_only_backends_import_the_kernels():
    importers = {name for name, targets in _graph().items()
                 if any(t.startswith("nbtensor.kernels") for t in targets)
                 and not name.startswith(("nbtensor.kernels", "nbtensor.backends."))}
    assert importers == set()
