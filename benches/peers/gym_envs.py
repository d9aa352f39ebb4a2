"""Time single-threaded random-action rollouts of Gymnasium reference envs.

Peer side of rewardsmith's env-throughput benchmark. For each env this runs
`env.step` with actions pre-sampled from a seeded numpy RNG (so sampling cost
is outside the timed loop), resets automatically on termination/truncation
(reset cost is included, as in a real rollout) and reports steps per second
after a short untimed warm-up, the best of `--repeats` timed runs. Envs are
built with plain `gym.make`, i.e. with Gymnasium's default wrappers
(TimeLimit, OrderEnforcing, PassiveEnvChecker).

Control timesteps (seconds of simulated time per `env.step`), per the
Gymnasium env docs and source, and read at run time from the env:
  CartPole-v1          tau = 0.02
  Pendulum-v1          dt = 0.05
  InvertedPendulum-v5  frame_skip 2 x timestep 0.02 = 0.04
  Reacher-v5           frame_skip 2 x timestep 0.01 = 0.02
  Ant-v5               frame_skip 5 x timestep 0.01 = 0.05
  Humanoid-v5          frame_skip 5 x timestep 0.003 = 0.015
  Pusher-v5            frame_skip 5 x timestep 0.01 = 0.05

With `--render N` it also times MuJoCo's offscreen renderer (`mujoco.Renderer`,
`update_scene` + `render` of an RGB frame) for N frames per MuJoCo env at
`--size` pixels square. The renderer runs in a child process whose MUJOCO_GL
is `--gl` (default osmesa: software OpenGL from Debian's libosmesa6); if that
backend cannot start, a note is printed and the render rows are skipped.

Usage:
  python gym_envs.py --steps 20000 --json peers.jsonl
  python gym_envs.py --seconds 5 --render 100 --size 224
"""

import argparse
import concurrent.futures
import json
import multiprocessing
import os
import sys
import time

import gymnasium as gym
import numpy as np

DEFAULT_ENVS = [
    "CartPole-v1",
    "InvertedPendulum-v5",
    "Pendulum-v1",
    "Reacher-v5",
    "Ant-v5",
    "Humanoid-v5",
    "Pusher-v5",
]
RENDER_ENVS = ["InvertedPendulum-v5", "Ant-v5", "Humanoid-v5"]
ACTION_POOL = 8192  # pre-sampled actions, cycled through by index
TIME_CHECK_EVERY = 256  # steps between clock reads in --seconds mode


def control_dt(env):
    """Seconds of simulated time per env.step: MuJoCo/Pendulum `dt`, CartPole `tau`."""
    unwrapped = env.unwrapped
    for name in ("dt", "tau"):
        value = getattr(unwrapped, name, None)
        if value is not None:
            return float(value)
    return None


def presample_actions(space, count, rng):
    """Return `count` random actions for `space` as a list ready to index."""
    if isinstance(space, gym.spaces.Discrete):
        return (space.start + rng.integers(0, space.n, size=count)).tolist()
    if isinstance(space, gym.spaces.Box):
        batch = rng.uniform(space.low, space.high, size=(count, *space.shape))
        return list(batch.astype(space.dtype))
    raise TypeError(f"unsupported action space {space}")


def rollout(env, actions, steps=None, seconds=None):
    """Step `env` with `actions` (cycled), resetting on episode end.

    Stops after `steps` steps, or once `seconds` of wall time have passed.
    Returns (steps taken, elapsed seconds).
    """
    pool = len(actions)
    start = time.perf_counter()
    done = 0
    while True:
        if steps is not None:
            if done >= steps:
                break
        elif done % TIME_CHECK_EVERY == 0 and time.perf_counter() - start >= seconds:
            break
        _, _, terminated, truncated, _ = env.step(actions[done % pool])
        if terminated or truncated:
            env.reset()
        done += 1
    return done, time.perf_counter() - start


def bench_env(env_id, args):
    """Time one env; return its JSON row."""
    env = gym.make(env_id)
    env.reset(seed=args.seed)
    env.action_space.seed(args.seed)
    rng = np.random.default_rng(args.seed)
    count = ACTION_POOL if args.seconds is not None else min(args.steps, ACTION_POOL)
    actions = presample_actions(env.action_space, count, rng)
    rollout(env, actions, steps=args.warmup)
    best = None
    for _ in range(args.repeats):
        env.reset(seed=args.seed)
        steps, elapsed = rollout(env, actions, steps=None if args.seconds else args.steps,
                                 seconds=args.seconds)
        if best is None or steps / elapsed > best[0] / best[1]:
            best = (steps, elapsed)
    row = {
        "env": env_id,
        "steps_per_s": best[0] / best[1],
        "control_dt": control_dt(env),
        "steps": best[0],
    }
    env.close()
    return row


