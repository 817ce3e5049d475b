from helpers import make_data

data = make_data(10)
print(data.shape)
