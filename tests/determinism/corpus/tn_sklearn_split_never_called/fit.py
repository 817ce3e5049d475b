from prep import passthrough

X, y = passthrough([[0], [1], [2]], [0, 1, 0])
print(len(X), len(y))
