from env import fix_hashing

fix_hashing()
print(sorted({"a", "b", "c"}))
