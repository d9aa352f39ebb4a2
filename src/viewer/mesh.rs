//! bevy meshes of the shared scene description ([`crate::render::scene`]), shaded as
//! the CPU renderer shades them: flat Lambert + ambient per triangle, two-sided, the
//! checker on ground planes, and the sky gradient.
//!
//! Materials are unlit; each triangle's lit colour is written into its vertex colours
//! every frame (the light is fixed in the world, so it depends on the body's pose and,
//! for two-sided lighting, on the eye), converted to linear so that the window's sRGB
//! output equals the CPU renderer's `colour × brightness`.

use bevy::asset::RenderAssetUsages;
use bevy::image::{ImageAddressMode, ImageFilterMode, ImageSampler, ImageSamplerDescriptor};
use bevy::mesh::{Mesh, PrimitiveTopology};
use bevy::prelude::*;
use bevy::render::render_resource::{Extent3d, TextureDimension, TextureFormat};

use crate::render::scene::{self, Material};

/// Radius of the sky sphere around the eye, in metres (inside the far plane).
pub const SKY_RADIUS: f32 = 400.0;

/// sRGB component (0..1) to linear.
pub fn srgb_to_linear(c: f32) -> f32 {
    if c <= 0.04045 {
        c / 12.92
    } else {
        ((c + 0.055) / 1.055).powf(2.4)
    }
}

fn linear_rgba(c: [f32; 3]) -> [f32; 4] {
    let [r, g, b] = c.map(|x| srgb_to_linear(x.clamp(0.0, 1.0)));
    [r, g, b, 1.0]
}

/// What a scene mesh needs to be re-shaded each frame: per triangle, its normal and
/// first vertex in the collider frame.
#[derive(Debug, Clone)]
pub struct Shading {
    color: [f32; 3],
    normals: Vec<Vec3>,
    corners: Vec<Vec3>,
}

impl Shading {
    /// Write the lit colour of every triangle (three vertices each) for a collider at
    /// `pose` seen from `eye` into `out`.
    pub fn shade(&self, pose: &Transform, eye: Vec3, out: &mut Vec<[f32; 4]>) {
        let light = Vec3::from_array(scene::LIGHT_DIR);
        out.clear();
        for (n, a) in self.normals.iter().zip(&self.corners) {
            let mut n = pose.rotation * *n;
            let a = pose.transform_point(*a);
            // Two-sided: light the side that faces the eye.
            if n.dot(a - eye) > 0.0 {
                n = -n;
            }
            let k = scene::AMBIENT + scene::DIFFUSE * n.dot(light).max(0.0);
            let c = linear_rgba(self.color.map(|x| x * k));
            out.extend([c, c, c]);
        }
    }
}

/// A bevy mesh of `m` with unshared vertices (flat shading) in the collider frame,
/// texture coordinates that tile the checker, and its [`Shading`].
pub fn build(m: &scene::Mesh) -> (Mesh, Shading) {
    let n = m.triangles.len() * 3;
    let mut positions = Vec::with_capacity(n);
    let mut uvs = Vec::with_capacity(n);
    let mut vnormals = Vec::with_capacity(n);
    let mut shading = Shading {
        color: m.color,
        normals: Vec::with_capacity(m.triangles.len()),
        corners: Vec::with_capacity(m.triangles.len()),
    };
    let period = 2.0 * scene::CHECKER_SIZE;
    for t in &m.triangles {
        let p = t.map(|i| Vec3::from_array(m.vertices[i as usize]));
        let normal = (p[1] - p[0]).cross(p[2] - p[0]).normalize_or_zero();
        shading.normals.push(normal);
        shading.corners.push(p[0]);
        for (k, &i) in t.iter().enumerate() {
            positions.push(p[k].to_array());
            vnormals.push(normal.to_array());
            let uv = m.uv[i as usize];
            uvs.push([uv[0] / period, uv[1] / period]);
        }
    }
    let colors = vec![[1.0f32; 4]; n];
    let mesh = Mesh::new(
        PrimitiveTopology::TriangleList,
        RenderAssetUsages::default(),
    )
    .with_inserted_attribute(Mesh::ATTRIBUTE_POSITION, positions)
    .with_inserted_attribute(Mesh::ATTRIBUTE_NORMAL, vnormals)
    .with_inserted_attribute(Mesh::ATTRIBUTE_UV_0, uvs)
    .with_inserted_attribute(Mesh::ATTRIBUTE_COLOR, colors);
    (mesh, shading)
}

