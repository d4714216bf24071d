"""Higher-level autograd: vjp, jvp, jacobian, hessian, hvp (torch.autograd.functional)."""

__all__ = []
