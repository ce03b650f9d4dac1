"""Training side of rationale-guard (the ``train`` extra): data, perturbations, training, ONNX export,
evaluation and faithfulness probes. The runtime (``guardrail``) never imports this package."""
