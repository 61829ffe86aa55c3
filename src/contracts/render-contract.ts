/**
 * Renders the five documents a borrower signs at the carrier store (seed, 签约:
 * 《借款协议》《信用咨询及管理服务协议》《还款事项提醒函》《委托划扣协议书》《风险获知及承诺书》).
 *
 * - The context is validated first (validateContractContext); an inconsistent one throws.
 * - All five are always rendered, in the seed's order. 委托划扣协议书 included: when
 *   neither passbook nor phone credit was chosen it records that no deduction is
 *   authorised (see templates/deduction-authorization.ts).
 * - Content is plain text, LF line ends, one final newline, rendered without clock or
 *   locale, so the same context always gives the same bytes; `sha256` is the lowercase hex
 *   SHA-256 of the UTF-8 content. These rows go to `contract_documents` unchanged.
 * - Personal data: the full ID number appears once, in the 借款协议 party block (a loan
 *   contract must identify its debtor; the address for service is there too). The other
 *   four show it masked (maskIdNumber) and cite the 借款协议 by its number. The mobile
 *   number is full in the 借款协议 (address for service) and in the 委托划扣协议书 when
 *   phone credit is deducted, as is the passbook account number there (a debit mandate
 *   must name its account); elsewhere they are masked (138****8000, 尾号8901).
 * - Lenders: an empty list prints "出借人详见附件出借人名单" (signed before funding); a
 *   non-empty list must add up to the principal exactly.
 * - The OTP confirmation line keeps its placeholder in the hashed content: the borrower
 *   confirms, with the SMS code, exactly the text that was shown. `withOtpConfirmation`
 *   fills in the verification time for a displayed or printed copy only.
 */
import { createHash } from 'node:crypto';
import { invariant } from '../core/domain-error.js';
import { validateContractContext, type ContractContext } from './contract-context.js';
import { OTP_CONFIRMATION_PREFIX, OTP_VERIFIED_AT_PLACEHOLDER } from './format.js';
import { CREDIT_SERVICE_AGREEMENT } from './templates/credit-service-agreement.js';
import { DEDUCTION_AUTHORIZATION } from './templates/deduction-authorization.js';
import { LOAN_AGREEMENT } from './templates/loan-agreement.js';
import { REPAYMENT_REMINDER } from './templates/repayment-reminder.js';
import { RISK_ACKNOWLEDGEMENT } from './templates/risk-acknowledgement.js';
import { CONTRACT_KINDS, type ContractKind, type ContractTemplate } from './templates/template.js';

export type { ContractContext } from './contract-context.js';
export { validateContractContext } from './contract-context.js';
export { CONTRACT_KINDS, type ContractKind, type ContractTemplate } from './templates/template.js';
export { OTP_CONFIRMATION_PREFIX, OTP_VERIFIED_AT_PLACEHOLDER } from './format.js';

/** The current template of each kind, in the seed's order. */
export const CONTRACT_TEMPLATES: readonly ContractTemplate[] = [
  LOAN_AGREEMENT,
  CREDIT_SERVICE_AGREEMENT,
  REPAYMENT_REMINDER,
  DEDUCTION_AUTHORIZATION,
  RISK_ACKNOWLEDGEMENT,
];
invariant(CONTRACT_TEMPLATES.map((t) => t.kind).join() === CONTRACT_KINDS.join(), 'one template per contract kind, in order');

export interface RenderedDocument {
  kind: ContractKind;
  title: string;
  templateVersion: string;
  content: string;
  /** Lowercase hex SHA-256 of `content` as UTF-8. */
  sha256: string;
}

export function sha256Hex(content: string): string {
  return createHash('sha256').update(content, 'utf8').digest('hex');
}

export function renderContractSet(ctx: ContractContext): RenderedDocument[] {
  validateContractContext(ctx);
  return CONTRACT_TEMPLATES.map((template) => {
    const content = template.render(ctx);
    return { kind: template.kind, title: template.title, templateVersion: template.version, content, sha256: sha256Hex(content) };
  });
}

/**
 * A copy of a signed document with the OTP verification time written in, for display or
 * printing. `verifiedAt` is already formatted by the caller (e.g. "2026年11月25日10时31分07秒",
 * Asia/Shanghai). The stored content and its hash stay as signed.
 */
export function withOtpConfirmation(content: string, verifiedAt: string): string {
  const line = `${OTP_CONFIRMATION_PREFIX}${OTP_VERIFIED_AT_PLACEHOLDER}`;
  const at = content.indexOf(line);
  invariant(at >= 0 && content.indexOf(line, at + 1) < 0, 'the document holds exactly one OTP confirmation placeholder');
  invariant(verifiedAt.length > 0 && !/[\r\n]/.test(verifiedAt), 'verifiedAt is one non-empty line');
  return content.slice(0, at) + OTP_CONFIRMATION_PREFIX + verifiedAt + content.slice(at + line.length);
}
