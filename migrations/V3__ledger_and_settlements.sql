-- The double-entry ledger, the settlements computed from it, and the views finance reads.

CREATE TABLE ledger_entries (
  id                 BIGINT       NOT NULL AUTO_INCREMENT,
  transaction_id     VARCHAR(64)  NOT NULL COMMENT 'groups the lines of one balanced posting; derived from the operation (e.g. capture:<payment key>) so that a redelivered message cannot post twice',
  line_no            SMALLINT     NOT NULL COMMENT '1, 2, ... within the transaction',
  kind               VARCHAR(32)  NOT NULL COMMENT 'what the posting records: PAYMENT_CAPTURE, PAYMENT_CANCEL, SETTLEMENT, ...',
  account_code       VARCHAR(64)  NOT NULL COMMENT 'e.g. pg_receivable, partner_payable, fee_revenue, vat_payable',
  account_type       VARCHAR(16)  NOT NULL,
  side               VARCHAR(6)   NOT NULL,
  amount             BIGINT       NOT NULL COMMENT 'KRW, always positive; the side gives the direction',
  partner_id         VARCHAR(64)  NULL,
  order_id           VARCHAR(64)  NULL,
  payment_id         BIGINT       NULL,
  payment_cancel_id  BIGINT       NULL,
  settlement_id      BIGINT       NULL,
  business_date      DATE         NOT NULL COMMENT 'KST date the posting counts for in settlement',
  description        VARCHAR(255) NULL,
  created_at         DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  PRIMARY KEY (id),
  UNIQUE KEY uq_ledger_entries_line (transaction_id, line_no),
  KEY ix_ledger_entries_partner_date (partner_id, business_date),
  KEY ix_ledger_entries_account_date (account_code, business_date),
  KEY ix_ledger_entries_payment (payment_id),
  KEY ix_ledger_entries_settlement (settlement_id),
  CONSTRAINT chk_ledger_entries_account_type
    CHECK (account_type IN ('ASSET', 'LIABILITY', 'EQUITY', 'REVENUE', 'EXPENSE')),
  CONSTRAINT chk_ledger_entries_side CHECK (side IN ('DEBIT', 'CREDIT')),
  CONSTRAINT chk_ledger_entries_amount CHECK (amount > 0),
  CONSTRAINT chk_ledger_entries_line CHECK (line_no > 0)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin
  COMMENT='double-entry ledger lines; every transaction balances (debits = credits); append-only: corrections are new reversing transactions';

CREATE TABLE settlements (
  id                    BIGINT        NOT NULL AUTO_INCREMENT,
  partner_id            VARCHAR(64)   NOT NULL,
  business_date         DATE          NOT NULL COMMENT 'KST date whose sales are settled',
  status                VARCHAR(16)   NOT NULL DEFAULT 'REQUESTED',
  gross_amount          BIGINT        NOT NULL DEFAULT 0 COMMENT 'payments captured on the date',
  refund_amount         BIGINT        NOT NULL DEFAULT 0 COMMENT 'cancels refunded on the date',
  fee_amount            BIGINT        NOT NULL DEFAULT 0 COMMENT 'platform fee, VAT excluded',
  vat_amount            BIGINT        NOT NULL DEFAULT 0 COMMENT 'VAT on the fee',
  withholding_amount    BIGINT        NOT NULL DEFAULT 0 COMMENT 'tax withheld from the payout',
  net_amount            BIGINT        NOT NULL DEFAULT 0 COMMENT 'payout; negative when refunds exceed the day''s sales',
  payment_count         INT           NOT NULL DEFAULT 0,
  refund_count          INT           NOT NULL DEFAULT 0,
  fee_rate_bps          INT           NULL COMMENT 'rates used, copied from partners when computed',
  fee_vat_rate_bps      INT           NULL,
  withholding_rate_bps  INT           NULL,
  ledger_transaction_id VARCHAR(64)   NULL COMMENT 'the payout posting in ledger_entries',
  attempts              INT           NOT NULL DEFAULT 0,
  failure_reason        VARCHAR(1024) NULL,
  requested_by          VARCHAR(128)  NULL COMMENT 'scheduler, or the operator of paypipe settle',
  requested_at          DATETIME(6)   NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  started_at            DATETIME(6)   NULL,
  completed_at          DATETIME(6)   NULL,
  failed_at             DATETIME(6)   NULL,
  updated_at            DATETIME(6)   NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
  PRIMARY KEY (id),
  -- Idempotent per partner and date: a second trigger finds the first row.
  UNIQUE KEY uq_settlements_partner_date (partner_id, business_date),
  KEY ix_settlements_status (status, updated_at),
  KEY ix_settlements_business_date (business_date),
  CONSTRAINT fk_settlements_partner FOREIGN KEY (partner_id) REFERENCES partners (partner_id),
  CONSTRAINT chk_settlements_status
    CHECK (status IN ('REQUESTED', 'PROCESSING', 'COMPLETED', 'FAILED')),
  CONSTRAINT chk_settlements_totals CHECK (gross_amount >= 0 AND refund_amount >= 0),
  -- The definition of the payout, enforced so that no arithmetic slip is ever stored.
  CONSTRAINT chk_settlements_net CHECK (
    net_amount = gross_amount - refund_amount - fee_amount - vat_amount - withholding_amount)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin
  COMMENT='one settlement per partner and business date: REQUESTED -> PROCESSING -> COMPLETED or FAILED';

-- Money in and out of the platform, one row per ledger transaction that changes its assets:
-- INCOME when the transaction's asset lines net to a debit (a customer paid), OUTCOME when they
-- net to a credit (a refund, a payout). Postings that leave assets unchanged (recognising a fee
-- out of what is owed to a partner, moving money between two asset accounts) do not appear.
CREATE SQL SECURITY INVOKER VIEW finance_transactions AS
SELECT
  transaction_id,
  CASE WHEN SUM(CASE side WHEN 'DEBIT' THEN amount ELSE -amount END) > 0
       THEN 'INCOME' ELSE 'OUTCOME' END AS type,
  CAST(ABS(SUM(CASE side WHEN 'DEBIT' THEN amount ELSE -amount END)) AS SIGNED) AS amount,
  MIN(kind) AS kind,
  MIN(partner_id) AS partner_id,
  MIN(order_id) AS order_id,
  MIN(payment_id) AS payment_id,
  MIN(settlement_id) AS settlement_id,
  MIN(business_date) AS business_date,
  MIN(created_at) AS created_at
FROM ledger_entries
WHERE account_type = 'ASSET'
GROUP BY transaction_id
HAVING SUM(CASE side WHEN 'DEBIT' THEN amount ELSE -amount END) <> 0;

-- Ledger transactions whose debits and credits differ: must always be empty. Checked by tests
-- and by anyone auditing the books.
CREATE SQL SECURITY INVOKER VIEW ledger_unbalanced_transactions AS
SELECT
  transaction_id,
  CAST(SUM(CASE side WHEN 'DEBIT' THEN amount ELSE 0 END) AS SIGNED) AS debit_total,
  CAST(SUM(CASE side WHEN 'CREDIT' THEN amount ELSE 0 END) AS SIGNED) AS credit_total
FROM ledger_entries
GROUP BY transaction_id
HAVING SUM(CASE side WHEN 'DEBIT' THEN amount ELSE -amount END) <> 0;
