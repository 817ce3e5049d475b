from sklearn.model_selection import train_test_split


def legacy_split(X, y):
    return train_test_split(X, y, test_size=0.1)


def passthrough(X, y):
    return X, y
