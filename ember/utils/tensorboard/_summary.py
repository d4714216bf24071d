"""Summary builders: turn values (numbers, arrays, Tensors, images, figures, models) into
encoded ``Summary`` / ``GraphDef`` messages (bytes) for the writer."""
import struct
import time
import zlib

import numpy as np

from . import _proto as pb


def to_numpy(x):
    """A host NumPy array from an ember Tensor (any device, grad or not), a number or a list."""
    if isinstance(x, np.ndarray):
        return x
    if hasattr(x, "detach"):
        x = x.detach()
        if hasattr(x, "numpy"):
            try:
                return x.numpy(force=True)       # ember: copies from a GPU too
            except TypeError:
                return x.cpu().numpy()           # a torch tensor
    return np.asarray(x)


def scalar_value(value):
    a = to_numpy(value)
    if a.squeeze().ndim != 0:
        raise AssertionError("scalar should be 0D")
    return float(a.reshape(()))


# ---------------------------------------------------------------- scalars and text
def scalar(tag, value, new_style=False, double_precision=False):
    v = scalar_value(value)
    if not new_style:
        return pb.summary(pb.summary_value(tag, simple_value=v))
    t = (pb.tensor(pb.DT_DOUBLE, [], double_val=[v]) if double_precision
         else pb.tensor(pb.DT_FLOAT, [], float_val=[v]))
    return pb.summary(pb.summary_value(tag, tensor=t, metadata=pb.summary_metadata("scalars")))


def text(tag, text_string):
    t = pb.tensor(pb.DT_STRING, [1], string_val=[text_string])
    return pb.summary(pb.summary_value(tag + "/text_summary", tensor=t, metadata=pb.summary_metadata("text")))


# ---------------------------------------------------------------- histograms
_TF_BINS = None


def tensorflow_bins():
    """TensorFlow's default histogram edges: 0 and ±1e-12·1.1^k up to 1e20 (exponential buckets
    that resolve both tiny and huge values)."""
    global _TF_BINS
    if _TF_BINS is None:
        pos = np.multiply.accumulate(np.r_[1e-12, np.full(800, 1.1)])   # the same rounding as v *= 1.1
        pos = pos[pos < 1e20]
        _TF_BINS = np.concatenate([-pos[::-1], [0.0], pos])
    return _TF_BINS


def histogram_parts(values, bins, max_bins=None):
    """(min, max, num, sum, sum_squares, bucket_limit, bucket) of `values`.

    TensorBoard stores right bucket edges only, so the result is trimmed to the occupied range
    and starts with an empty bucket whose right edge is the occupied range's left edge."""
    v = to_numpy(values).astype(np.float64, copy=False).reshape(-1)
    if v.size == 0:
        raise ValueError("The input has no element.")
    counts, edges = np.histogram(v, bins=tensorflow_bins() if isinstance(bins, str) and bins == "tensorflow"
                                 else bins)
    if max_bins is not None and counts.size > max_bins:
        step = -(-counts.size // max_bins)                    # merge runs of `step` buckets
        pad = (-counts.size) % step
        counts = np.pad(counts, (0, pad)).reshape(-1, step).sum(1)
        edges = np.append(edges[:-1:step], edges[-1])
    occupied = np.flatnonzero(counts)
    if occupied.size == 0:
        raise ValueError("The histogram is empty: no value falls inside the bins.")
    lo, hi = occupied[0], occupied[-1]
    limits = edges[lo:hi + 2]
    counts = np.concatenate([[0], counts[lo:hi + 1]])
    return v.min(), v.max(), v.size, v.sum(), v.dot(v), limits, counts


def histogram(tag, values, bins, max_bins=None):
    return histogram_raw(tag, *histogram_parts(values, bins, max_bins))


def histogram_raw(tag, min, max, num, sum, sum_squares, bucket_limits, bucket_counts):  # noqa: A002
    if len(bucket_limits) != len(bucket_counts):
        raise ValueError("len(bucket_limits) != len(bucket_counts)")
    h = pb.histogram(min, max, num, sum, sum_squares, bucket_limits, bucket_counts)
    return pb.summary(pb.summary_value(tag, histo=h))


# ---------------------------------------------------------------- images
def png(img):
    """PNG bytes of an (H, W, C) uint8 array, C in 1 (grey), 3 (RGB), 4 (RGBA): IHDR, one
    deflated IDAT with filter 0 on every row, IEND."""
    h, w, c = img.shape
    colour = {1: 0, 3: 2, 4: 6}[c]

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = np.concatenate([np.zeros((h, 1), np.uint8), np.ascontiguousarray(img).reshape(h, w * c)], 1)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, colour, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows.tobytes(), 6)) + chunk(b"IEND", b""))


