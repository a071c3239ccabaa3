import org.apache.spark.SparkConf;
import org.apache.spark.storage.StorageLevel;
import org.apache.spark.streaming.Duration;
import org.apache.spark.streaming.api.java.*;
import org.apache.spark.streaming.scheduler.StreamingListener;
import org.apache.spark.streaming.scheduler.StreamingListenerBatchCompleted;
import scala.Tuple2;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/** Windowed word count on Spark Streaming (reduceByKeyAndWindow with an inverse function),
 *  for bench/compare_windowed.sh: runs RUN_S seconds, then prints the processing and
 *  scheduling delays of the batches whose window was full. */
public class WindowedWordCountBench {
  public static void main(String[] a) throws Exception {
    String master = a[0]; int port = Integer.parseInt(a[1]);
    int batchMs = Integer.parseInt(a[2]); int windowS = Integer.parseInt(a[3]);
    int runS = Integer.parseInt(a[4]); String checkpoint = a[5];
    SparkConf conf = new SparkConf().setMaster(master).setAppName("windowed")
        .set("spark.ui.enabled", "false").set("spark.ui.showConsoleProgress", "false");
    JavaStreamingContext ssc = new JavaStreamingContext(conf, new Duration(batchMs));
    ssc.sparkContext().setLogLevel("ERROR");
    ssc.checkpoint(checkpoint);
    JavaPairDStream<String, Long> counts = ssc
        .socketTextStream("127.0.0.1", port, StorageLevel.MEMORY_AND_DISK_SER())
        .flatMap(l -> Arrays.asList(l.split(" ")).iterator())
        .mapToPair(w -> new Tuple2<>(w, 1L))
        .reduceByKeyAndWindow(Long::sum, (x, y) -> x - y, new Duration(windowS * 1000L), new Duration(batchMs));
    counts.foreachRDD(rdd -> { rdd.count(); });
    List<long[]> batches = Collections.synchronizedList(new ArrayList<>());
    ssc.addStreamingListener(new StreamingListener() {
      @Override public void onBatchCompleted(StreamingListenerBatchCompleted c) {
        batches.add(new long[] {
          (Long) c.batchInfo().processingDelay().get(), (Long) c.batchInfo().schedulingDelay().get(),
          c.batchInfo().numRecords() });
      }
    });
    ssc.start();
    Thread.sleep(runS * 1000L);
    Report.print(batches, windowS * 1000 / batchMs);
    Runtime.getRuntime().halt(0);
  }
}

class Report {
  /** "full_batches N p50_ms P p95_ms Q max_ms M max_sched_ms S lines L" over batches past the first window. */
  static void print(List<long[]> all, int skip) {
    List<long[]> full;
    synchronized (all) { full = new ArrayList<>(all.subList(Math.min(skip, all.size()), all.size())); }
    long[] proc = full.stream().mapToLong(b -> b[0]).sorted().toArray();
    long sched = full.stream().mapToLong(b -> b[1]).max().orElse(-1);
    long lines = full.stream().mapToLong(b -> b[2]).sum();
    int n = proc.length;
    System.out.println("full_batches " + n + " p50_ms " + (n > 0 ? proc[n / 2] : -1)
        + " p95_ms " + (n > 0 ? proc[(int) (n * 0.95)] : -1) + " max_ms " + (n > 0 ? proc[n - 1] : -1)
        + " max_sched_ms " + sched + " lines " + lines);
    System.out.flush();
  }
}
