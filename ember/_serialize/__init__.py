"""The machinery behind ``ember.save`` / ``ember.load`` (see ``ember/serialization.py``).

- ``_common``: errors, atomic writes, reading helpers, ``map_location``.
- ``_safetensors``: the safetensors byte format (our own reader and writer).
- ``_tree``: ember's default format: nesting as JSON in the safetensors metadata.
- ``_unpickle``: a pickle machine that admits only what a weights-only load allows.
- ``_pickle``: a minimal protocol-2 pickler for PyTorch checkpoints.
- ``_torch``: PyTorch's zip checkpoints (read and write) and its legacy format (read).
- ``_objects``: whole objects pickled in PyTorch's layout, ``weights_only=False`` loads and the
  ``safe_globals`` allow-list.
- ``_budget``: the limits that keep a small hostile file from costing gigabytes.
"""
