"""``ember.hub``: download checkpoints once, cache them, check them (``torch.hub``'s file API).

The cache folder is ``get_dir()``: ``$EMBER_HOME/hub`` if ``EMBER_HOME`` is set, else
``$TORCH_HOME/hub`` if ``TORCH_HOME`` is set (so a cache PyTorch filled is reused: ember reads
PyTorch's checkpoints), else ``$XDG_CACHE_HOME/ember/hub`` (default ``~/.cache/ember/hub``);
``set_dir`` overrides all of them. Checkpoints go to its ``checkpoints/`` sub-folder.

A file named ``name-<sha256 prefix>.ext`` (torchvision's convention) is checked against that
prefix when ``check_hash=True``; a download lands in a temporary file next to its target and is
renamed only once complete and checked, so a failed or corrupt download never enters the cache.

Difference from PyTorch: ``load_state_dict_from_url`` loads weights-only by default (PyTorch's
default is ``weights_only=False``); state dicts, which is what it is for, load either way.
Loading Python code from a GitHub repository (``torch.hub.load``/``list``/``help``) is not
offered.
"""
import hashlib
import os
import re
import shutil
import sys
import tempfile
import uuid
from urllib.parse import urlparse
from urllib.request import Request, urlopen

__all__ = ["download_url_to_file", "get_dir", "load_state_dict_from_url", "set_dir"]

READ_DATA_CHUNK = 128 * 1024
# torchvision's file names: resnet18-f37072fd.pth → the sha256 of the file starts with f37072fd
HASH_REGEX = re.compile(r"-([a-f0-9]*)\.")

_hub_dir = None


def _get_ember_home():
    for var in ("EMBER_HOME", "TORCH_HOME"):
        if os.getenv(var):
            return os.path.expanduser(os.getenv(var))
    return os.path.expanduser(os.path.join(os.getenv("XDG_CACHE_HOME", "~/.cache"), "ember"))


def get_dir():
    """The folder ember.hub caches into (see the module docstring for how it is chosen)."""
    if _hub_dir is not None:
        return _hub_dir
    return os.path.join(_get_ember_home(), "hub")


def set_dir(d):
    """Cache into ``d`` from now on (overrides ``EMBER_HOME`` / ``TORCH_HOME``)."""
    global _hub_dir
    _hub_dir = os.path.expanduser(os.fspath(d))


def _progress_bar(total, enabled):
    if enabled:
        try:
            from tqdm import tqdm
        except ImportError:
            pass
        else:
            return tqdm(total=total, unit="B", unit_scale=True, unit_divisor=1024, file=sys.stderr)
    return None


def download_url_to_file(url, dst, hash_prefix=None, progress=True):
    """Download ``url`` to the path ``dst``.

    Args:
        url (str): what to download (``http(s)://``, ``file://`` …: whatever urllib opens).
        dst (str): the full path to write.
        hash_prefix (str, optional): if given, the SHA256 of the file must start with it, else
            ``RuntimeError`` and nothing is written to ``dst``.
        progress (bool): show a progress bar on stderr (tqdm, when installed).
    """
    dst = os.path.expanduser(os.fspath(dst))
    folder = os.path.dirname(os.path.abspath(dst))
    for _ in range(tempfile.TMP_MAX):
        tmp = os.path.join(folder, os.path.basename(dst) + "." + uuid.uuid4().hex + ".partial")
        try:
            f = open(tmp, "xb")  # noqa: SIM115 - closed in finally
        except FileExistsError:
            continue
        break
    else:
        raise FileExistsError(f"no usable temporary file name next to {dst}")
    try:
        with urlopen(Request(url, headers={"User-Agent": "ember.hub"})) as u:
            length = u.info().get("Content-Length")
            bar = _progress_bar(int(length) if length else None, progress)
            sha256 = hashlib.sha256() if hash_prefix is not None else None
            while True:
                buffer = u.read(READ_DATA_CHUNK)
                if not buffer:
                    break
                f.write(buffer)
                if sha256 is not None:
                    sha256.update(buffer)
                if bar is not None:
                    bar.update(len(buffer))
            if bar is not None:
                bar.close()
        f.close()
        if sha256 is not None:
            digest = sha256.hexdigest()
            if digest[:len(hash_prefix)] != hash_prefix:
                raise RuntimeError(f'invalid hash value (expected "{hash_prefix}", got "{digest}")')
        shutil.move(tmp, dst)
    finally:
        f.close()
        if os.path.exists(tmp):
            os.remove(tmp)


def load_state_dict_from_url(url, model_dir=None, map_location=None, progress=True,
                             check_hash=False, file_name=None, weights_only=True):
    """Load the checkpoint at ``url``, downloading it into ``model_dir`` (default
    ``get_dir()/checkpoints``) unless a file of that name is already there.

    Args:
        url (str): where the checkpoint is.
        model_dir (str, optional): the cache folder.
        map_location: as for :func:`ember.load`.
        progress (bool): show a progress bar while downloading.
        check_hash (bool): the file name must look like ``name-<sha256 prefix>.ext``; a
            download whose SHA256 does not start with that prefix is refused.
        file_name (str, optional): the name to cache under (default: the URL's last part).
        weights_only (bool): as for :func:`ember.load`.
    """
    if model_dir is None:
        model_dir = os.path.join(get_dir(), "checkpoints")
    os.makedirs(model_dir, exist_ok=True)
    filename = file_name if file_name is not None else os.path.basename(urlparse(url).path)
    cached_file = os.path.join(model_dir, filename)
    if not os.path.exists(cached_file):
        sys.stdout.write(f'Downloading: "{url}" to {cached_file}\n')
        hash_prefix = None
        if check_hash:
            match = HASH_REGEX.search(filename)
            hash_prefix = match.group(1) if match else None
        download_url_to_file(url, cached_file, hash_prefix, progress=progress)
    from .serialization import load
    return load(cached_file, map_location=map_location, weights_only=weights_only)
