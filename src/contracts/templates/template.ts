import type { ContractContext } from '../contract-context.js';

/** The five documents signed at the store, in the seed's order (签约: 《借款协议》…《风险获知及承诺书》). */
export const CONTRACT_KINDS = [
  'loan_agreement',
  'credit_service_agreement',
  'repayment_reminder',
  'deduction_authorization',
  'risk_acknowledgement',
] as const;
export type ContractKind = (typeof CONTRACT_KINDS)[number];

/**
 * A versioned document template. `version` changes whenever the rendered text of any
 * context would change (wording, layout, formatting), so a stored document's
 * (kind, templateVersion, sha256) always identifies the template that produced it.
 * `render` must be pure and deterministic: no clock, no locale, no randomness.
 */
export interface ContractTemplate<K extends ContractKind = ContractKind> {
  readonly kind: K;
  readonly title: string;
  readonly version: string;
  render(ctx: ContractContext): string;
}
