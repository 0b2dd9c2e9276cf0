"""Golden DPO losses from TRL itself, for align4j's PreferenceLossGoldenTest.

Runs TRL's own DPOTrainer._compute_loss (TRL 1.13) on fixed logits through a stub model, with the
reference log-probs precomputed, once per loss type (and once for a weighted combination), and
writes the per-sequence log-probs it computed, the completion token counts, and the loss and
reward metrics it returned, to train/src/test/resources/golden/dpo_losses.json.

Run once in a virtualenv outside the repository:
    python -m venv /tmp/venv && /tmp/venv/bin/pip install torch transformers trl
    /tmp/venv/bin/python dev/make_golden_dpo.py
"""
import json
import math
import pathlib
import types
from collections import defaultdict

import torch
import trl
from trl.trainer.dpo_trainer import DPOTrainer

torch.manual_seed(0)
PAIRS, T, V = 4, 7, 13
# sequences 0..3 are the chosen completions, 4..7 the rejected ones (TRL's [chosen, rejected] batch)
input_ids = torch.randint(0, V, (2 * PAIRS, T))
prompt = [2, 3, 2, 1, 2, 3, 2, 1]       # prompt tokens of each sequence (a pair shares its prompt)
completion = [4, 3, 2, 5, 3, 4, 5, 2]   # completion tokens after it; the rest is padding
completion_mask = torch.zeros(2 * PAIRS, T, dtype=torch.long)
attention_mask = torch.zeros(2 * PAIRS, T, dtype=torch.long)
for s in range(2 * PAIRS):
    completion_mask[s, prompt[s]:prompt[s] + completion[s]] = 1
    attention_mask[s, :prompt[s] + completion[s]] = 1
logits = torch.randn(2 * PAIRS, T, V) * 2.0
ref_chosen = torch.tensor([-9.5, -7.25, -4.0, -12.5])
ref_rejected = torch.tensor([-8.0, -9.75, -6.5, -10.0])


class StubModel(torch.nn.Module):
    training = True

    def forward(self, **kwargs):
        return types.SimpleNamespace(logits=logits.clone().requires_grad_(True))


def trl_loss(loss_types, loss_weights, beta, label_smoothing):
    accelerator = types.SimpleNamespace(device=torch.device("cpu"), gather_for_metrics=lambda x: x, gather=lambda x: x,
                                        unwrap_model=lambda m: m)
    model = StubModel()
    stub = types.SimpleNamespace(
        model=model, accelerator=accelerator, aux_loss_enabled=False, ld_alpha=None, precompute_ref_logps=True,
        f_divergence_type="reverse_kl", loss_types=loss_types, loss_weights=loss_weights, beta=beta,
        label_smoothing=label_smoothing, use_weighting=False, args=types.SimpleNamespace(discopop_tau=0.05),
        _metrics={"train": defaultdict(list)}, _total_train_tokens=0, _tp_size=1)
    inputs = {"input_ids": input_ids, "attention_mask": attention_mask, "completion_mask": completion_mask,
              "ref_chosen_logps": ref_chosen, "ref_rejected_logps": ref_rejected}
    loss = DPOTrainer._compute_loss(stub, model, inputs, False)
    metrics = {k: v[-1] for k, v in stub._metrics["train"].items()
               if k.startswith("rewards/") or k.startswith("logps/")}
    return loss.item(), metrics


# the policy's per-sequence log-probs, as TRL's _compute_loss computes them
per_token = torch.log_softmax(logits[:, :-1, :], dim=-1).gather(-1, input_ids[:, 1:].unsqueeze(-1)).squeeze(-1)
per_token = per_token * completion_mask[:, 1:]
logps = per_token.sum(dim=1)

smoothed = {"robust", "exo_pair", "aot", "aot_unpaired"}
types_all = ["sigmoid", "hinge", "ipo", "exo_pair", "nca_pair", "robust", "bco_pair", "sppo_hard", "aot", "aot_unpaired",
             "apo_zero", "apo_down", "discopop", "sft", "sigmoid_norm"]
cases = []
for t in types_all:
    eps = 0.1 if t in smoothed else 0.0
    loss, metrics = trl_loss([t], [1.0], 0.1, eps)
    cases.append({"loss_type": [t], "loss_weights": [1.0], "beta": 0.1, "label_smoothing": eps, "loss": loss, "metrics": metrics})
loss, metrics = trl_loss(["sigmoid", "bco_pair", "sft"], [0.8, 0.2, 1.0], 0.5, 0.0)  # MPO's combination
cases.append({"loss_type": ["sigmoid", "bco_pair", "sft"], "loss_weights": [0.8, 0.2, 1.0], "beta": 0.5,
              "label_smoothing": 0.0, "loss": loss, "metrics": metrics})

out = {
    "trl_version": trl.__version__, "torch_version": torch.__version__, "discopop_tau": 0.05,
    "chosen_logps": logps[:PAIRS].tolist(), "rejected_logps": logps[PAIRS:].tolist(),
    "ref_chosen_logps": ref_chosen.tolist(), "ref_rejected_logps": ref_rejected.tolist(),
    "chosen_tokens": completion[:PAIRS], "rejected_tokens": completion[PAIRS:],
    "cases": cases,
}
path = pathlib.Path(__file__).resolve().parent.parent / "train/src/test/resources/golden/dpo_losses.json"
path.parent.mkdir(parents=True, exist_ok=True)
path.write_text(json.dumps(out, indent=1) + "\n")
print("wrote", path, "with", len(cases), "cases; trl", trl.__version__)
