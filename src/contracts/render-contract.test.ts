import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chineseCapitalAmount, chineseDate } from '../core/chinese-amount.js';
import { DomainError } from '../core/domain-error.js';
import { maskIdNumber, maskMobile } from '../core/identity.js';
import { formatRatePercent } from '../core/rate.js';
import { REPAYMENT_METHODS, type RepaymentMethod } from '../core/schedule.js';
import type { ContractContext } from './contract-context.js';
import { displayWidth, yuanFigures } from './format.js';
import {
  CONTRACT_KINDS, OTP_CONFIRMATION_PREFIX, OTP_VERIFIED_AT_PLACEHOLDER, renderContractSet, withOtpConfirmation, type RenderedDocument,
} from './render-contract.js';
import { sampleContractContext } from './sample-context.js';
import { NO_DEDUCTION_TEXT } from './templates/deduction-authorization.js';
import { LENDERS_PENDING_TEXT } from './templates/loan-agreement.js';

const SEED_TITLES = ['借款协议', '信用咨询及管理服务协议', '还款事项提醒函', '委托划扣协议书', '风险获知及承诺书'];

function byKind(docs: RenderedDocument[], kind: (typeof CONTRACT_KINDS)[number]): string {
  const doc = docs.find((d) => d.kind === kind);
  if (!doc) throw new Error(`no ${kind}`);
  return doc.content;
}

const toFen = (figures: string): number => {
  expect(figures).toMatch(/^\d{1,3}(?:,\d{3})*\.\d{2}$/);
  return Number(figures.replaceAll(',', '').replace('.', ''));
};

interface TableRow { cells: string[] }

/** Reads the 还款计划表 back out of a document: its rows and its 合计 row, amounts in fen. */
function readScheduleTable(content: string) {
  const lines = content.split('\n');
  const header = lines.findIndex((l) => l.startsWith('| 期次 | 应还款日'));
  expect(header).toBeGreaterThan(0);
  const rule = lines[header - 1]!;
  expect(rule).toMatch(/^\+[-+]+\+$/);
  expect(lines[header + 1]).toBe(rule);
  const rows: TableRow[] = [];
  let i = header + 2;
  for (; lines[i] !== rule; i++) rows.push({ cells: lines[i]!.split('|').slice(1, -1).map((c) => c.trim()) });
  const totals = lines[i + 1]!.split('|').slice(1, -1).map((c) => c.trim());
  expect(lines[i + 2]).toBe(rule);
  const block = lines.slice(header - 1, i + 3);
  expect(new Set(block.map(displayWidth)).size).toBe(1);
  return {
    rows: rows.map(({ cells }) => ({
      number: Number(cells[0]), dueDate: cells[1]!, principal: toFen(cells[2]!), interest: toFen(cells[3]!),
      fee: toFen(cells[4]!), total: toFen(cells[5]!),
    })),
    totals: { label: totals[0], principal: toFen(totals[2]!), interest: toFen(totals[3]!), fee: toFen(totals[4]!), total: toFen(totals[5]!) },
  };
}

function count(haystack: string, needle: string): number {
  return haystack.split(needle).length - 1;
}

