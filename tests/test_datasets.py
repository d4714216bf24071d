"""ember.vision.datasets on small files in the real formats, written by the tests themselves."""
import gzip
import hashlib
import io
import os
import pickle
import struct
import tarfile

import numpy as np
import pytest
from PIL import Image

import ember
import ember.vision.transforms as T
from ember.utils.data import DataLoader
from ember.vision import datasets
from ember.vision.datasets.utils import extract_archive, restricted_load

RNG = np.random.default_rng(3)


# ---- writers for the real formats -----------------------------------------------------------
def idx_bytes(arr, type_code=0x08):
    """An IDX file: 00 00, type, ndim, big-endian int32 dims, then the data."""
    head = bytes([0, 0, type_code, arr.ndim]) + struct.pack(f">{arr.ndim}i", *arr.shape)
    return head + arr.tobytes()


def write_mnist(root, name="MNIST", n_train=7, n_test=3, gz=True):
    raw = root / name / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    arrays = {}
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        imgs = RNG.integers(0, 256, (n, 28, 28)).astype(np.uint8)
        labels = RNG.integers(0, 10, n).astype(np.uint8)
        for kind, arr, nd in (("images", imgs, 3), ("labels", labels, 1)):
            fname = f"{prefix}-{kind}-idx{nd}-ubyte"
            data = idx_bytes(arr)
            if gz:
                (raw / (fname + ".gz")).write_bytes(gzip.compress(data))
            else:
                (raw / fname).write_bytes(data)
        arrays[prefix] = (imgs, labels)
    return raw, arrays


def _py2_str(b):
    b = b.encode("latin1") if isinstance(b, str) else b
    return b"U" + bytes([len(b)]) + b if len(b) < 256 else b"T" + struct.pack("<i", len(b)) + b


def _py2_int(v):
    return b"K" + bytes([v]) if 0 <= v < 256 else b"J" + struct.pack("<i", v)


def _py2_value(v):
    if isinstance(v, np.ndarray):  # numpy.core.multiarray._reconstruct + BUILD, as NumPy 1 on Python 2
        dtype = (b"cnumpy\ndtype\n" + _py2_str("u1") + _py2_int(0) + _py2_int(1) + b"\x87R(" + _py2_int(3)
                 + _py2_str("|") + b"NNN" + _py2_int(-1) + _py2_int(-1) + _py2_int(0) + b"tb")
        return (b"cnumpy.core.multiarray\n_reconstruct\ncnumpy\nndarray\n" + _py2_int(0) + b"\x85"
                + _py2_str("b") + b"\x87R(" + _py2_int(1) + _py2_int(v.shape[0]) + _py2_int(v.shape[1])
                + b"\x86" + dtype + b"\x89" + _py2_str(v.tobytes()) + b"tb")
    if isinstance(v, list):
        return b"](" + b"".join(_py2_value(x) for x in v) + b"e"
    return _py2_int(v) if isinstance(v, int) else _py2_str(v)


def py2_pickle(d):
    """A protocol-2 pickle as Python 2's cPickle writes the CIFAR files: str keys and data."""
    return b"\x80\x02}(" + b"".join(_py2_str(k) + _py2_value(v) for k, v in d.items()) + b"u."


def write_cifar(root, hundred=False, py2=True, n=4):
    folder = root / ("cifar-100-python" if hundred else "cifar-10-batches-py")
    folder.mkdir(parents=True, exist_ok=True)
    labels_key = "fine_labels" if hundred else "labels"
    names = ["train"] if hundred else [f"data_batch_{i}" for i in range(1, 6)]
    written = {}

    def dump(path, d):
        if py2:
            path.write_bytes(py2_pickle(d))
        else:  # Python 3 style: bytes keys, protocol 2 as well
            path.write_bytes(pickle.dumps({k.encode(): v for k, v in d.items()}, protocol=2))

    for name in names + ["test" if hundred else "test_batch"]:
        data = RNG.integers(0, 256, (n, 3072)).astype(np.uint8)
        labels = [int(v) for v in RNG.integers(0, 100 if hundred else 10, n)]
        dump(folder / name, {"batch_label": f"batch {name}", labels_key: labels, "data": data,
                             "filenames": [f"img_{i}.png" for i in range(n)]})
        written[name] = (data, labels)
    classes = [f"class_{i}" for i in range(100 if hundred else 10)]
    meta_key = "fine_label_names" if hundred else "label_names"
    dump(folder / ("meta" if hundred else "batches.meta"), {meta_key: classes, "num_vis": 3072})
    return folder, written, classes


