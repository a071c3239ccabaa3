//! Input streams: where batches come from.

pub(crate) mod file_input;
pub(crate) mod queue;
mod receiver_input;
pub mod socket;
