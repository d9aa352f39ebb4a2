//! The CLIP reward end to end with the hand-weighted fixture model
//! (`tests/fixtures/clip-tiny`, written by `assets/models/fixture/make_fixture.py`), the
//! tokenizer, the error messages, and `models pull` against a local HTTP server.
//!
//! Needs ONNX Runtime: `ORT_DYLIB_PATH`, or `pip install onnxruntime` for `python3`.

use assert_cmd::Command;
use image::{Rgb, RgbImage};
use predicates::prelude::*;
use rewardsmith::reward::clip::registry::{self, Manifest, ManifestFile, Pulled};
use rewardsmith::reward::clip::tokenize::{CONTEXT, ClipTokenizer};
use rewardsmith::reward::clip::{
    ClipError, ClipModel, ClipReward, ClipRewardSpec, LoadOptions, Precision,
};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("fixtures")
        .join(name)
}

fn rewardsmith() -> Command {
    Command::cargo_bin("rewardsmith").expect("binary is built")
}

fn load(dir: &Path) -> Result<ClipModel, ClipError> {
    ClipModel::load(dir, LoadOptions::default())
}

/// A 120×120 grey frame with a 30×30 block of `colour` centred in third `third`
/// (0 left, 1 centre, 2 right); `None` draws no block.
fn block_frame(colour: Option<[u8; 3]>, third: u32) -> RgbImage {
    let mut img = RgbImage::from_pixel(120, 120, Rgb([128, 128, 128]));
    if let Some(c) = colour {
        let x0 = third * 40 + 5;
        for y in 45..75 {
            for x in x0..x0 + 30 {
                img.put_pixel(x, y, Rgb(c));
            }
        }
    }
    img
}

const RED: [u8; 3] = [220, 20, 20];
const GREEN: [u8; 3] = [20, 200, 20];
const BLUE: [u8; 3] = [20, 20, 220];

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let t = to.join(e.file_name());
        if e.path().is_dir() {
            copy_dir(&e.path(), &t);
        } else {
            std::fs::copy(e.path(), t).unwrap();
        }
    }
}

// ---- tokenizer -------------------------------------------------------------------

// Reference ids read off the fixture vocabulary (tokenizer.json "model.vocab"):
// a=8 red=0 block=11 on=15 the=10 left=3 .=40, <|startoftext|>=42, <|endoftext|>=43
// (also padding and unknown words).
#[test]
fn fixture_tokenizer_ids_match_the_vocab() {
    let file = fixture("clip-tiny").join("tokenizer.json");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    let vocab = &json["model"]["vocab"];
    let id = |w: &str| vocab[w].as_i64().unwrap();
    assert_eq!(
        [
            id("a"),
            id("red"),
            id("block"),
            id("on"),
            id("the"),
            id("left"),
            id(".")
        ],
        [8, 0, 11, 15, 10, 3, 40]
    );
    let t = ClipTokenizer::from_file(&file).unwrap();
    let ids = t.encode("A red block on the LEFT.", CONTEXT).unwrap();
    assert_eq!(ids.len(), CONTEXT);
    assert_eq!(ids[..9], [42, 8, 0, 11, 15, 10, 3, 40, 43]);
    assert!(
        ids[9..].iter().all(|&i| i == 43),
        "padded with <|endoftext|>"
    );
    // an unknown word is <|endoftext|> (CLIP's unk token)
    assert_eq!(t.encode("purple", 5).unwrap(), [42, 43, 43, 43, 43]);
    // truncation keeps the end token
    let ids = t.encode(&"red ".repeat(100), CONTEXT).unwrap();
    assert_eq!((ids[0], ids[1], ids[CONTEXT - 1]), (42, 0, 43));
}

/// A real CLIP `tokenizer.json` (byte-level BPE, the Hugging Face CLIP pipeline) read by
/// the `tokenizers` crate gives the same ids as OpenAI's BPE (`instant-clip-tokenizer`).
/// Needs a CLIP tokenizer.json, e.g. from a pulled model (none ships with the
/// repository: it is 3.6 MB): `CLIP_TOKENIZER_JSON=path cargo test --release --test clip
/// -- --ignored`.
#[test]
#[ignore = "needs CLIP_TOKENIZER_JSON=path to a CLIP tokenizer.json (rewardsmith models pull)"]
fn clip_tokenizer_json_matches_openai_bpe() {
    let file = std::env::var_os("CLIP_TOKENIZER_JSON").expect(
        "set CLIP_TOKENIZER_JSON to a CLIP tokenizer.json, e.g. from `rewardsmith models pull`",
    );
    let json = ClipTokenizer::from_file(Path::new(&file)).unwrap();
    let bpe = ClipTokenizer::openai();
    for text in [
        "a photo of a cat",
        "A robot arm pushes the RED cube to the left!",
        "the humanoid is doing  the splits, 2 legs apart; it's kneeling.",
        "naïve café — über-fast 123",
        &"long ".repeat(90),
    ] {
        let a = json.encode(text, CONTEXT).unwrap();
        let mut b = bpe.encode(text, CONTEXT).unwrap();
        // open_clip pads with 0, the Hugging Face tokenizer with <|endoftext|>
        let end = b.iter().position(|&i| i == 49407).unwrap();
        b[end + 1..].fill(49407);
        assert_eq!(a, b, "{text:?}");
    }
    assert_eq!(
        json.encode("a photo of a cat", CONTEXT).unwrap()[..7],
        [49406, 320, 1125, 539, 320, 2368, 49407]
    );
}

// ---- end to end with the fixture model --------------------------------------------

