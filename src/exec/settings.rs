//! Which executor runs a batch's or a synthesis round's trainings, and the Slurm
//! settings: the `[executor]` table of a synth config (and `batch`'s flags). Every
//! default is here, in the `Default` impls.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::exec::{Executor, LocalPool, SlurmExecutor};

/// Where trainings run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum ExecutorKind {
    /// Child processes of this machine, a few at a time.
    #[default]
    Local,
    /// One Slurm job array per batch or round, submitted with `sbatch`.
    Slurm,
}

/// The `[executor]` table.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ExecutorSettings {
    /// `local` or `slurm`.
    pub kind: ExecutorKind,
    /// Used when `kind` is `slurm`.
    pub slurm: SlurmSettings,
}

impl ExecutorSettings {
    /// The executor these settings choose: `local` itself, or Slurm arrays running
    /// `local`'s executable with their state in `state_dir`; `resume_hint` is the command
    /// that re-attaches, `confirm_cancel` asks on Ctrl-C whether to cancel the arrays.
    pub fn executor(
        &self,
        local: LocalPool,
        state_dir: PathBuf,
        resume_hint: String,
        confirm_cancel: Option<fn(&[String]) -> bool>,
    ) -> Box<dyn Executor> {
        match self.kind {
            ExecutorKind::Local => Box::new(local),
            ExecutorKind::Slurm => Box::new(SlurmExecutor {
                exe: local.exe,
                settings: self.slurm.clone(),
                state_dir,
                resume_hint,
                confirm_cancel,
            }),
        }
    }

    /// Check, before anything is written, that the chosen executor can run (Slurm: the
    /// commands exist, the controller answers and accepts the settings).
    pub fn check(&self) -> Result<(), crate::exec::ExecError> {
        match self.kind {
            ExecutorKind::Local => Ok(()),
            ExecutorKind::Slurm => SlurmExecutor::check(&self.slurm),
        }
    }
}

/// The `[executor.slurm]` table: what each array task asks for, and how the submitting
/// process waits.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SlurmSettings {
    /// `--partition` (unset: the cluster's default partition).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub partition: Option<String>,
    /// `--cpus-per-task`; each task's `RAYON_NUM_THREADS` unless the submitting
    /// environment sets one.
    pub cpus_per_task: usize,
    /// `--mem`, e.g. `4G` (unset: the cluster's default).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mem: Option<String>,
    /// `--time`, e.g. `02:00:00` (unset: the partition's default).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time: Option<String>,
    /// `--gpus`, e.g. `1` or `a100:1` (unset: none).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gpus: Option<String>,
    /// More `sbatch` options, split at whitespace (e.g. `--qos=high --account=lab`).
    pub extra: String,
    /// Seconds between two looks at the queue.
    pub poll_s: f64,
    /// Times a failed task (non-zero exit, node failure, time limit) is resubmitted.
    pub retries: u32,
}

impl Default for SlurmSettings {
    fn default() -> Self {
        Self {
            partition: None,
            cpus_per_task: 1,
            mem: None,
            time: None,
            gpus: None,
            extra: String::new(),
            poll_s: 1.0,
            retries: 1,
        }
    }
}

impl SlurmSettings {
    /// The resource options every `sbatch` of these settings carries.
    pub fn sbatch_options(&self) -> Vec<String> {
        let mut out = vec![format!("--cpus-per-task={}", self.cpus_per_task.max(1))];
        let named = [
            ("--partition", &self.partition),
            ("--mem", &self.mem),
            ("--time", &self.time),
            ("--gpus", &self.gpus),
        ];
        for (flag, value) in named {
            if let Some(v) = value {
                out.push(format!("{flag}={v}"));
            }
        }
        out.extend(self.extra.split_whitespace().map(str::to_string));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sbatch_options_carry_what_is_set_and_split_the_extra_options() {
        let s = SlurmSettings {
            partition: Some("gpu".into()),
            time: Some("01:00:00".into()),
            extra: " --qos=high  --account=lab ".into(),
            cpus_per_task: 4,
            ..SlurmSettings::default()
        };
        assert_eq!(
            s.sbatch_options(),
            [
                "--cpus-per-task=4",
                "--partition=gpu",
                "--time=01:00:00",
                "--qos=high",
                "--account=lab"
            ]
        );
    }

    #[test]
    fn the_table_round_trips_and_rejects_unknown_keys() {
        let s = ExecutorSettings {
            kind: ExecutorKind::Slurm,
            slurm: SlurmSettings {
                mem: Some("2G".into()),
                ..SlurmSettings::default()
            },
        };
        let text = toml::to_string(&s).unwrap();
        assert_eq!(toml::from_str::<ExecutorSettings>(&text).unwrap(), s);
        let err = toml::from_str::<ExecutorSettings>("kind = \"slurm\"\n[slurm]\nqueue = 1\n")
            .unwrap_err();
        assert!(err.to_string().contains("queue"), "{err}");
    }
}
