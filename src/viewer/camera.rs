//! The view of one world: the env camera from the spec (tracking a body like the CPU
//! renderer does), mouse orbit/pan/zoom around it, follow a body, snap back.

use bevy::prelude::*;

use crate::env::World;
use crate::env::spec::CameraSpec;

/// Pitch limit (radians) so the view never flips over the pole.
const MAX_PITCH: f32 = 1.55;

/// An orbit camera: the eye sits `dist` from `focus` at `yaw`/`pitch` (z up).
#[derive(Debug, Clone, PartialEq)]
pub struct Orbit {
    /// Point looked at.
    pub focus: Vec3,
    /// Heading of the eye around the focus, from +x towards +y.
    pub yaw: f32,
    /// Elevation of the eye above the focus.
    pub pitch: f32,
    /// Eye–focus distance.
    pub dist: f32,
}

impl Orbit {
    /// The orbit with the given eye and focus.
    pub fn looking(eye: Vec3, focus: Vec3) -> Self {
        let d = eye - focus;
        let dist = d.length().max(1e-3);
        Self {
            focus,
            yaw: d.y.atan2(d.x),
            pitch: (d.z / dist).clamp(-1.0, 1.0).asin(),
            dist,
        }
    }

    /// The eye position.
    pub fn eye(&self) -> Vec3 {
        let (sp, cp) = self.pitch.sin_cos();
        let (sy, cy) = self.yaw.sin_cos();
        self.focus + self.dist * Vec3::new(cp * cy, cp * sy, sp)
    }

    /// The camera transform (z up, like the CPU renderer's basis).
    pub fn transform(&self) -> Transform {
        Transform::from_translation(self.eye()).looking_at(self.focus, Vec3::Z)
    }

    /// Turn by mouse motion `d` (pixels).
    pub fn rotate(&mut self, d: Vec2) {
        self.yaw -= d.x * 0.006;
        self.pitch = (self.pitch + d.y * 0.006).clamp(-MAX_PITCH, MAX_PITCH);
    }

    /// Move the focus in the view plane by mouse motion `d` (pixels).
    pub fn pan(&mut self, d: Vec2) {
        let t = self.transform();
        let k = self.dist * 0.0015;
        self.focus += (-t.right() * d.x + t.up() * d.y) * k;
    }

    /// Zoom by `lines` wheel steps (positive: closer).
    pub fn zoom(&mut self, lines: f32) {
        self.dist = (self.dist * 0.9f32.powf(lines)).clamp(0.05, super::mesh::SKY_RADIUS * 0.5);
    }
}

/// Which body the view follows, and how.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Follow {
    /// Body index (layout order).
    pub body: usize,
    /// Follow only horizontally (the env camera's `track`), else in 3D.
    pub xy_only: bool,
    /// The body's position when last applied.
    pub last: Vec3,
}

/// The camera state of one viewport.
#[derive(Component, Debug, Clone)]
pub struct ViewCamera {
    /// Index of the world shown.
    pub sim: usize,
    /// The orbit now.
    pub orbit: Orbit,
    /// The body followed, if any.
    pub follow: Option<Follow>,
    env_eye: Vec3,
    env_focus: Vec3,
    env_track: Option<usize>,
}

/// A body's position in `world`.
pub fn body_pos(world: &World, body: usize) -> Vec3 {
    let p = world.physics().bodies[world.body_handle(body)].translation();
    Vec3::new(p.x, p.y, p.z)
}

impl ViewCamera {
    /// The env camera of `spec` for world `sim`; `track` is the index of the tracked
    /// body, if any.
    pub fn new(sim: usize, spec: &CameraSpec, track: Option<usize>, world: &World) -> Self {
        let v = |a: [f64; 3]| Vec3::new(a[0] as f32, a[1] as f32, a[2] as f32);
        let mut c = Self {
            sim,
            orbit: Orbit::looking(v(spec.pos), v(spec.look_at)),
            follow: None,
            env_eye: v(spec.pos),
            env_focus: v(spec.look_at),
            env_track: track,
        };
        c.snap_to_env(world);
        c
    }

    /// Back to the env camera, shifted by the tracked body's xy position as the CPU
    /// renderer does.
    pub fn snap_to_env(&mut self, world: &World) {
        let shift = match self.env_track {
            Some(b) => {
                let p = body_pos(world, b);
                Vec3::new(p.x, p.y, 0.0)
            }
            None => Vec3::ZERO,
        };
        self.orbit = Orbit::looking(self.env_eye + shift, self.env_focus + shift);
        self.follow = self.env_track.map(|body| Follow {
            body,
            xy_only: true,
            last: body_pos(world, body),
        });
    }

    /// Follow the next body (3D), after the last one stop following.
    pub fn cycle_follow(&mut self, world: &World) {
        let n = world.layout().bodies.len();
        let next = match self.follow {
            Some(f) if f.body + 1 < n => Some(f.body + 1),
            Some(_) => None,
            None if n > 0 => Some(0),
            None => None,
        };
        self.follow = next.map(|body| Follow {
            body,
            xy_only: false,
            last: body_pos(world, body),
        });
    }

    /// Move with the followed body.
    pub fn apply_follow(&mut self, world: &World) {
        if let Some(f) = &mut self.follow {
            let p = body_pos(world, f.body);
            let mut d = p - f.last;
            if f.xy_only {
                d.z = 0.0;
            }
            self.orbit.focus += d;
            f.last = p;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orbit_reproduces_eye_and_basis() {
        let eye = Vec3::new(0.0, -4.5, 1.6);
        let focus = Vec3::new(0.0, 0.0, 1.3);
        let o = Orbit::looking(eye, focus);
        assert!((o.eye() - eye).length() < 1e-5);
        let t = o.transform();
        // forward towards the focus, right = forward × z (the CPU renderer's basis)
        let fwd = (focus - eye).normalize();
        assert!((t.forward().as_vec3() - fwd).length() < 1e-5);
        assert!((t.right().as_vec3() - fwd.cross(Vec3::Z).normalize()).length() < 1e-5);
    }
}
