"""Summarize `run_train_peer.sh` results (JSON lines, one per run) as a Markdown table:
per tool and env, the median wall-clock seconds to the return threshold over seeds,
the runs that reached it, and each row's ratio to the median of SB3 with PyTorch's
default threads (and, when present, of SB3 with one thread).

Usage: train_peer_table.py RESULTS.jsonl [--out FILE.md]
"""

import argparse
import json
import statistics


INF = float("inf")


def median_or_none(xs):
    """Median, where a run that never reached the threshold counts as infinitely slow;
    None when that median is infinite (or there are no runs)."""
    m = statistics.median(xs) if xs else INF
    return None if m == INF else m


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("results")
    p.add_argument("--out")
    args = p.parse_args()
    rows = [json.loads(l) for l in open(args.results) if l.strip()]
    groups = {}
    for r in rows:
        groups.setdefault((r["tool"], r["env"]), []).append(r)
    def sb3_median(tool):
        rs = groups.get((tool, "CartPole-v1"), [])
        return median_or_none([r["wall_s"] if r["reached"] else INF for r in rs])

    sb3, sb3_one = sb3_median("sb3"), sb3_median("sb3-1thread")
    threshold = rows[0]["threshold"] if rows else 475
    lines = [
        f"PPO until the mean return of the last 100 training episodes ≥ {threshold:g} "
        "(checked after every update), wall-clock seconds from start of training.",
        "",
        "| tool | env | reached | median s | seconds per seed | median steps | ratio to SB3 "
        "| ratio to SB3, 1 thread |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for (tool, env), rs in sorted(groups.items()):
        rs.sort(key=lambda r: r["seed"])
        hit = [r for r in rs if r["reached"]]
        med = median_or_none([r["wall_s"] if r["reached"] else INF for r in rs])
        steps = median_or_none([r["step"] if r["reached"] else INF for r in rs])
        per = ", ".join(f"{r['wall_s']:.1f}" if r["reached"] else "–" for r in rs)
        ours = not tool.startswith("sb3")
        ratio = f"{med / sb3:.3f}×" if med and sb3 and ours else ""
        ratio_one = f"{med / sb3_one:.3f}×" if med and sb3_one and ours else ""
        lines.append(
            f"| {tool} | {env} | {len(hit)}/{len(rs)} | "
            f"{med:.2f} | {per} | {steps:,.0f} | {ratio} | {ratio_one} |"
            if med is not None
            else f"| {tool} | {env} | {len(hit)}/{len(rs)} | – | {per} | – | | |"
        )
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text)


if __name__ == "__main__":
    main()
