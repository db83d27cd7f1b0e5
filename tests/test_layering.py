"""The import direction of DESIGN.md's layers: each package imports only the layers above it.

backend <- autograd <- functional <- nn <- optim <- data <- models <- train <- analysis/viz/io
<- apps <- cli. Every module's imports (at any depth, inside functions too) are parsed with
``ast``; a package that does not exist yet is simply absent.
"""
import ast
import pathlib

import barenet

PACKAGE = pathlib.Path(barenet.__file__).parent

# Rank of each top-level name under ``barenet``; a module may import equal or lower ranks.
LAYERS = {
    "backend": 0, "random": 0, "_args": 0,  # _args: plain-number argument checks, importing nothing
    "allocator": 0,
    "autograd": 1,
    "functional": 2,
    "nn": 3,
    "optim": 4,
    "data": 5,
    "models": 6,
    "train": 7,
    "analysis": 8, "viz": 8, "io": 8,
    "apps": 9,
    "cli": 10,
}


def _module_name(path: pathlib.Path, root: pathlib.Path) -> tuple:
    parts = path.relative_to(root.parent).with_suffix("").parts
    return parts[:-1] if parts[-1] == "__init__" else parts


def imported_modules(source: str, module: tuple, is_package: bool) -> list:
    """Absolute dotted names of everything ``source`` imports (relative imports resolved)."""
    package = module if is_package else module[:-1]
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[:len(package) - node.level + 1] if node.level else ()
            target = ".".join(base + tuple((node.module or "").split(".") if node.module else ()))
            # ``from barenet import nn`` / ``from .. import backend`` import sub-modules by name
            found.extend(f"{target}.{alias.name}" for alias in node.names)
    return found


def layer_of(dotted: str):
    """The top-level name under ``barenet`` that ``dotted`` lives in, or None outside barenet."""
    parts = dotted.split(".")
    return parts[1] if parts[0] == "barenet" and len(parts) > 1 else None


def violations(root: pathlib.Path = PACKAGE) -> list:
    problems = []
    for path in sorted(root.rglob("*.py")):
        module = _module_name(path, root)
        if len(module) < 2:
            continue  # barenet/__init__.py gathers every layer on purpose
        own = module[1]
        if own not in LAYERS:
            problems.append(f"{'.'.join(module)}: unknown layer {own!r}; add it to DESIGN.md and LAYERS")
            continue
        for target in imported_modules(path.read_text(encoding="utf-8"), module, path.name == "__init__.py"):
            layer = layer_of(target)
            if layer in LAYERS and LAYERS[layer] > LAYERS[own]:
                problems.append(f"{'.'.join(module)} ({own}) imports {target} ({layer}, a higher layer)")
    return problems


def test_no_layer_imports_a_higher_one():
    problems = violations()
    assert not problems, "import direction violated:\n" + "\n".join(problems)


def test_relative_imports_resolve():
    source = ("from .. import backend, nn\nfrom ..autograd.tensor import Tensor\nfrom . import ops\n"
              "import barenet.cli.main\n")
    assert imported_modules(source, ("barenet", "functional", "conv"), False) == [
        "barenet.backend", "barenet.nn", "barenet.autograd.tensor.Tensor", "barenet.functional.ops",
        "barenet.cli.main",
    ]
    assert imported_modules("from .registry import get_model", ("barenet", "models"), True) == [
        "barenet.models.registry.get_model"]


def test_the_checker_catches_a_violation(tmp_path):
    root = tmp_path / "barenet"
    (root / "autograd").mkdir(parents=True)
    (root / "nn").mkdir()
    (root / "autograd" / "bad.py").write_text("def f():\n    from ..nn import Module\n")
    (root / "nn" / "good.py").write_text("from ..autograd import Tensor\nimport numpy\n")
    assert violations(root) == ["barenet.autograd.bad (autograd) imports barenet.nn.Module (nn, a higher layer)"]

