"""Every differentiable operation, one definition each (forward and backward together), one file
per family:

- elementwise: arith, binary, compare, complex, unary (exp/log, sigmoid, relu, rounding), trig,
  clamp, special_functions (erf and gamma families), activation, convert, fill
- reductions: reduce (sum, mean, var/std, logsumexp, norms, all/any), scan (prod, cumulative
  ops, diff), extrema (max/min and their arg forms), sort (sort, topk, median, unique ...)
- movement: shape (views, reshape, permute, slicing), diagonal, rearrange (flip, roll, repeat),
  broadcast, join, index, gather, strided, pad
- linear algebra: linalg (matrix products), einsum, decomp (inv, det, solve, eigh, qr,
  cholesky, svd), matrix_norm, spectral (FFTs)
- networks: linear, conv, pool, norm, rnn, embedding, loss

Where a gradient needs array speed it is a Function of its own (forward on arrays, backward in
ember ops): LinearGrad, MulGrad, ProductGrad, NormGrad, ThresholdBackward, BceBackward, conv's adjoints.
``ember.linalg`` and ``ember.fft`` are public facades over decomp, matrix_norm and spectral.

Helpers the ops share, among them: _util (operand handling, zero_where), _parallel (ember's
intra-op threads), _transpose (NCHW <-> channels-last copies through BLAS's omatcopy),
_accumulate (accurate float32 sums), memory_format."""
