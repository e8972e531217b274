"""64-bit mixing shared by zhtext's hash tables and random numbers (Numba).

splitmix64 (Steele, Lea & Flood 2014): a generator adds the Weyl step
``GOLDEN = 2^64 / φ`` to its state and returns the state through the finaliser

    z = (z ^ z >> 30) * 0xBF58476D1CE4E5B9
    z = (z ^ z >> 27) * 0x94D049BB133111EB
    return z ^ z >> 31

which also serves as a fast, well-spread hash of 64-bit keys
(:mod:`zhtext.ngrams`); multiplying by ``GOLDEN`` and keeping the top bits is
Fibonacci hashing, the slot of a key in a power-of-two table
(:mod:`zhtext.segment`). The random numbers of :mod:`zhtext.community` come
from the same generator.
"""

from __future__ import annotations

import numpy as np
from numba import njit

GOLDEN = np.uint64(0x9E3779B97F4A7C15)


@njit(cache=True, inline="always")
def splitmix64(z):
    """The splitmix64 finaliser of a ``uint64`` (see the module docstring)."""
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


@njit(cache=True, inline="always")
def next_random(state):
    """The next 64-bit number of the splitmix64 generator whose state is ``state[0]`` (advanced)."""
    state[0] += GOLDEN
    return splitmix64(state[0])
