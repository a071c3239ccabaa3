//! Utilities of the streaming layer.

pub mod clock;
