from numpy.random import *

x = rand(3)
print(x)
