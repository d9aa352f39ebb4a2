//! The overlay panel: episode statistics, the reward and its components, the reward
//! program's error, the live plot, the body/joint inspector and the keys, one section
//! under the other; in a comparison, a label per viewport.

use std::fmt::Write;

use bevy::asset::RenderAssetUsages;
use bevy::prelude::*;
use bevy::render::render_resource::{Extent3d, TextureDimension, TextureFormat};

use super::ViewerSet;
use super::camera::ViewCamera;
use super::inspect::{self, Inspected};
use super::keys::{HELP, HELP_COMPARE, HELP_PICK};
use super::layout::{FONT_SIZE, PANEL_PAD, PANEL_W, PLOT_H, PLOT_MARGIN, ROWS, SECTION_GAP};
use super::plot;
use super::resources::{Comparing, Playback, Sims, Views};

/// The side panel: episode figures, reward components, plots, inspection and help.
pub(crate) struct OverlayPlugin;

impl Plugin for OverlayPlugin {
    fn build(&self, app: &mut App) {
        app.add_systems(Startup, setup)
            .add_systems(Update, update.in_set(ViewerSet::Draw));
    }
}

/// Plot width in pixels.
const PLOT_W: u32 = PANEL_W - 2 * PANEL_PAD;
const PANEL_BG: Color = Color::srgb(0.09, 0.10, 0.12);
const TEXT: Color = Color::srgb(0.88, 0.89, 0.91);
const ERROR: Color = Color::srgb(1.0, 0.42, 0.38);
const DIM: Color = Color::srgb(0.55, 0.57, 0.60);
const INSPECT: Color = Color::srgb(0.62, 0.84, 1.0);

/// What the overlay shows besides the sims' own numbers.
#[derive(Resource, Debug)]
pub(crate) struct OverlayState {
    /// Show the keys.
    pub help: bool,
    /// A one-line message (reset seed, ranking problems).
    pub note: Option<String>,
    /// The plot image.
    plot: Handle<Image>,
    /// History length and episode the plot was drawn for.
    drawn: Option<(usize, u64, u64)>,
}

#[derive(Component)]
pub(crate) struct Header;
#[derive(Component)]
pub(crate) struct Row(usize);
#[derive(Component)]
pub(crate) struct ErrorText;
#[derive(Component)]
pub(crate) struct InspectText;
#[derive(Component)]
pub(crate) struct HelpText;
#[derive(Component)]
pub(crate) struct ViewLabel(usize);

fn font() -> TextFont {
    TextFont {
        font_size: bevy::text::FontSize::Px(FONT_SIZE),
        ..default()
    }
}

/// An empty text of the panel in `color`. Sections never shrink: were the panel too
/// short, the keys at the bottom would be clipped rather than drawn over the others.
fn text(color: Color) -> impl Bundle {
    (
        Text::new(""),
        font(),
        TextColor(color),
        Node {
            flex_shrink: 0.0,
            ..default()
        },
    )
}

fn rgb(c: [u8; 3]) -> Color {
    Color::srgb_u8(c[0], c[1], c[2])
}

