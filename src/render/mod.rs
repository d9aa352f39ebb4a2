//! Headless frames of an env camera: a CPU rasterizer over the world's collision
//! shapes, plus PNG, GIF and MP4 export.
//!
//! ```no_run
//! use rewardsmith::env::{AssetRoots, Env};
//! use rewardsmith::render::Renderer;
//! let mut env = Env::load("cartpole", &AssetRoots::discover()).unwrap();
//! env.reset(Some(0)).unwrap();
//! let renderer = Renderer::for_env(&env).unwrap();
//! renderer.render(env.world()).save("cartpole.png").unwrap();
//! ```

pub mod raster;
pub mod scene;
pub mod video;

use rayon::prelude::*;
use std::cell::RefCell;

use crate::env::spec::CameraSpec;
use crate::env::{BodyState, Env, State, World};
use rapier3d::prelude::{Pose, Rotation, Vector};
use raster::{CamVert, Projection, Target};
use scene::{Material, Mesh, Mount, Scene};

pub use video::{write_gif, write_mp4, write_png, write_pngs};

/// One rendered RGB frame (8 bits per channel, row-major, top row first).
pub type Frame = image::RgbImage;

/// Errors of rendering and of writing frames.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// The camera tracks a body the world does not have.
    #[error("camera.track: unknown body `{name}` (bodies: {known})")]
    UnknownTrack {
        /// The name asked for.
        name: String,
        /// Names that exist.
        known: String,
    },
    /// A frame size of zero.
    #[error("frame size must be at least 1×1, got {width}×{height}")]
    EmptySize {
        /// Requested width.
        width: u32,
        /// Requested height.
        height: u32,
    },
    /// Writing a file failed.
    #[error("writing {path}: {cause}")]
    Io {
        /// The file.
        path: String,
        /// The cause (in the message, so not also a `source()`).
        cause: std::io::Error,
    },
    /// Encoding an image failed.
    #[error("encoding {path}: {cause}")]
    Image {
        /// The file.
        path: String,
        /// The cause (in the message, so not also a `source()`).
        cause: image::ImageError,
    },
    /// `ffmpeg` is not on PATH (MP4 export only).
    #[error("ffmpeg not found on PATH; no MP4 written (the GIF and PNGs are unaffected)")]
    NoFfmpeg,
    /// `ffmpeg` ran and failed.
    #[error("ffmpeg failed writing {path}: {message}")]
    Ffmpeg {
        /// The output file.
        path: String,
        /// ffmpeg's status and the end of its stderr.
        message: String,
    },
    /// Frames of different sizes, or none, given to a video writer.
    #[error("video frames: {0}")]
    Frames(String),
}

/// A pinhole camera in world coordinates (z up).
#[derive(Debug, Clone, PartialEq)]
pub struct Camera {
    /// Eye position.
    pub eye: [f32; 3],
    /// Point looked at.
    pub look_at: [f32; 3],
    /// Vertical field of view in degrees.
    pub fov_deg: f32,
    /// Image width in pixels (≥ 1).
    pub width: u32,
    /// Image height in pixels (≥ 1).
    pub height: u32,
}

impl Camera {
    /// The camera of an env spec (tracking is resolved by [`Renderer`]).
    pub fn from_spec(spec: &CameraSpec) -> Self {
        let f = |a: [f64; 3]| a.map(|x| x as f32);
        Self {
            eye: f(spec.pos),
            look_at: f(spec.look_at),
            fov_deg: spec.fov_deg as f32,
            width: spec.width,
            height: spec.height,
        }
    }

    /// The same camera moved by `d` (eye and target).
    pub fn shifted(&self, d: [f32; 3]) -> Self {
        let add = |a: [f32; 3]| [a[0] + d[0], a[1] + d[1], a[2] + d[2]];
        Self {
            eye: add(self.eye),
            look_at: add(self.look_at),
            ..self.clone()
        }
    }

