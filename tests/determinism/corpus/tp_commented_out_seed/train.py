import torch

# torch.manual_seed(0)
x = torch.rand(4)
print(x)
