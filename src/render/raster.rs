//! A small z-buffered triangle rasterizer on the CPU.
//!
//! Triangles come in camera space (x right, y up, z forward, metres) with two
//! attributes per vertex (`uv`, e.g. floor coordinates for a checker). They are clipped
//! against the near plane, projected with a pinhole camera, and filled with a
//! per-pixel shading closure that receives the perspective-correct `uv`. The depth
//! buffer stores `1/z` (0 = nothing drawn), so larger is closer.

/// A vertex in camera space with two attributes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CamVert {
    /// Position: x right, y up, z forward (distance in front of the eye).
    pub p: [f32; 3],
    /// Attributes interpolated perspective-correctly across the triangle.
    pub uv: [f32; 2],
}

/// Distance of the near clipping plane in front of the eye, in metres.
pub const NEAR: f32 = 0.02;

/// A pinhole projection onto a `width × height` image.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Projection {
    /// Image width in pixels.
    pub width: usize,
    /// Image height in pixels.
    pub height: usize,
    /// Focal length in pixels.
    pub focal: f32,
}

impl Projection {
    /// A projection with a vertical field of view of `fov_y_deg` degrees.
    pub fn new(width: usize, height: usize, fov_y_deg: f32) -> Self {
        let half = (fov_y_deg.clamp(1.0, 179.0).to_radians() * 0.5).tan();
        Self {
            width,
            height,
            focal: 0.5 * height as f32 / half,
        }
    }

    /// Pixel coordinates (x right, y down; pixel centres at +0.5) of a camera-space
    /// point in front of the eye.
    pub fn project(&self, p: [f32; 3]) -> [f32; 2] {
        let inv = 1.0 / p[2];
        [
            0.5 * self.width as f32 + self.focal * p[0] * inv,
            0.5 * self.height as f32 - self.focal * p[1] * inv,
        ]
    }
}

/// Colour and depth buffers to draw into (row-major, top row first).
pub struct Target<'a> {
    /// Image width in pixels.
    pub width: usize,
    /// Image height in pixels.
    pub height: usize,
    /// RGB bytes, `3 * width * height`.
    pub color: &'a mut [u8],
    /// `1/z` per pixel, `width * height`; 0 where nothing was drawn.
    pub depth: &'a mut [f32],
}

/// A projected vertex: pixel position, `1/z` and attributes divided by z.
#[derive(Debug, Clone, Copy)]
struct ScreenVert {
    x: f32,
    y: f32,
    iz: f32,
    u: f32,
    v: f32,
}

impl<'a> Target<'a> {
    /// Wrap buffers; panics if their sizes do not match `width × height`.
    pub fn new(width: usize, height: usize, color: &'a mut [u8], depth: &'a mut [f32]) -> Self {
        assert_eq!(color.len(), 3 * width * height, "colour buffer size");
        assert_eq!(depth.len(), width * height, "depth buffer size");
        Self {
            width,
            height,
            color,
            depth,
        }
    }

    /// Clear depth and fill each row `y` with `row_color(y)`.
    pub fn clear(&mut self, row_color: impl Fn(usize) -> [u8; 3]) {
        self.depth.fill(0.0);
        for y in 0..self.height {
            let c = row_color(y);
            let row = &mut self.color[3 * y * self.width..3 * (y + 1) * self.width];
            for px in row.chunks_exact_mut(3) {
                px.copy_from_slice(&c);
            }
        }
    }