def bench_render(env_id, frames, size, seed):
    """Child-process body: time `frames` offscreen renders of `env_id`.

    Imports mujoco here so that MUJOCO_GL, set by the parent before spawning,
    selects the GL backend. Physics steps between frames are not timed.
    """
    import mujoco

    env = gym.make(env_id)
    env.reset(seed=seed)
    model, data = env.unwrapped.model, env.unwrapped.data
    renderer = mujoco.Renderer(model, height=size, width=size)
    actions = presample_actions(env.action_space, frames, np.random.default_rng(seed))
    renderer.update_scene(data)
    renderer.render()  # warm-up: context and texture upload
    rendering = 0.0
    for action in actions:
        _, _, terminated, truncated, _ = env.step(action)
        if terminated or truncated:
            env.reset()
        start = time.perf_counter()
        renderer.update_scene(data)
        renderer.render()
        rendering += time.perf_counter() - start
    renderer.close()
    env.close()
    return {
        "env": env_id,
        "mode": "render",
        "frames_per_s": frames / rendering,
        "frames": frames,
        "size": size,
        "gl": os.environ["MUJOCO_GL"],
    }


def render_rows(env_ids, args):
    """Time rendering in one spawned child; return rows, or [] with a note."""
    os.environ["MUJOCO_GL"] = args.gl
    os.environ["PYOPENGL_PLATFORM"] = args.gl
    context = multiprocessing.get_context("spawn")
    rows = []
    with concurrent.futures.ProcessPoolExecutor(1, mp_context=context) as pool:
        for env_id in env_ids:
            try:
                rows.append(pool.submit(bench_render, env_id, args.render, args.size,
                                        args.seed).result())
            except Exception as err:  # any backend failure means: skip rendering
                print(f"note: offscreen rendering with MUJOCO_GL={args.gl} unavailable "
                      f"({type(err).__name__}: {err}); skipping render rows. "
                      f"For osmesa install Debian's libosmesa6 "
                      f"(benches/peers/setup.sh --with-osmesa).", file=sys.stderr)
                return []
    return rows


def print_table(rows, render):
    """Print a readable table of step rows, then render rows if any."""
    print(f"{'env':<22}{'steps':>9}{'steps/s':>12}{'control_dt':>12}{'x realtime':>12}")
    for row in rows:
        dt = row["control_dt"]
        realtime = f"{row['steps_per_s'] * dt:.0f}" if dt else "—"
        dt_text = f"{dt:g}" if dt else "—"
        print(f"{row['env']:<22}{row['steps']:>9}{row['steps_per_s']:>12.0f}"
              f"{dt_text:>12}{realtime:>12}")
    if render:
        print()
        print(f"{'render env':<22}{'frames':>9}{'size':>7}{'frames/s':>11}{'gl':>8}")
        for row in render:
            print(f"{row['env']:<22}{row['frames']:>9}{row['size']:>7}"
                  f"{row['frames_per_s']:>11.1f}{row['gl']:>8}")


def main():
    """Parse args, run the benchmarks, print and optionally write JSON lines."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--envs", nargs="+", default=DEFAULT_ENVS, metavar="ENV",
                        help="Gymnasium env ids (default: %(default)s)")
    parser.add_argument("--steps", type=int, default=20000,
                        help="timed steps per env (default: %(default)s)")
    parser.add_argument("--seconds", type=float,
                        help="time bound per env instead of --steps")
    parser.add_argument("--warmup", type=int, default=500,
                        help="untimed warm-up steps per env (default: %(default)s)")
    parser.add_argument("--repeats", type=int, default=1,
                        help="timed runs per env; the fastest is reported, which "
                             "damps noise from other load (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", metavar="FILE",
                        help="write one JSON object per line (steps rows, then render rows)")
    parser.add_argument("--render", type=int, default=0, metavar="N",
                        help="also time N offscreen frames per env of "
                             f"{', '.join(RENDER_ENVS)} (default: off)")
    parser.add_argument("--size", type=int, default=224,
                        help="render width = height in pixels (default: %(default)s)")
    parser.add_argument("--gl", default=os.environ.get("MUJOCO_GL", "osmesa"),
                        choices=["osmesa", "egl", "glfw"],
                        help="MUJOCO_GL backend for --render (default: $MUJOCO_GL or osmesa)")
    args = parser.parse_args()
    if args.steps <= 0 or args.repeats <= 0 or (args.seconds is not None and args.seconds <= 0):
        parser.error("--steps, --repeats and --seconds must be positive")

    rows = []
    for env_id in args.envs:
        rows.append(bench_env(env_id, args))
        print(f"  {env_id}: {rows[-1]['steps_per_s']:.0f} steps/s", file=sys.stderr)
    render = render_rows(RENDER_ENVS, args) if args.render > 0 else []

    print_table(rows, render)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as out:
            for row in rows + render:
                out.write(json.dumps(row) + "\n")


if __name__ == "__main__":
    main()
