"""torch.backends.cudnn's flags. ember's GPU path runs on CuPy, not cuDNN: ``benchmark``,
``deterministic`` and ``allow_tf32`` are recorded and change nothing."""
enabled = True
benchmark = False
deterministic = False
allow_tf32 = True


def is_available():
    return False


def version():
    return None
