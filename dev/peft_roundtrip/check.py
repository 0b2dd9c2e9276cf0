# Checks that PEFT loads adapters written by align4j: run SaveOurs.java (see README.md here), then this script
# in a virtualenv with torch, transformers and peft. Printed on 2026-11-27 with peft 0.21.0: llama 9.9e-07, gpt2 9.0e-07.
import torch, json
from transformers import AutoModelForCausalLM
from peft import PeftModel
for base in ["llama", "gpt2"]:
    m = AutoModelForCausalLM.from_pretrained(f"./io/src/test/resources/golden/{base}", dtype=torch.float32, attn_implementation="eager")
    p = PeftModel.from_pretrained(m, f"/tmp/ours_{base}").eval()
    ids = [5, 27, 58, 92, 76, 58, 0, 95, 87, 22, 53]
    with torch.no_grad():
        lp = torch.log_softmax(p(torch.tensor([ids])).logits[0], -1)
    peft = [lp[t, ids[t+1]].item() for t in range(len(ids)-1)]
    ours = json.loads(open(f"/tmp/ours_{base}/ours_logprobs.txt").read())
    print(base, "max |diff| align4j vs PEFT loading align4j's adapter:", max(abs(a-b) for a, b in zip(peft, ours)))
