import numpy as np
import tensorflow as tf

tf.random.set_seed(0)
x = np.arange(10)
np.random.shuffle(x)
print(tf.constant(x))
