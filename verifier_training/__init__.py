"""Training side of rationale-guard (the ``train`` extra): one package per stage of a training run.

``data`` (sources -> base rows) -> ``perturb`` (labelled rows) -> ``train`` (checkpoint) -> ``export`` (ONNX model
directory; ``recover`` goes back) -> ``evaluate`` (report, model card; ``validate`` on the cross-domain suite).
``pipeline`` runs them from one recipe. Shared: ``checkpoint`` (what a checkpoint directory holds), ``rows``
(the JSONL records between stages), ``metrics``, ``errors``. The runtime (``guardrail``) never imports this
package; this package uses only the runtime's public surface (``guardrail``, ``guardrail.toolkit``,
``guardrail.reader``). The faithfulness probes are the sibling package ``verifier_probes``.
"""
