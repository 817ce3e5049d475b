import numpy as np

np.random.seed(0)
rng = np.random.default_rng()
print(rng.normal(), np.random.rand())
