//! Compact, exact serde encodings for sketch state (our own state files only; the
//! SageMaker files keep their documented JSON shapes).
//!
//! Base64 goes through `base64-simd` (SSE4.1 / AVX2 / NEON chosen at run time, a scalar path
//! elsewhere): a window's merge decodes a thousand state files of sketch buffers, and the
//! scalar decoder was about half of that decoding (issue 16 item 4). Same alphabet, padding
//! and canonical-trailing-bits rule as RFC 4648 §4, so the bytes written and accepted are
//! the ones the `base64` crate wrote and accepted before.

use base64_simd::STANDARD;

/// Standard padded base64 (RFC 4648 §4).
pub(crate) fn encode_b64(bytes: &[u8]) -> String {
    STANDARD.encode_to_string(bytes)
}

/// Decodes standard padded base64, naming what is wrong.
pub(crate) fn decode_b64(text: &str) -> Result<Vec<u8>, String> {
    decode_b64_bytes(text.as_bytes())
}

/// [`decode_b64`] of text not yet checked to be UTF-8 (the decoder accepts only the ASCII
/// alphabet anyway).
fn decode_b64_bytes(text: &[u8]) -> Result<Vec<u8>, String> {
    STANDARD
        .decode_to_vec(text)
        .map_err(|_| describe_invalid(text))
}

/// Decodes standard padded base64 of little-endian IEEE-754 doubles straight into the
/// `Vec<f64>`: no intermediate byte vector, no per-value conversion loop on little-endian
/// targets (a window's merge decodes about 14,000 such buffers: issue 16 item 4).
fn decode_b64_f64(text: &[u8]) -> Result<Vec<f64>, String> {
    let len = STANDARD
        .decoded_length(text)
        .map_err(|_| describe_invalid(text))?;
    if len % 8 != 0 {
        // text that is not base64 at all is reported as such first
        STANDARD.check(text).map_err(|_| describe_invalid(text))?;
        return Err(format!("{len} bytes is not a whole number of f64 values"));
    }
    let mut values = vec![0f64; len / 8];
    STANDARD
        .decode(
            text,
            base64_simd::Out::from_slice(bytemuck::cast_slice_mut::<f64, u8>(&mut values)),
        )
        .map_err(|_| describe_invalid(text))?;
    if cfg!(target_endian = "big") {
        for x in &mut values {
            *x = f64::from_bits(u64::from_le(x.to_bits()));
        }
    }
    Ok(values)
}

/// Why `text` is not standard padded base64: its first byte outside the alphabet, or else
/// its length or padding (the decoder's own error carries no detail).
fn describe_invalid(text: &[u8]) -> String {
    let alphabet = |b: u8| b.is_ascii_alphanumeric() || b == b'+' || b == b'/' || b == b'=';
    match text.iter().position(|&b| !alphabet(b)) {
        Some(at) => format!(
            "invalid base64: byte {:?} at offset {at}",
            char::from(text[at])
        ),
        None => format!(
            "invalid base64: {} characters with bad length, padding or trailing bits",
            text.len()
        ),
    }
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
                self.visit_bytes(s.as_bytes())
            }
            fn visit_bytes<E: Error>(self, s: &[u8]) -> Result<Vec<f64>, E> {
                super::decode_b64_f64(s).map_err(E::custom)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<f64>, A::Error> {
                let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0));
                while let Some(x) = seq.next_element::<f64>()? {
                    out.push(x);
                }
                Ok(out)
            }
        }
        // `deserialize_bytes`, not `_any`: serde_json then hands over the string's raw bytes,
        // found with memchr, without the UTF-8 and control-character checks of a `&str`
        // (base64 accepts nothing but its ASCII alphabet); an array still arrives as a seq.
        d.deserialize_bytes(V)
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
        // the raw-bytes path of serde_json's reader and the `Value` path read the same
        let from_slice: W = serde_json::from_slice(json.as_bytes()).unwrap();
        let from_value: W = serde_json::from_value(serde_json::from_str(&json).unwrap()).unwrap();
        for (a, b) in from_slice.0.iter().zip(&from_value.0) {
            assert_eq!(a.to_bits(), b.to_bits());
        }
        let arr: W = serde_json::from_value(serde_json::json!([1.5, 2.0])).unwrap();
        assert_eq!(arr.0, vec![1.5, 2.0]);
        let err = serde_json::from_slice::<W>(b"\"AAAAAAA\tAAAA\"")
            .unwrap_err()
            .to_string();
        assert!(err.contains(r"byte '\t' at offset 7"), "{err}");
        assert!(serde_json::from_str::<W>("{}").is_err());
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
        assert_eq!(
            decode_b64("Zm9*").unwrap_err(),
            "invalid base64: byte '*' at offset 3"
        );
        // "Zm9=" carries non-zero trailing bits ("Zm8=" is the canonical "fo"): refused, as
        // the `base64` crate refused it
        assert!(decode_b64("Zm9=").unwrap_err().contains("4 characters"));
        assert!(decode_b64("Zm8").is_err());
    }
}
