"""SummaryWriter: TensorBoard event files, written without TensorFlow, protobuf or tensorboard.

An event file ``events.out.tfevents.<time>.<host>.<pid>.<n><suffix>`` is a sequence of TFRecords
(_record.py), each holding one encoded ``Event`` (_proto.py); the first one carries
``file_version = "brain.Event:2"``. Events go to a buffered file at once and reach the disk every
``max_queue`` events, every ``flush_secs`` seconds (a daemon thread checks), on ``flush()`` and
``close()``, and when the interpreter exits.
"""
import atexit
import itertools
import os
import socket
import threading
import time
import weakref
from datetime import datetime

import numpy as np

from . import _proto as pb
from . import _summary as S
from ._record import frame

__all__ = ["SummaryWriter", "FileWriter"]

_uid = itertools.count()
_open_writers = weakref.WeakSet()
_flusher = None
_flusher_lock = threading.Lock()


def _flush_loop():
    while True:
        time.sleep(1.0)
        now = time.time()
        for w in list(_open_writers):
            if w._pending and now - w._last_flush >= w._flush_secs:
                w.flush()


def _start_flusher():
    global _flusher
    with _flusher_lock:
        if _flusher is None:
            _flusher = threading.Thread(target=_flush_loop, name="ember-tensorboard-flush", daemon=True)
            _flusher.start()


@atexit.register
def _flush_all():
    for w in list(_open_writers):
        try:
            w.flush()
        except (OSError, ValueError):
            pass


class FileWriter:
    """Writes Events to one event file in `log_dir` (torch's FileWriter: the low-level writer
    behind a SummaryWriter)."""

    def __init__(self, log_dir, max_queue=10, flush_secs=120, filename_suffix=""):
        self._log_dir = str(log_dir)
        self._max_queue, self._flush_secs, self._suffix = max_queue, flush_secs, filename_suffix
        self._lock = threading.Lock()
        self._file = None
        self._open()

    def _open(self):
        os.makedirs(self._log_dir, exist_ok=True)
        name = (f"events.out.tfevents.{int(time.time()):010d}.{socket.gethostname()}.{os.getpid()}."
                f"{next(_uid)}{self._suffix}")
        self._path = os.path.join(self._log_dir, name)
        self._file = open(self._path, "wb")
        self._pending, self._last_flush = 0, time.time()
        self.add_event(pb.event(time.time(), file_version="brain.Event:2"))
        self.flush()
        _open_writers.add(self)
        _start_flusher()

    def get_logdir(self):
        return self._log_dir

    @property
    def path(self):
        """The event file's path."""
        return self._path

    def add_event(self, event):
        """Append one encoded Event (bytes)."""
        record = frame(event)
        with self._lock:
            if self._file is None:
                raise ValueError("add_event on a closed FileWriter")
            self._file.write(record)
            self._pending += 1
            due = self._pending >= self._max_queue or time.time() - self._last_flush >= self._flush_secs
        if due:
            self.flush()

    def add_summary(self, summary, global_step=None, walltime=None):
        """Wrap an encoded Summary in an Event at `global_step` and append it."""
        self.add_event(pb.event(time.time() if walltime is None else walltime,
                                step=None if global_step is None else int(global_step), summary=summary))

    def add_graph(self, graph_def, walltime=None):
        self.add_event(pb.event(time.time() if walltime is None else walltime, graph_def=graph_def))

    def flush(self):
        with self._lock:
            if self._file is not None:
                self._file.flush()
            self._pending, self._last_flush = 0, time.time()

    def close(self):
        with self._lock:
            if self._file is not None:
                self._file.flush()
                self._file.close()
                self._file = None
        _open_writers.discard(self)

    def reopen(self):
        """Start a new event file after ``close``."""
        if self._file is None:
            self._open()

    @property
    def closed(self):
        return self._file is None

    def __del__(self):
        try:
            self.close()
        except Exception:       # interpreter shutdown: nothing left to report to
            pass


