//! The scene shared by every renderer: meshes of a world's colliders with per-body
//! colours, the light, the sky and the floor's checker.
//!
//! Each collider's shape is tessellated once, in the collider's local frame
//! ([`Scene::from_world`]); a frame only transforms those vertices by the collider's
//! current world pose. A half-space (the ground plane) becomes a large square
//! ([`PLANE_SIZE`]) with a checker texture.

use rapier3d::parry::shape::Shape;
use rapier3d::prelude::*;

use crate::env::World;

/// Direction *towards* the light (unit length): from above, in front (−y, where env
/// cameras stand) and to the left (−x).
pub const LIGHT_DIR: [f32; 3] = [-0.36, -0.48, 0.8];
/// Light reaching every surface regardless of its orientation (0..1).
pub const AMBIENT: f32 = 0.35;
/// Strength of the directional (Lambert) light.
pub const DIFFUSE: f32 = 0.65;
/// Sky colour at the horizon (RGB, 0..1).
pub const SKY_HORIZON: [f32; 3] = [0.78, 0.87, 0.96];
/// Sky colour straight up.
pub const SKY_ZENITH: [f32; 3] = [0.25, 0.45, 0.82];
/// Side of the square drawn for a ground plane, in metres.
pub const PLANE_SIZE: f32 = 20.0;
/// Side of one checker square on a ground plane, in metres.
pub const CHECKER_SIZE: f32 = 1.0;
/// Brightness of the darker checker squares relative to the lighter ones.
pub const CHECKER_DARK: f32 = 0.86;

/// Segments around a ball, cylinder or capsule.
const ROUND_SUBDIV: u32 = 16;
/// Segments from pole to pole of a ball or capsule cap.
const ROUND_RINGS: u32 = 8;

/// How a mesh's pixels are coloured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Material {
    /// The body colour, Lambert-shaded per triangle.
    Solid,
    /// A checker of [`CHECKER_SIZE`] squares over the vertices' `uv` (metres).
    Checker,
}

/// How a mesh is placed in the world.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Mount {
    /// Moves with body [`Mesh::body`]: the collider's pose relative to that body.
    Body(Pose),
    /// A collider without a body, fixed at this world pose.
    Fixed(Pose),
}

/// One collider's triangles in its local frame.
#[derive(Debug, Clone)]
pub struct Mesh {
    /// The collider whose pose places the mesh.
    pub collider: ColliderHandle,
    /// Body index (layout order) the collider belongs to.
    pub body: usize,
    /// Where the mesh hangs in the world.
    pub mount: Mount,
    /// RGB colour in 0..1.
    pub color: [f32; 3],
    /// Solid or checker.
    pub material: Material,
    /// Vertex positions in the collider's frame.
    pub vertices: Vec<[f32; 3]>,
    /// Per-vertex texture coordinates (metres; used by [`Material::Checker`]).
    pub uv: Vec<[f32; 2]>,
    /// Triangles as vertex indices.
    pub triangles: Vec<[u32; 3]>,
}

/// All meshes of a world. Worlds of the same env (duplicates, snapshots) share it.
#[derive(Debug, Clone, Default)]
pub struct Scene {
    /// One mesh per drawable collider, in collider order.
    pub meshes: Vec<Mesh>,
}

impl Scene {
    /// Tessellate every collider of `world` (sensors included). Shapes with nothing
    /// to draw (segments, voxels, ...) are skipped.
    pub fn from_world(world: &World) -> Self {
        let colors = world.body_colors();
        let mut meshes = Vec::new();
        for (handle, co) in world.physics().colliders.iter() {
            let body = co.user_data as usize;
            let c = colors.get(body).copied().unwrap_or([0.7, 0.7, 0.7]);
            let color = [c[0] as f32, c[1] as f32, c[2] as f32];
            let mount = match (co.parent(), co.position_wrt_parent()) {
                (Some(_), Some(rel)) => Mount::Body(*rel),
                _ => Mount::Fixed(*co.position()),
            };
            let mut mesh = Mesh {
                collider: handle,
                body,
                mount,
                color,
                material: Material::Solid,
                vertices: Vec::new(),
                uv: Vec::new(),
                triangles: Vec::new(),
            };
            tessellate(co.shape(), &Pose::IDENTITY, &mut mesh);
            if !mesh.triangles.is_empty() {
                meshes.push(mesh);
            }
        }
        Self { meshes }
    }

    /// Number of triangles over all meshes.
    pub fn triangle_count(&self) -> usize {
        self.meshes.iter().map(|m| m.triangles.len()).sum()
    }
}

/// The world pose of a collider of `world`. The collider's own pose is only
/// synchronised by a physics step; a body moved by reset (or placed by a task) is
/// current, so this goes through the parent body when there is one.
pub fn collider_pose(world: &World, collider: ColliderHandle) -> Option<Pose> {
    let phys = world.physics();
    let co = phys.colliders.get(collider)?;
    Some(match (co.parent(), co.position_wrt_parent()) {
        (Some(b), Some(rel)) => match phys.bodies.get(b) {
            Some(rb) => *rb.position() * *rel,
            None => *co.position(),
        },
        _ => *co.position(),
    })
}

