-- Messaging tables every stage shares: the inbox/outbox pair that makes effects happen exactly
-- once while messages travel at least once, the raw webhook audit, the dead-letter parking lot
-- and alert coalescing.
--
-- Conventions for every paypipe table:
-- * InnoDB, utf8mb4 with the binary collation: identifiers (order ids, payment keys, message
--   ids, dedupe keys) compare byte for byte, so "Order-1" and "order-1" stay distinct.
-- * Timestamps are DATETIME(6) in UTC (the adapter sets the session time_zone to +00:00).
-- * Money is BIGINT in KRW (no minor unit); no floating point anywhere.

CREATE TABLE inbox (
  consumer     VARCHAR(64)  NOT NULL COMMENT 'stage (queue consumer) that processed the message',
  message_id   VARCHAR(128) NOT NULL COMMENT 'AMQP message_id',
  received_at  DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  PRIMARY KEY (consumer, message_id),
  KEY ix_inbox_received_at (received_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin
  COMMENT='messages whose effects are committed, per consumer; inserted in the same transaction as the effects; purged by received_at once older than any redelivery';

CREATE TABLE outbox (
  id                BIGINT        NOT NULL AUTO_INCREMENT,
  message_id        VARCHAR(128)  NOT NULL COMMENT 'deterministic for derived messages',
  exchange          VARCHAR(255)  NOT NULL,
  routing_key       VARCHAR(255)  NOT NULL,
  type              VARCHAR(128)  NOT NULL COMMENT 'message type, e.g. payment.confirm',
  correlation_id    VARCHAR(128)  NULL COMMENT 'order / payment the message is about',
  headers           JSON          NOT NULL COMMENT 'AMQP headers (x-attempt, traceparent, ...)',
  body              MEDIUMBLOB    NOT NULL,
  content_type      VARCHAR(128)  NOT NULL DEFAULT 'application/json',
  source_consumer   VARCHAR(64)   NULL COMMENT 'consumer whose transaction wrote this row',
  source_message_id VARCHAR(128)  NULL COMMENT 'message being processed when it was written',
  created_at        DATETIME(6)   NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  published_at      DATETIME(6)   NULL COMMENT 'set once the broker confirmed the publish',
  publish_attempts  INT           NOT NULL DEFAULT 0,
  last_error        VARCHAR(1024) NULL,
  PRIMARY KEY (id),
  UNIQUE KEY uq_outbox_message_id (message_id),
  -- The relay sweeps `published_at IS NULL AND created_at < ?` in created_at order; the purge
  -- deletes `published_at < ?`. Both are ranges of this index.
  KEY ix_outbox_relay (published_at, created_at),
  -- A redelivered message finds the rows its first run wrote and publishes the unpublished.
  KEY ix_outbox_source (source_consumer, source_message_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin
  COMMENT='messages written with the effects that caused them, published after commit';

CREATE TABLE webhook_events (
  id            BIGINT       NOT NULL AUTO_INCREMENT,
  provider      VARCHAR(32)  NOT NULL COMMENT 'toss, portone_v1, portone_v2',
  event_key     VARCHAR(512) NOT NULL COMMENT 'dedupe key derived from the content (Toss sends no event id); kept permanently',
  event_type    VARCHAR(128) NULL COMMENT 'eventType / type of the body, when it has one',
  payment_key   VARCHAR(200) NULL,
  order_id      VARCHAR(64)  NULL,
  message_id    VARCHAR(128) NULL COMMENT 'AMQP message that carried it from the gateway',
  verification  VARCHAR(16)  NOT NULL COMMENT 'SIGNATURE: signature verified; SECRET: deposit secret matched; REFETCH: unsigned, trusted only through a PG lookup',
  headers       JSON         NOT NULL COMMENT 'HTTP headers as received',
  body          MEDIUMBLOB   NOT NULL COMMENT 'HTTP body byte for byte, for audit and signature re-checks',
  content_type  VARCHAR(128) NULL,
  received_at   DATETIME(6)  NOT NULL COMMENT 'when the gateway received it',
  recorded_at   DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  PRIMARY KEY (id),
  UNIQUE KEY uq_webhook_events_event (provider, event_key),
  KEY ix_webhook_events_payment_key (payment_key),
  KEY ix_webhook_events_order_id (order_id),
  KEY ix_webhook_events_received_at (received_at),
  CONSTRAINT chk_webhook_events_verification
    CHECK (verification IN ('SIGNATURE', 'SECRET', 'REFETCH'))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin
  COMMENT='raw webhooks accepted by webhook-intake, one row per distinct event';

CREATE TABLE dead_letters (
  id                     BIGINT        NOT NULL AUTO_INCREMENT,
  dedupe_key             VARCHAR(191)  NOT NULL COMMENT 'chosen by the archiver so that a redelivered dead letter is parked once, while a message dead-lettered again after a replay gets a new row',
  stage                  VARCHAR(64)   NOT NULL,
  queue                  VARCHAR(255)  NOT NULL COMMENT 'the *.dlq queue it was archived from',
  message_id             VARCHAR(128)  NULL,
  correlation_id         VARCHAR(128)  NULL,
  message_type           VARCHAR(128)  NULL,
  exchange               VARCHAR(255)  NULL COMMENT 'exchange of the original publish',
  routing_key            VARCHAR(255)  NULL COMMENT 'routing key of the original publish, used by replay',
  headers                JSON          NOT NULL,
  body                   MEDIUMBLOB    NOT NULL,
  content_type           VARCHAR(128)  NULL,
  reason                 VARCHAR(64)   NOT NULL COMMENT 'rejected, delivery_limit, expired, maxlen, or the stage''s own reason',
  error_kind             VARCHAR(24)   NULL,
  error_code             VARCHAR(128)  NULL,
  error_message          TEXT          NULL,
  attempts               INT           NOT NULL DEFAULT 0 COMMENT 'x-attempt when it was given up',
  dead_lettered_at       DATETIME(6)   NOT NULL,
  archived_at            DATETIME(6)   NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  status                 VARCHAR(16)   NOT NULL DEFAULT 'PARKED',
  replay_count           INT           NOT NULL DEFAULT 0,
  last_replayed_at       DATETIME(6)   NULL,
  last_replayed_by       VARCHAR(128)  NULL,
  last_replay_message_id VARCHAR(128)  NULL,
  discarded_at           DATETIME(6)   NULL,
  discarded_by           VARCHAR(128)  NULL,
  discard_reason         VARCHAR(1024) NULL,
  updated_at             DATETIME(6)   NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
  PRIMARY KEY (id),
  UNIQUE KEY uq_dead_letters_dedupe_key (dedupe_key),
  KEY ix_dead_letters_status (status, dead_lettered_at),
  KEY ix_dead_letters_stage (stage, status, dead_lettered_at),
  KEY ix_dead_letters_message_id (message_id),
  KEY ix_dead_letters_correlation_id (correlation_id),
  CONSTRAINT chk_dead_letters_status CHECK (status IN ('PARKED', 'REPLAYED', 'DISCARDED')),
  CONSTRAINT chk_dead_letters_error_kind
    CHECK (error_kind IS NULL OR error_kind IN ('transient', 'retry_transaction', 'permanent'))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin
  COMMENT='parking lot: messages no stage could process, until an operator replays or discards them';

CREATE TABLE dead_letter_actions (
  id              BIGINT        NOT NULL AUTO_INCREMENT,
  dead_letter_id  BIGINT        NULL COMMENT 'NULL for an action on a filter that matched nothing',
  action          VARCHAR(16)   NOT NULL,
  actor           VARCHAR(128)  NOT NULL COMMENT 'who ran it (operator name, token name)',
  selection       JSON          NULL COMMENT 'filter the action was run with (stage, time range, ids)',
  detail          JSON          NULL COMMENT 'e.g. the republished message id, the reason given',
  created_at      DATETIME(6)   NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  PRIMARY KEY (id),
  KEY ix_dead_letter_actions_dead_letter (dead_letter_id, created_at),
  KEY ix_dead_letter_actions_created_at (created_at),
  CONSTRAINT chk_dead_letter_actions_action
    CHECK (action IN ('REPLAY', 'REPLAY_DRY_RUN', 'DISCARD'))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin
  COMMENT='audit trail of every operator action on the parking lot, append-only';

CREATE TABLE alerts (
  id                  BIGINT       NOT NULL AUTO_INCREMENT,
  dedupe_key          VARCHAR(191) NOT NULL COMMENT 'alerts with one key coalesce into one Slack message',
  severity            VARCHAR(16)  NOT NULL,
  title               VARCHAR(255) NOT NULL,
  last_payload        JSON         NULL COMMENT 'the most recent occurrence',
  occurrences         BIGINT       NOT NULL DEFAULT 1 COMMENT 'all occurrences ever',
  unsent_occurrences  BIGINT       NOT NULL DEFAULT 1 COMMENT 'occurrences since the last message sent',
  send_count          INT          NOT NULL DEFAULT 0,
  first_seen_at       DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  last_seen_at        DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  last_sent_at        DATETIME(6)  NULL,
  PRIMARY KEY (id),
  UNIQUE KEY uq_alerts_dedupe_key (dedupe_key),
  KEY ix_alerts_last_seen_at (last_seen_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin
  COMMENT='alert coalescing: a flood of one alert becomes one message with a count';
