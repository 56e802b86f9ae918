"""Export: TFLite conversion, int8 quantization, the accuracy gate, reports (TensorFlow)."""
