"""``ember run script.py [args …]`` (also ``python -m ember.run``): run an unmodified PyTorch
script on ember.

An import hook serves PyTorch's packages from ember's: ``torch`` → ``ember``, ``torchvision`` →
``ember.vision``, ``torchmetrics`` → ``ember.metrics``, ``pytorch_lightning`` /
``lightning.pytorch`` / ``lightning`` → ``ember.lightning``, each with its submodules
(``torch.nn.functional`` is ``ember.nn.functional``, the same module object). The script then
runs as ``python script.py args`` would run it: as ``__main__``, with ``sys.argv`` =
``[script, args…]`` and the script's folder first on ``sys.path``; ``-m module`` runs a module
instead. When the script reaches for a PyTorch API ember lacks (an import, a module attribute,
a Tensor method), ember says which one, as PyTorch names it, and where the script asked for
it, instead of an ember-internal traceback.

Processes started with the ``spawn`` method do not inherit the hook (``fork``, Linux's default
for DataLoader workers, does).
"""
import importlib
import importlib.abc
import importlib.util
import os
import re
import runpy
import sys
import traceback

__all__ = ["ALIASES", "install", "uninstall", "main", "torch_name"]

# PyTorch's package names → ember's, longest prefix first where they nest
ALIASES = {
    "lightning.pytorch": "ember.lightning",
    "lightning": "ember.lightning",
    "pytorch_lightning": "ember.lightning",
    "torchmetrics": "ember.metrics",
    "torchvision": "ember.vision",
    "torch": "ember",
}
_ORDER = sorted(ALIASES, key=len, reverse=True)


class MissingAPIError(ModuleNotFoundError):
    """A PyTorch module the script imports that ember does not provide."""


class _AliasLoader(importlib.abc.Loader):
    def __init__(self, module):
        self.module = module

    def create_module(self, spec):
        return self.module     # the ember module itself: torch.nn is ember.nn

    def exec_module(self, module):
        pass


class AliasFinder(importlib.abc.MetaPathFinder):
    """Serves ``torch.*`` (and the other names of :data:`ALIASES`) from ember's modules."""

    def __init__(self):
        self.used = {}     # ember module name → the PyTorch name the script used first

    @staticmethod
    def target(fullname):
        for alias in _ORDER:
            if fullname == alias or fullname.startswith(alias + "."):
                return ALIASES[alias] + fullname[len(alias):]
        return None

    def find_spec(self, fullname, path=None, target=None):
        name = self.target(fullname)
        if name is None:
            return None
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as e:
            if e.name is not None and not name.startswith(e.name) and \
                    not e.name.startswith(name.split(".")[0]):
                raise              # a real dependency of ember is missing: say so as is
            raise MissingAPIError(f"ember does not provide {fullname} (it would be {name})",
                                  name=fullname) from None
        self.used.setdefault(module.__name__, fullname)
        return importlib.util.spec_from_loader(fullname, _AliasLoader(module),
                                               is_package=hasattr(module, "__path__"))


_finder = None


def install():
    """Put the alias hook first on ``sys.meta_path`` (idempotent); returns it."""
    global _finder
    if _finder is None:
        _finder = AliasFinder()
    if _finder not in sys.meta_path:
        sys.meta_path.insert(0, _finder)
    return _finder


def uninstall():
    """Remove the hook and the aliased entries it put in ``sys.modules``."""
    if _finder is None:
        return
    if _finder in sys.meta_path:
        sys.meta_path.remove(_finder)
    for name in [n for n in sys.modules if AliasFinder.target(n) is not None]:
        if getattr(sys.modules[name], "__name__", name) != name:
            del sys.modules[name]


def torch_name(ember_name):
    """``ember.nn.functional`` → ``torch.nn.functional`` (by the names the script used)."""
    if _finder is not None:
        for real, alias in _finder.used.items():
            if ember_name == real:
                return alias
    for alias in _ORDER:
        real = ALIASES[alias]
        if ember_name == real or ember_name.startswith(real + "."):
            if alias == "lightning":
                continue
            return alias + ember_name[len(real):]
    return ember_name


