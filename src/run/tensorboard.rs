//! A minimal TensorBoard event-file writer: scalars only, no dependencies. The file is
//! a TFRecord stream of `Event` protocol buffers (`wall_time`, `step`, and a `Summary`
//! of `simple_value`s), each record framed by its length and masked CRC-32C checksums,
//! so `tensorboard --logdir runs/` reads it.

use std::io::Write;
use std::path::Path;

/// Appends scalar events to one `events.out.tfevents.*` file.
pub struct EventWriter {
    file: std::io::BufWriter<std::fs::File>,
}

fn now() -> std::time::Duration {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
}

impl EventWriter {
    /// Create a new event file in `dir` (one per process; TensorBoard merges them).
    pub fn create(dir: &Path) -> std::io::Result<Self> {
        let t = now();
        let name = format!(
            "events.out.tfevents.{}.rewardsmith.{}",
            t.as_secs(),
            std::process::id()
        );
        let mut w = Self {
            file: std::io::BufWriter::new(std::fs::File::create(dir.join(name))?),
        };
        let mut ev = Vec::new();
        put_double(&mut ev, 1, t.as_secs_f64());
        put_bytes(&mut ev, 3, b"brain.Event:2");
        w.record(&ev)?;
        w.file.flush()?;
        Ok(w)
    }

    /// Write `(tag, value)` scalars at `step` (non-finite values are skipped).
    pub fn scalars(&mut self, step: u64, values: &[(String, f64)]) -> std::io::Result<()> {
        let mut summary = Vec::new();
        for (tag, v) in values.iter().filter(|(_, v)| v.is_finite()) {
            let mut value = Vec::new();
            put_bytes(&mut value, 1, tag.as_bytes());
            value.push((2 << 3) | 5); // simple_value: float, fixed32
            value.extend_from_slice(&(*v as f32).to_le_bytes());
            put_bytes(&mut summary, 1, &value);
        }
        let mut ev = Vec::new();
        put_double(&mut ev, 1, now().as_secs_f64());
        ev.push(2 << 3); // step: int64, varint
        put_varint(&mut ev, step);
        put_bytes(&mut ev, 5, &summary);
        self.record(&ev)?;
        self.file.flush()
    }

    fn record(&mut self, data: &[u8]) -> std::io::Result<()> {
        let len = (data.len() as u64).to_le_bytes();
        self.file.write_all(&len)?;
        self.file.write_all(&masked_crc(&len).to_le_bytes())?;
        self.file.write_all(data)?;
        self.file.write_all(&masked_crc(data).to_le_bytes())
    }
}

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn put_bytes(out: &mut Vec<u8>, field: u64, bytes: &[u8]) {
    put_varint(out, (field << 3) | 2);
    put_varint(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

fn put_double(out: &mut Vec<u8>, field: u64, v: f64) {
    put_varint(out, (field << 3) | 1);
    out.extend_from_slice(&v.to_le_bytes());
}

/// CRC-32C (Castagnoli), bitwise.
fn crc32c(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= b as u32;
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0x82F6_3B78
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// TFRecord's masked CRC.
fn masked_crc(data: &[u8]) -> u32 {
    let c = crc32c(data);
    c.rotate_right(15).wrapping_add(0xa282_ead8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32c_check_value() {
        assert_eq!(crc32c(b"123456789"), 0xE306_9283);
    }

    #[test]
    fn records_are_framed() {
        let dir = tempfile::tempdir().unwrap();
        let mut w = EventWriter::create(dir.path()).unwrap();
        w.scalars(7, &[("a/b".into(), 1.5), ("nan".into(), f64::NAN)])
            .unwrap();
        drop(w);
        let f = std::fs::read_dir(dir.path())
            .unwrap()
            .next()
            .unwrap()
            .unwrap();
        let bytes = std::fs::read(f.path()).unwrap();
        let (mut i, mut n) = (0, 0);
        while i < bytes.len() {
            let len = u64::from_le_bytes(bytes[i..i + 8].try_into().unwrap()) as usize;
            let crc = u32::from_le_bytes(bytes[i + 8..i + 12].try_into().unwrap());
            assert_eq!(crc, masked_crc(&bytes[i..i + 8]));
            let data = &bytes[i + 12..i + 12 + len];
            let dcrc = u32::from_le_bytes(bytes[i + 12 + len..i + 16 + len].try_into().unwrap());
            assert_eq!(dcrc, masked_crc(data));
            i += 16 + len;
            n += 1;
        }
        assert_eq!(n, 2);
    }
}
