//! `ExecutionMemory`: the execution (shuffle) memory a map task holds, returned on drop.

use super::BlockManager;

/// Execution memory claimed by one running map task from the shared budget.
///
/// Dropping it returns what it holds, so a task that fails part way (its user code panics,
/// a spill cannot be written) gives back its memory as it unwinds. A task that succeeds hands
/// the memory on to its map output with [`hand_over`](Self::hand_over); the shuffle then holds
/// it until the shuffle is removed.
pub(crate) struct ExecutionMemory<'a> {
    blocks: &'a BlockManager,
    bytes: u64,
}

impl<'a> ExecutionMemory<'a> {
    /// Holds nothing yet.
    pub(crate) fn new(blocks: &'a BlockManager) -> ExecutionMemory<'a> {
        ExecutionMemory { blocks, bytes: 0 }
    }

    /// Bytes currently held.
    pub(crate) fn held(&self) -> u64 {
        self.bytes
    }

    /// Claims `bytes` more, evicting cached blocks if needed; false if the budget cannot make room.
    pub(crate) fn acquire(&mut self, bytes: u64) -> bool {
        let acquired = self.blocks.acquire_execution(bytes);
        if acquired {
            self.bytes += bytes;
        }
        acquired
    }

    /// Returns everything held to the budget (after the task spilled what the memory was for).
    pub(crate) fn release(&mut self) {
        if self.bytes > 0 {
            self.blocks.release_execution(std::mem::take(&mut self.bytes));
        }
    }

    /// Stops holding the memory without returning it: the caller now accounts for these bytes.
    pub(crate) fn hand_over(mut self) -> u64 {
        std::mem::take(&mut self.bytes)
    }
}

impl Drop for ExecutionMemory<'_> {
    fn drop(&mut self) {
        self.release();
    }
}
