import numpy as np
from accelerate.utils import set_seed

set_seed(0)
print(np.random.rand(2))
