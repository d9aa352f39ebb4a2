mod common;
use common::repo_roots;
use rewardsmith::env::Env;

#[test]
fn scratch() {
    let mut env = Env::load("arm-push", &repo_roots()).unwrap();
    let actor = rewardsmith::run::load_actor_for(std::path::Path::new("/tmp/ap7"), &env).unwrap();
    let space = env.compiled().action_space.clone();
    let d = env.compiled().obs_dim();
    for seed in [10000u64, 10001, 10002] {
        let mut obs = env.reset(Some(seed)).unwrap();
        for t in 0..200 {
            let a = actor.act(&obs, d, &space);
            let s = env.state();
            let p = |n: &str| s.bodies[s.layout.body_index(n).unwrap()].pos;
            if t % 10 == 0 {
                let (tcp, cube) = (p("tcp"), p("cube"));
                let dg = ((cube[0] - s.task[0]).powi(2) + (cube[1] - s.task[1]).powi(2)).sqrt();
                eprintln!(
                    "{seed} {t} tcp {:.3?} cube {:.3?} goal {:.3?} d {:.3} act {:.3?}",
                    tcp,
                    cube,
                    &s.task[..2],
                    dg,
                    a
                );
            }
            obs = env.step(&a).unwrap().0;
        }
    }
}
