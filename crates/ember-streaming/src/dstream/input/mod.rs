//! Input streams: where batches come from.

pub(crate) mod queue;
