import torch


def main():
    print(torch.rand(3))
