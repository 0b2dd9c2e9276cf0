"""Golden KTO losses from TRL itself, for align4j's PreferenceLossGoldenTest.

Runs TRL 1.13's own KTOTrainer._compute_loss on fixed logits through a stub model, with the
reference log-probs precomputed and the mismatched (KL) log-probs given, for loss_type kto and
apo_zero_unpaired and two weightings, and writes the completion log-probs it summed, the labels,
the KL reference point and the loss it returned to train/src/test/resources/golden/kto_losses.json.

Run once in a virtualenv outside the repository (see make_golden_dpo.py).
"""
import json
import pathlib
import types
from collections import defaultdict

import torch
import trl
from trl.trainer.kto_trainer import KTOTrainer

torch.manual_seed(1)
N, T, V = 6, 7, 11
input_ids = torch.randint(0, V, (N, T))
prompt = [2, 3, 1, 2, 3, 2]
completion = [4, 3, 5, 2, 4, 3]
completion_mask = torch.zeros(N, T, dtype=torch.long)
attention_mask = torch.zeros(N, T, dtype=torch.long)
for s in range(N):
    completion_mask[s, prompt[s]:prompt[s] + completion[s]] = 1
    attention_mask[s, :prompt[s] + completion[s]] = 1
logits = torch.randn(N, T, V) * 2.0
labels = torch.tensor([True, False, True, True, False, False])
ref_logps = torch.tensor([-9.5, -7.25, -12.0, -4.5, -10.0, -6.75])
kl_logps = torch.tensor([-11.0, -8.5, -14.25, -6.0, -9.0, -7.5])      # the policy on mismatched pairs
ref_kl_logps = torch.tensor([-12.5, -8.0, -15.0, -7.25, -10.5, -7.0])  # the reference on the same


class StubModel(torch.nn.Module):
    training = True

    def forward(self, **kwargs):
        return types.SimpleNamespace(logits=logits.clone().requires_grad_(True))


def trl_loss(loss_type, beta, desirable_weight, undesirable_weight):
    accelerator = types.SimpleNamespace(device=torch.device("cpu"), gather_for_metrics=lambda x: x, gather=lambda x: x)
    model = StubModel()
    stub = types.SimpleNamespace(
        model=model, accelerator=accelerator, aux_loss_enabled=False, precompute_ref_logps=True, calculate_KL=True,
        loss_type=loss_type, beta=beta, desirable_weight=desirable_weight, undesirable_weight=undesirable_weight,
        _compute_kl_logps=lambda m, b: kl_logps.clone(), _metrics={"train": defaultdict(list)}, _total_train_tokens=0,
        _tp_size=1)
    inputs = {"input_ids": input_ids, "attention_mask": attention_mask, "completion_mask": completion_mask,
              "label": labels, "ref_logps": ref_logps, "ref_KL_logps": ref_kl_logps}
    loss = KTOTrainer._compute_loss(stub, model, inputs, False)
    metrics = stub._metrics["train"]
    return loss.item(), metrics["kl"][-1], {k: metrics[k][-1] for k in ("rewards/chosen", "rewards/rejected", "logps/chosen", "logps/rejected")}


per_token = torch.log_softmax(logits[:, :-1, :], dim=-1).gather(-1, input_ids[:, 1:].unsqueeze(-1)).squeeze(-1)
logps = (per_token * completion_mask[:, 1:]).sum(dim=1)
cases = []
for loss_type, beta, dw, uw in [("kto", 0.1, 1.0, 1.0), ("kto", 0.5, 1.33, 1.0), ("apo_zero_unpaired", 0.1, 1.0, 1.0),
                                ("apo_zero_unpaired", 0.3, 1.0, 0.75)]:
    loss, kl, metrics = trl_loss(loss_type, beta, dw, uw)
    cases.append({"loss_type": loss_type, "beta": beta, "desirable_weight": dw, "undesirable_weight": uw, "loss": loss,
                  "kl": kl, "metrics": metrics})
out = {"trl_version": trl.__version__, "logps": logps.tolist(), "ref_logps": ref_logps.tolist(), "labels": labels.tolist(),
       "kl_logps": kl_logps.tolist(), "ref_kl_logps": ref_kl_logps.tolist(), "cases": cases}
path = pathlib.Path(__file__).resolve().parent.parent / "train/src/test/resources/golden/kto_losses.json"
path.write_text(json.dumps(out, indent=1) + "\n")
print("wrote", path, "with", len(cases), "cases; trl", trl.__version__)
