#!/usr/bin/env python3
"""Golden values for Lore's SeededGenerator (Tests/TensorTests/TensorCoreTests.swift).

An independent Python implementation of the same algorithms: SplitMix64 expands the seed into
xoshiro256** state (Blackman & Vigna's reference C code), uniform floats take the top 24 bits,
normals use Box-Muller in double precision (u1 = 1 - uniform53, one sample per call), rounded to
float32. Run: python3 Scripts/reference_random.py
"""
import math
import struct

MASK = (1 << 64) - 1


def splitmix_state(seed):
    words, s = [], seed
    for _ in range(4):
        s = (s + 0x9E3779B97F4A7C15) & MASK
        z = s
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        words.append(z ^ (z >> 31))
    return words


def rotl(x, k):
    return ((x << k) | (x >> (64 - k))) & MASK


class Xoshiro:
    def __init__(self, seed):
        self.s = splitmix_state(seed)

    def next(self):
        s = self.s
        result = (rotl((s[1] * 5) & MASK, 7) * 9) & MASK
        t = (s[1] << 17) & MASK
        s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3]; s[2] ^= t
        s[3] = rotl(s[3], 45)
        return result

    def uniform(self):
        return float(self.next() >> 40) * 2.0 ** -24

    def normal(self):
        u1 = 1.0 - float(self.next() >> 11) * 2.0 ** -53
        u2 = float(self.next() >> 11) * 2.0 ** -53
        return math.sqrt(-2.0 * math.log(u1)) * math.cos(2.0 * math.pi * u2)


def f32(x):
    return struct.unpack("<f", struct.pack("<f", x))[0]


g = Xoshiro(42)
print("first outputs, seed 42:", [hex(g.next()) for _ in range(3)])
g = Xoshiro(42)
print("normals, seed 42:", [repr(f32(g.normal())) for _ in range(6)])
g = Xoshiro(7)
print("uniforms, seed 7:", [repr(f32(g.uniform())) for _ in range(4)])
