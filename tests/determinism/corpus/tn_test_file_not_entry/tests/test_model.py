import numpy as np

SAMPLE = np.random.rand(3)


def test_shape():
    assert SAMPLE.shape == (3,)
