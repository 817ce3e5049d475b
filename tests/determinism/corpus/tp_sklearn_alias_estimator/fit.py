from sklearn.ensemble import RandomForestClassifier as RF

clf = RF(n_estimators=10)
print(clf)
