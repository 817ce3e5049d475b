import torch

torch.manual_seed(0)
torch.use_deterministic_algorithms(True)
print(torch.randn(2))