def md5(b):
    return hashlib.md5(b).hexdigest()


# ---- MNIST ----------------------------------------------------------------------------------
@pytest.mark.parametrize("gz", [True, False])
def test_mnist_reads_idx(tmp_path, gz):
    _, arrays = write_mnist(tmp_path, gz=gz)
    ds = datasets.MNIST(tmp_path, train=True)
    imgs, labels = arrays["train"]
    assert len(ds) == 7
    assert ds.data.dtype is ember.uint8 and tuple(ds.data.shape) == (7, 28, 28)
    assert ds.targets.dtype is ember.int64 and np.array_equal(ds.targets.numpy(), labels)
    assert np.array_equal(ds.data.numpy(), imgs)
    img, target = ds[2]
    assert isinstance(img, Image.Image) and img.mode == "L" and img.size == (28, 28)
    assert np.array_equal(np.asarray(img), imgs[2]) and target == int(labels[2]) and type(target) is int
    test = datasets.MNIST(str(tmp_path), train=False)
    assert len(test) == 3 and np.array_equal(test.data.numpy(), arrays["t10k"][0])
    assert ds.class_to_idx["3 - three"] == 3
    assert repr(ds).splitlines()[:3] == ["Dataset MNIST", "    Number of datapoints: 7",
                                         f"    Root location: {tmp_path}"]


def test_mnist_transforms_and_loader(tmp_path):
    _, arrays = write_mnist(tmp_path)
    ds = datasets.MNIST(tmp_path, transform=T.Compose([T.ToTensor(), T.Normalize((0.1307,), (0.3081,))]),
                        target_transform=lambda y: y + 100)
    x, y = ds[0]
    ref = (arrays["train"][0][0] / np.float32(255) - np.float32(0.1307)) / np.float32(0.3081)
    assert tuple(x.shape) == (1, 28, 28) and np.allclose(x.numpy()[0], ref, atol=1e-6)
    assert y == int(arrays["train"][1][0]) + 100
    assert "Transform: Compose(" in repr(ds) and "Target transform:" in repr(ds)
    xb, yb = next(iter(DataLoader(ds, batch_size=4)))
    assert tuple(xb.shape) == (4, 1, 28, 28) and tuple(yb.shape) == (4,)


def test_fashion_mnist(tmp_path):
    write_mnist(tmp_path, name="FashionMNIST")
    ds = datasets.FashionMNIST(tmp_path, train=False)
    assert len(ds) == 3 and ds.classes[9] == "Ankle boot"
    with pytest.raises(RuntimeError, match="Dataset not found"):
        datasets.MNIST(tmp_path)  # the files are under FashionMNIST/, not MNIST/


def test_mnist_missing_files_say_where(tmp_path):
    with pytest.raises(RuntimeError) as e:
        datasets.MNIST(tmp_path / "nowhere")
    msg = str(e.value)
    assert "Dataset not found. You can use download=True to download it" in msg
    assert os.path.join(str(tmp_path / "nowhere"), "MNIST", "raw") in msg and "train-images-idx3-ubyte" in msg


