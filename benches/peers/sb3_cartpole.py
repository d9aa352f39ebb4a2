"""Stable-Baselines3 PPO on Gymnasium CartPole-v1: wall-clock seconds until the mean
return of the last 100 training episodes first reaches a threshold (default 475).

The criterion is the one `rewardsmith train --stop-return R` uses: SB3's own rolling
`ep_info_buffer` (the last 100 Monitor episodes, what it logs as `rollout/ep_rew_mean`),
checked after every PPO update (at the start of the next rollout), counting only once
100 episodes have finished. The clock starts before the envs are built.

Hyperparameters are rl-baselines3-zoo's tuned CartPole-v1 PPO entry
(https://github.com/DLR-RM/rl-baselines3-zoo, hyperparams/ppo.yml): 8 envs, 1e5 steps,
n_steps 32, batch_size 256, gae_lambda 0.8, gamma 0.98, n_epochs 20, ent_coef 0.0,
learning_rate lin_0.001, clip_range lin_0.2; the MlpPolicy defaults (64-64 tanh).

Usage: sb3_cartpole.py --seed S [--threshold 475] [--threads N] [--json FILE]  (appends one line)
"""

import argparse
import json
import time


def linear(start):
    """rl-zoo3's `lin_<x>` schedule: `x` times the remaining progress (1 → 0)."""
    return lambda progress_remaining: progress_remaining * start


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seed", type=int, required=True)
    p.add_argument("--threshold", type=float, default=475.0)
    p.add_argument("--steps", type=int, default=100_000, help="budget (zoo: 1e5)")
    p.add_argument(
        "--threads",
        type=int,
        help="torch.set_num_threads(N) (default: PyTorch's, one per core); the row's tool "
        "is then `sb3-Nthread`",
    )
    p.add_argument("--json", help="append the result as one JSON line to this file")
    args = p.parse_args()

    t_import = time.perf_counter()
    import numpy as np
    import torch
    from stable_baselines3 import PPO
    from stable_baselines3.common.callbacks import BaseCallback
    from stable_baselines3.common.env_util import make_vec_env

    import_s = time.perf_counter() - t_import
    if args.threads:
        torch.set_num_threads(args.threads)

    class StopAtReturn(BaseCallback):
        """Records when the 100-episode mean first reaches the threshold, then stops."""

        def __init__(self, threshold, t0):
            super().__init__()
            self.threshold, self.t0 = threshold, t0
            self.hit = None

        def _on_rollout_start(self):
            buf = self.model.ep_info_buffer
            if self.hit is None and len(buf) == buf.maxlen:
                mean = float(np.mean([e["r"] for e in buf]))
                if mean >= self.threshold:
                    self.hit = {
                        "wall_s": time.perf_counter() - self.t0,
                        "step": int(self.num_timesteps),
                        "mean_return": mean,
                    }

        def _on_step(self):
            return self.hit is None

    t0 = time.perf_counter()
    env = make_vec_env("CartPole-v1", n_envs=8, seed=args.seed)
    model = PPO(
        "MlpPolicy",
        env,
        n_steps=32,
        batch_size=256,
        gae_lambda=0.8,
        gamma=0.98,
        n_epochs=20,
        ent_coef=0.0,
        learning_rate=linear(1e-3),
        clip_range=linear(0.2),
        seed=args.seed,
        device="cpu",
        verbose=0,
    )
    cb = StopAtReturn(args.threshold, t0)
    model.learn(total_timesteps=args.steps, callback=cb)
    total_s = time.perf_counter() - t0
    row = {
        "tool": f"sb3-{args.threads}thread" if args.threads else "sb3",
        "env": "CartPole-v1",
        "seed": args.seed,
        "threshold": args.threshold,
        "reached": cb.hit is not None,
        "wall_s": cb.hit["wall_s"] if cb.hit else None,
        "step": cb.hit["step"] if cb.hit else None,
        "mean_return": cb.hit["mean_return"] if cb.hit else None,
        "run_s": total_s,
        "import_s": import_s,
        "torch_threads": torch.get_num_threads(),
    }
    print(json.dumps(row))
    if args.json:
        with open(args.json, "a") as f:
            f.write(json.dumps(row) + "\n")


if __name__ == "__main__":
    main()