/// The 2×2 checker texture (repeating, nearest): light squares 1, dark squares
/// [`scene::CHECKER_DARK`], so that texel `(floor(u), floor(v))` matches
/// [`scene::checker`].
pub fn checker_image() -> Image {
    let dark = (scene::CHECKER_DARK * 255.0).round() as u8;
    let (l, d) = ([255, 255, 255, 255], [dark, dark, dark, 255]);
    let data = [l, d, d, l].concat();
    let mut image = Image::new(
        Extent3d {
            width: 2,
            height: 2,
            depth_or_array_layers: 1,
        },
        TextureDimension::D2,
        data,
        TextureFormat::Rgba8UnormSrgb,
        RenderAssetUsages::default(),
    );
    image.sampler = ImageSampler::Descriptor(ImageSamplerDescriptor {
        address_mode_u: ImageAddressMode::Repeat,
        address_mode_v: ImageAddressMode::Repeat,
        mag_filter: ImageFilterMode::Nearest,
        min_filter: ImageFilterMode::Nearest,
        mipmap_filter: ImageFilterMode::Nearest,
        ..default()
    });
    image
}

/// The unlit, two-sided material of a scene mesh (the checker texture on planes).
pub fn material(m: &scene::Mesh, checker: &Handle<Image>) -> StandardMaterial {
    StandardMaterial {
        base_color: Color::WHITE,
        base_color_texture: (m.material == Material::Checker).then(|| checker.clone()),
        unlit: true,
        double_sided: true,
        cull_mode: None,
        ..default()
    }
}

/// A sphere of [`SKY_RADIUS`] with the sky gradient in its vertex colours (by
/// elevation, dense near the horizon where the gradient is steep); it is drawn with an
/// unlit, two-sided material and moved to the eye every frame.
pub fn sky_mesh() -> Mesh {
    const SEGMENTS: usize = 48;
    // Elevations (sine of the angle above the horizon) of the rings, bottom to top;
    // above the horizon the colour is linear in sqrt(elevation / 0.7).
    let mut rings: Vec<f32> = vec![-1.0, -0.5, -0.1];
    rings.extend((0..=24).map(|i| 0.7 * (i as f32 / 24.0).powi(2)));
    rings.extend([0.8, 0.9, 1.0]);
    let mut positions = Vec::new();
    let mut colors = Vec::new();
    for &z in &rings {
        let r = (1.0 - z * z).max(0.0).sqrt();
        let c = linear_rgba(scene::sky_color(z));
        for s in 0..=SEGMENTS {
            let a = std::f32::consts::TAU * s as f32 / SEGMENTS as f32;
            positions.push([
                SKY_RADIUS * r * a.cos(),
                SKY_RADIUS * r * a.sin(),
                SKY_RADIUS * z,
            ]);
            colors.push(c);
        }
    }
    let row = (SEGMENTS + 1) as u32;
    let mut indices = Vec::new();
    for i in 0..rings.len() as u32 - 1 {
        for s in 0..SEGMENTS as u32 {
            let (a, b) = (i * row + s, (i + 1) * row + s);
            indices.extend([a, a + 1, b + 1, a, b + 1, b]);
        }
    }
    let normals = vec![[0.0f32, 0.0, 1.0]; positions.len()];
    let uvs = vec![[0.0f32, 0.0]; positions.len()];
    Mesh::new(
        PrimitiveTopology::TriangleList,
        RenderAssetUsages::default(),
    )
    .with_inserted_attribute(Mesh::ATTRIBUTE_POSITION, positions)
    .with_inserted_attribute(Mesh::ATTRIBUTE_NORMAL, normals)
    .with_inserted_attribute(Mesh::ATTRIBUTE_UV_0, uvs)
    .with_inserted_attribute(Mesh::ATTRIBUTE_COLOR, colors)
    .with_inserted_indices(bevy::mesh::Indices::U32(indices))
}

/// The sky's material: unlit vertex colours, seen from inside.
pub fn sky_material() -> StandardMaterial {
    StandardMaterial {
        base_color: Color::WHITE,
        unlit: true,
        double_sided: true,
        cull_mode: None,
        fog_enabled: false,
        ..default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn srgb_round_trip_endpoints_and_checker_texels() {
        assert_eq!(srgb_to_linear(0.0), 0.0);
        assert!((srgb_to_linear(1.0) - 1.0).abs() < 1e-6);
        assert!((srgb_to_linear(0.5) - 0.214).abs() < 1e-3);
        let img = checker_image();
        let data = img.data.as_ref().expect("pixels");
        // texel (0,0) light, (1,0) dark: scene::checker(0.5, 0.5) == 1
        assert_eq!(data[0], 255);
        assert!(data[4] < 255);
        assert_eq!(scene::checker(0.5, 0.5), 1.0);
    }
}
