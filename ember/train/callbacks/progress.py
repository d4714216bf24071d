"""ProgressCallback: tqdm bars (epochs, and batches with the live loss) and a results table,
one row per epoch. When the output is not a terminal, or tqdm is not installed, it prints only
the table: a header, then a single line per epoch."""
import math
import sys

import numpy as np

from ..engine import Callback

__all__ = ["ProgressCallback", "format_row"]


def _fmt(v):
    if isinstance(v, float):
        return "nan" if math.isnan(v) else f"{v:.6f}"
    if isinstance(v, np.ndarray):   # per-class results
        return np.array2string(v, precision=4, separator=",").replace(" ", "")
    return str(v)


def format_row(values, widths):
    return "  ".join(_fmt(v).ljust(w) for v, w in zip(values, widths)).rstrip()


def _tqdm():
    try:
        from tqdm.auto import tqdm
    except ImportError:   # tqdm is optional: fall back to the plain table
        return None
    return tqdm


class ProgressCallback(Callback):
    """Progress bars and the per-epoch results table of ``fit``.

    ``file`` is where to write (standard output, looked up at each fit, by default);
    ``bars`` forces bars on or off (default: on when ``file`` is a terminal and tqdm imports).
    During ``lr_find`` only the bars show."""

    order = 55

    def __init__(self, file=None, bars=None):
        self.file, self.bars = file, bars
        self._active, self.mbar, self.pbar = False, None, None

    def before_fit(self):
        self._close()
        self._out = self.file if self.file is not None else sys.stdout
        use_bars = self.bars
        if use_bars is None:
            isatty = getattr(self._out, "isatty", None)
            use_bars = bool(isatty and isatty())
        self._tqdm = _tqdm() if use_bars else None
        self._active, self._header = True, False
        self._table = not hasattr(self.learn, "lr_finder")   # the range test prints no table
        if self._tqdm is not None:
            self.mbar = self._tqdm(total=self.n_epoch, desc="epoch", file=self._out, leave=False,
                                   dynamic_ncols=True)

    def _open_bar(self, desc):
        if self._active and self._tqdm is not None:
            total = self.n_iter if self.n_iter else None
            self.pbar = self._tqdm(total=total, desc=desc, file=self._out, leave=False, dynamic_ncols=True)

    def before_train(self):
        self._open_bar("train")

    def before_validate(self):
        self._open_bar("valid")

    def after_batch(self):
        if self.pbar is None:
            return
        self.pbar.update(1)
        if self.training and self.learn.loss is not None:
            rec = getattr(self.learn, "recorder", None)
            loss = rec.losses[-1] if rec is not None and rec.losses else float(self.learn.loss)
            self.pbar.set_postfix_str(f"loss {loss:.4f}", refresh=False)

    def _close_bar(self):
        if self.pbar is not None:
            self.pbar.close()
            self.pbar = None

    def after_train(self):
        self._close_bar()

    def after_validate(self):
        self._close_bar()

    def _write(self, line):
        if self._tqdm is not None:
            self._tqdm.write(line, file=self._out)
        else:
            print(line, file=self._out, flush=True)

    def after_epoch(self):
        if not self._active:
            return
        rec = getattr(self.learn, "recorder", None)
        if self._table and rec is not None and rec.log:
            names, row = rec.metric_names, rec.log
            widths = [max(len(n), 9 if n != "epoch" else 5) for n in names]
            if not self._header:
                self._write(format_row(names, widths))
                self._header = True
            self._write(format_row(row, widths))
        if self.mbar is not None:
            self.mbar.update(1)

    def after_fit(self):
        self._close()

    def _close(self):
        self._close_bar()
        if self.mbar is not None:
            self.mbar.close()
            self.mbar = None
        self._active = False
