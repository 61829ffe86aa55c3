-- Signed contracts are evidence: a signing and the documents it covers are never changed
-- or removed. A correction is a new signing of new documents (e.g. a supplementary
-- agreement), never an edit. Same pattern as 0001_ledger_immutable.
CREATE FUNCTION contracts_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'signed contract rows are immutable: % on % refused', TG_OP, TG_TABLE_NAME USING ERRCODE = 'P0001';
END;
$$;
--> statement-breakpoint
CREATE TRIGGER contract_signings_immutable BEFORE UPDATE OR DELETE ON contract_signings
  FOR EACH ROW EXECUTE FUNCTION contracts_refuse_change();
--> statement-breakpoint
CREATE TRIGGER contract_documents_immutable BEFORE UPDATE OR DELETE ON contract_documents
  FOR EACH ROW EXECUTE FUNCTION contracts_refuse_change();
--> statement-breakpoint
CREATE TRIGGER contract_signings_no_truncate BEFORE TRUNCATE ON contract_signings
  FOR EACH STATEMENT EXECUTE FUNCTION contracts_refuse_change();
--> statement-breakpoint
CREATE TRIGGER contract_documents_no_truncate BEFORE TRUNCATE ON contract_documents
  FOR EACH STATEMENT EXECUTE FUNCTION contracts_refuse_change();