#[test]
fn fixture_model_loads_and_embeds() {
    let mut m = load(&fixture("clip-tiny")).unwrap();
    assert_eq!(m.dim(), 10);
    assert_eq!(m.preprocess().crop, (48, 48));
    // hand-computed: "red left" = colour (1,0,0) ⊗ position (1.3, .3, .3), then the 0.2 entry
    let t = m.embed_texts(&["red left".into()]).unwrap();
    let want = [1.3, 0.3, 0.3, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.2];
    for (a, b) in t[0].iter().zip(want) {
        assert!((a - b).abs() < 1e-6, "{:?}", t[0]);
    }
    // a pure red left third (R = 1, G = B = −1 after normalizing): (red, left) = 2,
    // (green, left) = (blue, left) = −1
    let img = RgbImage::from_fn(48, 48, |x, _| {
        if x < 16 {
            Rgb([255, 0, 0])
        } else {
            Rgb([128, 128, 128])
        }
    });
    let e = m.embed_images(&[&img]).unwrap();
    // grey has equal channels: opponent values 0 in the other thirds
    assert!((e[0][0] - 2.0).abs() < 1e-5, "{:?}", e[0]);
    assert!((e[0][3] + 1.0).abs() < 1e-5 && (e[0][6] + 1.0).abs() < 1e-5);
    assert!(e[0][1].abs() < 1e-5 && e[0][2].abs() < 1e-5);
}

#[test]
fn text_models_with_an_attention_mask_get_one_covering_the_end_token() {
    let mut plain = load(&fixture("clip-tiny")).unwrap();
    let mut masked = load(&fixture("clip-tiny-mask")).unwrap();
    let texts = vec!["a red block on the left".to_string(), "blue".to_string()];
    let a = plain.embed_texts(&texts).unwrap();
    let b = masked.embed_texts(&texts).unwrap();
    for (a, b) in a.iter().zip(&b) {
        assert_eq!(a[..9], b[..9]);
        // 0.2 from the start token + 0.1 from exactly one (the first) end token
        assert!((b[9] - 0.3).abs() < 1e-6, "{b:?}");
    }
}

fn reward(goal: &str, baseline: &[&str], alpha: f64) -> ClipReward {
    let spec = ClipRewardSpec {
        goal: vec![goal.into()],
        baseline: baseline.iter().map(|s| s.to_string()).collect(),
        alpha,
    };
    ClipReward::new(load(&fixture("clip-tiny")).unwrap(), &spec, None).unwrap()
}

#[test]
fn goal_frames_score_higher_than_other_frames() {
    let goal = block_frame(Some(RED), 0);
    let others = [
        block_frame(Some(RED), 2),
        block_frame(Some(RED), 1),
        block_frame(Some(BLUE), 0),
        block_frame(Some(GREEN), 0),
        block_frame(None, 0),
    ];
    for (baseline, alpha) in [
        (&[][..], 0.0),
        (&["a block"][..], 0.5),
        (&["a block"][..], 1.0),
    ] {
        let mut r = reward("a red block on the left", baseline, alpha);
        let mut frames = vec![&goal];
        frames.extend(others.iter());
        let s = r.score_frames(&frames).unwrap();
        for (i, &o) in s[1..].iter().enumerate() {
            assert!(
                s[0] > o + 1e-3,
                "alpha {alpha}: goal {} vs other #{i} {o}",
                s[0]
            );
        }
    }
    // another goal picks another frame
    let mut r = reward("the blue cube is on the right side", &["a cube"], 0.5);
    let s = r
        .score_frames(&[
            &block_frame(Some(BLUE), 2),
            &block_frame(Some(BLUE), 0),
            &block_frame(Some(RED), 2),
        ])
        .unwrap();
    assert!(s[0] > s[1] && s[0] > s[2], "{s:?}");
}

#[test]
fn batched_scores_equal_single_scores_on_rendered_frames() {
    use rewardsmith::env::{AssetRoots, Env};
    use rewardsmith::render::Renderer;
    let mut env = Env::load("reacher", &AssetRoots::discover()).unwrap();
    env.reset(Some(3)).unwrap();
    let renderer = Renderer::for_env(&env).unwrap();
    let mut frames = vec![renderer.render(env.world())];
    for _ in 0..5 {
        let a = env.sample_action();
        env.step(&a).unwrap();
        frames.push(renderer.render(env.world()));
    }
    let mut r = reward("a red ball on the left", &["a robot arm"], 0.5);
    let refs: Vec<&RgbImage> = frames.iter().collect();
    let batch = r.score_frames(&refs).unwrap();
    for (f, b) in frames.iter().zip(&batch) {
        let one = r.score_frames(&[f]).unwrap()[0];
        assert!(b.is_finite() && (one - b).abs() < 1e-6, "{one} vs {b}");
    }
}

#[test]
fn held_rewards_score_every_kth_step_from_rendered_worlds() {
    use rewardsmith::env::{AssetRoots, Env};
    use rewardsmith::render::Renderer;
    use rewardsmith::reward::clip::ClipTerm;
    let roots = AssetRoots::discover();
    let mut envs: Vec<Env> = (0..3)
        .map(|_| Env::load("reacher", &roots).unwrap())
        .collect();
    for (i, e) in envs.iter_mut().enumerate() {
        e.reset(Some(i as u64)).unwrap();
    }
    let renderer = Renderer::for_env(&envs[0]).unwrap();
    let mut r = reward("a red ball on the left", &["a robot arm"], 0.5);
    let term_reward = reward("a red ball on the left", &["a robot arm"], 0.5);
    let term_renderer = Renderer::for_env(&envs[0]).unwrap();
    // scored on its own thread, as training does
    let mut term = ClipTerm::new(term_reward, term_renderer, 3, 2, 1.0)
        .in_background()
        .unwrap();
    let mut rows = Vec::new();
    for step in 0..4 {
        let worlds: Vec<_> = envs.iter().map(|e| e.world()).collect();
        let states: Vec<_> = envs.iter().map(|e| e.state().clone()).collect();
        let fresh = r.score_worlds(&renderer, &worlds).unwrap();
        let got = term.step(&states, &[false; 3]).unwrap();
        if step % 2 == 0 {
            assert_eq!(got, fresh, "scored afresh at step {step}");
        } else {
            assert_eq!(&got, rows.last().unwrap(), "held at step {step}");
        }
        rows.push(got);
        for e in &mut envs {
            let a = e.sample_action();
            e.step(&a).unwrap();
        }
    }
}

