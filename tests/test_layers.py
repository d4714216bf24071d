"""ember's layers import only downward: the contract of DESIGN.md, read from the source.

Every ``import`` and ``from ... import`` in ``ember/`` (at module level or inside a function: a
lazy import is still a dependency) is mapped to the top-level unit it names (``ember.ops``,
``ember.nn``, ``ember._tensor`` ...). A unit may import units of its own layer or below. The core
is one layer with a deliberate knot: Tensor's methods are ops, ops' backwards are written in
Tensors, and autograd drives both. A unit this table does not list sits at the top (it may import
anything; nothing listed may import it).
"""
import ast
import pathlib

ROOT = pathlib.Path(__file__).resolve().parent.parent / "ember"

LAYERS = [
    # 0: no ember imports beyond each other
    {"_dtype", "_device", "_flags", "_threads", "_alloc", "_printing", "backends", "_layout",
     "_avx_mathfun"},
    # 1: the core knot
    {"_tensor", "_arrays", "autograd", "ops", "_random", "_sampling", "_subclass", "_alias", "_C"},
    # 2: public facades and tools over the core
    {"_creation", "_legacy", "amp", "linalg", "fft", "special", "testing", "onnx", "optim",
     "metrics", "sparse", "random", "cuda", "distributed"},
    # 3
    {"nn"},
    # 4: built on nn
    {"utils", "distributions", "_serialize", "serialization", "hub"},
    # 5
    {"vision"},
    # 6: training and the entry points
    {"train", "lightning", "multiprocessing", "accelerator", "demo", "run", "__main__", "__init__",
     "_config", "collect_env", "compiler", "_compile"},
]

# Known exceptions, each with its reason (remove the line when the reason goes away).
ALLOWED = {
    ("ops", "_creation"): "ops/fill.py's bernoulli_/multinomial call the samplers in _creation",
    ("_tensor", "sparse"): "Tensor.to_sparse() makes a sparse tensor (a lazy import)",
}

RANK = {unit: i for i, layer in enumerate(LAYERS) for unit in layer}


def _unit_of(path):
    rel = path.relative_to(ROOT).with_suffix("")
    return rel.parts[0]


def _module_of(path):
    rel = path.relative_to(ROOT).with_suffix("")
    parts = ("ember",) + rel.parts
    return parts[:-1] if parts[-1] == "__init__" else parts, parts[-1] == "__init__"


def _imported_units(path):
    """(lineno, unit) for every ember unit the file at ``path`` imports."""
    mod, is_pkg = _module_of(path)
    package = mod if is_pkg else mod[:-1]
    out = []
    for node in ast.walk(ast.parse(path.read_text())):
        targets = []
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[:len(package) - (node.level - 1)]
                name = base + tuple(node.module.split(".")) if node.module else base
            elif node.module and node.module.split(".")[0] == "ember":
                name = tuple(node.module.split("."))
            else:
                continue
            if len(name) >= 2:
                targets.append(name[1])
            else:   # from ember import x / from . import x (at the top): x is the unit
                targets.extend(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.Import):
            targets = [a.name.split(".")[1] for a in node.names
                       if a.name.startswith("ember.")]
        for t in targets:
            if (ROOT / t).is_dir() or (ROOT / f"{t}.py").exists():
                out.append((node.lineno, t))
    return out


def _violations():
    top = len(LAYERS)
    found = []
    for path in sorted(ROOT.rglob("*.py")):
        unit = _unit_of(path)
        rank = RANK.get(unit, top)
        for lineno, dep in _imported_units(path):
            if dep == unit or (unit, dep) in ALLOWED:
                continue
            if RANK.get(dep, top) > rank:
                found.append(f"{path.relative_to(ROOT.parent)}:{lineno}: {unit} (layer {rank}) "
                             f"imports {dep} (layer {RANK.get(dep, top)})")
    return found


def test_every_import_points_down():
    bad = _violations()
    assert not bad, "upward imports (see tests/test_layers.py's LAYERS):\n" + "\n".join(bad)


def test_the_core_does_not_import_the_facades():
    # ops, autograd and the Tensor sit below ember.linalg / ember.fft, which are facades over them
    for unit in ("ops", "autograd", "_tensor", "_arrays"):
        paths = [ROOT / f"{unit}.py"] if (ROOT / f"{unit}.py").exists() else \
            sorted((ROOT / unit).rglob("*.py"))
        for path in paths:
            deps = {d for _, d in _imported_units(path)}
            assert not deps & {"linalg", "fft", "special", "nn"}, (path, deps)


def test_the_checker_sees_lazy_and_relative_imports(tmp_path, monkeypatch):
    # a function-level ``from .. import linalg`` inside ops is an upward import
    pkg = tmp_path / "ember"
    (pkg / "ops").mkdir(parents=True)
    (pkg / "linalg.py").write_text("")
    (pkg / "ops" / "__init__.py").write_text("")
    (pkg / "ops" / "x.py").write_text("def f():\n    from .. import linalg\n")
    monkeypatch.setattr(__import__(__name__), "ROOT", pkg)
    assert _imported_units(pkg / "ops" / "x.py") == [(2, "linalg")]
    assert len(_violations()) == 1
