//! The one list of transaction kinds: its byte, its published name and the body that implements
//! it. Adding an operation is one line here (plus its module under [`crate::ops`]).
//!
//! The list is a macro so that two modules can expand it without importing each other:
//! [`crate::kind`] builds the `Kind` enum (which state records and errors name, so it must not
//! depend on the operations), and [`crate::tx`] builds the `Transaction` enum and its dispatch.
//! The byte order is part of the state encoding (records store a kind by its byte), so a new kind
//! takes the next byte.

macro_rules! with_kinds {
    ($expand:ident) => {
        $expand! {
            CreateGroup = 1 => "create_group", crate::ops::group::CreateGroup;
            AdvanceGroupEpoch = 2 => "advance_group_epoch", crate::ops::group::AdvanceGroupEpoch;
            Register = 3 => "register", crate::ops::mda::Register;
            Authorize = 4 => "authorize", crate::ops::mda::Authorize;
            Extract = 5 => "extract", crate::ops::mda::Extract;
            Note = 6 => "note", crate::ops::note::Note;
            Payout = 7 => "payout", crate::ops::rewards::Payout;
            Revenue = 8 => "revenue", crate::ops::rewards::Revenue;
            Withdraw = 9 => "withdraw", crate::ops::rewards::Withdraw;
            WithdrawConsent = 10 => "withdraw_consent", crate::ops::consent::WithdrawConsent;
        }
    };
}

pub(crate) use with_kinds;
