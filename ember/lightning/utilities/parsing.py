"""AttributeDict: the dict behind ``self.hparams`` (keys readable as attributes)."""


class AttributeDict(dict):
    """A dict whose keys are also attributes: ``hparams.lr`` is ``hparams["lr"]``."""

    def __getattr__(self, key):
        try:
            return self[key]
        except KeyError as e:
            raise AttributeError(f"'{type(self).__name__}' object has no attribute '{key}'") from e

    def __setattr__(self, key, val):
        self[key] = val

    def __delattr__(self, item):
        if item not in self:
            raise AttributeError(item)
        del self[item]

    def __repr__(self):
        if not self:
            return ""
        width = max(len(str(k)) for k in self)
        return "\n".join(f"{f'{k!r}':>{width + 2}}: {v!r}" for k, v in sorted(self.items()))
