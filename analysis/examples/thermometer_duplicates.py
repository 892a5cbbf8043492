# What the old quantile thermometer wasted (issue 16): MNIST pixels whose 3 thresholds collapsed
# to (0, 1, 2), and first-layer slots of a developed network that read a bit t >= 1 equal to a
# lower bit of the same pixel on >= 99% of the (unaugmented) training images, under the old rule
# (plain quantiles, spread) and the conditional quantiles of core/include/lutra/core/encoder.hpp,
# both recomputed here from the documented rules (pure Python, no numpy).
#   python3 -c "import yaml; yaml.safe_dump(yaml.safe_load(open('configs/mnist-fixed.yaml'))['genome'], open('/tmp/g.yaml', 'w'))"
#   build/lutra genome develop /tmp/g.yaml --seed 1 --graphml /tmp/g.graphml
#   python3 analysis/examples/thermometer_duplicates.py /tmp/g.graphml [resolution] [mnist dir]
import os, re, sys
from collections import Counter
T = 3
res = int(sys.argv[2]) if len(sys.argv) > 2 else 8
mnist = sys.argv[3] if len(sys.argv) > 3 else os.path.expanduser('~/.local/share/lutra/mnist')
raw = open(os.path.join(mnist, 'train-images-idx3-ubyte'), 'rb').read()[16:]
F, n = 784, 60000
hist = []
for f in range(F):
    c = Counter(raw[f::F])
    hist.append([c.get(v, 0) for v in range(256)])

def spread(th, top):
    for t in range(1, len(th)): th[t] = max(th[t], th[t-1] + 1)
    th[-1] = min(th[-1], top)
    for t in range(len(th) - 2, -1, -1): th[t] = min(th[t], th[t+1] - 1)
    return th

def old_rule(h):
    th, at_most, t = [0]*T, 0, 0
    for v in range(256):
        at_most += h[v]
        while t < T and at_most * (T + 1) >= (t + 1) * n: th[t] = v; t += 1
    return spread(th, 254)

def new_rule(h, r):  # written from the encoder.hpp text, independently of the C++
    g = 1 << (8 - r); L = 1 << r; top = L - 2
    lh = [sum(h[l*g:(l+1)*g]) for l in range(L)]
    above, first, lv = sum(lh), 0, []
    for t in range(T):
        parts = T + 1 - t
        passed, level = 0, first
        while level < L:
            passed += lh[level]
            if passed * parts >= above: break
            level += 1
        if above == 0: level = first
        elif level > top: level = top if first <= top and passed > lh[top + 1] else first
        above -= sum(lh[first:level+1]); lv.append(level); first = level + 1
    lv = spread(lv, top)
    return [(l + 1) * g - 1 for l in lv]

edges = re.findall(r'<edge id="[^"]*" source="n(\d+)" target="n(\d+)"', open(sys.argv[1]).read())
slots = [int(s) for s, _ in edges if int(s) < F * T]
for name, rule in (('before (plain quantiles, spread)', old_rule), ('after (conditional quantiles, r=%d)' % res, lambda h: new_rule(h, res))):
    ths = [rule(h) for h in hist]
    collapsed = sum(th == [0, 1, 2] for th in ths)
    dup_bit = set()   # bit t >= 1 equal to a lower bit of its pixel on >= 99% of images
    rare = set()      # of those, bits of pixels non-zero on < 1% of images: near-constant, no threshold helps
    for f, th in enumerate(ths):
        for b in range(1, T):
            for a in range(b):
                differ = sum(hist[f][th[a]+1:th[b]+1])  # values between the thresholds set bit a, not bit b
                if differ <= 0.01 * n:
                    dup_bit.add(f * T + b)
                    if n - hist[f][0] < 0.01 * n: rare.add(f * T + b)
    dup_slots = sum(s in dup_bit for s in slots)
    rare_slots = sum(s in rare for s in slots)
    print(f'{name}: pixels with thresholds (0,1,2): {collapsed}; bits 1..T-1 equal to a lower bit of their pixel '
          f'on >=99% of images: {len(dup_bit)} of {F*T}; first-layer slots reading one: {dup_slots} of {len(slots)}, '
          f'of which {rare_slots} on pixels non-zero in <1% of images')
