#pragma once

// The catalog: every setting paypipe reads, in one place. To add one, declare it here and append
// it to kAllSettings at the bottom; a command then lists it in its Settings() and reads it with
// `context.config.Get(config::kYourSetting)`. Names are PAYPIPE_-prefixed; the --flag is derived
// from the name. A malformed entry (kind not matching the type, secret with a default, missing
// help...) does not compile.

#include <array>
#include <chrono>
#include <vector>

#include "paypipe/infra/config/setting.hpp"

namespace paypipe::infra::config {

// --- Connections -------------------------------------------------------------------------------

inline constexpr Setting<Url> kAmqpUrl{{
    .env = "PAYPIPE_AMQP_URL",
    .help = "RabbitMQ broker, amqp://user:pass@host:port/vhost (vhost \"/\" is written %2f)",
    .kind = Kind::kUrl,
    .sensitivity = Sensitivity::kCredentialsInUrl,
    .choices = "amqp,amqps",
}};

inline constexpr Setting<Url> kMysqlUrl{{
    .env = "PAYPIPE_MYSQL_URL",
    .help = "MySQL or MariaDB database, mysql://user:pass@host:port/database",
    .kind = Kind::kUrl,
    .sensitivity = Sensitivity::kCredentialsInUrl,
    .choices = "mysql",
}};

inline constexpr Setting<Url> kRabbitmqApiUrl{{
    .env = "PAYPIPE_RABBITMQ_API_URL",
    .help = "RabbitMQ management API, http://user:pass@host:15672, read by `topology check` and "
            "`topology apply` to name differing queue arguments",
    .kind = Kind::kUrl,
    .sensitivity = Sensitivity::kCredentialsInUrl,
    .choices = "http,https",
}};

inline constexpr Setting<HostPort> kHttpAddr{{
    .env = "PAYPIPE_HTTP_ADDR",
    .help = "host:port this process serves HTTP on (gateway API; /healthz, /readyz and /metrics "
            "in every process); port 0 picks a free port",
    .kind = Kind::kHostPort,
    .default_value = "0.0.0.0:8080",
}};

// --- Payment API ------------------------------------------------------------------------------

inline constexpr Setting<Secret> kApiToken{{
    .env = "PAYPIPE_API_TOKEN",
    .help = "Bearer token that callers of the payment and operator API must present",
    .kind = Kind::kSecret,
    .sensitivity = Sensitivity::kSecret,
}};

inline constexpr Setting<std::int64_t> kHttpMaxBodyBytes{{
    .env = "PAYPIPE_HTTP_MAX_BODY_BYTES",
    .help = "Largest HTTP request body accepted, in bytes; larger bodies are answered 413",
    .kind = Kind::kInteger,
    .default_value = "1048576",
    .min = 1024,
    .max = std::int64_t{64} * 1024 * 1024,
}};

inline constexpr Setting<std::chrono::milliseconds> kGatewayConfirmTimeout{{
    .env = "PAYPIPE_GATEWAY_CONFIRM_TIMEOUT",
    .help = "How long the gateway waits for the broker to confirm a webhook or payment command "
            "before answering 503 (Toss expects a webhook answered within 10 s)",
    .kind = Kind::kDuration,
    .default_value = "5s",
    .min_duration = std::chrono::milliseconds{100},
    .max_duration = std::chrono::minutes{1},
}};

// --- Payment gateways -------------------------------------------------------------------------

inline constexpr Setting<Secret> kTossSecretKey{{
    .env = "PAYPIPE_TOSS_SECRET_KEY",
    .help = "Toss Payments secret key (test_sk_... or live_sk_...)",
    .kind = Kind::kSecret,
    .sensitivity = Sensitivity::kSecret,
}};

inline constexpr Setting<Url> kTossApiBase{{
    .env = "PAYPIPE_TOSS_API_BASE",
    .help = "Toss Payments API base URL (the simulator's in tests)",
    .kind = Kind::kUrl,
    .default_value = "https://api.tosspayments.com",
    .choices = "https,http",
}};

inline constexpr Setting<Secret> kPortoneApiSecret{{
    .env = "PAYPIPE_PORTONE_API_SECRET",
    .help = "PortOne V2 API secret",
    .kind = Kind::kSecret,
    .sensitivity = Sensitivity::kSecret,
}};

inline constexpr Setting<Url> kPortoneApiBase{{
    .env = "PAYPIPE_PORTONE_API_BASE",
    .help = "PortOne V2 API base URL (the simulator's in tests)",
    .kind = Kind::kUrl,
    .default_value = "https://api.portone.io",
    .choices = "https,http",
}};

inline constexpr Setting<Secret> kPortoneImpKey{{
    .env = "PAYPIPE_PORTONE_IMP_KEY",
    .help = "PortOne V1 REST API key (imp_key)",
    .kind = Kind::kSecret,
    .sensitivity = Sensitivity::kSecret,
}};

inline constexpr Setting<Secret> kPortoneImpSecret{{
    .env = "PAYPIPE_PORTONE_IMP_SECRET",
    .help = "PortOne V1 REST API secret (imp_secret)",
    .kind = Kind::kSecret,
    .sensitivity = Sensitivity::kSecret,
}};

inline constexpr Setting<Url> kPortoneV1ApiBase{{
    .env = "PAYPIPE_PORTONE_V1_API_BASE",
    .help = "PortOne V1 API base URL (the simulator's in tests)",
    .kind = Kind::kUrl,
    .default_value = "https://api.iamport.kr",
    .choices = "https,http",
}};

inline constexpr Setting<Secret> kPortoneWebhookSecret{{
    .env = "PAYPIPE_PORTONE_WEBHOOK_SECRET",
    .help = "PortOne V2 Standard Webhooks secret (whsec_...); several separated by spaces or "
            "commas while rotating",
    .kind = Kind::kSecret,
    .sensitivity = Sensitivity::kSecret,
}};

inline constexpr Setting<std::chrono::milliseconds> kHttpClientTimeout{{
    .env = "PAYPIPE_HTTP_CLIENT_TIMEOUT",
    .help = "Time limit of each outbound HTTP call (PG APIs, Slack); keep it well below the AMQP "
            "heartbeat, which is not serviced during the call",
    .kind = Kind::kDuration,
    .default_value = "10s",
    .min_duration = std::chrono::milliseconds{100},
    .max_duration = std::chrono::minutes{2},
}};

// --- Alerts -----------------------------------------------------------------------------------

inline constexpr Setting<Url> kSlackWebhookUrl{{
    .env = "PAYPIPE_SLACK_WEBHOOK_URL",
    .help = "Slack incoming webhook URL alerts are posted to (the simulator's in tests)",
    .kind = Kind::kUrl,
    .sensitivity = Sensitivity::kSecret,
    .choices = "https,http",
}};

// --- Workers ----------------------------------------------------------------------------------

inline constexpr Setting<std::int64_t> kConcurrency{{
    .env = "PAYPIPE_CONCURRENCY",
    .help = "Messages each stage of a worker processes in parallel",
    .kind = Kind::kInteger,
    .default_value = "4",
    .min = 1,
    .max = 256,
}};

inline constexpr Setting<std::int64_t> kAmqpPrefetch{{
    .env = "PAYPIPE_AMQP_PREFETCH",
    .help = "Unacknowledged deliveries the broker may push ahead to each consumer thread; at least twice PAYPIPE_BATCH_SIZE lets full batches form while the last one awaits its ack",
    .kind = Kind::kInteger,
    .default_value = "128",
    .min = 1,
    .max = 1000,
}};

inline constexpr Setting<std::chrono::milliseconds> kAmqpHeartbeat{{
    .env = "PAYPIPE_AMQP_HEARTBEAT",
    .help = "AMQP heartbeat interval (whole seconds are sent to the broker)",
    .kind = Kind::kDuration,
    .default_value = "30s",
    .min_duration = std::chrono::seconds{5},
    .max_duration = std::chrono::minutes{10},
}};

inline constexpr Setting<std::chrono::milliseconds> kShutdownGrace{{
    .env = "PAYPIPE_SHUTDOWN_GRACE",
    .help = "After SIGTERM, how long to finish work in flight before exiting; keep it below the "
            "orchestrator's kill timeout",
    .kind = Kind::kDuration,
    .default_value = "25s",
    .max_duration = std::chrono::minutes{10},
}};

inline constexpr Setting<std::int64_t> kBatchSize{{
    .env = "PAYPIPE_BATCH_SIZE",
    .help = "Deliveries a worker thread commits in one database transaction and one confirm wait; "
            "payments a scheduler job handles in one transaction",
    .kind = Kind::kInteger,
    .default_value = "64",
    .min = 1,
    .max = 1000,
}};

inline constexpr Setting<std::chrono::milliseconds> kBatchWait{{
    .env = "PAYPIPE_BATCH_WAIT",
    .help = "How long a worker thread holding fewer than PAYPIPE_BATCH_SIZE deliveries waits for "
            "more before it processes them; 0 takes only what has already arrived. A longer wait "
            "shares one transaction and one confirm wait among more messages at the cost of "
            "that much latency per stage",
    .kind = Kind::kDuration,
    .default_value = "5ms",
    .max_duration = std::chrono::seconds{1},
}};

inline constexpr Setting<std::chrono::milliseconds> kRelayMinAge{{
    .env = "PAYPIPE_RELAY_MIN_AGE",
    .help = "Age after which the outbox relay publishes a row its worker left unpublished",
    .kind = Kind::kDuration,
    .default_value = "10s",
    .min_duration = std::chrono::seconds{1},
    .max_duration = std::chrono::hours{1},
}};

inline constexpr Setting<std::string> kFaultPoint{{
    .env = "PAYPIPE_FAULT_POINT",
    .help = "Tests only: <point>:<n> ends the worker or scheduler abruptly on the n-th hit of a "
            "crash point (after_inbox_insert, after_commit_before_publish, "
            "after_publish_before_mark, after_mark_before_ack); needs a build with "
            "PAYPIPE_FAULT_POINTS",
    .kind = Kind::kString,
}};

// --- Scheduler --------------------------------------------------------------------------------

inline constexpr Setting<std::chrono::milliseconds> kSchedulerLease{{
    .env = "PAYPIPE_SCHEDULER_LEASE",
    .help = "How long a scheduler replica holds a job's lease in the database between renewals; "
            "the jobs of a replica that dies pass to another after this long",
    .kind = Kind::kDuration,
    .default_value = "30s",
    .min_duration = std::chrono::seconds{1},
    .max_duration = std::chrono::minutes{10},
}};

inline constexpr Setting<std::chrono::milliseconds> kReconcileInterval{{
    .env = "PAYPIPE_RECONCILE_INTERVAL",
    .help = "How often the scheduler looks for stuck payments whose next look-up is due",
    .kind = Kind::kDuration,
    .default_value = "15s",
    .min_duration = std::chrono::milliseconds{100},
    .max_duration = std::chrono::hours{1},
}};

inline constexpr Setting<std::chrono::milliseconds> kReconcileStuckAfter{{
    .env = "PAYPIPE_RECONCILE_STUCK_AFTER",
    .help = "A payment IN_PROGRESS or UNKNOWN without any change for this long is stuck and "
            "enters the reconciliation schedule; after its last look-up it has this long again "
            "to move before the alert",
    .kind = Kind::kDuration,
    .default_value = "1m",
    .min_duration = std::chrono::seconds{1},
    .max_duration = std::chrono::hours{24},
}};

inline constexpr Setting<std::vector<std::chrono::milliseconds>> kReconcileSchedule{{
    .env = "PAYPIPE_RECONCILE_SCHEDULE",
    .help = "When a stuck payment is looked up at its PG again (payment.verify to confirm), "
            "counted from the moment it became stuck; still stuck after the last one: one "
            "critical Slack alert, then it is left to an operator",
    .kind = Kind::kDurationList,
    .default_value = "1m,5m,15m,1h,6h,24h",
    .max_duration = std::chrono::hours{24 * 30},
}};

inline constexpr Setting<std::chrono::milliseconds> kRetention{{
    .env = "PAYPIPE_RETENTION",
    .help = "How long processed inbox and outbox rows and closed dead letters are kept before "
            "the scheduler purges them (webhook audit rows and dedupe keys are kept forever)",
    .kind = Kind::kDuration,
    .default_value = "90d",
    .min_duration = std::chrono::hours{24},
    .max_duration = std::chrono::hours{24 * 3650},
}};

// --- Process ----------------------------------------------------------------------------------

inline constexpr Setting<std::string> kLogLevel{{
    .env = "PAYPIPE_LOG_LEVEL",
    .help = "Lowest level of log lines written to stderr",
    .kind = Kind::kEnum,
    .default_value = "info",
    .choices = "debug,info,warn,error",
}};

// Every setting, in the order dumps and `config check` show them. One per line, so that additions
// merge cleanly.
// clang-format off
inline constexpr auto kAllSettings = std::to_array<const SettingInfo*>({
    &kAmqpUrl,
    &kMysqlUrl,
    &kRabbitmqApiUrl,
    &kHttpAddr,
    &kApiToken,
    &kHttpMaxBodyBytes,
    &kGatewayConfirmTimeout,
    &kTossSecretKey,
    &kTossApiBase,
    &kPortoneApiSecret,
    &kPortoneApiBase,
    &kPortoneImpKey,
    &kPortoneImpSecret,
    &kPortoneV1ApiBase,
    &kPortoneWebhookSecret,
    &kHttpClientTimeout,
    &kSlackWebhookUrl,
    &kConcurrency,
    &kAmqpPrefetch,
    &kAmqpHeartbeat,
    &kShutdownGrace,
    &kBatchSize,
    &kBatchWait,
    &kRelayMinAge,
    &kFaultPoint,
    &kSchedulerLease,
    &kReconcileInterval,
    &kReconcileStuckAfter,
    &kReconcileSchedule,
    &kRetention,
    &kLogLevel,
});
// clang-format on

}  // namespace paypipe::infra::config