    /// Draw one camera-space triangle (both sides), clipped at the near plane;
    /// `shade(u, v)` gives the colour of each covered pixel that passes the depth test.
    pub fn triangle(
        &mut self,
        proj: &Projection,
        tri: [CamVert; 3],
        shade: &impl Fn(f32, f32) -> [u8; 3],
    ) {
        let inside = tri.map(|v| v.p[2] >= NEAR);
        if inside.iter().all(|&i| i) {
            self.fill(proj, [tri[0], tri[1], tri[2]], shade);
            return;
        }
        if !inside.iter().any(|&i| i) {
            return;
        }
        // Sutherland–Hodgman against z = NEAR: at most 4 vertices come out.
        let mut poly = [tri[0]; 4];
        let mut n = 0;
        for i in 0..3 {
            let (a, b) = (tri[i], tri[(i + 1) % 3]);
            let (ia, ib) = (inside[i], inside[(i + 1) % 3]);
            if ia {
                poly[n] = a;
                n += 1;
            }
            if ia != ib {
                let t = (NEAR - a.p[2]) / (b.p[2] - a.p[2]);
                let lerp = |x: f32, y: f32| x + (y - x) * t;
                poly[n] = CamVert {
                    p: [lerp(a.p[0], b.p[0]), lerp(a.p[1], b.p[1]), NEAR],
                    uv: [lerp(a.uv[0], b.uv[0]), lerp(a.uv[1], b.uv[1])],
                };
                n += 1;
            }
        }
        for k in 1..n - 1 {
            self.fill(proj, [poly[0], poly[k], poly[k + 1]], shade);
        }
    }

