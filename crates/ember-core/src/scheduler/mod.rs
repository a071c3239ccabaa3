//! Scheduling: the DAG scheduler cuts a job into stages at shuffle boundaries and runs each
//! stage's tasks on a fixed pool of executor threads, retrying failed tasks.

pub(crate) mod dag_scheduler;
pub(crate) use dag_scheduler as dag_hooks;
pub(crate) use dag_scheduler::raise;
mod executor;
pub mod listener;
mod task_context;

pub(crate) use executor::Executor;
pub use task_context::TaskContext;
pub(crate) use task_context::TaskMetrics;
