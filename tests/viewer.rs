//! The bevy viewer (`rewardsmith view`), run in a virtual X server: screenshots line
//! up with the CPU frames renderer, a broken reward program is shown and the run goes
//! on, a comparison draws one viewport per run, and the inspector shows a picked body.
//!
//! Each test starts its own `Xvfb` (from the `xvfb` package; `.ci/run` installs it with
//! Mesa's software Vulkan driver) on a display number Xvfb picks itself, and stops it
//! at the end.
#![cfg(feature = "viewer")]

mod common;

use assert_cmd::Command;
use common::repo_roots;
use rewardsmith::env::Env;
use rewardsmith::render::{Frame, Renderer};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Stdio};

use bevy::math::{Vec2, Vec3};
use bevy::transform::components::Transform;
use rewardsmith::render::scene::collider_pose;
use rewardsmith::viewer::camera::ViewCamera;
use rewardsmith::viewer::layout::{MIN_H, PANEL_PAD, PANEL_W};
use rewardsmith::viewer::pick::{PickRay, pick_body, viewport_ray};

/// A running Xvfb, killed on drop.
struct Xvfb {
    child: Child,
    display: String,
    runtime: tempfile::TempDir,
}

impl Xvfb {
    fn start() -> Self {
        let mut child = std::process::Command::new("Xvfb")
            .args([
                "-displayfd",
                "1",
                "-screen",
                "0",
                "1600x1200x24",
                "-nolisten",
                "tcp",
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("Xvfb runs (apt-get install xvfb mesa-vulkan-drivers libvulkan1)");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("piped stdout"))
            .read_line(&mut line)
            .expect("Xvfb prints its display number");
        let n: u32 = line.trim().parse().expect("a display number");
        let runtime = tempfile::tempdir().expect("tempdir");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(runtime.path(), std::fs::Permissions::from_mode(0o700))
                .expect("chmod");
        }
        Self {
            child,
            display: format!(":{n}"),
            runtime,
        }
    }

    /// `rewardsmith` on this display.
    fn rewardsmith(&self) -> Command {
        let mut cmd = Command::cargo_bin("rewardsmith").expect("binary is built");
        cmd.env("DISPLAY", &self.display)
            .env("XDG_RUNTIME_DIR", self.runtime.path())
            .env_remove("WAYLAND_DISPLAY")
            .timeout(std::time::Duration::from_secs(120));
        cmd
    }
}

