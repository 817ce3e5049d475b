import random

import extras

random.seed(0)
print(random.random(), extras.__name__)
