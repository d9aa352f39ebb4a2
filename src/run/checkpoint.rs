//! Checkpoints of a run: `checkpoints/update-N/` written whole or not at all, the
//! `latest` pointer, resuming from them, and the best policy kept in `checkpoints/best`.

use serde::{Deserialize, Serialize};
use std::collections::VecDeque;
use std::path::{Path, PathBuf};

use crate::env::Env;
use crate::fs::write_atomic;
use crate::rl::{Actor, EnvDriver, Learner};
use crate::run::{BestPolicy, RunError};

/// File of a checkpoint holding the reward's own state (constraint multipliers,
/// normalizers, subgoal progress), when it has one.
const REWARD_STATE: &str = "reward.json";

/// Small metadata of a checkpoint.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct CheckpointMeta {
    update: u64,
    global_step: u64,
    wall_s: f64,
    #[serde(default)]
    clip_s: f64,
    /// Returns of the last (up to [`RETURN_WINDOW`](crate::run::RETURN_WINDOW)) training episodes, oldest first,
    /// so a resumed run's `stop_return` window goes on where it was.
    #[serde(default)]
    recent_returns: Vec<f64>,
}

/// Write a checkpoint atomically: a temp directory renamed into place, then `latest`.
/// `times`: wall-clock and CLIP seconds of the run so far.
pub(crate) fn write(
    dir: &Path,
    learner: &dyn Learner,
    drv: &EnvDriver,
    (wall_s, clip_s): (f64, f64),
    recent_returns: &VecDeque<f64>,
) -> Result<(), RunError> {
    let ck = dir.join("checkpoints");
    std::fs::create_dir_all(&ck).map_err(RunError::io("creating", &ck))?;
    let name = format!("update-{:06}", learner.update());
    let tmp = ck.join(format!(".tmp-{name}"));
    if tmp.exists() {
        std::fs::remove_dir_all(&tmp).map_err(RunError::io("removing", &tmp))?;
    }
    std::fs::create_dir_all(&tmp).map_err(RunError::io("creating", &tmp))?;
    learner.save(&tmp)?;
    let write = |file: &str, bytes: &[u8]| {
        let path = tmp.join(file);
        std::fs::write(&path, bytes).map_err(RunError::io("writing", path))
    };
    let state = bincode::serde::encode_to_vec(drv.save()?, bincode::config::standard())
        .map_err(RunError::encode(tmp.join("driver.bin")))?;
    write("driver.bin", &state)?;
    let reward = drv.reward_state();
    if !reward.is_null() {
        let json =
            serde_json::to_vec_pretty(&reward).map_err(RunError::encode(tmp.join(REWARD_STATE)))?;
        write(REWARD_STATE, &json)?;
    }
    let actor =
        serde_json::to_vec(&learner.actor()).map_err(RunError::encode(tmp.join("actor.json")))?;
    write("actor.json", &actor)?;
    let meta = CheckpointMeta {
        update: learner.update(),
        global_step: learner.global_step(),
        wall_s,
        clip_s,
        recent_returns: recent_returns.iter().copied().collect(),
    };
    let json = serde_json::to_vec_pretty(&meta).map_err(RunError::encode(tmp.join("meta.json")))?;
    write("meta.json", &json)?;
    let dst = ck.join(&name);
    if dst.exists() {
        std::fs::remove_dir_all(&dst).map_err(RunError::io("removing", &dst))?;
    }
    std::fs::rename(&tmp, &dst).map_err(|source| RunError::Rename {
        path: tmp.clone(),
        source,
    })?;
    write_atomic(&ck.join("latest"), name.as_bytes())?;
    // Keep the three newest checkpoints.
    let mut old: Vec<PathBuf> = std::fs::read_dir(&ck)
        .map_err(RunError::io("listing", &ck))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.is_dir()
                && p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with("update-"))
        })
        .collect();
    old.sort();
    let keep = 3;
    if old.len() > keep {
        for p in &old[..old.len() - keep] {
            std::fs::remove_dir_all(p).map_err(RunError::io("removing", p))?;
        }
    }
    Ok(())
}

/// What a resumed run takes over from its latest checkpoint besides the learner's and
/// the envs' state.
pub(crate) struct Resumed {
    /// Wall-clock seconds of training before the checkpoint.
    pub wall_s: f64,
    /// Seconds spent in the CLIP reward before the checkpoint.
    pub clip_s: f64,
    /// Returns of the last training episodes, oldest first.
    pub recent_returns: Vec<f64>,
    /// The best policy kept up to the checkpoint.
    pub best: Option<BestPolicy>,
}