/// Append `shape` placed at `pose` (in the collider frame) to `mesh`.
fn tessellate(shape: &dyn Shape, pose: &Pose, mesh: &mut Mesh) {
    let (vtx, idx): (Vec<Vector>, Vec<[u32; 3]>) = if let Some(s) = shape.as_cuboid() {
        s.to_trimesh()
    } else if let Some(s) = shape.as_round_cuboid() {
        s.inner_shape.to_trimesh()
    } else if let Some(s) = shape.as_ball() {
        s.to_trimesh(ROUND_SUBDIV, ROUND_RINGS)
    } else if let Some(s) = shape.as_cylinder() {
        s.to_trimesh(ROUND_SUBDIV)
    } else if let Some(s) = shape.as_round_cylinder() {
        s.inner_shape.to_trimesh(ROUND_SUBDIV)
    } else if let Some(s) = shape.as_cone() {
        s.to_trimesh(ROUND_SUBDIV)
    } else if let Some(s) = shape.as_capsule() {
        s.to_trimesh(ROUND_SUBDIV, ROUND_RINGS)
    } else if let Some(s) = shape.as_convex_polyhedron() {
        s.to_trimesh()
    } else if let Some(s) = shape.as_heightfield() {
        s.to_trimesh()
    } else if let Some(s) = shape.as_trimesh() {
        (s.vertices().to_vec(), s.indices().to_vec())
    } else if let Some(s) = shape.as_triangle() {
        (vec![s.a, s.b, s.c], vec![[0, 1, 2]])
    } else if let Some(s) = shape.as_halfspace() {
        mesh.material = Material::Checker;
        plane(s.normal, pose, mesh);
        return;
    } else if let Some(s) = shape.as_compound() {
        for (sub_pose, sub) in s.shapes() {
            tessellate(sub.as_ref(), &(*pose * *sub_pose), mesh);
        }
        return;
    } else {
        return;
    };
    let base = mesh.vertices.len() as u32;
    mesh.vertices.extend(vtx.iter().map(|&v| {
        let p = pose.transform_point(v);
        [p.x, p.y, p.z]
    }));
    mesh.uv.resize(mesh.vertices.len(), [0.0, 0.0]);
    mesh.triangles
        .extend(idx.iter().map(|t| [t[0] + base, t[1] + base, t[2] + base]));
}

/// A [`PLANE_SIZE`] square through the origin of `pose` with the given normal, split
/// into a grid (so that its triangles stay small next to the camera), uv in metres.
fn plane(normal: Vector, pose: &Pose, mesh: &mut Mesh) {
    const CELLS: u32 = 4;
    let n = normal.normalize_or(Vector::Z);
    let helper = if n.x.abs() < 0.9 {
        Vector::X
    } else {
        Vector::Y
    };
    let t1 = (helper - n * n.dot(helper)).normalize();
    let t2 = n.cross(t1);
    let base = mesh.vertices.len() as u32;
    let half = 0.5 * PLANE_SIZE;
    for i in 0..=CELLS {
        for j in 0..=CELLS {
            let u = -half + PLANE_SIZE * i as f32 / CELLS as f32;
            let v = -half + PLANE_SIZE * j as f32 / CELLS as f32;
            let p = pose.transform_point(t1 * u + t2 * v);
            mesh.vertices.push([p.x, p.y, p.z]);
            mesh.uv.push([u, v]);
        }
    }
    let at = |i: u32, j: u32| base + i * (CELLS + 1) + j;
    for i in 0..CELLS {
        for j in 0..CELLS {
            mesh.triangles
                .push([at(i, j), at(i + 1, j), at(i + 1, j + 1)]);
            mesh.triangles
                .push([at(i, j), at(i + 1, j + 1), at(i, j + 1)]);
        }
    }
}

/// Sky colour for a view direction with vertical component `elevation` (sine of the
/// angle above the horizon): horizon colour at and below 0, zenith colour high up.
pub fn sky_color(elevation: f32) -> [f32; 3] {
    let t = (elevation / 0.7).clamp(0.0, 1.0).sqrt();
    std::array::from_fn(|k| SKY_HORIZON[k] + (SKY_ZENITH[k] - SKY_HORIZON[k]) * t)
}

/// Lambert + ambient brightness for a unit normal.
pub fn lambert(normal: [f32; 3]) -> f32 {
    let d = normal[0] * LIGHT_DIR[0] + normal[1] * LIGHT_DIR[1] + normal[2] * LIGHT_DIR[2];
    AMBIENT + DIFFUSE * d.max(0.0)
}

/// Checker brightness factor at floor coordinates `(u, v)` in metres.
pub fn checker(u: f32, v: f32) -> f32 {
    let k = (u / CHECKER_SIZE).floor() as i64 + (v / CHECKER_SIZE).floor() as i64;
    if k & 1 == 0 { 1.0 } else { CHECKER_DARK }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn light_is_unit_length_and_from_above() {
        let n: f32 = LIGHT_DIR.iter().map(|x| x * x).sum();
        assert!((n - 1.0).abs() < 1e-6);
        const { assert!(LIGHT_DIR[2] > 0.0) };
        assert!((lambert([0.0, 0.0, -1.0]) - AMBIENT).abs() < 1e-6);
        assert!(lambert(LIGHT_DIR) > 0.99);
    }

    #[test]
    fn sky_gets_deeper_upwards_and_checker_alternates() {
        assert_eq!(sky_color(-0.5), SKY_HORIZON);
        assert_eq!(sky_color(1.0), SKY_ZENITH);
        assert!(sky_color(0.3)[0] < sky_color(0.1)[0]);
        assert_eq!(checker(0.5, 0.5), 1.0);
        assert_eq!(checker(1.5, 0.5), CHECKER_DARK);
        assert_eq!(checker(-0.5, 0.5), CHECKER_DARK);
        assert_eq!(checker(-0.5, -0.5), 1.0);
    }
}
