/**
 * Everything the five signing documents say, gathered by the caller (loan, borrower, funding,
 * store, schedule) and checked here before anything is rendered. An inconsistent context is
 * a bug or a tampered request, never something to print: it fails loudly with a
 * DomainError naming the field.
 */
import { DomainError } from '../core/domain-error.js';
import { parseCalendarDate, type CalendarDate } from '../core/calendar-date.js';
import { parseIdNumber, parseMobile } from '../core/identity.js';
import { REPAYMENT_CHANNELS, type RepaymentChannel } from '../core/loan-accounting.js';
import { assertFen, assertPositiveFen, sumFen, type Fen } from '../core/money.js';
import { PRODUCT_CODE_PATTERN } from '../core/product.js';
import type { RatePpm } from '../core/rate.js';
import { isRepaymentMethod, TERM_MONTHS_MAX, type RepaymentMethod, type ScheduledInstallment } from '../core/schedule.js';

export interface ContractContext {
  loan: {
    id: number;
    principalFen: Fen;
    annualRatePpm: RatePpm;
    penaltyRatePpm: RatePpm;
    /** One-off 信用咨询及管理服务费, due with the first installment. */
    serviceFeeFen: Fen;
    termMonths: number;
    method: RepaymentMethod;
    productCode: string;
    productName: string;
    /** 借款用途, as the borrower stated it on the application. */
    purpose: string;
  };
  borrower: { name: string; idNumber: string; mobile: string; address: string };
  /** 出借人名单: the investors funding the loan; empty before the loan is funded. */
  lenders: { name: string; amountFen: Fen }[];
  /** The platform, acting as intermediary (居间方). `registration` is its 统一社会信用代码. */
  platform: { name: string; registration: string };
  /** The carrier store where the documents are signed. */
  store: { code: string; name: string; county: string };
  channels: RepaymentChannel[];
  schedule: ScheduledInstallment[];
  signingDate: CalendarDate;
  /** Required when the passbook channel is chosen; the account deducted from. */
  passbook?: { bankName: string; accountNumber: string };
  /** Prepaid credit left untouched by phone-credit deductions (BILLING_PREPAID_RESERVE_FEN). */
  prepaidReserveFen: Fen;
}

function fail(field: string, message: string): never {
  throw new DomainError('INVALID_CONTRACT_CONTEXT', `${field} ${message}`, field);
}

/**
 * Text printed into a document: non-empty, already trimmed, one line, no control
 * characters (a stray newline would shift the fixed layout), at most `max` characters.
 */
function assertText(value: unknown, field: string, max = 100): asserts value is string {
  if (typeof value !== 'string' || value.length === 0) fail(field, 'must be a non-empty string');
  if (value !== value.trim()) fail(field, 'must not start or end with white space');
  if (/[\u0000-\u001f\u007f\u2028\u2029]/.test(value)) fail(field, 'must be one line without control characters');
  if (value.length > max) fail(field, `must be at most ${max} characters`);
}

function assertCount(value: unknown, field: string, min: number, max: number): asserts value is number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    fail(field, `must be a whole number from ${min} to ${max}`);
  }
}

