"""PyTorch's repr of a COO tensor: ``tensor(indices=..., values=..., size=..., nnz=...,
layout=torch.sparse_coo)``, the suffixes starting on their own line."""
from .. import _dtype as D
from .._printing import _add_suffixes, _tensor_str


def _part(prefix, arr, indent):
    body = _tensor_str(arr, indent + len(prefix))
    if arr.size == 0:
        body += f", size={tuple(arr.shape)}"
    return prefix + body + ")"


def coo_repr(t):
    prefix, indent = "tensor(", len("tensor(")
    vals = t._vals
    text = prefix + _part("indices=tensor(", t._indices_arr, indent) + ",\n" + " " * indent + \
        _part("values=tensor(", vals._data, indent)
    suffixes = [f"size={tuple(t.shape)}", f"nnz={t._nnz()}"]
    default = D.get_default_dtype()
    if t.dtype not in (default, default.to_complex(), D.int64, D.bool):
        suffixes.append(f"dtype={t.dtype!r}")
    suffixes.append("layout=torch.sparse_coo")
    if vals.grad_fn is not None:
        # the node that made the values stands for the one PyTorch shows at the tensor
        suffixes.append(f"grad_fn=<{vals.grad_fn.name()}>")
    elif vals._rg:
        suffixes.append("requires_grad=True")
    # the first suffix always starts a new line (PyTorch's force_newline for sparse tensors)
    return _add_suffixes(text + ",\n" + " " * indent + suffixes[0], suffixes[1:], indent)
