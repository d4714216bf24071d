"""torch.backends.cpu: what the CPU kernels may use."""


def get_cpu_capability():
    return "DEFAULT"    # NumPy picks its SIMD level itself
