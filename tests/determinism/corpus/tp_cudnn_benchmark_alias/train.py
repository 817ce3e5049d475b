import torch
from torch.backends import cudnn

torch.manual_seed(0)
cudnn.benchmark = True
print(torch.randn(2))
