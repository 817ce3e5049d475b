import torch
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(0)
ds = TensorDataset(torch.randn(100, 3))
loader = DataLoader(ds, batch_size=8, shuffle=True)
for (batch,) in loader:
    print(batch.shape)
