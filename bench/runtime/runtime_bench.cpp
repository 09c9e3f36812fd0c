// runtime_bench: the stage runtime against the floors of the servers it runs on.
//
// In one run, for each concurrency, side by side on the same RabbitMQ and MariaDB:
//   (a) broker floor: N messages preloaded into paypipe.test-echo; C threads, each with its own
//       Consumer and Publisher (the project's adapters over rabbitmq-c), take a batch of buffered
//       deliveries, publish one message per delivery to the sink queue with one confirm wait per
//       batch, then ack the batch with one multiple-ack. The runtime's broker work without any
//       database.
//   (b) database floor: C threads, each with its own connection, commit single-row INSERT
//       transactions (START TRANSACTION, INSERT, COMMIT statement) into a table shaped like
//       test_echo_effects for a fixed time (--db-seconds).
//   (c) runtime: the same N messages preloaded, then a real `paypipe worker test-echo` process
//       (PAYPIPE_CONCURRENCY=C) is started and runs until every outbox row is published.
// Diagnostic, not part of the target:
//   (d) runtime, broker stubbed: the runtime's BatchProcessor in this process, C threads with a
//       real DbMessageStore each and in-memory stand-ins for the consumer and the publisher
//       (every publish confirmed at once), batches of the size (c) achieved. What the protocol's
//       database side and the worker's own code cost without any broker.
// Rates: (a) first delivery to last ack; (b) start to last commit; (c) first inbox row
// (inbox.received_at) to last outbox row marked published (outbox.published_at), both written by
// the server during the run. CPU: utime+stime from /proc/<pid>/stat of the worker (or of this
// process for the floors), the broker's VM and mariadbd, over the phase; run-queue wait: the
// same processes' threads' time runnable but without a CPU (/proc/.../schedstat). Database work:
// SHOW GLOBAL STATUS deltas (COMMIT statements, autocommit UPDATEs, Questions, Handler_write +
// Handler_update, Innodb_data_fsyncs).
//
// Needs PAYPIPE_AMQP_URL and PAYPIPE_MYSQL_URL (the servers of scripts/services.sh). Uses the
// broker's queues paypipe.test-echo* (deleted and declared again) and a database of its own
// (dropped and created again). See bench/runtime/run.sh and RESULTS.md.

#include <fcntl.h>
#include <spawn.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <latch>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include "paypipe/cli/migrate/migration_source.hpp"
#include "paypipe/cli/migrate/migrator.hpp"
#include "paypipe/infra/amqp/admin.hpp"
#include "paypipe/infra/amqp/consumer.hpp"
#include "paypipe/infra/amqp/publisher.hpp"
#include "paypipe/infra/db/connection.hpp"
#include "paypipe/infra/db/driver.hpp"
#include "paypipe/runtime/amqp_ports.hpp"
#include "paypipe/runtime/batch_processor.hpp"
#include "paypipe/runtime/db_store.hpp"
#include "paypipe/runtime/envelope.hpp"
#include "paypipe/runtime/fault_points.hpp"
#include "paypipe/runtime/stage_stats.hpp"
#include "paypipe/runtime/topology/topology.hpp"
#include "paypipe/runtime/worker.hpp"
#include "paypipe/test_stage/echo_stage.hpp"

namespace paypipe::bench {
namespace {

using namespace std::chrono_literals;
using SteadyClock = std::chrono::steady_clock;
namespace amqp = infra::amqp;
namespace db = infra::db;

// The test-echo stage with the production defaults of topology/topology.json and the two 1 s
// retry tiers `paypipe worker test-echo` assumes.
constexpr std::string_view kTopologyJson = R"({
  "version": 1,
  "exchanges": {"work": "paypipe.work", "retry": "paypipe.retry", "dead_letter": "paypipe.dlx"},
  "defaults": {"delivery_limit": 10, "max_length": 1000000, "retry_max_length": 1000000,
               "dlq_max_length": 5000000},
  "stages": [{"name": "test-echo", "retry_tiers_seconds": [1, 1]}]
})";
constexpr std::string_view kSinkQueue = "paypipe.test-echo-sink";
constexpr std::string_view kDatabase = "paypipe_bench";
// The DB floor's table: the test stage's effects table, copied (columns and indexes).
constexpr std::string_view kFloorTable = "CREATE TABLE bench_db_floor LIKE test_echo_effects";
// What the runtime's derived messages carry; the broker floor sends the same shape.
constexpr std::string_view kTraceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

struct Options {
  std::string paypipe = "build/release/workers/cli/paypipe";
  std::vector<int> concurrency{1, 8};
  int messages = 60'000;
  int memory_messages = 1'000'000;  // backlog of phase m
  double db_seconds = 10;
  int repeat = 1;
  // The broker floor's bounds: the worker's defaults (PAYPIPE_BATCH_SIZE, PAYPIPE_AMQP_PREFETCH).
  int batch = 64;
  int prefetch = 128;
  std::vector<std::string> worker_env;  // extra PAYPIPE_*=value settings for the worker
  int broker_pid = 0;
  int db_pid = 0;
  std::string log_dir = ".";
  std::string only;  // any of "abcdm"; empty: all
};

[[noreturn]] void Fail(const std::string& what) { throw std::runtime_error(what); }

template <typename T>
T Must(domain::Result<T> result, std::string_view what) {
  if (!result.ok()) Fail(std::string(what) + ": " + result.error().ToString());
  return std::move(result).value();
}

void Must(const domain::Status& status, std::string_view what) {
  if (!status.ok()) Fail(std::string(what) + ": " + status.error().ToString());
}

std::string EnvOrFail(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr || *value == '\0') Fail(std::string(name) + " is not set");
  return value;
}

// utime + stime of every thread of `pid`, in seconds (0 for pid 0).
// One sample of phase m.
struct RssSample {
  double seconds = 0;      // since the worker started
  std::int64_t done = 0;   // inbox rows: messages committed so far
  std::int64_t rss_kib = 0;
};

// VmRSS of a process from /proc (0 when it cannot be read).
std::int64_t ResidentKib(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoll(line.substr(6));
  }
  return 0;
}

