//! Compact, exact serde encodings for sketch state (our own state files only; the
//! SageMaker files keep their documented JSON shapes).

use base64::engine::general_purpose::STANDARD;
use base64::Engine;

/// Standard padded base64 (RFC 4648 §4).
pub(crate) fn encode_b64(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}

/// Decodes standard padded base64, naming what is wrong.
pub(crate) fn decode_b64(text: &str) -> Result<Vec<u8>, String> {
    STANDARD
        .decode(text)
        .map_err(|e| format!("invalid base64: {e}"))
}

/// `Vec<f64>` as base64 of little-endian IEEE-754 bytes; a JSON array of numbers is also
/// accepted on read.
pub(crate) mod f64_vec {
    use serde::de::{Error, SeqAccess, Visitor};
    use serde::{Deserializer, Serializer};

    pub(crate) fn serialize<S: Serializer>(v: &[f64], s: S) -> Result<S::Ok, S::Error> {
        let mut bytes = Vec::with_capacity(v.len() * 8);
        for x in v {
            bytes.extend_from_slice(&x.to_le_bytes());
        }
        s.serialize_str(&super::encode_b64(&bytes))
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<f64>, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Vec<f64>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("base64 of little-endian f64 values, or an array of numbers")
            }
            fn visit_str<E: Error>(self, s: &str) -> Result<Vec<f64>, E> {
                let bytes = super::decode_b64(s).map_err(E::custom)?;
                if bytes.len() % 8 != 0 {
                    return Err(E::custom(format!(
                        "{} bytes is not a whole number of f64 values",
                        bytes.len()
                    )));
                }
                Ok(bytes
                    .chunks_exact(8)
                    .map(|c| {
                        let mut a = [0u8; 8];
                        a.copy_from_slice(c);
                        f64::from_le_bytes(a)
                    })
                    .collect())
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<f64>, A::Error> {
                let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0));
                while let Some(x) = seq.next_element::<f64>()? {
                    out.push(x);
                }
                Ok(out)
            }
        }
        d.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Serialize, serde::Deserialize, PartialEq, Debug)]
    struct W(#[serde(with = "f64_vec")] Vec<f64>);

    #[test]
    fn f64_vec_round_trips_exactly_including_infinities() {
        let v = W(vec![
            0.1,
            -0.0,
            f64::INFINITY,
            f64::NEG_INFINITY,
            5e-324,
            1e308,
        ]);
        let json = serde_json::to_string(&v).unwrap();
        let back: W = serde_json::from_str(&json).unwrap();
        assert_eq!(back.0.len(), 6);
        for (a, b) in v.0.iter().zip(&back.0) {
            assert_eq!(a.to_bits(), b.to_bits());
        }
        let arr: W = serde_json::from_str("[1.5, 2.0]").unwrap();
        assert_eq!(arr.0, vec![1.5, 2.0]);
        assert!(serde_json::from_str::<W>("\"AAAA\"").is_err());
    }

    #[test]
    fn rfc4648_vectors() {
        // RFC 4648 §10 test vectors
        for (plain, enc) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(encode_b64(plain.as_bytes()), enc);
            assert_eq!(decode_b64(enc).unwrap(), plain.as_bytes());
        }
        assert!(decode_b64("Zm9*").is_err());
    }
}
