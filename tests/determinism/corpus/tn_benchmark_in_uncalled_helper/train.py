import torch

from tuning import report

torch.manual_seed(0)
print(report(), torch.zeros(2))
