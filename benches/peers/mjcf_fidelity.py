"""Fidelity of rewardsmith's MJCF path against MuJoCo itself, on Gymnasium's own models.

Loads Gymnasium's `ant.xml` and `humanoid.xml` from the installed `gymnasium` package
(read where pip put them; nothing is copied into the repository) and runs them in
MuJoCo and in rewardsmith (`[robot] mjcf = ".../ant.xml"`, a spec written to a
temporary directory, stepped through `rewardsmith rollout --policy actions.jsonl`):

1. Torso held fixed in the air (the free joint removed in MuJoCo, `fixed_base = true`
   in rewardsmith), the same open-loop torque sequence (uniform random controls in
   each motor's ctrlrange, held for one control step, 1 s): each joint's angle
   trajectory; the figure is its RMS difference as a percentage of the joint's range
   (target: within 5 %).
2. Dropped with zero action (free torso): the torso height after it comes to rest
   (target: within 2 cm). The URDF twins (`envs/ant.toml`, `envs/humanoid.toml`)
   are dropped the same way and listed beside them.

Both sides use the model's own timestep and Gymnasium v5's frame_skip (5) for the
control step; rewardsmith uses the solver settings of the matching built-in env.

Usage:
  PEERS_VENV=/work/main/.venv-peers bash benches/peers/run_mjcf_fidelity.sh
  python mjcf_fidelity.py [--rewardsmith BIN] [--seconds-held 1] [--seconds-drop 4]
                          [--seed 0] [--out FILE.md]
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile

import gymnasium
import mujoco
import numpy as np

ASSETS = os.path.join(os.path.dirname(gymnasium.__file__), "envs", "mujoco", "assets")
FRAME_SKIP = 5
# rewardsmith's solver settings for each model: those of the matching built-in env.
SOLVER = {"ant": "ant", "humanoid": "humanoid"}
ZERO_REWARD = """-- A reward that pays nothing: the fidelity script only reads the trajectory.
function reward(s)
  return { zero = 0 }
end

function success(s)
  return false