/// Spawn the UI camera (drawing over every viewport, clearing nothing), the panel
/// and the viewport labels.
fn setup(
    mut commands: Commands,
    views: Res<Views>,
    comparing: Res<Comparing>,
    mut images: ResMut<Assets<Image>>,
) {
    let image = Image::new_fill(
        Extent3d {
            width: PLOT_W,
            height: PLOT_H,
            depth_or_array_layers: 1,
        },
        TextureDimension::D2,
        &[0, 0, 0, 255],
        TextureFormat::Rgba8UnormSrgb,
        RenderAssetUsages::default(),
    );
    let plot = images.add(image);
    commands.insert_resource(OverlayState {
        help: true,
        note: None,
        plot: plot.clone(),
        drawn: None,
    });
    commands.spawn((
        Camera2d,
        Camera {
            order: 1000,
            clear_color: ClearColorConfig::None,
            ..default()
        },
        bevy::core_pipeline::tonemapping::Tonemapping::None,
        bevy::core_pipeline::tonemapping::DebandDither::Disabled,
        bevy::render::view::Msaa::Off,
        IsDefaultUiCamera,
    ));
    let l = &views.0;
    // Below the viewport grid, when the window is taller than it.
    if l.height > l.grid.1 {
        commands.spawn((
            Node {
                position_type: PositionType::Absolute,
                left: Val::Px(0.0),
                top: Val::Px(l.grid.1 as f32),
                width: Val::Px(l.grid.0 as f32),
                height: Val::Px((l.height - l.grid.1) as f32),
                ..default()
            },
            BackgroundColor(PANEL_BG),
        ));
    }
    commands
        .spawn((
            Node {
                position_type: PositionType::Absolute,
                left: Val::Px(l.grid.0 as f32),
                top: Val::Px(0.0),
                width: Val::Px(l.width.saturating_sub(l.grid.0) as f32),
                height: Val::Px(l.height as f32),
                flex_direction: FlexDirection::Column,
                padding: UiRect::all(Val::Px(PANEL_PAD as f32)),
                overflow: Overflow::clip(),
                ..default()
            },
            BackgroundColor(PANEL_BG),
        ))
        .with_children(|panel| {
            panel.spawn((text(TEXT), Header));
            for k in 0..ROWS {
                panel.spawn((text(rgb(plot::color(k))), Row(k)));
            }
            panel.spawn((text(ERROR), ErrorText));
            panel.spawn((
                ImageNode::new(plot),
                Node {
                    width: Val::Px(PLOT_W as f32),
                    height: Val::Px(PLOT_H as f32),
                    margin: UiRect::vertical(Val::Px(PLOT_MARGIN as f32)),
                    flex_shrink: 0.0,
                    ..default()
                },
            ));
            panel.spawn((text(INSPECT), InspectText));
            // The keys sit at the bottom, whatever the sections above take.
            panel.spawn(Node {
                flex_grow: 1.0,
                min_height: Val::Px(SECTION_GAP as f32),
                ..default()
            });
            panel.spawn((text(DIM), HelpText));
        });
    if comparing.set.is_some() {
        for (i, r) in l.views.iter().enumerate() {
            commands.spawn((
                Text::new(""),
                font(),
                TextColor(Color::BLACK),
                BackgroundColor(Color::srgba(1.0, 1.0, 1.0, 0.75)),
                Node {
                    position_type: PositionType::Absolute,
                    left: Val::Px(r.x as f32 + 4.0),
                    top: Val::Px(r.y as f32 + 4.0),
                    padding: UiRect::horizontal(Val::Px(3.0)),
                    ..default()
                },
                ViewLabel(i),
            ));
        }
    }
}

fn yes_no(b: Option<bool>) -> &'static str {
    match b {
        Some(true) => "yes",
        Some(false) => "no",
        None => "-",
    }
}

