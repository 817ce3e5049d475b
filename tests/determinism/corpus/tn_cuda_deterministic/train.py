import torch

torch.manual_seed(0)
torch.backends.cudnn.benchmark = False
torch.backends.cudnn.deterministic = True
model = torch.nn.Linear(4, 2).to("cuda")
print(model)
