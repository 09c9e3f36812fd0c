-- Who sells, who buys, what was ordered and how it was paid: partners, customers, orders,
-- subscriptions, payments with their cancels and every PG call made for them, and invoices.
--
-- Amounts are BIGINT KRW. Ids that come from outside (order ids, payment keys, partner and
-- customer ids) are strings compared byte for byte; internal rows have BIGINT surrogate keys.
-- Vocabularies (statuses, kinds) are checked by the database so that a typo in code fails the
-- transaction instead of storing a state no reader knows.

CREATE TABLE partners (
  partner_id            VARCHAR(64)  NOT NULL,
  name                  VARCHAR(200) NOT NULL,
  status                VARCHAR(16)  NOT NULL DEFAULT 'ACTIVE',
  fee_rate_bps          INT          NOT NULL COMMENT 'platform fee, VAT excluded, in basis points of the gross (250 = 2.5%)',
  fee_vat_rate_bps      INT          NOT NULL DEFAULT 1000 COMMENT 'VAT charged on top of the fee (1000 = 10%); 0 when none is charged',
  withholding_rate_bps  INT          NOT NULL DEFAULT 0 COMMENT 'tax withheld from the payout: 330 (3% income + 0.3% local) for individuals with freelance income, 0 otherwise',
  settlement_delay_days INT          NOT NULL DEFAULT 1 COMMENT 'payout on business date + N (D+1, D+2, ...)',
  created_at            DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  updated_at            DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
  PRIMARY KEY (partner_id),
  CONSTRAINT chk_partners_status CHECK (status IN ('ACTIVE', 'SUSPENDED', 'CLOSED')),
  CONSTRAINT chk_partners_fee_rate CHECK (fee_rate_bps BETWEEN 0 AND 10000),
  CONSTRAINT chk_partners_fee_vat_rate CHECK (fee_vat_rate_bps BETWEEN 0 AND 10000),
  CONSTRAINT chk_partners_withholding_rate CHECK (withholding_rate_bps BETWEEN 0 AND 10000),
  CONSTRAINT chk_partners_settlement_delay CHECK (settlement_delay_days BETWEEN 0 AND 90)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin
  COMMENT='sellers whose sales are settled; settlements copy the rates they used';

CREATE TABLE customers (
  customer_id  VARCHAR(128) NOT NULL COMMENT 'the storefront''s id; also the PG customerKey of billing keys',
  name         VARCHAR(100) NULL,
  email        VARCHAR(254) NULL,
  phone        VARCHAR(32)  NULL,
  created_at   DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  updated_at   DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
  PRIMARY KEY (customer_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin
  COMMENT='buyers, registered by checkout';

CREATE TABLE subscriptions (
  id                   BIGINT       NOT NULL AUTO_INCREMENT,
  customer_id          VARCHAR(128) NOT NULL,
  partner_id           VARCHAR(64)  NOT NULL,
  provider             VARCHAR(32)  NOT NULL,
  plan                 VARCHAR(64)  NOT NULL,
  cycle                VARCHAR(16)  NOT NULL COMMENT 'billing cycle as given at checkout, e.g. MONTHLY',
  amount               BIGINT       NOT NULL COMMENT 'charged every cycle',
  status               VARCHAR(16)  NOT NULL DEFAULT 'PENDING',
  origin_order_id      VARCHAR(64)  NOT NULL COMMENT 'checkout order that started it',
  billing_key_ref      VARCHAR(255) NULL COMMENT 'the PG billing key or an opaque reference to it; a secret: never log it',
  customer_key         VARCHAR(300) NULL COMMENT 'PG customerKey the billing key is bound to',
  current_period_start DATE         NULL,
  current_period_end   DATE         NULL,
  next_billing_date    DATE         NULL COMMENT 'KST date of the next renewal charge',
  dunning_attempts     INT          NOT NULL DEFAULT 0 COMMENT 'failed renewal charges since the last success',
  next_retry_at        DATETIME(6)  NULL COMMENT 'when dunning charges again',
  last_charged_at      DATETIME(6)  NULL,
  canceled_at          DATETIME(6)  NULL,
  cancel_reason        VARCHAR(255) NULL,
  created_at           DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  updated_at           DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
  PRIMARY KEY (id),
  -- A redelivered checkout cannot start a second subscription.
  UNIQUE KEY uq_subscriptions_origin_order (origin_order_id),
  -- The scheduler's renewal sweep: ACTIVE / PAST_DUE rows due by a date.
  KEY ix_subscriptions_renewal (status, next_billing_date),
  KEY ix_subscriptions_customer (customer_id),
  KEY ix_subscriptions_partner (partner_id),
  CONSTRAINT fk_subscriptions_customer FOREIGN KEY (customer_id) REFERENCES customers (customer_id),
  CONSTRAINT fk_subscriptions_partner FOREIGN KEY (partner_id) REFERENCES partners (partner_id),
  CONSTRAINT chk_subscriptions_status
    CHECK (status IN ('PENDING', 'ACTIVE', 'PAST_DUE', 'CANCELED', 'EXPIRED')),
  CONSTRAINT chk_subscriptions_amount CHECK (amount > 0),
  CONSTRAINT chk_subscriptions_dunning CHECK (dunning_attempts >= 0)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin
  COMMENT='recurring billing: status, billing key reference, next billing date, dunning';

CREATE TABLE orders (
  order_id         VARCHAR(64)  NOT NULL COMMENT 'storefront orderId, also sent to the PG (Toss: 6-64 of [A-Za-z0-9_-])',
  order_name       VARCHAR(100) NOT NULL,
  partner_id       VARCHAR(64)  NOT NULL,
  customer_id      VARCHAR(128) NOT NULL,
  provider         VARCHAR(32)  NOT NULL COMMENT 'PG chosen at checkout',
  amount           BIGINT       NOT NULL COMMENT 'what the customer must pay; a confirm for another amount is refused',
  status           VARCHAR(24)  NOT NULL DEFAULT 'CREATED',
  subscription_id  BIGINT       NULL COMMENT 'set for a subscription''s first order and its renewals',
  paid_at          DATETIME(6)  NULL,
  created_at       DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  updated_at       DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
  PRIMARY KEY (order_id),
  KEY ix_orders_partner (partner_id, created_at),
  KEY ix_orders_customer (customer_id, created_at),
  KEY ix_orders_subscription (subscription_id),
  KEY ix_orders_status (status, created_at),
  CONSTRAINT fk_orders_partner FOREIGN KEY (partner_id) REFERENCES partners (partner_id),
  CONSTRAINT fk_orders_customer FOREIGN KEY (customer_id) REFERENCES customers (customer_id),
  CONSTRAINT fk_orders_subscription FOREIGN KEY (subscription_id) REFERENCES subscriptions (id),
  CONSTRAINT chk_orders_status
    CHECK (status IN ('CREATED', 'PAID', 'PARTIAL_CANCELED', 'CANCELED', 'FAILED', 'EXPIRED')),
  CONSTRAINT chk_orders_amount CHECK (amount > 0)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin
  COMMENT='orders registered by checkout before payment';

CREATE TABLE payments (
  id                    BIGINT       NOT NULL AUTO_INCREMENT,
  provider              VARCHAR(32)  NOT NULL,
  payment_key           VARCHAR(200) NOT NULL COMMENT 'Toss paymentKey, PortOne imp_uid (V1) or paymentId (V2)',
  order_id              VARCHAR(64)  NOT NULL,
  partner_id            VARCHAR(64)  NOT NULL COMMENT 'copied from the order (never changes), for settlement',
  payment_type          VARCHAR(16)  NULL COMMENT 'Toss type: NORMAL, BILLING, BRANDPAY',
  method                VARCHAR(64)  NULL COMMENT 'as the PG names it, e.g. 카드, 가상계좌',
  status                VARCHAR(24)  NOT NULL,
  total_amount          BIGINT       NOT NULL,
  balance_amount        BIGINT       NOT NULL COMMENT 'what can still be canceled',
  vat_amount            BIGINT       NULL COMMENT 'VAT contained in the amount, as the PG reports it',
  tax_free_amount       BIGINT       NOT NULL DEFAULT 0,
  last_transaction_key  VARCHAR(64)  NULL,
  requested_at          DATETIME(6)  NULL,
  approved_at           DATETIME(6)  NULL,
  canceled_at           DATETIME(6)  NULL COMMENT 'when the balance reached 0',
  business_date         DATE         NULL COMMENT 'KST settlement date of the approval',
  failure_code          VARCHAR(64)  NULL,
  failure_message       VARCHAR(512) NULL,
  pg_snapshot           JSON         NULL COMMENT 'the payment object last fetched from the PG',
  last_verified_at      DATETIME(6)  NULL COMMENT 'last time the state was read from the PG (reconciliation)',
  created_at            DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  updated_at            DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
  PRIMARY KEY (id),
  -- One row per PG payment, and lookups by payment key alone (GET /v1/payments/{paymentKey}).
  UNIQUE KEY uq_payments_payment_key (payment_key, provider),
  KEY ix_payments_order (order_id),
  -- Reconciliation of payments stuck in IN_PROGRESS / UNKNOWN.
  KEY ix_payments_status (status, updated_at),
  KEY ix_payments_partner_date (partner_id, business_date),
  CONSTRAINT fk_payments_order FOREIGN KEY (order_id) REFERENCES orders (order_id),
  CONSTRAINT chk_payments_status CHECK (status IN (
    'READY', 'IN_PROGRESS', 'WAITING_FOR_DEPOSIT', 'DONE', 'PARTIAL_CANCELED', 'CANCELED',
    'ABORTED', 'EXPIRED', 'FAILED', 'UNKNOWN')),
  CONSTRAINT chk_payments_amounts CHECK (total_amount >= 0 AND tax_free_amount >= 0),
  CONSTRAINT chk_payments_balance CHECK (balance_amount BETWEEN 0 AND total_amount)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin
  COMMENT='payments as the PG reports them; status uses the Toss vocabulary for every provider, UNKNOWN while an outcome awaits a lookup';

CREATE TABLE payment_cancels (
  id                  BIGINT       NOT NULL AUTO_INCREMENT,
  payment_id          BIGINT       NOT NULL,
  partner_id          VARCHAR(64)  NOT NULL COMMENT 'copied from the payment, for settlement',
  origin              VARCHAR(16)  NOT NULL COMMENT 'API: storefront request; AUTO: amount mismatch; SUBSCRIPTION: subscription ended; PG: learned from the PG (webhook / lookup)',
  request_key         VARCHAR(300) NULL COMMENT 'Idempotency-Key of the cancel request; the PG call uses a key derived from this row',
  reason              VARCHAR(200) NOT NULL,
  requested_amount    BIGINT       NULL COMMENT 'NULL: the whole balance',
  canceled_amount     BIGINT       NULL COMMENT 'what the PG canceled',
  status              VARCHAR(16)  NOT NULL DEFAULT 'REQUESTED',
  pg_transaction_key  VARCHAR(64)  NULL COMMENT 'the PG''s cancel transactionKey',
  attempts            INT          NOT NULL DEFAULT 0,
  failure_code        VARCHAR(64)  NULL,
  failure_message     VARCHAR(512) NULL,
  requested_at        DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  canceled_at         DATETIME(6)  NULL COMMENT 'PG time of the cancel',
  business_date       DATE         NULL COMMENT 'KST settlement date of the refund',
  updated_at          DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
  PRIMARY KEY (id),
  -- A repeated cancel request (same Idempotency-Key) is the same cancel.
  UNIQUE KEY uq_payment_cancels_request (payment_id, request_key),
  -- A cancel learned twice (our response and the webhook) is recorded once.
  UNIQUE KEY uq_payment_cancels_transaction (payment_id, pg_transaction_key),
  KEY ix_payment_cancels_status (status, requested_at),
  KEY ix_payment_cancels_partner_date (partner_id, business_date),
  CONSTRAINT fk_payment_cancels_payment FOREIGN KEY (payment_id) REFERENCES payments (id),
  CONSTRAINT chk_payment_cancels_origin CHECK (origin IN ('API', 'AUTO', 'SUBSCRIPTION', 'PG')),
  CONSTRAINT chk_payment_cancels_status CHECK (status IN ('REQUESTED', 'SUCCEEDED', 'FAILED')),
  CONSTRAINT chk_payment_cancels_amounts CHECK (
    (requested_amount IS NULL OR requested_amount > 0) AND
    (canceled_amount IS NULL OR canceled_amount >= 0))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin
  COMMENT='full and partial cancels of a payment: requested, done or failed';

CREATE TABLE payment_attempts (
  id               BIGINT        NOT NULL AUTO_INCREMENT,
  provider         VARCHAR(32)   NOT NULL,
  kind             VARCHAR(24)   NOT NULL,
  order_id         VARCHAR(64)   NULL,
  payment_key      VARCHAR(200)  NULL,
  payment_cancel_id BIGINT       NULL,
  idempotency_key  VARCHAR(300)  NULL COMMENT 'sent to the PG (NULL for lookups)',
  message_id       VARCHAR(128)  NULL COMMENT 'message being processed when the call was made',
  attempt          INT           NOT NULL DEFAULT 1 COMMENT 'x-attempt of that message',
  http_method      VARCHAR(8)    NULL,
  endpoint         VARCHAR(255)  NULL COMMENT 'path called, without host or secrets',
  request          MEDIUMTEXT    NULL COMMENT 'request body, secrets removed',
  http_status      INT           NULL COMMENT 'NULL when no response arrived',
  response         MEDIUMTEXT    NULL,
  outcome          VARCHAR(16)   NOT NULL,
  error_code       VARCHAR(128)  NULL COMMENT 'PG code (e.g. PROVIDER_ERROR) or transport error',
  error_message    VARCHAR(1024) NULL,
  latency_ms       INT           NOT NULL,
  started_at       DATETIME(6)   NOT NULL,
  recorded_at      DATETIME(6)   NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  PRIMARY KEY (id),
  KEY ix_payment_attempts_payment_key (payment_key, started_at),
  KEY ix_payment_attempts_order (order_id, started_at),
  KEY ix_payment_attempts_idempotency_key (idempotency_key),
  KEY ix_payment_attempts_outcome (outcome, started_at),
  CONSTRAINT chk_payment_attempts_kind CHECK (kind IN (
    'CONFIRM', 'LOOKUP', 'CANCEL', 'BILLING_KEY_ISSUE', 'BILLING_CHARGE', 'VIRTUAL_ACCOUNT')),
  -- SUCCEEDED: the PG did it; FAILED: final refusal; TRANSIENT: retry later with the same key;
  -- UNKNOWN: no answer or an unknown-outcome code, resolved by a lookup.
  CONSTRAINT chk_payment_attempts_outcome
    CHECK (outcome IN ('SUCCEEDED', 'FAILED', 'TRANSIENT', 'UNKNOWN')),
  CONSTRAINT chk_payment_attempts_latency CHECK (latency_ms >= 0)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin
  COMMENT='every PG call with its outcome: the failure history; append-only';

CREATE TABLE invoices (
  id               BIGINT       NOT NULL AUTO_INCREMENT,
  order_id         VARCHAR(64)  NOT NULL,
  subscription_id  BIGINT       NULL,
  partner_id       VARCHAR(64)  NOT NULL,
  customer_id      VARCHAR(128) NOT NULL,
  amount           BIGINT       NOT NULL,
  refunded_amount  BIGINT       NOT NULL DEFAULT 0,
  status           VARCHAR(24)  NOT NULL DEFAULT 'ISSUED',
  period_start     DATE         NULL COMMENT 'billing period of a subscription invoice',
  period_end       DATE         NULL,
  issued_at        DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  paid_at          DATETIME(6)  NULL,
  refunded_at      DATETIME(6)  NULL,
  voided_at        DATETIME(6)  NULL,
  updated_at       DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
  PRIMARY KEY (id),
  UNIQUE KEY uq_invoices_order (order_id),
  -- One invoice per subscription period, however often the renewal runs.
  UNIQUE KEY uq_invoices_subscription_period (subscription_id, period_start),
  KEY ix_invoices_customer (customer_id, issued_at),
  KEY ix_invoices_partner (partner_id, issued_at),
  KEY ix_invoices_status (status, issued_at),
  CONSTRAINT fk_invoices_order FOREIGN KEY (order_id) REFERENCES orders (order_id),
  CONSTRAINT fk_invoices_subscription FOREIGN KEY (subscription_id) REFERENCES subscriptions (id),
  -- VOID: never paid (order expired, subscription ended before payment).
  CONSTRAINT chk_invoices_status
    CHECK (status IN ('ISSUED', 'PAID', 'PARTIALLY_REFUNDED', 'REFUNDED', 'VOID')),
  CONSTRAINT chk_invoices_amounts CHECK (amount > 0 AND refunded_amount BETWEEN 0 AND amount)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin
  COMMENT='what the customer owes for an order: ISSUED, then PAID, then possibly refunded';
