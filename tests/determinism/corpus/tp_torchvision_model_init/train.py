import torchvision

model = torchvision.models.resnet18(weights=None)
print(model)
