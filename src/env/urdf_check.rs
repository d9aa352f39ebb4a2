//! Checks a parsed URDF before rapier's loader sees it: the loader indexes links by the
//! names joints give and builds shapes from the sizes as written, and panics on what a
//! hand edit or a generator can produce (a joint naming a missing link, a negative or
//! non-finite size). Found by `tests/fuzz_inputs.rs`.

use std::collections::{HashMap, HashSet};
use urdf_rs::{Geometry, Joint, Pose, Robot};

/// The first problem of `robot` that rapier's URDF loader would not survive, as a
/// message naming the link or joint.
pub(crate) fn check_urdf(robot: &Robot) -> Result<(), String> {
    let mut names = HashSet::new();
    for link in &robot.links {
        if !names.insert(link.name.as_str()) {
            return Err(format!("link `{}` is defined twice", link.name));
        }
        let at = |what: &str| format!("link `{}`: {what}", link.name);
        finite_pose(&link.inertial.origin).map_err(|e| at(&format!("<inertial> {e}")))?;
        let i = &link.inertial.inertia;
        if ![i.ixx, i.ixy, i.ixz, i.iyy, i.iyz, i.izz]
            .iter()
            .all(|v| v.is_finite())
        {
            return Err(at("<inertia> has a non-finite entry"));
        }
        let shapes = link
            .collision
            .iter()
            .map(|c| (&c.origin, &c.geometry, "<collision>"))
            .chain(
                link.visual
                    .iter()
                    .map(|v| (&v.origin, &v.geometry, "<visual>")),
            );
        for (origin, geometry, tag) in shapes {
            finite_pose(origin).map_err(|e| at(&format!("{tag} {e}")))?;
            geometry_sizes(geometry).map_err(|e| at(&format!("{tag} {e}")))?;
        }
    }
    let mut parent_of = HashMap::new();
    for joint in &robot.joints {
        let at = |what: String| format!("joint `{}`: {what}", joint.name);
        for (role, link) in [("parent", &joint.parent.link), ("child", &joint.child.link)] {
            if !names.contains(link.as_str()) {
                return Err(at(format!("its {role} link `{link}` is not defined")));
            }
        }
        if let Some(other) = parent_of.insert(joint.child.link.as_str(), joint) {
            return Err(at(format!(
                "link `{}` is already the child of joint `{}` (a link has one parent)",
                joint.child.link, other.name
            )));
        }
        finite_pose(&joint.origin).map_err(|e| at(format!("<origin> {e}")))?;
        joint_axis_and_limits(joint).map_err(at)?;
    }
    // Following parents from any link must end at a root, not come back round.
    for start in parent_of.keys() {
        let mut link = *start;
        for _ in 0..=robot.joints.len() {
            match parent_of.get(link) {
                Some(j) => link = j.parent.link.as_str(),
                None => break,
            }
            if link == *start {
                return Err(format!("the joints form a loop through link `{start}`"));
            }
        }
    }
    Ok(())
}

/// Position and rotation finite.
fn finite_pose(p: &Pose) -> Result<(), String> {
    if p.xyz.iter().chain(p.rpy.iter()).all(|v| v.is_finite()) {
        Ok(())
    } else {
        Err(format!(
            "origin xyz {:?} rpy {:?} is not finite",
            *p.xyz, *p.rpy
        ))
    }
}

/// Every size finite and ≥ 0.
fn geometry_sizes(g: &Geometry) -> Result<(), String> {
    let ok = |v: f64| v.is_finite() && v >= 0.0;
    let good = match g {
        Geometry::Box { size } => size.iter().all(|&v| ok(v)),
        Geometry::Cylinder { radius, length } | Geometry::Capsule { radius, length } => {
            ok(*radius) && ok(*length)
        }
        Geometry::Sphere { radius } => ok(*radius),
        Geometry::Mesh { scale, .. } => scale.is_none_or(|s| s.iter().all(|v| v.is_finite())),
    };
    if good {
        Ok(())
    } else {
        Err(format!("{g:?} needs finite sizes ≥ 0"))
    }
}

/// A finite, non-zero axis and finite limits in order.
fn joint_axis_and_limits(joint: &Joint) -> Result<(), String> {
    let a = *joint.axis.xyz;
    let norm = (a[0] * a[0] + a[1] * a[1] + a[2] * a[2]).sqrt();
    if !(norm.is_finite() && norm > 1e-9) {
        return Err(format!(
            "<axis xyz=\"{a:?}\"> needs a finite, non-zero vector"
        ));
    }
    let l = &joint.limit;
    if [l.lower, l.upper, l.effort, l.velocity]
        .iter()
        .any(|v| v.is_nan())
        || l.lower > l.upper
    {
        return Err(format!(
            "<limit lower=\"{}\" upper=\"{}\"> needs numbers with lower ≤ upper",
            l.lower, l.upper
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::check_urdf;

    fn robot(joints: &str, box_size: &str) -> urdf_rs::Robot {
        let xml = format!(
            r#"<robot name="r">
  <link name="a"><inertial><mass value="1"/><inertia ixx="1" ixy="0" ixz="0" iyy="1" iyz="0" izz="1"/></inertial></link>
  <link name="b"><inertial><mass value="1"/><inertia ixx="1" ixy="0" ixz="0" iyy="1" iyz="0" izz="1"/></inertial>
    <collision><geometry><box size="{box_size}"/></geometry></collision></link>
  {joints}
</robot>"#
        );
        urdf_rs::read_from_string(&xml).expect("parses")
    }

    const HINGE: &str = r#"<joint name="j" type="revolute"><parent link="a"/><child link="b"/>
    <axis xyz="0 1 0"/><limit lower="-1" upper="1" effort="1" velocity="1"/></joint>"#;

    #[test]
    fn a_valid_robot_passes() {
        assert_eq!(check_urdf(&robot(HINGE, "1 1 1")), Ok(()));
    }

    #[test]
    fn each_fault_is_named() {
        let e = check_urdf(&robot(&HINGE.replace("\"a\"", "\"x\""), "1 1 1")).unwrap_err();
        assert_eq!(e, "joint `j`: its parent link `x` is not defined");
        let e = check_urdf(&robot(HINGE, "1 -1 1")).unwrap_err();
        assert!(e.starts_with("link `b`: <collision> Box"), "{e}");
        let e = check_urdf(&robot(&HINGE.replace("0 1 0", "0 0 0"), "1 1 1")).unwrap_err();
        assert!(e.contains("non-zero"), "{e}");
        let e = check_urdf(&robot(
            &HINGE.replace("lower=\"-1\"", "lower=\"2\""),
            "1 1 1",
        ))
        .unwrap_err();
        assert!(e.contains("lower ≤ upper"), "{e}");
        let looped = format!(
            "{HINGE}{}",
            HINGE.replace("name=\"j\"", "name=\"k\"").replace(
                "<parent link=\"a\"/><child link=\"b\"/>",
                "<parent link=\"b\"/><child link=\"a\"/>"
            )
        );
        let e = check_urdf(&robot(&looped, "1 1 1")).unwrap_err();
        assert!(e.contains("loop"), "{e}");
        let twice = format!("{HINGE}{}", HINGE.replace("name=\"j\"", "name=\"k\""));
        let e = check_urdf(&robot(&twice, "1 1 1")).unwrap_err();
        assert!(e.contains("already the child of joint `j`"), "{e}");
    }
}