#[test]
fn text_embeddings_are_cached_on_disk() {
    let cache = tempfile::tempdir().unwrap();
    let spec = ClipRewardSpec {
        goal: vec!["a red block on the left".into(), "red left".into()],
        baseline: vec!["a block".into()],
        alpha: 0.5,
    };
    let m = load(&fixture("clip-tiny")).unwrap();
    let r1 = ClipReward::new(m, &spec, Some(cache.path())).unwrap();
    let dir = cache.path().join("text-embeds");
    let n = std::fs::read_dir(&dir).unwrap().count();
    assert_eq!(n, 3);
    let m = load(&fixture("clip-tiny")).unwrap();
    let r2 = ClipReward::new(m, &spec, Some(cache.path())).unwrap();
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 3);
    let f = block_frame(Some(RED), 0);
    let (mut r1, mut r2) = (r1, r2);
    assert_eq!(
        r1.score_frames(&[&f]).unwrap(),
        r2.score_frames(&[&f]).unwrap()
    );
}

// ---- one clear error each ----------------------------------------------------------

fn err_of(dir: &Path) -> String {
    load(dir).expect_err("load must fail").to_string()
}

#[test]
fn missing_model_file_is_one_clear_error() {
    let tmp = tempfile::tempdir().unwrap();
    copy_dir(&fixture("clip-tiny"), tmp.path());
    std::fs::remove_file(tmp.path().join("onnx/text_model.onnx")).unwrap();
    let e = err_of(tmp.path());
    assert!(
        e.contains("onnx/text_model.onnx: missing") && e.contains("text encoder"),
        "{e}"
    );
    std::fs::remove_file(tmp.path().join("preprocessor_config.json")).unwrap();
    copy_dir(&fixture("clip-tiny").join("onnx"), &tmp.path().join("onnx"));
    let e = err_of(tmp.path());
    assert!(e.contains("preprocessor_config.json: missing"), "{e}");
    let e = err_of(&tmp.path().join("nope"));
    assert!(e.contains("nope: missing (the model directory)"), "{e}");
}

#[test]
fn wrong_input_names_is_one_clear_error() {
    let e = err_of(&fixture("clip-bad-input"));
    assert!(e.contains("vision_model.onnx"), "{e}");
    assert!(
        e.contains("no input named `pixel_values`") && e.contains("`pixels`"),
        "{e}"
    );
}

#[test]
fn wrong_embedding_size_is_one_clear_error() {
    let e = err_of(&fixture("clip-bad-dim"));
    assert!(e.contains("embedding sizes differ"), "{e}");
    assert!(
        e.contains("`image_embeds` of size 10") && e.contains("`text_embeds` of size 8"),
        "{e}"
    );
    assert!(e.contains("text_model.onnx"), "{e}");
}

#[test]
fn corrupt_model_file_is_one_clear_error() {
    let tmp = tempfile::tempdir().unwrap();
    copy_dir(&fixture("clip-tiny"), tmp.path());
    let f = tmp.path().join("onnx/vision_model.onnx");
    let bytes = std::fs::read(&f).unwrap();
    std::fs::write(&f, &bytes[..bytes.len() / 2]).unwrap(); // truncated
    let e = err_of(tmp.path());
    assert!(
        e.contains("vision_model.onnx: not a loadable ONNX model"),
        "{e}"
    );
    std::fs::write(&f, b"this is not a protobuf").unwrap();
    let e = err_of(tmp.path());
    assert!(
        e.contains("vision_model.onnx: not a loadable ONNX model"),
        "{e}"
    );
    // a broken preprocessor config names its file and key
    std::fs::write(
        tmp.path().join("preprocessor_config.json"),
        r#"{"size": 48}"#,
    )
    .unwrap();
    let e = err_of(tmp.path());
    assert!(
        e.contains("preprocessor_config.json: missing key `image_mean`"),
        "{e}"
    );
}

#[test]
fn missing_library_is_one_clear_error() {
    let frame = tempfile::tempdir().unwrap();
    let png = frame.path().join("f.png");
    block_frame(None, 0).save(&png).unwrap();
    let args = |c: &mut Command| {
        c.args(["reward", "clip", "--model"])
            .arg(fixture("clip-tiny"))
            .args(["--goal", "red"])
            .arg(&png);
    };
    // ORT_DYLIB_PATH naming a file that does not exist
    let mut c = rewardsmith();
    args(&mut c);
    c.env("ORT_DYLIB_PATH", "/nonexistent/libonnxruntime.so")
        .assert()
        .failure()
        .stderr(predicate::str::contains("ONNX Runtime not found"))
        .stderr(predicate::str::contains("/nonexistent/libonnxruntime.so"))
        .stderr(predicate::str::contains("pip install onnxruntime"));
    // no ORT_DYLIB_PATH and no python3 on PATH
    let empty = tempfile::tempdir().unwrap();
    let mut c = rewardsmith();
    args(&mut c);
    c.env_remove("ORT_DYLIB_PATH")
        .env("PATH", empty.path())
        .assert()
        .failure()
        .stderr(predicate::str::contains("ONNX Runtime not found"))
        .stderr(predicate::str::contains("python3"))
        .stderr(predicate::str::contains("pip install onnxruntime"));
    // a file that is not a shared library
    let mut c = rewardsmith();
    args(&mut c);
    c.env("ORT_DYLIB_PATH", &png)
        .assert()
        .failure()
        .stderr(predicate::str::contains("loading ONNX Runtime from"))
        .stderr(predicate::str::contains("f.png"));
}

