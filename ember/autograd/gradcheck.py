"""Finite-difference checks of analytic gradients (float64 inputs expected)."""
import numpy as np

from .. import _tensor
from .grad_mode import enable_grad, no_grad

__all__ = ["gradcheck", "gradgradcheck", "GradcheckError"]


class GradcheckError(RuntimeError):
    pass


def _as_tuple(x):
    return x if isinstance(x, tuple) else (x,)


def _outputs(fn, inputs):
    return tuple(o for o in _as_tuple(fn(*inputs)) if isinstance(o, _tensor.Tensor)
                 and o.dtype.category >= 2)


def _numerical(fn, inputs, diff_idx, eps):
    """Jacobian blocks J[i][j]: d out_j / d in_i, by central differences."""
    jac = []
    for i in diff_idx:
        x = inputs[i]
        flat = x._data.reshape(-1) if x._data.flags.c_contiguous else None
        if flat is None:
            raise GradcheckError("gradcheck needs contiguous inputs")
        cols = []
        for k in range(flat.size):
            orig = flat[k]
            with no_grad():
                flat[k] = orig + eps
                plus = [o._data.astype(np.float64).ravel().copy() for o in _outputs(fn, inputs)]
                flat[k] = orig - eps
                minus = [o._data.astype(np.float64).ravel().copy() for o in _outputs(fn, inputs)]
            flat[k] = orig
            cols.append([(p - m) / (2 * eps) for p, m in zip(plus, minus)])
        n_out = len(cols[0]) if cols else len(_outputs(fn, inputs))
        jac.append([np.stack([c[j] for c in cols], axis=0) if cols else
                    np.zeros((0, o.numel())) for j, o in
                    zip(range(n_out), _outputs(fn, inputs))])
    return jac


def _analytical(fn, inputs, diff_idx):
    from . import grad
    outs = _outputs(fn, inputs)
    diff_inputs = [inputs[i] for i in diff_idx]
    jac = [[np.zeros((inputs[i].numel(), o.numel())) for o in outs] for i in diff_idx]
    for j, o in enumerate(outs):
        for k in range(o.numel()):
            go = np.zeros(o._data.size, dtype=o._data.dtype)
            go[k] = 1
            gs = grad(o, diff_inputs, _tensor.Tensor._wrap(go.reshape(o._data.shape)),
                      retain_graph=True, allow_unused=True)
            for i, g in enumerate(gs):
                if g is not None:
                    jac[i][j][:, k] = g._data.astype(np.float64).ravel()
    return jac


def gradcheck(func, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True,
              nondet_tol=0.0, check_undefined_grad=True, fast_mode=False, **kwargs):
    """Compare the analytic Jacobian of ``func`` at ``inputs`` with finite differences."""
    inputs = _as_tuple(inputs)
    diff_idx = [i for i, x in enumerate(inputs) if isinstance(x, _tensor.Tensor) and x._rg]
    if not diff_idx:
        raise ValueError("gradcheck expects at least one input tensor to require gradient, but "
                         "none of the them have requires_grad=True.")
    for i in diff_idx:
        if inputs[i].dtype.name not in ("float64", "complex128"):
            import warnings
            warnings.warn(f"Input #{i} requires gradient and is not a double precision floating "
                          "point or complex. This check will likely fail if all the inputs are "
                          "not of double precision floating point or complex.")
    num = _numerical(func, inputs, diff_idx, eps)
    ana = _analytical(func, inputs, diff_idx)
    for a, (i, n_blocks) in enumerate(zip(diff_idx, num)):
        for j, n in enumerate(n_blocks):
            an = ana[a][j]
            if not np.allclose(an, n, rtol=rtol, atol=atol, equal_nan=True):
                if not raise_exception:
                    return False
                raise GradcheckError(f"Jacobian mismatch for output {j} with respect to input "
                                     f"{i},\nnumerical:{n}\nanalytical:{an}\n")
    return True


def gradgradcheck(func, inputs, grad_outputs=None, *, eps=1e-6, atol=1e-5, rtol=1e-3,
                  gen_non_contig_grad_outputs=False, raise_exception=True, **kwargs):
    """gradcheck of the map (inputs, grad_outputs) -> vector-Jacobian product of ``func``."""
    from . import grad
    inputs = _as_tuple(inputs)
    outs = _outputs(func, inputs)
    if grad_outputs is None:
        rng = np.random.default_rng(0)
        grad_outputs = tuple(_tensor.Tensor._wrap(rng.standard_normal(o._data.shape)
                                                  .astype(o._data.dtype)).requires_grad_()
                             for o in outs)
    grad_outputs = _as_tuple(grad_outputs)
    n_in = len(inputs)
    diff_idx = [i for i, x in enumerate(inputs) if isinstance(x, _tensor.Tensor) and x._rg]

    def vjp(*args):
        ins, gos = args[:n_in], args[n_in:]
        with enable_grad():
            o = _outputs(func, ins)
            gs = grad(o, [ins[i] for i in diff_idx], gos, create_graph=True, allow_unused=True)
        return tuple(g for g in gs if g is not None)

    return gradcheck(vjp, inputs + tuple(grad_outputs), eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception)