def test_mnist_corrupted_files(tmp_path):
    raw, arrays = write_mnist(tmp_path, gz=False)
    path = raw / "train-images-idx3-ubyte"
    good = path.read_bytes()
    path.write_bytes(b"\x08\x03" + good[2:])  # wrong magic
    with pytest.raises(RuntimeError, match="is not an IDX file: bad magic number"):
        datasets.MNIST(tmp_path)
    path.write_bytes(good[:-100])  # cut short
    with pytest.raises(RuntimeError, match=r"is truncated: the header promises shape \(7, 28, 28\)"):
        datasets.MNIST(tmp_path)
    path.write_bytes(good[:10])  # not even a full header
    with pytest.raises(RuntimeError, match="is truncated: the header needs 16 bytes"):
        datasets.MNIST(tmp_path)
    path.write_bytes(idx_bytes(arrays["train"][0][:5]))  # 5 images, 7 labels
    with pytest.raises(RuntimeError, match="holds 5 images but .* holds 7 labels"):
        datasets.MNIST(tmp_path)
    path.write_bytes(idx_bytes(np.zeros((7, 28, 28), ">i4"), type_code=0x0C))  # int32 images
    with pytest.raises(RuntimeError, match="expected uint8 images"):
        datasets.MNIST(tmp_path)
    path.unlink()
    gzpath = raw / "train-images-idx3-ubyte.gz"
    gzpath.write_bytes(gzip.compress(good)[:-30])  # truncated gzip stream
    with pytest.raises(RuntimeError, match="Could not read .*train-images-idx3-ubyte.gz"):
        datasets.MNIST(tmp_path)


def _mirror(tmp_path, name="MNIST"):
    """Gzipped MNIST files in a folder served as a file:// mirror; returns (url, resources)."""
    src, arrays = write_mnist(tmp_path / "src", name=name, gz=True)
    resources = [(p.name, md5(p.read_bytes())) for p in sorted(src.iterdir())]
    return src.as_uri() + "/", resources, arrays


def test_mnist_download_from_file_url(tmp_path):
    url, resources, arrays = _mirror(tmp_path)

    class LocalMNIST(datasets.MNIST):
        mirrors = [(tmp_path / "no-such-mirror").as_uri() + "/", url]  # the first fails, the second works

    LocalMNIST.resources = resources
    root = tmp_path / "data"
    ds = LocalMNIST(root, train=True, download=True)
    assert np.array_equal(ds.data.numpy(), arrays["train"][0])
    raw = root / "LocalMNIST" / "raw"
    assert (raw / "train-images-idx3-ubyte").is_file() and (raw / "t10k-labels-idx1-ubyte.gz").is_file()
    again = LocalMNIST(root, train=False, download=True)  # already there: nothing fetched
    assert np.array_equal(again.targets.numpy(), arrays["t10k"][1])


def test_mnist_download_checksum_mismatch(tmp_path):
    url, resources, _ = _mirror(tmp_path)

    class BadMNIST(datasets.MNIST):
        mirrors = [url]

    BadMNIST.resources = [(name, "0" * 32) for name, _ in resources]
    with pytest.raises(RuntimeError, match=r"Checksum mismatch for \S+-ubyte.gz downloaded from file://"):
        BadMNIST(tmp_path / "data", download=True)
    raw = tmp_path / "data" / "BadMNIST" / "raw"
    assert list(raw.iterdir()) == []  # nothing half-downloaded is left behind

    class NoMirror(datasets.MNIST):
        mirrors = [(tmp_path / "missing").as_uri() + "/"]

    with pytest.raises(RuntimeError, match="Error downloading train-images-idx3-ubyte.gz"):
        NoMirror(tmp_path / "data2", download=True)