_MODULE_ATTR = re.compile(r"module '([\w.]+)' has no attribute '(\w+)'")
_OBJECT_ATTR = re.compile(r"'(\w+)' object has no attribute '(\w+)'")
_TYPE_ATTR = re.compile(r"type object '(\w+)' has no attribute '(\w+)'")
_IMPORT_NAME = re.compile(r"cannot import name '(\w+)' from '([\w.]+)'")


def _class_path(cls_name):
    import ember
    for mod in ("", ".nn", ".optim", ".utils.data", ".distributions"):
        try:
            owner = importlib.import_module("ember" + mod)
        except ImportError:
            continue
        if isinstance(getattr(owner, cls_name, None), type):
            return torch_name("ember" + mod) + "." + cls_name
    del ember
    return None


def missing_api(exc):
    """The PyTorch API (``torch.jit.script``, ``torch.Tensor.renorm`` …) whose absence ``exc``
    reports, or None when ``exc`` is about something else."""
    msg = str(exc)
    if isinstance(exc, MissingAPIError):
        return exc.name
    if isinstance(exc, ImportError):
        m = _IMPORT_NAME.search(msg)
        if m and m.group(2).split(".")[0] == "ember":
            return f"{torch_name(m.group(2))}.{m.group(1)}"
        return None
    if isinstance(exc, AttributeError):
        m = _MODULE_ATTR.search(msg)
        if m and m.group(1).split(".")[0] == "ember":
            return f"{torch_name(m.group(1))}.{m.group(2)}"
        m = _OBJECT_ATTR.search(msg) or _TYPE_ATTR.search(msg)
        if m:
            owner = _class_path(m.group(1))
            if owner is not None:
                return f"{owner}.{m.group(2)}"
    return None


def _script_frames(tb):
    """The traceback entries outside ember and the import/run machinery: the user's code."""
    here = os.path.dirname(os.path.abspath(__file__))
    frames = traceback.extract_tb(tb)
    keep = [f for f in frames if not os.path.abspath(f.filename).startswith(here + os.sep)
            and "importlib" not in f.filename and not f.filename.startswith("<frozen")
            and not f.filename.endswith("runpy.py")]
    return keep or frames[-1:]


def _report(exc, api):
    frames = _script_frames(exc.__traceback__)
    lines = ["Traceback (the script's frames):\n"] + traceback.format_list(frames)
    lines.append(f"ember run: the script uses {api}, which ember does not provide "
                 f"({type(exc).__name__}: {exc}).\n")
    lines.append("ember implements PyTorch's API in part; set EMBER_RUN_TRACEBACK=1 for the "
                 "full traceback.\n")
    sys.stderr.write("".join(lines))


USAGE = ("usage: ember run [-m module | script.py] [args ...]\n\n"
         "Run a PyTorch script on ember: its torch, torchvision, torchmetrics and\n"
         "(pytorch_)lightning imports are served by ember's packages.")


def main(argv=None):
    """``ember run``: returns the script's exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(USAGE)
        return 0 if argv else 2
    install()
    as_module = argv[0] == "-m"
    if as_module:
        if len(argv) < 2:
            print(USAGE, file=sys.stderr)
            return 2
        target, args = argv[1], argv[2:]
    else:
        target, args = argv[0], argv[1:]
        if not os.path.exists(target):
            print(f"ember run: can't open file {target!r}: no such file", file=sys.stderr)
            return 2
    saved_argv, saved_path = sys.argv[:], sys.path[:]
    sys.argv = [target] + args
    sys.path.insert(0, os.getcwd() if as_module else os.path.dirname(os.path.abspath(target)))
    try:
        if as_module:
            runpy.run_module(target, run_name="__main__", alter_sys=True)
        else:
            runpy.run_path(target, run_name="__main__")
    except SystemExit as e:
        code = e.code
        if code is None or isinstance(code, int):
            return code or 0
        print(code, file=sys.stderr)
        return 1
    except (ImportError, AttributeError) as e:
        api = missing_api(e)
        if api is None or os.environ.get("EMBER_RUN_TRACEBACK"):
            raise
        _report(e, api)
        return 1
    finally:
        sys.argv, sys.path[:] = saved_argv, saved_path
    return 0


if __name__ == "__main__":
    sys.exit(main())