    /// Orthonormal right, up and forward axes of the view.
    fn basis(&self) -> [[f32; 3]; 3] {
        let sub = |a: [f32; 3], b: [f32; 3]| [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
        let forward = normalize(sub(self.look_at, self.eye)).unwrap_or([0.0, 1.0, 0.0]);
        let right = normalize(cross(forward, [0.0, 0.0, 1.0]))
            .or_else(|| normalize(cross(forward, [0.0, 1.0, 0.0])))
            .unwrap_or([1.0, 0.0, 0.0]);
        let up = cross(right, forward);
        [right, up, forward]
    }
}

fn cross(a: [f32; 3], b: [f32; 3]) -> [f32; 3] {
    [
        a[1] * b[2] - a[2] * b[1],
        a[2] * b[0] - a[0] * b[2],
        a[0] * b[1] - a[1] * b[0],
    ]
}

fn dot(a: [f32; 3], b: [f32; 3]) -> f32 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

fn normalize(a: [f32; 3]) -> Option<[f32; 3]> {
    let n = dot(a, a).sqrt();
    (n > 1e-12 && n.is_finite()).then(|| a.map(|x| x / n))
}

fn to_u8(c: [f32; 3]) -> [u8; 3] {
    c.map(|x| (x * 255.0 + 0.5).clamp(0.0, 255.0) as u8)
}

thread_local! {
    /// Per-thread scratch: depth buffer and camera-space vertices.
    static SCRATCH: RefCell<(Vec<f32>, Vec<CamVert>)> = const { RefCell::new((Vec::new(), Vec::new())) };
}

/// Renders the worlds of one env: its scene (tessellated once) and camera.
#[derive(Debug, Clone)]
pub struct Renderer {
    scene: Scene,
    camera: Camera,
    track: Option<usize>,
}

impl Renderer {
    /// A renderer for `world` seen by the env camera `camera`; fails if the camera
    /// tracks an unknown body or the size is 0.
    pub fn new(world: &World, camera: &CameraSpec) -> Result<Self, RenderError> {
        let track = match &camera.track {
            None => None,
            Some(name) => {
                let layout = world.layout();
                Some(
                    layout
                        .body_index(name)
                        .ok_or_else(|| RenderError::UnknownTrack {
                            name: name.clone(),
                            known: layout.bodies.join(", "),
                        })?,
                )
            }
        };
        let r = Self {
            scene: Scene::from_world(world),
            camera: Camera::from_spec(camera),
            track,
        };
        r.with_size(camera.width, camera.height)
    }

    /// A renderer for `env`'s world and camera.
    pub fn for_env(env: &Env) -> Result<Self, RenderError> {
        Self::new(env.world(), &env.compiled().spec.camera)
    }

    /// The same renderer with another frame size (at least 1×1).
    pub fn with_size(mut self, width: u32, height: u32) -> Result<Self, RenderError> {
        if width == 0 || height == 0 {
            return Err(RenderError::EmptySize { width, height });
        }
        self.camera.width = width;
        self.camera.height = height;
        Ok(self)
    }

    /// The tessellated scene.
    pub fn scene(&self) -> &Scene {
        &self.scene
    }

    /// The camera before tracking.
    pub fn camera(&self) -> &Camera {
        &self.camera
    }

    /// The camera for `world`: shifted by the tracked body's xy position, if any.
    pub fn camera_for(&self, world: &World) -> Camera {
        match self.track {
            Some(b) => {
                let p = world.physics().bodies[world.body_handle(b)].translation();
                self.camera.shifted([p.x, p.y, 0.0])
            }
            None => self.camera.clone(),
        }
    }

    /// The camera for a state: shifted by the tracked body's xy position, if any.
    pub fn camera_for_state(&self, state: &State) -> Camera {
        match self.track.and_then(|b| state.bodies.get(b)) {
            Some(b) => self.camera.shifted([b.pos[0] as f32, b.pos[1] as f32, 0.0]),
            None => self.camera.clone(),
        }
    }

    /// Render one frame of `world` (a world of the env this renderer was made for).
    pub fn render(&self, world: &World) -> Frame {
        let mut frame = Frame::new(self.camera.width, self.camera.height);
        self.render_into(world, &mut frame);
        frame
    }

    /// Render `world` into `frame`, which is resized to the camera size if needed.
    pub fn render_into(&self, world: &World, frame: &mut Frame) {
        let cam = self.camera_for(world);
        if frame.dimensions() != (cam.width, cam.height) {
            *frame = Frame::new(cam.width, cam.height);
        }
        let pose_of = |mesh: &Mesh| scene::collider_pose(world, mesh.collider);
        draw_with_scratch(&self.scene, pose_of, &cam, frame);
    }

    /// Render one frame of a state of this renderer's env: the bodies posed as the
    /// state's body poses say (so a state recorded before an auto-reset still draws).
    pub fn render_state(&self, state: &State) -> Frame {
        let cam = self.camera_for_state(state);
        let mut frame = Frame::new(cam.width, cam.height);
        let pose_of = |mesh: &Mesh| match mesh.mount {
            Mount::Body(rel) => state.bodies.get(mesh.body).map(|b| body_pose(b) * rel),
            Mount::Fixed(p) => Some(p),
        };
        draw_with_scratch(&self.scene, pose_of, &cam, &mut frame);
        frame
    }

