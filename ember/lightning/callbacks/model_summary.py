"""ModelSummary: the table of the module's layers printed when fit starts (Lightning's format)."""

import math

from .callback import Callback

_UNITS = [" ", "K", "M", "B", "T"]


def get_human_readable_count(number):
    """``123`` → ``'123  '``, ``1234`` → ``'1.2 K'``, ``2e6`` → ``'2.0 M'`` (Lightning's format)."""
    assert number >= 0
    digits = int(math.floor(math.log10(number)) + 1) if number > 0 else 1
    groups = min(int(math.ceil(digits / 3)), len(_UNITS))
    number = number * 10 ** (-3 * (groups - 1))
    index = groups - 1
    if index < 1 or number >= 100:
        return f"{int(number):,d} {_UNITS[index]}"
    return f"{number:,.1f} {_UNITS[index]}"


def summarize(module, max_depth=1):
    """The summary table as a string."""
    rows = []
    for name, m in module.named_modules():
        if not name or name.count(".") >= max_depth:
            continue
        rows.append(
            (
                name,
                type(m).__name__,
                sum(p.numel() for p in m.parameters()),
                "train" if m.training else "eval",
            )
        )
    params = list(module.parameters())
    total = sum(p.numel() for p in params)
    trainable = sum(p.numel() for p in params if p.requires_grad)
    subs = [m for n, m in module.named_modules() if n]
    modes = {"train": sum(1 for m in subs if m.training), "eval": sum(1 for m in subs if not m.training)}
    cols = [
        (" ", [str(i) for i in range(len(rows))]),
        ("Name", [r[0] for r in rows]),
        ("Type", [r[1] for r in rows]),
        ("Params", [get_human_readable_count(r[2]).rstrip() for r in rows]),
        ("Mode", [r[3] for r in rows]),
        ("FLOPs", ["0"] * len(rows)),
    ]
    widths = [max([len(h)] + [len(v) for v in vals]) for h, vals in cols]
    width = sum(widths) + 3 * (len(cols) + 1)
    lines = [" | ".join(f"{h:<{w}}" for (h, _), w in zip(cols, widths)), "-" * width]
    for i in range(len(rows)):
        lines.append(" | ".join(f"{vals[i]:<{w}}" for (_, vals), w in zip(cols, widths)))
    lines.append("-" * width)
    size = total * 4 / 1e6  # float32 bytes
    lines += [
        f"{get_human_readable_count(trainable):<10}Trainable params",
        f"{get_human_readable_count(total - trainable):<10}Non-trainable params",
        f"{get_human_readable_count(total):<10}Total params",
        f"{size:<10,.3f}Total estimated model params size (MB)",
        f"{modes['train']:<10}Modules in train mode",
        f"{modes['eval']:<10}Modules in eval mode",
        f"{get_human_readable_count(0):<10}Total Flops",
    ]
    return "\n".join(lines)


class ModelSummary(Callback):
    """Print the module's summary (layers down to ``max_depth``) when fit starts."""

    def __init__(self, max_depth=1, **summarize_kwargs):
        self._max_depth = max_depth

    def on_fit_start(self, trainer, pl_module):
        if self._max_depth == 0 or not trainer.is_global_zero:
            return
        print(summarize(pl_module, self._max_depth))
