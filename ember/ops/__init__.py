"""Every differentiable operation, one definition each (forward and backward together),
grouped by family: arith, unary, compare, reduce, shape, index, broadcast, linalg, convert."""
