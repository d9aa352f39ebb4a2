//! Snapshots of a world's physics: copied bit for bit, restored by a clone.

use rapier3d::prelude::*;
use std::sync::Arc;

use super::World;
use crate::env::EnvError;

/// A copy of a world's physics (all of its state, none of rapier's scratch buffers),
/// restorable bit for bit. Cheap to restore (a clone, no decoding); bytes only when
/// written out ([`PhysicsSnapshot::to_bytes`]).
#[derive(Clone)]
pub struct PhysicsSnapshot(Arc<PhysicsWorld>);

impl PhysicsSnapshot {
    /// Encode the snapshot (bincode).
    pub fn to_bytes(&self) -> Result<Vec<u8>, EnvError> {
        bincode::serde::encode_to_vec(&*self.0, bincode::config::standard())
            .map_err(|e| EnvError::Snapshot(e.to_string()))
    }

    /// Decode bytes from [`PhysicsSnapshot::to_bytes`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, EnvError> {
        let (phys, _): (PhysicsWorld, usize) =
            bincode::serde::decode_from_slice(bytes, bincode::config::standard())
                .map_err(|e| EnvError::Snapshot(e.to_string()))?;
        Ok(Self(Arc::new(phys)))
    }
}

impl std::fmt::Debug for PhysicsSnapshot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PhysicsSnapshot({} bodies)", self.0.bodies.len())
    }
}

/// A copy of `w`'s state with fresh (empty) pipelines and CCD solver: what decoding a
/// snapshot of `w` gives, without the encoding.
fn clone_world(w: &PhysicsWorld) -> PhysicsWorld {
    PhysicsWorld {
        gravity: w.gravity,
        integration_parameters: w.integration_parameters,
        islands: w.islands.clone(),
        broad_phase: w.broad_phase.clone(),
        narrow_phase: w.narrow_phase.clone(),
        bodies: w.bodies.clone(),
        colliders: w.colliders.clone(),
        impulse_joints: w.impulse_joints.clone(),
        multibody_joints: w.multibody_joints.clone(),
        soft_bodies: w.soft_bodies.clone(),
        ..Default::default()
    }
}

impl World {
    /// Copy the physics state.
    pub fn snapshot(&self) -> Result<PhysicsSnapshot, EnvError> {
        Ok(PhysicsSnapshot(Arc::new(clone_world(&self.phys))))
    }

    /// Restore the physics state from a snapshot of this same world.
    pub fn restore(&mut self, snap: &PhysicsSnapshot) -> Result<(), EnvError> {
        self.phys = clone_world(&snap.0);
        Ok(())
    }

    /// A new world with this one's tables and the physics of `snap`.
    pub(crate) fn with_physics(&self, snap: &PhysicsSnapshot) -> Result<World, EnvError> {
        Ok(World {
            phys: clone_world(&snap.0),
            layout: self.layout.clone(),
            bodies: self.bodies.clone(),
            colors: self.colors.clone(),
            joints: self.joints.clone(),
            actuators: self.actuators.clone(),
            ee: self.ee.clone(),
            subtrees: self.subtrees.clone(),
            body_links: self.body_links.clone(),
            multibodies: self.multibodies.clone(),
        })
    }
}
