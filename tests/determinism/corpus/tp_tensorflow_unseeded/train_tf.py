import tensorflow as tf

layer = tf.keras.layers.Dense(4)
noise = tf.random.normal((2, 4))
print(layer(noise))
