import org.apache.spark.SparkConf;
import org.apache.spark.storage.StorageLevel;
import org.apache.spark.streaming.Duration;
import org.apache.spark.streaming.api.java.*;
import org.apache.spark.streaming.scheduler.BatchInfo;
import org.apache.spark.streaming.scheduler.StreamingListener;
import org.apache.spark.streaming.scheduler.StreamingListenerBatchCompleted;
import scala.Tuple2;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/** Network word count on Spark Streaming for bench/compare_latency.sh, the same pipeline and
 *  report as crates/ember/examples/latency_bench.rs: runs RUN_S seconds on lines offered at a
 *  fixed rate, then prints the total delay (batch time to end of its last job) of the batches
 *  after the first two seconds. The block interval is a quarter of the batch, at most 200 ms. */
public class LatencyBench {
  public static void main(String[] a) throws Exception {
    String master = a[0]; int port = Integer.parseInt(a[1]);
    long batchMs = Long.parseLong(a[2]); long runS = Long.parseLong(a[3]);
    long blockMs = Math.max(1, Math.min(200, batchMs / 4));
    SparkConf conf = new SparkConf().setMaster(master).setAppName("latency")
        .set("spark.ui.enabled", "false").set("spark.ui.showConsoleProgress", "false")
        .set("spark.streaming.blockInterval", blockMs + "ms");
    JavaStreamingContext ssc = new JavaStreamingContext(conf, new Duration(batchMs));
    ssc.sparkContext().setLogLevel("ERROR");
    ssc.socketTextStream("127.0.0.1", port, StorageLevel.MEMORY_AND_DISK_SER())
        .flatMap(l -> Arrays.asList(l.split(" ")).iterator())
        .mapToPair(w -> new Tuple2<>(w, 1L))
        .reduceByKey(Long::sum)
        .foreachRDD(rdd -> { rdd.map(t -> t._2()).fold(0L, Long::sum); });
    List<long[]> batches = Collections.synchronizedList(new ArrayList<>());
    ssc.addStreamingListener(new StreamingListener() {
      @Override public void onBatchCompleted(StreamingListenerBatchCompleted c) {
        BatchInfo b = c.batchInfo();
        batches.add(new long[] {
          (Long) b.totalDelay().get(), (Long) b.processingDelay().get(), (Long) b.schedulingDelay().get(),
          b.numRecords() });
      }
    });
    ssc.start();
    Thread.sleep(runS * 1000L);
    List<long[]> m;
    synchronized (batches) {
      m = new ArrayList<>(batches.subList((int) Math.min(2000 / batchMs, batches.size()), batches.size()));
    }
    System.out.println("batches " + m.size() + " of " + Math.max(0, runS * 1000 - 2000) / batchMs
        + " p50_total_ms " + quantile(m, 0, 0.5) + " p99_total_ms " + quantile(m, 0, 0.99)
        + " max_total_ms " + quantile(m, 0, 1.0) + " p99_processing_ms " + quantile(m, 1, 0.99)
        + " p99_sched_ms " + quantile(m, 2, 0.99) + " max_sched_ms " + quantile(m, 2, 1.0) + " lines " + m.stream().mapToLong(b -> b[3]).sum());
    System.out.flush();
    Runtime.getRuntime().halt(0);
  }

  /** The q quantile (nearest rank) of column i, or -1 when there are no batches. */
  static long quantile(List<long[]> rows, int i, double q) {
    long[] v = rows.stream().mapToLong(b -> b[i]).sorted().toArray();
    if (v.length == 0) return -1;
    return v[Math.min(v.length, Math.max(1, (int) Math.ceil(v.length * q))) - 1];
  }
}
