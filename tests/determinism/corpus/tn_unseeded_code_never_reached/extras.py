import torch


def noisy():
    return torch.randn(3)
