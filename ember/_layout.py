"""``torch.layout``: how a tensor's elements are stored (``strided``: a dense array;
``sparse_coo``: coordinates and values, ``ember.sparse``)."""

__all__ = ["layout", "strided", "sparse_coo"]


class layout:
    __slots__ = ("name",)

    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return f"torch.{self.name}"

    def __reduce__(self):
        return (_by_name, (self.name,))


def _by_name(name):
    return {"strided": strided, "sparse_coo": sparse_coo}[name]


strided = layout("strided")
sparse_coo = layout("sparse_coo")