end
"""


def without_free_joint(xml):
    """The model with its free joint removed: the root body is welded to the world."""
    xml = re.sub(r"<freejoint[^>]*/>", "", xml)
    return re.sub(r'<joint[^>]*type="free"[^>]*/>', "", xml)


def motors(model):
    """(joint name, gear, [lo, hi]) of each motor, in actuator order."""
    out = []
    for i in range(model.nu):
        joint = model.joint(model.actuator_trnid[i][0]).name
        lo, hi = model.actuator_ctrlrange[i]
        out.append((joint, float(model.actuator_gear[i][0]), [float(lo), float(hi)]))
    return out


def sim_settings(name, repo):
    """The [sim] solver lines of the built-in env `name` (solver_iterations, ...)."""
    lines = []
    with open(os.path.join(repo, "envs", f"{name}.toml"), encoding="utf-8") as spec:
        in_sim = False
        for line in spec:
            stripped = line.strip()
            if stripped.startswith("["):
                in_sim = stripped == "[sim]"
                continue
            key = stripped.split("=")[0].strip()
            if in_sim and key in ("solver_iterations", "pgs_iterations", "warmstart_joints"):
                lines.append(stripped)
    return "\n".join(lines)


def write_spec(home, name, xml_path, model, held, observe, repo):
    """A rewardsmith spec for the MJCF model; returns the env name."""
    dt = model.opt.timestep * FRAME_SKIP
    acts = "".join(
        f'\n[[actuators]]\njoint = "{j}"\nkind = "torque"\ngear = {g}\nctrl_range = [{lo}, {hi}]\n'
        for j, g, (lo, hi) in motors(model)
    )
    env = f"{name}-mjcf-{'held' if held else 'free'}"
    text = f'''name = "{env}"
description = "Gymnasium's {name}.xml through the MJCF loader"

[sim]
control_dt = {dt}
substeps = {FRAME_SKIP}
horizon = 100000
{sim_settings(SOLVER[name], repo)}

[robot]
mjcf = "{xml_path}"
fixed_base = {"true" if held else "false"}

[[objects]]
name = "ground"
shape = {{ kind = "plane", size = 40.0 }}
friction = 1.0
{acts}
{observe}

[rewards]
reward = "zero"
success = "zero"

[camera]
pos = [0.0, -3.5, 2.0]
look_at = [0.0, 0.0, 0.4]
'''
    with open(os.path.join(home, "envs", f"{env}.toml"), "w", encoding="utf-8") as out:
        out.write(text)
    return env


def rollout(binary, home, env, actions, workdir):
    """Run `rewardsmith rollout` with the given actions; return next_obs per step."""
    actions_file = os.path.join(workdir, f"{env}.actions.jsonl")
    with open(actions_file, "w", encoding="utf-8") as out:
        for a in actions:
            out.write(json.dumps([float(x) for x in a]) + "\n")
    traj = os.path.join(workdir, f"{env}.traj.jsonl")
    run_env = dict(os.environ, REWARDSMITH_HOME=home)
    subprocess.run(
        binary + ["rollout", "--env", env, "--policy", actions_file,
                  "--steps", str(len(actions)), "--out", traj],
        check=True, env=run_env, stdout=subprocess.DEVNULL)
    with open(traj, encoding="utf-8") as rows:
        return [json.loads(line)["next_obs"] for line in rows if line.strip()]


def mujoco_held(xml, actions):
    """Joint angles (actuated joints, actuator order) after each control step."""
    model = mujoco.MjModel.from_xml_string(xml)
    data = mujoco.MjData(model)
    joints = [j for j, _, _ in motors(model)]
    out = []
    for a in actions:
        data.ctrl[:] = a
        mujoco.mj_step(model, data, nstep=FRAME_SKIP)
        out.append([float(data.joint(j).qpos[0]) for j in joints])
    return out


def mujoco_drop(xml, steps):
    """Torso height after `steps` control steps of zero action."""
    model = mujoco.MjModel.from_xml_string(xml)
    data = mujoco.MjData(model)
    mujoco.mj_step(model, data, nstep=FRAME_SKIP * steps)
    return float(data.body("torso").xpos[2])


def joint_ranges(model):
    """Range width of each actuated joint (2π for an unlimited hinge)."""
    out = []
    for j, _, _ in motors(model):
        jnt = model.joint(j)
        lo, hi = jnt.range
        out.append(float(hi - lo) if jnt.limited else 2 * np.pi)
    return out


def compare(name, binary, home, workdir, args, repo):
    """Rows of the held and dropped comparisons for one model."""
    xml_path = os.path.join(ASSETS, f"{name}.xml")
    with open(xml_path, encoding="utf-8") as f:
        xml = f.read()
    model = mujoco.MjModel.from_xml_string(xml)
    dt = model.opt.timestep * FRAME_SKIP
    joints = [j for j, _, _ in motors(model)]
    rng = np.random.default_rng(args.seed)
    lo = model.actuator_ctrlrange[:, 0]
    hi = model.actuator_ctrlrange[:, 1]
    n_held = int(round(args.seconds_held / dt))
    actions = rng.uniform(lo, hi, size=(n_held, model.nu))

    # 1. Held torso. The held model is written beside the original (same directory,
    # so any relative asset path resolves), in the temporary directory.
    held_xml = without_free_joint(xml)
    held_path = os.path.join(workdir, f"{name}-held.xml")
    with open(held_path, "w", encoding="utf-8") as f:
        f.write(held_xml)
    observe = '[[observations]]\nterm = "joint_q"\njoints = [' + ", ".join(
        f'"{j}"' for j in joints) + "]\n"
    env = write_spec(home, name, held_path, model, True, observe, repo)
    ours = np.array(rollout(binary, home, env, actions, workdir))
    theirs = np.array(mujoco_held(held_xml, actions))
    widths = np.array(joint_ranges(model))
    rms = np.sqrt(np.mean((ours - theirs) ** 2, axis=0)) / widths * 100
    held_rows = [(name, j, rms[k]) for k, j in enumerate(joints)]

    # 2. Dropped with zero action.
    n_drop = int(round(args.seconds_drop / dt))
    observe = '[[observations]]\nterm = "body_pos"\nbody = "torso"\n'
    env = write_spec(home, name, xml_path, model, False, observe, repo)
    ours_z = rollout(binary, home, env, np.zeros((n_drop, model.nu)), workdir)[-1][2]
    theirs_z = mujoco_drop(xml, n_drop)
    twin = urdf_twin_drop(binary, name, n_drop, workdir)
    return held_rows, (name, theirs_z, ours_z, twin)


def urdf_twin_drop(binary, name, steps, workdir):
    """Torso height of the built-in URDF env `name` after `steps` zero-action steps."""
    traj = os.path.join(workdir, f"{name}-urdf.traj.jsonl")
    subprocess.run(binary + ["rollout", "--env", name, "--policy", "zero",
                             "--steps", str(steps), "--out", traj],
                   check=True, stdout=subprocess.DEVNULL)
    with open(traj, encoding="utf-8") as rows:
        last = [json.loads(line) for line in rows if line.strip()][-1]
    # The built-in envs observe the torso position first.
    return last["next_obs"][2]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rewardsmith", default=None,
                        help="the rewardsmith binary (default: cargo run --release)")
    parser.add_argument("--seconds-held", type=float, default=1.0)
    parser.add_argument("--seconds-drop", type=float, default=4.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=None, help="also write the tables here")
    args = parser.parse_args()
    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    binary = [args.rewardsmith] if args.rewardsmith else [
        "cargo", "run", "--release", "--quiet", "--manifest-path",
        os.path.join(repo, "Cargo.toml"), "--"]

    with tempfile.TemporaryDirectory() as home:
        for sub in ("envs", "rewards", os.path.join("assets", "robots")):
            os.makedirs(os.path.join(home, sub))
        with open(os.path.join(home, "rewards", "zero.luau"), "w", encoding="utf-8") as f:
            f.write(ZERO_REWARD)
        held, drops = [], []
        for name in ("ant", "humanoid"):
            h, d = compare(name, binary, home, home, args, repo)
            held += h
            drops.append(d)

    lines = [f"Held torso, {args.seconds_held:g} s of random torques (seed {args.seed}): "
             "RMS joint-angle difference, % of the joint's range (target ≤ 5 %)", "",
             "| model | joint | RMS diff (% of range) |", "|---|---|--:|"]
    lines += [f"| {m} | {j} | {v:.2f} |" for m, j, v in held]
    lines += ["", f"Dropped, zero action, torso height after {args.seconds_drop:g} s "
              "(target: MJCF within 2 cm of MuJoCo)", "",
              "| model | MuJoCo (m) | rewardsmith MJCF (m) | diff (cm) | rewardsmith URDF twin (m) |",
              "|---|--:|--:|--:|--:|"]
    lines += [f"| {m} | {a:.3f} | {b:.3f} | {abs(a - b) * 100:.1f} | {t:.3f} |"
              for m, a, b, t in drops]
    text = "\n".join(lines)
    print(text)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as out:
            out.write(text + "\n")
    worst = max(v for _, _, v in held)
    worst_drop = max(abs(a - b) for _, a, b, _ in drops)
    print(f"\nworst held RMS {worst:.2f} % of range; worst rest-height diff "
          f"{worst_drop * 100:.1f} cm", file=sys.stderr)


if __name__ == "__main__":
    main()
