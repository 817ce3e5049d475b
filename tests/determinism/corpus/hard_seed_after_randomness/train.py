import torch

w = torch.randn(3)
torch.manual_seed(0)
print(w, torch.randn(3))
