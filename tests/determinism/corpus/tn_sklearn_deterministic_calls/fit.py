from sklearn.ensemble import RandomForestClassifier
from sklearn.model_selection import KFold, train_test_split

X = [[0], [1], [2], [3]]
y = [0, 1, 0, 1]
cv = KFold(2)
X_tr, X_te, y_tr, y_te = train_test_split(X, y, random_state=0)
ordered = train_test_split(X, y, shuffle=False)
clf = RandomForestClassifier(random_state=0).fit(X_tr, y_tr)
print(cv, ordered, clf)
