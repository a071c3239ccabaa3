//! Stopping the engine: running tasks finish before `stop` returns and removes the local
//! directory, and stopping from inside a task does not wait for itself.

use ember_core::{Conf, Context};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

#[test]
fn stop_waits_for_running_tasks_before_removing_the_local_directory() {
    let ctx = Context::new(Conf::empty().master("local[2]")).unwrap();
    let (started, finished) = (Arc::new(AtomicBool::new(false)), Arc::new(AtomicBool::new(false)));
    let (s, f, dir) = (started.clone(), finished.clone(), ctx.local_dir().to_path_buf());
    let rdd = ctx.parallelize(vec![1], 1).map(move |x: i32| {
        s.store(true, Ordering::SeqCst);
        std::thread::sleep(Duration::from_millis(300));
        // The task still sees its engine's directory: stop has not removed it yet.
        f.store(dir.is_dir(), Ordering::SeqCst);
        x
    });
    let job = std::thread::spawn(move || rdd.collect());
    while !started.load(Ordering::SeqCst) {
        std::thread::sleep(Duration::from_millis(1));
    }
    ctx.stop();
    assert!(finished.load(Ordering::SeqCst), "stop returned before the running task ended");
    assert!(!ctx.local_dir().exists());
    assert_eq!(job.join().unwrap().unwrap(), vec![1]);
}

#[test]
fn stop_from_inside_a_task_returns() {
    let ctx = Context::new(Conf::empty().master("local[1]")).unwrap();
    let inner = ctx.clone();
    let result = ctx
        .parallelize(vec![1, 2], 1)
        .map(move |x: i32| {
            inner.stop();
            x
        })
        .collect();
    assert_eq!(result.unwrap(), vec![1, 2]);
    assert!(ctx.is_stopped());
}
