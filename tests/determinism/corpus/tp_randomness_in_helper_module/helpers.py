import numpy as np


def make_data(n):
    return np.random.rand(n, 2)
