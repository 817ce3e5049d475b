import tensorflow as tf

tf.random.set_seed(3)
tf.config.experimental.enable_op_determinism()
print(tf.random.uniform((2,)))
