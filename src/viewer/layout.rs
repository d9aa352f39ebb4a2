//! Where things go in the window: a grid of equal viewports (one per world) on the
//! left, the overlay panel on the right.

/// Width of the overlay panel in pixels.
pub const PANEL_W: u32 = 340;
/// Padding around the panel's content, in pixels.
pub const PANEL_PAD: u32 = 10;
/// Font size of the panel's text, in pixels.
pub const FONT_SIZE: f32 = 13.0;
/// Height of a line of the panel's text (1.2 × the font size), rounded up.
pub const LINE_H: u32 = 16;
/// Rows of coloured text (the total and the components, or one per compared run).
pub const ROWS: usize = 10;
/// Height of the plot, in pixels.
pub const PLOT_H: u32 = 150;
/// Margin above and below the plot, in pixels.
pub const PLOT_MARGIN: u32 = 6;
/// Least space between the inspector and the keys, in pixels.
pub const SECTION_GAP: u32 = 6;
/// Lines of text the panel holds at most: the status (8: env, episode, return,
/// success, the reward program's path over two, the followed body, a note), the reward
/// rows, the inspector (8: a body's name and 4 fields, its joint's name and 2), the
/// keys (12; in a comparison 11 and 3 for ranking, with 3 fewer status lines).
const PANEL_LINES: u32 = 8 + ROWS as u32 + 8 + 12;
/// Smallest window height, so the panel's sections fit one under the other.
pub const MIN_H: u32 =
    2 * PANEL_PAD + PANEL_LINES * LINE_H + PLOT_H + 2 * PLOT_MARGIN + SECTION_GAP;

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

/// Pixels between viewports.
const GAP: u32 = 1;
/// Smallest viewport side, in pixels.
pub const MIN_VIEW: u32 = 16;

/// Columns and rows of a near-square grid of `n` cells (columns first).
fn grid_shape(n: u32) -> (u32, u32) {
    let cols = (f64::from(n)).sqrt().ceil() as u32;
    (cols, n.div_ceil(cols))
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
        let (cols, rows) = grid_shape(n);
        let gap = GAP;
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

    /// `n` viewports as large as fit a `width`×`height` window beside the panel (at
    /// least [`MIN_VIEW`] pixels a side; the window grows if they do not fit).
    pub fn fit(n: usize, width: u32, height: u32) -> Self {
        let (cols, rows) = grid_shape(n.max(1) as u32);
        let view_w = (width.saturating_sub(PANEL_W + (cols - 1) * GAP) / cols).max(MIN_VIEW);
        let view_h = (height.saturating_sub((rows - 1) * GAP) / rows).max(MIN_VIEW);
        let mut l = Self::new(n, view_w, view_h);
        l.width = l.width.max(width);
        l.height = l.grid.1.max(height);
        l
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
        let fitted = Layout::fit(3, 201 + PANEL_W, 500);
        assert_eq!((fitted.width, fitted.height), (201 + PANEL_W, 500));
        assert_eq!(
            fitted.views[2],
            Rect {
                x: 0,
                y: 250,
                w: 100,
                h: 249
            }
        );
        let tiny = Layout::fit(1, 10, 10);
        assert_eq!(tiny.views[0].w, MIN_VIEW);
        assert_eq!(tiny.width, MIN_VIEW + PANEL_W);
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
