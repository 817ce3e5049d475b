import numpy as np

rng = np.random.default_rng(1234)
print(rng.normal(size=3), rng.integers(10))
