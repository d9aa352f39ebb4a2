"""Time the expert rewards written in Python with numpy, called once per step from
Python, as Text2Reward runs its generated reward code (Xie et al. 2023), and compare
with rewardsmith's Luau programs on the same States.

States come from a rewardsmith rollout (`rewardsmith rollout ... --out FILE.jsonl`);
each is turned into an object of numpy arrays before timing, so only the reward call
is timed. The functions mirror `rewards/<env>.luau` term for term.

Usage:
  python reward_call.py --rollouts DIR [--ours ours.jsonl] [--out table.md]
where DIR holds <env>.jsonl rollouts for the envs below.
"""

import argparse
import json
import os
import time

import numpy as np


class Body:
    """A body's state as numpy arrays."""

    def __init__(self, d):
        self.pos = np.asarray(d["pos"])
        self.quat = np.asarray(d["quat"])  # w, x, y, z
        self.linvel = np.asarray(d["linvel"])
        self.angvel = np.asarray(d["angvel"])


class State:
    """A State as Text2Reward-style attribute access over numpy arrays."""

    def __init__(self, d):
        self.bodies = {k: Body(v) for k, v in d["bodies"].items()}
        self.joints = d["joints"]
        self.action = np.asarray(d["action"])
        self.task = {k: np.asarray(v) for k, v in d["task"].items()}
        self.t = d["t"]


def tolerance(x, lo, hi, margin):
    """dm_control rewards.tolerance with the gaussian sigmoid, value 0.1 at margin."""
    if lo <= x <= hi:
        return 1.0
    if margin <= 0:
        return 0.0
    d = (lo - x if x < lo else x - hi) / margin
    scale = np.sqrt(-2 * np.log(0.1))
    return float(np.exp(-0.5 * (d * scale) ** 2))


def up_z(q):
    """z component of the body's z axis for quaternion (w, x, y, z)."""
    w, x, y, _ = q
    return 1 - 2 * (x * x + y * y)


def reacher(s):
    tip = s.bodies["fingertip"].pos
    a = s.action
    return {"distance": -np.linalg.norm(tip - s.task["target"]), "control": -0.1 * float(np.sum(a * a))}


def ant(s):
    torso = s.bodies["torso"]
    healthy = 1.0 if 0.2 <= torso.pos[2] <= 1.0 else 0.0
    return {"forward": torso.linvel[0], "healthy": healthy, "control": -0.5 * float(np.sum(s.action ** 2))}


def humanoid(s):
    head = s.bodies["head"].pos
    torso = s.bodies["torso"]
    standing = tolerance(head[2], 1.4, np.inf, 0.35)
    upright = tolerance(up_z(torso.quat), 0.9, np.inf, 1.9)
    still = tolerance(float(np.linalg.norm(torso.linvel[:2])), 0, 0, 2)
    effort = float(np.sum(s.action ** 2))
    stand = standing * upright
    return {
        "standing": standing, "upright": upright, "still": still,
        "control": -0.1 * effort / 18, "total": stand * (3 + still) / 4 - 0.1 * effort / 18,
    }


def arm_push(s):
    tcp = s.bodies["tcp"].pos
    cube = s.bodies["cube"].pos
    reach = 1 - np.tanh(5 * np.linalg.norm(tcp - cube))
    place = 1 - np.tanh(5 * np.linalg.norm(cube - s.task["target"]))
    return {"reach": 0.5 * reach, "place": 2 * place, "control": -0.01 * float(np.sum(s.action ** 2))}


REWARDS = {"reacher": reacher, "ant": ant, "humanoid": humanoid, "arm-push": arm_push}


def time_calls(fn, states, rounds):
    for s in states[:100]:
        fn(s)
    start = time.perf_counter()
    for _ in range(rounds):
        for s in states:
            fn(s)
    return (time.perf_counter() - start) * 1e6 / (rounds * len(states))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rollouts", required=True, help="directory of <env>.jsonl rollouts")
    ap.add_argument("--ours", help="JSONL from `cargo bench --bench reward_share -- --json`")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--out", help="also write the Markdown table here")
    args = ap.parse_args()
    ours = {}
    if args.ours:
        with open(args.ours, encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    row = json.loads(line)
                    ours[row["env"]] = row
    lines = ["| env | numpy µs/call | rewardsmith Luau µs/call | speed-up |", "|---|--:|--:|--:|"]
    for env, fn in REWARDS.items():
        path = os.path.join(args.rollouts, f"{env}.jsonl")
        if not os.path.exists(path):
            continue
        with open(path, encoding="utf-8") as f:
            states = [State(json.loads(line)["state"]) for line in f if line.strip()]
        py = time_calls(fn, states, args.rounds)
        ours_us = ours.get(env, {}).get("reward_us")
        if ours_us:
            lines.append(f"| {env} | {py:.2f} | {ours_us:.2f} | {py / ours_us:.1f}× |")
        else:
            lines.append(f"| {env} | {py:.2f} | — | — |")
    table = "\n".join(lines)
    print(table)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as f:
            f.write(table + "\n")


if __name__ == "__main__":
    main()