export function validateContractContext(ctx: ContractContext): ContractContext {
  const { loan, borrower, platform, store } = ctx;
  assertCount(loan.id, 'loan.id', 1, Number.MAX_SAFE_INTEGER);
  assertPositiveFen(loan.principalFen, 'loan.principalFen');
  assertFen(loan.serviceFeeFen, 'loan.serviceFeeFen');
  if (loan.serviceFeeFen < 0) fail('loan.serviceFeeFen', 'must not be negative');
  assertCount(loan.annualRatePpm, 'loan.annualRatePpm', 0, 1_000_000);
  assertCount(loan.penaltyRatePpm, 'loan.penaltyRatePpm', 0, 1_000_000);
  assertCount(loan.termMonths, 'loan.termMonths', 1, TERM_MONTHS_MAX);
  if (!isRepaymentMethod(loan.method)) fail('loan.method', 'is not a known repayment method');
  if (typeof loan.productCode !== 'string' || !PRODUCT_CODE_PATTERN.test(loan.productCode)) fail('loan.productCode', 'is not a product code');
  assertText(loan.productName, 'loan.productName', 50);
  assertText(loan.purpose, 'loan.purpose', 200);

  assertText(borrower.name, 'borrower.name', 50);
  if (parseIdNumber(borrower.idNumber, 'borrower.idNumber') !== borrower.idNumber) fail('borrower.idNumber', 'must be written in canonical form');
  if (parseMobile(borrower.mobile, 'borrower.mobile') !== borrower.mobile) fail('borrower.mobile', 'must be the 11-digit number without prefix');
  assertText(borrower.address, 'borrower.address', 200);

  assertText(platform.name, 'platform.name');
  assertText(platform.registration, 'platform.registration', 50);
  assertText(store.code, 'store.code', 50);
  assertText(store.name, 'store.name');
  assertText(store.county, 'store.county');
  parseCalendarDate(ctx.signingDate, 'signingDate');

  if (!Array.isArray(ctx.lenders)) fail('lenders', 'must be a list');
  ctx.lenders.forEach((lender, i) => {
    assertText(lender.name, `lenders[${i}].name`);
    assertPositiveFen(lender.amountFen, `lenders[${i}].amountFen`);
  });
  if (ctx.lenders.length > 0 && sumFen(ctx.lenders.map((l) => l.amountFen)) !== loan.principalFen) {
    fail('lenders', 'must fund exactly the principal (or be empty before funding)');
  }

  if (!Array.isArray(ctx.channels) || ctx.channels.length === 0) fail('channels', 'must name at least one repayment channel');
  for (const channel of ctx.channels) {
    if (!(REPAYMENT_CHANNELS as readonly string[]).includes(channel)) fail('channels', `holds an unknown channel ${String(channel)}`);
  }
  if (new Set(ctx.channels).size !== ctx.channels.length) fail('channels', 'must not repeat a channel');
  if (ctx.channels.includes('passbook')) {
    if (!ctx.passbook) fail('passbook', 'is required when the passbook channel is chosen');
    assertText(ctx.passbook.bankName, 'passbook.bankName');
    assertText(ctx.passbook.accountNumber, 'passbook.accountNumber', 40);
    if (!/^[0-9]{8,32}$/.test(ctx.passbook.accountNumber)) fail('passbook.accountNumber', 'must be 8 to 32 digits');
  }
  assertFen(ctx.prepaidReserveFen, 'prepaidReserveFen');
  if (ctx.prepaidReserveFen < 0) fail('prepaidReserveFen', 'must not be negative');

  validateSchedule(ctx);
  return ctx;
}

function validateSchedule(ctx: ContractContext): void {
  const { schedule, loan } = ctx;
  const expectedRows = loan.method === 'bullet' ? 1 : loan.termMonths;
  if (!Array.isArray(schedule) || schedule.length !== expectedRows) fail('schedule', `must have ${expectedRows} installments`);
  let previous = ctx.signingDate;
  schedule.forEach((row, i) => {
    const field = `schedule[${i}]`;
    if (row.number !== i + 1) fail(`${field}.number`, `must be ${i + 1}`);
    parseCalendarDate(row.dueDate, `${field}.dueDate`);
    if (row.dueDate <= previous) fail(`${field}.dueDate`, i === 0 ? 'must be after the signing date' : 'must be after the previous due date');
    previous = row.dueDate;
    assertFen(row.principalFen, `${field}.principalFen`);
    assertFen(row.interestFen, `${field}.interestFen`);
    if (row.principalFen < 0 || row.interestFen < 0) fail(field, 'must not hold negative amounts');
    if (row.totalFen !== row.principalFen + row.interestFen) fail(`${field}.totalFen`, 'must be principal plus interest');
  });
  if (sumFen(schedule.map((r) => r.principalFen)) !== loan.principalFen) fail('schedule', 'principal parts must sum to the principal');
}
