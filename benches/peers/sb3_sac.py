"""Stable-Baselines3 SAC throughput: env steps per second including the gradient
updates, on Gymnasium Pendulum-v1 or Ant-v5, over the steps after `learning_starts`
(one gradient step per env step there), with rl-baselines3-zoo's hyperparameters
(https://github.com/DLR-RM/rl-baselines3-zoo, hyperparams/sac.yml: Pendulum
learning_rate 1e-3, otherwise SB3's defaults; MuJoCo envs learning_starts 1e4), the SB3
defaults for the rest: batch 256, 256-256 ReLU MLPs, buffer 1e6, tau 0.005, gamma 0.99,
train_freq 1, gradient_steps 1, ent_coef "auto".

The window is timed by a callback: the clock starts at the first env step after
`learning_starts` and stops at the end; steps/s = window steps / window seconds.

Usage: sb3_sac.py --env Pendulum-v1 --steps 6000 --learning-starts 1000 --seed 1
                  [--threads N] [--json FILE]   (appends one line)
"""

import argparse
import json
import time


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--env", required=True, help="Pendulum-v1 or Ant-v5")
    p.add_argument("--steps", type=int, required=True, help="total env steps")
    p.add_argument("--learning-starts", type=int, required=True)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--threads", type=int, help="torch.set_num_threads(N)")
    p.add_argument("--json", help="append the result as one JSON line to this file")
    args = p.parse_args()

    import gymnasium as gym
    import torch
    from stable_baselines3 import SAC
    from stable_baselines3.common.callbacks import BaseCallback

    if args.threads:
        torch.set_num_threads(args.threads)

    class Window(BaseCallback):
        """Clock from the first step after learning_starts to the end of training."""

        def __init__(self, start):
            super().__init__()
            self.start, self.t0, self.s0 = start, None, None

        def _on_step(self):
            if self.t0 is None and self.num_timesteps > self.start:
                self.t0, self.s0 = time.perf_counter(), self.num_timesteps
            return True

    lr = 1e-3 if args.env.startswith("Pendulum") else 3e-4
    model = SAC(
        "MlpPolicy",
        gym.make(args.env),
        learning_rate=lr,
        learning_starts=args.learning_starts,
        batch_size=256,
        seed=args.seed,
        device="cpu",
        verbose=0,
    )
    cb = Window(args.learning_starts)
    model.learn(total_timesteps=args.steps, callback=cb)
    secs = time.perf_counter() - cb.t0
    steps = args.steps - cb.s0
    row = {
        "tool": "sb3" if not args.threads else f"sb3-{args.threads}thread",
        "env": args.env,
        "seed": args.seed,
        "threads": args.threads or torch.get_num_threads(),
        "window_steps": steps,
        "window_s": secs,
        "steps_per_s": steps / secs,
    }
    print(json.dumps(row))
    if args.json:
        with open(args.json, "a") as f:
            f.write(json.dumps(row) + "\n")


if __name__ == "__main__":
    main()
