//! Utilities of the streaming layer.

pub mod clock;
pub(crate) mod dense_map;
pub(crate) mod state_map;