// ---- CLI ---------------------------------------------------------------------------

fn parse_scores(out: &[u8]) -> Vec<(String, f64)> {
    String::from_utf8_lossy(out)
        .lines()
        .map(|l| {
            let (p, s) = l.rsplit_once(' ').expect("`path score`");
            (p.to_string(), s.parse().expect("a number"))
        })
        .collect()
}

#[test]
fn cli_reward_clip_scores_pngs_and_models_import_registers_a_name() {
    let tmp = tempfile::tempdir().unwrap();
    let cache = tmp.path().join("cache");
    let frames = [
        ("red-left.png", block_frame(Some(RED), 0)),
        ("red-right.png", block_frame(Some(RED), 2)),
        ("blue-left.png", block_frame(Some(BLUE), 0)),
    ];
    let mut paths = Vec::new();
    for (n, f) in &frames {
        let p = tmp.path().join(n);
        f.save(&p).unwrap();
        paths.push(p);
    }
    let out = rewardsmith()
        .env("REWARDSMITH_CACHE", &cache)
        .args(["reward", "clip", "--model"])
        .arg(fixture("clip-tiny"))
        .args(["--goal", "a red block on the left", "--baseline", "a block"])
        .args(&paths)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let s = parse_scores(&out.stdout);
    assert_eq!(s.len(), 3);
    assert!(s[0].0.ends_with("red-left.png"));
    assert!(s[0].1 > s[1].1 && s[0].1 > s[2].1, "{s:?}");

    // import, then use the name
    rewardsmith()
        .env("REWARDSMITH_CACHE", &cache)
        .args(["models", "import"])
        .arg(fixture("clip-tiny"))
        .args(["--name", "tiny"])
        .assert()
        .success()
        .stdout(predicate::str::contains("imported `tiny` fp32"))
        .stdout(predicate::str::contains("imported `tiny` int8"))
        .stdout(predicate::str::contains("--model tiny --precision int8"))
        .stdout(predicate::str::contains("embedding size 10"));
    rewardsmith()
        .env("REWARDSMITH_CACHE", &cache)
        .args(["models", "list"])
        .assert()
        .success()
        .stdout(predicate::str::contains("tiny"))
        .stdout(predicate::str::contains("clip-vit-base-patch32"));
    let out = rewardsmith()
        .env("REWARDSMITH_CACHE", &cache)
        .args([
            "reward",
            "clip",
            "--model",
            "tiny",
            "--goal",
            "a red block on the left",
        ])
        .args(["--baseline", "a block"])
        .args(&paths)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(parse_scores(&out.stdout), s, "same scores through the name");
    // importing a broken export fails with its error
    rewardsmith()
        .env("REWARDSMITH_CACHE", &cache)
        .args(["models", "import"])
        .arg(fixture("clip-bad-dim"))
        .assert()
        .failure()
        .stderr(predicate::str::contains("embedding sizes differ"));
}

#[test]
fn cli_model_names_that_are_unknown_or_not_pulled_are_clear_errors() {
    let cache = tempfile::tempdir().unwrap();
    let png = cache.path().join("f.png");
    block_frame(None, 0).save(&png).unwrap();
    rewardsmith()
        .env("REWARDSMITH_CACHE", cache.path())
        .args([
            "reward",
            "clip",
            "--model",
            "clip-vit-base-patch31",
            "--goal",
            "x",
        ])
        .arg(&png)
        .assert()
        .failure()
        .stderr(predicate::str::contains(
            "unknown model \"clip-vit-base-patch31\"",
        ))
        .stderr(predicate::str::contains("did you mean"));
    rewardsmith()
        .env("REWARDSMITH_CACHE", cache.path())
        .args([
            "reward",
            "clip",
            "--model",
            "clip-vit-base-patch32",
            "--goal",
            "x",
        ])
        .arg(&png)
        .assert()
        .failure()
        .stderr(predicate::str::contains("is not downloaded"))
        .stderr(predicate::str::contains(
            "rewardsmith models pull clip-vit-base-patch32",
        ));
}

#[test]
fn cli_device_gpu_without_a_gpu_runtime_is_a_clear_error() {
    let tmp = tempfile::tempdir().unwrap();
    let png = tmp.path().join("f.png");
    block_frame(Some(RED), 0).save(&png).unwrap();
    let out = rewardsmith()
        .env("REWARDSMITH_CACHE", tmp.path())
        .args(["reward", "clip", "--device", "gpu", "--model"])
        .arg(fixture("clip-tiny"))
        .args(["--goal", "red left"])
        .arg(&png)
        .output()
        .unwrap();
    // with onnxruntime-gpu and a GPU this succeeds; with the CPU wheel it must say why not
    if !out.status.success() {
        let e = String::from_utf8_lossy(&out.stderr);
        assert!(
            e.contains("--device gpu") && e.contains("onnxruntime-gpu"),
            "{e}"
        );
    }
}

#[test]
fn shipped_manifests_parse() {
    let ms = registry::manifests(&registry::manifests_dir()).unwrap();
    let names: Vec<&str> = ms.iter().map(|m| m.name.as_str()).collect();
    assert!(names.contains(&"clip-vit-base-patch32"), "{names:?}");
    for m in &ms {
        let paths: Vec<&str> = m.files.iter().map(|f| f.path.as_str()).collect();
        for need in [
            "onnx/vision_model.onnx",
            "onnx/text_model.onnx",
            "preprocessor_config.json",
        ] {
            assert!(paths.contains(&need), "{}: {paths:?}", m.name);
        }
    }
}