# ---- CIFAR ----------------------------------------------------------------------------------
@pytest.mark.parametrize("py2", [True, False])
def test_cifar10_reads_pickles(tmp_path, py2):
    _, written, classes = write_cifar(tmp_path, py2=py2)
    ds = datasets.CIFAR10(tmp_path, train=True)
    assert len(ds) == 20 and isinstance(ds.data, np.ndarray)
    assert ds.data.shape == (20, 32, 32, 3) and ds.data.dtype == np.uint8
    flat = np.concatenate([written[f"data_batch_{i}"][0] for i in range(1, 6)])
    assert np.array_equal(ds.data, flat.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1))
    assert ds.targets == sum((written[f"data_batch_{i}"][1] for i in range(1, 6)), [])
    assert ds.classes == classes and ds.class_to_idx["class_4"] == 4
    img, target = ds[5]
    assert img.mode == "RGB" and img.size == (32, 32) and np.array_equal(np.asarray(img), ds.data[5])
    assert target == ds.targets[5]
    test = datasets.CIFAR10(tmp_path, train=False, transform=T.ToTensor())
    x, _ = test[0]
    assert tuple(x.shape) == (3, 32, 32)
    assert np.allclose(x.numpy(), written["test_batch"][0][0].reshape(3, 32, 32) / 255.0)


def test_cifar100(tmp_path):
    _, written, classes = write_cifar(tmp_path, hundred=True)
    ds = datasets.CIFAR100(tmp_path, train=False)
    assert len(ds) == 4 and ds.targets == written["test"][1] and len(ds.classes) == 100


