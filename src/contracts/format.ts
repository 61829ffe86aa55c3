/**
 * Formatting for contract text. Everything here is deterministic by construction: no
 * locale (no toLocaleString, no Intl), no clock, plain string arithmetic on integers, so a
 * document renders to the same bytes on every machine and its SHA-256 is stable.
 */
import { chineseCapitalAmount, chineseDate } from '../core/chinese-amount.js';
import { maskIdNumber, maskMobile } from '../core/identity.js';
import type { RepaymentChannel } from '../core/loan-accounting.js';
import type { Fen } from '../core/money.js';
import { formatRatePercent, type RatePpm } from '../core/rate.js';
import type { RepaymentMethod, ScheduledInstallment } from '../core/schedule.js';
import type { ContractContext } from './contract-context.js';

/** Whole fen as yuan figures with thousands separators: 5000000 → "50,000.00". */
export function yuanFigures(fen: Fen): string {
  const sign = fen < 0 ? '-' : '';
  const abs = Math.abs(fen);
  const yuan = String(Math.floor(abs / 100)).replace(/\B(?=(\d{3})+$)/g, ',');
  return `${sign}${yuan}.${String(abs % 100).padStart(2, '0')}`;
}

/** The form contracts use for a sum of money: 人民币（大写）伍万元整（小写：¥50,000.00）. */
export function moneyText(fen: Fen): string {
  return `人民币（大写）${chineseCapitalAmount(fen)}（小写：¥${yuanFigures(fen)}）`;
}

export function ratePercent(ppm: RatePpm): string {
  return `${formatRatePercent(ppm)}%`;
}

export const REPAYMENT_METHOD_LABELS: Readonly<Record<RepaymentMethod, string>> = {
  interest_monthly_principal_at_maturity: '按月付息、到期还本',
  equal_principal: '等额本金',
  equal_installment: '等额本息',
  bullet: '到期一次性还本付息',
};

export const REPAYMENT_CHANNEL_LABELS: Readonly<Record<RepaymentChannel, string>> = {
  store_cash: '营业厅现金还款',
  passbook: '存折自动划扣',
  phone_credit: '话费划扣',
};

/** How each method's installments are computed, worded to match src/core/schedule.ts. */
export const REPAYMENT_METHOD_RULES: Readonly<Record<RepaymentMethod, string>> = {
  interest_monthly_principal_at_maturity:
    '每月按借款本金×月利率支付当期利息，最后一期归还全部借款本金及当期利息。',
  equal_principal:
    '每月归还相等金额的本金（按借款本金÷期数四舍五入至分，尾差计入最后一期），并支付按当期期初剩余本金×月利率计算的利息。',
  equal_installment:
    '每月归还相等金额的本息（按等额本息公式计算并四舍五入至分），其中利息按当期期初剩余本金×月利率计算，其余部分为本金，最后一期归还全部剩余本金及当期利息。',
  bullet:
    '借款到期日一次性归还全部借款本金及利息，利息按借款本金×年利率×借款月数÷12计算。',
};

export function channelList(channels: readonly RepaymentChannel[]): string {
  return channels.map((c) => REPAYMENT_CHANNEL_LABELS[c]).join('、');
}

/** Display width in a monospaced font: CJK and full-width forms take two columns. */
export function displayWidth(text: string): number {
  let width = 0;
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    const wide = (code >= 0x1100 && code <= 0x115f) || (code >= 0x2e80 && code <= 0xa4cf)
      || (code >= 0xac00 && code <= 0xd7a3) || (code >= 0xf900 && code <= 0xfaff)
      || (code >= 0xfe30 && code <= 0xfe4f) || (code >= 0xff00 && code <= 0xff60) || (code >= 0xffe0 && code <= 0xffe6)
      || (code >= 0x20000 && code <= 0x3fffd);
    width += wide ? 2 : 1;
  }
  return width;
}

function pad(text: string, width: number, align: 'left' | 'right'): string {
  const fill = ' '.repeat(Math.max(0, width - displayWidth(text)));
  return align === 'left' ? text + fill : fill + text;
}

export interface TableColumn {
  header: string;
  align: 'left' | 'right';
}

/** A bordered text table (ASCII rules, cells padded by display width); the last row may be a totals row. */
export function textTable(columns: readonly TableColumn[], rows: readonly (readonly string[])[], totals?: readonly string[]): string[] {
  const all = totals ? [...rows, totals] : rows;
  const widths = columns.map((col, i) => Math.max(displayWidth(col.header), ...all.map((r) => displayWidth(r[i]!))));
  const rule = `+${widths.map((w) => '-'.repeat(w + 2)).join('+')}+`;
  const line = (cells: readonly string[], header: boolean) =>
    `|${cells.map((cell, i) => ` ${pad(cell, widths[i]!, header ? 'left' : columns[i]!.align)} `).join('|')}|`;
  const out = [rule, line(columns.map((c) => c.header), true), rule, ...rows.map((r) => line(r, false)), rule];
  if (totals) out.push(line(totals, false), rule);
  return out;
}

/** The service fee is due with the first installment (src/loans/installment-rows.ts). */
export function feeOfInstallment(ctx: ContractContext, index: number): Fen {
  return index === 0 ? ctx.loan.serviceFeeFen : 0;
}

export interface ScheduleTotals {
  principalFen: Fen;
  interestFen: Fen;
  feeFen: Fen;
  totalFen: Fen;
}

