"""Probability distributions with torch.distributions' API: parameters may require grad, and
log_prob / entropy / rsample / kl_divergence are built from ember ops so they differentiate."""
from . import constraints
from .continuous import Exponential, Laplace, Normal, Uniform
from .discrete import Bernoulli, Categorical, OneHotCategorical, Poisson
from .distribution import Distribution
from .independent import Independent
from .kl import kl_divergence, register_kl
from .multivariate_normal import MultivariateNormal

__all__ = ["Bernoulli", "Categorical", "Distribution", "Exponential", "Independent", "Laplace",
           "MultivariateNormal", "Normal", "OneHotCategorical", "Poisson", "Uniform", "constraints",
           "kl_divergence", "register_kl"]
