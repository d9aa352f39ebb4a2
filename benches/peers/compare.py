"""Compare rewardsmith env throughput with Gymnasium peers as a Markdown table.

Reads two JSON-lines files with rows `{"env": ..., "steps_per_s": ...}` and an
optional `"control_dt"`:
  --ours   rewardsmith rows; `"mode"` is "single" (one thread, the default when
           absent) or "vec2" (VecEnv on 2 threads, total env steps/s);
  --peers  rows from gym_envs.py (rows without `steps_per_s`, e.g. render
           rows, are ignored).
Our env names map to peer env ids (cartpole -> CartPole-v1, ...; extend or
override with `--map ours=peer`). When a file repeats an (env, mode) row the
last one wins. Cells missing on either side are shown as "—". The table is
printed and, with `--out FILE`, also written there.

Usage:
  python compare.py --ours ours.jsonl --peers peers.jsonl --out compare.md
"""

import argparse
import json
import sys

DEFAULT_MAP = {
    "cartpole": "CartPole-v1",
    "pendulum": "Pendulum-v1",
    "reacher": "Reacher-v5",
    "ant": "Ant-v5",
    "humanoid": "Humanoid-v5",
    # A 7-DoF arm pushing an object to a goal: the closest Gymnasium task to arm-push.
    "arm-push": "Pusher-v5",
}
DASH = "—"


def load_rows(path, default_mode):
    """Return {(env, mode): row} for the rows of `path` that carry steps_per_s."""
    rows = {}
    with open(path, encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as err:
                sys.exit(f"compare.py: {path}:{number}: bad JSON: {err}")
            if "steps_per_s" not in row:
                continue
            if "env" not in row:
                sys.exit(f"compare.py: {path}:{number}: row has no 'env'")
            rows[(row["env"], row.get("mode", default_mode))] = row
    return rows


def parse_map(pairs):
    """Default mapping updated with `ours=peer` pairs."""
    mapping = dict(DEFAULT_MAP)
    for pair in pairs:
        ours, sep, peer = pair.partition("=")
        if not sep or not ours or not peer:
            sys.exit(f"compare.py: --map wants ours=peer, got '{pair}'")
        mapping[ours] = peer
    return mapping


def rate(row):
    """Format a row's steps/s, or a dash when the row is missing."""
    return f"{row['steps_per_s']:,.0f}" if row else DASH


def ratio(row, peer):
    """Format row/peer steps/s as 'N.NN×', or a dash when either is missing."""
    if not row or not peer or not peer["steps_per_s"]:
        return DASH
    return f"{row['steps_per_s'] / peer['steps_per_s']:.2f}×"


def dt(*rows):
    """First control_dt among `rows`, formatted in seconds, or a dash."""
    for row in rows:
        if row and row.get("control_dt") is not None:
            return f"{row['control_dt']:g}"
    return DASH


def build_table(ours, peers, mapping):
    """Markdown table lines: mapped envs first, then envs only we have."""
    our_envs = [env for env, _ in ours]
    names = list(mapping) + [env for env in dict.fromkeys(our_envs) if env not in mapping]
    lines = [
        "| env | peer env | ours 1 thread (steps/s) | ours VecEnv 2 threads (steps/s) "
        "| peer (steps/s) | single / peer | vec2 / peer | ours dt (s) | peer dt (s) |",
        "|---|---|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for name in names:
        peer_name = mapping.get(name)
        single = ours.get((name, "single"))
        vec = ours.get((name, "vec2"))
        peer = peers.get((peer_name, "single")) if peer_name else None
        lines.append(
            f"| {name} | {peer_name or DASH} | {rate(single)} | {rate(vec)} | {rate(peer)} "
            f"| {ratio(single, peer)} | {ratio(vec, peer)} | {dt(single, vec)} | {dt(peer)} |"
        )
    return lines


def main():
    """Parse args, build the table, print it and write it to --out."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ours", required=True, metavar="FILE",
                        help="rewardsmith JSON lines")
    parser.add_argument("--peers", required=True, metavar="FILE",
                        help="gym_envs.py JSON lines")
    parser.add_argument("--map", action="append", default=[], metavar="OURS=PEER",
                        help="add or override an env-name mapping (repeatable)")
    parser.add_argument("--out", metavar="FILE", help="also write the table here")
    args = parser.parse_args()

    table = "\n".join(build_table(load_rows(args.ours, "single"),
                                  load_rows(args.peers, "single"),
                                  parse_map(args.map))) + "\n"
    print(table, end="")
    if args.out:
        with open(args.out, "w", encoding="utf-8") as out:
            out.write(table)


if __name__ == "__main__":
    main()
