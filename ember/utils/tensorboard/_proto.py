"""Protocol-buffer encoding of the few TensorBoard messages a SummaryWriter writes, by hand.

Wire format: each field is a key ``(field_number << 3) | wire_type`` as a varint, then the
value: wire type 0 a varint (ints, bools, enums; negative ints as 10-byte two's complement),
1 a little-endian 64-bit double, 5 a 32-bit float, 2 a length-delimited byte string (strings,
bytes, sub-messages, packed repeated numbers). Builders return the encoded message as bytes;
fields left as None are not written (proto3 treats them as defaults).

Field numbers are those of tensorboard/compat/proto (event.proto, summary.proto, tensor.proto,
tensor_shape.proto, graph.proto, node_def.proto, attr_value.proto) and of the hparams plugin's
api.proto / plugin_data.proto (google.protobuf.Value for its values).
"""
import struct

import numpy as np

# tensorflow DataType enum values used here
DT_FLOAT, DT_DOUBLE, DT_INT32, DT_STRING, DT_INT64, DT_BOOL = 1, 2, 3, 7, 9, 10


def varint(n):
    n = int(n)
    if n < 0:
        n += 1 << 64
    out = bytearray()
    while n > 0x7F:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def _key(field, wire):
    return varint((field << 3) | wire)


def f_varint(field, v):
    return b"" if v is None else _key(field, 0) + varint(v)


def f_bool(field, v):
    return b"" if v is None else _key(field, 0) + (b"\x01" if v else b"\x00")


def f_double(field, v):
    return b"" if v is None else _key(field, 1) + struct.pack("<d", float(v))


def f_float(field, v):
    return b"" if v is None else _key(field, 5) + struct.pack("<f", float(v))


def f_bytes(field, v):
    if v is None:
        return b""
    if isinstance(v, str):
        v = v.encode("utf-8")
    return _key(field, 2) + varint(len(v)) + bytes(v)


f_str = f_msg = f_bytes


def f_repeated(field, items):
    """A repeated string/bytes/message field: one key-value pair per item."""
    return b"".join(f_bytes(field, x) for x in items)


def f_packed_doubles(field, values):
    return f_bytes(field, np.asarray(values, dtype="<f8").tobytes())


def f_packed_floats(field, values):
    return f_bytes(field, np.asarray(values, dtype="<f4").tobytes())


def f_packed_varints(field, values):
    return f_bytes(field, b"".join(varint(v) for v in values))


# ---------------------------------------------------------------- event.proto
SESSION_START = 1


def event(wall_time, step=None, file_version=None, graph_def=None, summary=None, session_log=None):
    """Event{wall_time=1 double, step=2 int64, file_version=3, graph_def=4 bytes, summary=5,
    session_log=7}."""
    return (f_double(1, wall_time) + (f_varint(2, step) if step else b"") + f_str(3, file_version)
            + f_bytes(4, graph_def) + f_msg(5, summary) + f_msg(7, session_log))


def session_log(status, checkpoint_path=None, msg=None):
    """SessionLog{status=1 enum (START=1, STOP=2, CHECKPOINT=3), checkpoint_path=2, msg=3}."""
    return f_varint(1, status) + f_str(2, checkpoint_path) + f_str(3, msg)


# ---------------------------------------------------------------- summary.proto
def summary(*values):
    """Summary{repeated Value value=1}."""
    return f_repeated(1, values)


def summary_value(tag, simple_value=None, image=None, histo=None, tensor=None, metadata=None):
    """Summary.Value{tag=1, simple_value=2 float, image=4, histo=5, tensor=8, metadata=9}."""
    return (f_str(1, tag) + f_float(2, simple_value) + f_msg(4, image) + f_msg(5, histo)
            + f_msg(8, tensor) + f_msg(9, metadata))


def summary_metadata(plugin_name=None, content=None, display_name=None, description=None, data_class=None):
    """SummaryMetadata{plugin_data=1 {plugin_name=1, content=2}, display_name=2,
    summary_description=3, data_class=4 enum}."""
    plugin = None if plugin_name is None else f_str(1, plugin_name) + f_bytes(2, content or None)
    return (f_msg(1, plugin) + f_str(2, display_name) + f_str(3, description)
            + f_varint(4, data_class))


def histogram(min, max, num, sum, sum_squares, bucket_limit, bucket):  # noqa: A002 - proto field names
    """HistogramProto{min=1, max=2, num=3, sum=4, sum_squares=5 doubles, bucket_limit=6 and
    bucket=7 packed doubles}; bucket i counts values in (bucket_limit[i-1], bucket_limit[i]]."""
    return (f_double(1, min) + f_double(2, max) + f_double(3, num) + f_double(4, sum)
            + f_double(5, sum_squares) + f_packed_doubles(6, bucket_limit) + f_packed_doubles(7, bucket))


