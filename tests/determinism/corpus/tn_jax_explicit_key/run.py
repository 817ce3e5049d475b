import jax

key = jax.random.PRNGKey(0)
key, sub = jax.random.split(key)
print(jax.random.normal(sub, (3,)))
