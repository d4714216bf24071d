"""ember.hub against torch.hub: cache folder, downloads (file:// URLs), checksum checks."""
import hashlib
import os

import pytest
import torch

import ember
from ember import hub


@pytest.fixture(autouse=True)
def _fresh_hub_dir(monkeypatch):
    monkeypatch.setattr(hub, "_hub_dir", None)
    for var in ("EMBER_HOME", "TORCH_HOME", "XDG_CACHE_HOME"):
        monkeypatch.delenv(var, raising=False)


def _sha(path):
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


def test_get_dir_follows_env_like_torch(monkeypatch, tmp_path):
    assert hub.get_dir() == os.path.expanduser("~/.cache/ember/hub")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert hub.get_dir() == str(tmp_path / "xdg" / "ember" / "hub")
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "th"))
    assert hub.get_dir() == torch.hub.get_dir() == str(tmp_path / "th" / "hub")
    monkeypatch.setenv("EMBER_HOME", str(tmp_path / "eh"))
    assert hub.get_dir() == str(tmp_path / "eh" / "hub")
    hub.set_dir(tmp_path / "mine")
    assert hub.get_dir() == str(tmp_path / "mine")


def test_download_url_to_file_and_hash_prefix(tmp_path):
    src = tmp_path / "blob.bin"
    src.write_bytes(os.urandom(300_000))
    digest = _sha(src)
    dst = tmp_path / "out" / "copy.bin"
    dst.parent.mkdir()
    hub.download_url_to_file(src.as_uri(), dst, hash_prefix=digest[:10], progress=False)
    assert dst.read_bytes() == src.read_bytes()
    bad = tmp_path / "out" / "bad.bin"
    with pytest.raises(RuntimeError) as ours:
        hub.download_url_to_file(src.as_uri(), bad, hash_prefix="0000beef", progress=False)
    with pytest.raises(RuntimeError) as theirs:
        torch.hub.download_url_to_file(src.as_uri(), str(bad), hash_prefix="0000beef",
                                       progress=False)
    assert str(ours.value) == str(theirs.value) == \
        f'invalid hash value (expected "0000beef", got "{digest}")'
    assert sorted(p.name for p in dst.parent.iterdir()) == ["copy.bin"]   # no partial file left


def _torch_checkpoint(tmp_path):
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.BatchNorm1d(3))
    raw = tmp_path / "raw.pth"
    torch.save(model.state_dict(), raw)
    named = tmp_path / "served" / f"tiny-{_sha(raw)[:8]}.pth"     # torchvision's naming
    named.parent.mkdir()
    raw.rename(named)
    return model, named


def test_load_state_dict_from_url_caches_and_checks(tmp_path, capsys):
    model, served = _torch_checkpoint(tmp_path)
    cache = tmp_path / "cache"
    sd = hub.load_state_dict_from_url(served.as_uri(), model_dir=cache, check_hash=True,
                                      progress=False)
    assert f'Downloading: "{served.as_uri()}"' in capsys.readouterr().out
    assert list(sd) == list(model.state_dict())
    for k, v in model.state_dict().items():
        assert torch.equal(torch.from_numpy(sd[k].numpy()), v)
    ours = ember.nn.Sequential(ember.nn.Linear(4, 3), ember.nn.BatchNorm1d(3))
    ours.load_state_dict(sd)
    # cached: the second call reads the cache, not the URL (which is gone now)
    served.unlink()
    again = hub.load_state_dict_from_url(served.as_uri(), model_dir=cache, progress=False)
    assert capsys.readouterr().out == ""
    assert ember.equal(again["0.weight"], sd["0.weight"])


def test_load_state_dict_from_url_refuses_a_corrupt_download(tmp_path):
    _, served = _torch_checkpoint(tmp_path)
    tampered = served.with_name("tiny-00000000.pth")
    served.rename(tampered)
    cache = tmp_path / "cache"
    with pytest.raises(RuntimeError, match="invalid hash value"):
        hub.load_state_dict_from_url(tampered.as_uri(), model_dir=cache, check_hash=True,
                                     progress=False)
    assert list(cache.iterdir()) == []        # nothing half-checked enters the cache


def test_default_cache_is_get_dir_checkpoints(tmp_path, monkeypatch):
    _, served = _torch_checkpoint(tmp_path)
    monkeypatch.setenv("EMBER_HOME", str(tmp_path / "home"))
    hub.load_state_dict_from_url(served.as_uri(), progress=False, file_name="renamed.pth")
    assert (tmp_path / "home" / "hub" / "checkpoints" / "renamed.pth").exists()
