//! Picking: the ray through a point of a viewport, and the body it hits first in the
//! rapier world (no bevy app here, so it is tested without a window).

use bevy::math::{Vec2, Vec3};
use bevy::transform::components::Transform;
use rapier3d::prelude::{Ray, Vector};

use super::mesh::SKY_RADIUS;
use crate::env::World;
use crate::render::scene::collider_pose;

/// A half-line in the world (z up).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PickRay {
    /// Where it starts (the eye).
    pub origin: Vec3,
    /// Unit direction.
    pub dir: Vec3,
}

/// The ray from a perspective camera posed at `camera`, with a vertical field of view
/// of `fov_y` radians, through `point` of its `size` viewport (pixels from the
/// viewport's top-left corner).
pub fn viewport_ray(camera: &Transform, fov_y: f32, size: Vec2, point: Vec2) -> PickRay {
    let half = (fov_y * 0.5).tan();
    let aspect = size.x / size.y.max(1.0);
    let ndc = Vec2::new(
        2.0 * point.x / size.x.max(1.0) - 1.0,
        1.0 - 2.0 * point.y / size.y.max(1.0),
    );
    let dir = camera.forward().as_vec3()
        + camera.right().as_vec3() * (ndc.x * half * aspect)
        + camera.up().as_vec3() * (ndc.y * half);
    PickRay {
        origin: camera.translation,
        dir: dir.normalize_or(camera.forward().as_vec3()),
    }
}

/// The body (layout index) whose collider `ray` meets first within the sky sphere,
/// or `None` (the sky).
///
/// Each collider is cast against at its pose through its parent body (rapier's
/// [`rapier3d::geometry::Shape`] ray cast), not through the broad phase: a body
/// placed by a reset is only moved in the broad phase, and in its colliders' own
/// poses, by the next physics step, and a click on a paused, just reset world must
/// still find it.
pub fn pick_body(world: &World, ray: PickRay) -> Option<usize> {
    let v = |a: Vec3| Vector::new(a.x, a.y, a.z);
    let r = Ray::new(v(ray.origin), v(ray.dir));
    let phys = world.physics();
    phys.colliders
        .iter()
        .filter_map(|(handle, co)| {
            let pose = collider_pose(world, handle)?;
            let toi = co.shape().cast_ray(&pose, &r, SKY_RADIUS, true)?;
            Some((toi, co.parent()?))
        })
        .min_by(|a, b| a.0.total_cmp(&b.0))
        .and_then(|(_, body)| world.body_index_of(body))
}
