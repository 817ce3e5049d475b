import sklearn.model_selection as ms

cv = ms.KFold(5, shuffle=True)
print(cv)