export function scheduleTotals(ctx: ContractContext): ScheduleTotals {
  const t = { principalFen: 0, interestFen: 0, feeFen: 0, totalFen: 0 };
  ctx.schedule.forEach((row, i) => {
    const fee = feeOfInstallment(ctx, i);
    t.principalFen += row.principalFen;
    t.interestFen += row.interestFen;
    t.feeFen += fee;
    t.totalFen += row.totalFen + fee;
  });
  return t;
}

/** 还款计划表: one row per installment, amounts in yuan, with a 合计 row. */
export function scheduleTable(ctx: ContractContext): string[] {
  const columns: TableColumn[] = [
    { header: '期次', align: 'right' },
    { header: '应还款日', align: 'left' },
    { header: '应还本金(元)', align: 'right' },
    { header: '应还利息(元)', align: 'right' },
    { header: '服务费(元)', align: 'right' },
    { header: '应还合计(元)', align: 'right' },
  ];
  const rows = ctx.schedule.map((row: ScheduledInstallment, i) => {
    const fee = feeOfInstallment(ctx, i);
    return [String(row.number), chineseDate(row.dueDate), yuanFigures(row.principalFen), yuanFigures(row.interestFen),
      yuanFigures(fee), yuanFigures(row.totalFen + fee)];
  });
  const t = scheduleTotals(ctx);
  return textTable(columns, rows,
    ['合计', '', yuanFigures(t.principalFen), yuanFigures(t.interestFen), yuanFigures(t.feeFen), yuanFigures(t.totalFen)]);
}

/** 合同编号, shared by the five documents of one signing so each can cite the others. */
export function contractNumber(ctx: ContractContext): string {
  return `${ctx.loan.productCode}-${ctx.signingDate.replaceAll('-', '')}-${String(ctx.loan.id).padStart(10, '0')}`;
}

export function signingPlace(ctx: ContractContext): string {
  return `${ctx.store.county}${ctx.store.name}（营业厅编号：${ctx.store.code}）`;
}

export const maskedId = (ctx: ContractContext): string => maskIdNumber(ctx.borrower.idNumber);
export const maskedMobile = (ctx: ContractContext): string => maskMobile(ctx.borrower.mobile);

/**
 * Where the OTP confirmation time goes. The borrower is shown, and confirms by SMS code,
 * the text with this placeholder; the hash covers that text. The verification time lives
 * in the signing record (contract_signings.signed_at, otp_challenges.verified_at) and is
 * put in only when a copy is displayed or printed, by `withOtpConfirmation`.
 */
export const OTP_VERIFIED_AT_PLACEHOLDER = '____年__月__日__时__分__秒';
export const OTP_CONFIRMATION_PREFIX = '本人已通过短信验证码确认签署，验证时间：';

export function otpConfirmationLine(): string {
  return `${OTP_CONFIRMATION_PREFIX}${OTP_VERIFIED_AT_PLACEHOLDER}`;
}

/** Basic loan terms, repeated in each document so each stands on its own. */
export function loanTermsBlock(ctx: ContractContext): string[] {
  const l = ctx.loan;
  return [
    `借款产品：${l.productName}（产品编码：${l.productCode}）`,
    `借款本金：${moneyText(l.principalFen)}`,
    `借款年利率：${ratePercent(l.annualRatePpm)}（单利，月利率=年利率÷12）`,
    `借款期限：${l.termMonths}个月`,
    `还款方式：${REPAYMENT_METHOD_LABELS[l.method]}`,
    `借款用途：${l.purpose}`,
    `信用咨询及管理服务费：${moneyText(l.serviceFeeFen)}`,
    `逾期罚息年利率：${ratePercent(l.penaltyRatePpm)}`,
    `还款渠道：${channelList(ctx.channels)}`,
  ];
}

/** The borrower block of the documents other than the loan agreement: ID masked. */
export function borrowerBlockMasked(ctx: ContractContext, role: string): string[] {
  return [
    `${role}：${ctx.borrower.name}`,
    `身份证号码：${maskedId(ctx)}（完整号码见编号为${contractNumber(ctx)}的《借款协议》）`,
    `手机号码：${maskedMobile(ctx)}`,
  ];
}

export function platformBlock(ctx: ContractContext, role: string): string[] {
  return [`${role}：${ctx.platform.name}`, `统一社会信用代码：${ctx.platform.registration}`];
}

export function signingFooter(ctx: ContractContext, borrowerRole: string): string[] {
  return [
    `签署地点：${signingPlace(ctx)}`,
    `签署日期：${chineseDate(ctx.signingDate)}`,
    '',
    `${borrowerRole}签字：${ctx.borrower.name}`,
    otpConfirmationLine(),
    `短信验证手机号码：${maskedMobile(ctx)}`,
  ];
}

/** Numbered clauses "1. …", starting at `first`. */
export function numbered(items: readonly string[], first = 1): string[] {
  return items.map((item, i) => `${first + i}. ${item}`);
}

/** Joins a document's lines: LF line ends, one final newline, no trailing white space on any line. */
export function documentText(lines: readonly string[]): string {
  for (const line of lines) {
    if (/[\r\n]/.test(line)) throw new Error(`a document line holds a line break: ${JSON.stringify(line)}`);
  }
  return `${lines.map((line) => line.replace(/\s+$/, '')).join('\n')}\n`;
}
