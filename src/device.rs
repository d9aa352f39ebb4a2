//! Where networks run: `cpu` or `gpu`, one name for training updates (burn) and CLIP
//! models (ONNX Runtime) alike, as `--device`, `--clip-device` and the config files spell
//! it.

use serde::{Deserialize, Serialize};

/// Where a network runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Device {
    /// The CPU (the default, and what the tests run on).
    #[default]
    Cpu,
    /// A GPU: burn's wgpu backend for training (a build with the `gpu` feature), CUDA or
    /// TensorRT for CLIP (an `onnxruntime-gpu` runtime).
    #[value(alias = "cuda")]
    #[serde(alias = "cuda")]
    Gpu,
}

impl Device {
    /// The name config files and flags use.
    pub fn name(self) -> &'static str {
        match self {
            Device::Cpu => "cpu",
            Device::Gpu => "gpu",
        }
    }
}

impl std::fmt::Display for Device {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Device {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "cpu" => Ok(Self::Cpu),
            "gpu" | "cuda" => Ok(Self::Gpu),
            _ => Err(format!("unknown device `{s}` (cpu or gpu)")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_and_serialize_as_config_files_spell_them() {
        assert_eq!("cuda".parse::<Device>(), Ok(Device::Gpu));
        assert!("tpu".parse::<Device>().unwrap_err().contains("cpu or gpu"));
        #[derive(Serialize, Deserialize, PartialEq, Debug)]
        struct C {
            device: Device,
        }
        let text = toml::to_string(&C {
            device: Device::Gpu,
        })
        .unwrap();
        assert_eq!(text.trim(), "device = \"gpu\"");
        let c: C = toml::from_str("device = \"cpu\"").unwrap();
        assert_eq!(c.device, Device::Cpu);
    }
}
