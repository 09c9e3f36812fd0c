-- The scheduler (`paypipe scheduler`): the leases that let one replica at a time run each
-- periodic job, and the reconciliation of payments stuck in IN_PROGRESS or UNKNOWN.

CREATE TABLE scheduler_leases (
  job          VARCHAR(64)  NOT NULL COMMENT 'job name, e.g. reconcile-payments',
  holder       VARCHAR(191) NOT NULL COMMENT 'the scheduler replica holding the lease: host/pid/random',
  acquired_at  DATETIME(6)  NOT NULL COMMENT 'when this holder took the lease',
  expires_at   DATETIME(6)  NOT NULL COMMENT 'from this instant another replica may take the lease, unless the holder renews it first',
  PRIMARY KEY (job)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin
  COMMENT='one row per job, taken or renewed by one INSERT ... ON DUPLICATE KEY UPDATE; a job runs only while its replica holds the lease, and each of its transactions locks the row to prove it';

CREATE TABLE payment_reconciliations (
  payment_id       BIGINT       NOT NULL,
  stuck_since      DATETIME(6)  NOT NULL COMMENT 'when the payment became stuck: its last change + PAYPIPE_RECONCILE_STUCK_AFTER; the schedule counts from here',
  step             INT          NOT NULL DEFAULT 0 COMMENT 'steps of PAYPIPE_RECONCILE_SCHEDULE passed; steps missed while no scheduler ran are skipped, not made up',
  attempts         INT          NOT NULL DEFAULT 0 COMMENT 'payment.verify messages emitted; the n-th has a message id derived from (payment_id, n)',
  next_due_at      DATETIME(6)  NULL COMMENT 'when the next look-up, or the final check after the last one, is due; NULL once finished',
  last_status      VARCHAR(24)  NOT NULL COMMENT 'payments.status when the scheduler last looked at it',
  last_message_id  VARCHAR(128) NULL COMMENT 'the last payment.verify or alert.slack emitted',
  last_attempt_at  DATETIME(6)  NULL,
  alerted_at       DATETIME(6)  NULL COMMENT 'the schedule ran out with the payment still stuck: one alert.slack emitted, then left to an operator',
  resolved_at      DATETIME(6)  NULL COMMENT 'found no longer IN_PROGRESS or UNKNOWN',
  created_at       DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  updated_at       DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
  PRIMARY KEY (payment_id),
  -- The due query: `next_due_at <= NOW(6) ORDER BY next_due_at LIMIT n FOR UPDATE SKIP LOCKED`
  -- reads a range of this index; finished rows (NULL) are outside it.
  KEY ix_payment_reconciliations_due (next_due_at),
  CONSTRAINT fk_payment_reconciliations_payment FOREIGN KEY (payment_id) REFERENCES payments (id),
  CONSTRAINT chk_payment_reconciliations_counts CHECK (step >= 0 AND attempts >= 0 AND attempts <= step)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin
  COMMENT='payments stuck in IN_PROGRESS or UNKNOWN: where each stands in the look-up schedule of `paypipe scheduler`';
