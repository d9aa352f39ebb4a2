//! Where things go in the window: a grid of equal viewports (one per world) on the
//! left, the overlay panel on the right.

/// Width of the overlay panel in pixels.
pub const PANEL_W: u32 = 340;
/// Smallest window height, so the panel's text and plot fit.
pub const MIN_H: u32 = 600;

/// Pixel rectangle (top-left origin).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rect {
    /// Left edge.
    pub x: u32,
    /// Top edge.
    pub y: u32,
    /// Width.
    pub w: u32,
    /// Height.
    pub h: u32,
}

impl Rect {
    /// Whether the point `(x, y)` lies inside.
    pub fn contains(&self, x: f32, y: f32) -> bool {
        x >= self.x as f32
            && y >= self.y as f32
            && x < (self.x + self.w) as f32
            && y < (self.y + self.h) as f32
    }
}

/// The window layout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    /// Window width.
    pub width: u32,
    /// Window height.
    pub height: u32,
    /// One viewport per world, row-major.
    pub views: Vec<Rect>,
    /// Width and height of the viewport grid.
    pub grid: (u32, u32),
}

impl Layout {
    /// `n` viewports of `view_w`×`view_h` pixels in a near-square grid (columns first),
    /// one pixel apart, and the panel.
    pub fn new(n: usize, view_w: u32, view_h: u32) -> Self {
        let n = n.max(1) as u32;
        let cols = (n as f64).sqrt().ceil() as u32;
        let rows = n.div_ceil(cols);
        let gap = 1;
        let views = (0..n)
            .map(|i| Rect {
                x: (i % cols) * (view_w + gap),
                y: (i / cols) * (view_h + gap),
                w: view_w,
                h: view_h,
            })
            .collect();
        let grid = (
            cols * view_w + (cols - 1) * gap,
            rows * view_h + (rows - 1) * gap,
        );
        Self {
            width: grid.0 + PANEL_W,
            height: grid.1.max(MIN_H),
            views,
            grid,
        }
    }

    /// The viewport under the point, if any.
    pub fn view_at(&self, x: f32, y: f32) -> Option<usize> {
        self.views.iter().position(|r| r.contains(x, y))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grid_of_three_is_two_by_two_and_hit_tests() {
        let l = Layout::new(3, 100, 80);
        assert_eq!(l.grid, (201, 161));
        assert_eq!(l.width, 201 + PANEL_W);
        assert_eq!(l.height, MIN_H);
        assert_eq!(
            l.views[2],
            Rect {
                x: 0,
                y: 81,
                w: 100,
                h: 80
            }
        );
        assert_eq!(l.view_at(150.0, 10.0), Some(1));
        assert_eq!(l.view_at(100.5, 10.0), None);
        assert_eq!(l.view_at(10.0, 90.0), Some(2));
        let one = Layout::new(1, 224, 224);
        assert_eq!(
            one.views,
            [Rect {
                x: 0,
                y: 0,
                w: 224,
                h: 224
            }]
        );
    }
}
