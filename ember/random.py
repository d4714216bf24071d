"""torch.random: seeding and the state of the default CPU generator (PyTorch's MT19937)."""
from ._random import (
                      Generator,
                      default_generator,
                      fork_rng,
                      get_rng_state,
                      initial_seed,
                      manual_seed,
                      seed,
                      set_rng_state,
)

__all__ = ["Generator", "default_generator", "fork_rng", "get_rng_state", "initial_seed",
           "manual_seed", "seed", "set_rng_state"]
