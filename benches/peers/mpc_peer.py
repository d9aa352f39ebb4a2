"""Predictive sampling in Python on MuJoCo, the peer of `rewardsmith mpc`.

The same planner as rewardsmith's src/mpc/planner.rs (Howell et al. 2022, MJPC's
sampling planner): a nominal control spline of K knots over the horizon H, N candidates
per planning step (candidate 0 the nominal, the others its knots plus Gaussian noise of
sigma x half each control's range, clamped), every candidate rolled out from the
current state, the summed reward picks the new nominal, the env applies its control for
the current time; replan every control step. The rollouts of one planning step are one
call to `mujoco.rollout.rollout` (C++, one thread: one MjData), with the controls of
every physics step precomputed in numpy and the reward computed in numpy from
`framepos` sensors added to the model (MjSpec) for the bodies the reward reads.

Envs and rewards are Gymnasium's:
  Reacher-v5: timestep 0.01 x frame_skip 2; r = -|fingertip - target| - 0.1 |a|^2;
    success as rewardsmith's reacher: fingertip within 5 cm of the target at the end.
  Pusher-v5: timestep 0.01 x frame_skip 5; r = -|object - goal| - 0.1 |a|^2
    - 0.5 |tips_arm - object|; success: object within 5 cm of the goal at the end.

Defaults match rewardsmith's [mpc] tables: N 10, H 0.5 s, sigma 0.1, K 5 cubic knots.
Reports planning steps per second (wall time of planning only), per thread.

Usage:
  python mpc_peer.py --env Reacher-v5 --episodes 3 --json peer.jsonl
"""

import argparse
import json
import time

import gymnasium as gym
import mujoco
import numpy as np
from mujoco import rollout

FULL = mujoco.mjtState.mjSTATE_FULLPHYSICS

# Bodies whose world positions the reward reads, per env.
BODIES = {
    "Reacher-v5": ["fingertip", "target"],
    "Pusher-v5": ["tips_arm", "object", "goal"],
}


def reward(env_id, pos, ctrl):
    """Rewards of a batch: pos (..., nbody, 3) in BODIES order, ctrl (..., nu)."""
    effort = 0.1 * np.sum(ctrl * ctrl, axis=-1)
    if env_id == "Reacher-v5":
        return -np.linalg.norm(pos[..., 0, :] - pos[..., 1, :], axis=-1) - effort
    near = np.linalg.norm(pos[..., 0, :] - pos[..., 1, :], axis=-1)
    dist = np.linalg.norm(pos[..., 1, :] - pos[..., 2, :], axis=-1)
    return -dist - effort - 0.5 * near


def success(env_id, pos):
    a, b = (0, 1) if env_id == "Reacher-v5" else (1, 2)
    return bool(np.linalg.norm(pos[a] - pos[b]) < 0.05)


def sensed_model(env):
    """The env's model with a framepos sensor per reward body (added through MjSpec)."""
    spec = mujoco.MjSpec.from_file(env.unwrapped.fullpath)
    for name in BODIES[env.spec.id]:
        s = spec.add_sensor()
        s.type = mujoco.mjtSensor.mjSENS_FRAMEPOS
        s.objtype = mujoco.mjtObj.mjOBJ_BODY
        s.objname = name
    return spec.compile()


class Spline:
    """K knots over a span, cubic Hermite with finite-difference slopes (as MJPC)."""

    def __init__(self, values, t0, span):
        self.values = values  # (K, nu)
        k = values.shape[-2]
        self.times = t0 + np.linspace(0.0, span, k) if k > 1 else np.array([t0])

    def eval(self, ts, low, high):
        """Controls at times ts (T,) for a batch of knot sets values (B, K, nu)."""
        v = self.values if self.values.ndim == 3 else self.values[None]
        times = self.times
        k = len(times)
        if k == 1:
            out = np.repeat(v[:, :1, :], len(ts), axis=1)
            return np.clip(out, low, high)
        h = np.diff(times)
        sec = np.diff(v, axis=1) / h[None, :, None]  # (B, K-1, nu)
        m = np.empty_like(v)
        m[:, 0] = sec[:, 0]
        m[:, -1] = sec[:, -1]
        if k > 2:
            m[:, 1:-1] = 0.5 * (sec[:, :-1] + sec[:, 1:])
        i = np.clip(np.searchsorted(times, ts, side="right") - 1, 0, k - 2)
        hi = h[i]
        s = np.clip((ts - times[i]) / hi, 0.0, 1.0)[None, :, None]
        s2, s3 = s * s, s * s * s
        hh = hi[None, :, None]
        out = (
            (2 * s3 - 3 * s2 + 1) * v[:, i]
            + (s3 - 2 * s2 + s) * hh * m[:, i]
            + (-2 * s3 + 3 * s2) * v[:, i + 1]
            + (s3 - s2) * hh * m[:, i + 1]
        )
        # Before the first knot and after the last, hold the end values.
        out = np.where((ts < times[0])[None, :, None], v[:, :1], out)
        out = np.where((ts >= times[-1])[None, :, None], v[:, -1:], out)
        return np.clip(out, low, high)


