import torch
from transformers import set_seed

set_seed(42)
head = torch.nn.Linear(768, 2)
print(head)
