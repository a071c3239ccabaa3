//! What users hit when things go wrong: panicking closures, a tiny memory budget, bad input,
//! existing output, a stopped context. Each asserts the message the user sees.

use ember_core::listener::{SchedulerEvent, SparkListener};
use ember_core::{Conf, Context, Error, StorageLevel};
use parking_lot::Mutex;
use std::sync::Arc;

#[derive(Default)]
struct TaskFailures(Mutex<Vec<(usize, usize, String)>>);

impl SparkListener for TaskFailures {
    fn on_event(&self, e: &SchedulerEvent) {
        if let SchedulerEvent::TaskEnd(t) = e {
            if let Some(err) = &t.error {
                self.0.lock().push((t.partition, t.attempt, err.clone()));
            }
        }
    }
}

#[test]
fn panicking_closure_is_retried_then_fails_the_job_with_its_message() {
    let sc = Context::new(Conf::empty().master("local[2]").set("spark.task.maxFailures", "3")).unwrap();
    let failures = Arc::new(TaskFailures::default());
    sc.add_listener(failures.clone());
    let err = sc
        .parallelize((0..10).collect::<Vec<i32>>(), 2)
        .map(|x| if x == 7 { panic!("bad record {x}") } else { x })
        .collect()
        .unwrap_err();
    match &err {
        Error::JobFailed { partition, attempts, message, .. } => {
            assert_eq!((*partition, *attempts), (1, 3));
            assert_eq!(message, "panic: bad record 7");
        }
        other => panic!("unexpected {other:?}"),
    }
    let text = err.to_string();
    assert!(text.starts_with("Job aborted due to stage failure: Task 1 in stage "), "{text}");
    assert!(text.contains(".0 failed 3 times, most recent failure: Lost task 1.2 in stage "), "{text}");
    assert!(text.ends_with(": panic: bad record 7"), "{text}");
    sc.wait_for_listeners();
    let seen = failures.0.lock().clone();
    assert_eq!(seen.iter().map(|f| f.1).collect::<Vec<_>>(), vec![0, 1, 2], "three attempts of partition 1");
    // The context is still usable.
    assert_eq!(sc.parallelize(vec![1, 2, 3], 2).count().unwrap(), 3);
}

#[test]
fn local_n_f_master_sets_the_attempts() {
    let sc = Context::new(Conf::empty().master("local[2,1]")).unwrap();
    let err = sc.parallelize(vec![1], 1).map(|_: i32| -> i32 { panic!("once") }).count().unwrap_err();
    assert!(matches!(err, Error::JobFailed { attempts: 1, .. }), "{err}");
}

#[test]
fn panic_in_the_map_stage_of_a_shuffle_names_that_stage() {
    let sc = Context::new(Conf::empty().master("local[2,2]")).unwrap();
    let err = sc
        .parallelize(vec![(1, 1), (2, 2)], 2)
        .map(|(k, v)| if k == 2 { panic!("map side") } else { (k, v) })
        .reduce_by_key(|a, b| a + b)
        .collect()
        .unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, Error::JobFailed { partition: 1, attempts: 2, .. }), "{text}");
    assert!(text.contains("panic: map side"));
    assert_eq!(sc.live_shuffles(), 0, "the failed shuffle's RDDs are gone, so are its outputs");
}

/// A word-count style job with a budget so small every map task spills.
#[test]
fn tiny_memory_budget_spills_and_gives_the_same_answers() {
    let words: Vec<String> = (0..60_000).map(|i| format!("word{}", (i * 7919) % 20_000)).collect();
    let run = |conf: Conf| {
        let sc = Context::new(conf).unwrap();
        let spilled = Arc::new(Mutex::new(0u64));
        struct Spills(Arc<Mutex<u64>>);
        impl SparkListener for Spills {
            fn on_event(&self, e: &SchedulerEvent) {
                if let SchedulerEvent::TaskEnd(t) = e {
                    *self.0.lock() += t.shuffle_bytes_spilled;
                }
            }
        }
        sc.add_listener(Arc::new(Spills(spilled.clone())));
        let rdd = sc.parallelize(words.clone(), 4);
        let counts_rdd = rdd.map(|w| (w, 1u64)).reduce_by_key(|a, b| a + b);
        let mut counts = counts_rdd.collect().unwrap();
        counts.sort();
        let spill_dir = sc.local_dir().join("shuffle");
        let files_live = std::fs::read_dir(&spill_dir).map(|d| d.count()).unwrap_or(0);
        drop(counts_rdd);
        let mut groups: Vec<(String, usize)> =
            rdd.map(|w| (w, 1u8)).group_by_key().map_values(|v| v.len()).collect().unwrap();
        groups.sort();
        let sorted = rdd.map(|w| (w, ())).sort_by_key(true, 3).unwrap().keys().collect().unwrap();
        sc.wait_for_listeners();
        let spilled = *spilled.lock();
        (counts, groups, sorted, spilled, files_live, sc)
    };
    let (c1, g1, s1, spilled_big, _, _) = run(Conf::empty().master("local[2]"));
    let local = tempfile::tempdir().unwrap();
    let tiny = Conf::empty()
        .master("local[2]")
        .set("spark.driver.memory", "200k")
        .set("spark.local.dir", local.path().to_str().unwrap());
    let (c2, g2, s2, spilled_tiny, files_during, sc) = run(tiny);
    assert_eq!(spilled_big, 0);
    assert!(spilled_tiny > 0, "the tiny budget must spill");
    assert!(files_during > 0, "spill files live while their shuffle is referenced");
    assert_eq!((c1.len(), g1.len()), (20_000, 20_000));
    assert_eq!(c1, c2);
    assert_eq!(g1, g2);
    assert_eq!(s1, s2);
    assert_eq!(c2.iter().map(|(_, n)| n).sum::<u64>(), 60_000);
    // Every RDD of the jobs has been dropped: spill files and execution memory are released.
    assert_eq!(std::fs::read_dir(sc.local_dir().join("shuffle")).map(|d| d.count()).unwrap_or(0), 0);
    assert_eq!(sc.block_manager_stats().execution_memory, 0);
    sc.stop();
    assert!(!sc.local_dir().exists(), "the local dir is removed on stop");
}

