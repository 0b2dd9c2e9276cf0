"""Golden ORPO and CPO/SimPO losses from TRL itself, for align4j's PreferenceLossGoldenTest.

Calls TRL 1.13's own ORPOTrainer.odds_ratio_loss and CPOTrainer.cpo_loss (trl.experimental) with a
stub trainer on fixed per-sequence log-probs, and adds the chosen NLL as their
get_batch_loss_metrics do (ORPO: nll − mean(β·log σ(log odds)); CPO: mean(loss) + cpo_alpha·nll,
with nll the cross-entropy over the chosen completion tokens, −Σ chosen log-probs / Σ chosen
tokens). Log-probs are averaged per token where TRL's concatenated_forward averages them (ORPO
always; CPO for ipo and simpo). Writes train/src/test/resources/golden/orpo_cpo_losses.json.

Run once in a virtualenv outside the repository (see make_golden_dpo.py).
"""
import json
import pathlib
import types

import torch
import trl
from trl.experimental.cpo.cpo_trainer import CPOTrainer
from trl.experimental.orpo.orpo_trainer import ORPOTrainer

chosen = torch.tensor([-13.707385, -16.803806, -10.668840, -22.458069])   # summed log-probs of each completion
rejected = torch.tensor([-13.284943, -15.895242, -25.834000, -6.235502])
chosen_tokens = torch.tensor([4.0, 3.0, 2.0, 5.0])
rejected_tokens = torch.tensor([3.0, 4.0, 5.0, 2.0])
nll = (-chosen.sum() / chosen_tokens.sum()).item()
accelerator = types.SimpleNamespace(device=torch.device("cpu"))

cases = []
beta = 0.1
stub = types.SimpleNamespace(beta=beta, accelerator=accelerator)
losses, _, _, _, _ = ORPOTrainer.odds_ratio_loss(stub, chosen / chosen_tokens, rejected / rejected_tokens)
cases.append({"trainer": "orpo", "beta": beta, "loss": nll - losses.mean().item()})

for loss_type, eps, gamma, b in [("sigmoid", 0.1, 0.5, 0.1), ("hinge", 0.0, 0.5, 0.1), ("ipo", 0.0, 0.5, 0.1),
                                  ("simpo", 0.0, 0.5, 2.0), ("simpo", 0.1, 1.0, 2.5)]:
    stub = types.SimpleNamespace(beta=b, label_smoothing=eps, loss_type=loss_type, simpo_gamma=gamma, alpha=0.0,
                                 accelerator=accelerator)
    average = loss_type in ("ipo", "simpo")
    c = chosen / chosen_tokens if average else chosen
    r = rejected / rejected_tokens if average else rejected
    losses, _, _ = CPOTrainer.cpo_loss(stub, c, r)
    for cpo_alpha in (1.0, 0.0):
        cases.append({"trainer": "cpo", "loss_type": loss_type, "beta": b, "label_smoothing": eps, "simpo_gamma": gamma,
                      "cpo_alpha": cpo_alpha, "loss": losses.mean().item() + cpo_alpha * nll})

out = {"trl_version": trl.__version__, "chosen_logps": chosen.tolist(), "rejected_logps": rejected.tolist(),
       "chosen_tokens": [int(x) for x in chosen_tokens], "rejected_tokens": [int(x) for x in rejected_tokens], "cases": cases}
path = pathlib.Path(__file__).resolve().parent.parent / "train/src/test/resources/golden/orpo_cpo_losses.json"
path.write_text(json.dumps(out, indent=1) + "\n")
print("wrote", path, "with", len(cases), "cases; trl", trl.__version__)
