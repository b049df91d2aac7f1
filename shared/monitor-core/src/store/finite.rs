//! The guard of [`super::StateFile::to_json`]: walks a value through serde and stops at the first
//! non-finite float, naming its path (`minutes[0].profile.features[3].moments.sum`).
//! serde_json would write such a float as `null`, which no state file can be read back from.

use std::fmt;

use serde::ser::{self, Serialize};

/// The first non-finite float found: its dotted path and value.
#[derive(Debug)]
pub(super) struct Found {
    pub(super) path: String,
    pub(super) value: f64,
    custom: Option<String>,
}

impl fmt::Display for Found {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.custom {
            Some(m) => f.write_str(m),
            None => write!(f, "{} = {}", self.path, self.value),
        }
    }
}

impl std::error::Error for Found {}

impl ser::Error for Found {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Found {
            path: String::new(),
            value: 0.0,
            custom: Some(msg.to_string()),
        }
    }
}

/// `Ok(())` when every float in `value` is finite; else the first one that is not.
/// (A custom serialisation error, which serde_json would also report, is passed on.)
pub(super) fn check<T: Serialize + ?Sized>(value: &T) -> Result<(), Found> {
    let mut path = Vec::new();
    value.serialize(Checker { path: &mut path })
}

struct Checker<'a> {
    path: &'a mut Vec<String>,
}

impl Checker<'_> {
    fn float(self, v: f64) -> Result<(), Found> {
        if v.is_finite() {
            return Ok(());
        }
        let mut path = String::new();
        for seg in self.path.iter() {
            if !seg.starts_with('[') && !path.is_empty() {
                path.push('.');
            }
            path.push_str(seg);
        }
        Err(Found {
            path: if path.is_empty() {
                "(root)".into()
            } else {
                path
            },
            value: v,
            custom: None,
        })
    }

    fn at<T: Serialize + ?Sized>(&mut self, seg: String, v: &T) -> Result<(), Found> {
        self.path.push(seg);
        let r = v.serialize(Checker {
            path: &mut *self.path,
        });
        self.path.pop();
        r
    }
}

/// Compound state: counts elements so each gets its index as a path segment.
struct Seq<'a> {
    c: Checker<'a>,
    i: usize,
    key: Option<String>,
}

impl Seq<'_> {
    fn element<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), Found> {
        let seg = format!("[{}]", self.i);
        self.i += 1;
        self.c.at(seg, v)
    }
}

/// Renders a map key for the path (strings as they are, anything else via Debug).
struct KeyName;

macro_rules! key_scalars {
    ($($m:ident: $t:ty),*) => {$(
        fn $m(self, v: $t) -> Result<Self::Ok, Self::Error> { Ok(Some(v.to_string())) }
    )*};
}