    /// Rasterize a triangle whose vertices are all in front of the near plane.
    fn fill(&mut self, proj: &Projection, tri: [CamVert; 3], shade: &impl Fn(f32, f32) -> [u8; 3]) {
        let s = tri.map(|v| {
            let [x, y] = proj.project(v.p);
            let iz = 1.0 / v.p[2];
            ScreenVert {
                x,
                y,
                iz,
                u: v.uv[0] * iz,
                v: v.uv[1] * iz,
            }
        });
        let (mut a, mut b, c) = (s[0], s[1], s[2]);
        let mut area = (b.x - a.x) * (c.y - a.y) - (b.y - a.y) * (c.x - a.x);
        if !area.is_finite() || area.abs() < 1e-12 {
            return;
        }
        if area < 0.0 {
            std::mem::swap(&mut a, &mut b);
            area = -area;
        }
        let (w, h) = (self.width as f32, self.height as f32);
        let min_x = a.x.min(b.x).min(c.x).max(0.0);
        let max_x = a.x.max(b.x).max(c.x).min(w);
        let min_y = a.y.min(b.y).min(c.y).max(0.0);
        let max_y = a.y.max(b.y).max(c.y).min(h);
        if min_x >= max_x || min_y >= max_y {
            return;
        }
        // Pixel centres (px + 0.5) inside the bounding box.
        let x0 = (min_x - 0.5).ceil().max(0.0) as usize;
        let x1 = ((max_x - 0.5).floor() as isize).min(self.width as isize - 1);
        let y0 = (min_y - 0.5).ceil().max(0.0) as usize;
        let y1 = ((max_y - 0.5).floor() as isize).min(self.height as isize - 1);
        if x1 < x0 as isize || y1 < y0 as isize {
            return;
        }
        let (x1, y1) = (x1 as usize, y1 as usize);
        let inv_area = 1.0 / area;
        // Edge functions: e_a is the weight of a (opposite edge b→c), etc.
        let edge = |p: ScreenVert, q: ScreenVert| {
            // f(x, y) = (q.x - p.x) * (y - p.y) - (q.y - p.y) * (x - p.x)
            let dx = -(q.y - p.y); // df/dx
            let dy = q.x - p.x; // df/dy
            (dx, dy, p)
        };
        let eval =
            |(dx, dy, p): (f32, f32, ScreenVert), x: f32, y: f32| dx * (x - p.x) + dy * (y - p.y);
        let ea = edge(b, c);
        let eb = edge(c, a);
        let ec = edge(a, b);
        let fx = x0 as f32 + 0.5;
        for py in y0..=y1 {
            let fy = py as f32 + 0.5;
            let mut wa = eval(ea, fx, fy);
            let mut wb = eval(eb, fx, fy);
            let mut wc = eval(ec, fx, fy);
            let row = py * self.width;
            for px in x0..=x1 {
                if wa >= 0.0 && wb >= 0.0 && wc >= 0.0 {
                    let (la, lb, lc) = (wa * inv_area, wb * inv_area, wc * inv_area);
                    let iz = la * a.iz + lb * b.iz + lc * c.iz;
                    let i = row + px;
                    if iz > self.depth[i] {
                        self.depth[i] = iz;
                        let z = 1.0 / iz;
                        let u = (la * a.u + lb * b.u + lc * c.u) * z;
                        let v = (la * a.v + lb * b.v + lc * c.v) * z;
                        self.color[3 * i..3 * i + 3].copy_from_slice(&shade(u, v));
                    }
                }
                wa += ea.0;
                wb += eb.0;
                wc += ec.0;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(x: f32, y: f32, z: f32) -> CamVert {
        CamVert {
            p: [x, y, z],
            uv: [0.0, 0.0],
        }
    }

    fn buffers(w: usize, h: usize) -> (Vec<u8>, Vec<f32>) {
        (vec![0; 3 * w * h], vec![0.0; w * h])
    }

    fn count(color: &[u8], c: [u8; 3]) -> usize {
        color.chunks_exact(3).filter(|p| *p == c).count()
    }

    #[test]
    fn projection_maps_the_axis_to_the_centre() {
        let p = Projection::new(64, 32, 90.0);
        assert!((p.focal - 16.0).abs() < 1e-4);
        let [x, y] = p.project([0.0, 0.0, 3.0]);
        assert_eq!([x, y], [32.0, 16.0]);
        let [x, y] = p.project([1.0, 1.0, 1.0]);
        assert_eq!([x, y], [48.0, 0.0]);
    }

    #[test]
    fn a_screen_filling_triangle_pair_covers_every_pixel_once_in_area() {
        let (w, h) = (16, 12);
        let (mut c, mut d) = buffers(w, h);
        let mut t = Target::new(w, h, &mut c, &mut d);
        let proj = Projection::new(w, h, 90.0);
        let red = [255, 0, 0];
        // A quad at z = 1 that covers the whole view (±w/h/2 focal units).
        let (x, y) = (2.0, 2.0);
        t.triangle(
            &proj,
            [v(-x, -y, 1.0), v(x, -y, 1.0), v(x, y, 1.0)],
            &|_, _| red,
        );
        t.triangle(
            &proj,
            [v(-x, -y, 1.0), v(x, y, 1.0), v(-x, y, 1.0)],
            &|_, _| red,
        );
        assert_eq!(count(&c, red), w * h);
    }

    #[test]
    fn half_plane_triangle_covers_about_half_the_pixels_with_either_winding() {
        let (w, h) = (20, 20);
        let proj = Projection::new(w, h, 90.0);
        for flip in [false, true] {
            let (mut c, mut d) = buffers(w, h);
            let mut t = Target::new(w, h, &mut c, &mut d);
            let mut tri = [v(-1.0, -1.0, 1.0), v(1.0, -1.0, 1.0), v(1.0, 1.0, 1.0)];
            if flip {
                tri.swap(1, 2);
            }
            t.triangle(&proj, tri, &|_, _| [9, 9, 9]);
            let n = count(&c, [9, 9, 9]);
            // Lower-right half including the diagonal: 20 * 21 / 2.
            assert_eq!(n, 210, "flip {flip}");
        }
    }

    #[test]
    fn nearer_triangle_wins_regardless_of_order() {
        let (w, h) = (8, 8);
        let proj = Projection::new(w, h, 60.0);
        let big = |z: f32| [v(-5.0, -5.0, z), v(5.0, -5.0, z), v(0.0, 5.0, z)];
        for order in [0, 1] {
            let (mut c, mut d) = buffers(w, h);
            let mut t = Target::new(w, h, &mut c, &mut d);
            let draws: [(f32, [u8; 3]); 2] = [(2.0, [0, 0, 255]), (4.0, [255, 0, 0])];
            for k in 0..2 {
                let (z, col) = draws[(k + order) % 2];
                t.triangle(&proj, big(z), &|_, _| col);
            }
            let centre = 3 * (4 * w + 4);
            assert_eq!(&c[centre..centre + 3], &[0, 0, 255], "order {order}");
            assert!((d[4 * w + 4] - 0.5).abs() < 1e-5);
        }
    }

    #[test]
    fn attributes_are_perspective_correct() {
        // A floor-like quad receding in depth: u = z along it. At each pixel, the
        // interpolated u must equal the depth 1/(1/z) there.
        let (w, h) = (32, 32);
        let proj = Projection::new(w, h, 90.0);
        let (mut c, mut d) = buffers(w, h);
        let mut t = Target::new(w, h, &mut c, &mut d);
        let q = |x: f32, z: f32| CamVert {
            p: [x, -1.0, z],
            uv: [z, 0.0],
        };
        let seen = std::cell::Cell::new(0usize);
        let bad = std::cell::Cell::new(0usize);
        let shade = |u: f32, _v: f32| {
            seen.set(seen.get() + 1);
            if !(1.0 - 1e-3..=10.0 + 1e-3).contains(&u) {
                bad.set(bad.get() + 1);
            }
            [1, 1, 1]
        };
        t.triangle(&proj, [q(-5.0, 1.0), q(5.0, 1.0), q(5.0, 10.0)], &shade);
        t.triangle(&proj, [q(-5.0, 1.0), q(5.0, 10.0), q(-5.0, 10.0)], &shade);
        assert!(seen.get() > 50);
        assert_eq!(bad.get(), 0);
        for py in 0..h {
            for px in 0..w {
                let iz = d[py * w + px];
                if iz > 0.0 {
                    // The floor y = -1 at depth z projects to row h/2 + focal / z.
                    let z = 1.0 / iz;
                    let row = 0.5 * h as f32 + proj.focal / z;
                    assert!((row - (py as f32 + 0.5)).abs() < 1e-3 * z * z + 1e-3);
                }
            }
        }
    }

    #[test]
    fn triangles_behind_or_through_the_eye_are_clipped_not_crashing() {
        let (w, h) = (16, 16);
        let proj = Projection::new(w, h, 90.0);
        let (mut c, mut d) = buffers(w, h);
        let mut t = Target::new(w, h, &mut c, &mut d);
        // Entirely behind.
        t.triangle(
            &proj,
            [v(0.0, 0.0, -1.0), v(1.0, 0.0, -2.0), v(0.0, 1.0, -1.0)],
            &|_, _| [1, 2, 3],
        );
        assert_eq!(count(t.color, [1, 2, 3]), 0);
        // Crossing the eye plane, one and two vertices behind.
        t.triangle(
            &proj,
            [v(-1.0, -1.0, 2.0), v(1.0, -1.0, 2.0), v(0.0, 1.0, -3.0)],
            &|_, _| [4, 5, 6],
        );
        assert!(count(t.color, [4, 5, 6]) > 0);
        t.triangle(
            &proj,
            [v(-1.0, -1.0, -2.0), v(1.0, -1.0, -2.0), v(0.0, 1.0, 3.0)],
            &|_, _| [7, 8, 9],
        );
        // Through the eye itself and degenerate: nothing to draw, no panic.
        t.triangle(
            &proj,
            [v(0.0, 0.0, 0.0), v(0.0, 0.0, 0.0), v(0.0, 0.0, 0.0)],
            &|_, _| [1, 1, 1],
        );
        assert!(d.iter().all(|z| z.is_finite() && *z <= 1.0 / NEAR + 1.0));
    }

    #[test]
    fn clear_fills_rows_and_resets_depth() {
        let (w, h) = (3, 2);
        let (mut c, mut d) = buffers(w, h);
        d.fill(5.0);
        let mut t = Target::new(w, h, &mut c, &mut d);
        t.clear(|y| [y as u8, 0, 0]);
        assert_eq!(
            c,
            vec![0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 1, 0, 0, 1, 0, 0]
        );
        assert!(d.iter().all(|&z| z == 0.0));
    }
}
