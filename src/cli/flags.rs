//! Flags that several commands take, defined once so that each means and checks the
//! same everywhere: `--env`, `--seed`, `--threads`/`-j`, `--device`, the LLM flags and
//! the executor flags.
//! A command takes one with `#[command(flatten)]`.

use clap::Args;
use rewardsmith::device::Device;
use rewardsmith::exec::{ExecutorKind, ExecutorSettings};
use rewardsmith::synth::config::{Backend, LlmSettings};
use std::num::NonZeroUsize;

/// Help of every `--env`.
pub const ENV_HELP: &str = "Built-in env name (`rewardsmith envs list`) or path to a spec file";

/// `--env ENV`, required (commands where it is optional take `--env` with [`ENV_HELP`]).
#[derive(Args, Debug, Clone, PartialEq)]
pub struct EnvArg {
    /// The env.
    #[arg(long, value_name = "ENV", help = ENV_HELP)]
    pub env: String,
}

/// `--seed N`: the seed of the command's first episode (env `i` of a batch is seeded
/// `N + i`).
#[derive(Args, Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeedFlag {
    /// Seed of the first episode's RNG stream (env `i` of a batch: seed + i).
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub seed: u64,
}

/// `--threads N` / `-j N`: worker threads of this process.
#[derive(Args, Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThreadsFlag {
    /// Worker threads (at least 1; default: one per core). Results do not depend on it.
    #[arg(long, short = 'j', value_name = "N", value_parser = parse_threads)]
    pub threads: Option<NonZeroUsize>,
}

/// A thread count: a whole number of at least 1.
fn parse_threads(s: &str) -> Result<NonZeroUsize, String> {
    s.parse::<NonZeroUsize>()
        .map_err(|_| format!("expected a whole number of threads, at least 1 (got `{s}`)"))
}

impl ThreadsFlag {
    /// The number of threads: the flag, else one per core.
    pub fn get(self) -> usize {
        self.threads.map_or_else(
            || std::thread::available_parallelism().map_or(1, NonZeroUsize::get),
            NonZeroUsize::get,
        )
    }

    /// Size the global rayon pool (env stepping, reward programs, tensor ops), when the
    /// flag is given.
    pub fn install(self) -> anyhow::Result<()> {
        if let Some(n) = self.threads {
            rayon::ThreadPoolBuilder::new()
                .num_threads(n.get())
                .build_global()
                .map_err(|e| anyhow::anyhow!("setting up {n} worker threads: {e}"))?;
        }
        Ok(())
    }
}

/// `--device cpu|gpu`.
#[derive(Args, Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeviceFlag {
    /// Where the command's networks run.
    #[arg(long, value_enum, default_value_t = Device::Cpu)]
    pub device: Device,
}

/// `--llm`, `--llm-url`, `--llm-model`, `--llm-key-env`: the LLM to ask; each, when
/// given, overrides the config file's `[llm]` table.
#[derive(Args, Debug, Clone, Default, PartialEq)]
pub struct LlmFlags {
    /// LLM backend: `http` (an OpenAI-compatible API) or `manual` (write prompts to
    /// files; read the replies a person pastes in).
    #[arg(long, value_enum)]
    pub llm: Option<Backend>,
    /// Base URL of an OpenAI-compatible API (e.g. http://127.0.0.1:8000/v1).
    #[arg(long, value_name = "URL")]
    pub llm_url: Option<String>,
    /// Model name.
    #[arg(long, value_name = "NAME")]
    pub llm_model: Option<String>,
    /// Environment variable holding the API key (its value is never written).
    #[arg(long, value_name = "VAR")]
    pub llm_key_env: Option<String>,
}

impl LlmFlags {
    /// Apply the flags given to `l`.
    pub fn apply(&self, l: &mut LlmSettings) {
        if let Some(v) = self.llm {
            l.backend = v;
        }
        if let Some(v) = &self.llm_url {
            l.url = v.clone();
        }
        if let Some(v) = &self.llm_model {
            l.model = v.clone();
        }
        if let Some(v) = &self.llm_key_env {
            l.key_env = v.clone();
        }
    }
}

/// `--executor` and the `--slurm-*` flags: where trainings run; each, when given,
/// overrides the config file's `[executor]` table.
#[derive(Args, Debug, Clone, Default, PartialEq)]
pub struct ExecutorFlags {
    /// Where the trainings run: `local` (child processes here) or `slurm` (one job array
    /// per batch or round, submitted with sbatch; needs a filesystem the nodes share).
    #[arg(long, value_enum)]
    pub executor: Option<ExecutorKind>,
    /// Slurm partition (default: the cluster's).
    #[arg(long, value_name = "NAME")]
    pub slurm_partition: Option<String>,
    /// CPUs per Slurm task (each training's threads) [default: 1].
    #[arg(long, value_name = "N")]
    pub slurm_cpus_per_task: Option<usize>,
    /// Memory per Slurm task, e.g. 4G.
    #[arg(long, value_name = "MEM")]
    pub slurm_mem: Option<String>,
    /// Time limit per Slurm task, e.g. 02:00:00.
    #[arg(long, value_name = "TIME")]
    pub slurm_time: Option<String>,
    /// GPUs per Slurm task, e.g. 1 or a100:1.
    #[arg(long, value_name = "GPUS")]
    pub slurm_gpus: Option<String>,
    /// More sbatch options, e.g. "--qos=high --account=lab".
    #[arg(long, value_name = "OPTIONS", allow_hyphen_values = true)]
    pub slurm_extra: Option<String>,
    /// Seconds between looks at the Slurm queue [default: 1].
    #[arg(long, value_name = "SECONDS")]
    pub slurm_poll: Option<f64>,
    /// Times a failed Slurm task is resubmitted [default: 1].
    #[arg(long, value_name = "N")]
    pub retries: Option<u32>,
}

