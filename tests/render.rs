//! Rendering: golden image, geometry (left is left, near hides far), clipping,
//! sizes, tracking, batches, and the `frames` command.
//!
//! The golden images `tests/golden/<env>_<size>.png` are regenerated with
//! `UPDATE_GOLDEN=1 cargo test --release --test render`; look at it before committing.
//! Preview PNGs of every built-in env (`assets/previews/<env>.png`) are regenerated
//! with `cargo test --release --test render -- --ignored write_previews`.

mod common;

use common::{pendulum_spec, pendulum_urdf, repo_roots, roots_in, write};
use rewardsmith::env::{Env, EnvSpec};
use rewardsmith::render::{Frame, Renderer, render_batch};
use std::path::{Path, PathBuf};

fn repo(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

fn cartpole() -> Env {
    let mut env = Env::load("cartpole", &repo_roots()).expect("cartpole loads");
    env.reset(Some(0)).expect("reset");
    env
}

/// An env of fixed objects (TOML `[[objects]]` tables) seen from y = -3 at z = 2,
/// looking along +y; `camera_extra` adds camera keys (e.g. `track`).
fn objects_env(objects: &str, camera_extra: &str) -> Env {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "bob.urdf", &pendulum_urdf(-1.0, 1.0));
    let text = pendulum_spec(0.02, 1, camera_extra) + "\n" + objects;
    let file = write(dir.path(), "scene.toml", &text);
    let spec = EnvSpec::from_file(&file).expect("spec parses");
    let mut env = Env::from_spec(spec, &file, &roots_in(dir.path())).expect("env builds");
    env.reset(Some(0)).expect("reset");
    env
}

fn object(name: &str, pos: [f64; 3], half: f64, color: [f64; 3]) -> String {
    format!(
        "[[objects]]\nname = \"{name}\"\nshape = {{ kind = \"box\", half_extents = [{half}, {half}, {half}] }}\n\
         pos = [{}, {}, {}]\ncolor = [{}, {}, {}]\n",
        pos[0], pos[1], pos[2], color[0], color[1], color[2]
    )
}

const RED: [f64; 3] = [1.0, 0.0, 0.0];
const BLUE: [f64; 3] = [0.0, 0.0, 1.0];

fn is_red(p: &[u8]) -> bool {
    p[0] as i32 > 2 * p[1] as i32 + 20 && p[0] as i32 > 2 * p[2] as i32 + 20
}

/// The cart's blue (0.2, 0.35, 0.8), told apart from the sky's blues.
fn is_cart(p: &[u8]) -> bool {
    p[2] as i32 > 3 * p[0] as i32 && 2 * (p[1] as i32) < p[2] as i32
}

fn is_blue(p: &[u8]) -> bool {
    p[2] as i32 > 2 * p[0] as i32 + 20 && p[2] as i32 > 2 * p[1] as i32 + 20
}

/// Centroid (x, y) and count of the pixels where `pick` holds.
fn centroid(f: &Frame, pick: fn(&[u8]) -> bool) -> (f64, f64, usize) {
    let (mut sx, mut sy, mut n) = (0.0, 0.0, 0usize);
    for (x, y, p) in f.enumerate_pixels() {
        if pick(&p.0) {
            sx += x as f64;
            sy += y as f64;
            n += 1;
        }
    }
    (sx / n.max(1) as f64, sy / n.max(1) as f64, n)
}

fn render(env: &Env) -> Frame {
    Renderer::for_env(env)
        .expect("renderer")
        .render(env.world())
}