impl Drop for Xvfb {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The CPU renderer's frame of cartpole after `steps` zero actions from `seed`
/// (episodes that end reset, as the viewer does).
fn cpu_frame(seed: u64, steps: u32) -> (Frame, [f64; 3]) {
    let mut env = Env::load("cartpole", &repo_roots()).expect("cartpole");
    env.reset(Some(seed)).expect("reset");
    let dim = env.compiled().action_space.dim();
    for _ in 0..steps {
        let (_, f) = env.step(&vec![0.0; dim]).expect("step");
        if f.terminated || f.truncated {
            env.reset(None).expect("reset");
        }
    }
    let pole = env.world().layout().body_index("pole").expect("a pole");
    let color = env.world().body_colors()[pole];
    (
        Renderer::for_env(&env)
            .expect("renderer")
            .render(env.world()),
        color,
    )
}

/// Whether pixel `p` is body colour `c` under some brightness in the renderers'
/// range (ambient 0.35 to full light).
fn is_shade_of(p: &[u8], c: [f64; 3]) -> bool {
    let p: Vec<f64> = p.iter().map(|&v| f64::from(v) / 255.0).collect();
    let k = (p[0] * c[0] + p[1] * c[1] + p[2] * c[2]) / (c[0] * c[0] + c[1] * c[1] + c[2] * c[2]);
    let resid = (0..3).map(|i| (p[i] - k * c[i]).abs()).fold(0.0, f64::max);
    (0.3..=1.02).contains(&k) && resid < 0.03
}

fn crop(img: &image::RgbImage, x: u32, y: u32, w: u32, h: u32) -> Frame {
    image::imageops::crop_imm(img, x, y, w, h).to_image()
}

fn mean_abs_diff(a: &Frame, b: &Frame) -> f64 {
    assert_eq!(a.dimensions(), b.dimensions());
    let sum: u64 = a
        .as_raw()
        .iter()
        .zip(b.as_raw())
        .map(|(&x, &y)| u64::from(x.abs_diff(y)))
        .sum();
    sum as f64 / a.as_raw().len() as f64
}

/// Pixels of the pole in the CPU frame, and the fraction of them that show the pole's
/// colour in `shot`.
fn pole_agreement(cpu: &Frame, shot: &Frame, pole: [f64; 3]) -> (usize, f64) {
    let mask: Vec<(u32, u32)> = cpu
        .enumerate_pixels()
        .filter(|(_, _, p)| is_shade_of(&p.0, pole))
        .map(|(x, y, _)| (x, y))
        .collect();
    let hit = mask
        .iter()
        .filter(|&&(x, y)| is_shade_of(&shot.get_pixel(x, y).0, pole))
        .count();
    (mask.len(), hit as f64 / mask.len().max(1) as f64)
}

fn load(path: &Path) -> image::RgbImage {
    image::open(path).expect("a PNG").to_rgb8()
}

/// The screenshot's viewport is the env camera's image: the pole where the CPU
/// renderer puts it, and the whole frame close to the CPU frame.
#[test]
fn screenshot_lines_up_with_the_cpu_renderer() {
    let x = Xvfb::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("out.png");
    x.rewardsmith()
        .args([
            "view", "--env", "cartpole", "--policy", "zero", "--frames", "30",
        ])
        .arg("--screenshot")
        .arg(&out)
        .assert()
        .success();
    let shot = load(&out);
    let (cpu, pole) = cpu_frame(0, 30);
    let (w, h) = cpu.dimensions();
    assert_eq!(shot.dimensions(), (w + PANEL_W, h.max(MIN_H)));
    let view = crop(&shot, 0, 0, w, h);
    let (n, agree) = pole_agreement(&cpu, &view, pole);
    assert!(n > 100, "the CPU frame shows the pole ({n} pixels)");
    assert!(agree > 0.9, "pole pixels agree: {agree:.3} of {n}");
    // Same scene, camera and shading: differences are edge pixels (rasterization
    // rules), the sky gradient (per pixel on the GPU, per row on the CPU, interpolated
    // between rings) and rounding. Measured 0.45 levels of 255 on average (at most 4
    // on any pixel) with lavapipe; the same image shifted by one pixel gives 1.5
    // (sideways) to 2.5 (vertically), from the checker's and the bodies' edges.
    let mad = mean_abs_diff(&cpu, &view);
    assert!(mad < 1.0, "mean absolute difference {mad:.2} levels");
}

/// A program that fails to compile is reported (stderr and the overlay's error line)
/// and the session runs its frames to the end.
#[test]
fn broken_reward_is_shown_and_the_session_goes_on() {
    let x = Xvfb::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let bad = dir.path().join("broken.luau");
    std::fs::write(
        &bad,
        "function reward(s)\n  return s.body('pole').pos.z +\nend\n",
    )
    .expect("write");
    let out = dir.path().join("out.png");
    let assert = x
        .rewardsmith()
        .args([
            "view", "--env", "cartpole", "--policy", "random", "--frames", "10",
        ])
        .arg("--reward")
        .arg(&bad)
        .arg("--screenshot")
        .arg(&out)
        .assert()
        .success();
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
    assert!(
        stderr.contains("reward program error") && stderr.contains("broken.luau"),
        "{stderr}"
    );
    let shot = load(&out);
    let (w, _) = cpu_frame(0, 0).0.dimensions();
    // The overlay's error text is red: some of its pixels are in the panel.
    let red = crop(&shot, w, 0, PANEL_W, shot.height())
        .pixels()
        .filter(|p| p[0] > 180 && p[1] < 140 && p[2] < 130)
        .count();
    assert!(red > 20, "error text in the overlay ({red} red pixels)");
}

/// Two runs side by side: two viewports, each showing its own cartpole.
#[test]
fn compare_draws_one_viewport_per_run() {
    let x = Xvfb::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let round = dir.path().join("round_0");
    for k in 0..2 {
        let run = round.join(format!("sample_{k}")).join("run");
        x.rewardsmith()
            .args(["train", "--env", "cartpole", "--steps", "1024", "--seed"])
            .arg(k.to_string())
            .arg("--out")
            .arg(&run)
            .assert()
            .success();
    }
    let out = dir.path().join("out.png");
    x.rewardsmith()
        .args(["view", "--frames", "5", "--compare"])
        .arg(&round)
        .arg("--screenshot")
        .arg(&out)
        .assert()
        .success();
    let shot = load(&out);
    let (cpu, pole) = cpu_frame(0, 0);
    let (w, h) = cpu.dimensions();
    assert_eq!(
        shot.dimensions(),
        (2 * w + 1 + PANEL_W, h.max(MIN_H)),
        "two viewports side by side, then the panel"
    );
    for (i, x0) in [0, w + 1].into_iter().enumerate() {
        let view = crop(&shot, x0, 0, w, h);
        let poles = view.pixels().filter(|p| is_shade_of(&p.0, pole)).count();
        assert!(poles > 100, "viewport {i} shows a pole ({poles} pixels)");
        // the sky's top row
        let top = view.get_pixel(w / 2, 0);
        let sky = cpu.get_pixel(w / 2, 0);
        assert!(
            top.0.iter().zip(sky.0).all(|(a, b)| a.abs_diff(b) <= 6),
            "viewport {i} has the sky at the top: {top:?} vs {sky:?}"
        );
    }
    // No ranking was given: nothing is written.
    assert!(!round.join("ranking.json").exists());
}

/// Without a display the viewer says to run under Xvfb, and fails without a backtrace.
#[test]
fn without_a_display_it_says_how_to_get_one() {
    let dir = tempfile::tempdir().expect("tempdir");
    let assert = Command::cargo_bin("rewardsmith")
        .expect("binary is built")
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .args(["view", "--env", "cartpole", "--frames", "1", "--screenshot"])
        .arg(dir.path().join("out.png"))
        .assert()
        .failure();
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
    assert!(stderr.contains("Xvfb"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

/// Without a Vulkan driver it names the package to install, without a backtrace.
#[test]
fn without_vulkan_it_says_what_to_install() {
    let x = Xvfb::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let assert = x
        .rewardsmith()
        .env("VK_ICD_FILENAMES", "/nonexistent/icd.json")
        .env("VK_DRIVER_FILES", "/nonexistent/icd.json")
        .args(["view", "--env", "cartpole", "--frames", "1", "--screenshot"])
        .arg(dir.path().join("out.png"))
        .assert()
        .failure();
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
    assert!(stderr.contains("mesa-vulkan-drivers"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn clip_goal_adds_a_clip_component_beside_the_program() {
    let x = Xvfb::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let out = dir.path().join("out.png");
    let assert = x
        .rewardsmith()
        .env("REWARDSMITH_CACHE", dir.path().join("cache"))
        .args(["view", "--env"])
        .arg(fixtures.join("envs/cart-slide.toml"))
        .args(["--policy", "zero", "--frames", "5"])
        .args(["--clip-goal", "a blue block on the left"])
        .args([
            "--clip-baseline",
            "a blue block on the right",
            "--clip-alpha",
            "1",
        ])
        .arg("--clip-model")
        .arg(fixtures.join("clip-tiny"))
        .arg("--screenshot")
        .arg(&out)
        .assert()
        .success();
    let stdout = String::from_utf8_lossy(&assert.get_output().stdout).into_owned();
    // cartpole's own reward (alive 1) plus the CLIP score of a centred cart (~0.87)
    let line = stdout.lines().next().unwrap_or_default();
    assert!(
        line.contains("step 5") && line.contains("alive 1.0000"),
        "{stdout}"
    );
    let clip: f64 = line
        .split("clip ")
        .nth(1)
        .and_then(|t| t.split([',', ')']).next())
        .and_then(|t| t.trim().parse().ok())
        .unwrap_or_else(|| panic!("no clip component in {stdout}"));
    assert!((0.8..0.95).contains(&clip), "{stdout}");
    assert!(out.is_file());
}

/// The viewer's env camera of `env`: its pose, vertical field of view (radians) and
/// image size.
fn env_camera(env: &Env) -> (Transform, f32, Vec2) {
    let world = env.world();
    let spec = &env.compiled().spec.camera;
    let track = spec
        .track
        .as_ref()
        .and_then(|t| world.layout().body_index(t));
    let pose = ViewCamera::new(0, spec, track, world).orbit.transform();
    let fov = (spec.fov_deg as f32).to_radians();
    (pose, fov, Vec2::new(spec.width as f32, spec.height as f32))
}

/// Where the env camera of `env` sees the centre of `body`'s first collider: the
/// body's index, the point in the image, and the ray the viewer casts through it.
fn ray_through(env: &Env, body: &str) -> (usize, Vec2, PickRay) {
    let world = env.world();
    let index = world.layout().body_index(body).expect("the body");
    let collider = world.physics().bodies[world.body_handle(index)].colliders()[0];
    let c = collider_pose(world, collider).expect("a pose").translation;
    let (pose, fov, size) = env_camera(env);
    // Into the camera's frame (x right, y up, looking down -z), then onto the image.
    let p = pose
        .compute_affine()
        .inverse()
        .transform_point3(Vec3::new(c.x, c.y, c.z));
    let half = (fov * 0.5).tan();
    let ndc = Vec2::new(p.x / (-p.z * half * size.x / size.y), p.y / (-p.z * half));
    let point = Vec2::new((ndc.x + 1.0) * 0.5 * size.x, (1.0 - ndc.y) * 0.5 * size.y);
    (index, point, viewport_ray(&pose, fov, size, point))
}

/// A click on a body's projected centre picks that body (the pole, where the CPU
/// renderer draws it; the goal marker and the cube that a reset has just placed,
/// before any physics step moved their colliders); a click on the sky picks nothing.
#[test]
fn a_click_on_a_body_picks_it_and_the_sky_picks_nothing() {
    let mut env = Env::load("cartpole", &repo_roots()).expect("cartpole");
    env.reset(Some(0)).expect("reset");
    let (pole, point, ray) = ray_through(&env, "pole");
    assert_eq!(pick_body(env.world(), ray), Some(pole));
    let (cpu, color) = cpu_frame(0, 0);
    let pixel = cpu.get_pixel(point.x as u32, point.y as u32);
    assert!(
        is_shade_of(&pixel.0, color),
        "the CPU frame has the pole at {point}"
    );
    let (pose, fov, size) = env_camera(&env);
    let sky = viewport_ray(&pose, fov, size, Vec2::new(size.x / 2.0, 1.0));
    assert!(sky.dir.z > 0.0, "the top row looks up");
    assert_eq!(pick_body(env.world(), sky), None);

    let mut env = Env::load("arm-push", &repo_roots()).expect("arm-push");
    env.reset(Some(3)).expect("reset");
    for body in ["goal", "cube"] {
        let (index, point, ray) = ray_through(&env, body);
        assert_eq!(
            pick_body(env.world(), ray),
            Some(index),
            "{body} at {point}"
        );
    }
}

/// `--inspect pole` writes the pole's State fields and its joint's into the panel:
/// the screenshot differs from one without it there, and only there.
#[test]
fn inspect_draws_the_body_and_joint_fields_in_the_panel() {
    let x = Xvfb::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let shot = |inspect: Option<&str>| {
        let out = dir
            .path()
            .join(format!("{}.png", inspect.unwrap_or("none")));
        let mut cmd = x.rewardsmith();
        cmd.args([
            "view", "--env", "cartpole", "--policy", "zero", "--frames", "10",
        ])
        .arg("--screenshot")
        .arg(&out);
        if let Some(body) = inspect {
            cmd.args(["--inspect", body]);
        }
        cmd.assert().success();
        load(&out)
    };
    let plain = shot(None);
    let inspected = shot(Some("pole"));
    let (w, h) = cpu_frame(0, 0).0.dimensions();
    let views = mean_abs_diff(&crop(&plain, 0, 0, w, h), &crop(&inspected, 0, 0, w, h));
    assert!(views < 0.01, "the viewports are the same ({views:.3})");
    let panel = |img: &image::RgbImage| crop(img, w, 0, PANEL_W, img.height());
    let (a, b) = (panel(&plain), panel(&inspected));
    let changed = a.pixels().zip(b.pixels()).filter(|(p, q)| p != q).count();
    assert!(
        changed > 1000,
        "the inspector's text ({changed} pixels changed)"
    );
}

/// With a leg inspected on the ant (its fields and its hip's, the ant's three
/// reward components, the plot) the keys still fit: nothing is cut off at the
/// panel's bottom edge.
#[test]
fn inspector_and_keys_fit_the_panel() {
    let x = Xvfb::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("ant.png");
    x.rewardsmith()
        .args(["view", "--env", "ant", "--policy", "zero", "--frames", "5"])
        .args(["--inspect", "thigh_1", "--screenshot"])
        .arg(&out)
        .assert()
        .success();
    let shot = load(&out);
    let x0 = shot.width() - PANEL_W;
    let background = *shot.get_pixel(shot.width() - 2, shot.height() - 2);
    let edge = crop(&shot, x0, shot.height() - PANEL_PAD, PANEL_W, PANEL_PAD);
    let text = edge.pixels().filter(|p| **p != background).count();
    assert_eq!(text, 0, "text cut off at the panel's bottom edge");
}

/// An unknown `--inspect` body fails before any window opens, listing the bodies.
#[test]
fn inspect_an_unknown_body_lists_the_bodies() {
    let dir = tempfile::tempdir().expect("tempdir");
    let assert = Command::cargo_bin("rewardsmith")
        .expect("binary is built")
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .args(["view", "--env", "cartpole", "--inspect", "nosuch"])
        .args(["--frames", "1", "--screenshot"])
        .arg(dir.path().join("out.png"))
        .assert()
        .failure();
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
    assert!(
        stderr.contains("--inspect nosuch") && stderr.contains("cart, pole"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("Xvfb"),
        "checked before the display: {stderr}"
    );
}

/// `--mpc`: the controller drives the fingertip to the target on a program with a
/// parameter from the command line, and the overlay's components are the program's.
#[test]
fn mpc_acts_on_the_program_and_its_parameters() {
    let x = Xvfb::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let program = dir.path().join("reach.luau");
    std::fs::write(
        &program,
        "params = { w = 1.0 }\nfunction reward(s)\n  return { reach = s.param.w * l2_distance('fingertip', s.task.target) }\nend\n",
    )
    .expect("write");
    let out = dir.path().join("out.png");
    let assert = x
        .rewardsmith()
        .args([
            "view",
            "--env",
            "reacher",
            "--mpc",
            "--param",
            "w=2",
            "--program",
        ])
        .arg(&program)
        .args(["--frames", "45", "--screenshot"])
        .arg(&out)
        .assert()
        .success();
    let stdout = String::from_utf8_lossy(&assert.get_output().stdout).into_owned();
    let line = stdout.lines().next().unwrap_or_default();
    let reach: f64 = line
        .split("reach ")
        .nth(1)
        .and_then(|t| t.split([',', ')']).next())
        .and_then(|t| t.trim().parse().ok())
        .unwrap_or_else(|| panic!("no reach component in {stdout}"));
    // w = 2 times a closeness above 0.5: the fingertip within ~5 cm of the target.
    assert!((1.0..=2.0).contains(&reach), "{stdout}");
    assert!(out.is_file());
}