def test_cifar_missing_and_corrupted(tmp_path):
    with pytest.raises(RuntimeError, match="Dataset not found or corrupted. You can use download=True") as e:
        datasets.CIFAR10(tmp_path)
    assert os.path.join(str(tmp_path), "cifar-10-batches-py") in str(e.value)
    folder, _, _ = write_cifar(tmp_path)
    batch = folder / "data_batch_2"
    good = batch.read_bytes()
    batch.write_bytes(good[:len(good) // 2])
    with pytest.raises(RuntimeError, match="data_batch_2 is not a readable CIFAR pickle"):
        datasets.CIFAR10(tmp_path)
    batch.write_bytes(pickle.dumps({"data": np.zeros((2, 100), np.uint8), "labels": [0, 1]}))
    with pytest.raises(RuntimeError, match=r"expected uint8 data of shape N x 3072, got uint8 \(2, 100\)"):
        datasets.CIFAR10(tmp_path)
    batch.write_bytes(pickle.dumps({"data": np.zeros((2, 3072), np.uint8), "labels": [0]}))
    with pytest.raises(RuntimeError, match="holds 2 images but 1 labels"):
        datasets.CIFAR10(tmp_path)
    batch.write_bytes(pickle.dumps([1, 2, 3]))
    with pytest.raises(RuntimeError, match="expected a dict, got list"):
        datasets.CIFAR10(tmp_path)


class _Boom:
    def __reduce__(self):
        return (os.system, ("echo pwned > pwned.txt",))


def test_cifar_pickle_cannot_run_code(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    folder, _, _ = write_cifar(tmp_path)
    (folder / "data_batch_1").write_bytes(pickle.dumps({"data": _Boom(), "labels": []}, protocol=2))
    with pytest.raises(RuntimeError, match="forbidden: only plain Python types and NumPy arrays"):
        datasets.CIFAR10(tmp_path)
    assert not (tmp_path / "pwned.txt").exists()
    for proto in (2, 4, 5):  # what NumPy's own pickling of arrays needs is allowed
        arr = RNG.integers(0, 256, (3, 5)).astype(np.uint8)
        back = restricted_load(io.BytesIO(pickle.dumps({b"a": arr, "n": [1.5, None, True]}, protocol=proto)))
        assert np.array_equal(back[b"a"], arr) and back["n"] == [1.5, None, True]


def test_cifar_download_from_file_url(tmp_path):
    src = tmp_path / "src"
    _, written, _ = write_cifar(src)
    archive = tmp_path / "cifar-10-python.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(src / "cifar-10-batches-py", arcname="cifar-10-batches-py")

    class LocalCIFAR(datasets.CIFAR10):
        url = archive.as_uri()
        tgz_md5 = md5(archive.read_bytes())

    ds = LocalCIFAR(tmp_path / "data", train=False, download=True)
    assert ds.targets == written["test_batch"][1]

    class BadCIFAR(LocalCIFAR):
        tgz_md5 = "f" * 32

    with pytest.raises(RuntimeError, match="Checksum mismatch for cifar-10-python.tar.gz"):
        BadCIFAR(tmp_path / "data2", download=True)


def test_extract_refuses_path_traversal(tmp_path):
    evil = tmp_path / "evil.tar"
    with tarfile.open(evil, "w") as tar:
        info = tarfile.TarInfo("../outside.txt")
        info.size = 3
        tar.addfile(info, io.BytesIO(b"bad"))
    with pytest.raises((tarfile.TarError, RuntimeError)):
        extract_archive(evil, tmp_path / "out")
    assert not (tmp_path / "outside.txt").exists()


# ---- folders --------------------------------------------------------------------------------
def write_folder(root):
    layout = {"dog": ["b.png", "a.png", "sub/c.png"], "cat": ["z.png", "notes.txt"], "bird": ["x.PNG"]}
    pixels = {}
    for cls, files in layout.items():
        for f in files:
            p = root / cls / f
            p.parent.mkdir(parents=True, exist_ok=True)
            if f.endswith(".txt"):
                p.write_text("not an image")
                continue
            a = RNG.integers(0, 256, (5, 6, 3)).astype(np.uint8)
            Image.fromarray(a).save(p, format="PNG")
            pixels[str(p)] = a
    return pixels


def test_image_folder(tmp_path):
    pixels = write_folder(tmp_path)
    ds = datasets.ImageFolder(tmp_path, transform=T.ToTensor())
    assert ds.classes == ["bird", "cat", "dog"] and ds.class_to_idx == {"bird": 0, "cat": 1, "dog": 2}
    names = [os.path.relpath(p, tmp_path) for p, _ in ds.samples]
    assert names == ["bird/x.PNG", "cat/z.png", "dog/a.png", "dog/b.png", "dog/sub/c.png"]
    assert ds.targets == [0, 1, 2, 2, 2] and ds.imgs is ds.samples and len(ds) == 5
    x, y = ds[3]
    assert y == 2 and np.allclose(x.numpy(), pixels[ds.samples[3][0]].transpose(2, 0, 1) / 255.0)
    raw = datasets.ImageFolder(tmp_path)[0][0]
    assert raw.mode == "RGB" and raw.size == (6, 5)


def test_dataset_folder_options_and_errors(tmp_path):
    for cls in ("a", "b"):
        (tmp_path / cls).mkdir()
        np.save(tmp_path / cls / "x.npy", np.full(3, ord(cls)))
    (tmp_path / "c").mkdir()  # an empty class
    with pytest.raises(FileNotFoundError, match="Found no valid file for the classes c. Supported extensions "
                                                "are: .npy"):
        datasets.DatasetFolder(tmp_path, np.load, extensions=(".npy",))
    ds = datasets.DatasetFolder(tmp_path, np.load, extensions=(".npy",), allow_empty=True)
    assert [s[1] for s in ds.samples] == [0, 1] and ds[1][0][0] == ord("b")
    only_a = datasets.DatasetFolder(tmp_path, np.load, is_valid_file=lambda p: "/a/" in p, allow_empty=True)
    assert len(only_a) == 1
    with pytest.raises(ValueError, match="Both extensions and is_valid_file cannot be None or not None"):
        datasets.DatasetFolder(tmp_path, np.load)
    with pytest.raises(FileNotFoundError, match="nowhere"):
        datasets.ImageFolder(tmp_path / "nowhere")
    with pytest.raises(FileNotFoundError, match="Couldn't find any class folder in"):
        datasets.ImageFolder(tmp_path / "a")
    bad = tmp_path / "img" / "k"
    bad.mkdir(parents=True)
    (bad / "broken.png").write_bytes(b"\x89PNG not really")
    with pytest.raises(OSError, match="broken.png"):  # PIL's UnidentifiedImageError names the file
        datasets.ImageFolder(tmp_path / "img")[0]


# ---- generated / bundled datasets -----------------------------------------------------------
def test_fake_data_deterministic_per_index():
    ember.manual_seed(0)
    before = ember.rand(3).numpy()
    ember.manual_seed(0)
    ds = datasets.FakeData(size=6, image_size=(3, 9, 7), num_classes=4, transform=T.PILToTensor())
    x, y = ds[4]
    assert np.array_equal(ember.rand(3).numpy(), before)  # the global stream is untouched
    x2, y2 = ds[4]
    assert np.array_equal(x.numpy(), x2.numpy()) and y == y2 and 0 <= y < 4
    assert tuple(x.shape) == (3, 9, 7) and x.dtype is ember.uint8
    assert not np.array_equal(ds[3][0].numpy(), x.numpy())
    assert not np.array_equal(datasets.FakeData(6, (3, 9, 7), random_offset=1)[4][0], ds[4][0])
    assert len(ds) == 6
    with pytest.raises(IndexError, match="FakeData index out of range"):
        ds[6]
    assert datasets.FakeData(2, (1, 4, 4))[0][0].mode == "L"


def test_mnist1d_generated_and_cached(tmp_path):
    np.random.seed(123)
    state = np.random.get_state()[1].copy()
    ds = datasets.MNIST1D(tmp_path, args={"num_samples": 200})
    assert np.array_equal(np.random.get_state()[1], state)  # make_dataset's reseeding is undone
    assert len(ds) == 160 and tuple(ds.data.shape) == (160, 40) and ds.data.dtype is ember.float32
    x, y = ds[0]
    assert tuple(x.shape) == (40,) and isinstance(y, int) and 0 <= y <= 9
    cached = list((tmp_path / "MNIST1D").iterdir())
    assert len(cached) == 1 and cached[0].suffix == ".npz"
    test = datasets.MNIST1D(tmp_path, train=False, args={"num_samples": 200}, transform=lambda v: v * 2)
    assert len(test) == 40 and np.allclose(test[1][0].numpy(), 2 * test.data.numpy()[1])
    again = datasets.MNIST1D(tmp_path, args={"num_samples": 200})
    assert np.array_equal(again.data.numpy(), ds.data.numpy())
    with pytest.raises(ValueError, match="unknown MNIST-1D arguments"):
        datasets.MNIST1D(tmp_path, args={"bogus": 1})


def test_digits():
    train, test = datasets.Digits(), datasets.Digits(train=False, transform=T.ToTensor())
    assert len(train) == 1437 and len(test) == 360
    img, y = train[0]
    assert img.mode == "L" and img.size == (8, 8) and y == 0
    assert train.data.dtype is ember.uint8 and int(train.data.max()) == 255
    x, _ = test[0]
    assert tuple(x.shape) == (1, 8, 8) and float(x.max()) <= 1.0
    assert sorted(set(train.targets.numpy().tolist())) == list(range(10))


def test_mnist_with_worker_processes_is_reproducible(tmp_path):
    write_mnist(tmp_path, n_train=8)
    ds = datasets.MNIST(tmp_path, transform=T.Compose([T.RandomCrop(28, padding=2), T.ToTensor()]))

    def epoch():
        ember.manual_seed(0)
        return [(x.numpy(), y.numpy()) for x, y in DataLoader(ds, batch_size=4, num_workers=2)]

    a, b = epoch(), epoch()
    assert len(a) == 2 and a[0][0].shape == (4, 1, 28, 28)
    assert all(np.array_equal(x1, x2) and np.array_equal(y1, y2) for (x1, y1), (x2, y2) in zip(a, b))
