# An allocation-heavy Python workload for the malloc drop-in's tests (run
# with PYTHONMALLOC=malloc, so every object goes through malloc). Prints a
# digest of what it built; the digest must not depend on the allocator.
import hashlib
import json
import random

rng = random.Random(20261121)
digest = hashlib.sha256()

# Dicts and lists of strings, grown and shrunk.
table = {}
for i in range(60000):
    key = "k%06d" % rng.randrange(100000)
    table.setdefault(key, []).append("v" * rng.randrange(1, 200))
    if i % 7 == 0 and table:
        table.pop(next(iter(table)))
for key in sorted(table):
    digest.update(key.encode())
    digest.update(str(len(table[key])).encode())

# Large strings and bytes (beyond malloc's classes).
blobs = [bytes(rng.getrandbits(8) for _ in range(1000)) * rng.randrange(100, 900)
         for _ in range(40)]
for b in blobs:
    digest.update(hashlib.sha256(b).digest())

# JSON round trips of nested structures.
doc = [{"id": i, "tags": ["t%d" % j for j in range(i % 13)],
        "nested": {"x": i * 1.5, "y": [i] * (i % 31)}} for i in range(5000)]
for _ in range(5):
    doc = json.loads(json.dumps(doc))
digest.update(json.dumps(doc, sort_keys=True).encode())

# Sorting and set operations on many small objects.
nums = [rng.random() for _ in range(200000)]
nums.sort()
digest.update(repr(nums[::1000]).encode())
s1 = {rng.randrange(10**6) for _ in range(100000)}
s2 = {rng.randrange(10**6) for _ in range(100000)}
digest.update(repr(sorted(s1 & s2)[:100]).encode())

print(len(table), len(doc), len(s1 | s2))
print(digest.hexdigest())