impl ExecutorFlags {
    /// Apply the flags given to `e`.
    pub fn apply(&self, e: &mut ExecutorSettings) {
        let s = &mut e.slurm;
        if let Some(v) = self.executor {
            e.kind = v;
        }
        let strings = [
            (&self.slurm_partition, &mut s.partition),
            (&self.slurm_mem, &mut s.mem),
            (&self.slurm_time, &mut s.time),
            (&self.slurm_gpus, &mut s.gpus),
        ];
        for (flag, field) in strings {
            if let Some(v) = flag {
                *field = Some(v.clone());
            }
        }
        if let Some(v) = self.slurm_cpus_per_task {
            s.cpus_per_task = v;
        }
        if let Some(v) = &self.slurm_extra {
            s.extra = v.clone();
        }
        if let Some(v) = self.slurm_poll {
            s.poll_s = v;
        }
        if let Some(v) = self.retries {
            s.retries = v;
        }
    }
}

/// Asked on Ctrl-C while Slurm arrays run: whether to cancel them (a terminal's answer;
/// without a terminal they are left running).
pub fn confirm_cancel(job_ids: &[String]) -> bool {
    use std::io::{BufRead, IsTerminal, Write};
    if !std::io::stdin().is_terminal() {
        return false;
    }
    eprint!(
        "\ninterrupted: cancel Slurm arrays {} (scancel)? [y/N] ",
        job_ids.join(",")
    );
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    let _ = std::io::stdin().lock().read_line(&mut answer);
    matches!(answer.trim(), "y" | "Y" | "yes")
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser, Debug)]
    struct Cmd {
        #[command(flatten)]
        env: EnvArg,
        #[command(flatten)]
        seed: SeedFlag,
        #[command(flatten)]
        threads: ThreadsFlag,
        #[command(flatten)]
        device: DeviceFlag,
        #[command(flatten)]
        llm: LlmFlags,
    }

    fn parse(args: &[&str]) -> Result<Cmd, clap::Error> {
        Cmd::try_parse_from(std::iter::once("cmd").chain(args.iter().copied()))
    }

    #[test]
    fn env_is_required_and_taken_as_given() {
        assert!(parse(&[]).is_err());
        let c = parse(&["--env", "envs/my.toml"]).unwrap();
        assert_eq!(c.env.env, "envs/my.toml");
    }

    #[test]
    fn seed_defaults_to_zero_and_rejects_negative_numbers() {
        assert_eq!(parse(&["--env", "e"]).unwrap().seed.seed, 0);
        assert_eq!(parse(&["--env", "e", "--seed", "7"]).unwrap().seed.seed, 7);
        assert!(parse(&["--env", "e", "--seed", "-1"]).is_err());
    }

    #[test]
    fn threads_take_short_and_long_forms_and_refuse_zero() {
        let c = parse(&["--env", "e", "-j", "3"]).unwrap();
        assert_eq!(c.threads.get(), 3);
        let c = parse(&["--env", "e", "--threads", "2"]).unwrap();
        assert_eq!(c.threads.get(), 2);
        let e = parse(&["--env", "e", "--threads", "0"]).unwrap_err();
        assert!(e.to_string().contains("at least 1"), "{e}");
        let default = parse(&["--env", "e"]).unwrap().threads;
        assert!(default.threads.is_none() && default.get() >= 1);
    }

    #[test]
    fn device_is_cpu_or_gpu() {
        assert_eq!(parse(&["--env", "e"]).unwrap().device.device, Device::Cpu);
        let c = parse(&["--env", "e", "--device", "gpu"]).unwrap();
        assert_eq!(c.device.device, Device::Gpu);
        let e = parse(&["--env", "e", "--device", "tpu"]).unwrap_err();
        assert!(e.to_string().contains("cpu"), "{e}");
    }

    #[test]
    fn llm_flags_override_only_what_they_name() {
        let c = parse(&[
            "--env",
            "e",
            "--llm",
            "manual",
            "--llm-model",
            "m",
            "--llm-key-env",
            "K",
        ])
        .unwrap();
        let mut l = LlmSettings::default();
        let url = l.url.clone();
        c.llm.apply(&mut l);
        assert_eq!(
            (l.backend, l.model.as_str(), l.key_env.as_str()),
            (Backend::Manual, "m", "K")
        );
        assert_eq!(l.url, url);
        assert!(parse(&["--env", "e", "--llm", "carrier-pigeon"]).is_err());
    }
}
