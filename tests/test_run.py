"""``ember run script.py`` / ``python -m ember.run``: unmodified PyTorch scripts on ember."""
import json
import os
import subprocess
import sys
import textwrap

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _run(tmp_path, source, *args, entry=("-m", "ember", "run"), files=None, env=None):
    script = tmp_path / "script.py"
    script.write_text(textwrap.dedent(source))
    for name, text in (files or {}).items():
        (tmp_path / name).write_text(textwrap.dedent(text))
    environ = {**os.environ, "PYTHONPATH": ROOT, **(env or {})}
    return subprocess.run([sys.executable, *entry, str(script), *args], capture_output=True,
                          text=True, timeout=300, cwd=str(tmp_path / ".."), env=environ)


def test_main_semantics_argv_path_and_exit_status(tmp_path):
    out = _run(tmp_path, """
        import sys
        import helper
        print(__name__, sys.argv[1:], helper.VALUE, sys.argv[0].endswith("script.py"))
        if __name__ == "__main__":
            sys.exit(int(sys.argv[2]))
        """, "a", "3", files={"helper.py": "VALUE = 42\n"})
    assert out.stdout.split("\n")[0] == "__main__ ['a', '3'] 42 True", out.stderr
    assert out.returncode == 3


@pytest.mark.parametrize("entry", [("-m", "ember", "run"), ("-m", "ember.run")])
def test_torch_and_torchvision_imports_are_served_by_ember(tmp_path, entry):
    out = _run(tmp_path, """
        import torch
        import torch.nn as nn
        import torch.nn.functional as F
        from torch.utils.data import DataLoader, TensorDataset
        import torchvision
        from torchvision import transforms
        from torchvision.models import resnet18, ResNet18_Weights
        import torchmetrics
        import ember
        assert torch is ember and nn is ember.nn and F is ember.nn.functional
        assert torchvision is ember.vision and torchmetrics is ember.metrics
        torch.manual_seed(0)
        model = resnet18(weights=None, num_classes=4).eval()
        with torch.no_grad():
            y = model(torch.randn(2, 3, 32, 32))
        data = DataLoader(TensorDataset(torch.arange(6.)), batch_size=4)
        print(type(y).__module__, tuple(y.shape), [len(b[0]) for b in data])
        """, entry=entry)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ember._tensor (2, 4) [4, 2]"


def test_module_mode(tmp_path):
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "train.py").write_text("import sys, torch\nprint(__name__, sys.argv[1:], "
                                  "torch.__name__)\n")
    out = subprocess.run([sys.executable, "-m", "ember", "run", "-m", "pkg.train", "x"],
                         capture_output=True, text=True, timeout=300, cwd=str(tmp_path),
                         env={**os.environ, "PYTHONPATH": ROOT})
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "__main__ ['x'] ember"


MISSING = [
    ("import torch\ndef f():\n    return torch.jit.script(None)\nf()\n", "torch.jit"),
    ("import torch\ntorch.ones(2).renorm(2, 0, 1.0)\n", "torch.Tensor.renorm"),
    ("from torch.nn import LazyLinear\n", "torch.nn.LazyLinear"),
    ("import torch.fx\n", "torch.fx"),
    ("import torchvision.transforms.v2 as T\n", "torchvision.transforms.v2"),
    ("import torch.nn.functional as F\nF.no_such_function\n", "torch.nn.functional.no_such_function"),
]

# one process runs every script through ember.run.main (a process per script costs seconds)
DRIVER = """
import contextlib, io, json, sys
from ember.run import main
out = []
for path in sys.argv[1:]:
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        rc = main([path])
    out.append((rc, err.getvalue()))
print(json.dumps(out))
"""


def test_missing_api_is_named_as_pytorch_names_it(tmp_path):
    paths = []
    for i, (source, _) in enumerate(MISSING):
        path = tmp_path / f"script{i}.py"
        path.write_text(source)
        paths.append(str(path))
    out = subprocess.run([sys.executable, "-c", DRIVER, *paths], capture_output=True, text=True,
                         timeout=300, env={**os.environ, "PYTHONPATH": ROOT})
    assert out.returncode == 0, out.stderr
    for (rc, err), (_, api), path in zip(json.loads(out.stdout), MISSING, paths):
        assert rc == 1, (api, err)
        assert f"ember run: the script uses {api}, which ember does not provide" in err, err
        assert os.path.basename(path) in err          # where the script asked for it
        assert "ember/" not in err.split("ember run:")[0]   # no ember-internal frames


def test_full_traceback_on_request(tmp_path):
    full = _run(tmp_path, "import torch\ntorch.ones(2).renorm(2, 0, 1.0)\n",
                env={"EMBER_RUN_TRACEBACK": "1"})
    assert "Traceback (most recent call last)" in full.stderr
    assert "AttributeError: 'Tensor' object has no attribute 'renorm'" in full.stderr


def test_other_errors_keep_their_traceback(tmp_path):
    out = _run(tmp_path, "import torch\nraise ValueError('from the script')\n")
    assert out.returncode == 1
    assert "Traceback (most recent call last)" in out.stderr
    assert "ValueError: from the script" in out.stderr


def test_lightning_names_map_to_ember_lightning(tmp_path):
    out = _run(tmp_path, """
        import importlib, sys
        names = []
        for alias in ("pytorch_lightning", "lightning.pytorch", "lightning"):
            try:
                names.append(importlib.import_module(alias).__name__)
            except ImportError as e:
                names.append(str(e))
        print(names)
        """)
    assert out.returncode == 0, out.stderr
    names = eval(out.stdout.strip())
    for alias, got in zip(("pytorch_lightning", "lightning.pytorch", "lightning"), names):
        # ember.lightning is built by another change: until then the message names the gap
        assert got == "ember.lightning" or (got.startswith("ember does not provide ") and
                                            got.endswith("(it would be ember.lightning)")), alias


def test_usage_and_missing_file(tmp_path):
    out = subprocess.run([sys.executable, "-m", "ember", "run", "--help"], capture_output=True,
                         text=True, env={**os.environ, "PYTHONPATH": ROOT}, timeout=120)
    assert out.returncode == 0 and "usage: ember run" in out.stdout
    out = subprocess.run([sys.executable, "-m", "ember", "run", str(tmp_path / "nope.py")],
                         capture_output=True, text=True, env={**os.environ, "PYTHONPATH": ROOT},
                         timeout=120)
    assert out.returncode == 2 and "can't open file" in out.stderr
