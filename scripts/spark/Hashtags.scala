// The per-batch hashtag job on Spark's JVM APIs, run by `spark-shell -i` (scripts/spark/side_by_side.sh):
//
//   dstream      Scala DStreams: lines.flatMap(split).filter(startsWith "#").map((w, 1))
//                .reduceByKey(+).transform(sortBy count desc), take(10) every batch
//   structured   Structured Streaming, per batch (foreachBatch) with Spark SQL's built-ins:
//                explode(split(value)), filter, groupBy.count, orderBy(desc).limit(10)
//
// Each gets the input file as one batch, `warm-up + measured` times, from memory: DStreams
// through `queueStream` of one cached, materialised RDD; Structured Streaming through a
// `MemoryStream` fed the file's lines before each batch. Prints one line:
//
//   spark api=<dstream|structured> records_per_sec=<f> median_ms=<f> lines=<n> batches=<n>
//
// Settings from the environment: HASHTAGS_INPUT, HASHTAGS_API, SPARK_BATCHES, SPARK_WARMUP,
// SPARK_BATCH_SECONDS (DStreams' interval: longer than a batch's time).
import scala.collection.mutable
import org.apache.spark.streaming.{Seconds, StreamingContext}
import org.apache.spark.streaming.scheduler.{StreamingListener, StreamingListenerBatchCompleted}
import org.apache.spark.sql.functions.{col, desc, explode, split}
import org.apache.spark.sql.execution.streaming.runtime.MemoryStream

val input = sys.env("HASHTAGS_INPUT")
val api = sys.env.getOrElse("HASHTAGS_API", "dstream")
val batches = sys.env.getOrElse("SPARK_BATCHES", "10").toInt
val warmup = sys.env.getOrElse("SPARK_WARMUP", "1").toInt
val batchSeconds = sys.env.getOrElse("SPARK_BATCH_SECONDS", "4").toInt
sc.setLogLevel("WARN")

def median(xs: Seq[Double]): Double = {
  val s = xs.sorted
  if (s.size % 2 == 1) s(s.size / 2) else (s(s.size / 2 - 1) + s(s.size / 2)) / 2
}

val times: Seq[Double] = api match {
  case "dstream" =>
    val lines = sc.textFile(input, sc.defaultParallelism).cache()
    lines.count()
    val ssc = new StreamingContext(sc, Seconds(batchSeconds.toLong))
    val done = new java.util.concurrent.ConcurrentLinkedQueue[Double]()
    // A batch's own time: from its batch time (when its jobs start being generated; sortBy
    // runs its sampling jobs then) to the end of its last job.
    ssc.addStreamingListener(new StreamingListener {
      override def onBatchCompleted(b: StreamingListenerBatchCompleted): Unit = {
        val i = b.batchInfo
        i.processingEndTime.foreach(end => done.add((end - i.batchTime.milliseconds).toDouble))
      }
    })
    val queue = mutable.Queue.fill(warmup + batches)(lines)
    ssc.queueStream(queue, oneAtATime = true)
      .flatMap(_.split(" "))
      .filter(_.startsWith("#"))
      .map((_, 1))
      .reduceByKey(_ + _)
      .transform(_.sortBy(_._2, ascending = false))
      .foreachRDD(rdd => rdd.take(10))
    ssc.start()
    while (done.size < warmup + batches) Thread.sleep(50)
    ssc.stop(stopSparkContext = false, stopGracefully = false)
    done.toArray.map(_.asInstanceOf[Double]).toSeq.drop(warmup)
  case "structured" =>
    implicit val ctx: org.apache.spark.sql.SQLContext = spark.sqlContext
    import spark.implicits._
    val lines = scala.io.Source.fromFile(input, "UTF-8").getLines().toVector
    val stream = MemoryStream[String]
    val query = stream.toDS().writeStream
      .foreachBatch { (df: org.apache.spark.sql.Dataset[String], _: Long) =>
        df.select(explode(split(col("value"), " ")).as("w"))
          .filter(col("w").startsWith("#"))
          .groupBy("w").count()
          .orderBy(desc("count"))
          .limit(10)
          .collect()
        ()
      }
      .start()
    val ms = (0 until warmup + batches).map { _ =>
      stream.addData(lines)
      val start = System.nanoTime()
      query.processAllAvailable()
      (System.nanoTime() - start) / 1e6
    }
    query.stop()
    ms.drop(warmup)
}

val lineCount = scala.io.Source.fromFile(input, "UTF-8").getLines().size
val m = median(times)
println(f"spark api=$api records_per_sec=${lineCount / (m / 1000.0)}%.1f median_ms=$m%.1f lines=$lineCount batches=${times.size}")
System.exit(0)
