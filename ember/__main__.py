"""The ``ember`` command (and ``python -m ember``): ``ember demo [options]`` runs the demo
(see ``ember demo --help``); ``ember run script.py [args]`` runs a PyTorch script on ember."""
import sys

COMMANDS = {"demo": "train a small 1-D CNN on MNIST-1D (generated locally) and write its plots, logs "
                    "and checkpoint",
            "run": "run a PyTorch script on ember: ember run script.py [args ...]"}


def _usage():
    lines = ["usage: ember <command> [options]", "", "commands:"]
    lines += [f"  {name:<8}{text}" for name, text in COMMANDS.items()]
    lines += ["", "'ember <command> --help' describes a command's options."]
    return "\n".join(lines)


def main(argv=None):
    """Dispatch ``argv`` (default ``sys.argv[1:]``) to a subcommand; returns an exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help", "help"):
        print(_usage())
        return 0
    cmd, rest = argv[0], argv[1:]
    if cmd == "run":
        from .run import main as run_main
        return run_main(rest)
    if cmd == "demo":
        from .demo import main as demo_main
        demo_main(rest)
        return 0
    print(f"ember: unknown command {cmd!r}\n\n{_usage()}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