/// Render `env` after `reset(Some(0))` at `size`² and compare it with
/// `tests/golden/<env>_<size>.png` (small per-pixel tolerance).
fn assert_matches_golden(env: &str, size: u32) {
    let mut e = Env::load(env, &repo_roots()).expect("env loads");
    e.reset(Some(0)).expect("reset");
    let frame = Renderer::for_env(&e)
        .expect("renderer")
        .with_size(size, size)
        .expect("size")
        .render(e.world());
    let path = repo(&format!("tests/golden/{env}_{size}.png"));
    if std::env::var_os("UPDATE_GOLDEN").is_some_and(|v| v == "1") {
        frame.save(&path).expect("write golden");
        eprintln!("wrote {}", path.display());
        return;
    }
    let golden = image::open(&path)
        .unwrap_or_else(|e| {
            panic!(
                "{}: {e}; run with UPDATE_GOLDEN=1 to create it",
                path.display()
            )
        })
        .into_rgb8();
    assert_eq!(golden.dimensions(), frame.dimensions());
    let diffs: Vec<u32> = golden
        .as_raw()
        .iter()
        .zip(frame.as_raw())
        .map(|(a, b)| (*a as i32 - *b as i32).unsigned_abs())
        .collect();
    let mean = diffs.iter().sum::<u32>() as f64 / diffs.len() as f64;
    let max = diffs.iter().copied().max().unwrap_or(0);
    assert!(
        mean < 2.0 && max < 40,
        "{env}: frame differs from the golden image: mean abs diff {mean:.2}, max {max}"
    );
}

#[test]
fn cartpole_matches_the_golden_image() {
    assert_matches_golden("cartpole", 64);
}

#[test]
fn reacher_matches_the_golden_image() {
    assert_matches_golden("reacher", 96);
}

#[test]
fn humanoid_matches_the_golden_image() {
    assert_matches_golden("humanoid", 96);
}

#[test]
fn cartpole_frame_shows_sky_floor_cart_and_pole() {
    let env = cartpole();
    let f = render(&env);
    let (w, h) = f.dimensions();
    assert_eq!((w, h), (224, 224));
    // Sky at the top: blue dominates and it deepens upwards.
    let top = f.get_pixel(5, 0).0;
    let lower = f.get_pixel(5, h / 3).0;
    assert!(
        top[2] > top[0] && top[0] < lower[0],
        "sky {top:?} {lower:?}"
    );
    // Floor at the bottom: greyish green, two checker shades in the bottom rows.
    let mut shades: Vec<[u8; 3]> = (0..w).map(|x| f.get_pixel(x, h - 3).0).collect();
    shades.sort();
    shades.dedup();
    assert!(shades.len() >= 2, "checker floor: {shades:?}");
    assert!(shades.iter().all(|p| p[1] >= p[0] && p[1] >= p[2]));
    // The blue cart and the orange pole above it, both near the centre column.
    let (cx, cy, n_cart) = centroid(&f, is_cart);
    assert!(n_cart > 50, "cart pixels {n_cart}");
    let orange = |p: &[u8]| p[0] > 150 && p[1] > 60 && p[1] < 150 && p[2] < 60;
    let (px, py, n_pole) = centroid(&f, orange);
    assert!(n_pole > 20, "pole pixels {n_pole}");
    assert!((cx - w as f64 / 2.0).abs() < 10.0 && (px - cx).abs() < 10.0);
    assert!(py < cy, "pole above the cart: {py} vs {cy}");
}

#[test]
fn a_body_moved_left_appears_left() {
    let right = objects_env(&object("cube", [0.5, 0.0, 2.0], 0.2, RED), "");
    let left = objects_env(&object("cube", [-0.5, 0.0, 2.0], 0.2, RED), "");
    let (xr, yr, nr) = centroid(&render(&right), is_red);
    let (xl, yl, nl) = centroid(&render(&left), is_red);
    assert!(nr > 100 && nl > 100, "red pixels {nr} {nl}");
    assert!(xl < 112.0 && xr > 112.0, "left {xl}, right {xr}");
    assert!(xr - xl > 30.0, "moved {}", xr - xl);
    assert!((yr - yl).abs() < 1.0);
    // The same through reset noise on a dynamic body: the frame follows the world.
    let noisy = objects_env(
        &(object("cube", [0.0, 0.0, 2.0], 0.2, RED)
            + "mass = 1.0\n\n[[reset.bodies]]\nbody = \"cube\"\npos = [0.6, 0.0, 0.0]\n"),
        "",
    );
    let mut env = noisy;
    let mut xs = Vec::new();
    for seed in 0..6 {
        env.reset(Some(seed)).expect("reset");
        let x_world = env.state().body("cube").expect("cube").pos[0];
        let (x_img, _, n) = centroid(&render(&env), is_red);
        assert!(n > 50);
        xs.push((x_world, x_img));
    }
    xs.sort_by(|a, b| a.0.total_cmp(&b.0));
    for w in xs.windows(2) {
        if w[1].0 - w[0].0 > 0.05 {
            assert!(w[1].1 > w[0].1, "image x follows world x: {xs:?}");
        }
    }
}