/// Load the latest checkpoint of the run in `dir` into `learner` and `drv`.
pub(crate) fn restore(
    dir: &Path,
    learner: &mut dyn Learner,
    drv: &mut EnvDriver,
) -> Result<Resumed, RunError> {
    let ck = latest_checkpoint(dir).ok_or_else(|| RunError::NothingToResume {
        dir: dir.to_path_buf(),
    })?;
    learner.load(&ck)?;
    let path = ck.join("driver.bin");
    let state = std::fs::read(&path).map_err(RunError::io("reading", &path))?;
    let (state, _) = bincode::serde::decode_from_slice(&state, bincode::config::standard())
        .map_err(RunError::parse(path))?;
    drv.load(state)?;
    let path = ck.join(REWARD_STATE);
    if path.is_file() {
        drv.load_reward_state(read_json(&path)?)?;
    }
    let meta: CheckpointMeta = read_json(&ck.join("meta.json"))?;
    Ok(Resumed {
        wall_s: meta.wall_s,
        clip_s: meta.clip_s,
        recent_returns: meta.recent_returns,
        // A best policy found after the checkpoint is found again (the run repeats
        // exactly), so only one from before it counts.
        best: read_best(dir)?.filter(|b| b.update <= learner.update()),
    })
}

/// The latest complete checkpoint directory of a run, if any.
pub fn latest_checkpoint(dir: &Path) -> Option<PathBuf> {
    let ck = dir.join("checkpoints");
    let name = std::fs::read_to_string(ck.join("latest")).ok()?;
    let p = ck.join(name.trim());
    p.is_dir().then_some(p)
}

/// Directory of the best policy in a run.
pub fn best_dir(dir: &Path) -> PathBuf {
    dir.join("checkpoints").join("best")
}

/// Keep `actor` as the run's best policy: `checkpoints/best/actor.json`, then its
/// record `best.json`, each written atomically.
pub(crate) fn write_best(dir: &Path, actor: &Actor, best: &BestPolicy) -> Result<(), RunError> {
    let bd = best_dir(dir);
    std::fs::create_dir_all(&bd).map_err(RunError::io("creating", &bd))?;
    let path = bd.join("actor.json");
    let bytes = serde_json::to_vec(actor).map_err(RunError::encode(&path))?;
    write_atomic(&path, &bytes)?;
    let path = bd.join("best.json");
    let bytes = serde_json::to_vec_pretty(best).map_err(RunError::encode(&path))?;
    write_atomic(&path, &bytes)?;
    Ok(())
}

/// The record of a run's best policy, if it has one.
pub(crate) fn read_best(dir: &Path) -> Result<Option<BestPolicy>, RunError> {
    let path = best_dir(dir).join("best.json");
    if !path.exists() {
        return Ok(None);
    }
    read_json(&path).map(Some)
}

/// Read and parse a JSON file of the run directory.
fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, RunError> {
    let bytes = std::fs::read(path).map_err(RunError::io("reading", path))?;
    serde_json::from_slice(&bytes).map_err(RunError::parse(path))
}

/// Load the deterministic policy of a run's latest checkpoint, or of a checkpoint
/// directory itself (one holding `actor.json`, such as `checkpoints/best`).
pub fn load_actor(dir: &Path) -> Result<Actor, RunError> {
    let ck = if dir.join("actor.json").is_file() {
        dir.to_path_buf()
    } else {
        latest_checkpoint(dir).ok_or_else(|| RunError::NoCheckpoint {
            dir: dir.to_path_buf(),
        })?
    };
    read_json(&ck.join("actor.json"))
}

/// [`load_actor`], checked to read `env`'s observations (a run of another env fails).
pub fn load_actor_for(dir: &Path, env: &Env) -> Result<Actor, RunError> {
    let actor = load_actor(dir)?;
    let obs = env.compiled().obs_dim();
    if actor.net.in_dim() != obs {
        return Err(RunError::ObsMismatch {
            dir: dir.to_path_buf(),
            policy_obs: actor.net.in_dim(),
            env: env.compiled().spec.name.clone(),
            env_obs: obs,
        });
    }
    if let Some(message) = actor.mismatch(&env.compiled().action_space) {
        return Err(RunError::ActionMismatch {
            dir: dir.to_path_buf(),
            message,
        });
    }
    Ok(actor)
}
