//! `StorageLevel`: where and how a block is kept (Spark's constants, same names).

/// Where and how cached data is kept.
///
/// `*_2` levels are accepted for Spark compatibility; replication needs a cluster, so in local
/// mode one copy is kept.
///
/// ```
/// use ember_core::StorageLevel;
/// assert!(StorageLevel::MEMORY_AND_DISK_SER.use_disk);
/// assert!(!StorageLevel::MEMORY_ONLY_SER.deserialized);
/// assert_eq!(format!("{:?}", StorageLevel::MEMORY_ONLY), "StorageLevel(memory, deserialized, 1 replicas)");
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct StorageLevel {
    /// Blocks may live on local disk.
    pub use_disk: bool,
    /// Blocks may live in memory.
    pub use_memory: bool,
    /// In memory as typed records (`true`) or encoded bytes (`false`).
    pub deserialized: bool,
    /// Requested copies (only 1 is kept in local mode).
    pub replication: u8,
}

const fn level(use_disk: bool, use_memory: bool, deserialized: bool, replication: u8) -> StorageLevel {
    StorageLevel { use_disk, use_memory, deserialized, replication }
}

impl StorageLevel {
    /// Not stored.
    pub const NONE: StorageLevel = level(false, false, false, 1);
    /// Local files only.
    pub const DISK_ONLY: StorageLevel = level(true, false, false, 1);
    /// `DISK_ONLY`, two copies requested.
    pub const DISK_ONLY_2: StorageLevel = level(true, false, false, 2);
    /// Typed records in memory; evicted blocks are recomputed.
    pub const MEMORY_ONLY: StorageLevel = level(false, true, true, 1);
    /// `MEMORY_ONLY`, two copies requested.
    pub const MEMORY_ONLY_2: StorageLevel = level(false, true, true, 2);
    /// Encoded bytes in memory (compressed if `spark.rdd.compress`).
    pub const MEMORY_ONLY_SER: StorageLevel = level(false, true, false, 1);
    /// `MEMORY_ONLY_SER`, two copies requested.
    pub const MEMORY_ONLY_SER_2: StorageLevel = level(false, true, false, 2);
    /// Typed records in memory, spilled to disk when evicted.
    pub const MEMORY_AND_DISK: StorageLevel = level(true, true, true, 1);
    /// `MEMORY_AND_DISK`, two copies requested.
    pub const MEMORY_AND_DISK_2: StorageLevel = level(true, true, true, 2);
    /// Encoded bytes in memory, spilled to disk when evicted.
    pub const MEMORY_AND_DISK_SER: StorageLevel = level(true, true, false, 1);
    /// `MEMORY_AND_DISK_SER`, two copies requested.
    pub const MEMORY_AND_DISK_SER_2: StorageLevel = level(true, true, false, 2);
}

impl std::fmt::Debug for StorageLevel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut parts = Vec::new();
        if self.use_disk {
            parts.push("disk");
        }
        if self.use_memory {
            parts.push("memory");
        }
        parts.push(if self.deserialized { "deserialized" } else { "serialized" });
        write!(f, "StorageLevel({}, {} replicas)", parts.join(", "), self.replication)
    }
}