    /// Render the frames of many states in parallel on rayon's current pool, in order.
    pub fn render_states(&self, states: &[&State]) -> Vec<Frame> {
        states.par_iter().map(|s| self.render_state(s)).collect()
    }

    /// Render the frames of many worlds in parallel on rayon's current pool (use
    /// `ThreadPool::install` to choose the threads), in the order given.
    pub fn render_batch(&self, worlds: &[&World]) -> Vec<Frame> {
        worlds.par_iter().map(|w| self.render(w)).collect()
    }
}

/// Render the frames of many worlds of one env in parallel (see
/// [`Renderer::render_batch`]).
pub fn render_batch(renderer: &Renderer, worlds: &[&World]) -> Vec<Frame> {
    renderer.render_batch(worlds)
}

/// A body's pose from its state (positions and quaternion in f64).
fn body_pose(b: &BodyState) -> Pose {
    let [w, x, y, z] = b.quat.map(|v| v as f32);
    let t = Vector::new(b.pos[0] as f32, b.pos[1] as f32, b.pos[2] as f32);
    Pose::from_parts(t, Rotation::from_xyzw(x, y, z, w).normalize())
}

/// Draw `scene` into `frame` (already `cam`-sized) with this thread's scratch buffers.
fn draw_with_scratch(
    scene: &Scene,
    pose_of: impl Fn(&Mesh) -> Option<Pose>,
    cam: &Camera,
    frame: &mut Frame,
) {
    SCRATCH.with(|s| {
        let (depth, verts) = &mut *s.borrow_mut();
        depth.resize((cam.width * cam.height) as usize, 0.0);
        draw(scene, pose_of, cam, frame, depth, verts);
    });
}

/// Draw `scene`, each mesh at the pose `pose_of` gives (none: not drawn), seen by `cam`.
fn draw(
    scene: &Scene,
    pose_of: impl Fn(&Mesh) -> Option<Pose>,
    cam: &Camera,
    frame: &mut Frame,
    depth: &mut [f32],
    verts: &mut Vec<CamVert>,
) {
    let (w, h) = (cam.width as usize, cam.height as usize);
    let proj = Projection::new(w, h, cam.fov_deg);
    let [right, up, forward] = cam.basis();
    let mut target = Target::new(w, h, frame.as_mut(), depth);
    // Sky: per row, the elevation of the view ray through the image's centre column.
    target.clear(|y| {
        let t = (0.5 * h as f32 - (y as f32 + 0.5)) / proj.focal;
        let d = [
            forward[0] + up[0] * t,
            forward[1] + up[1] * t,
            forward[2] + up[2] * t,
        ];
        to_u8(scene::sky_color(d[2] / dot(d, d).sqrt()))
    });
    // The light in camera coordinates.
    let l = scene::LIGHT_DIR;
    let light = [dot(l, right), dot(l, up), dot(l, forward)];
    for mesh in &scene.meshes {
        let Some(pose) = pose_of(mesh) else {
            continue;
        };
        verts.clear();
        verts.extend(mesh.vertices.iter().zip(&mesh.uv).map(|(v, uv)| {
            let p = pose.transform_point(Vector::new(v[0], v[1], v[2]));
            let d = [p.x - cam.eye[0], p.y - cam.eye[1], p.z - cam.eye[2]];
            CamVert {
                p: [dot(d, right), dot(d, up), dot(d, forward)],
                uv: *uv,
            }
        }));
        for t in &mesh.triangles {
            let tri = [
                verts[t[0] as usize],
                verts[t[1] as usize],
                verts[t[2] as usize],
            ];
            let (a, b, c) = (tri[0].p, tri[1].p, tri[2].p);
            let e1 = [b[0] - a[0], b[1] - a[1], b[2] - a[2]];
            let e2 = [c[0] - a[0], c[1] - a[1], c[2] - a[2]];
            let Some(mut n) = normalize(cross(e1, e2)) else {
                continue;
            };
            // Two-sided: light the side that faces the eye (at the origin).
            if dot(n, a) > 0.0 {
                n = n.map(|x| -x);
            }
            let k = scene::AMBIENT + scene::DIFFUSE * dot(n, light).max(0.0);
            let lit = mesh.color.map(|x| x * k);
            match mesh.material {
                Material::Solid => {
                    let c = to_u8(lit);
                    target.triangle(&proj, tri, &|_, _| c);
                }
                Material::Checker => {
                    let light_sq = to_u8(lit);
                    let dark_sq = to_u8(lit.map(|x| x * scene::CHECKER_DARK));
                    target.triangle(&proj, tri, &|u, v| {
                        if scene::checker(u, v) == 1.0 {
                            light_sq
                        } else {
                            dark_sq
                        }
                    });
                }
            }
        }
    }
}
