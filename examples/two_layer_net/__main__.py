"""Run every stage of the two-layer-net tutorial: python -m examples.two_layer_net"""
from . import autograd_net, dynamic_net, module_net, nn_net, numpy_net, optim_net, tensor_net

STAGES = {
    "numpy_net": numpy_net,
    "tensor_net": tensor_net,
    "autograd_net": autograd_net,
    "nn_net": nn_net,
    "optim_net": optim_net,
    "module_net": module_net,
    "dynamic_net": dynamic_net,
}


def main(steps=500):
    """Run each stage; return {stage name: final loss}."""
    losses = {}
    for name, stage in STAGES.items():
        print(f"== {name}")
        losses[name] = stage.main(steps=steps)
    return losses


if __name__ == "__main__":
    main()