// ---- models pull against a local HTTP server ---------------------------------------

/// A tiny HTTP/1.1 server on 127.0.0.1 serving `files` (path → bytes) with `Range:
/// bytes=N-` support; records each request's path and Range header.
struct Server {
    base: String,
    log: RequestLog,
}

/// (path, Range header) of each request.
type RequestLog = Arc<Mutex<Vec<(String, Option<String>)>>>;

fn serve(files: Vec<(&'static str, Vec<u8>)>) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let log: RequestLog = Arc::new(Mutex::new(Vec::new()));
    let log2 = log.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
            if reader.read_line(&mut line).is_err() {
                continue;
            }
            let path = line.split_whitespace().nth(1).unwrap_or("").to_string();
            let mut range = None;
            loop {
                let mut h = String::new();
                if reader.read_line(&mut h).is_err() || h.trim().is_empty() {
                    break;
                }
                if let Some((k, v)) = h.split_once(':')
                    && k.eq_ignore_ascii_case("range")
                {
                    range = Some(v.trim().to_string());
                }
            }
            log2.lock().unwrap().push((path.clone(), range.clone()));
            let body = files
                .iter()
                .find(|(p, _)| *p == path)
                .map(|(_, b)| b.clone());
            let resp = match body {
                None => b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                    .to_vec(),
                Some(b) => {
                    let start = range
                        .as_deref()
                        .and_then(|r| r.strip_prefix("bytes="))
                        .and_then(|r| r.strip_suffix('-'))
                        .and_then(|r| r.parse::<usize>().ok());
                    match start {
                        Some(s) if s >= b.len() => format!(
                            "HTTP/1.1 416 Range Not Satisfiable\r\nContent-Range: bytes */{}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                            b.len()
                        )
                        .into_bytes(),
                        Some(s) => {
                            let mut r = format!(
                                "HTTP/1.1 206 Partial Content\r\nContent-Range: bytes {s}-{}/{}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                                b.len() - 1,
                                b.len(),
                                b.len() - s
                            )
                            .into_bytes();
                            r.extend_from_slice(&b[s..]);
                            r
                        }
                        None => {
                            let mut r = format!(
                                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                                b.len()
                            )
                            .into_bytes();
                            r.extend_from_slice(&b);
                            r
                        }
                    }
                }
            };
            let _ = stream.write_all(&resp);
            let _ = stream.flush();
            let mut rest = Vec::new();
            let _ = stream.shutdown(std::net::Shutdown::Write);
            let _ = reader.read_to_end(&mut rest);
        }
    });
    Server { base, log }
}

fn sha(b: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(b)
        .iter()
        .map(|x| format!("{x:02x}"))
        .collect()
}

fn manifest(base: &str, files: &[(&str, &str, &[u8], bool)]) -> Manifest {
    Manifest {
        name: "served".into(),
        description: String::new(),
        source: base.into(),
        license: None,
        files: files
            .iter()
            .map(|(path, url, body, verified)| ManifestFile {
                path: path.to_string(),
                url: format!("{base}{url}"),
                size: Some(body.len() as u64),
                sha256: if *verified {
                    sha(body)
                } else {
                    "unverified".into()
                },
            })
            .collect(),
    }
}

#[test]
fn pull_downloads_verifies_and_is_idempotent() {
    let big: Vec<u8> = (0..200_000u32).map(|i| (i * 7 % 251) as u8).collect();
    let small = b"{\"size\": 48}".to_vec();
    let server = serve(vec![("/v.onnx", big.clone()), ("/p.json", small.clone())]);
    let m = manifest(
        &server.base,
        &[
            ("onnx/vision_model.onnx", "/v.onnx", &big, true),
            ("preprocessor_config.json", "/p.json", &small, false),
        ],
    );
    let dir = tempfile::tempdir().unwrap();
    let r = registry::pull(&m, dir.path(), Precision::Fp32).unwrap();
    assert_eq!(r[0].1, Pulled::Downloaded { resumed_from: 0 });
    assert_eq!(r[1].1, Pulled::Downloaded { resumed_from: 0 });
    assert_eq!(
        std::fs::read(dir.path().join("onnx/vision_model.onnx")).unwrap(),
        big
    );
    assert_eq!(
        std::fs::read(dir.path().join("preprocessor_config.json")).unwrap(),
        small
    );
    assert!(!dir.path().join("onnx/vision_model.onnx.part").exists());
    let n = server.log.lock().unwrap().len();
    let r = registry::pull(&m, dir.path(), Precision::Fp32).unwrap();
    assert!(r.iter().all(|(_, p)| *p == Pulled::UpToDate));
    assert_eq!(server.log.lock().unwrap().len(), n, "nothing fetched again");
}

#[test]
fn pull_resumes_a_partial_download_with_range() {
    let big: Vec<u8> = (0..150_000u32).map(|i| (i * 13 % 241) as u8).collect();
    let server = serve(vec![("/v.onnx", big.clone())]);
    let m = manifest(
        &server.base,
        &[("onnx/vision_model.onnx", "/v.onnx", &big, true)],
    );
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("onnx")).unwrap();
    std::fs::write(
        dir.path().join("onnx/vision_model.onnx.part"),
        &big[..60_000],
    )
    .unwrap();
    let r = registry::pull(&m, dir.path(), Precision::Fp32).unwrap();
    assert_eq!(
        r[0].1,
        Pulled::Downloaded {
            resumed_from: 60_000
        }
    );
    assert_eq!(
        std::fs::read(dir.path().join("onnx/vision_model.onnx")).unwrap(),
        big
    );
    let log = server.log.lock().unwrap();
    assert_eq!(log.len(), 1);
    assert_eq!(
        log[0],
        ("/v.onnx".to_string(), Some("bytes=60000-".to_string()))
    );
}

