import time

import jax

key = jax.random.PRNGKey(int(time.time()))
print(jax.random.normal(key, (3,)))
