import torch

model = torch.nn.Linear(10, 1)
x = torch.randn(32, 10)
print(model(x).sum())
