-- The tax-free part of each cancel. A look-up may reveal several cancels of one payment at once
-- (a partial cancel, then the rest); each is recorded on its own with what the PG reports for it
-- (Toss cancels[].taxFreeAmount, PortOne V2 cancellations[].taxFreeAmount): the VAT of the
-- refund and its receipt depend on it.

ALTER TABLE payment_cancels
  ADD COLUMN tax_free_amount BIGINT NOT NULL DEFAULT 0
    COMMENT 'tax-free part of canceled_amount, as the PG reports it (0 when it reports none)'
    AFTER canceled_amount,
  ADD CONSTRAINT chk_payment_cancels_tax_free CHECK (
    tax_free_amount >= 0 AND (canceled_amount IS NULL OR tax_free_amount <= canceled_amount));