#[test]
fn pull_sha256_mismatch_is_an_error_and_drops_the_partial_file() {
    let body = b"not the model you were looking for".to_vec();
    let server = serve(vec![("/t.onnx", body.clone())]);
    let mut m = manifest(
        &server.base,
        &[("onnx/text_model.onnx", "/t.onnx", &body, true)],
    );
    m.files[0].sha256 = sha(b"something else");
    let dir = tempfile::tempdir().unwrap();
    let e = registry::pull(&m, dir.path(), Precision::Fp32)
        .unwrap_err()
        .to_string();
    assert!(e.contains("text_model.onnx: sha256 mismatch"), "{e}");
    assert!(
        e.contains(&sha(&body)) && e.contains(&m.files[0].sha256),
        "{e}"
    );
    assert!(!dir.path().join("onnx/text_model.onnx").exists());
    assert!(!dir.path().join("onnx/text_model.onnx.part").exists());
    // and a 404 names the URL
    m.files[0].url = format!("{}/missing", server.base);
    let e = registry::pull(&m, dir.path(), Precision::Fp32)
        .unwrap_err()
        .to_string();
    assert!(e.contains("/missing") && e.contains("404"), "{e}");
}

#[test]
fn pull_fetches_the_chosen_precision_and_the_shared_files_only() {
    let (v32, v8, text) = (b"fp32".to_vec(), b"int8".to_vec(), b"text".to_vec());
    let server = serve(vec![
        ("/v.onnx", v32.clone()),
        ("/vq.onnx", v8.clone()),
        ("/t.onnx", text.clone()),
    ]);
    let m = manifest(
        &server.base,
        &[
            ("onnx/vision_model.onnx", "/v.onnx", &v32, true),
            ("onnx/vision_model_quantized.onnx", "/vq.onnx", &v8, true),
            ("onnx/text_model.onnx", "/t.onnx", &text, true),
        ],
    );
    assert_eq!(m.precisions(), [Precision::Fp32, Precision::Int8]);
    let dir = tempfile::tempdir().unwrap();
    let r = registry::pull(&m, dir.path(), Precision::Int8).unwrap();
    let got: Vec<&str> = r.iter().map(|(f, _)| f.as_str()).collect();
    assert_eq!(
        got,
        ["onnx/vision_model_quantized.onnx", "onnx/text_model.onnx"]
    );
    assert!(!dir.path().join("onnx/vision_model.onnx").exists());
    assert_eq!(
        registry::first_missing(&m, dir.path(), Precision::Int8),
        None
    );
    assert_eq!(
        registry::first_missing(&m, dir.path(), Precision::Fp32).as_deref(),
        Some("onnx/vision_model.onnx")
    );
    let e = registry::pull(&m, dir.path(), Precision::Fp16)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("no fp16 image encoder") && e.contains("lists fp32, int8"),
        "{e}"
    );
}

#[test]
fn cli_models_pull_a_manifest_file_into_the_cache() {
    let body = b"tokenizer bytes".to_vec();
    let server = serve(vec![("/tok.json", body.clone())]);
    let tmp = tempfile::tempdir().unwrap();
    let mfile = tmp.path().join("served.toml");
    std::fs::write(
        &mfile,
        format!(
            "name = \"served\"\nsource = \"{0}\"\n[[files]]\npath = \"tokenizer.json\"\nurl = \"{0}/tok.json\"\nsha256 = \"unverified\"\n",
            server.base
        ),
    )
    .unwrap();
    let cache = tmp.path().join("cache");
    rewardsmith()
        .env("REWARDSMITH_CACHE", &cache)
        .args(["models", "pull"])
        .arg(&mfile)
        .assert()
        .success()
        .stdout(predicate::str::contains("tokenizer.json: downloaded"))
        .stderr(predicate::str::contains("warning: tokenizer.json"))
        .stderr(predicate::str::contains("not verified"));
    assert_eq!(
        std::fs::read(cache.join("models/served/tokenizer.json")).unwrap(),
        body
    );
}

// ---- CLIP reward in training ---------------------------------------------------------

/// `train` on the cart-slide fixture env with the fixture CLIP model, caching text
/// embeddings in `dir/cache`.
fn clip_train(dir: &Path, run: &str, extra: &[&str]) -> assert_cmd::assert::Assert {
    rewardsmith()
        .env("REWARDSMITH_CACHE", dir.join("cache"))
        .args(["train", "--env"])
        .arg(fixture("envs/cart-slide.toml"))
        .arg("--clip-model")
        .arg(fixture("clip-tiny"))
        .args(["--video-every", "0", "--out"])
        .arg(dir.join(run))
        .args(extra)
        .assert()
}

/// Per-update means of a reward component over a run's metrics.jsonl.
fn component_curve(run: &Path, name: &str) -> Vec<f64> {
    std::fs::read_to_string(run.join("metrics.jsonl"))
        .unwrap()
        .lines()
        .map(|l| {
            let m: serde_json::Value = serde_json::from_str(l).unwrap();
            m["components"][name]
                .as_f64()
                .unwrap_or_else(|| panic!("no component {name} in {l}"))
        })
        .collect()
}

fn summary(run: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(run.join("summary.json")).unwrap()).unwrap()
}

const LEFT: &[&str] = &[
    "--clip-goal",
    "a blue block on the left",
    "--clip-baseline",
    "a blue block on the right",
    "--clip-alpha",
    "1",
];