#[test]
fn a_near_box_hides_a_far_one_in_any_draw_order() {
    let near = object("near", [0.0, -1.0, 2.0], 0.2, BLUE);
    let far = object("far", [0.0, 1.0, 2.0], 0.6, RED);
    for objects in [format!("{near}\n{far}"), format!("{far}\n{near}")] {
        let f = render(&objects_env(&objects, ""));
        let c = f.get_pixel(112, 112).0;
        assert!(is_blue(&c), "centre pixel {c:?}");
        // The far box is bigger, so it shows around the near one.
        assert!(centroid(&f, is_red).2 > 100);
    }
}

#[test]
fn off_screen_and_behind_camera_bodies_and_the_eye_inside_a_box_do_not_crash() {
    let objects = [
        object("far_away", [100.0, 0.0, 2.0], 0.5, RED),
        object("behind", [0.0, -10.0, 2.0], 0.5, RED),
        object("around_eye", [0.0, -3.0, 2.0], 0.3, BLUE),
        object("through_near", [0.3, -2.9, 2.0], 0.2, RED),
        "[[objects]]\nname = \"ground\"\nshape = { kind = \"plane\" }\n".into(),
    ]
    .concat();
    let env = objects_env(&objects, "");
    let f = render(&env);
    assert_eq!(f.dimensions(), (224, 224));
    // Without the box around the eye: far away and behind are simply not seen.
    let env = objects_env(
        &[
            object("far_away", [100.0, 0.0, 2.0], 0.5, RED),
            object("behind", [0.0, -10.0, 2.0], 0.5, RED),
        ]
        .concat(),
        "",
    );
    assert_eq!(centroid(&render(&env), is_red).2, 0);
}

#[test]
fn tiny_and_large_frames_work() {
    let env = cartpole();
    let r = Renderer::for_env(&env).expect("renderer");
    let one = r.clone().with_size(1, 1).expect("1x1").render(env.world());
    assert_eq!(one.dimensions(), (1, 1));
    let big = r
        .clone()
        .with_size(1024, 1024)
        .expect("1024")
        .render(env.world());
    assert_eq!(big.dimensions(), (1024, 1024));
    assert!(centroid(&big, is_cart).2 > 1000);
    let wide = r
        .clone()
        .with_size(300, 7)
        .expect("300x7")
        .render(env.world());
    assert_eq!(wide.dimensions(), (300, 7));
    assert!(r.with_size(0, 10).is_err());
}

#[test]
fn a_tracking_camera_keeps_the_body_in_place() {
    let track = "track = \"cube\"\n";
    let a = objects_env(&object("cube", [0.5, 0.0, 2.0], 0.2, RED), track);
    let b = objects_env(&object("cube", [-1.5, 0.7, 2.0], 0.2, RED), track);
    let (xa, ya, na) = centroid(&render(&a), is_red);
    let (xb, yb, nb) = centroid(&render(&b), is_red);
    assert!(na > 100 && na == nb, "{na} {nb}");
    assert!((xa - xb).abs() < 0.5 && (ya - yb).abs() < 0.5);
}

#[test]
fn batch_renders_match_single_renders() {
    let mut envs: Vec<Env> = (0..5).map(|_| cartpole()).collect();
    for (i, e) in envs.iter_mut().enumerate() {
        e.reset(Some(i as u64)).expect("reset");
        for _ in 0..i {
            e.step(&[1.0]).expect("step");
        }
    }
    let r = Renderer::for_env(&envs[0]).expect("renderer");
    let worlds: Vec<_> = envs.iter().map(|e| e.world()).collect();
    let batch = render_batch(&r, &worlds);
    assert_eq!(batch.len(), 5);
    for (e, f) in envs.iter().zip(&batch) {
        assert_eq!(f, &r.render(e.world()));
    }
    assert_ne!(batch[0], batch[4]);
}

