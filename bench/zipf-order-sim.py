#!/usr/bin/env python3
"""How many demand stalls copy orders leave on the Zipf hot spot, in a model without a network.

The model of `reloc experiment --workload zipf` (bench/.../ZipfWorkload.java): 256 regions of
16 blocks, popularity Zipf(1.1) over a seeded shuffle of the regions, one request every 10 ms
(one in ten a write, which stalls nobody), a history of 500 requests seen by the source before
switch-over. The copier moves one region every REGION_MS from the switch-over on; a read of a
block that is neither copied nor fetched before stalls and fetches its block (STALL_MS later it
is present). Orders:

  linear   block order
  hotspot  regions touched twice at the destination first (in the order they were learned),
           then the source's list by history count, then block order
  summed   the region with the most touches, history and destination added up, first
  oracle   the true order of popularity

Usage: bench/zipf-order-sim.py [SEEDS]   (default 8; prints stalls per order and seed)
"""
import random
import sys

REGIONS, BLOCKS, EXPONENT = 256, 16, 1.1
HISTORY, REQUESTS, INTERVAL_MS, REGION_MS, STALL_MS = 500, 1500, 10.0, 30.0, 25.0


def run(order, seed):
    rnd = random.Random(seed)
    weights = [1 / (k + 1) ** EXPONENT for k in range(REGIONS)]
    at_rank = list(range(REGIONS))
    rnd.shuffle(at_rank)

    def request():
        region = at_rank[rnd.choices(range(REGIONS), weights=weights)[0]]
        return region, rnd.randrange(BLOCKS), rnd.random() < 0.1

    history = [0] * REGIONS
    for _ in range(HISTORY):
        history[request()[0]] += 1
    source_list = [r for r in sorted(range(REGIONS), key=lambda r: -history[r]) if history[r] > 0]
    present = [[False] * BLOCKS for _ in range(REGIONS)]
    done = [False] * REGIONS
    touches = [0] * REGIONS
    learned = []
    pending = {}  # (region, block) -> time its demand fetch arrives

    def pick():
        if order == "linear":
            candidates = range(REGIONS)
        elif order == "oracle":
            candidates = at_rank
        elif order == "hotspot":
            candidates = learned + source_list + list(range(REGIONS))
        else:
            left = [r for r in range(REGIONS) if not done[r]]
            return max(left, key=lambda r: (history[r] + touches[r], -r)) if left else None
        return next((r for r in candidates if not done[r]), None)

    stalls, copying, copy_end, free_at = 0, None, 0.0, 0.0
    for i in range(REQUESTS):
        now = i * INTERVAL_MS
        while True:  # the copier, up to now
            if copying is None:
                copying = pick()
                if copying is None:
                    break
                missing = sum(1 for b in range(BLOCKS) if not present[copying][b])
                copy_end = max(free_at, copy_end) + REGION_MS * missing / BLOCKS
            if copy_end > now:
                break
            present[copying] = [True] * BLOCKS
            done[copying] = True
            free_at, copying = copy_end, None
        for key, at in list(pending.items()):
            if at <= now:
                present[key[0]][key[1]] = True
                done[key[0]] = done[key[0]] or all(present[key[0]])
                del pending[key]
        region, block, write = request()
        touches[region] += 1
        if order == "hotspot" and touches[region] == 2:
            learned.append(region)
        if not present[region][block]:
            stalls += 0 if write else 1
            pending.setdefault((region, block), now + STALL_MS)
    return stalls


if __name__ == "__main__":
    seeds = range(1, 1 + (int(sys.argv[1]) if len(sys.argv) > 1 else 8))
    base = None
    for order in ("linear", "hotspot", "summed", "oracle"):
        counts = [run(order, s) for s in seeds]
        base = base or sum(counts)
        print(f"{order:8} {sum(counts):5} ({100 * sum(counts) / base:.0f} %)  {counts}")
