//! Input streams: where batches come from.

pub(crate) mod queue;
mod receiver_input;
pub mod socket;