#[test]
fn training_on_the_clip_reward_raises_the_clip_score() {
    let dir = tempfile::tempdir().unwrap();
    clip_train(dir.path(), "run", LEFT)
        .success()
        .stderr(predicate::str::contains("of training wall time"));
    let run = dir.path().join("run");
    let curve = component_curve(&run, "clip");
    assert!(curve.len() >= 20, "{} updates", curve.len());
    let mean = |xs: &[f64]| xs.iter().sum::<f64>() / xs.len() as f64;
    let (first, last) = (mean(&curve[..3]), mean(&curve[curve.len() - 3..]));
    assert!(
        last > first + 0.02,
        "CLIP score per step: first updates {first:.4}, last {last:.4}"
    );
    // The deterministic policy holds the cart on the left: its per-step score beats
    // the untrained policy's (the cart in the middle) by a clear margin.
    let s = summary(&run);
    let per_step = s["eval"]["mean_return"].as_f64().unwrap() / 64.0;
    assert!(
        per_step > first + 0.03,
        "eval {per_step:.4} vs start {first:.4}"
    );
    assert!(s["clip_s"].as_f64().unwrap() > 0.0);
    let cfg = std::fs::read_to_string(run.join("config.toml")).unwrap();
    assert!(
        cfg.contains("[clip]") && cfg.contains("program = false"),
        "{cfg}"
    );
}

#[test]
fn clip_term_adds_to_the_reward_program_held_every_kth_step() {
    let dir = tempfile::tempdir().unwrap();
    let program = dir.path().join("left.luau");
    std::fs::write(
        &program,
        "function reward(s)\n  return { left = -math.abs(s.joint(\"slider\").q + 0.6) }\nend\n",
    )
    .unwrap();
    let mut args = LEFT.to_vec();
    let p = program.to_str().unwrap();
    args.extend(["--reward", p, "--clip-weight", "2", "--clip-every", "4"]);
    args.extend(["--steps", "1024"]);
    clip_train(dir.path(), "run", &args).success();
    let run = dir.path().join("run");
    let clip = component_curve(&run, "clip");
    let left = component_curve(&run, "left");
    assert_eq!(clip.len(), left.len());
    // weight 2 on a score near 0.87: the term is about 1.7 per step
    assert!(clip.iter().all(|&c| (1.4..2.0).contains(&c)), "{clip:?}");
    assert!(left.iter().all(|&l| l < 0.0), "{left:?}");
    let cfg = std::fs::read_to_string(run.join("config.toml")).unwrap();
    for want in ["program = true", "weight = 2.0", "every = 4"] {
        assert!(cfg.contains(want), "{want} not in {cfg}");
    }
}

#[test]
fn a_run_with_a_clip_reward_resumes_to_the_same_policy() {
    let dir = tempfile::tempdir().unwrap();
    let mut args = LEFT.to_vec();
    args.extend(["--steps", "2048", "--clip-every", "3"]);
    args.extend(["--checkpoint-every", "1"]);
    clip_train(dir.path(), "whole", &args).success();
    let mut killed = args.clone();
    killed.extend(["--stop-after", "2"]);
    clip_train(dir.path(), "split", &killed).success();
    rewardsmith()
        .env("REWARDSMITH_CACHE", dir.path().join("cache"))
        .args(["train", "--resume"])
        .arg(dir.path().join("split"))
        .args(["--video-every", "0"])
        .assert()
        .success();
    let (a, b) = (
        summary(&dir.path().join("whole")),
        summary(&dir.path().join("split")),
    );
    assert_eq!(a["policy_hash"], b["policy_hash"]);
    assert_eq!(a["eval"], b["eval"]);
}

#[test]
fn bad_clip_training_settings_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    clip_train(
        dir.path(),
        "a",
        &["--clip-goal", "a blue block", "--clip-alpha", "0.5"],
    )
    .failure()
    .stderr(predicate::str::contains("needs a baseline sentence"));
    clip_train(dir.path(), "b", &["--clip-baseline", "a blue block"])
        .failure()
        .stderr(predicate::str::contains("--clip-goal"));
    rewardsmith()
        .env("REWARDSMITH_CACHE", dir.path().join("cache"))
        .args(["train", "--env", "cartpole", "--clip-goal", "a pole"])
        .args(["--clip-model", "no-such-model", "--out"])
        .arg(dir.path().join("c"))
        .assert()
        .failure()
        .stderr(predicate::str::contains("no-such-model"));
    let program = dir.path().join("clash.luau");
    std::fs::write(
        &program,
        "function reward(s)\n  return { clip = 1.0 }\nend\n",
    )
    .unwrap();
    clip_train(
        dir.path(),
        "d",
        &[
            "--clip-goal",
            "a blue block",
            "--reward",
            program.to_str().unwrap(),
        ],
    )
    .failure()
    .stderr(predicate::str::contains("component named `clip`"));
}

// ---- precision variants and their agreement ----------------------------------------

fn load_precision(dir: &Path, precision: Precision) -> Result<ClipModel, ClipError> {
    ClipModel::load(
        dir,
        LoadOptions {
            precision,
            ..LoadOptions::default()
        },
    )
}

#[test]
fn int8_variant_runs_the_quantized_file_and_scores_like_fp32() {
    let dir = fixture("clip-tiny");
    let mut fp32 = load_precision(&dir, Precision::Fp32).unwrap();
    let mut int8 = load_precision(&dir, Precision::Int8).unwrap();
    assert!(
        int8.files()
            .vision
            .ends_with("onnx/vision_model_quantized.onnx")
    );
    assert!(fp32.files().vision.ends_with("onnx/vision_model.onnx"));
    let frames = [
        block_frame(Some(RED), 0),
        block_frame(Some(RED), 2),
        block_frame(Some(BLUE), 1),
        block_frame(None, 0),
    ];
    let refs: Vec<&RgbImage> = frames.iter().collect();
    let (a, b) = (
        fp32.embed_images(&refs).unwrap(),
        int8.embed_images(&refs).unwrap(),
    );
    for (x, y) in a.iter().zip(&b) {
        // quantized, so not equal, but within a few percent of the largest entry
        assert_ne!(x, y);
        let scale = x.iter().fold(0f32, |m, v| m.max(v.abs()));
        for (p, q) in x.iter().zip(y) {
            assert!((p - q).abs() < 0.05 * scale, "{x:?} vs {y:?}");
        }
    }
}

