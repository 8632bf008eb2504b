"""Template filling shared by the generated prompt sets of safety-small (safety_contrast,
safety_general, safety_lexicon): every frame with every combination of slot values, and a
seeded sample of distinct prompts."""
import itertools


def fill(frames, **slots):
    keys = list(slots)
    out = []
    for f in frames:
        for values in itertools.product(*(slots[k] for k in keys)):
            out.append(f.format(**dict(zip(keys, values))))
    return out


def sample(rng, items, n):
    items = sorted(set(items))
    rng.shuffle(items)
    return items[:n]
