from torch.utils.data import Dataset


class Plain(Dataset):
    def __len__(self):
        return 10

    def __getitem__(self, i):
        return i * 2