/// Refresh the texts and, when the history grew, the plot.
#[allow(clippy::too_many_arguments, clippy::type_complexity)]
fn update(
    sims: Res<Sims>,
    playback: Res<Playback>,
    comparing: Res<Comparing>,
    inspected: Res<Inspected>,
    mut state: ResMut<OverlayState>,
    cameras: Query<&ViewCamera>,
    mut texts: ParamSet<(
        Query<&mut Text, With<Header>>,
        Query<(&mut Text, &mut Node, &Row)>,
        Query<&mut Text, With<ErrorText>>,
        Query<&mut Text, With<HelpText>>,
        Query<(&mut Text, &ViewLabel)>,
        Query<(&mut Text, &mut TextColor), With<InspectText>>,
    )>,
    mut images: ResMut<Assets<Image>>,
    mut pixels: Local<Vec<u8>>,
) {
    let Some(first) = sims.list.first() else {
        return;
    };
    let compare = comparing.set.is_some();
    let st = first.stats();
    let mut head = String::new();
    let env_name = &first.env().compiled().spec.name;
    let status = if playback.fixed_left.is_some() {
        "capturing"
    } else if playback.paused {
        "paused"
    } else {
        "playing"
    };
    let _ = writeln!(head, "{env_name}   {status}   speed x{}", playback.speed);
    let _ = writeln!(head, "episode {}   step {}", st.episode, st.step);
    if !compare {
        let prev = st
            .prev_return
            .map_or(String::new(), |r| format!("   (last {r:.2})"));
        let _ = writeln!(head, "return {:.3}{prev}", st.ret);
        let _ = writeln!(
            head,
            "success {}   (this episode: {})",
            yes_no(st.success),
            if st.any_success { "yes" } else { "no" }
        );
        let _ = write!(head, "reward program {}", first.reward_path().display());
    } else {
        let _ = write!(head, "runs (return / success), ranked by click or digit:");
    }
    if let Some(cam) = cameras.iter().find(|c| c.sim == 0) {
        let bodies = &first.env().world().layout().bodies;
        let follow = cam
            .follow
            .and_then(|f| bodies.get(f.body))
            .map_or("none", String::as_str);
        let _ = write!(head, "\nfollowing {follow}");
    }
    if let Some(note) = &state.note {
        let _ = write!(head, "\n{note}");
    }
    for mut t in &mut texts.p0() {
        t.0.clone_from(&head);
    }
    // Rows: total + components, or one per compared run.
    let rows: Vec<String> = if compare {
        sims.list
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let rank = comparing
                    .ranking
                    .rank_of(i)
                    .map_or(String::new(), |r| format!("  rank {r}"));
                format!(
                    "[{}] {}  {:.2} / {}{rank}",
                    i + 1,
                    s.label(),
                    s.stats().ret,
                    yes_no(s.stats().success)
                )
            })
            .collect()
    } else {
        std::iter::once(format!("total       {:>10.4}", st.last.total))
            .chain(
                st.last
                    .components
                    .iter()
                    .map(|(n, v)| format!("  {n:<10.10}{v:>10.4}")),
            )
            .collect()
    };
    for (mut t, mut node, row) in &mut texts.p1() {
        let s = rows.get(row.0).cloned().unwrap_or_default();
        let display = if s.is_empty() {
            Display::None
        } else {
            Display::Flex
        };
        if node.display != display {
            node.display = display;
        }
        if t.0 != s {
            t.0 = s;
        }
    }
    let errors: Vec<String> = sims
        .list
        .iter()
        .filter_map(|s| {
            s.error().map(|e| {
                if compare {
                    format!("{}: {e}", s.label())
                } else {
                    e.to_string()
                }
            })
        })
        .collect();
    for mut t in &mut texts.p2() {
        t.0 = errors.join("\n");
    }
    let (inspector, color) = match inspected.0 {
        Some(body) => (
            inspect::fields(first.env().state(), body).unwrap_or_default(),
            INSPECT,
        ),
        None if compare => (String::new(), DIM),
        None => ("click a body to inspect its State fields".to_string(), DIM),
    };
    for (mut t, mut c) in &mut texts.p5() {
        if t.0 != inspector {
            t.0.clone_from(&inspector);
        }
        if c.0 != color {
            c.0 = color;
        }
    }
    let help = match (state.help, compare) {
        (false, _) => "H: show keys".to_string(),
        (true, false) => format!("{HELP}\n{HELP_PICK}"),
        (true, true) => format!("{HELP}\n{HELP_COMPARE}"),
    };
    for mut t in &mut texts.p3() {
        if t.0 != help {
            t.0.clone_from(&help);
        }
    }
    for (mut t, label) in &mut texts.p4() {
        if let Some(s) = sims.list.get(label.0) {
            let rank = comparing
                .ranking
                .rank_of(label.0)
                .map_or(String::new(), |r| format!("  #{r}"));
            t.0 = format!("{} {}{rank}", label.0 + 1, s.label());
        }
    }
    // The plot: redraw when the history changed.
    let key = (
        st.history.len(),
        st.episode,
        sims.list.iter().map(|s| s.stats().step).sum::<u64>(),
    );
    if state.drawn == Some(key) {
        return;
    }
    state.drawn = Some(key);
    let series: Vec<&[f64]> = if compare {
        sims.list
            .iter()
            .map(|s| s.stats().history.total.as_slice())
            .collect()
    } else {
        std::iter::once(st.history.total.as_slice())
            .chain(st.history.components.iter().map(|(_, v)| v.as_slice()))
            .take(ROWS)
            .collect()
    };
    plot::draw(&series, PLOT_W as usize, PLOT_H as usize, &mut pixels);
    if let Some(mut image) = images.get_mut(&state.plot) {
        image.data = Some(pixels.clone());
    }
}