impl ser::Serializer for &mut KeyName {
    type Ok = Option<String>;
    type Error = Found;
    type SerializeSeq = ser::Impossible<Option<String>, Found>;
    type SerializeTuple = ser::Impossible<Option<String>, Found>;
    type SerializeTupleStruct = ser::Impossible<Option<String>, Found>;
    type SerializeTupleVariant = ser::Impossible<Option<String>, Found>;
    type SerializeMap = ser::Impossible<Option<String>, Found>;
    type SerializeStruct = ser::Impossible<Option<String>, Found>;
    type SerializeStructVariant = ser::Impossible<Option<String>, Found>;
    key_scalars!(serialize_bool: bool, serialize_i8: i8, serialize_i16: i16, serialize_i32: i32,
        serialize_i64: i64, serialize_u8: u8, serialize_u16: u16, serialize_u32: u32,
        serialize_u64: u64, serialize_f32: f32, serialize_f64: f64, serialize_char: char,
        serialize_str: &str);
    fn serialize_bytes(self, _: &[u8]) -> Result<Self::Ok, Self::Error> {
        Ok(None)
    }
    fn serialize_none(self) -> Result<Self::Ok, Self::Error> {
        Ok(None)
    }
    fn serialize_some<T: Serialize + ?Sized>(self, v: &T) -> Result<Self::Ok, Self::Error> {
        v.serialize(self)
    }
    fn serialize_unit(self) -> Result<Self::Ok, Self::Error> {
        Ok(None)
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<Self::Ok, Self::Error> {
        Ok(None)
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<Self::Ok, Self::Error> {
        Ok(Some(variant.into()))
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        v: &T,
    ) -> Result<Self::Ok, Self::Error> {
        v.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _: &T,
    ) -> Result<Self::Ok, Self::Error> {
        Ok(Some(variant.into()))
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, Self::Error> {
        Err(ser::Error::custom("map key is a sequence"))
    }
    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, Self::Error> {
        Err(ser::Error::custom("map key is a tuple"))
    }
    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct, Self::Error> {
        Err(ser::Error::custom("map key is a tuple"))
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, Self::Error> {
        Err(ser::Error::custom("map key is a tuple"))
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, Self::Error> {
        Err(ser::Error::custom("map key is a map"))
    }
    fn serialize_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStruct, Self::Error> {
        Err(ser::Error::custom("map key is a struct"))
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, Self::Error> {
        Err(ser::Error::custom("map key is a struct"))
    }
}

macro_rules! ok_scalars {
    ($($m:ident: $t:ty),*) => {$(
        fn $m(self, _: $t) -> Result<(), Found> { Ok(()) }
    )*};
}

impl<'a> ser::Serializer for Checker<'a> {
    type Ok = ();
    type Error = Found;
    type SerializeSeq = Seq<'a>;
    type SerializeTuple = Seq<'a>;
    type SerializeTupleStruct = Seq<'a>;
    type SerializeTupleVariant = Seq<'a>;
    type SerializeMap = Seq<'a>;
    type SerializeStruct = Seq<'a>;
    type SerializeStructVariant = Seq<'a>;
    ok_scalars!(serialize_bool: bool, serialize_i8: i8, serialize_i16: i16, serialize_i32: i32,
        serialize_i64: i64, serialize_u8: u8, serialize_u16: u16, serialize_u32: u32,
        serialize_u64: u64, serialize_i128: i128, serialize_u128: u128, serialize_char: char,
        serialize_str: &str, serialize_bytes: &[u8], serialize_unit_struct: &'static str);
    fn serialize_f32(self, v: f32) -> Result<(), Found> {
        self.float(f64::from(v))
    }
    fn serialize_f64(self, v: f64) -> Result<(), Found> {
        self.float(v)
    }
    fn serialize_none(self) -> Result<(), Found> {
        Ok(())
    }
    fn serialize_some<T: Serialize + ?Sized>(self, v: &T) -> Result<(), Found> {
        v.serialize(self)
    }
    fn serialize_unit(self) -> Result<(), Found> {
        Ok(())
    }
    fn serialize_unit_variant(self, _: &'static str, _: u32, _: &'static str) -> Result<(), Found> {
        Ok(())
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        v: &T,
    ) -> Result<(), Found> {
        v.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        mut self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        v: &T,
    ) -> Result<(), Found> {
        self.at(variant.into(), v)
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Seq<'a>, Found> {
        Ok(Seq {
            c: self,
            i: 0,
            key: None,
        })
    }
    fn serialize_tuple(self, _: usize) -> Result<Seq<'a>, Found> {
        Ok(Seq {
            c: self,
            i: 0,
            key: None,
        })
    }
    fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<Seq<'a>, Found> {
        Ok(Seq {
            c: self,
            i: 0,
            key: None,
        })
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<Seq<'a>, Found> {
        self.path.push(variant.into());
        Ok(Seq {
            c: self,
            i: 0,
            key: None,
        })
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Seq<'a>, Found> {
        Ok(Seq {
            c: self,
            i: 0,
            key: None,
        })
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Seq<'a>, Found> {
        Ok(Seq {
            c: self,
            i: 0,
            key: None,
        })
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<Seq<'a>, Found> {
        self.path.push(variant.into());
        Ok(Seq {
            c: self,
            i: 0,
            key: None,
        })
    }
}

impl ser::SerializeSeq for Seq<'_> {
    type Ok = ();
    type Error = Found;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), Found> {
        self.element(v)
    }
    fn end(self) -> Result<(), Found> {
        Ok(())
    }
}

impl ser::SerializeTuple for Seq<'_> {
    type Ok = ();
    type Error = Found;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), Found> {
        self.element(v)
    }
    fn end(self) -> Result<(), Found> {
        Ok(())
    }
}

impl ser::SerializeTupleStruct for Seq<'_> {
    type Ok = ();
    type Error = Found;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), Found> {
        self.element(v)
    }
    fn end(self) -> Result<(), Found> {
        Ok(())
    }
}

impl ser::SerializeTupleVariant for Seq<'_> {
    type Ok = ();
    type Error = Found;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), Found> {
        self.element(v)
    }
    fn end(self) -> Result<(), Found> {
        self.c.path.pop();
        Ok(())
    }
}

impl ser::SerializeMap for Seq<'_> {
    type Ok = ();
    type Error = Found;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, k: &T) -> Result<(), Found> {
        // A float key is checked like any other float (serde_json refuses it anyway).
        let name = k.serialize(&mut KeyName)?;
        self.key = Some(name.unwrap_or_else(|| format!("[{}]", self.i)));
        self.i += 1;
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), Found> {
        let seg = self.key.take().unwrap_or_default();
        self.c.at(seg, v)
    }
    fn end(self) -> Result<(), Found> {
        Ok(())
    }
}

impl ser::SerializeStruct for Seq<'_> {
    type Ok = ();
    type Error = Found;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        name: &'static str,
        v: &T,
    ) -> Result<(), Found> {
        self.c.at(name.into(), v)
    }
    fn end(self) -> Result<(), Found> {
        Ok(())
    }
}

impl ser::SerializeStructVariant for Seq<'_> {
    type Ok = ();
    type Error = Found;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        name: &'static str,
        v: &T,
    ) -> Result<(), Found> {
        self.c.at(name.into(), v)
    }
    fn end(self) -> Result<(), Found> {
        self.c.path.pop();
        Ok(())
    }
}
