import torch

torch.cuda.manual_seed_all(0)
w = torch.randn(3, 3)
print(w)
