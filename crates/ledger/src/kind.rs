//! The transaction kinds: the byte that opens every encoding and the name clients see, expanded
//! from the one list in [`crate::dispatch`].

macro_rules! kinds {
    ($($variant:ident = $byte:literal => $name:literal, $body:ty;)*) => {
        /// A transaction kind. The discriminant is the encoding's first byte.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
        #[serde(rename_all = "snake_case")]
        #[repr(u8)]
        pub enum Kind {
            $($variant = $byte,)*
        }

        impl Kind {
            /// Every kind, in encoding order.
            pub const ALL: &'static [Kind] = &[$(Kind::$variant,)*];

            /// The snake-case name, as in JSON.
            pub fn name(self) -> &'static str {
                match self {
                    $(Kind::$variant => $name,)*
                }
            }
        }
    };
}

crate::dispatch::with_kinds!(kinds);

impl Kind {
    pub fn from_u8(byte: u8) -> Option<Self> {
        Self::ALL.iter().copied().find(|kind| *kind as u8 == byte)
    }
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::Kind;

    /// Serde's names are the published names, and the bytes round-trip.
    #[test]
    fn names_and_bytes_agree() {
        for kind in Kind::ALL {
            let json = serde_json::to_string(kind).unwrap();
            assert_eq!(json, format!("\"{}\"", kind.name()));
            assert_eq!(Kind::from_u8(*kind as u8), Some(*kind));
        }
        assert_eq!(Kind::from_u8(0), None);
    }
}