def run(env_id, args, rng):
    env = gym.make(env_id)
    model = sensed_model(env)
    data = mujoco.MjData(model)
    frame_skip = env.unwrapped.frame_skip
    dt = model.opt.timestep * frame_skip
    steps = max(1, int(np.ceil(args.horizon / dt - 1e-9)))
    span = (steps - 1) * dt
    nu = model.nu
    low, high = model.actuator_ctrlrange[:, 0], model.actuator_ctrlrange[:, 1]
    scale = args.sigma * 0.5 * (high - low)
    nb = len(BODIES[env_id])
    env_model = env.unwrapped.model
    state0 = np.empty(mujoco.mj_stateSize(model, FULL))
    results = []
    for ep in range(args.episodes):
        env.reset(seed=args.seed + ep)
        src = env.unwrapped.data
        nominal = Spline(np.zeros((args.knots, nu)) + np.clip(0.0, low, high), 0.0, span)
        plan_wall, plans = 0.0, 0
        n_control = args.steps or env.spec.max_episode_steps
        for _ in range(n_control):
            t_start = time.perf_counter()
            t0 = src.time
            # Shift the nominal to now.
            knots_t = t0 + (np.linspace(0.0, span, args.knots) if args.knots > 1 else np.zeros(1))
            nominal = Spline(nominal.eval(knots_t, low, high)[0], t0, span)
            cand = np.repeat(nominal.values[None], args.samples, axis=0)
            cand[1:] += rng.standard_normal(cand[1:].shape) * scale
            cand = np.clip(cand, low, high)
            batch = Spline(cand, t0, span)
            ctrl_t = t0 + dt * np.arange(steps)
            ctrl = batch.eval(ctrl_t, low, high)  # (N, steps, nu)
            ctrl_phys = np.repeat(ctrl, frame_skip, axis=1)
            mujoco.mj_getState(env_model, src, state0, FULL)
            _, sens = rollout.rollout(
                model, data, np.tile(state0, (args.samples, 1)), ctrl_phys
            )
            # Sensor values after each control step's last physics step.
            pos = sens[:, frame_skip - 1 :: frame_skip, : 3 * nb].reshape(
                args.samples, steps, nb, 3
            )
            score = reward(env_id, pos, ctrl).sum(axis=1)
            best = int(np.argmax(score))
            nominal = Spline(cand[best], t0, span)
            action = nominal.eval(np.array([t0]), low, high)[0, 0]
            plan_wall += time.perf_counter() - t_start
            plans += 1
            env.step(action)
        mujoco.mj_getState(env_model, src, state0, FULL)
        mujoco.mj_setState(model, data, state0, FULL)
        mujoco.mj_forward(model, data)
        end = data.sensordata[: 3 * nb].reshape(nb, 3)
        results.append(
            {
                "tool": "python-mujoco",
                "env": env_id,
                "episode": ep,
                "seed": args.seed + ep,
                "steps": n_control,
                "plans": plans,
                "plan_wall_s": plan_wall,
                "plans_per_s": plans / plan_wall,
                "success": success(env_id, end),
                "threads": 1,
                "samples": args.samples,
                "horizon_steps": steps,
            }
        )
    env.close()
    return results


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--env", action="append", help="Reacher-v5 and/or Pusher-v5")
    p.add_argument("--episodes", type=int, default=3)
    p.add_argument("--steps", type=int, default=0, help="control steps (default: the env's limit)")
    p.add_argument("--samples", type=int, default=10)
    p.add_argument("--horizon", type=float, default=0.5)
    p.add_argument("--sigma", type=float, default=0.1)
    p.add_argument("--knots", type=int, default=5)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", help="append one JSON line per episode here")
    args = p.parse_args()
    rng = np.random.default_rng(args.seed)
    rows = []
    for env_id in args.env or ["Reacher-v5", "Pusher-v5"]:
        for r in run(env_id, args, rng):
            print(json.dumps(r))
            rows.append(r)
    if args.json:
        with open(args.json, "a") as f:
            for r in rows:
                f.write(json.dumps(r) + "\n")


if __name__ == "__main__":
    main()