class SummaryWriter:
    """Writes TensorBoard logs, as ``torch.utils.tensorboard.SummaryWriter``.

    `log_dir` defaults to ``runs/<Mon-DD_HH-MM-SS>_<host><comment>``; `purge_step` makes
    TensorBoard drop events at or after that step left by a crashed earlier run; the file name
    ends with `filename_suffix`. Values may be Python numbers, NumPy arrays or ember Tensors
    (on any device, requiring grad or not).
    """

    def __init__(self, log_dir=None, comment="", purge_step=None, max_queue=10, flush_secs=120,
                 filename_suffix=""):
        if not log_dir:
            stamp = datetime.now().strftime("%b%d_%H-%M-%S")
            log_dir = os.path.join("runs", stamp + "_" + socket.gethostname() + comment)
        self.log_dir = str(log_dir)
        self.purge_step, self.max_queue = purge_step, max_queue
        self.flush_secs, self.filename_suffix = flush_secs, filename_suffix
        self.file_writer = None
        self.all_writers = {}
        self._get_file_writer()

    def _get_file_writer(self):
        """The main FileWriter, (re)opened when closed."""
        if self.file_writer is None or self.file_writer.closed:
            self.file_writer = FileWriter(self.log_dir, self.max_queue, self.flush_secs, self.filename_suffix)
            self.all_writers = {self.log_dir: self.file_writer}
            if self.purge_step is not None:
                step, self.purge_step = self.purge_step, None
                self.file_writer.add_event(pb.event(time.time(), step=step,
                                                    session_log=pb.session_log(pb.SESSION_START)))
        return self.file_writer

    def get_logdir(self):
        return self.log_dir

    def _summary(self, summary, global_step, walltime):
        self._get_file_writer().add_summary(summary, global_step, walltime)

    # ---------------------------------------------------------------- scalars
    def add_scalar(self, tag, scalar_value, global_step=None, walltime=None, new_style=False,
                   double_precision=False):
        """One scalar value. ``new_style`` writes it as a tensor (TensorBoard's newer layout)."""
        self._summary(S.scalar(tag, scalar_value, new_style, double_precision), global_step, walltime)

    def add_scalars(self, main_tag, tag_scalar_dict, global_step=None, walltime=None):
        """Several scalars on one chart: each goes to its own run directory
        ``<log_dir>/<main_tag>_<tag>`` under the tag `main_tag`."""
        walltime = time.time() if walltime is None else walltime
        base = self._get_file_writer().get_logdir()
        for tag, value in tag_scalar_dict.items():
            path = base + "/" + main_tag.replace("/", "_") + "_" + tag
            fw = self.all_writers.get(path)
            if fw is None or fw.closed:
                fw = self.all_writers[path] = FileWriter(path, self.max_queue, self.flush_secs,
                                                         self.filename_suffix)
            fw.add_summary(S.scalar(main_tag, value), global_step, walltime)

    # ---------------------------------------------------------------- histograms
    def add_histogram(self, tag, values, global_step=None, bins="tensorflow", walltime=None, max_bins=None):
        """A histogram of `values`. `bins`: 'tensorflow' (TensorFlow's exponential buckets), or
        anything ``numpy.histogram`` takes (an int, 'auto', 'fd', …, or the edges)."""
        self._summary(S.histogram(tag, values, bins, max_bins), global_step, walltime)

    def add_histogram_raw(self, tag, min, max, num, sum, sum_squares, bucket_limits, bucket_counts,  # noqa: A002
                          global_step=None, walltime=None):
        """A histogram from its statistics; bucket i counts values in (limit[i-1], limit[i]]."""
        self._summary(S.histogram_raw(tag, min, max, num, sum, sum_squares, bucket_limits, bucket_counts),
                      global_step, walltime)

    # ---------------------------------------------------------------- text, images, figures
    def add_text(self, tag, text_string, global_step=None, walltime=None):
        """Text (markdown) under ``<tag>/text_summary``."""
        self._summary(S.text(tag, text_string), global_step, walltime)

    def add_image(self, tag, img_tensor, global_step=None, walltime=None, dataformats="CHW"):
        """An image: uint8 in [0, 255] or float in [0, 1], laid out as `dataformats`."""
        self._summary(S.image(tag, img_tensor, dataformats), global_step, walltime)

    def add_images(self, tag, img_tensor, global_step=None, walltime=None, dataformats="NCHW"):
        """A batch of images, tiled into one grid image."""
        self._summary(S.image(tag, img_tensor, dataformats), global_step, walltime)

    def add_figure(self, tag, figure, global_step=None, close=True, walltime=None):
        """A matplotlib figure (or a list of them, tiled), rendered with Agg."""
        if isinstance(figure, (list, tuple)):
            imgs = np.stack([S.figure_to_array(f, close) for f in figure])
            self.add_images(tag, imgs, global_step, walltime, dataformats="NHWC")
        else:
            self.add_image(tag, S.figure_to_array(figure, close), global_step, walltime, dataformats="HWC")

    # ---------------------------------------------------------------- hparams, graph
    def add_hparams(self, hparam_dict, metric_dict, hparam_domain_discrete=None, run_name=None,
                    global_step=None):
        """Hyperparameters and their metrics for TensorBoard's HPARAMS tab, in a run directory
        ``<log_dir>/<run_name>`` (default: the current time)."""
        if type(hparam_dict) is not dict or type(metric_dict) is not dict:
            raise TypeError("hparam_dict and metric_dict should be dictionary.")
        exp, ssi, sei = S.hparams(hparam_dict, metric_dict, hparam_domain_discrete)
        run_name = run_name or str(time.time())
        with SummaryWriter(log_dir=os.path.join(self._get_file_writer().get_logdir(), run_name)) as w:
            for s in (exp, ssi, sei):
                w.file_writer.add_summary(s, global_step)
            for k, v in metric_dict.items():
                w.add_scalar(k, v, global_step)

    def add_graph(self, model, input_to_model=None, verbose=False, use_strict_trace=True):
        """The module graph of `model` run on `input_to_model` (a tensor or a tuple of them): one
        node per leaf-module call, edges through the autograd graph (functional ops in between
        do not get nodes of their own)."""
        if input_to_model is None:
            raise ValueError("add_graph needs input_to_model to run the model once")
        self._get_file_writer().add_graph(S.module_graph(model, input_to_model))

    # ---------------------------------------------------------------- lifetime
    def flush(self):
        for w in self.all_writers.values():
            if not w.closed:
                w.flush()

    def close(self):
        for w in self.all_writers.values():
            w.close()
        self.all_writers = {}

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc_val, exc_tb):
        self.close()

    def __repr__(self):
        return f"SummaryWriter(log_dir={self.log_dir!r})"
