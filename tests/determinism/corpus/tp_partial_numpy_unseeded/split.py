import random

import numpy as np

random.seed(0)
idx = np.random.permutation(100)
print(random.random(), idx[:5])