#[test]
fn a_precision_the_export_lacks_is_one_clear_error_listing_what_it_has() {
    let e = load_precision(&fixture("clip-tiny"), Precision::Fp16)
        .unwrap_err()
        .to_string();
    assert!(e.contains("onnx/vision_model_fp16.onnx: missing"), "{e}");
    assert!(
        e.contains("only fp32 (vision_model.onnx), int8 (vision_model_quantized.onnx)"),
        "{e}"
    );
    let tmp = tempfile::tempdir().unwrap();
    let png = tmp.path().join("f.png");
    block_frame(Some(RED), 0).save(&png).unwrap();
    rewardsmith()
        .env("REWARDSMITH_CACHE", tmp.path())
        .args(["reward", "clip", "--precision", "fp16", "--model"])
        .arg(fixture("clip-tiny"))
        .args(["--goal", "red left"])
        .arg(&png)
        .assert()
        .failure()
        .stderr(predicate::str::contains("vision_model_fp16.onnx"))
        .stderr(predicate::str::contains(
            "int8 (vision_model_quantized.onnx)",
        ));
    let out = rewardsmith()
        .env("REWARDSMITH_CACHE", tmp.path())
        .args(["reward", "clip", "--precision", "int8", "--model"])
        .arg(fixture("clip-tiny"))
        .args(["--goal", "red left"])
        .arg(&png)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(parse_scores(&out.stdout).len(), 1);
}

/// Frames of blocks of each colour in each third, as PNGs in `dir`.
fn block_frames_dir(dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    for (c, colour) in [RED, GREEN, BLUE].into_iter().enumerate() {
        for third in 0..3 {
            block_frame(Some(colour), third)
                .save(dir.join(format!("{c}-{third}.png")))
                .unwrap();
        }
    }
}

fn models_check(tmp: &Path, model: &str, extra: &[&str]) -> std::process::Output {
    rewardsmith()
        .env("REWARDSMITH_CACHE", tmp.join("cache"))
        .args(["models", "check"])
        .arg(fixture(model))
        .arg("--frames")
        .arg(tmp.join("frames"))
        .args(["--goal", "a red block on the left"])
        .args(extra)
        .output()
        .unwrap()
}

#[test]
fn cli_models_check_says_whether_int8_scores_like_fp32() {
    let tmp = tempfile::tempdir().unwrap();
    block_frames_dir(&tmp.path().join("frames"));
    let out = models_check(tmp.path(), "clip-tiny", &[]);
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(out.status.success(), "{stdout}{stderr}");
    assert!(stdout.contains("int8 against fp32 on 9 frames"), "{stdout}");
    assert!(stdout.contains("rank correlation (Spearman)"), "{stdout}");
    assert!(stdout.contains("int8 is safe to use"), "{stdout}");
    let out = models_check(tmp.path(), "clip-tiny", &["--json"]);
    let a: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(a["frames"], 9);
    assert_eq!(a["safe"], true);
    assert!(a["rank_correlation"].as_f64().unwrap() >= 0.95, "{a}");
    // a variant that disagrees: refused with a non-zero exit, the report still printed
    let out = models_check(tmp.path(), "clip-tiny-bad-int8", &["--json"]);
    assert!(!out.status.success());
    let a: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(a["safe"], false, "{a}");
    assert!(
        a["max_score_diff"].as_f64().unwrap() > 0.25 * a["fp32_spread"].as_f64().unwrap(),
        "{a}"
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("not safe to use"));
    // a variant the export lacks, and too few frames: clear errors
    let out = models_check(tmp.path(), "clip-tiny", &["--precision", "fp16"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("vision_model_fp16.onnx"));
    let few = tmp.path().join("frames");
    for f in std::fs::read_dir(&few).unwrap().skip(2) {
        std::fs::remove_file(f.unwrap().path()).unwrap();
    }
    let out = models_check(tmp.path(), "clip-tiny", &[]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("at least 3 frames"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn scoring_in_the_background_gives_the_same_run_as_inline() {
    let dir = tempfile::tempdir().unwrap();
    let program = dir.path().join("left.luau");
    std::fs::write(
        &program,
        "function reward(s)\n  return { left = -math.abs(s.joint(\"slider\").q + 0.6) }\nend\n",
    )
    .unwrap();
    let mut args = LEFT.to_vec();
    let p = program.to_str().unwrap();
    args.extend(["--reward", p, "--clip-every", "3", "--steps", "1024"]);
    clip_train(dir.path(), "overlap", &args).success();
    let mut inline = args.clone();
    inline.push("--no-clip-overlap");
    clip_train(dir.path(), "inline", &inline).success();
    let (a, b) = (dir.path().join("overlap"), dir.path().join("inline"));
    assert_eq!(component_curve(&a, "clip"), component_curve(&b, "clip"));
    assert_eq!(component_curve(&a, "left"), component_curve(&b, "left"));
    assert_eq!(summary(&a)["policy_hash"], summary(&b)["policy_hash"]);
    let cfg = |run: &Path| std::fs::read_to_string(run.join("config.toml")).unwrap();
    assert!(cfg(&a).contains("overlap = true"), "{}", cfg(&a));
    assert!(cfg(&b).contains("overlap = false"), "{}", cfg(&b));
}