def image(height, width, colorspace, encoded):
    """Summary.Image{height=1, width=2, colorspace=3 int32, encoded_image_string=4 bytes}."""
    return f_varint(1, height) + f_varint(2, width) + f_varint(3, colorspace) + f_bytes(4, encoded)


# ---------------------------------------------------------------- tensor.proto
def tensor_shape(dims):
    """TensorShapeProto{repeated Dim dim=2 {size=1 int64}}."""
    return f_repeated(2, [f_varint(1, d) if d else b"" for d in dims])


def tensor(dtype, shape, string_val=None, float_val=None, double_val=None, int64_val=None):
    """TensorProto{dtype=1 enum, tensor_shape=2, float_val=5, double_val=6, string_val=8,
    int64_val=10}."""
    out = f_varint(1, dtype) + f_msg(2, tensor_shape(shape))
    if float_val is not None:
        out += f_packed_floats(5, float_val)
    if double_val is not None:
        out += f_packed_doubles(6, double_val)
    if string_val is not None:
        out += f_repeated(8, [s.encode("utf-8") if isinstance(s, str) else s for s in string_val])
    if int64_val is not None:
        out += f_packed_varints(10, int64_val)
    return out


# ---------------------------------------------------------------- graph.proto (a GraphDef)
def attr_value(s=None, i=None, f=None, b=None, shape=None):
    """AttrValue{s=2 bytes, i=3 int64, f=4 float, b=5 bool, shape=7}."""
    return f_bytes(2, s) + f_varint(3, i) + f_float(4, f) + f_bool(5, b) + f_msg(7, shape)


def node_def(name, op, inputs=(), device=None, attrs=None):
    """NodeDef{name=1, op=2, repeated input=3, device=4, map<string, AttrValue> attr=5}."""
    out = f_str(1, name) + f_str(2, op) + f_repeated(3, list(inputs)) + f_str(4, device)
    for k, v in (attrs or {}).items():
        out += f_msg(5, f_str(1, k) + f_msg(2, v))
    return out


def graph_def(nodes, producer=22):
    """GraphDef{repeated NodeDef node=1, versions=4 {producer=1}}."""
    return f_repeated(1, nodes) + f_msg(4, f_varint(1, producer))


# ---------------------------------------------------------------- hparams plugin
DATA_TYPE_STRING, DATA_TYPE_BOOL, DATA_TYPE_FLOAT64 = 1, 2, 3
STATUS_SUCCESS = 1


def pb_value(v):
    """google.protobuf.Value{number_value=2 double, string_value=3, bool_value=4}."""
    if isinstance(v, bool):
        return _key(4, 0) + (b"\x01" if v else b"\x00")
    if isinstance(v, str):
        return _key(3, 2) + varint(len(v.encode("utf-8"))) + v.encode("utf-8")
    return f_double(2, v)


def list_value(values):
    """google.protobuf.ListValue{repeated Value values=1}."""
    return f_repeated(1, [pb_value(v) for v in values])


def hparam_info(name, dtype, domain_discrete=None):
    """HParamInfo{name=1, type=4 enum, domain_discrete=5 ListValue}."""
    return f_str(1, name) + f_varint(4, dtype) + (b"" if domain_discrete is None
                                                  else f_msg(5, list_value(domain_discrete)))


def metric_info(tag, group=None):
    """MetricInfo{name=1 MetricName{group=1, tag=2}}."""
    return f_msg(1, f_str(1, group) + f_str(2, tag))


def experiment(hparam_infos, metric_infos, time_created_secs=None):
    """Experiment{time_created_secs=3, repeated hparam_infos=4, repeated metric_infos=5}."""
    return f_double(3, time_created_secs) + f_repeated(4, hparam_infos) + f_repeated(5, metric_infos)


def session_start_info(hparams, group_name=None, start_time_secs=None):
    """SessionStartInfo{map<string, Value> hparams=1, group_name=4, start_time_secs=5}."""
    out = b"".join(f_msg(1, f_str(1, k) + f_msg(2, pb_value(v))) for k, v in hparams.items())
    return out + f_str(4, group_name) + f_double(5, start_time_secs)


def session_end_info(status, end_time_secs=None):
    """SessionEndInfo{status=1 enum, end_time_secs=2}."""
    return f_varint(1, status) + f_double(2, end_time_secs)


def hparams_plugin_data(experiment=None, session_start_info=None, session_end_info=None, version=0):
    """HParamsPluginData{version=1, experiment=2, session_start_info=3, session_end_info=4}."""
    return (f_varint(1, version or None) + f_msg(2, experiment) + f_msg(3, session_start_info)
            + f_msg(4, session_end_info))
