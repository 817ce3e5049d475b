import torch

torch.manual_seed(0)
model = torch.nn.Linear(4, 2).cuda()
print(model(torch.randn(1, 4, device="cuda")))
