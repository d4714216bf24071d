"""Run the three stages of the two-layer-net tutorial: python -m examples.two_layer_net"""
import runpy
from pathlib import Path

here = Path(__file__).parent
for stage in ("numpy_net", "tensor_net", "autograd_net"):
    print(f"== {stage}")
    runpy.run_path(str(here / f"{stage}.py"), run_name="__main__")
