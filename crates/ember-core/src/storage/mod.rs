//! The block store: cached RDD partitions and received stream blocks, at a storage level,
//! within a memory budget.

mod block_file;
mod block_manager;
mod execution_memory;
mod memory_claim;
mod size;
mod storage_level;

pub use block_manager::BlockManagerStats;
pub(crate) use block_manager::{BlockId, BlockManager};
pub(crate) use execution_memory::ExecutionMemory;
pub use memory_claim::MemoryClaim;
pub(crate) use size::estimate_size;
pub use storage_level::StorageLevel;
