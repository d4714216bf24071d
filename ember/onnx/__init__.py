"""ember.onnx: export a model to ONNX by tracing its forward through the same op definitions
autograd uses; each op carries its ONNX mapping next to its forward and backward (see
``ember.onnx.graph`` for how a mapping is written). ``onnx`` itself is imported only when
exporting (``pip install ember[onnx]``)."""
from .errors import OnnxExporterError, UnsupportedOperatorError
from .export import export

__all__ = ["export", "OnnxExporterError", "UnsupportedOperatorError"]
