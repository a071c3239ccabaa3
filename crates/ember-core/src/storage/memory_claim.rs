//! `MemoryClaim`: long-lived memory held outside the block store, counted in its budget.

use crate::Context;
use std::sync::atomic::{AtomicU64, Ordering};

static NEXT_CLAIM: AtomicU64 = AtomicU64::new(1);

/// A share of the memory budget held by something the block store does not own, such as a
/// stream's keyed state. Cached blocks are evicted to make room for it; it is released on drop.
/// Its size shows in [`BlockManagerStats::state_memory`](crate::BlockManagerStats::state_memory).
///
/// ```
/// # let ctx = ember_core::Context::local(1).unwrap();
/// let claim = ctx.claim_memory();
/// claim.set(4096);
/// assert_eq!(ctx.block_manager_stats().state_memory, 4096);
/// drop(claim);
/// assert_eq!(ctx.block_manager_stats().state_memory, 0);
/// ```
pub struct MemoryClaim {
    ctx: Context,
    id: u64,
}

impl MemoryClaim {
    pub(crate) fn new(ctx: Context) -> MemoryClaim {
        MemoryClaim { ctx, id: NEXT_CLAIM.fetch_add(1, Ordering::Relaxed) }
    }

    /// Sets the claimed size to `bytes`.
    pub fn set(&self, bytes: u64) {
        self.ctx.block_manager().set_claim(self.id, bytes);
    }
}

impl Drop for MemoryClaim {
    fn drop(&mut self) {
        self.set(0);
    }
}

impl std::fmt::Debug for MemoryClaim {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "MemoryClaim({})", self.id)
    }
}