#[test]
fn frames_command_writes_pngs_and_a_gif() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("frames");
    assert_cmd::Command::cargo_bin("rewardsmith")
        .expect("binary")
        .args(["frames", "--env", "cartpole", "--steps", "4", "--seed", "3"])
        .args([
            "--width", "48", "--height", "32", "--policy", "zero", "--out",
        ])
        .arg(&out)
        .assert()
        .success();
    for i in 0..5 {
        let png = out.join(format!("frame_{i:05}.png"));
        let img = image::open(&png).expect("png").into_rgb8();
        assert_eq!(img.dimensions(), (48, 32));
    }
    assert!(!out.join("frame_00005.png").exists());
    let gif = std::fs::read(out.join("rollout.gif")).expect("gif");
    assert!(gif.starts_with(b"GIF89a"));
    let decoder =
        image::codecs::gif::GifDecoder::new(std::io::Cursor::new(gif)).expect("gif decodes");
    use image::AnimationDecoder;
    assert_eq!(decoder.into_frames().count(), 5);
}

/// Regenerate `assets/previews/<env>.png` (224×224, after `reset(Some(0))`) for every
/// built-in env.
#[test]
#[ignore = "writes assets/previews; run with --ignored write_previews"]
fn write_previews() {
    let dir = repo("assets/previews");
    std::fs::create_dir_all(&dir).expect("previews dir");
    for entry in std::fs::read_dir(repo("envs")).expect("envs dir") {
        let path = entry.expect("entry").path();
        if path.extension().is_none_or(|e| e != "toml") {
            continue;
        }
        let name = path
            .file_stem()
            .expect("stem")
            .to_string_lossy()
            .to_string();
        let mut env = Env::load(&name, &repo_roots()).expect("env loads");
        env.reset(Some(0)).expect("reset");
        let f = Renderer::for_env(&env)
            .expect("renderer")
            .with_size(224, 224)
            .expect("size")
            .render(env.world());
        let out = dir.join(format!("{name}.png"));
        f.save(&out).expect("write preview");
        eprintln!("wrote {}", out.display());
    }
}

#[test]
fn mp4_export_needs_ffmpeg_and_says_so() {
    let env = cartpole();
    let r = Renderer::for_env(&env)
        .expect("renderer")
        .with_size(33, 17)
        .expect("size");
    let frames = vec![r.render(env.world()); 3];
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("out.mp4");
    match rewardsmith::render::write_mp4(&path, &frames, 25.0) {
        Ok(()) => assert!(std::fs::metadata(&path).expect("mp4").len() > 0),
        Err(e) => {
            assert!(!rewardsmith::render::video::ffmpeg_available(), "{e}");
            assert!(e.to_string().contains("ffmpeg not found"), "{e}");
        }
    }
    assert!(rewardsmith::render::write_gif(&path, &[], 25.0).is_err());
}

#[test]
fn a_state_renders_as_the_world_it_was_read_from() {
    // Every built-in env (tracking cameras, objects, free and fixed bases), after a few
    // random steps: drawing the bodies from the State's poses gives the world's image.
    for name in [
        "cartpole",
        "pendulum",
        "mountain-car",
        "reacher",
        "ant",
        "humanoid",
        "arm-push",
        "arm-lift",
    ] {
        let mut env = Env::load(name, &repo_roots()).expect("env loads");
        env.reset(Some(3)).expect("reset");
        for _ in 0..5 {
            let a = env.sample_action();
            env.step(&a).expect("step");
        }
        let r = Renderer::for_env(&env)
            .expect("renderer")
            .with_size(64, 64)
            .expect("size");
        let from_world = r.render(env.world());
        let from_state = r.render_state(env.state());
        let differ = from_world
            .pixels()
            .zip(from_state.pixels())
            .filter(|(a, b)| a.0.iter().zip(b.0).any(|(x, y)| x.abs_diff(y) > 2))
            .count();
        // f32 poses through f64 and back: at most a few edge pixels may flip
        assert!(differ <= 8, "{name}: {differ} of 4096 pixels differ");
    }
}
