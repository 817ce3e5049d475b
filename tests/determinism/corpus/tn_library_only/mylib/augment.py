import random

import numpy as np


def jitter(x):
    return x + np.random.normal() + random.random()
