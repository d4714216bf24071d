"""Download, checksum, extraction and safe unpickling for the dataset readers."""
import gzip
import hashlib
import importlib
import os
import pickle
import shutil
import tarfile
import tempfile
import urllib.error
import urllib.request
import zipfile

__all__ = ["calculate_md5", "check_md5", "check_integrity", "download_url", "extract_archive",
           "download_and_extract_archive", "restricted_load"]

USER_AGENT = "ember-vision"


def calculate_md5(fpath, chunk_size=1024 * 1024):
    md5 = hashlib.md5(usedforsecurity=False)
    with open(fpath, "rb") as f:
        while chunk := f.read(chunk_size):
            md5.update(chunk)
    return md5.hexdigest()


def check_md5(fpath, md5):
    return md5 == calculate_md5(fpath)


def check_integrity(fpath, md5=None):
    """The file exists and, when ``md5`` is given, has that MD5."""
    if not os.path.isfile(fpath):
        return False
    return md5 is None or check_md5(fpath, md5)


def download_url(url, root, filename=None, md5=None, timeout=60):
    """Fetch ``url`` into ``root/filename`` (atomically: a temp file renamed on success) and
    verify its MD5. A file already there with the right checksum is kept."""
    root = os.path.expanduser(os.fspath(root))
    filename = filename or os.path.basename(url)
    fpath = os.path.join(root, filename)
    os.makedirs(root, exist_ok=True)
    if check_integrity(fpath, md5):
        return fpath
    req = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    fd, tmp = tempfile.mkstemp(dir=root, prefix=f".{filename}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(req, timeout=timeout) as resp:
            shutil.copyfileobj(resp, out, 1024 * 1024)
        if md5 is not None:
            got = calculate_md5(tmp)
            if got != md5:
                raise RuntimeError(f"Checksum mismatch for {filename} downloaded from {url}: expected MD5 "
                                   f"{md5}, got {got}. The file is corrupted or the mirror changed; "
                                   "nothing was kept.")
        os.replace(tmp, fpath)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return fpath


def _safe_tar_extract(tar, to_path):
    if hasattr(tarfile, "data_filter"):
        tar.extractall(to_path, filter="data")  # refuses absolute paths, "..", device files
        return
    base = os.path.realpath(to_path)
    for m in tar.getmembers():
        dest = os.path.realpath(os.path.join(to_path, m.name))
        if not (dest == base or dest.startswith(base + os.sep)) or m.issym() or m.islnk() or m.isdev():
            raise RuntimeError(f"Refusing to extract {m.name!r}: it points outside {to_path}")
    tar.extractall(to_path)


def extract_archive(from_path, to_path=None, remove_finished=False):
    """Extract a .tar(.gz/.bz2/.xz), .tgz or .zip into ``to_path``, or decompress a single .gz
    file next to it. Returns the directory (archives) or the file (.gz) written."""
    from_path = os.fspath(from_path)
    to_path = os.path.dirname(from_path) if to_path is None else os.fspath(to_path)
    name = from_path.lower()
    if name.endswith((".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz", ".tar.xz", ".txz")):
        with tarfile.open(from_path, "r:*") as tar:
            _safe_tar_extract(tar, to_path)
        out = to_path
    elif name.endswith(".zip"):
        with zipfile.ZipFile(from_path) as z:
            for m in z.namelist():
                dest = os.path.realpath(os.path.join(to_path, m))
                if not dest.startswith(os.path.realpath(to_path)):
                    raise RuntimeError(f"Refusing to extract {m!r}: it points outside {to_path}")
            z.extractall(to_path)
        out = to_path
    elif name.endswith(".gz"):
        out = os.path.join(to_path, os.path.basename(from_path)[:-3])
        tmp = out + ".part"
        try:
            with gzip.open(from_path, "rb") as src, open(tmp, "wb") as dst:
                shutil.copyfileobj(src, dst, 1024 * 1024)
        except (OSError, EOFError) as e:
            if os.path.exists(tmp):
                os.remove(tmp)
            raise RuntimeError(f"Could not decompress {from_path}: {e}") from None
        os.replace(tmp, out)
    else:
        raise RuntimeError(f"Unsupported archive type: {from_path}")
    if remove_finished:
        os.remove(from_path)
    return out


def download_and_extract_archive(url, download_root, extract_root=None, filename=None, md5=None,
                                 remove_finished=False):
    download_root = os.path.expanduser(os.fspath(download_root))
    extract_root = download_root if extract_root is None else extract_root
    archive = download_url(url, download_root, filename, md5)
    return extract_archive(archive, extract_root, remove_finished)


def download_from_mirrors(mirrors, filename, md5, root, extract=True):
    """Try each mirror in turn; network failures move on to the next, a checksum mismatch stops."""
    errors = []
    for mirror in mirrors:
        url = f"{mirror}{filename}"
        try:
            if extract:
                return download_and_extract_archive(url, root, filename=filename, md5=md5)
            return download_url(url, root, filename, md5)
        except (urllib.error.URLError, OSError) as e:
            errors.append(f"Tried {url}, got:\n{e}")
    raise RuntimeError(f"Error downloading {filename}:\n" + "\n".join(errors))


# ---- restricted unpickling ----------------------------------------------------------------------
def _numpy_attr(modules, name):
    for m in modules:
        try:
            return getattr(importlib.import_module(m), name)
        except (ImportError, AttributeError):
            continue
    raise pickle.UnpicklingError(f"NumPy has no {name}")


_MULTIARRAY = ("numpy._core.multiarray", "numpy.core.multiarray")
_NUMERIC = ("numpy._core.numeric", "numpy.core.numeric")
# The globals a pickle of plain containers and NumPy arrays needs, and nothing else. Pickles
# written by NumPy 1 name numpy.core.*, NumPy 2 numpy._core.*; both resolve to the real module.
_ALLOWED = {
    ("numpy", "ndarray"): lambda: __import__("numpy").ndarray,
    ("numpy", "dtype"): lambda: __import__("numpy").dtype,
    ("_codecs", "encode"): lambda: __import__("_codecs").encode,  # bytes in protocol-2 pickles
}
for _m in _MULTIARRAY:
    _ALLOWED[(_m, "_reconstruct")] = lambda: _numpy_attr(_MULTIARRAY, "_reconstruct")
    _ALLOWED[(_m, "scalar")] = lambda: _numpy_attr(_MULTIARRAY, "scalar")
for _m in _NUMERIC:
    _ALLOWED[(_m, "_frombuffer")] = lambda: _numpy_attr(_NUMERIC, "_frombuffer")


class _NdarrayStandIn:
    """``numpy.ndarray`` as a pickle may name it: passed on to ``_reconstruct`` as the class,
    and called only with a shape whose bytes the file could hold."""

    def __init__(self, limit):
        self.limit = limit

    def __call__(self, shape, dtype=float, *args, **kwargs):
        np = importlib.import_module("numpy")
        _check_size(shape, np.dtype(dtype).itemsize, self.limit)
        return np.ndarray(shape, dtype, *args, **kwargs)


def _check_size(shape, itemsize, limit):
    dims = (shape,) if isinstance(shape, int) else tuple(shape)
    if not all(isinstance(d, int) and d >= 0 for d in dims):
        raise pickle.UnpicklingError(f"bad array shape {shape!r}")
    nbytes = itemsize
    for d in dims:
        nbytes *= d  # Python ints: no overflow
    if nbytes > limit:
        raise pickle.UnpicklingError(f"an array of shape {dims} ({nbytes} bytes) cannot come from "
                                     f"a pickle of {limit} bytes")


class _RestrictedUnpickler(pickle.Unpickler):
    def __init__(self, file, limit, **kwargs):
        super().__init__(file, **kwargs)
        self.limit = limit

    def find_class(self, module, name):
        make = _ALLOWED.get((module, name))
        if make is None:
            raise pickle.UnpicklingError(f"global '{module}.{name}' is forbidden: only plain Python "
                                         "types and NumPy arrays may be loaded")
        if (module, name) == ("numpy", "ndarray"):
            return _NdarrayStandIn(self.limit)
        if name == "_reconstruct":
            return self._reconstruct
        return make()

    def _reconstruct(self, subtype, shape, dtype):
        np = importlib.import_module("numpy")
        if isinstance(subtype, _NdarrayStandIn):
            subtype = np.ndarray
        if subtype is not np.ndarray:
            raise pickle.UnpicklingError(f"_reconstruct of {subtype!r} is forbidden")
        _check_size(shape, 1, self.limit)
        return _numpy_attr(_MULTIARRAY, "_reconstruct")(subtype, shape, dtype)


def _check_lengths(data):
    """Walk the pickle's opcodes (without building anything) so that a length field larger than
    the file is refused before the unpickler allocates that many bytes."""
    import io
    import pickletools
    try:
        for _ in pickletools.genops(io.BytesIO(data)):
            pass
    except ValueError as e:
        raise pickle.UnpicklingError(f"malformed pickle ({e})") from None


def restricted_load(file, encoding="latin1"):
    """``pickle.load`` that runs no code from the file: lists, dicts, numbers, strings, bytes and
    NumPy arrays only. ``encoding='latin1'`` reads Python 2 pickles (CIFAR's) as str. Nothing
    larger than the file is allocated: length fields and array shapes are checked first."""
    import io
    data = file.read()
    _check_lengths(data)
    return _RestrictedUnpickler(io.BytesIO(data), len(data), encoding=encoding).load()
