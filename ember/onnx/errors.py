"""The errors ONNX export raises (torch.onnx.errors' names)."""

__all__ = ["OnnxExporterError", "UnsupportedOperatorError"]


class OnnxExporterError(RuntimeError):
    """A model that cannot be exported as it is."""


class UnsupportedOperatorError(OnnxExporterError):
    """An op with no ONNX mapping (or a case of it that ONNX cannot express)."""