#[test]
fn cache_over_budget_evicts_and_still_answers() {
    let sc = Context::new(Conf::empty().master("local[2]").set("spark.driver.memory", "100k")).unwrap();
    let a = sc.parallelize((0..5000u64).collect(), 2).persist(StorageLevel::MEMORY_ONLY);
    let b = sc.parallelize((0..5000u64).collect(), 2).persist(StorageLevel::MEMORY_AND_DISK);
    for _ in 0..3 {
        assert_eq!(a.count().unwrap(), 5000);
        assert_eq!(b.map(|x| x * 2).reduce(|x, y| x + y).unwrap(), Some(5000 * 4999));
    }
    let stats = sc.block_manager_stats();
    assert!(stats.evictions > 0, "{stats:?}");
    assert!(stats.storage_memory <= stats.budget, "{stats:?}");
    assert!(stats.disk_blocks > 0, "MEMORY_AND_DISK blocks went to disk: {stats:?}");
}

#[test]
fn non_utf8_line_fails_with_file_and_offset_and_lossy_reads_it() {
    let sc = Context::new(Conf::empty().master("local[2,1]")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.txt");
    std::fs::write(&path, b"good line\nbad \xff\xfe line\nlast\n").unwrap();
    let err = sc.text_file(&path, 1).unwrap().count().unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains(&format!("Malformed UTF-8 in {} at byte offset 14", path.display())), "{msg}");
    assert!(msg.contains("use text_file_lossy"), "{msg}");
    let lines = sc.text_file_lossy(&path, 1).unwrap().collect().unwrap();
    assert_eq!(lines, vec!["good line".to_string(), "bad \u{fffd}\u{fffd} line".into(), "last".into()]);
}

#[test]
fn text_file_reads_directories_and_globs() {
    let sc = Context::local(2).unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.txt"), "a1\na2\n").unwrap();
    std::fs::write(dir.path().join("b.txt"), "b1\n").unwrap();
    std::fs::write(dir.path().join("c.log"), "c1\n").unwrap();
    std::fs::write(dir.path().join(".hidden"), "h\n").unwrap();
    std::fs::write(dir.path().join("_SUCCESS"), "").unwrap();
    let all = sc.text_file(dir.path(), 2).unwrap().collect().unwrap();
    assert_eq!(all, vec!["a1", "a2", "b1", "c1"]);
    let glob = sc.text_file(dir.path().join("*.txt"), 2).unwrap().collect().unwrap();
    assert_eq!(glob, vec!["a1", "a2", "b1"]);
    let err = sc.text_file(dir.path().join("*.csv"), 2).unwrap_err();
    assert_eq!(err.to_string(), format!("Input path does not exist: {}", dir.path().join("*.csv").display()));
}

#[test]
fn save_as_text_file_uses_spark_layout_and_refuses_existing_output() {
    let sc = Context::local(2).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let rdd = sc.parallelize(vec![1, 2, 3, 4, 5], 3);
    rdd.save_as_text_file(&out).unwrap();
    let mut names: Vec<String> =
        std::fs::read_dir(&out).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    names.sort();
    assert_eq!(names, vec!["_SUCCESS", "part-00000", "part-00001", "part-00002"]);
    assert_eq!(std::fs::read_to_string(out.join("part-00000")).unwrap(), "1\n");
    assert_eq!(
        sc.text_file(&out, 1).unwrap().map(|l| l.parse::<i32>().unwrap()).collect().unwrap(),
        vec![1, 2, 3, 4, 5]
    );
    let err = rdd.save_as_text_file(&out).unwrap_err();
    assert_eq!(err.to_string(), format!("Output directory {} already exists", out.display()));
    let err = rdd.save_as_object_file(&out).unwrap_err();
    assert!(matches!(err, Error::OutputExists { .. }));
    assert_eq!(std::fs::read_to_string(out.join("part-00000")).unwrap(), "1\n", "not overwritten");
}

#[test]
fn stopped_context_refuses_jobs() {
    let sc = Context::local(2).unwrap();
    let rdd = sc.parallelize(vec![1, 2], 2);
    sc.stop();
    sc.stop(); // harmless
    assert!(sc.is_stopped());
    let err = rdd.count().unwrap_err();
    assert_eq!(err.to_string(), "Cannot call methods on a stopped Context.");
}

#[test]
fn bad_configuration_is_a_clear_error() {
    let err = Context::new(Conf::empty().master("spark://host:7077")).err().unwrap();
    assert!(err.to_string().starts_with("Invalid value 'spark://host:7077' for configuration key 'spark.master'"));
    let err = Context::new(Conf::empty().master("local[2]").set("spark.driver.memory", "lots")).err().unwrap();
    assert_eq!(
        err.to_string(),
        "Invalid value 'lots' for configuration key 'spark.driver.memory': expected a size such as 512m or 2g"
    );
}

#[test]
fn unwritable_local_dir_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("file");
    std::fs::write(&file, "x").unwrap();
    let err =
        Context::new(Conf::empty().master("local[1]").set("spark.local.dir", file.to_str().unwrap())).err().unwrap();
    assert!(err.to_string().starts_with("Cannot create spark.local.dir"), "{err}");
}