def to_hwc(a, dataformats):
    """An image array in layout `dataformats` ('CHW', 'HWC', 'HW', 'NCHW', …) as (H, W, C) with
    C 3 or 4; grey images are repeated into RGB and a batch (N) is tiled into a grid, as torch's
    SummaryWriter does."""
    fmt = dataformats.upper()
    if len(set(fmt)) != len(fmt) or a.ndim != len(fmt) or not set(fmt) <= set("NCHW") or \
            not {"H", "W"} <= set(fmt):
        raise ValueError(f"size of input tensor and input format are different. tensor shape: {a.shape}, "
                         f"input_format: {dataformats}")
    if "C" not in fmt:
        a, fmt = a[..., None], fmt + "C"
    if "N" in fmt:
        a, fmt = make_grid(a.transpose([fmt.index(ch) for ch in "NCHW"])), "CHW"
    a = a.transpose([fmt.index(ch) for ch in "HWC"])
    if a.shape[2] == 1:
        a = np.repeat(a, 3, axis=2)
    return a


def make_grid(imgs, ncols=8):
    """(N, C, H, W) images tiled into one (C, H·rows, W·cols) image, row by row."""
    n, c, h, w = imgs.shape
    if c == 1:
        imgs, c = np.repeat(imgs, 3, axis=1), 3
    cols = min(n, ncols)
    rows = -(-n // cols)
    canvas = np.zeros((c, rows * h, cols * w), imgs.dtype)
    for i in range(n):                          # a handful of images
        r, col = divmod(i, cols)
        canvas[:, r * h:(r + 1) * h, col * w:(col + 1) * w] = imgs[i]
    return canvas


def image(tag, img, dataformats="CHW"):
    a = to_hwc(to_numpy(img), dataformats)
    if a.dtype != np.uint8:                     # floats in [0, 1]
        a = (a.astype(np.float32) * 255).clip(0, 255).astype(np.uint8)
    h, w, c = a.shape
    return pb.summary(pb.summary_value(tag, image=pb.image(h, w, c, png(a))))


def figure_to_array(figure, close=True):
    """An (H, W, 4) uint8 RGBA rendering of a matplotlib figure (drawn with Agg)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    canvas = FigureCanvasAgg(figure)
    canvas.draw()
    a = np.asarray(canvas.buffer_rgba()).copy()
    if close:
        import matplotlib.pyplot as plt
        plt.close(figure)
    return a


# ---------------------------------------------------------------- hparams
def hparams(hparam_dict, metric_dict, hparam_domain_discrete=None):
    """The three summaries (experiment, session start, session end) of TensorBoard's hparams
    plugin for one run."""
    domains = hparam_domain_discrete or {}
    for k, vals in domains.items():
        if k not in hparam_dict or not isinstance(vals, list) or \
                not all(isinstance(d, type(hparam_dict[k])) for d in vals):
            raise TypeError("parameter: hparam_domain_discrete[{}] should be a list of same type as "
                            "hparam_dict[{}].".format(k, k))
    infos, values = [], {}
    for k, v in hparam_dict.items():
        if v is None:
            continue
        if isinstance(v, bool):
            kind = pb.DATA_TYPE_BOOL
        elif isinstance(v, (int, float)):
            kind = pb.DATA_TYPE_FLOAT64
        elif isinstance(v, str):
            kind = pb.DATA_TYPE_STRING
        elif hasattr(v, "shape") or isinstance(v, np.generic):
            v, kind = float(to_numpy(v).reshape(-1)[0]), pb.DATA_TYPE_FLOAT64
        else:
            raise ValueError("value should be one of int, float, str, bool, or torch.Tensor")
        values[k] = v
        infos.append(pb.hparam_info(k, kind, domains.get(k)))

    def wrap(tag, **plugin_data):
        meta = pb.summary_metadata("hparams", pb.hparams_plugin_data(**plugin_data))
        return pb.summary(pb.summary_value(tag, metadata=meta))

    exp = wrap("_hparams_/experiment",
               experiment=pb.experiment(infos, [pb.metric_info(k) for k in metric_dict]))
    ssi = wrap("_hparams_/session_start_info", session_start_info=pb.session_start_info(values))
    sei = wrap("_hparams_/session_end_info", session_end_info=pb.session_end_info(pb.STATUS_SUCCESS))
    return exp, ssi, sei


# ---------------------------------------------------------------- graphs
def module_graph(model, inputs):
    """A GraphDef of `model`'s leaf modules as they run on `inputs`: one node per module call
    (named by its place in the model, op = its class), inputs found by walking the autograd
    graph back from each call's inputs to the calls (or model inputs) that produced them, so
    functional ops between modules are bridged. Edges carry output shapes."""
    from ... import enable_grad
    from ...nn import Module

    if not isinstance(model, Module):
        raise TypeError(f"add_graph expects an nn.Module, got {type(model).__name__}")
    if not isinstance(inputs, (tuple, list)):
        inputs = (inputs,)
    root = type(model).__name__
    calls, producer = [], {}            # producer: id(grad_fn) or id(tensor) → node name
    in_names = []
    for i, x in enumerate(inputs):
        name = f"input/input.{i}"
        in_names.append((name, tuple(getattr(x, "shape", ()))))
        producer[id(x)] = name

    def tensors(obj):
        if hasattr(obj, "grad_fn") and hasattr(obj, "shape"):
            return [obj]
        if isinstance(obj, (tuple, list)):
            return [t for o in obj for t in tensors(o)]
        if isinstance(obj, dict):
            return [t for o in obj.values() for t in tensors(o)]
        return []

    def sources(t):
        # producers reached from tensor t: itself, else back through its grad_fn chain
        if id(t) in producer:
            return [producer[id(t)]]
        found, seen, todo = [], set(), [t.grad_fn]
        while todo:
            fn = todo.pop()
            if fn is None or id(fn) in seen:
                continue
            seen.add(id(fn))
            if id(fn) in producer:
                found.append(producer[id(fn)])
                continue
            todo.extend(f for f, _ in getattr(fn, "next_functions", ()))
        return found

    def hook_for(path, module):
        def hook(mod, args, output):
            name = f"{root}/{type(module).__name__}[{path}]" if path else root
            n = sum(1 for c in calls if c[0].split("#")[0] == name)
            name = name if n == 0 else f"{name}#{n}"
            ins = []
            for t in tensors(args):
                for s in sources(t):
                    if s not in ins:
                        ins.append(s)
            outs = tensors(output)
            for t in outs:
                producer[id(t)] = name
                if t.grad_fn is not None:
                    producer[id(t.grad_fn)] = name
            calls.append((name, type(module).__name__, ins, [tuple(t.shape) for t in outs], module))
        return hook

    leaves = [(p.replace(".", "/"), m) for p, m in model.named_modules()
              if not any(True for _ in m.children())]
    handles = [m.register_forward_hook(hook_for(p, m)) for p, m in leaves]
    try:
        with enable_grad():
            out = model(*inputs)
    finally:
        for h in handles:
            h.remove()

    nodes = [pb.node_def(n, "IO Node", attrs={"_output_shapes": _shapes_attr([s])}) for n, s in in_names]
    for name, op, ins, shapes, module in calls:
        attrs = {"_output_shapes": _shapes_attr(shapes)}
        rep = module.extra_repr() if hasattr(module, "extra_repr") else ""
        if rep:
            attrs["attr"] = pb.attr_value(s=rep.encode("utf-8"))
        nodes.append(pb.node_def(name, op, ins, attrs=attrs))
    outs = [s for t in tensors(out) for s in sources(t)]
    for i, s in enumerate(outs):
        nodes.append(pb.node_def(f"output/output.{i}", "IO Node", [s]))
    return pb.graph_def(nodes)


def _shapes_attr(shapes):
    # AttrValue{list=1 ListValue{shape=7 repeated TensorShapeProto}}
    return pb.f_msg(1, pb.f_repeated(7, [pb.tensor_shape(s) for s in shapes]))


def now():
    return time.time()