double CpuSeconds(pid_t pid) {
  if (pid == 0) return 0;
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto paren = text.rfind(')');
  if (paren == std::string::npos) Fail("cannot read /proc/" + std::to_string(pid) + "/stat");
  std::istringstream fields(text.substr(paren + 2));
  std::string field;
  std::uint64_t utime = 0;
  std::uint64_t stime = 0;
  // After "pid (comm) ": state is field 3; utime and stime are fields 14 and 15.
  for (int index = 3; index <= 15 && fields >> field; ++index) {
    if (index == 14) utime = std::stoull(field);
    if (index == 15) stime = std::stoull(field);
  }
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

std::string LoadAverage() {
  std::ifstream in("/proc/loadavg");
  std::string one;
  std::string five;
  std::string fifteen;
  in >> one >> five >> fifteen;
  return one + " " + five + " " + fifteen;
}

double Seconds(SteadyClock::duration d) { return std::chrono::duration<double>(d).count(); }

// Nanoseconds a task spent runnable but waiting for a CPU (/proc/.../schedstat, field 2): on a
// shared 2-core machine every round trip between processes can wait here.
std::uint64_t RunDelayNanos(const std::filesystem::path& schedstat) {
  std::ifstream in(schedstat);
  std::uint64_t on_cpu = 0;
  std::uint64_t waiting = 0;
  in >> on_cpu >> waiting;
  return waiting;
}

using TaskDelays = std::map<std::string, std::uint64_t>;  // thread id -> run delay

TaskDelays RunDelays(pid_t pid) {
  TaskDelays out;
  if (pid == 0) return out;
  std::error_code error;
  const std::filesystem::path tasks = "/proc/" + std::to_string(pid) + "/task";
  for (const auto& task : std::filesystem::directory_iterator(tasks, error)) {
    out[task.path().filename().string()] = RunDelayNanos(task.path() / "schedstat");
  }
  return out;
}

// Run delay of the threads alive at `end` since `start` (threads that ended in between are lost;
// the servers keep theirs).
double RunDelaySeconds(const TaskDelays& end, const TaskDelays& start) {
  std::uint64_t total = 0;
  for (const auto& [tid, nanos] : end) {
    const auto before = start.find(tid);
    total += nanos - (before == start.end() ? 0 : std::min(nanos, before->second));
  }
  return static_cast<double>(total) / 1e9;
}

// Adds the calling thread's run delay over its lifetime to `sum` (nanoseconds).
class ThreadRunDelay {
 public:
  explicit ThreadRunDelay(std::atomic<std::uint64_t>& sum)
      : sum_(sum), start_(RunDelayNanos("/proc/thread-self/schedstat")) {}
  ~ThreadRunDelay() { sum_ += RunDelayNanos("/proc/thread-self/schedstat") - start_; }
  ThreadRunDelay(const ThreadRunDelay&) = delete;
  ThreadRunDelay& operator=(const ThreadRunDelay&) = delete;

 private:
  std::atomic<std::uint64_t>& sum_;
  std::uint64_t start_;
};

// Seconds of CPU time (or of run-queue wait) per process.
struct Cpu {
  double client = 0;  // this process (floors) or the worker (runtime)
  double broker = 0;
  double db = 0;

  [[nodiscard]] double Total() const { return client + broker + db; }
};

// CPU the servers use per second when nobody talks to them (management statistics, timers).
struct IdleRates {
  double broker = 0;
  double db = 0;
};

struct PhaseResult {
  std::string phase;
  int concurrency = 0;
  int repeat = 0;
  std::uint64_t units = 0;  // messages, or transactions for the database floor
  double seconds = 0;       // the measured interval (see the file comment)
  double wall = 0;          // phase wall time the CPU is compared with
  Cpu cpu;
  Cpu run_queue_wait;
  std::string load;
  std::uint64_t batches = 0;  // broker floor: confirm waits; runtime: COMMIT statements
  // Durable write transactions: COMMIT statements, and UPDATE statements (runtime only). The
  // runtime carries one batch's "published" marks (one UPDATE) in the next batch's transaction
  // and writes them on their own only when the stream pauses, so the UPDATEs beyond one per
  // COMMIT are taken as transactions of their own (a lower bound of those).
  std::uint64_t commits = 0;
  std::uint64_t autocommit_updates = 0;
  std::uint64_t data_fsyncs = 0;   // Innodb_data_fsyncs (redo log and data files)
  std::uint64_t statements = 0;    // Questions: statements the clients sent
  std::uint64_t rows_written = 0;  // Handler_write + Handler_update
  std::uint64_t row_lock_waits = 0;

  [[nodiscard]] double PerUnit(std::uint64_t count) const {
    return static_cast<double>(count) / static_cast<double>(units);
  }

  [[nodiscard]] double Rate() const { return static_cast<double>(units) / seconds; }
  [[nodiscard]] double MicrosPerUnit(double cpu_seconds) const {
    return cpu_seconds * 1e6 / static_cast<double>(units);
  }
  [[nodiscard]] double CoresBusy() const { return (cpu.client + cpu.broker + cpu.db) / wall; }
  // The servers' CPU per unit less what they would have used idle over the same time.
  [[nodiscard]] Cpu Net(const IdleRates& idle) const {
    return Cpu{cpu.client, std::max(0.0, cpu.broker - idle.broker * wall),
               std::max(0.0, cpu.db - idle.db * wall)};
  }
  [[nodiscard]] double PerBatch() const {
    return batches == 0 ? 0 : static_cast<double>(units) / static_cast<double>(batches);
  }
  [[nodiscard]] double TransactionsPerMessage() const {
    const std::uint64_t own = autocommit_updates > commits ? autocommit_updates - commits : 0;
    return static_cast<double>(commits + own) / static_cast<double>(units);
  }
};

PhaseResult NewResult(std::string phase, int concurrency, int repeat, std::uint64_t units) {
  PhaseResult result;
  result.phase = std::move(phase);
  result.concurrency = concurrency;
  result.repeat = repeat;
  result.units = units;
  return result;
}

std::string MessageId(int run, int n) {
  std::array<char, 48> text{};
  std::snprintf(text.data(), text.size(), "%08x-0000-4000-8000-%012d", static_cast<unsigned>(run),
                n);
  return text.data();
}

// A test.echo message as a producer would publish it.
amqp::OutgoingMessage EchoMessage(const std::string& id) {
  runtime::OutboundMessage out;
  out.exchange = std::string(runtime::kWorkExchange);
  out.routing_key = std::string(test_stage::kEchoStageName);
  out.message.message_id = id;
  out.message.correlation_id = "corr-" + id;
  out.message.type = std::string(test_stage::kEchoType);
  out.message.timestamp = 1'700'000'000;
  out.message.body = R"({"schema_version":1,"payload":"p-)" + id + R"("})";
  return runtime::ToAmqp(out);
}

// The broker floor's reply to a delivery: the shape of test-echo's follow-up message.
amqp::OutgoingMessage FloorReply(const amqp::Delivery& delivery) {
  const std::string& id = delivery.properties.message_id;
  amqp::OutgoingMessage out;
  out.exchange = std::string(runtime::kWorkExchange);
  out.routing_key = std::string(test_stage::kSinkRoutingKey);
  out.properties.message_id = id + "/floor";
  out.properties.correlation_id = delivery.properties.correlation_id;
  out.properties.type = std::string(test_stage::kEchoedType);
  out.properties.timestamp =
      std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
  out.properties.headers.Set(std::string(runtime::kAttemptHeader), std::int64_t{0});
  out.properties.headers.Set(std::string(runtime::kTraceparentHeader), std::string(kTraceparent));
  out.body = R"({"schema_version":1,"echo_of":")" + id + R"(","payload":"p-)" + id + R"("})";
  return out;
}

// The broker side of the protocol as a no-op, for phase (d): acks and confirms cost nothing.
class StubDeliverySource final : public runtime::DeliverySource {
 public:
  domain::Result<std::optional<runtime::Delivery>> Next(std::chrono::milliseconds) override {
    return std::optional<runtime::Delivery>{};
  }
  domain::Status Ack(std::span<const runtime::DeliveryTag>) override { return domain::Ok(); }
  domain::Status Requeue(std::span<const runtime::DeliveryTag>) override { return domain::Ok(); }
};

class StubPublisher final : public runtime::Publisher {
 public:
  std::vector<domain::Status> PublishConfirmed(
      std::span<const runtime::OutboundMessage> messages) override {
    return std::vector<domain::Status>(messages.size());
  }
};

runtime::Delivery StubDelivery(const std::string& id, std::uint64_t tag) {
  runtime::Delivery delivery;
  delivery.message.message_id = id;
  delivery.message.correlation_id = "corr-" + id;
  delivery.message.type = std::string(test_stage::kEchoType);
  delivery.message.timestamp = 1'700'000'000;
  delivery.message.body = R"({"schema_version":1,"payload":"p-)" + id + R"("})";
  delivery.routing_key = std::string(test_stage::kEchoStageName);
  delivery.tag = runtime::DeliveryTag{tag, 1};
  return delivery;
}

amqp::FieldTable ToFieldTable(const runtime::topology::Arguments& arguments) {
  amqp::FieldTable table;
  for (const auto& argument : arguments) {
    std::visit([&](const auto& v) { table.Set(argument.first, v); }, argument.second);
  }
  return table;
}

amqp::ConnectionOptions BenchConnection(std::string name) {
  amqp::ConnectionOptions options;
  options.connection_name = std::move(name);
  return options;
}

amqp::PublisherOptions BenchPublisher(std::string name) {
  amqp::PublisherOptions options;
  options.connection = BenchConnection(std::move(name));
  return options;
}

using StatusCounters = std::map<std::string, std::uint64_t, std::less<>>;

// A counter's increase; 0 when the server does not have it.
std::uint64_t Increase(const StatusCounters& after, const StatusCounters& before,
                       std::string_view name) {
  const auto a = after.find(name);
  const auto b = before.find(name);
  return a == after.end() || b == before.end() ? 0 : a->second - b->second;
}

class Bench {
 public:
  explicit Bench(Options options)
      : options_(std::move(options)),
        amqp_url_(Must(amqp::AmqpUrl::Parse(EnvOrFail("PAYPIPE_AMQP_URL")), "PAYPIPE_AMQP_URL")),
        server_url_(Must(db::MysqlUrl::Parse(EnvOrFail("PAYPIPE_MYSQL_URL")), "PAYPIPE_MYSQL_URL")),
        bench_url_(server_url_.WithDatabase(std::string(kDatabase))),
        admin_(amqp_url_, BenchConnection("runtime_bench admin")),
        preloader_(amqp_url_, BenchPublisher("runtime_bench preload")) {}

  void Setup() {
    db::InitDriver();
    {
      auto server = Must(db::Connection::Open(server_url_), "connect to MariaDB");
      Execute(*server, "DROP DATABASE IF EXISTS " + std::string(kDatabase));
      Execute(*server, "CREATE DATABASE " + std::string(kDatabase) +
                           " CHARACTER SET utf8mb4 COLLATE utf8mb4_bin");
    }
    control_ = Must(db::Connection::Open(bench_url_), "connect to the bench database");
    auto migrations = Must(cli::migrate::LoadMigrations(std::nullopt), "load migrations");
    cli::migrate::Migrator migrator(*control_, std::move(migrations));
    std::ostringstream progress;
    (void)Must(migrator.Up(progress), "migrate");
    Execute(*control_, test_stage::kEchoSchema);
    Execute(*control_, kFloorTable);

    const auto spec = Must(runtime::topology::TopologySpec::FromJson(kTopologyJson), "topology");
    const auto topology = runtime::topology::Expand(spec);
    for (const auto& queue : topology.queues) (void)admin_.DeleteQueue(queue.name);
    (void)admin_.DeleteQueue(kSinkQueue);
    for (const auto& exchange : topology.exchanges) {
      amqp::ExchangeSpec exchange_spec;
      exchange_spec.name = exchange.name;
      Must(admin_.DeclareExchange(exchange_spec), "declare " + exchange.name);
    }
    for (const auto& queue : topology.queues) {
      amqp::QueueSpec queue_spec;
      queue_spec.name = queue.name;
      queue_spec.arguments = ToFieldTable(queue.arguments);
      (void)Must(admin_.DeclareQueue(queue_spec), "declare " + queue.name);
    }
    for (const auto& binding : topology.bindings) {
      Must(admin_.Bind(binding.queue, binding.exchange, binding.routing_key), "bind");
    }
    amqp::QueueSpec sink;
    sink.name = std::string(kSinkQueue);
    sink.arguments.Set("x-queue-type", std::string("quorum"));
    (void)Must(admin_.DeclareQueue(sink), "declare sink");
    Must(admin_.Bind(kSinkQueue, spec.work_exchange, test_stage::kSinkRoutingKey), "bind sink");
    work_queue_ = runtime::topology::WorkQueueName(test_stage::kEchoStageName);
  }

  // Measures the servers' CPU use while nobody talks to them, to tell their per-second
  // background work from their per-message work.
  void MeasureIdle(std::chrono::seconds span) {
    Settle();
    const Cpu before = ServersCpu(0);
    const auto started = SteadyClock::now();
    std::this_thread::sleep_for(span);
    const Cpu used = Delta(ServersCpu(0), before);
    const double seconds = Seconds(SteadyClock::now() - started);
    idle_ = IdleRates{used.broker / seconds, used.db / seconds};
    std::printf("idle servers over %.0f s: broker %.1f%% of a core, MariaDB %.1f%% (load %s)\n",
                seconds, 100 * idle_.broker, 100 * idle_.db, LoadAverage().c_str());
    std::fflush(stdout);
  }

  // Phase m: a worker at concurrency 8 drains a backlog of --memory-messages; its resident
  // size is printed against the messages done so far (the prefetch bounds what it holds).
  void MemoryRun(int run) {
    std::vector<RssSample> samples;
    const PhaseResult result = RuntimeRun(8, 1, run, options_.memory_messages, &samples);
    std::printf("memory: worker at concurrency 8 draining %d messages (%.0f msg/s, load %s)\n",
                options_.memory_messages, result.Rate(), result.load.c_str());
    std::int64_t low = 0;
    std::int64_t high = 0;
    for (const RssSample& sample : samples) {
      std::printf("  %6.1f s  %8lld done  RSS %6.1f MiB\n", sample.seconds,
                  static_cast<long long>(sample.done), static_cast<double>(sample.rss_kib) / 1024);
      if (sample.rss_kib <= 0) continue;
      low = low == 0 ? sample.rss_kib : std::min(low, sample.rss_kib);
      high = std::max(high, sample.rss_kib);
    }
    // Flat: compare the first and the last quarter of the drain (after start-up).
    const std::size_t quarter = samples.size() / 4;
    auto mean = [&](std::size_t from, std::size_t to) {
      double sum = 0;
      for (std::size_t i = from; i < to; ++i) sum += static_cast<double>(samples[i].rss_kib);
      return to > from ? sum / static_cast<double>(to - from) / 1024 : 0.0;
    };
    std::printf("memory: RSS min %.1f MiB, max %.1f MiB; mean of the first quarter %.1f MiB, of "
                "the last quarter %.1f MiB (%zu samples)\n",
                static_cast<double>(low) / 1024, static_cast<double>(high) / 1024,
                mean(0, quarter), mean(samples.size() - quarter, samples.size()), samples.size());
    std::fflush(stdout);
  }

  void Run() {
    MeasureIdle(10s);
    int run = 0;
    for (int r = 1; r <= options_.repeat; ++r) {
      for (const int c : options_.concurrency) {
        if (Wanted('a')) Record(BrokerFloor(c, r, ++run));
        if (Wanted('b')) Record(DbFloor(c, r));
        if (Wanted('c')) Record(RuntimeRun(c, r, ++run));
        if (Wanted('d')) Record(StubbedBrokerRun(c, r, ++run));
      }
    }
    if (Wanted('m')) MemoryRun(++run);
    PrintSummary();
  }

 private:
  [[nodiscard]] bool Wanted(char phase) const {
    return options_.only.empty() || options_.only.find(phase) != std::string::npos;
  }

  static void Execute(db::Connection& connection, std::string_view sql) {
    (void)Must(connection.Execute(sql), std::string(sql.substr(0, 60)));
  }

  std::int64_t Scalar(std::string_view sql) {
    auto rows = Must(control_->Query(sql), std::string(sql));
    return rows.front().OptionalInt64(0).value_or(0);
  }

  StatusCounters ServerStatus() {
    auto rows = Must(
        control_->Query("SHOW GLOBAL STATUS WHERE Variable_name IN ('Com_commit', 'Com_update', "
                        "'Innodb_data_fsyncs', 'Questions', 'Handler_write', 'Handler_update', "
                        "'Innodb_row_lock_waits')"),
        "SHOW GLOBAL STATUS");
    StatusCounters out;
    for (const auto& row : rows) out[row.String(0)] = std::stoull(row.String(1));
    return out;
  }

  // The control connection's own statements during a phase (SHOW GLOBAL STATUS twice, the
  // completion polls) are counted too; they are a handful against tens of thousands.
  static void CountDatabaseWork(PhaseResult& result, const StatusCounters& after,
                                const StatusCounters& before) {
    result.data_fsyncs = Increase(after, before, "Innodb_data_fsyncs");
    result.statements = Increase(after, before, "Questions");
    result.rows_written =
        Increase(after, before, "Handler_write") + Increase(after, before, "Handler_update");
    result.row_lock_waits = Increase(after, before, "Innodb_row_lock_waits");
  }

  struct ServerDelays {
    TaskDelays broker;
    TaskDelays db;
  };

  [[nodiscard]] ServerDelays ServersRunDelays() const {
    return ServerDelays{RunDelays(options_.broker_pid), RunDelays(options_.db_pid)};
  }

  [[nodiscard]] Cpu WaitSince(const ServerDelays& start, double client) const {
    const ServerDelays now = ServersRunDelays();
    return Cpu{client, RunDelaySeconds(now.broker, start.broker),
               RunDelaySeconds(now.db, start.db)};
  }

  [[nodiscard]] Cpu ServersCpu(double client) const {
    return Cpu{client, CpuSeconds(options_.broker_pid), CpuSeconds(options_.db_pid)};
  }

  static Cpu Delta(const Cpu& end, const Cpu& start) {
    return Cpu{end.client - start.client, end.broker - start.broker, end.db - start.db};
  }

  void PurgeQueues() {
    (void)Must(admin_.Purge(work_queue_), "purge work queue");
    (void)Must(admin_.Purge(kSinkQueue), "purge sink");
  }

  std::uint32_t Ready(std::string_view queue) {
    return Must(admin_.InspectQueue(queue), "inspect " + std::string(queue)).messages;
  }

  // Waits until `queue` holds `count` ready messages.
  void AwaitReady(std::string_view queue, std::uint32_t count, std::chrono::seconds timeout) {
    const auto until = SteadyClock::now() + timeout;
    std::uint32_t seen = 0;
    while ((seen = Ready(queue)) != count) {
      if (SteadyClock::now() > until) {
        Fail(std::string(queue) + " holds " + std::to_string(seen) + " messages, expected " +
             std::to_string(count));
      }
      std::this_thread::sleep_for(100ms);
    }
  }

  void Preload(int run) { Preload(run, options_.messages); }
  void Preload(int run, int count) {
    std::vector<amqp::OutgoingMessage> chunk;
    for (int i = 0; i < count; ++i) {
      chunk.push_back(EchoMessage(MessageId(run, i)));
      if (chunk.size() == 500 || i + 1 == count) {
        const auto result = preloader_.PublishBatch(chunk);
        if (!result.AllConfirmed()) {
          Fail("preload not confirmed: " + (result.error ? result.error->ToString() : "nack"));
        }
        chunk.clear();
      }
    }
    AwaitReady(work_queue_, static_cast<std::uint32_t>(count),
               std::chrono::seconds(60 + count / 10'000));
  }

  // Lets the servers finish background work (quorum log segments, InnoDB purge) of the
  // previous phase before the next one is timed.
  static void Settle() { std::this_thread::sleep_for(3s); }

  PhaseResult BrokerFloor(int c, int r, int run) {
    PurgeQueues();
    Preload(run);
    Settle();
    const auto total = static_cast<std::uint64_t>(options_.messages);
    std::atomic<std::uint64_t> processed{0};
    std::atomic<std::uint64_t> batches{0};
    std::atomic<bool> stop{false};
    std::mutex mutex;
    std::string failure;
    std::vector<SteadyClock::time_point> first(static_cast<std::size_t>(c),
                                               SteadyClock::time_point::max());
    std::vector<SteadyClock::time_point> last(static_cast<std::size_t>(c),
                                              SteadyClock::time_point::min());
    std::latch ready(c);
    std::latch go(1);
    std::atomic<std::uint64_t> client_wait{0};
    auto fail = [&](const std::string& what) {
      const std::lock_guard lock(mutex);
      if (failure.empty()) failure = what;
      stop = true;
    };
    std::vector<std::thread> threads;
    for (int t = 0; t < c; ++t) {
      threads.emplace_back([&, t] {
        const auto index = static_cast<std::size_t>(t);
        amqp::ConsumerOptions consumer_options;
        consumer_options.connection = BenchConnection("runtime_bench floor consume");
        consumer_options.queues = {work_queue_};
        consumer_options.prefetch = static_cast<std::uint16_t>(options_.prefetch);
        amqp::Consumer consumer(amqp_url_, consumer_options);
        amqp::Publisher publisher(amqp_url_, BenchPublisher("runtime_bench floor publish"));
        const auto connected = consumer.Connect(10s);
        const auto publisher_connected = publisher.Connect(10s);
        ready.count_down();
        go.wait();
        const ThreadRunDelay run_delay(client_wait);
        if (!connected.ok() || !publisher_connected.ok()) {
          fail("floor connect failed");
          return;
        }
        std::vector<amqp::Delivery> batch;
        std::vector<amqp::OutgoingMessage> replies;
        while (!stop.load()) {
          batch.clear();
          replies.clear();
          auto next = consumer.Next(100ms);
          if (!next.ok()) return fail("consume: " + next.error().ToString());
          if (!next->has_value()) continue;
          if (first[index] == SteadyClock::time_point::max()) first[index] = SteadyClock::now();
          batch.push_back(std::move(**next));
          while (batch.size() < static_cast<std::size_t>(options_.batch)) {
            auto more = consumer.Next(0ms);
            if (!more.ok() || !more->has_value()) break;
            batch.push_back(std::move(**more));
          }
          for (const auto& delivery : batch) replies.push_back(FloorReply(delivery));
          const auto published = publisher.PublishBatch(replies);
          if (!published.AllConfirmed()) return fail("floor publish not confirmed");
          if (auto acked = consumer.AckThrough(batch.back().tag); !acked.ok()) {
            return fail("ack: " + acked.error().ToString());
          }
          last[index] = SteadyClock::now();
          batches.fetch_add(1);
          if (processed.fetch_add(batch.size()) + batch.size() >= total) stop = true;
        }
      });
    }
    ready.wait();
    PhaseResult result = NewResult("broker floor", c, r, total);
    result.load = LoadAverage();
    const Cpu cpu0 = ServersCpu(CpuSeconds(getpid()));
    const ServerDelays delays0 = ServersRunDelays();
    const auto started = SteadyClock::now();
    go.count_down();
    for (auto& thread : threads) thread.join();
    result.wall = Seconds(SteadyClock::now() - started);
    result.cpu = Delta(ServersCpu(CpuSeconds(getpid())), cpu0);
    result.run_queue_wait = WaitSince(delays0, static_cast<double>(client_wait.load()) / 1e9);
    if (!failure.empty()) Fail("broker floor: " + failure);
    result.seconds = Seconds(*std::max_element(last.begin(), last.end()) -
                             *std::min_element(first.begin(), first.end()));
    result.batches = batches.load();
    AwaitReady(kSinkQueue, static_cast<std::uint32_t>(total), 30s);
    if (Ready(work_queue_) != 0) Fail("broker floor left messages in the work queue");
    return result;
  }

  PhaseResult DbFloor(int c, int r) {
    Execute(*control_, "TRUNCATE TABLE bench_db_floor");
    Settle();
    std::atomic<std::uint64_t> committed{0};
    std::atomic<bool> stop{false};
    std::mutex mutex;
    std::string failure;
    std::latch ready(c);
    std::latch go(1);
    std::atomic<std::uint64_t> client_wait{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < c; ++t) {
      threads.emplace_back([&, t] {
        const db::ThreadScope db_thread;
        auto connection = db::Connection::Open(bench_url_);
        ready.count_down();
        go.wait();
        const ThreadRunDelay run_delay(client_wait);
        auto fail = [&](const std::string& what) {
          const std::lock_guard lock(mutex);
          if (failure.empty()) failure = what;
        };
        if (!connection.ok()) return fail(connection.error().ToString());
        for (int i = 0; !stop.load(std::memory_order_relaxed); ++i) {
          const std::string id = "floor-" + std::to_string(t) + "-" + std::to_string(i);
          auto tx = (*connection)->Begin();
          if (!tx.ok()) return fail(tx.error().ToString());
          auto inserted = tx->Execute(
              "INSERT INTO bench_db_floor (message_id, attempt, payload) VALUES (?, ?, ?)",
              {id, std::int64_t{0}, "p-" + id});
          if (!inserted.ok()) return fail(inserted.error().ToString());
          if (auto done = tx->Commit(); !done.ok()) return fail(done.error().ToString());
          committed.fetch_add(1, std::memory_order_relaxed);
        }
      });
    }
    ready.wait();
    PhaseResult result = NewResult("DB floor", c, r, 0);
    result.load = LoadAverage();
    const auto status0 = ServerStatus();
    const Cpu cpu0 = ServersCpu(CpuSeconds(getpid()));
    const ServerDelays delays0 = ServersRunDelays();
    const auto started = SteadyClock::now();
    go.count_down();
    std::this_thread::sleep_for(std::chrono::duration<double>(options_.db_seconds));
    stop = true;
    for (auto& thread : threads) thread.join();
    result.seconds = Seconds(SteadyClock::now() - started);
    result.wall = result.seconds;
    result.cpu = Delta(ServersCpu(CpuSeconds(getpid())), cpu0);
    result.run_queue_wait = WaitSince(delays0, static_cast<double>(client_wait.load()) / 1e9);
    if (!failure.empty()) Fail("DB floor: " + failure);
    result.units = committed.load();
    const auto status = ServerStatus();
    result.commits = Increase(status, status0, "Com_commit");
    CountDatabaseWork(result, status, status0);
    result.batches = result.units;
    if (Scalar("SELECT COUNT(*) FROM bench_db_floor") != static_cast<std::int64_t>(result.units)) {
      Fail("DB floor: row count differs");
    }
    return result;
  }

  // (c): the real worker drains `messages` preloaded messages. With `rss`, its resident size is
  // sampled every poll (phase m), and the polls are spaced out to keep them off the servers.
  PhaseResult RuntimeRun(int c, int r, int run) { return RuntimeRun(c, r, run, options_.messages, nullptr); }
  PhaseResult RuntimeRun(int c, int r, int run, int messages, std::vector<RssSample>* rss) {
    PurgeQueues();
    for (const char* table : {"inbox", "outbox", "test_echo_effects"}) {
      Execute(*control_, std::string("TRUNCATE TABLE ") + table);
    }
    Preload(run, messages);
    Settle();
    const auto total = static_cast<std::uint64_t>(messages);
    const std::string log_path =
        options_.log_dir + "/worker-c" + std::to_string(c) + "-r" + std::to_string(r) + ".log";

    std::vector<std::string> env = {
        "PAYPIPE_AMQP_URL=" + EnvOrFail("PAYPIPE_AMQP_URL"),
        "PAYPIPE_MYSQL_URL=" + bench_url_.Serialize(),
        "PAYPIPE_CONCURRENCY=" + std::to_string(c),
        "PAYPIPE_LOG_LEVEL=warn",
    };
    env.insert(env.end(), options_.worker_env.begin(), options_.worker_env.end());
    std::vector<char*> envp;
    envp.reserve(env.size() + 1);
    for (auto& entry : env) envp.push_back(entry.data());
    envp.push_back(nullptr);
    std::string program = options_.paypipe;
    std::string command = "worker";
    std::string stage(test_stage::kEchoStageName);
    std::vector<char*> argv = {program.data(), command.data(), stage.data(), nullptr};
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                     0644);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);

    PhaseResult result = NewResult("runtime", c, r, total);
    result.load = LoadAverage();
    const auto status0 = ServerStatus();
    const Cpu servers0 = ServersCpu(0);
    const ServerDelays delays0 = ServersRunDelays();
    const auto started = SteadyClock::now();
    pid_t pid = 0;
    const int spawned =
        posix_spawn(&pid, program.c_str(), &actions, nullptr, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    if (spawned != 0) Fail("cannot start " + program + ": " + std::strerror(spawned));

    const auto deadline = started + std::chrono::seconds(60 + messages / 20);
    double worker_cpu = 0;
    double worker_wait = 0;
    while (true) {
      std::this_thread::sleep_for(rss == nullptr ? 250ms : 2s);
      if (rss != nullptr) {
        rss->push_back(RssSample{Seconds(SteadyClock::now() - started),
                                 Scalar("SELECT COUNT(*) FROM inbox"), ResidentKib(pid)});
      }
      int wstatus = 0;
      if (waitpid(pid, &wstatus, WNOHANG) == pid) {
        Fail("the worker ended early (status " + std::to_string(wstatus) + "); see " + log_path);
      }
      const auto published = Scalar("SELECT COUNT(*) FROM outbox WHERE published_at IS NOT NULL");
      if (published == static_cast<std::int64_t>(total)) {
        worker_cpu = CpuSeconds(pid);
        worker_wait = RunDelaySeconds(RunDelays(pid), {});
        break;
      }
      if (SteadyClock::now() > deadline) {
        kill(pid, SIGKILL);
        waitpid(pid, nullptr, 0);
        Fail("runtime: only " + std::to_string(published) + " of " + std::to_string(total) +
             " messages done before the deadline; see " + log_path);
      }
    }
    result.wall = Seconds(SteadyClock::now() - started);
    result.cpu = Delta(ServersCpu(worker_cpu), servers0);
    result.run_queue_wait = WaitSince(delays0, worker_wait);
    const auto status = ServerStatus();
    result.commits = Increase(status, status0, "Com_commit");
    result.autocommit_updates = Increase(status, status0, "Com_update");
    CountDatabaseWork(result, status, status0);
    result.batches = result.commits;

    AwaitReady(kSinkQueue, static_cast<std::uint32_t>(total), 30s);
    kill(pid, SIGTERM);
    int wstatus = 0;
    waitpid(pid, &wstatus, 0);
    if (!WIFEXITED(wstatus) || WEXITSTATUS(wstatus) != 0) {
      Fail("the worker did not stop cleanly (status " + std::to_string(wstatus) + ")");
    }
    if (Ready(work_queue_) != 0) Fail("runtime left messages in the work queue");

    const auto n = static_cast<std::int64_t>(total);
    if (Scalar("SELECT COUNT(*) FROM test_echo_effects") != n ||
        Scalar("SELECT COUNT(DISTINCT message_id) FROM test_echo_effects") != n ||
        Scalar("SELECT COUNT(*) FROM inbox") != n) {
      Fail("runtime: effects or inbox rows differ from the messages sent");
    }
    result.seconds = static_cast<double>(Scalar(
                         "SELECT TIMESTAMPDIFF(MICROSECOND, (SELECT MIN(received_at) FROM inbox), "
                         "(SELECT MAX(published_at) FROM outbox))")) /
                     1e6;
    return result;
  }

  PhaseResult StubbedBrokerRun(int c, int r, int run) {
    for (const char* table : {"inbox", "outbox", "test_echo_effects"}) {
      Execute(*control_, std::string("TRUNCATE TABLE ") + table);
    }
    const auto total = static_cast<std::size_t>(options_.messages);
    std::vector<runtime::Delivery> deliveries;
    deliveries.reserve(total);
    for (std::size_t i = 0; i < total; ++i) {
      deliveries.push_back(StubDelivery(MessageId(run, static_cast<int>(i)), i + 1));
    }
    // The batch size the real worker reached at this concurrency (the same repetition).
    auto batch = static_cast<std::size_t>(options_.prefetch);
    for (const auto& result : results_) {
      if (result.phase == "runtime" && result.concurrency == c && result.repeat == r) {
        batch = std::max<std::size_t>(1, static_cast<std::size_t>(std::lround(result.PerBatch())));
      }
    }
    Settle();
    const test_stage::EchoStage stage;
    const runtime::FailurePolicy policy = runtime::PolicyFromTiers({1s, 1s});
    runtime::StageStats stats;
    runtime::FaultPoints faults;
    std::atomic<std::size_t> next{0};
    std::mutex mutex;
    std::string failure;
    std::latch ready(c);
    std::latch go(1);
    std::atomic<std::uint64_t> client_wait{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < c; ++t) {
      threads.emplace_back([&] {
        const db::ThreadScope db_thread;
        auto connection = db::Connection::Open(bench_url_);
        ready.count_down();
        go.wait();
        const ThreadRunDelay run_delay(client_wait);
        auto fail = [&](const std::string& what) {
          const std::lock_guard lock(mutex);
          if (failure.empty()) failure = what;
        };
        if (!connection.ok()) return fail(connection.error().ToString());
        runtime::DbMessageStore store(std::move(connection).value());
        StubDeliverySource source;
        StubPublisher publisher;
        runtime::BatchProcessor processor(stage, policy, stats, faults, [] {
          return std::chrono::duration_cast<std::chrono::seconds>(
                     std::chrono::system_clock::now().time_since_epoch())
              .count();
        });
        while (true) {
          const std::size_t first = next.fetch_add(batch);
          if (first >= total) {
            const auto flushed = processor.Flush(runtime::Ports{source, publisher, store});
            if (!flushed.ok()) fail(flushed.error().ToString());
            return;
          }
          const std::size_t count = std::min(batch, total - first);
          const auto status = processor.Process(
              std::span<const runtime::Delivery>(deliveries.data() + first, count),
              runtime::Ports{source, publisher, store});
          if (!status.ok()) return fail(status.error().ToString());
        }
      });
    }
    ready.wait();
    PhaseResult result = NewResult("runtime, broker stubbed", c, r, total);
    result.load = LoadAverage();
    const auto status0 = ServerStatus();
    const Cpu cpu0 = ServersCpu(CpuSeconds(getpid()));
    const ServerDelays delays0 = ServersRunDelays();
    const auto started = SteadyClock::now();
    go.count_down();
    for (auto& thread : threads) thread.join();
    result.seconds = Seconds(SteadyClock::now() - started);
    result.wall = result.seconds;
    result.cpu = Delta(ServersCpu(CpuSeconds(getpid())), cpu0);
    result.run_queue_wait = WaitSince(delays0, static_cast<double>(client_wait.load()) / 1e9);
    if (!failure.empty()) Fail("runtime, broker stubbed: " + failure);
    const auto status = ServerStatus();
    result.commits = Increase(status, status0, "Com_commit");
    result.autocommit_updates = Increase(status, status0, "Com_update");
    CountDatabaseWork(result, status, status0);
    result.batches = result.commits;
    if (stats.acked.load() != total ||
        Scalar("SELECT COUNT(*) FROM test_echo_effects") != static_cast<std::int64_t>(total)) {
      Fail("runtime, broker stubbed: not every message was processed once");
    }
    return result;
  }

  static std::string Details(const PhaseResult& x) {
    std::array<char, 160> text{};
    if (x.phase.starts_with("runtime")) {
      std::snprintf(text.data(), text.size(),
                    "%.4f tx/msg (%llu COMMIT, %llu UPDATE), %llu row lock waits",
                    x.TransactionsPerMessage(), static_cast<unsigned long long>(x.commits),
                    static_cast<unsigned long long>(x.autocommit_updates),
                    static_cast<unsigned long long>(x.row_lock_waits));
    } else if (x.phase == "DB floor") {
      std::snprintf(text.data(), text.size(), "%llu COMMIT, %llu row lock waits",
                    static_cast<unsigned long long>(x.commits),
                    static_cast<unsigned long long>(x.row_lock_waits));
    }
    return text.data();
  }

  void Record(PhaseResult result) {
    const Cpu net = result.Net(idle_);
    std::printf(
        "%-12s c=%d rep=%d: %8.0f /s over %6.2f s | %5.1f per batch | CPU us/unit %s %6.1f, "
        "broker %6.1f, MariaDB %6.1f (net of idle) | run-queue wait us/unit %6.1f | cores busy "
        "%.2f | load %s | %s\n",
        result.phase.c_str(), result.concurrency, result.repeat, result.Rate(), result.seconds,
        result.PerBatch(), result.phase.starts_with("runtime") ? "worker" : "client",
        result.MicrosPerUnit(net.client), result.MicrosPerUnit(net.broker),
        result.MicrosPerUnit(net.db), result.MicrosPerUnit(result.run_queue_wait.Total()),
        result.CoresBusy(), result.load.c_str(), Details(result).c_str());
    std::fflush(stdout);
    results_.push_back(std::move(result));
  }

  // The median by rate of one phase at one concurrency.
  [[nodiscard]] std::optional<PhaseResult> Median(std::string_view phase, int c) const {
    std::vector<PhaseResult> runs;
    for (const auto& result : results_) {
      if (result.phase == phase && result.concurrency == c) runs.push_back(result);
    }
    if (runs.empty()) return std::nullopt;
    std::sort(runs.begin(), runs.end(),
              [](const PhaseResult& x, const PhaseResult& y) { return x.Rate() < y.Rate(); });
    return runs[runs.size() / 2];
  }

  [[nodiscard]] std::optional<PhaseResult> Find(std::string_view phase, int c, int r) const {
    for (const auto& result : results_) {
      if (result.phase == phase && result.concurrency == c && result.repeat == r) return result;
    }
    return std::nullopt;
  }

  // One line of the target table: the runtime against min(a, b / transactions per message), with
  // the transactions per message it measured (batched) and with 1 (one transaction per message).
  static void PrintTargetRow(int c, const std::string& label, const PhaseResult& a,
                             const PhaseResult& b, const PhaseResult& r) {
    const double batched_floor = std::min(a.Rate(), b.Rate() / r.TransactionsPerMessage());
    const double unbatched_floor = std::min(a.Rate(), b.Rate());
    std::printf(
        "| %d | %s | %.0f | %.0f | %.3f | %.0f | %.0f | %.0f%% | %s | %.0f | %.0f%% | %s | %s |\n",
        c, label.c_str(), a.Rate(), b.Rate(), r.TransactionsPerMessage(), batched_floor, r.Rate(),
        100.0 * r.Rate() / batched_floor, r.Rate() >= 0.7 * batched_floor ? "yes" : "no",
        unbatched_floor, 100.0 * r.Rate() / unbatched_floor,
        r.Rate() >= 0.7 * unbatched_floor ? "yes" : "no", r.load.c_str());
  }

  void PrintSummary() const {
    std::printf(
        "\n| c | rep | (a) broker floor msg/s | (b) DB floor tx/s | (c) tx/msg | floor = min(a, b "
        "/ tx/msg) | (c) runtime msg/s | c / floor | >= 70%% | min(a, b) (1 tx/msg) | c / that | "
        ">= 70%% | load avg at (c) |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
    for (const int c : options_.concurrency) {
      for (int rep = 1; rep <= options_.repeat; ++rep) {
        const auto a = Find("broker floor", c, rep);
        const auto b = Find("DB floor", c, rep);
        const auto r = Find("runtime", c, rep);
        if (a && b && r) PrintTargetRow(c, std::to_string(rep), *a, *b, *r);
      }
      const auto a = Median("broker floor", c);
      const auto b = Median("DB floor", c);
      const auto r = Median("runtime", c);
      if (options_.repeat > 1 && a && b && r) PrintTargetRow(c, "median", *a, *b, *r);
    }
    std::printf(
        "\n| phase | c | rep | rate /s | units per batch | worker (runtime) or client CPU "
        "us/unit | broker CPU us/unit | MariaDB CPU us/unit | run-queue wait us/unit (all three) | "
        "SQL statements/unit | rows written/unit | fsyncs/unit | cores busy | load avg at start | "
        "|\n|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
    for (const auto& x : results_) {
      const Cpu net = x.Net(idle_);
      std::printf(
          "| %s | %d | %d | %.0f | %.1f | %.1f | %.1f | %.1f | %.1f | %.2f | %.2f | %.3f | %.2f | "
          "%s | %s |\n",
          x.phase.c_str(), x.concurrency, x.repeat, x.Rate(), x.PerBatch(),
          x.MicrosPerUnit(net.client), x.MicrosPerUnit(net.broker), x.MicrosPerUnit(net.db),
          x.MicrosPerUnit(x.run_queue_wait.Total()), x.PerUnit(x.statements),
          x.PerUnit(x.rows_written), x.PerUnit(x.data_fsyncs), x.CoresBusy(), x.load.c_str(),
          Details(x).c_str());
    }
    std::printf("(broker and MariaDB CPU net of their idle use: %.1f%% and %.1f%% of a core)\n",
                100 * idle_.broker, 100 * idle_.db);
    std::fflush(stdout);
  }

  Options options_;
  amqp::AmqpUrl amqp_url_;
  db::MysqlUrl server_url_;
  db::MysqlUrl bench_url_;
  amqp::Admin admin_;
  amqp::Publisher preloader_;
  std::unique_ptr<db::Connection> control_;
  std::string work_queue_;
  std::vector<PhaseResult> results_;
  IdleRates idle_;
};

}  // namespace
}  // namespace paypipe::bench

int main(int argc, char** argv) {
  paypipe::bench::Options options;
  CLI::App app{"Stage runtime throughput against the raw broker and database floors"};
  app.add_option("--paypipe", options.paypipe, "The paypipe binary whose worker is measured");
  app.add_option("--concurrency", options.concurrency,
                 "Threads / connections / PAYPIPE_CONCURRENCY")
      ->delimiter(',');
  app.add_option("--messages", options.messages, "Messages per broker-floor and runtime phase");
  app.add_option("--memory-messages", options.memory_messages,
                 "Backlog the worker drains at concurrency 8 in phase m (resident size sampled)");
  app.add_option("--db-seconds", options.db_seconds, "Duration of each DB-floor phase");
  app.add_option("--repeat", options.repeat, "Repetitions of the whole comparison");
  app.add_option("--batch", options.batch, "Broker floor: deliveries per confirm wait (at most)");
  app.add_option("--prefetch", options.prefetch,
                 "Broker floor prefetch (the worker's default: 128)");
  app.add_option("--worker-env", options.worker_env,
                 "Extra setting for the worker, e.g. PAYPIPE_BATCH_SIZE=1 (repeatable)");
  app.add_option("--broker-pid", options.broker_pid, "PID of the broker's VM (for its CPU time)");
  app.add_option("--db-pid", options.db_pid, "PID of mariadbd (for its CPU time)");
  app.add_option("--log-dir", options.log_dir, "Where the worker's output goes");
  app.add_option("--only", options.only,
                 "Phases to run: any of a, b, c, d (default all; d uses c's batch size if run)");
  CLI11_PARSE(app, argc, argv);
  try {
    paypipe::bench::Bench bench(options);
    bench.Setup();
    bench.Run();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "runtime_bench: %s\n", e.what());
    return 1;
  }
  return 0;
}