describe('renderContractSet', () => {
  const ctx = sampleContractContext();
  const docs = renderContractSet(ctx);

  it('renders the five documents in the seed order, each hashed', () => {
    expect(docs.map((d) => d.kind)).toEqual([...CONTRACT_KINDS]);
    expect(docs.map((d) => d.title)).toEqual(SEED_TITLES);
    for (const doc of docs) {
      expect(doc.templateVersion).toMatch(/^\d{4}\.\d+$/);
      expect(doc.sha256).toBe(createHash('sha256').update(Buffer.from(doc.content, 'utf8')).digest('hex'));
      expect(doc.content.startsWith(`${doc.title}\n`)).toBe(true);
      expect(doc.content).toContain(`模板版本：${doc.templateVersion}`);
    }
  });

  it('has a stable plain-text layout: LF only, one final newline, no trailing blanks, nothing unfilled', () => {
    for (const { content } of docs) {
      expect(content.endsWith('\n') && !content.endsWith('\n\n')).toBe(true);
      expect(content).not.toMatch(/\r|\t|[ \u3000]+\n|undefined|NaN|null|\[object|Infinity/);
    }
  });

  it.each(REPAYMENT_METHODS.map((m) => [m]))('states the borrower, amount, rate, method and every due date in each document (%s)', (method: RepaymentMethod) => {
    const c = sampleContractContext({ method, termMonths: 6, principalFen: 5_000_050 });
    for (const { content, kind } of renderContractSet(c)) {
      expect(content, kind).toContain(c.borrower.name);
      expect(content, kind).toContain('50,000.50');
      expect(content, kind).toContain(chineseCapitalAmount(5_000_050));
      expect(content, kind).toContain('伍万元零伍角');
      expect(content, kind).toContain(`${formatRatePercent(c.loan.annualRatePpm)}%`);
      expect(content, kind).toContain({ interest_monthly_principal_at_maturity: '按月付息、到期还本', equal_principal: '等额本金',
        equal_installment: '等额本息', bullet: '到期一次性还本付息' }[method]);
      for (const row of c.schedule) expect(content, kind).toContain(chineseDate(row.dueDate));
      expect(content, kind).toContain(c.store.code);
      expect(content, kind).toContain(chineseDate(c.signingDate));
    }
  });

  it.each(REPAYMENT_METHODS.map((m) => [m]))('prints a schedule table that sums, in each document (%s)', (method: RepaymentMethod) => {
    const c = sampleContractContext({ method, termMonths: 7, principalFen: 3_333_337, annualRatePpm: 123_456 });
    for (const { content } of renderContractSet(c)) {
      const { rows, totals } = readScheduleTable(content);
      expect(rows).toHaveLength(c.schedule.length);
      rows.forEach((row, i) => {
        expect(row.number).toBe(i + 1);
        expect(row.dueDate).toBe(chineseDate(c.schedule[i]!.dueDate));
        expect(row.principal).toBe(c.schedule[i]!.principalFen);
        expect(row.interest).toBe(c.schedule[i]!.interestFen);
        expect(row.fee).toBe(i === 0 ? c.loan.serviceFeeFen : 0);
        expect(row.total).toBe(row.principal + row.interest + row.fee);
      });
      const sum = (f: (r: (typeof rows)[number]) => number) => rows.reduce((s, r) => s + f(r), 0);
      expect(totals).toEqual({ label: '合计', principal: c.loan.principalFen, interest: sum((r) => r.interest),
        fee: c.loan.serviceFeeFen, total: sum((r) => r.total) });
    }
  });

  it('shows the full ID number only in the loan agreement party block; every other document shows it masked', () => {
    const full = ctx.borrower.idNumber;
    const masked = maskIdNumber(full);
    const loan = byKind(docs, 'loan_agreement');
    expect(count(loan, full)).toBe(1);
    expect(loan).toContain(`甲方（借款人）：${ctx.borrower.name}\n身份证号码：${full}\n`);
    for (const doc of docs.filter((d) => d.kind !== 'loan_agreement')) {
      expect(doc.content, doc.kind).not.toContain(full);
      expect(doc.content, doc.kind).toContain(masked);
    }
  });

  it('shows the full mobile only in the loan agreement and, when phone credit is deducted, in the mandate', () => {
    const full = ctx.borrower.mobile;
    for (const doc of docs) {
      const expected = doc.kind === 'loan_agreement' || doc.kind === 'deduction_authorization';
      expect(doc.content.includes(full), doc.kind).toBe(expected);
      if (doc.kind !== 'loan_agreement') expect(doc.content, doc.kind).toContain(maskMobile(full));
    }
    const cashOnly = renderContractSet({ ...ctx, channels: ['store_cash'] });
    expect(byKind(cashOnly, 'deduction_authorization')).not.toContain(full);
  });

  it('carries one OTP confirmation placeholder per document; filling it leaves the signed hash alone', () => {
    for (const doc of docs) {
      expect(count(doc.content, `${OTP_CONFIRMATION_PREFIX}${OTP_VERIFIED_AT_PLACEHOLDER}\n`)).toBe(1);
      const copy = withOtpConfirmation(doc.content, '2026年11月24日10时31分07秒');
      expect(copy).toContain(`${OTP_CONFIRMATION_PREFIX}2026年11月24日10时31分07秒\n`);
      expect(copy).not.toContain(OTP_VERIFIED_AT_PLACEHOLDER);
      expect(copy.replace('2026年11月24日10时31分07秒', OTP_VERIFIED_AT_PLACEHOLDER)).toBe(doc.content);
    }
    expect(() => withOtpConfirmation('no placeholder here', 'x')).toThrow(/placeholder/);
  });

  it('is deterministic: the same context, or a copy of it, gives the same bytes and hashes', () => {
    const again = renderContractSet(structuredClone(ctx));
    expect(again).toEqual(docs);
    expect(renderContractSet(sampleContractContext()).map((d) => d.sha256)).toEqual(docs.map((d) => d.sha256));
  });

  it('changes every hash when the principal or the service fee changes by one fen', () => {
    const principal = renderContractSet(sampleContractContext({ principalFen: ctx.loan.principalFen + 1 }));
    const fee = renderContractSet(sampleContractContext({ serviceFeeFen: ctx.loan.serviceFeeFen + 1 }));
    docs.forEach((doc, i) => {
      expect(principal[i]!.sha256, doc.kind).not.toBe(doc.sha256);
      expect(fee[i]!.sha256, doc.kind).not.toBe(doc.sha256);
    });
  });

  it('changes the hash of every document when one installment moves a fen between principal and interest', () => {
    const c = structuredClone(ctx);
    c.schedule[0]!.interestFen += 1;
    c.schedule[0]!.totalFen += 1;
    const changed = renderContractSet(c);
    docs.forEach((doc, i) => expect(changed[i]!.sha256, doc.kind).not.toBe(doc.sha256));
  });

  it('renders any valid loan, deterministically, with tables that sum', () => {
    fc.assert(fc.property(
      fc.integer({ min: 100_000, max: 20_000_000 }), fc.integer({ min: 0, max: 240_000 }), fc.integer({ min: 1, max: 36 }),
      fc.constantFrom(...REPAYMENT_METHODS), fc.integer({ min: 0, max: 200_000 }),
      fc.subarray(['store_cash', 'passbook', 'phone_credit'] as const, { minLength: 1 }),
      (principalFen, annualRatePpm, termMonths, method, serviceFeeFen, channels) => {
        const c = sampleContractContext({ principalFen, annualRatePpm, termMonths, method, serviceFeeFen, startDate: '2027-01-31' });
        c.channels = [...channels];
        if (channels.includes('passbook')) c.passbook = { bankName: '农村信用合作社', accountNumber: '6230581234567890' };
        const first = renderContractSet(c);
        expect(renderContractSet(structuredClone(c)).map((d) => d.sha256)).toEqual(first.map((d) => d.sha256));
        for (const doc of first) {
          expect(doc.content).toContain(chineseCapitalAmount(principalFen));
          expect(doc.content).toContain(yuanFigures(principalFen));
          const { totals } = readScheduleTable(doc.content);
          expect(totals.principal).toBe(principalFen);
          expect(totals.fee).toBe(serviceFeeFen);
        }
      }), { numRuns: 60 });
  });
});

describe('the documents one by one', () => {
  it('loan agreement: parties, 居间, lenders pending or listed, penalty rule, channels', () => {
    const ctx = sampleContractContext();
    const pending = byKind(renderContractSet(ctx), 'loan_agreement');
    expect(pending).toContain(`乙方（出借人）：${LENDERS_PENDING_TEXT}`);
    expect(pending).toContain(`丙方（居间服务方）：${ctx.platform.name}`);
    expect(pending).toContain(ctx.platform.registration);
    expect(pending).toContain(ctx.borrower.address);
    expect(pending).toContain('逾期本金×罚息年利率（12%）÷360');
    expect(pending).toContain('营业厅现金还款、话费划扣');
    expect(pending).toContain(ctx.loan.purpose);

    const funded = byKind(renderContractSet({ ...ctx, lenders: [{ name: '张*明', amountFen: 5_000_000 }, { name: '王*华', amountFen: 3_000_000 }] }), 'loan_agreement');
    expect(funded).not.toContain(LENDERS_PENDING_TEXT);
    expect(funded).toContain('乙方（出借人）：张*明、王*华（共2名');
    expect(funded).toMatch(/\| +1 \| 张\*明 +\| +50,000\.00 \|/);
    expect(funded).toMatch(/\| 合计 \| +\| +80,000\.00 \|/);
  });

  it('credit service agreement: the platform service and its fee, or that it is waived', () => {
    const ctx = sampleContractContext({ serviceFeeFen: 80_000 });
    const text = byKind(renderContractSet(ctx), 'credit_service_agreement');
    expect(text).toContain('乙方（服务方）：');
    expect(text).toContain('信用咨询及管理服务费人民币（大写）捌佰元整（小写：¥800.00）');
    expect(text).toContain(`随第一期应还款项一并支付`);
    const free = byKind(renderContractSet(sampleContractContext({ serviceFeeFen: 0 })), 'credit_service_agreement');
    expect(free).toContain('乙方本次免收信用咨询及管理服务费');
    expect(free).toContain('零元整');
  });

  it('repayment reminder: due dates and amounts, and how to repay on each chosen channel', () => {
    const ctx = sampleContractContext();
    ctx.channels = ['store_cash', 'passbook', 'phone_credit'];
    ctx.passbook = { bankName: '雷州农商银行龙门支行', accountNumber: '62305812345678901' };
    const text = byKind(renderContractSet(ctx), 'repayment_reminder');
    expect(text).toContain(`携带本人身份证原件到${ctx.store.county}${ctx.store.name}（营业厅编号：${ctx.store.code}）`);
    expect(text).toContain('账号尾号8901');
    expect(text).not.toContain('62305812345678901');
    expect(text).toContain('保留余额人民币5.00元');
    for (const row of ctx.schedule) expect(text).toMatch(new RegExp(`\\| +${row.number} \\| ${chineseDate(row.dueDate)} +\\| `));
    const cashOnly = byKind(renderContractSet({ ...ctx, channels: ['store_cash'] }), 'repayment_reminder');
    expect(cashOnly).not.toContain('存折自动划扣：');
    expect(cashOnly).not.toContain('话费划扣：');
  });

  it('deduction mandate: names the accounts, the order and the reserve; with no deduction channel it authorises nothing', () => {
    const ctx = sampleContractContext();
    ctx.channels = ['passbook', 'phone_credit', 'store_cash'];
    ctx.passbook = { bankName: '雷州农商银行龙门支行', accountNumber: '62305812345678901' };
    ctx.prepaidReserveFen = 1_000;
    const both = byKind(renderContractSet(ctx), 'deduction_authorization');
    expect(both).toContain('存折账号62305812345678901');
    expect(both).toContain(`手机号码${ctx.borrower.mobile}`);
    expect(both).toContain('先从存折账户划扣当期应还未还金额；存折账户余额不足或划扣失败的，差额再从手机话费账户划扣');
    expect(both).toContain('人民币（大写）壹拾元整（小写：¥10.00）（保留余额）');
    expect(both).not.toContain(NO_DEDUCTION_TEXT);

    const passbookOnly = byKind(renderContractSet({ ...ctx, channels: ['passbook'] }), 'deduction_authorization');
    expect(passbookOnly).not.toContain('保留余额');
    expect(passbookOnly).not.toContain('话费划扣：');
    expect(passbookOnly).toMatch(/第四条 划扣失败与通知[\s\S]*第五条 变更与撤销[\s\S]*第六条 协议期限/);

    const phoneOnly = byKind(renderContractSet({ ...ctx, channels: ['phone_credit'], passbook: undefined }), 'deduction_authorization');
    expect(phoneOnly).toContain('从上述话费划扣账户划扣');
    expect(phoneOnly).toMatch(/第四条 话费保留余额[\s\S]*第五条 划扣失败与通知[\s\S]*第七条 协议期限/);

    const none = byKind(renderContractSet({ ...ctx, channels: ['store_cash'] }), 'deduction_authorization');
    expect(none).toContain(NO_DEDUCTION_TEXT);
    expect(none).toContain('不构成任何划扣授权');
    expect(none).not.toContain('62305812345678901');
    expect(none).not.toContain('保留余额');
  });

  it('risk acknowledgement: true information, use of funds, default, collections 08:00–21:00 and no third parties', () => {
    const ctx = sampleContractContext();
    const text = byKind(renderContractSet(ctx), 'risk_acknowledgement');
    expect(text).toContain(`承诺人（借款人）：${ctx.borrower.name}`);
    expect(text).toContain('真实、准确、完整');
    expect(text).toContain(`本次借款仅用于“${ctx.loan.purpose}”`);
    expect(text).toContain('联系时间仅限每日08:00至21:00');
    expect(text).toContain('不向本人以外的任何第三人');
    expect(text).toContain('提前到期');
  });
});

describe('context validation', () => {
  const cases: [string, (c: ContractContext) => void, string][] = [
    ['schedule does not sum to the principal', (c) => { c.schedule[0]!.principalFen += 1; c.schedule[0]!.totalFen += 1; }, 'schedule'],
    ['installment total is not principal + interest', (c) => { c.schedule[1]!.totalFen += 1; }, 'schedule[1].totalFen'],
    ['installments out of order', (c) => { [c.schedule[0], c.schedule[1]] = [c.schedule[1]!, c.schedule[0]!]; }, 'schedule[0].number'],
    ['wrong number of installments', (c) => { c.schedule.pop(); }, 'schedule'],
    ['first due date not after signing', (c) => { c.signingDate = c.schedule[0]!.dueDate; }, 'schedule[0].dueDate'],
    ['no channel', (c) => { c.channels = []; }, 'channels'],
    ['repeated channel', (c) => { c.channels = ['store_cash', 'store_cash']; }, 'channels'],
    ['unknown channel', (c) => { c.channels = ['wechat' as never]; }, 'channels'],
    ['passbook chosen without an account', (c) => { c.channels = ['passbook']; }, 'passbook'],
    ['passbook account not digits', (c) => { c.channels = ['passbook']; c.passbook = { bankName: '信用社', accountNumber: '6230-5812' }; }, 'passbook.accountNumber'],
    ['lenders fund less than the principal', (c) => { c.lenders = [{ name: '张*明', amountFen: c.loan.principalFen - 1 }]; }, 'lenders'],
    ['lender amount zero', (c) => { c.lenders = [{ name: '张*明', amountFen: 0 }]; }, 'lenders[0].amountFen'],
    ['bad ID number', (c) => { c.borrower.idNumber = '440882198503174211'; }, 'borrower.idNumber'],
    ['lower-case x in ID number', (c) => { c.borrower.idNumber = '44088219850317005x'; }, 'borrower.idNumber'],
    ['mobile with prefix', (c) => { c.borrower.mobile = '+8613800138000'; }, 'borrower.mobile'],
    ['name with a line break', (c) => { c.borrower.name = '李秀\n英'; }, 'borrower.name'],
    ['empty purpose', (c) => { c.loan.purpose = ''; }, 'loan.purpose'],
    ['padded store name', (c) => { c.store.name = ' 营业厅'; }, 'store.name'],
    ['fractional principal', (c) => { c.loan.principalFen = 100.5; }, 'loan.principalFen'],
    ['negative fee', (c) => { c.loan.serviceFeeFen = -1; }, 'loan.serviceFeeFen'],
    ['negative reserve', (c) => { c.prepaidReserveFen = -1; }, 'prepaidReserveFen'],
    ['unknown method', (c) => { c.loan.method = 'balloon' as never; }, 'loan.method'],
    ['bad product code', (c) => { c.loan.productCode = 'y1'; }, 'loan.productCode'],
    ['impossible signing date', (c) => { c.signingDate = '2026-02-30'; }, 'signingDate'],
  ];

  it.each(cases)('refuses: %s', (_name, mutate, field) => {
    const c = structuredClone(sampleContractContext());
    mutate(c);
    let error: unknown;
    try {
      renderContractSet(c);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(DomainError);
    expect((error as DomainError).field).toBe(field);
  });
});
